// One running study (or single training trial) at a time. Runs the core study engine with the
// right runner, shows progress with Cancel, and fans its events out to the panel, the live view,
// the status bar, the tree and CodeLens. Studies are stored where the CLI stores them, so a
// study run in a terminal shows up here too.
import * as os from 'node:os';
import * as vscode from 'vscode';
import type { StudyEvent, StudyListEntry, StudyOptions, StudyOutcome, StudyRecord } from '../core/study/types';
import { scaleLearningRate } from '../core/tuner/lrScaling';
import type { BatchScheduleSpec, LrRule, Recommendation, StudyPhase, TrainingConfig, TrialResult, TrialRunner, TrialSummary, TunerSpec } from '../core/types';
import type { PanelSettings } from '../core/webviewProtocol';
import { configModule, runnerModule, studyModule } from './coreModules';
import { isTrainingConfigDocument } from './diagnostics';
import { ConfigCatalog } from './configCatalog';
import { errorMessage, type Ctx } from './ctx';
import { externalCommandFor, parseMemoryLimit, readSettings, resolveLrRule, studyDirectoryFor } from './settings';
import { CONFIG_DEFAULTS } from '../core/config/defaults';
import type { ConfigDiagnostic } from '../core/config/types';
import { ensureTrusted, isWorkspaceTrusted } from './trust';
import { askForTrainingCommand } from './commandPrompt';

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
  | { status: 'completed' | 'stopped' | 'failed'; reason?: string; recommendation?: Recommendation; studyFile?: string; trial?: TrialSummary }
  | { status: 'untrusted'; reason: string }
  | { status: 'busy'; reason: string }
  | { status: 'invalid-config'; reason: string };

export type ServiceEvent =
  | { type: 'started'; session: Session }
  | { type: 'study'; session: Session; event: StudyEvent }
  | { type: 'ended'; session: Session; result: SessionResult };

/** What a study or a training run needs from a config, ours or a user's own. */
interface LoadedForStudy {
  document: vscode.TextDocument;
  /** A Batch Tuner training config (else a user's own config trained by its command). */
  ours: boolean;
  config: TrainingConfig;
  text: string;
  /** The external training command; undefined: the built-in trainer. */
  command?: string;
  currentBatchSize: number;
  currentLearningRate: number;
  optimizer: string;
  datasetSize: number;
  tuner?: TunerSpec;
}

export interface TuneOptions {
  /** The panel's settings (batch-size range, memory limit, budget, lr rule); defaults from the config and settings. */
  settings?: Partial<PanelSettings>;
  /** Show a progress notification with Cancel (default true). */
  notify?: boolean;
}

export interface TrainOptions {
  steps?: number;
  maxSeconds?: number;
  schedule?: BatchScheduleSpec;
  notify?: boolean;
}

/** The settings a study starts with when nothing overrides them: the config's tuner section, then batchTuner.*. */
export function defaultPanelSettings(config: TrainingConfig | undefined, scope: vscode.Uri | undefined): PanelSettings {
  const s = readSettings(scope);
  const t = config?.tuner ?? {};
  const current = config?.batch_size ?? 32;
  const dataset = config ? datasetSizeOf(config) : 8000;
  const memory = parseMemoryLimit(s.memoryLimit) ?? parseMemoryLimit(t.memory_limit) ?? Math.floor(os.totalmem() * 0.8);
  const min = Math.max(1, t.min_batch_size ?? Math.min(8, current));
  const max = Math.max(min, t.max_batch_size ?? Math.min(dataset, Math.max(1024, current * 8)));
  return {
    batchSize: current,
    minBatchSize: min,
    maxBatchSize: max,
    memoryLimitBytes: memory,
    budgetSeconds: t.budget_seconds ?? s.defaultBudgetSeconds,
    lrRule: resolveLrRule(s.lrRule, config?.optimizer, t.lr_rule),
    schedule: config?.batch_schedule,
  };
}

