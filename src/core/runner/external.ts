// Runs a trial as the user's own training command (PyTorch or anything else) and turns what it
// reports through the metrics protocol — plus what the runner measures itself: wall time per
// step, process-tree RSS, GPU memory — into the same TrialResult the TensorFlow.js trainer gives.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readSync, rmSync, statSync, watch, writeFileSync, type FSWatcher } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import type { EvalMetrics, StepMetrics, TrialCallbacks, TrialError, TrialResult, TrialRunner, TrialSpec, TrialStatus, TunerSpec } from '../types';
import { DEFAULT_WARMUP_STEPS, summarizeThroughput } from '../tuner/throughput';
import { CommandTemplateError, resolveCommand, type ResolvedCommand } from './commandTemplate';
import { loadExternalConfig, writeTrialConfig, type TrialConfigCopy } from './externalConfig';
import {
  BoundedHistory,
  LineSplitter,
  MalformedCounter,
  TailBuffer,
  parseLogLine,
  parseMetricsLine,
  parseStdoutLine,
  preview,
  type MetricsRecord,
  type ParsedLine,
} from './metricsProtocol';
import { livePids, ResourceSampler } from './resources';
import { killProcessTree } from './processTree';
import { CONTROL_ENV, ScheduleDriver, scheduleBaseFor, trialSchedule } from './scheduleDriver';

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
}

const DEFAULT_HANG_TIMEOUT_MS = 120_000;
/** After the script reported its last requested step, how long it may take to finish (final eval, saving). */
const AFTER_LAST_STEP_GRACE_MS = 20_000;
const MAX_LOG_LINES = 2000;
const OOM_TEXT = /CUDA out of memory|OutOfMemoryError|out of memory|std::bad_alloc|MemoryError|Cannot allocate memory/i;

/**
 * The interpreter behind ${python}: the configured one (batchTuner.pythonPath), else env
 * BATCH_TUNER_PYTHON (for the CLI), else /usr/bin/python3 when present, else `python3`.
 */
export function defaultPython(pythonPath?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (pythonPath && pythonPath.trim()) return pythonPath.trim();
  if (env.BATCH_TUNER_PYTHON?.trim()) return env.BATCH_TUNER_PYTHON.trim();
  if (process.platform === 'win32') return 'python';
  return existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
}

/** The folder holding python/batch_tuner.py (next to dist/ or src/), so scripts can `import batch_tuner`. */
export function findReporterDir(): string | undefined {
  let dir = __dirname;
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'python', 'batch_tuner.py'))) return join(dir, 'python');
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return undefined;
}

/**
 * Trials run in their own process groups (so a stop reaches the whole tree), which also means
 * they would outlive this process: when it exits (the extension host, the CLI on Ctrl+C), kill them.
 */
const activeGroups = new Set<number>();
let exitHookInstalled = false;
function trackGroup(pid: number): void {
  activeGroups.add(pid);
  if (exitHookInstalled || process.platform === 'win32') return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const g of activeGroups) signalPid(-g, 'SIGKILL');
  });
}

export function createExternalRunner(opts: ExternalRunnerOptions): TrialRunner {
  return (spec, callbacks, signal) => new ExternalTrial(opts, spec, callbacks, signal).run();
}

type EndReason = { kind: 'exit' } | { kind: 'cancelled' } | { kind: 'hang'; ms: number } | { kind: 'limit'; message: string };

class ExternalTrial {
  private readonly started = Date.now();
  private readonly warnings: string[] = [];
  private readonly warned = new Set<string>();
  private readonly malformed = new MalformedCounter();
  private readonly stderrTail = new TailBuffer(40);
  private readonly steps = new BoundedHistory<StepMetrics>(5000);
  private readonly fallbackSteps = new BoundedHistory<StepMetrics>(5000);
  private readonly evals = new BoundedHistory<EvalMetrics>(2000);
  private protocolSeen = false;
  private lastProtocol?: { step: number; samples: number; clock: number; hostMs: number };
  private lastFallback?: { step: number; samples: number; hostMs: number; lines: number };
  private fallbackStepGuessed = false;
  private peakReportedBytes = 0;
  private peakStepMemory = 0;
  private oom?: { message: string };
  private oomText?: string;
  private startRecord?: Extract<MetricsRecord, { type: 'start' }>;
  private logLines = 0;
  private child?: ChildProcess;
  private sampler?: ResourceSampler;
  /** Runs the trial's batch schedule and writes the control file the script polls (none: constant). */
  private schedule?: ScheduleDriver;
  private endReason?: EndReason;
  private killedByUs = false;
  private hangTimer?: NodeJS.Timeout;
  private lastStepTimer?: NodeJS.Timeout;
  private limitTimer?: NodeJS.Timeout;
  private readonly hangMs: number;

