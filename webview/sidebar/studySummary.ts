// The compact facts the sidebar shows, folded from host messages. Pure: unit-tested in node.
import type { Recommendation, StudyPhase, TrialSummary } from '../../src/core/types';
import type { HostToPanel, PanelStudyInfo } from '../../src/core/webviewProtocol';

export interface RunningTrial {
  trialId: string;
  batchSize: number;
  step: number;
  loss: number;
  samplesPerSecond: number;
}

export interface StudySummary {
  configLabel?: string;
  trusted: boolean;
  running: boolean;
  phase?: StudyPhase;
  phaseMessage?: string;
  progress?: number;
  trials: Map<string, TrialSummary>;
  current?: RunningTrial;
  recommendation?: Recommendation;
  /** The study shown (its state: interrupted, stopped, ...). */
  study?: PanelStudyInfo;
  error?: string;
  applied?: { batchSize: number; learningRate?: number };
}

export function emptySummary(): StudySummary {
  return { trusted: true, running: false, trials: new Map() };
}

/** Folds one host message into the summary (mutates and returns it). */
export function reduceSummary(s: StudySummary, m: HostToPanel): StudySummary {
  switch (m.type) {
    case 'init':
      s.configLabel = m.init.configLabel ?? m.init.configPath;
      s.trusted = m.init.trusted;
      s.running = m.init.running;
      s.trials = new Map(m.init.trials.map((t) => [t.id, t]));
      s.recommendation = m.init.recommendation;
      s.study = m.init.study;
      s.current = undefined;
      s.error = undefined;
      break;
    case 'metrics': {
      const last = m.batches[m.batches.length - 1];
      const step = last?.steps[last.steps.length - 1];
      if (last && step)
        s.current = { trialId: last.trialId, batchSize: step.batchSize, step: step.step, loss: step.loss, samplesPerSecond: step.samplesPerSecond };
      break;
    }
    case 'trial':
      s.trials.set(m.trial.id, m.trial);
      if (s.current?.trialId === m.trial.id) s.current = undefined;
      break;
    case 'phase':
      s.phase = m.phase;
      s.phaseMessage = m.message;
      s.progress = m.progress;
      break;
    case 'recommendation':
      s.recommendation = m.recommendation;
      break;
    case 'running':
      s.running = m.running;
      if (m.running) {
        s.error = undefined;
        s.study = { status: 'running' };
      } else {
        s.current = undefined;
        if (m.status) s.study = { status: m.status };
      }
      break;
    case 'applied':
      s.applied = { batchSize: m.batchSize, learningRate: m.learningRate };
      break;
    case 'error':
      s.error = m.message;
      break;
    case 'checkpointsPicked':
      break;
  }
  return s;
}

/** The finished trial with the highest measured throughput, and the one with the lowest final loss. */
export function bestSoFar(trials: Iterable<TrialSummary>): { fastest?: TrialSummary; lowestLoss?: TrialSummary } {
  let fastest: TrialSummary | undefined;
  let lowestLoss: TrialSummary | undefined;
  for (const t of trials) {
    if (t.status !== 'ok') continue;
    if (t.samplesPerSecond !== undefined && (!fastest || t.samplesPerSecond > (fastest.samplesPerSecond ?? 0))) fastest = t;
    const loss = t.finalValLoss ?? t.finalLoss;
    const best = lowestLoss ? (lowestLoss.finalValLoss ?? lowestLoss.finalLoss) : undefined;
    if (loss !== undefined && Number.isFinite(loss) && (best === undefined || loss < best)) lowestLoss = t;
  }
  return { fastest, lowestLoss };
}