/** Training samples in one epoch, as the built-in trainer will see them. */
export function datasetSizeOf(config: TrainingConfig): number {
  const d = config.data;
  // MNIST validates on its own test digits; synthetic data holds out validation_split of its samples.
  if (d.source === 'mnist') return d.train_samples ?? CONFIG_DEFAULTS.mnist.train_samples;
  if (d.source === 'synthetic') return Math.max(1, Math.floor((d.samples ?? CONFIG_DEFAULTS.synthetic.samples) * (1 - (config.validation_split ?? CONFIG_DEFAULTS.validation_split))));
  // A CSV's length is known only once read: no upper bound here.
  return 1 << 20;
}

export class StudyService implements vscode.Disposable {
  private current: Session | undefined;
  private readonly emitter = new vscode.EventEmitter<ServiceEvent>();
  readonly onDidEvent = this.emitter.event;
  private readonly latestCache = new Map<string, Promise<StudyRecord | undefined>>();
  private readonly studiesChanged = new vscode.EventEmitter<void>();
  /** Fires when stored studies may have changed (a study ended here, or a file was written by the CLI). */
  readonly onDidChangeStudies = this.studiesChanged.event;
  private readonly watchers = new Map<string, vscode.FileSystemWatcher>();
  private invalidateTimer: NodeJS.Timeout | undefined;
  private counter = 0;
  /** Trials of "Train with Batch Size…" runs (not part of a stored study), per config, this session. */
  private readonly adHoc = new Map<string, TrialSummary[]>();

  constructor(private readonly ctx: Ctx) {}

  get running(): Session | undefined {
    return this.current;
  }

  /** Runs a study on a config. Resolves when it ends (never rejects: the outcome says what happened). */
  async tune(configUri: vscode.Uri, options: TuneOptions = {}): Promise<SessionResult> {
    const gate = ensureTrusted('tune a batch size', this.ctx.log);
    if (!gate.allowed) return { status: 'untrusted', reason: gate.message ?? 'untrusted workspace' };
    if (this.current) return this.busy();
    const loaded = await this.load(configUri);
    if ('error' in loaded) return { status: 'invalid-config', reason: loaded.error };
    const session = this.begin('tune', configUri);
    const settings = { ...defaultPanelSettings(loaded.config, configUri), ...options.settings };
    const studyOptions: StudyOptions = {
      configPath: configUri.fsPath,
      config: loaded.config,
      configText: loaded.text,
      currentBatchSize: loaded.currentBatchSize,
      currentLearningRate: loaded.currentLearningRate,
      optimizer: loaded.optimizer,
      datasetSize: loaded.datasetSize,
      budgetSeconds: settings.budgetSeconds,
      minBatchSize: settings.minBatchSize,
      maxBatchSize: settings.maxBatchSize,
      candidates: loaded.tuner?.candidates,
      memoryLimitBytes: settings.memoryLimitBytes,
      lrRule: settings.lrRule,
      targetLoss: loaded.tuner?.target_loss,
      parallel: this.ctx.settings(configUri).maxConcurrentTrials,
      seed: loaded.config.seed,
      outDir: studyDirectoryFor(configUri),
    };
    this.ctx.log.info(`tuning ${session.label}: batch sizes ${settings.minBatchSize}..${settings.maxBatchSize}, budget ${settings.budgetSeconds} s, lr rule ${settings.lrRule}, memory limit ${(settings.memoryLimitBytes / 2 ** 30).toFixed(1)} GiB`);
    const work = async (): Promise<SessionResult> => {
      try {
        const runner = await this.runnerFor(loaded);
        const { runStudy } = await studyModule();
        const outcome: StudyOutcome = await runStudy(studyOptions, runner, (event) => this.onStudyEvent(session, event), session.abort.signal);
        return { status: outcome.status, reason: outcome.reason, recommendation: outcome.recommendation, studyFile: outcome.studyFile };
      } catch (err) {
        this.ctx.log.error(`study on ${session.label} failed: ${errorMessage(err)}`);
        return { status: 'failed', reason: errorMessage(err) };
      }
    };
    const result = await this.finish(session, options.notify === false ? work() : this.withProgress(session, `Tuning batch size of ${session.label}`, work));
    if (options.notify !== false && result.status === 'completed' && result.recommendation) this.announce(configUri, session.label, result.recommendation);
    return result;
  }

