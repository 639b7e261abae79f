// Runs a trial as the user's own training command (PyTorch or anything else) and turns what it
// reports through the metrics protocol — plus what the runner measures itself: wall time per
// step, process-tree RSS, GPU memory — into the same TrialResult the TensorFlow.js trainer gives.
// The process is supervised by TrialProcess (as the trainer's is); this file prepares the trial
// (config copy, temp folder, schedule, command line) and reads what comes back.
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { StepMetrics, TrialCallbacks, TrialError, TrialResult, TrialRunner, TrialSpec, TrialStatus, TunerSpec } from '../types';
import { CheckpointLog, missingCheckpointWarning } from './checkpoints';
import { CommandTemplateError, resolveCommand, type ResolvedCommand } from './commandTemplate';
import { defaultPython, findProgram, globalBatchSplit, placeholderValues, trialEnvironment, type TrialFiles } from './externalCommand';
import { loadExternalConfig, writeTrialConfig, type TrialConfigCopy } from './externalConfig';
import { configCopyId, makeTrialTempDir } from './leftovers';
import { MetricsFileTail } from './metricsFileTail';
import { MetricsNormaliser } from './metricsNormaliser';
import { LineSplitter } from './boundedBuffers';
import { parseMetricsLine } from './metricsProtocol';
import { ScheduleDriver, scheduleBaseFor, trialSchedule } from './scheduleDriver';
import { buildTrialResult, classifyEnd, spawnFailureMessage, type Outcome } from './trialOutcome';
import { maxSecondsBackstop, TrialProcess, type ProcessEnd } from './trialProcess';
import { onHostExit, superviseTrial } from './trialRegistry';
import type { TrialLaunch, TrialLauncher } from './trialLauncher';

export { defaultPython, findReporterDir } from './externalCommand';

export interface ExternalRunnerOptions {
  /** Command template, e.g. `${python} train.py --config ${config} --max-steps ${steps}`. */
  command: string;
  /** Run the command through /bin/sh (or cmd.exe) instead of spawning argv directly. */
  shell?: boolean;
  /** Interpreter for ${python} (the batchTuner.pythonPath setting). */
  pythonPath?: string;
  workspaceFolder?: string;
  /** Kill a trial that writes nothing for this long (default 120 s: importing torch can be slow). */
  hangTimeoutMs?: number;
  /** Base environment (default process.env); BATCH_TUNER_* are added to it. */
  env?: NodeJS.ProcessEnv;
  /** Time between SIGTERM and SIGKILL when stopping (default 1000 ms). */
  killGraceMs?: number;
  /** How long a script may run on after reporting the last requested step (final eval, saving; default 20 s). */
  afterLastStepGraceMs?: number;
  /** Data-parallel workers of a trial whose spec does not say (default 1). */
  worldSize?: number;
  /** Runs the command somewhere else (a Slurm job: slurm.ts); default: on this machine. */
  launcher?: TrialLauncher;
}

const DEFAULT_HANG_TIMEOUT_MS = 120_000;
const DEFAULT_KILL_GRACE_MS = 1000;
/** After the script reported its last requested step, how long it may take to finish (final eval, saving). */
const AFTER_LAST_STEP_GRACE_MS = 20_000;

export function createExternalRunner(opts: ExternalRunnerOptions): TrialRunner {
  return (spec, callbacks, signal) =>
    superviseTrial(signal, (s) => new ExternalTrial(opts, { ...spec, worldSize: spec.worldSize ?? opts.worldSize }, callbacks, s).run());
}

/** Everything needed to start the script. */
interface Prepared {
  command: ResolvedCommand;
  cwd: string;
  env: NodeJS.ProcessEnv;
  metricsFile: string;
  /** Where the command runs when not on this machine. */
  launch?: TrialLaunch;
}

class ExternalTrial {
  private readonly startedMs = Date.now();
  private readonly warnings: string[] = [];
  private readonly warned = new Set<string>();
  private readonly checkpoints: CheckpointLog;
  private copy?: TrialConfigCopy;
  private tempDir?: string;
  /** Runs the trial's batch schedule and writes the control file the script polls (none: constant). */
  private schedule?: ScheduleDriver;
  private proc?: TrialProcess;
  private command?: ResolvedCommand;
  private lastStepTimer?: NodeJS.Timeout;
  private launched?: TrialLaunch;

  constructor(
    private readonly opts: ExternalRunnerOptions,
    private readonly spec: TrialSpec,
    private readonly cb: TrialCallbacks,
    private readonly signal: AbortSignal,
  ) {
    this.checkpoints = new CheckpointLog(cb);
  }

  async run(): Promise<TrialResult> {
    if (this.signal.aborted) return this.failure('cancelled', { kind: 'cancelled', message: 'the trial was stopped before it started' });
    // If this process exits mid-trial, the config copy and the temp folder go with it.
    const unregister = onHostExit(() => this.removeFiles());
    try {
      const prepared = await this.prepare();
      return 'status' in prepared ? prepared : await this.watch(prepared);
    } finally {
      await this.schedule?.close();
      this.removeFiles();
      unregister();
    }
  }