  constructor(
    private readonly opts: ExternalRunnerOptions,
    private readonly spec: TrialSpec,
    private readonly cb: TrialCallbacks,
    private readonly signal?: AbortSignal,
  ) {
    this.hangMs = spec.hangTimeoutMs ?? opts.hangTimeoutMs ?? DEFAULT_HANG_TIMEOUT_MS;
  }

  async run(): Promise<TrialResult> {
    if (this.signal?.aborted) return this.result('cancelled', { kind: 'cancelled', message: 'the trial was stopped before it started' });
    let copy: TrialConfigCopy | undefined;
    let metricsDir: string | undefined;
    try {
      try {
        copy = writeTrialConfig(this.spec.configPath, this.spec.batchSize, this.spec.learningRate, this.spec.id);
      } catch (e) {
        return this.result('failed', { kind: 'config', message: e instanceof Error ? e.message : String(e) });
      }
      this.warnings.push(...copy.warnings);
      metricsDir = mkdtempSync(join(tmpdir(), 'batch-tuner-'));
      const metricsFile = join(metricsDir, `metrics-${safeName(this.spec.id)}.jsonl`);
      writeFileSync(metricsFile, '');
      try {
        this.schedule = this.startSchedule(join(metricsDir, `control-${safeName(this.spec.id)}.json`));
      } catch (e) {
        return this.result('failed', { kind: 'config', message: e instanceof Error ? e.message : String(e) });
      }
      await this.schedule?.flush(); // the first step's command (e.g. a ramp's `from`) is on disk before the script starts
      const python = defaultPython(this.opts.pythonPath, this.opts.env ?? process.env);
      let command: ResolvedCommand;
      try {
        command = resolveCommand(
          this.opts.command,
          {
            config: copy.path,
            batchSize: this.spec.batchSize,
            learningRate: this.spec.learningRate,
            steps: this.spec.maxSteps,
            seed: this.spec.seed,
            workspaceFolder: this.opts.workspaceFolder,
            python,
            trialId: this.spec.id,
            metrics: metricsFile,
          },
          { shell: this.opts.shell, env: this.opts.env ?? process.env },
        );
      } catch (e) {
        if (e instanceof CommandTemplateError) return this.result('failed', { kind: 'config', message: `tuner.command: ${e.message}` });
        throw e;
      }
      const cwd = dirname(this.spec.configPath);
      if (!existsSync(cwd)) return this.result('failed', { kind: 'config', message: `the config's folder ${cwd} does not exist: check the config path` });
      return await this.spawnAndWatch(command, cwd, this.environment(copy.path, metricsFile, python), metricsFile);
    } finally {
      await this.schedule?.close();
      copy?.remove();
      if (metricsDir) rmSync(metricsDir, { recursive: true, force: true });
    }
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

  private environment(configPath: string, metricsFile: string, python: string): NodeJS.ProcessEnv {
    const base = this.opts.env ?? process.env;
    const env: NodeJS.ProcessEnv = {
      ...base,
      BATCH_TUNER_CONFIG: configPath,
      BATCH_TUNER_BATCH_SIZE: String(this.spec.batchSize),
      BATCH_TUNER_LEARNING_RATE: String(this.spec.learningRate),
      BATCH_TUNER_SEED: String(this.spec.seed),
      BATCH_TUNER_METRICS: metricsFile,
      BATCH_TUNER_TRIAL_ID: this.spec.id,
      BATCH_TUNER_PYTHON: python,
      // Python block-buffers a piped stdout: without this, log lines arrive in bursts at exit.
      PYTHONUNBUFFERED: '1',
    };
    if (this.spec.maxSteps !== undefined) env.BATCH_TUNER_STEPS = String(this.spec.maxSteps);
    if (this.spec.maxSeconds !== undefined) env.BATCH_TUNER_MAX_SECONDS = String(this.spec.maxSeconds);
    if (this.spec.microBatches !== undefined) env.BATCH_TUNER_MICRO_BATCHES = String(this.spec.microBatches);
    if (this.spec.evalEvery !== undefined) env.BATCH_TUNER_EVAL_EVERY = String(this.spec.evalEvery);
    if (this.schedule) env[CONTROL_ENV] = this.schedule.controlPath;
    else delete env[CONTROL_ENV]; // an inherited one belongs to some other run
    const reporterDir = findReporterDir();
    if (reporterDir) env.PYTHONPATH = base.PYTHONPATH ? `${base.PYTHONPATH}${process.platform === 'win32' ? ';' : ':'}${reporterDir}` : reporterDir;
    return env;
  }

  private spawnAndWatch(command: ResolvedCommand, cwd: string, env: NodeJS.ProcessEnv, metricsFile: string): Promise<TrialResult> {
    return new Promise<TrialResult>((resolve) => {
      let child: ChildProcess;
      try {
        child = spawn(command.file, command.args, { cwd, env, detached: process.platform !== 'win32', stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });
      } catch (e) {
        resolve(this.spawnFailure(command, e));
        return;
      }
      this.child = child;
      let settled = false;
      const finish = (r: TrialResult) => {
        if (!settled) {
          settled = true;
          resolve(r);
        }
      };
      child.once('error', (e) => {
        // Spawn failures (ENOENT, EACCES) come here without a pid; other errors follow a 'close'.
        if (child.pid === undefined) {
          this.cleanupTimers();
          finish(this.spawnFailure(command, e));
        }
      });
      if (child.pid === undefined) return; // the 'error' event will settle it
      const pid = child.pid;
      trackGroup(pid);
      this.cb.onReady?.({ backend: 'external', backendReason: `external command: ${command.display}`, pid });
      this.sampler = new ResourceSampler(pid, 250, 1000, env);
      this.sampler.start();

      const tail = new MetricsFileTail(metricsFile, (chunk) => {
        this.alive();
        fileLines.push(chunk);
      });
      const fileLines = new LineSplitter((line, truncated) => this.onProtocolLine(parseMetricsLine(line), 'metrics file', truncated, line));
      const outLines = new LineSplitter((line, truncated) => this.onOutputLine(line, 'stdout', truncated));
      const errLines = new LineSplitter((line, truncated) => this.onOutputLine(line, 'stderr', truncated));
      const outDecoder = new StringDecoder('utf8');
      const errDecoder = new StringDecoder('utf8');
      child.stdout?.on('data', (b: Buffer) => {
        this.alive();
        outLines.push(outDecoder.write(b));
      });
      child.stderr?.on('data', (b: Buffer) => {
        this.alive();
        errLines.push(errDecoder.write(b));
      });
      tail.start();
      this.alive();

      const onAbort = () => this.stop({ kind: 'cancelled' });
      this.signal?.addEventListener('abort', onAbort, { once: true });
      if (this.spec.maxSeconds !== undefined) {
        // The script should stop itself at BATCH_TUNER_MAX_SECONDS; this is the backstop.
        const limitMs = this.spec.maxSeconds * 1000 + Math.max(30_000, this.spec.maxSeconds * 1000);
        this.limitTimer = setTimeout(() => this.stop({ kind: 'limit', message: `the script ran past BATCH_TUNER_MAX_SECONDS=${this.spec.maxSeconds} by ${Math.round(limitMs / 1000 - this.spec.maxSeconds!)} s and was stopped` }), limitMs);
      }

      // 'close' waits for stdout/stderr to close; a leftover grandchild holding them open would
      // keep the trial "running" after the script exited: reap the tree shortly after the exit.
      child.once('exit', () => {
        setTimeout(() => {
          if (!settled) {
            const left = livePids(this.sampler?.latest.pids ?? [], pid).filter((p) => p !== pid);
            if (left.length) killTree(pid, { graceMs: 0, extraPids: left });
          }
        }, 1000).unref();
      });

      child.once('close', (code, sig) => {
        void (async () => {
          this.signal?.removeEventListener('abort', onAbort);
          this.cleanupTimers();
          tail.stop();
          fileLines.flush();
          outLines.push(outDecoder.end());
          errLines.push(errDecoder.end());
          outLines.flush();
          errLines.flush();
          this.sampler?.stop();
          // Leftovers (data-loader workers, a backgrounded child) must not outlive the trial.
          const left = await this.reapTree(pid);
          activeGroups.delete(pid);
          if (left.length) this.warn(`processes ${left.join(', ')} of the trial were still alive after it ended and could not be killed`);
          finish(this.finalResult(code, sig, command));
        })();
      });
    });
  }

  private spawnFailure(command: ResolvedCommand, e: unknown): TrialResult {
    const code = (e as NodeJS.ErrnoException).code;
    const what = code === 'ENOENT' ? 'was not found' : code === 'EACCES' ? 'is not executable' : `could not be started (${e instanceof Error ? e.message : String(e)})`;
    return this.result('failed', {
      kind: 'spawn',
      message: `the training command "${command.file}" ${what} (command: ${command.display}): install it or set batchTuner.pythonPath / tuner.command`,
    });
  }

  private alive(): void {
    if (this.hangTimer) clearTimeout(this.hangTimer);
    if (this.endReason) return;
    this.hangTimer = setTimeout(() => this.stop({ kind: 'hang', ms: this.hangMs }), this.hangMs);
    this.hangTimer.unref();
  }

  private cleanupTimers(): void {
    for (const t of [this.hangTimer, this.lastStepTimer, this.limitTimer]) if (t) clearTimeout(t);
  }

  /** SIGTERM to the process group (and any tree member that left it), SIGKILL after the grace period. */
  private stop(reason: EndReason): void {
    if (this.endReason || !this.child?.pid) return;
    this.endReason = reason;
    this.killedByUs = true;
    killTree(this.child.pid, { graceMs: this.opts.killGraceMs ?? 1000, extraPids: this.sampler?.latest.pids ?? [] });
  }

  private async reapTree(pid: number): Promise<number[]> {
    const tracked = this.sampler ? [...(this.sampler.latest.pids ?? [])] : [];
    let left = livePids(tracked.filter((p) => p !== pid), pid);
    if (left.length === 0) return left;
    this.killedByUs = true;
    killTree(pid, { graceMs: 0, extraPids: left });
    for (let i = 0; i < 20 && left.length; i++) {
      await new Promise((r) => setTimeout(r, 100));
      left = livePids(left, pid);
    }
    return left;
  }

  // ------------------------------------------------------------------------------- lines in

  private onOutputLine(line: string, source: 'stdout' | 'stderr', truncated: boolean): void {
    if (source === 'stderr') this.stderrTail.push(line);
    const protocol = parseStdoutLine(line);
    if (protocol) {
      this.onProtocolLine(protocol, source, truncated, line);
      return;
    }
    if (OOM_TEXT.test(line)) this.oomText ??= line.trim();
    if (this.logLines < MAX_LOG_LINES) {
      this.logLines++;
      this.cb.onLog?.(source === 'stderr' ? 'warn' : 'info', this.logLines === MAX_LOG_LINES ? `${preview(line)} (further output not forwarded)` : preview(line, 2000));
    }
    if (!this.protocolSeen && !truncated) {
      const m = parseLogLine(line);
      if (m) this.onFallbackMetrics(m);
    }
  }

  private onProtocolLine(parsed: ParsedLine, source: string, truncated: boolean, line: string): void {
    if (truncated) {
      this.malformed.add(source, `line longer than the limit ignored: ${preview(line, 60)}`);
      return;
    }
    if (parsed.kind === 'ignored') return;
    if (parsed.kind === 'malformed') {
      this.malformed.add(source, parsed.reason);
      return;
    }
    if (parsed.warning) this.warn(parsed.warning);
    this.onRecord(parsed.record);
  }

  private onRecord(r: MetricsRecord): void {
    switch (r.type) {
      case 'start':
        this.startRecord = r;
        return;
      case 'step':
        this.onStepRecord(r);
        return;
      case 'eval': {
        const last = this.lastProtocol;
        this.pushEval({
          step: r.step ?? last?.step ?? 0,
          samples: r.samples ?? last?.samples ?? 0,
          time: r.time ?? this.elapsed(),
          valLoss: r.valLoss,
          ...(r.valAccuracy !== undefined ? { valAccuracy: r.valAccuracy } : {}),
        });
        return;
      }
      case 'oom':
        this.oom = { message: r.message ?? `the script reported running out of memory at batch size ${r.batchSize ?? this.spec.batchSize}` };
        if (r.memoryBytes) this.peakReportedBytes = Math.max(this.peakReportedBytes, r.memoryBytes);
        return;
      case 'done':
        return;
      case 'log':
        this.cb.onLog?.(r.level, r.message);
        return;
    }
  }

  private elapsed(): number {
    return (Date.now() - this.started) / 1000;
  }

  private onStepRecord(r: Extract<MetricsRecord, { type: 'step' }>): void {
    if (!this.protocolSeen) {
      this.protocolSeen = true;
      if (this.fallbackSteps.values().length) this.warn('log-line metrics seen before the first protocol record were discarded in favour of the protocol');
    }
    const now = Date.now();
    const batchSize = r.batchSize ?? this.spec.batchSize;
    const prev = this.lastProtocol ?? { step: 0, samples: 0, clock: this.startRecord?.time ?? 0, hostMs: this.started };
    const dStep = Math.max(1, r.step - prev.step);
    const samples = r.samples ?? prev.samples + dStep * batchSize;
    // The script's own clock when it sends one (file writes may arrive in bursts); else arrival times.
    const clock = r.time ?? (now - this.started) / 1000;
    const dt = r.time !== undefined ? r.time - prev.clock : (now - prev.hostMs) / 1000;
    this.lastProtocol = { step: r.step, samples, clock, hostMs: now };
    const res = this.sampler?.latest;
    if (r.memoryBytes !== undefined) this.peakReportedBytes = Math.max(this.peakReportedBytes, r.memoryBytes);
    const memoryBytes = r.memoryBytes ?? res?.gpuBytes ?? res?.rssBytes;
    if (memoryBytes !== undefined) this.peakStepMemory = Math.max(this.peakStepMemory, memoryBytes);
    const m: StepMetrics = {
      step: r.step,
      epoch: r.epoch ?? 0,
      samples,
      loss: r.loss,
      batchSize,
      learningRate: r.learningRate ?? this.spec.learningRate,
      stepTimeMs: dt > 0 ? (dt * 1000) / dStep : 0,
      samplesPerSecond: dt > 0 ? (samples - prev.samples) / dt : 0,
      time: clock,
      ...(memoryBytes !== undefined ? { memoryBytes, peakMemoryBytes: this.peakStepMemory } : {}),
      ...(res?.rssBytes !== undefined ? { rssBytes: res.rssBytes } : {}),
      ...(r.gradSqNorm !== undefined ? { gradSqNorm: r.gradSqNorm } : {}),
      ...(r.microGradSqNorm !== undefined ? { microGradSqNorm: r.microGradSqNorm } : {}),
      ...(r.microBatchSize !== undefined ? { microBatchSize: r.microBatchSize } : {}),
    };
    this.steps.push(m);
    this.schedule?.onStep(m);
    this.cb.onStep?.(m);
    if (r.valLoss !== undefined) {
      this.pushEval({ step: r.step, samples, time: clock, valLoss: r.valLoss, ...(r.valAccuracy !== undefined ? { valAccuracy: r.valAccuracy } : {}) });
    }
    this.afterStep(r.step);
  }

  private onFallbackMetrics(m: NonNullable<ReturnType<typeof parseLogLine>>): void {
    const now = Date.now();
    if (m.loss === undefined) {
      if (m.valLoss !== undefined) {
        const last = this.lastFallback;
        this.pushEval({ step: m.step ?? last?.step ?? 0, samples: last?.samples ?? 0, time: this.elapsed(), valLoss: m.valLoss, ...(m.valAccuracy !== undefined ? { valAccuracy: m.valAccuracy } : {}) });
      }
      return;
    }
    const prev = this.lastFallback ?? { step: 0, samples: 0, hostMs: this.started, lines: 0 };
    let step: number;
    if (m.step !== undefined && Number.isInteger(m.step) && m.step > prev.step) step = m.step;
    else {
      step = prev.step + 1;
      this.fallbackStepGuessed = true;
    }
    const dStep = step - prev.step;
    const samples = prev.samples + dStep * this.spec.batchSize;
    const dt = (now - prev.hostMs) / 1000;
    this.lastFallback = { step, samples, hostMs: now, lines: prev.lines + 1 };
    const res = this.sampler?.latest;
    const memoryBytes = res?.gpuBytes ?? res?.rssBytes;
    if (memoryBytes !== undefined) this.peakStepMemory = Math.max(this.peakStepMemory, memoryBytes);
    const s: StepMetrics = {
      step,
      epoch: m.epoch ?? 0,
      samples,
      loss: m.loss,
      batchSize: this.spec.batchSize,
      learningRate: m.learningRate ?? this.spec.learningRate,
      // The first line's interval includes start-up; later ones are the time between log lines.
      stepTimeMs: dt > 0 ? (dt * 1000) / dStep : 0,
      samplesPerSecond: dt > 0 ? (dStep * this.spec.batchSize) / dt : 0,
      time: this.elapsed(),
      ...(memoryBytes !== undefined ? { memoryBytes, peakMemoryBytes: this.peakStepMemory } : {}),
      ...(res?.rssBytes !== undefined ? { rssBytes: res.rssBytes } : {}),
    };
    this.fallbackSteps.push(s);
    this.cb.onStep?.(s);
    if (m.valLoss !== undefined) this.pushEval({ step, samples, time: s.time, valLoss: m.valLoss, ...(m.valAccuracy !== undefined ? { valAccuracy: m.valAccuracy } : {}) });
    this.afterStep(step);
  }

  private pushEval(e: EvalMetrics): void {
    this.evals.push(e);
    this.cb.onEval?.(e);
  }

  /** A script that ignores ${steps} is stopped (politely) a while after the last requested step. */
  private afterStep(step: number): void {
    const max = this.spec.maxSteps;
    if (max === undefined || step < max || this.lastStepTimer) return;
    this.lastStepTimer = setTimeout(() => {
      this.warn(`the script kept running after step ${max} (BATCH_TUNER_STEPS / \${steps}): stopped it; pass \${steps} to its step limit`);
      this.stop({ kind: 'limit', message: 'stopped after the last requested step' });
    }, this.opts.afterLastStepGraceMs ?? AFTER_LAST_STEP_GRACE_MS);
    this.lastStepTimer.unref();
  }

  private warn(message: string): void {
    if (this.warned.has(message)) return;
    this.warned.add(message);
    this.warnings.push(message);
    this.cb.onLog?.('warn', message);
  }

  // ------------------------------------------------------------------------------- result

  private finalResult(code: number | null, sig: NodeJS.Signals | null, command: ResolvedCommand): TrialResult {
    const stderrTail = this.stderrTail.text() || undefined;
    const reason = this.endReason;
    const steps = this.protocolSeen ? this.steps.values() : this.fallbackSteps.values();
    if (reason?.kind === 'cancelled') return this.result('cancelled', { kind: 'cancelled', message: 'the trial was stopped', exitCode: code, signal: sig, stderrTail });
    if (reason?.kind === 'hang') {
      return this.result('timeout', {
        kind: 'hang',
        message: `no output from "${command.display}" for ${Math.round(reason.ms / 1000)} s: killed it. If the script is just slow to start, raise tuner.timeout_seconds`,
        exitCode: code,
        signal: sig,
        stderrTail,
      });
    }
    if (this.oom || this.oomText) {
      return this.result('oom', { kind: 'oom', message: this.oom?.message ?? `out of memory at batch size ${this.spec.batchSize}: ${preview(this.oomText ?? '', 300)}`, exitCode: code, signal: sig, stderrTail });
    }
    if (reason?.kind === 'limit') {
      if (steps.length > 0) return this.result('ok');
      return this.result('timeout', { kind: 'hang', message: reason.message, exitCode: code, signal: sig, stderrTail });
    }
    if (sig === 'SIGKILL' && !this.killedByUs) {
      // Nobody here sent it: on Linux that is almost always the kernel's out-of-memory killer.
      return this.result('oom', { kind: 'oom', message: `the training process was killed by SIGKILL (most likely the kernel's out-of-memory killer) at batch size ${this.spec.batchSize}`, signal: sig, stderrTail });
    }
    if (sig) return this.result('crashed', { kind: 'crash', message: `the training process was killed by ${sig}`, signal: sig, exitCode: code, stderrTail });
    if (code !== 0) {
      const last = stderrTail?.split('\n').filter((l) => l.trim()).pop();
      return this.result('crashed', { kind: 'crash', message: `the training command exited with code ${code}${last ? `: ${preview(last, 300)}` : ''}`, exitCode: code, stderrTail });
    }
    if (steps.length === 0) {
      return this.result('failed', {
        kind: 'exit',
        message: `the training command exited without reporting a step: report with python/batch_tuner.py (Reporter.step) or print lines like "loss: 0.5" (command: ${command.display})`,
        exitCode: code,
        stderrTail,
      });
    }
    return this.result('ok');
  }

  private result(status: TrialStatus, error?: TrialError): TrialResult {
    const steps = this.protocolSeen ? this.steps.values() : this.fallbackSteps.values();
    const warnings = [...this.warnings];
    const malformed = this.malformed.warning();
    if (malformed) warnings.push(malformed);
    if (steps.length > 0 && !this.protocolSeen) {
      warnings.push(
        'the script does not speak the metrics protocol: loss was read from its log lines and throughput from the time between them' +
          (this.fallbackStepGuessed ? ' (one line per step assumed, as the lines carry no step number)' : '') +
          '; report steps with python/batch_tuner.py for exact numbers',
      );
    }
    if (steps.length > 0 && !steps.some((s) => s.gradSqNorm !== undefined && s.microGradSqNorm !== undefined && s.microBatchSize !== undefined)) {
      warnings.push('no gradient statistics reported: the noise scale needs grad_sq_norm, micro_grad_sq_norm and micro_batch_size on step records (batch_tuner.GradNoiseMeter computes them)');
    }
    const tp = summarizeThroughput(steps, this.spec.warmupSteps ?? DEFAULT_WARMUP_STEPS);
    const peak = Math.max(this.peakReportedBytes, this.sampler?.peakGpuBytes ?? 0);
    const peakMemoryBytes = peak > 0 ? peak : this.sampler?.peakRssBytes || undefined;
    const start = this.startRecord;
    return {
      id: this.spec.id,
      status,
      ...(error ? { error } : {}),
      batchSize: this.spec.batchSize,
      learningRate: this.spec.learningRate,
      seed: this.spec.seed,
      backend: start?.backend ?? 'external',
      backendReason: `external command${start?.device ? ` on ${start.device}` : ''}`,
      steps,
      evals: this.evals.values(),
      ...(tp ? { samplesPerSecond: tp.samplesPerSecond, samplesPerSecondIqr: tp.iqr } : {}),
      ...(peakMemoryBytes ? { peakMemoryBytes } : {}),
      wallSeconds: this.elapsed(),
      ...(warnings.length ? { warnings } : {}),
    };
  }
}

function signalPid(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // Already gone.
  }
}

