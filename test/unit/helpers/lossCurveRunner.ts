// A deterministic TrialRunner shaped like a script that logs as the Hugging Face Trainer does:
// training loss per step, no gradient statistics, no validation loss (unless asked). Step time
// t(B) = overhead + perSample B, so X(B) = B/t(B); the training loss follows the steps S(B) =
// S_min (1 + B_noise/B) need (McCandlish et al. 2018), with seeded noise. `finalOnly`: the script
// reports one loss, at the end. It never sleeps: trials finish at once.
import type { EvalMetrics, StepMetrics, TrialResult, TrialRunner, TrialSpec } from '../../../src/core/types';
import { seededRandom } from '../../../src/core/tuner';
import { gaussian } from './linearRegression';

export interface LossCurveMachine {
  overheadSeconds?: number;
  perSampleSeconds?: number;
  /** Step time t(B) instead of the linear one (e.g. throughput falling with B). */
  stepSeconds?: (batchSize: number) => number;
  noiseScale?: number;
  /** Relative noise of the training loss per step. */
  lossNoise?: number;
  /** Report only the final loss (one step record at the end). */
  finalOnly?: boolean;
  /** Also report a validation loss every this many steps. */
  evalEvery?: number;
  /** Training loss depends on samples only (steps fall as 1/B: no finite B_noise). */
  perfectScaling?: boolean;
  onTrial?: (spec: TrialSpec) => void;
}

export function lossCurveRunner(m: LossCurveMachine = {}): TrialRunner & { specs: TrialSpec[] } {
  const specs: TrialSpec[] = [];
  const run: TrialRunner = async (spec, callbacks) => {
    specs.push(spec);
    m.onTrial?.(spec);
    await new Promise((r) => setImmediate(r));
    const B = spec.batchSize;
    const t = m.stepSeconds?.(B) ?? (m.overheadSeconds ?? 0.004) + (m.perSampleSeconds ?? 0.0002) * B;
    const seconds = spec.maxSeconds ?? 1;
    const n = Math.max(2, Math.min(spec.maxSteps ?? 1e9, Math.floor(seconds / t), 3000));
    const rand = seededRandom(B * 7919 + spec.seed);
    const bNoise = m.noiseScale ?? 100;
    const loss = (s: number) => {
      const progress = m.perfectScaling ? (s * B) / 2000 : s / (1 + bNoise / B) / 40;
      return 2 / (1 + progress);
    };
    const steps: StepMetrics[] = [];
    const evals: EvalMetrics[] = [];
    for (let i = 1; i <= n; i++) {
      const st: StepMetrics = {
        step: i,
        epoch: 0,
        samples: i * B,
        loss: loss(i) * (1 + (m.lossNoise ?? 0.03) * gaussian(rand)),
        batchSize: B,
        learningRate: spec.learningRate,
        stepTimeMs: 1000 * t,
        samplesPerSecond: B / t,
        time: i * t,
        peakMemoryBytes: 1e6 + 1e4 * B,
      };
      if (m.evalEvery && i % m.evalEvery === 0) evals.push({ step: i, samples: i * B, time: i * t, valLoss: loss(i) });
      if (!m.finalOnly || i === n) {
        // A final-only script's one record covers the whole run: n steps in n t seconds.
        const rec = m.finalOnly ? { ...st, stepTimeMs: (1000 * n * t) / n } : st;
        steps.push(rec);
        callbacks.onStep?.(rec);
      }
    }
    const result: TrialResult = {
      id: spec.id,
      status: 'ok',
      batchSize: B,
      learningRate: spec.learningRate,
      seed: spec.seed,
      steps,
      evals,
      samplesPerSecond: B / t,
      peakMemoryBytes: 1e6 + 1e4 * B,
      wallSeconds: n * t,
    };
    return result;
  };
  return Object.assign(run, { specs });
}
