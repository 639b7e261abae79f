// The session lifecycle: one running study (or single training trial) at a time. It starts the
// core study engine (or one trial) with the runner the resolver chose, shows progress with Cancel,
// fans its events out (panel, live view, status bar, tree, CodeLens), stops it, and hands the
// finished study to the store. What to run — settings, defaults, the runner — is decided before
// it gets here, by the one resolver (./studyConfig.ts).
import * as vscode from 'vscode';
import type { LockHolder, StudyEvent } from '../core/study/types';
import type { ResolvedStudy, RunnerSpec } from '../core/resolve/types';
import type { Recommendation, StudyPhase, TrialResult, TrialRunner, TrialSpec, TrialSummary } from '../core/types';
import { runnerModule, studyModule } from './coreModules';
import { ConfigCatalog } from './configCatalog';
import { errorMessage, type Host } from './ctx';
import type { StudyStore } from './studyStore';

export type SessionKind = 'tune' | 'train';

export interface Session {
  id: string;
  kind: SessionKind;
  configUri: vscode.Uri;
  label: string;
  phase: StudyPhase;
  progress: number;
  message: string;
  trials: TrialSummary[];
  recommendation?: Recommendation;
  readonly abort: AbortController;
}

export type SessionResult =
  | {
      status: 'completed' | 'stopped' | 'failed';
      reason?: string;
      recommendation?: Recommendation;
      studyFile?: string;
      trial?: TrialSummary;
      /** Refused: another study on this config holds its lock (pid, since when). */
      lockedBy?: LockHolder;
    }
  | { status: 'untrusted'; reason: string }
  | { status: 'busy'; reason: string }
  | { status: 'invalid-config'; reason: string };

export type ServiceEvent =
  { type: 'started'; session: Session } | { type: 'study'; session: Session; event: StudyEvent } | { type: 'ended'; session: Session; result: SessionResult };

export class StudyService implements vscode.Disposable {
  private current: { session: Session; done?: Promise<SessionResult> } | undefined;
  private readonly emitter = new vscode.EventEmitter<ServiceEvent>();
  readonly onDidEvent = this.emitter.event;
  private counter = 0;
  /** Trials of "Train with Batch Size…" runs (not part of a stored study), per config, this session. */
  private readonly adHoc = new Map<string, TrialSummary[]>();

  constructor(
    private readonly host: Host,
    private readonly store: StudyStore,
  ) {}

  get running(): Session | undefined {
    return this.current?.session;
  }

  /** Runs a resolved study. Resolves when it ends (never rejects: the result says what happened). */
  runStudy(configUri: vscode.Uri, study: ResolvedStudy, notify: boolean): Promise<SessionResult> {
    if (this.current) return Promise.resolve(this.busy());
    const session = this.begin('tune', configUri);
    const work = async (): Promise<SessionResult> => {
      try {
        const runner = await this.runner(study.runner);
        const { runStudy } = await studyModule();
        const outcome = await runStudy(study.options, runner, (event) => this.onStudyEvent(session, event), session.abort.signal);
        return {
          status: outcome.status,
          reason: outcome.reason,
          recommendation: outcome.recommendation,
          studyFile: outcome.studyFile,
          ...(outcome.lockedBy ? { lockedBy: outcome.lockedBy } : {}),
        };
      } catch (err) {
        this.host.log.error(`study on ${session.label} failed: ${errorMessage(err)}`);
        return { status: 'failed', reason: errorMessage(err) };
      }
    };
    return this.finish(session, notify ? this.withProgress(session, `Tuning batch size of ${session.label}`, work) : work());
  }

  /** Trains once, streaming metrics like a study trial. */
  runTrial(configUri: vscode.Uri, runnerSpec: RunnerSpec, spec: TrialSpec, notify: boolean): Promise<SessionResult> {
    if (this.current) return Promise.resolve(this.busy());
    const session = this.begin('train', configUri);
    const work = async (): Promise<SessionResult> => {
      try {
        const runner = await this.runner(runnerSpec);
        this.onStudyEvent(session, { type: 'phase', phase: 'convergence', message: `training at batch size ${spec.batchSize}`, progress: 0 });
        this.onStudyEvent(session, {
          type: 'trial-start',
          trialId: spec.id,
          phase: 'convergence',
          batchSize: spec.batchSize,
          learningRate: spec.learningRate,
          seed: spec.seed,
        });
        const result = await runner(
          spec,
          {
            onStep: (metrics) => this.onStudyEvent(session, { type: 'step', trialId: spec.id, phase: 'convergence', metrics }),
            onEval: (metrics) => this.onStudyEvent(session, { type: 'eval', trialId: spec.id, phase: 'convergence', metrics }),
            onLog: (level, message) => this.host.log[level === 'warn' ? 'warn' : level](`[${spec.id}] ${message}`),
            onReady: (info) => this.host.log.info(`[${spec.id}] trainer pid ${info.pid} on ${info.backend} (${info.backendReason})`),
          },
          session.abort.signal,
        );
        return this.trialEnded(session, result);
      } catch (err) {
        return { status: 'failed', reason: errorMessage(err) };
      }
    };
    return this.finish(session, notify ? this.withProgress(session, `Training ${session.label} at batch size ${spec.batchSize}`, work) : work());
  }

