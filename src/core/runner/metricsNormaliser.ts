// Turns what an external script reports into the trainer's vocabulary: metrics-protocol records
// (from the metrics file or `batch-tuner: ` stdout lines) and, for scripts that speak no protocol,
// common log lines (HF Trainer dicts, `loss: 0.5`) -> StepMetrics / EvalMetrics / checkpoints.
// Step times come from the script's own clock when it sends one (file writes arrive in bursts);
// otherwise from arrival times. Once a protocol step arrives, log-line guesses are dropped.
import type { CheckpointInfo, EvalMetrics, StepMetrics, TrialCallbacks, TrialSpec } from '../types';
import { BoundedHistory, MalformedCounter } from './boundedBuffers';
import {
  parseLogLine,
  parseStdoutLine,
  preview,
  type CheckpointRecord,
  type LogLineMetrics,
  type MetricsRecord,
  type ParsedLine,
  type StepRecord,
} from './metricsProtocol';
import { OomWatch } from './oom';
import type { ResourceSample } from './resources';

/** Log lines forwarded to onLog at most (a flood must not flood the output channel). */
const MAX_LOG_LINES = 2000;

export interface NormaliserContext {
  spec: TrialSpec;
  callbacks: TrialCallbacks;
  /** Date.now() when the trial started: the clock for records without one. */
  startedMs: number;
  /** The runner's latest measurement of the process tree (memory for steps that carry none). */
  resources(): ResourceSample | undefined;
  warn(message: string): void;
  /** Each step, before the callbacks see it (the schedule driver plans the next one first). */
  onStepMeasured(m: StepMetrics): void;
  /** A checkpoint record, with its samples filled in (the caller resolves the path). */
  onCheckpoint(checkpoint: CheckpointInfo): void;
}

export class MetricsNormaliser {
  /** An `oom` record's message: the script's own account of running out of memory. */
  reportedOom?: string;
  readonly oomText = new OomWatch();
  startRecord?: Extract<MetricsRecord, { type: 'start' }>;
  peakReportedBytes = 0;
  private readonly malformed = new MalformedCounter();
  private readonly protocolSteps = new BoundedHistory<StepMetrics>(5000);
  private readonly fallbackSteps = new BoundedHistory<StepMetrics>(5000);
  private readonly evalHistory = new BoundedHistory<EvalMetrics>(2000);
  private protocolSeen = false;
  private lastProtocol?: { step: number; samples: number; clock: number; hostMs: number };
  private lastFallback?: { step: number; samples: number; hostMs: number };
  private fallbackStepGuessed = false;
  private peakStepMemory = 0;
  private logLines = 0;

  constructor(private readonly c: NormaliserContext) {}

  get steps(): StepMetrics[] {
    return this.protocolSeen ? this.protocolSteps.values() : this.fallbackSteps.values();
  }

  get evals(): EvalMetrics[] {
    return this.evalHistory.values();
  }

  /** A line of the script's stdout or stderr: a `batch-tuner: ` record, else a log line. */
  outputLine(line: string, source: 'stdout' | 'stderr', truncated: boolean): void {
    const protocol = parseStdoutLine(line);
    if (protocol) return this.protocolLine(protocol, source, truncated, line);
    this.oomText.note(line);
    this.forwardLog(source === 'stderr' ? 'warn' : 'info', line);
    if (!this.protocolSeen && !truncated) {
      const m = parseLogLine(line);
      if (m) this.fallbackMetrics(m);
    }
  }

  /** A parsed line of the metrics file (or a stdout record). */
  protocolLine(parsed: ParsedLine, source: string, truncated: boolean, line: string): void {
    if (truncated) return this.malformed.add(source, `line longer than the limit ignored: ${preview(line, 60)}`);
    if (parsed.kind === 'ignored') return;
    if (parsed.kind === 'malformed') return this.malformed.add(source, parsed.reason);
    if (parsed.warning) this.c.warn(parsed.warning);
    this.record(parsed.record);
  }