  /** The recommendation, with Apply and Open Panel, when a study started from the UI ends. */
  private announce(configUri: vscode.Uri, label: string, rec: Recommendation): void {
    const same = rec.batchSize === rec.current.batchSize;
    const text = same
      ? `Batch Tuner: ${label} already uses the recommended batch size ${rec.batchSize}.`
      : `Batch Tuner: batch size ${rec.batchSize} (learning rate ${rec.learningRate.toPrecision(3)}) is recommended for ${label}${rec.speedupVsCurrent !== undefined ? `: ${rec.speedupVsCurrent.toFixed(1)}x faster to the target loss than ${rec.current.batchSize}` : ' (it rests on an assumption, so no speed-up is given)'}.`;
    const actions = same ? ['Open Panel'] : ['Apply', 'Open Panel'];
    void vscode.window.showInformationMessage(text, ...actions).then((choice) => {
      if (choice === 'Apply') void vscode.commands.executeCommand('batchTuner.applyRecommendation', configUri);
      else if (choice === 'Open Panel') void vscode.commands.executeCommand('batchTuner.openPanel', configUri);
    });
  }

  /** Trains once at one batch size (learning rate scaled by the rule), streaming metrics like a study trial. */
  async train(configUri: vscode.Uri, batchSize: number, options: TrainOptions = {}): Promise<SessionResult> {
    const gate = ensureTrusted('train', this.ctx.log);
    if (!gate.allowed) return { status: 'untrusted', reason: gate.message ?? 'untrusted workspace' };
    if (this.current) return this.busy();
    if (!Number.isInteger(batchSize) || batchSize < 1) return { status: 'invalid-config', reason: `batch size must be a positive integer (got ${batchSize})` };
    const loaded = await this.load(configUri);
    if ('error' in loaded) return { status: 'invalid-config', reason: loaded.error };
    const session = this.begin('train', configUri);
    const c = loaded.config;
    const rule: LrRule = defaultPanelSettings(c, configUri).lrRule;
    const learningRate = scaleLearningRate(loaded.currentLearningRate, loaded.currentBatchSize, batchSize, rule);
    const trialId = `train-${batchSize}-${Date.now().toString(36)}`;
    const work = async (): Promise<SessionResult> => {
      try {
        const runner = await this.runnerFor(loaded);
        this.onStudyEvent(session, { type: 'phase', phase: 'convergence', message: `training at batch size ${batchSize}`, progress: 0 });
        this.onStudyEvent(session, { type: 'trial-start', trialId, phase: 'convergence', batchSize, learningRate, seed: c.seed ?? 0 });
        const result: TrialResult = await runner(
          {
            id: trialId,
            configPath: configUri.fsPath,
            config: c,
            batchSize,
            learningRate,
            seed: c.seed ?? 0,
            maxSteps: options.steps,
            maxSeconds: options.maxSeconds,
            hangTimeoutMs: this.ctx.settings(configUri).trialTimeoutSeconds * 1000,
            schedule: options.schedule,
          },
          {
            onStep: (metrics) => this.onStudyEvent(session, { type: 'step', trialId, phase: 'convergence', metrics }),
            onEval: (metrics) => this.onStudyEvent(session, { type: 'eval', trialId, phase: 'convergence', metrics }),
            onLog: (level, message) => this.ctx.log[level === 'warn' ? 'warn' : level](`[${trialId}] ${message}`),
            onReady: (info) => this.ctx.log.info(`[${trialId}] trainer pid ${info.pid} on ${info.backend} (${info.backendReason})`),
          },
          session.abort.signal,
        );
        const { steps, evals, ...rest } = result;
        const trial: TrialSummary = {
          ...rest,
          phase: 'convergence',
          finalLoss: steps.at(-1)?.loss,
          finalValLoss: evals.at(-1)?.valLoss,
        };
        this.onStudyEvent(session, { type: 'trial-end', trial, series: { steps: [], evals: [] } });
        const list = this.adHoc.get(configUri.toString()) ?? [];
        list.push(trial);
        this.adHoc.set(configUri.toString(), list.slice(-20));
        const status = result.status === 'ok' ? 'completed' : result.status === 'cancelled' ? 'stopped' : 'failed';
        return { status, reason: result.error?.message, trial };
      } catch (err) {
        return { status: 'failed', reason: errorMessage(err) };
      }
    };
    return this.finish(session, options.notify === false ? work() : this.withProgress(session, `Training ${session.label} at batch size ${batchSize}`, work));
  }