  private removeFiles(): void {
    this.copy?.remove();
    if (this.tempDir) rmSync(this.tempDir, { recursive: true, force: true });
  }

  private get base(): NodeJS.ProcessEnv {
    return this.opts.env ?? process.env;
  }

  /** The config copy, the temp folder (metrics, control file, scratch checkpoint) and the command line. */
  private async prepare(): Promise<Prepared | TrialResult> {
    const config = (message: string) => this.failure('failed', { kind: 'config', message });
    const split = globalBatchSplit(this.spec);
    if ('error' in split) return config(split.error);
    try {
      this.copy = writeTrialConfig(this.spec.configPath, this.spec.batchSize, this.spec.learningRate, configCopyId(this.spec.id), split);
    } catch (e) {
      return config(e instanceof Error ? e.message : String(e));
    }
    this.warnings.push(...this.copy.warnings);
    this.tempDir = makeTrialTempDir();
    const id = safeName(this.spec.id);
    const metricsFile = join(this.tempDir, `metrics-${id}.jsonl`);
    writeFileSync(metricsFile, '');
    try {
      this.schedule = this.startSchedule(join(this.tempDir, `control-${id}.json`));
    } catch (e) {
      return config(e instanceof Error ? e.message : String(e));
    }
    await this.schedule?.flush(); // the first step's command (e.g. a ramp's `from`) is on disk before the script starts
    const files: TrialFiles = {
      config: this.copy.path,
      metrics: metricsFile,
      checkpoint: this.spec.checkpointPath ?? join(this.tempDir, `checkpoint-${id}`),
      ...(this.schedule ? { control: this.schedule.controlPath } : {}),
    };
    const python = defaultPython(this.opts.pythonPath, this.base);
    let command: ResolvedCommand;
    try {
      const values = placeholderValues(this.spec, files, split, python, this.opts.workspaceFolder);
      command = resolveCommand(this.opts.command, values, { shell: this.opts.shell, env: this.base });
    } catch (e) {
      if (e instanceof CommandTemplateError) return config(`tuner.command: ${e.message}`);
      throw e;
    }
    const cwd = dirname(this.spec.configPath);
    if (!existsSync(cwd)) return config(`the config's folder ${cwd} does not exist: check the config path`);
    const env = trialEnvironment(this.base, this.spec, files, split, python);
    this.command = command;
    const program = findProgram(command.file, cwd, env);
    if ('error' in program) return this.spawnFailure(command, program.error);
    const launch = await this.opts.launcher?.(this.spec, command, env, split, this.signal);
    if (launch && 'error' in launch) return this.failure('failed', { kind: 'spawn', message: launch.error });
    return { command, cwd, env, metricsFile, ...(launch ? { launch } : {}) };
  }

  private startSchedule(controlPath: string): ScheduleDriver | undefined {
    const schedule = trialSchedule(this.spec);
    if (!schedule) return undefined;
    let ext: { tuner?: TunerSpec; datasetSize?: number } = {};
    try {
      const c = loadExternalConfig(this.spec.configPath);
      ext = { tuner: c.tuner, datasetSize: c.datasetSize };
    } catch {
      // Not a config we can read: no dataset size, the spec's tuner section only.
    }
    return new ScheduleDriver(schedule, scheduleBaseFor(this.spec, ext), {
      controlPath,
      start: { batchSize: this.spec.batchSize, learningRate: this.spec.learningRate },
      onWarning: (m) => this.warn(m),
    });
  }