  /** What the result's warnings say about how the metrics were read. */
  warnings(): string[] {
    const out: string[] = [];
    const malformed = this.malformed.warning();
    if (malformed) out.push(malformed);
    const steps = this.steps;
    if (steps.length > 0 && !this.protocolSeen) {
      out.push(
        'the script does not speak the metrics protocol: loss was read from its log lines and throughput from the time between them' +
          (this.fallbackStepGuessed ? ' (one line per step assumed, as the lines carry no step number)' : '') +
          '; report steps with python/batch_tuner.py for exact numbers',
      );
    }
    if (steps.length > 0 && !steps.some((s) => s.gradSqNorm !== undefined && s.microGradSqNorm !== undefined && s.microBatchSize !== undefined)) {
      out.push(
        'no gradient statistics reported: the noise scale needs grad_sq_norm, micro_grad_sq_norm and micro_batch_size on step records (batch_tuner.GradNoiseMeter computes them)',
      );
    }
    return out;
  }

  private elapsed(): number {
    return (Date.now() - this.c.startedMs) / 1000;
  }

  private record(r: MetricsRecord): void {
    switch (r.type) {
      case 'start':
        this.startRecord = r;
        return;
      case 'step':
        return this.protocolStep(r);
      case 'eval': {
        const last = this.lastProtocol;
        const { valLoss, valAccuracy } = r;
        return this.pushEval({
          step: r.step ?? last?.step ?? 0,
          samples: r.samples ?? last?.samples ?? 0,
          time: r.time ?? this.elapsed(),
          valLoss,
          valAccuracy,
        });
      }
      case 'oom':
        this.reportedOom = r.message ?? `the script reported running out of memory at batch size ${r.batchSize ?? this.c.spec.batchSize}`;
        if (r.memoryBytes) this.peakReportedBytes = Math.max(this.peakReportedBytes, r.memoryBytes);
        return;
      case 'checkpoint':
        return this.checkpoint(r);
      case 'done':
        return;
      case 'log':
        return this.forwardLog(r.level, r.message);
    }
  }

  /** Output lines and `log` records share one budget (a flood must not flood the output channel). */
  private forwardLog(level: 'info' | 'warn' | 'error', text: string): void {
    if (this.logLines >= MAX_LOG_LINES) return;
    this.logLines++;
    this.c.callbacks.onLog?.(level, this.logLines === MAX_LOG_LINES ? `${preview(text)} (further output not forwarded)` : preview(text, 2000));
  }

  private checkpoint(r: CheckpointRecord): void {
    const known = this.steps.find((s) => s.step === r.step);
    const samples = r.samples ?? known?.samples ?? r.step * this.c.spec.batchSize;
    this.c.onCheckpoint({ path: r.path, step: r.step, samples });
  }

  /** Memory for a step: what the script reported, else the runner's GPU or RSS sample. */
  private memory(reported: number | undefined): Pick<StepMetrics, 'memoryBytes' | 'peakMemoryBytes' | 'rssBytes'> {
    const res = this.c.resources();
    if (reported !== undefined) this.peakReportedBytes = Math.max(this.peakReportedBytes, reported);
    const memoryBytes = reported ?? res?.gpuBytes ?? res?.rssBytes;
    if (memoryBytes !== undefined) this.peakStepMemory = Math.max(this.peakStepMemory, memoryBytes);
    return {
      ...(memoryBytes !== undefined ? { memoryBytes, peakMemoryBytes: this.peakStepMemory } : {}),
      ...(res?.rssBytes !== undefined ? { rssBytes: res.rssBytes } : {}),
    };
  }