  /** Single training runs on a config during this session (newest last). */
  adHocTrials(configUri: vscode.Uri): TrialSummary[] {
    return this.adHoc.get(configUri.toString()) ?? [];
  }

  /** Stops the running study or trial; false when nothing runs. */
  stop(): boolean {
    if (!this.current) return false;
    this.ctx.log.info(`stopping ${this.current.kind} on ${this.current.label}`);
    this.current.abort.abort();
    return true;
  }

  /** The newest stored study for a config (from the study directory; the CLI writes the same files). */
  latestStudy(configUri: vscode.Uri): Promise<StudyRecord | undefined> {
    const key = configUri.fsPath;
    let p = this.latestCache.get(key);
    if (!p) {
      p = this.readLatest(configUri);
      this.latestCache.set(key, p);
    }
    return p;
  }

  /** Stored studies of a config (or of every config in the study directory), newest first. */
  async listStudies(configUri?: vscode.Uri): Promise<StudyListEntry[]> {
    const dir = studyDirectoryFor(configUri);
    if (!dir) return [];
    this.watch(dir);
    try {
      const { listStudies } = await studyModule();
      const all = await listStudies(dir);
      return (configUri ? all.filter((s) => samePath(s.configPath, configUri.fsPath)) : all).sort((a, b) => b.startedAt.localeCompare(a.startedAt));
    } catch (err) {
      this.ctx.log.warn(`could not list studies in ${dir}: ${errorMessage(err)}`);
      return [];
    }
  }

  async readStudy(file: string): Promise<StudyRecord> {
    const { readStudy } = await studyModule();
    return readStudy(file);
  }

  private async readLatest(configUri: vscode.Uri): Promise<StudyRecord | undefined> {
    const dir = studyDirectoryFor(configUri);
    if (!dir) return undefined;
    this.watch(dir);
    try {
      const { latestStudyFor } = await studyModule();
      return await latestStudyFor(dir, configUri.fsPath);
    } catch (err) {
      this.ctx.log.debug(`no stored study for ${configUri.fsPath}: ${errorMessage(err)}`);
      return undefined;
    }
  }