/**
 * SIGTERM to the trial's process group (it was spawned detached), its descendants and any tracked
 * member that left the group (setsid); SIGKILL to whatever remains after `graceMs`.
 */
function killTree(pid: number, opts: { graceMs: number; extraPids: number[] }): void {
  const extra = opts.extraPids.filter((p) => p !== pid && p > 1);
  const send = (sig: NodeJS.Signals) => {
    if (process.platform !== 'win32') signalPid(-pid, sig);
    killProcessTree(pid, sig);
    for (const p of extra) signalPid(p, sig);
  };
  if (opts.graceMs <= 0) {
    send('SIGKILL');
    return;
  }
  send('SIGTERM');
  setTimeout(() => send('SIGKILL'), opts.graceMs).unref();
}

function safeName(id: string): string {
  return id.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 80) || 'trial';
}

/** Follows a growing file: fs.watch for promptness, polling as the fallback (network filesystems, missed events). */
class MetricsFileTail {
  private offset = 0;
  private watcher?: FSWatcher;
  private timer?: NodeJS.Timeout;
  private readonly decoder = new StringDecoder('utf8');
  private readonly buf = Buffer.alloc(64 * 1024);

  constructor(private readonly file: string, private readonly onText: (text: string) => void, private readonly pollMs = 200) {}

  start(): void {
    try {
      this.watcher = watch(this.file, () => this.read());
      this.watcher.on('error', () => undefined);
    } catch {
      // Polling alone still works.
    }
    this.timer = setInterval(() => this.read(), this.pollMs);
  }

  read(): void {
    let fd: number;
    try {
      if (statSync(this.file).size <= this.offset) return;
      fd = openSync(this.file, 'r');
    } catch {
      return;
    }
    try {
      for (;;) {
        const n = readSync(fd, this.buf, 0, this.buf.length, this.offset);
        if (n <= 0) break;
        this.offset += n;
        this.onText(this.decoder.write(this.buf.subarray(0, n)));
      }
    } finally {
      closeSync(fd);
    }
  }

  stop(): void {
    this.read();
    const rest = this.decoder.end();
    if (rest) this.onText(rest);
    this.watcher?.close();
    if (this.timer) clearInterval(this.timer);
  }
}