  private protocolStep(r: StepRecord): void {
    if (!this.protocolSeen) {
      this.protocolSeen = true;
      if (this.fallbackSteps.values().length) this.c.warn('log-line metrics seen before the first protocol record were discarded in favour of the protocol');
    }
    const now = Date.now();
    const batchSize = r.batchSize ?? this.c.spec.batchSize;
    const prev = this.lastProtocol ?? { step: 0, samples: 0, clock: this.startRecord?.time ?? 0, hostMs: this.c.startedMs };
    const dStep = Math.max(1, r.step - prev.step);
    const samples = r.samples ?? prev.samples + dStep * batchSize;
    // The script's own clock when it sends one (file writes may arrive in bursts); else arrival times.
    const clock = r.time ?? (now - this.c.startedMs) / 1000;
    const dt = r.time !== undefined ? r.time - prev.clock : (now - prev.hostMs) / 1000;
    this.lastProtocol = { step: r.step, samples, clock, hostMs: now };
    const m: StepMetrics = {
      step: r.step,
      epoch: r.epoch ?? 0,
      samples,
      loss: r.loss,
      batchSize,
      learningRate: r.learningRate ?? this.c.spec.learningRate,
      stepTimeMs: dt > 0 ? (dt * 1000) / dStep : 0,
      // A counter that went back (a script that restarted it) gives no rate, not a negative one.
      samplesPerSecond: dt > 0 && samples >= prev.samples ? (samples - prev.samples) / dt : 0,
      time: clock,
      ...this.memory(r.memoryBytes),
      ...(r.gradSqNorm !== undefined ? { gradSqNorm: r.gradSqNorm } : {}),
      ...(r.microGradSqNorm !== undefined ? { microGradSqNorm: r.microGradSqNorm } : {}),
      ...(r.microBatchSize !== undefined ? { microBatchSize: r.microBatchSize } : {}),
    };
    this.protocolSteps.push(m);
    this.c.onStepMeasured(m);
    this.c.callbacks.onStep?.(m);
    if (r.valLoss !== undefined) this.pushEval({ step: r.step, samples, time: clock, valLoss: r.valLoss, valAccuracy: r.valAccuracy });
  }

  /** A log line with a loss: a step guessed from it (the line's step number, else one per line). */
  private fallbackMetrics(m: LogLineMetrics): void {
    if (m.loss === undefined) {
      const last = this.lastFallback;
      if (m.valLoss !== undefined)
        this.pushEval({ step: m.step ?? last?.step ?? 0, samples: last?.samples ?? 0, time: this.elapsed(), valLoss: m.valLoss, valAccuracy: m.valAccuracy });
      return;
    }
    const now = Date.now();
    const bs = this.c.spec.batchSize;
    const prev = this.lastFallback ?? { step: 0, samples: 0, hostMs: this.c.startedMs };
    let step = prev.step + 1;
    if (m.step !== undefined && Number.isInteger(m.step) && m.step > prev.step) step = m.step;
    else this.fallbackStepGuessed = true;
    const dStep = step - prev.step;
    const samples = prev.samples + dStep * bs;
    const dt = (now - prev.hostMs) / 1000;
    this.lastFallback = { step, samples, hostMs: now };
    const s: StepMetrics = {
      step,
      epoch: m.epoch ?? 0,
      samples,
      loss: m.loss,
      batchSize: bs,
      learningRate: m.learningRate ?? this.c.spec.learningRate,
      // The first line's interval includes start-up; later ones are the time between log lines.
      stepTimeMs: dt > 0 ? (dt * 1000) / dStep : 0,
      samplesPerSecond: dt > 0 ? (dStep * bs) / dt : 0,
      time: this.elapsed(),
      ...this.memory(undefined),
    };
    this.fallbackSteps.push(s);
    this.c.onStepMeasured(s);
    this.c.callbacks.onStep?.(s);
    if (m.valLoss !== undefined) this.pushEval({ step, samples, time: s.time, valLoss: m.valLoss, valAccuracy: m.valAccuracy });
  }

  private pushEval(e: EvalMetrics): void {
    const clean: EvalMetrics = {
      step: e.step,
      samples: e.samples,
      time: e.time,
      valLoss: e.valLoss,
      ...(e.valAccuracy !== undefined ? { valAccuracy: e.valAccuracy } : {}),
    };
    this.evalHistory.push(clean);
    this.c.callbacks.onEval?.(clean);
  }
}