  /** Runs the script, reading its output and metrics file, until it and everything it started have ended. */
  private async watch(p: Prepared): Promise<TrialResult> {
    const norm = new MetricsNormaliser({
      spec: this.spec,
      callbacks: this.cb,
      startedMs: this.startedMs,
      resources: () => this.proc?.sampler?.latest,
      warn: (m) => this.warn(m),
      onStepMeasured: (m) => this.onStep(m),
      onCheckpoint: (c) => this.checkpoints.add({ ...c, path: resolve(p.cwd, c.path) }),
    });
    const launch = p.launch;
    const proc = new TrialProcess({
      file: launch?.file ?? p.command.file,
      args: launch?.args ?? p.command.args,
      cwd: p.cwd,
      env: launch?.env ?? p.env,
      hangMs: this.spec.hangTimeoutMs ?? this.opts.hangTimeoutMs ?? DEFAULT_HANG_TIMEOUT_MS,
      ...maxSecondsBackstop(this.spec, 'the script', 'BATCH_TUNER_MAX_SECONDS'),
      graceMs: this.opts.killGraceMs ?? DEFAULT_KILL_GRACE_MS,
      // A job's processes are not this process's descendants: their memory is what the script reports.
      sampleResources: !launch,
      signal: this.signal,
      onSpawn: (pid) => {
        this.cb.onReady?.({ backend: 'external', backendReason: `external command: ${p.command.display}`, pid });
        launch?.started({ alive: () => proc.alive(), stop: (r) => proc.stop(r), warn: (m) => this.warn(m) });
      },
      onStdout: (line, truncated) => norm.outputLine(line, 'stdout', truncated),
      onStderr: (line, truncated) => norm.outputLine(line, 'stderr', truncated),
    });
    this.proc = proc;
    const fileLines = new LineSplitter((line, truncated) => norm.protocolLine(parseMetricsLine(line), 'metrics file', truncated, line));
    const tail = new MetricsFileTail(p.metricsFile, (text) => {
      proc.alive();
      fileLines.push(text);
    });
    tail.start();
    const end = await proc.run();
    if (this.lastStepTimer) clearTimeout(this.lastStepTimer);
    await tail.stop();
    fileLines.flush();
    if (end.spawnError) return this.spawnFailure(p.command, end.spawnError);
    if (end.survivors.length) this.warn(`processes ${end.survivors.join(', ')} of the trial were still alive after it ended and could not be killed`);
    const local = this.outcome(end, norm, p.command);
    this.launched = launch;
    return this.result(launch ? await launch.finished(end, local) : local, norm);
  }

  private outcome(end: ProcessEnd, norm: MetricsNormaliser, command: ResolvedCommand): Outcome {
    return classifyEnd(this.spec, end, {
      who: 'the training command',
      ...(norm.reportedOom ? { reported: { kind: 'oom', message: norm.reportedOom } } : {}),
      finished: false, // a `done` record is a courtesy: what counts is what was measured
      completed: norm.steps.length > 0,
      oomLine: norm.oomText.line,
      hangMessage: (s) =>
        `no output from "${command.display}" for ${Math.round(s)} s: killed it. If the script is just slow to start, raise tuner.timeout_seconds`,
      incompleteMessage: `the training command exited without reporting a step: report with the batch_tuner Python package (Reporter.step; docs/python.md) or print lines like "loss: 0.5" (command: ${command.display})`,
    });
  }

  private onStep(m: StepMetrics): void {
    this.schedule?.onStep(m);
    // A script that ignores ${steps} is stopped (politely) a while after the last requested step.
    const max = this.spec.maxSteps;
    if (max === undefined || m.step < max || this.lastStepTimer) return;
    this.lastStepTimer = setTimeout(() => {
      this.warn(`the script kept running after step ${max} (BATCH_TUNER_STEPS / \${steps}): stopped it; pass \${steps} to its step limit`);
      this.proc?.stop({ kind: 'limit', message: 'stopped after the last requested step' });
    }, this.opts.afterLastStepGraceMs ?? AFTER_LAST_STEP_GRACE_MS);
    this.lastStepTimer.unref();
  }

  private warn(message: string): void {
    if (this.warned.has(message)) return;
    this.warned.add(message);
    this.warnings.push(message);
    this.cb.onLog?.('warn', message);
  }

  private spawnFailure(command: ResolvedCommand, e: NodeJS.ErrnoException): TrialResult {
    const what = spawnFailureMessage(`the training command "${command.program}"`, e, '');
    return this.failure('failed', { kind: 'spawn', message: `${what} (command: ${command.display}): install it or set batchTuner.pythonPath / tuner.command` });
  }

  private failure(status: TrialStatus, error: TrialError): TrialResult {
    return this.result({ status, error });
  }

  private result(outcome: Outcome, norm?: MetricsNormaliser): TrialResult {
    if (norm && this.command) {
      const missing = missingCheckpointWarning(
        this.spec,
        outcome.status,
        `the training command "${this.command.display}"`,
        '${checkpoint} / BATCH_TUNER_CHECKPOINT',
      );
      if (missing) this.warn(missing);
    }
    const warnings = [...this.warnings, ...(norm?.warnings() ?? [])];
    const dropped = this.checkpoints.warning();
    if (dropped) warnings.push(dropped);
    const sampler = this.proc?.sampler;
    const peak = Math.max(norm?.peakReportedBytes ?? 0, sampler?.peakGpuBytes ?? 0);
    const start = norm?.startRecord;
    return buildTrialResult(this.spec, outcome, {
      steps: norm?.steps ?? [],
      evals: norm?.evals ?? [],
      warnings,
      checkpoints: this.checkpoints.all,
      backend: start?.backend ?? 'external',
      backendReason: `${this.launched ? this.launched.describe() : 'external command'}${start?.device ? ` on ${start.device}` : ''}`,
      peakMemoryBytes: peak > 0 ? peak : (sampler?.peakRssBytes ?? this.launched?.peakMemoryBytes()) || undefined,
      startedMs: this.startedMs,
    });
  }
}

function safeName(id: string): string {
  return id.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 80) || 'trial';
}