  private trialEnded(session: Session, result: TrialResult): SessionResult {
    const { steps, evals, ...rest } = result;
    const trial: TrialSummary = { ...rest, phase: 'convergence', finalLoss: steps.at(-1)?.loss, finalValLoss: evals.at(-1)?.valLoss };
    this.onStudyEvent(session, { type: 'trial-end', trial, series: { steps: [], evals: [] } });
    const key = session.configUri.toString();
    this.adHoc.set(key, [...(this.adHoc.get(key) ?? []), trial].slice(-20));
    const status = result.status === 'ok' ? 'completed' : result.status === 'cancelled' ? 'stopped' : 'failed';
    return { status, reason: result.error?.message, trial };
  }

  /** Single training runs on a config during this session (newest last). */
  adHocTrials(configUri: vscode.Uri): TrialSummary[] {
    return this.adHoc.get(configUri.toString()) ?? [];
  }

  /** Stops the running study or trial; false when nothing runs. */
  stop(): boolean {
    if (!this.current) return false;
    this.host.log.info(`stopping ${this.current.session.kind} on ${this.current.session.label}`);
    this.current.session.abort.abort();
    return true;
  }

  /** Stops what runs and waits until its trials have ended (their process trees killed), at most `timeoutMs`. */
  async stopAndWait(timeoutMs: number): Promise<boolean> {
    const running = this.current;
    if (!running) return true;
    this.stop();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
    const ended = await Promise.race([(running.done ?? Promise.resolve()).then(() => true), timedOut]);
    clearTimeout(timer);
    return ended;
  }

  /** "Already running": says so with a Stop button. */
  busy(): SessionResult {
    const s = this.current?.session;
    const reason = `A ${s?.kind === 'train' ? 'training run' : 'study'} on ${s?.label} is already running. Stop it first (Batch Tuner: Stop).`;
    void vscode.window.showWarningMessage(reason, 'Stop').then((c) => c && this.stop());
    return { status: 'busy', reason };
  }

  private async runner(spec: RunnerSpec): Promise<TrialRunner> {
    if (spec.kind === 'external') this.host.log.info(`trials run: ${spec.command}`);
    const { createRunner } = await runnerModule();
    return createRunner(spec);
  }

  private begin(kind: SessionKind, configUri: vscode.Uri): Session {
    const session: Session = {
      id: `${kind}-${++this.counter}`,
      kind,
      configUri,
      label: ConfigCatalog.label(configUri),
      phase: 'plan',
      progress: 0,
      message: kind === 'tune' ? 'planning' : 'starting',
      trials: [],
      abort: new AbortController(),
    };
    this.current = { session };
    this.host.setContext('batchTuner.studyRunning', true);
    this.emitter.fire({ type: 'started', session });
    return session;
  }

  private onStudyEvent(session: Session, event: StudyEvent): void {
    switch (event.type) {
      case 'phase':
      case 'progress':
        session.phase = event.phase;
        session.progress = event.progress;
        session.message = event.message;
        break;
      case 'trial-end': {
        const t = event.trial;
        session.trials.push(t);
        this.host.log.info(
          `trial ${t.id}: batch ${t.batchSize} ${t.status}${t.samplesPerSecond ? `, ${t.samplesPerSecond.toFixed(0)} samples/s` : ''}${t.error ? ` — ${t.error.message}` : ''}`,
        );
        break;
      }
      case 'recommendation':
        session.recommendation = event.recommendation;
        break;
      case 'warning':
        this.host.log.warn(event.message);
        break;
      case 'plan':
        this.host.log.info(`plan: ${event.plan.summary}`);
        for (const w of event.plan.warnings) this.host.log.warn(w);
        break;
      default:
        break;
    }
    this.emitter.fire({ type: 'study', session, event });
  }

  private finish(session: Session, work: Promise<SessionResult>): Promise<SessionResult> {
    const done = work.then((result) => this.ended(session, result));
    if (this.current?.session === session) this.current.done = done;
    return done;
  }

  private ended(session: Session, result: SessionResult): SessionResult {
    if (this.current?.session === session) this.current = undefined;
    this.host.setContext('batchTuner.studyRunning', false);
    if (result.status === 'completed' && result.recommendation) {
      session.recommendation = result.recommendation;
      this.host.setContext('batchTuner.hasRecommendation', true);
    }
    this.host.setContext('batchTuner.hasStudy', true);
    this.host.log.info(`${session.kind} on ${session.label} ${result.status}${result.reason ? `: ${result.reason}` : ''}`);
    this.store.invalidate();
    this.emitter.fire({ type: 'ended', session, result });
    // A study refused for another one's lock is offered "Run Anyway" by its caller (runs.ts).
    if (result.status === 'failed' && !('lockedBy' in result && result.lockedBy)) {
      const what = session.kind === 'tune' ? 'the study' : 'training';
      void vscode.window
        .showErrorMessage(`Batch Tuner: ${what} on ${session.label} failed: ${result.reason ?? 'see the output'}`, 'Show Output')
        .then((c) => c && this.host.log.show());
    }
    return result;
  }

  private withProgress(session: Session, title: string, work: () => Promise<SessionResult>): Promise<SessionResult> {
    return Promise.resolve(
      vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, async (progress, token) => {
        token.onCancellationRequested(() => this.stop());
        let reported = 0;
        const sub = this.onDidEvent((e) => {
          if (e.session !== session || e.type !== 'study' || (e.event.type !== 'phase' && e.event.type !== 'progress')) return;
          const pct = Math.round(Math.min(1, Math.max(0, e.event.progress)) * 100);
          progress.report({ message: e.event.message, increment: Math.max(0, pct - reported) });
          reported = Math.max(reported, pct);
        });
        try {
          return await work();
        } finally {
          sub.dispose();
        }
      }),
    );
  }

  dispose(): void {
    this.current?.session.abort.abort();
    this.emitter.dispose();
  }
}