  /** Watches a study directory (once), so studies written by the CLI show up without a reload. */
  private watch(dir: string): void {
    if (this.watchers.has(dir)) return;
    const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(dir), '*.jsonl'));
    const changed = () => {
      // A running study appends a line per event: coalesce into one refresh.
      clearTimeout(this.invalidateTimer);
      this.invalidateTimer = setTimeout(() => this.invalidate(), 300);
    };
    watcher.onDidCreate(changed);
    watcher.onDidChange(changed);
    watcher.onDidDelete(changed);
    this.watchers.set(dir, watcher);
  }

  private invalidate(): void {
    this.latestCache.clear();
    this.studiesChanged.fire();
  }

  private busy(): SessionResult {
    const reason = `A ${this.current?.kind === 'train' ? 'training run' : 'study'} on ${this.current?.label} is already running. Stop it first (Batch Tuner: Stop).`;
    void vscode.window.showWarningMessage(reason, 'Stop').then((c) => c && this.stop());
    return { status: 'busy', reason };
  }

  /**
   * Reads what a study needs from a config: ours (schema-checked), or a user's own config with a
   * training command (a batchTuner.commands entry or its tuner.command), read by the runner's
   * external-config reader. Problems are shown with file:line:col and what to do.
   */
  private async load(configUri: vscode.Uri): Promise<LoadedForStudy | { error: string }> {
    const rel = vscode.workspace.asRelativePath(configUri);
    try {
      const document = await vscode.workspace.openTextDocument(configUri);
      const text = document.getText();
      const settings = this.ctx.settings(configUri);
      const { parseTrainingConfig } = await configModule();
      const parsed = parseTrainingConfig(text, document.fileName);
      const command = externalCommandFor(document, settings) ?? (parsed.config ? parsed.config.tuner?.command : undefined);
      const errors = parsed.diagnostics.filter((d: ConfigDiagnostic) => d.severity === 'error');
      if (parsed.config && errors.length === 0) {
        const c = parsed.config;
        return { document, ours: true, config: c, text, command, currentBatchSize: c.batch_size, currentLearningRate: c.optimizer.learning_rate, optimizer: c.optimizer.name, datasetSize: datasetSizeOf(c), tuner: c.tuner };
      }
      const isOurs = await isTrainingConfigDocument(document);
      if (!isOurs) {
        // A user's own config (a DeepSpeed JSON, a Hydra YAML, a Python script): its own command trains it.
        const { loadExternalConfig } = await runnerModule();
        const ext = loadExternalConfig(configUri.fsPath);
        // The first time: ask for the command (only in a trusted workspace: it will run) and remember it.
        let cmd = externalCommandFor(document, settings) ?? ext.command;
        const asked = !cmd && isWorkspaceTrusted();
        if (asked) cmd = await askForTrainingCommand(this.ctx, configUri);
        if (!cmd) {
          if (asked) return this.decline(`${rel} is not a Batch Tuner training config and has no training command, so nothing was run. Give one when asked, or add one under "batchTuner.commands" in the settings or a tuner.command key in the config.`);
          return this.refuse(
            `${rel} is not a Batch Tuner training config and has no training command. Add one under "batchTuner.commands" in the settings (e.g. {"**/${vscode.workspace.asRelativePath(configUri).split('/').pop()}": "\${python} train.py --config \${config}"}) or a tuner.command key in the config.`,
            document,
          );
        }
        const lr = ext.learningRate ?? 1e-3;
        return {
          document,
          ours: false,
          // The external command reads its own config; trials carry this only as their TrialSpec's config.
          config: { model: { type: 'linear' }, data: { source: 'synthetic', task: 'regression', samples: ext.datasetSize ?? 1 << 20 }, optimizer: { name: 'sgd', learning_rate: lr }, batch_size: ext.batchSize, tuner: ext.tuner },
          text,
          command: cmd,
          currentBatchSize: ext.batchSize,
          currentLearningRate: lr,
          optimizer: 'unknown',
          datasetSize: ext.datasetSize ?? 1 << 20,
          tuner: ext.tuner,
        };
      }
      const first = errors[0];
      const where = first ? `${rel}:${first.line}:${first.column}: ${first.message}` : `${rel}: not a valid training config`;
      return this.refuse(`${where}${errors.length > 1 ? ` (and ${errors.length - 1} more problem(s), see the Problems view)` : ''}. Fix the config and try again.`, document, first && new vscode.Range(first.line - 1, first.column - 1, first.endLine - 1, first.endColumn - 1));
    } catch (err) {
      return this.refuse(`cannot use ${rel}: ${errorMessage(err)}`);
    }
  }

  /** The person dismissed a prompt: say so quietly (no error). */
  private decline(reason: string): { error: string } {
    this.ctx.log.info(reason);
    void vscode.window.showInformationMessage(`Batch Tuner: ${reason}`);
    return { error: reason };
  }

  private refuse(error: string, document?: vscode.TextDocument, selection?: vscode.Range): { error: string } {
    this.ctx.log.error(error);
    void vscode.window.showErrorMessage(`Batch Tuner: ${error}`, ...(document ? ['Open Config'] : [])).then((c) => {
      if (c && document) void vscode.window.showTextDocument(document, { selection });
    });
    return { error };
  }

  /** The built-in trainer (a child process), or the user's training command. */
  private async runnerFor(loaded: LoadedForStudy): Promise<TrialRunner> {
    const settings = this.ctx.settings(loaded.document.uri);
    if (loaded.command) this.ctx.log.info(`trials run: ${loaded.command}`);
    const { createRunnerFor } = await runnerModule();
    return createRunnerFor(
      { file: loaded.document.uri.fsPath, config: loaded.ours ? loaded.config : undefined, command: loaded.command, shell: loaded.tuner?.shell },
      {
        pythonPath: settings.pythonPath || undefined,
        workspaceFolder: vscode.workspace.getWorkspaceFolder(loaded.document.uri)?.uri.fsPath,
        hangTimeoutMs: loaded.tuner?.timeout_seconds ? undefined : settings.trialTimeoutSeconds * 1000,
      },
    );
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
    this.current = session;
    this.ctx.setContext('batchTuner.studyRunning', true);
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
      case 'trial-end':
        session.trials.push(event.trial);
        this.ctx.log.info(`trial ${event.trial.id}: batch ${event.trial.batchSize} ${event.trial.status}${event.trial.samplesPerSecond ? `, ${event.trial.samplesPerSecond.toFixed(0)} samples/s` : ''}${event.trial.error ? ` — ${event.trial.error.message}` : ''}`);
        break;
      case 'recommendation':
        session.recommendation = event.recommendation;
        break;
      case 'warning':
        this.ctx.log.warn(event.message);
        break;
      case 'plan':
        this.ctx.log.info(`plan: ${event.plan.summary}`);
        for (const w of event.plan.warnings) this.ctx.log.warn(w);
        break;
      default:
        break;
    }
    this.emitter.fire({ type: 'study', session, event });
  }

  private async finish(session: Session, work: Promise<SessionResult>): Promise<SessionResult> {
    const result = await work;
    if (this.current === session) this.current = undefined;
    this.ctx.setContext('batchTuner.studyRunning', false);
    if (result.status === 'completed' && 'recommendation' in result && result.recommendation) {
      session.recommendation = result.recommendation;
      this.ctx.setContext('batchTuner.hasRecommendation', true);
    }
    this.ctx.setContext('batchTuner.hasStudy', true);
    this.ctx.log.info(`${session.kind} on ${session.label} ${result.status}${'reason' in result && result.reason ? `: ${result.reason}` : ''}`);
    this.invalidate();
    this.emitter.fire({ type: 'ended', session, result });
    if (result.status === 'failed') {
      void vscode.window.showErrorMessage(`Batch Tuner: ${session.kind === 'tune' ? 'the study' : 'training'} on ${session.label} failed: ${result.reason ?? 'see the output'}`, 'Show Output').then((c) => c && this.ctx.log.show());
    }
    return result;
  }

  private withProgress(session: Session, title: string, work: () => Promise<SessionResult>): Promise<SessionResult> {
    return Promise.resolve(
      vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, async (progress, token) => {
        token.onCancellationRequested(() => this.stop());
        let reported = 0;
        const sub = this.onDidEvent((e) => {
          if (e.session !== session || e.type !== 'study') return;
          if (e.event.type === 'phase' || e.event.type === 'progress') {
            const pct = Math.round(Math.min(1, Math.max(0, e.event.progress)) * 100);
            progress.report({ message: e.event.message, increment: Math.max(0, pct - reported) });
            reported = Math.max(reported, pct);
          }
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
    this.current?.abort.abort();
    clearTimeout(this.invalidateTimer);
    this.watchers.forEach((w) => w.dispose());
    this.emitter.dispose();
    this.studiesChanged.dispose();
  }
}

function samePath(a: string, b: string): boolean {
  return process.platform === 'win32' || process.platform === 'darwin' ? a.toLowerCase() === b.toLowerCase() : a === b;
}
