// `batch-tuner tune <config>`: runs a study (profile -> noise scale -> convergence -> recommend)
// within the budget, shows progress per phase on stderr, then a table and the recommendation
// (or one JSON object on stdout with --json), and optionally writes the HTML report.
import { existsSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { MultiBar, Presets, type SingleBar } from 'cli-progress';
import { ConfigError, loadTrainingConfig, parseMemorySize } from '../core/config';
import { createRunnerFor } from '../core/runner';
import { ExternalConfigError, loadExternalConfig } from '../core/runner/externalConfig';
import {
  readStudy,
  runStudy,
  studyOptionsForExternalConfig,
  studyOptionsForTrainingConfig,
  type StudyEvent,
  type StudyOptions,
  type StudyOutcome,
  type StudyOverrides,
} from '../core/study';
import { formatBytes, formatNumber, formatSeconds, renderStudyReport } from '../core/report';
import type { LrRule, TrialRunner } from '../core/types';

export const TUNE_USAGE = `Usage: batch-tuner tune <config> [options]

Measures throughput, memory and convergence at several batch sizes and recommends one.

Options:
  --budget SECONDS       wall-clock budget of the whole study (default: tuner.budget_seconds, else 120)
  --min N, --max N       batch-size range (default: 8 .. min(1024, training samples))
  --memory-limit SIZE    bytes or "2GB"/"512MiB": larger batches are predicted, then skipped
  --lr-rule RULE         linear | sqrt | none (default: sqrt for Adam, linear for SGD/momentum)
  --target-loss X        validation loss to reach (default: what the current batch size reaches)
  --out DIR              where the study file goes (default: .batch-tuner/)
  --parallel N           trials at a time (default 1; >1 distorts timings on one machine)
  --seed N               seed of the trials and the bootstrap (default: the config's)
  --json                 one JSON object on stdout instead of the table
  --report FILE          also write a self-contained HTML report
  -h, --help             show this help`;

export class TuneUsageError extends Error {}

export interface TuneArgs {
  config: string;
  budget?: number;
  min?: number;
  max?: number;
  memoryLimit?: number;
  lrRule?: LrRule;
  targetLoss?: number;
  out: string;
  parallel?: number;
  seed?: number;
  json: boolean;
  report?: string;
}

function positiveNumber(flag: string, v: string | undefined, integer: boolean): number {
  const n = Number(v);
  if (v === undefined || v === '' || !Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n)))
    throw new TuneUsageError(`${flag} expects a positive ${integer ? 'integer' : 'number'} (got ${v === undefined ? 'nothing' : JSON.stringify(v)})`);
  return n;
}

export function parseTuneArgs(args: string[]): TuneArgs | 'help' {
  const out: Partial<TuneArgs> & { json: boolean; out: string } = { json: false, out: '.batch-tuner' };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const [flag, inline] = a.startsWith('--') && a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const value = () => inline ?? args[++i];
    switch (flag) {
      case '-h':
      case '--help':
        return 'help';
      case '--json': out.json = true; break;
      case '--budget': out.budget = positiveNumber(flag, value(), false); break;
      case '--min': out.min = positiveNumber(flag, value(), true); break;
      case '--max': out.max = positiveNumber(flag, value(), true); break;
      case '--parallel': out.parallel = positiveNumber(flag, value(), true); break;
      case '--target-loss': out.targetLoss = positiveNumber(flag, value(), false); break;
      case '--seed': {
        const v = value();
        const n = Number(v);
        if (v === undefined || !Number.isInteger(n) || n < 0) throw new TuneUsageError(`--seed expects an integer >= 0 (got ${JSON.stringify(v ?? '')})`);
        out.seed = n;
        break;
      }
      case '--memory-limit': {
        const v = value();
        if (v === undefined) throw new TuneUsageError('--memory-limit expects a size, e.g. 2GB or 536870912');
        try {
          out.memoryLimit = parseMemorySize(v);
        } catch (e) {
          throw new TuneUsageError(`--memory-limit: ${(e as Error).message}`);
        }
        break;
      }
      case '--lr-rule': {
        const v = value();
        if (v !== 'linear' && v !== 'sqrt' && v !== 'none') throw new TuneUsageError(`--lr-rule expects linear, sqrt or none (got ${JSON.stringify(v ?? '')})`);
        out.lrRule = v;
        break;
      }
      case '--out': {
        const v = value();
        if (!v) throw new TuneUsageError('--out expects a directory');
        out.out = v;
        break;
      }
      case '--report': {
        const v = value();
        if (!v) throw new TuneUsageError('--report expects a file name, e.g. report.html');
        out.report = v;
        break;
      }
      default:
        if (a.startsWith('-')) throw new TuneUsageError(`unknown option ${a}`);
        if (out.config !== undefined) throw new TuneUsageError(`one config at a time (got ${out.config} and ${a})`);
        out.config = a;
    }
  }
  if (out.config === undefined) throw new TuneUsageError('missing <config>: e.g. batch-tuner tune examples/mnist-mlp.yaml');
  return out as TuneArgs;
}

/** Our training format when it is one (and has no tuner.command), else the user's own config + command. */
export function studySetup(args: TuneArgs): { options: StudyOptions; runner: TrialRunner; external: boolean } {
  const file = path.resolve(args.config);
  if (!existsSync(file)) throw new TuneUsageError(`${args.config}: no such file: check the path`);
  const overrides: StudyOverrides = { outDir: path.resolve(args.out) };
  if (args.budget !== undefined) overrides.budgetSeconds = args.budget;
  if (args.min !== undefined) overrides.minBatchSize = args.min;
  if (args.max !== undefined) overrides.maxBatchSize = args.max;
  if (args.memoryLimit !== undefined) overrides.memoryLimitBytes = args.memoryLimit;
  if (args.lrRule !== undefined) overrides.lrRule = args.lrRule;
  if (args.targetLoss !== undefined) overrides.targetLoss = args.targetLoss;
  if (args.parallel !== undefined) overrides.parallel = args.parallel;
  if (args.seed !== undefined) overrides.seed = args.seed;
  let ours: ReturnType<typeof loadTrainingConfig> | undefined;
  let configError: ConfigError | undefined;
  try {
    ours = loadTrainingConfig(file);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    configError = e;
  }
  if (ours && !ours.config.tuner?.command) return { options: studyOptionsForTrainingConfig(ours, overrides), runner: createRunnerFor({ file, config: ours.config }), external: false };
  let ext;
  try {
    ext = loadExternalConfig(file);
  } catch (e) {
    if (configError) throw configError;
    if (e instanceof ExternalConfigError) throw new TuneUsageError(e.message);
    throw e;
  }
  if (!ext.command) {
    if (configError) throw new TuneUsageError(`${configError.message}\n(or, to tune your own training script, add tuner.command to ${args.config}, e.g. command: "\${python} train.py --config \${config}")`);
    throw new TuneUsageError(`${file}: no tuner.command to run`);
  }
  return { options: studyOptionsForExternalConfig(ext, overrides), runner: createRunnerFor({ file, command: ext.command, ...(ext.tuner?.shell !== undefined ? { shell: ext.tuner.shell } : {}) }), external: true };
}

/** Progress on stderr: cli-progress bars on a terminal, plain lines otherwise (CI logs). */
class TuneProgress {
  private readonly tty = process.stderr.isTTY === true;
  private multi?: MultiBar;
  private overall?: SingleBar;
  private trial?: SingleBar;
  private trialSeconds = 1;

  constructor(private readonly budget: number) {}

  on(e: StudyEvent): void {
    switch (e.type) {
      case 'plan':
        this.line(`plan: ${e.plan.summary}`);
        if (this.tty) {
          this.multi = new MultiBar({ stream: process.stderr, clearOnComplete: false, hideCursor: true, format: ' {bar} {percentage}% | {label}', barsize: 30 }, Presets.shades_classic);
          this.overall = this.multi.create(100, 0, { label: `study (${Math.round(this.budget)} s budget)` });
        }
        break;
      case 'warning':
        this.line(`warning: ${e.message}`);
        break;
      case 'phase':
        this.line(`[${e.phase}] ${e.message}`);
        this.overall?.update(Math.round(e.progress * 100), { label: `study: ${e.phase}` });
        break;
      case 'trial-start':
        this.trialSeconds = e.maxSeconds ?? 1;
        if (this.multi) {
          if (this.trial) this.multi.remove(this.trial);
          this.trial = this.multi.create(100, 0, { label: `${e.trialId} (batch ${e.batchSize}, lr ${formatNumber(e.learningRate, 3)}): starting` });
        }
        break;
      case 'step':
        // The trial's own clock against its time limit.
        this.trial?.update(Math.min(100, Math.round((100 * e.metrics.time) / this.trialSeconds)), { label: `${e.trialId}: step ${e.metrics.step}, loss ${formatNumber(e.metrics.loss, 3)}` });
        break;
      case 'progress':
        this.overall?.update(Math.round(e.progress * 100), { label: `study: ${e.phase} · ${Math.round(e.elapsedSeconds)} of ${Math.round(this.budget)} s` });
        break;
      case 'trial-end': {
        const t = e.trial;
        this.trial?.update(100);
        this.line(
          `  ${t.id}: ${t.status}${t.samplesPerSecond !== undefined ? `, ${formatNumber(t.samplesPerSecond)} samples/s` : ''}${t.peakMemoryBytes !== undefined ? `, peak ${formatBytes(t.peakMemoryBytes)}` : ''}${t.finalValLoss !== undefined ? `, val loss ${formatNumber(t.finalValLoss, 4)}` : ''}${t.error ? ` (${t.error.message})` : ''}`,
        );
        break;
      }
      case 'noise-scale':
        this.line(`  B_noise ~ ${formatNumber(e.estimate.value)} (90% interval ${formatNumber(e.estimate.low)}-${formatNumber(e.estimate.high)})`);
        break;
      case 'done':
        this.overall?.update(100);
        this.multi?.stop();
        break;
      default:
        break;
    }
  }

  private line(s: string): void {
    if (this.multi) this.multi.log(s + '\n');
    else process.stderr.write(s + '\n');
  }
}

function pad(s: string, n: number, left = false): string {
  return left ? s.padEnd(n) : s.padStart(n);
}

export function formatOutcomeTable(o: StudyOutcome): string {
  const rec = o.recommendation;
  if (!rec) return '';
  const head = ['batch', 'status', 'samples/s', 'peak mem', 'goodput', 'pred. time', 'conv. val loss', ''];
  const rows = rec.candidates.map((c) => [
    String(c.batchSize),
    c.status + (c.fits || c.status !== 'ok' ? '' : ' (over limit)'),
    formatNumber(c.samplesPerSecond),
    formatBytes(c.peakMemoryBytes),
    formatNumber(c.goodput, 2),
    formatSeconds(c.predictedTimeToTarget),
    c.measuredLoss !== undefined ? `${formatNumber(c.measuredLoss, 4)}${c.measuredLossSpread ? ` ±${formatNumber(c.measuredLossSpread / 2, 2)}` : ''}` : '–',
    c.batchSize === rec.batchSize ? '◀ pick' : c.batchSize === rec.current.batchSize ? '(current)' : '',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const fmtRow = (r: string[]) => r.map((x, i) => pad(x, widths[i], i === 1 || i === 7)).join('  ');
  return [fmtRow(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(fmtRow)].join('\n');
}

export function formatRecommendation(o: StudyOutcome): string {
  const rec = o.recommendation;
  if (!rec) return '';
  const lines: string[] = [];
  if (rec.batchSize === rec.current.batchSize) lines.push(`Keep batch size ${rec.batchSize} (learning rate ${formatNumber(rec.learningRate, 4)}): no other size was predicted or measured to reach the same loss sooner.`);
  else lines.push(`Recommended batch size ${rec.batchSize} (learning rate ${formatNumber(rec.learningRate, 4)}): predicted ${formatNumber(rec.speedupVsCurrent, 3)}x faster to the same loss than the current ${rec.current.batchSize}` +
    (rec.predictedTimeToTarget !== undefined ? ` (${formatSeconds(rec.current.predictedTimeToTarget)} -> ${formatSeconds(rec.predictedTimeToTarget)})` : '') +
    (rec.evidence.measuredSpeedupVsCurrent !== undefined ? `; measured ${formatNumber(rec.evidence.measuredSpeedupVsCurrent)}x` : '') + '.');
  if (rec.noiseScale) lines.push(`Gradient noise scale B_noise ~ ${formatNumber(rec.noiseScale.value)} (90% interval ${formatNumber(rec.noiseScale.low)}-${formatNumber(rec.noiseScale.high)}).`);
  const alt = rec.alternatives;
  const a = (name: string, c: typeof alt.largestThatFits) => c && lines.push(`  ${name}: ${c.batchSize}${c.predictedTimeToTarget !== undefined ? ` (${formatSeconds(c.predictedTimeToTarget)} to target)` : ''} — ${c.reason}`);
  lines.push('Alternatives:');
  a('largest that fits', alt.largestThatFits);
  a('highest throughput', alt.maxThroughput);
  a('most sample-efficient', alt.mostSampleEfficient);
  if (rec.schedule) lines.push(`Dynamic batching: ${rec.schedule.description}`);
  for (const n of rec.evidence.notes) lines.push(`note: ${n}`);
  return lines.join('\n');
}

export function outcomeJson(o: StudyOutcome): Record<string, unknown> {
  const rec = o.recommendation;
  const pick = (c: { batchSize: number; learningRate: number; predictedTimeToTarget?: number; samplesPerSecond?: number } | undefined) =>
    c && { batchSize: c.batchSize, learningRate: c.learningRate, predictedTimeToTarget: c.predictedTimeToTarget, samplesPerSecond: c.samplesPerSecond };
  return {
    status: o.status,
    ...(o.reason ? { reason: o.reason } : {}),
    recommended: rec && { batchSize: rec.batchSize, learningRate: rec.learningRate, speedupVsCurrent: rec.speedupVsCurrent, predictedTimeToTarget: rec.predictedTimeToTarget, measuredSpeedupVsCurrent: rec.evidence.measuredSpeedupVsCurrent },
    current: rec?.current ?? undefined,
    noiseScale: o.noiseScale && { value: o.noiseScale.value, low: o.noiseScale.low, high: o.noiseScale.high },
    alternatives: rec && { largestThatFits: pick(rec.alternatives.largestThatFits), maxThroughput: pick(rec.alternatives.maxThroughput), mostSampleEfficient: pick(rec.alternatives.mostSampleEfficient) },
    schedule: rec?.schedule,
    candidates: rec?.candidates,
    evidence: rec?.evidence,
    trials: o.trials.map((t) => ({ id: t.id, phase: t.phase, batchSize: t.batchSize, learningRate: t.learningRate, seed: t.seed, status: t.status, samplesPerSecond: t.samplesPerSecond, peakMemoryBytes: t.peakMemoryBytes, finalLoss: t.finalLoss, finalValLoss: t.finalValLoss, ...(t.error ? { error: t.error.message } : {}) })),
    plan: o.plan.summary,
    elapsedSeconds: o.elapsedSeconds,
    studyFile: o.studyFile,
  };
}

/** JSON has no Infinity/NaN: they become null. */
const jsonSafe = (_k: string, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v);

export async function runTuneCommand(args: string[]): Promise<number> {
  let parsed: TuneArgs | 'help';
  let setup: ReturnType<typeof studySetup>;
  try {
    parsed = parseTuneArgs(args);
    if (parsed === 'help') {
      console.log(TUNE_USAGE);
      return 0;
    }
    setup = studySetup(parsed);
  } catch (e) {
    if (e instanceof TuneUsageError || e instanceof ConfigError) {
      console.error(`batch-tuner tune: ${e.message}`);
      if (e instanceof TuneUsageError && /missing <config>|unknown option|expects/.test(e.message)) console.error(`\n${TUNE_USAGE}`);
      return 2;
    }
    throw e;
  }
  const a = parsed;
  if (!a.json) process.stderr.write(`Tuning ${path.relative(process.cwd(), setup.options.configPath) || setup.options.configPath} (current batch ${setup.options.currentBatchSize}, lr ${setup.options.currentLearningRate}${setup.external ? ', your own training command' : ''})\n`);
  const progress = new TuneProgress(setup.options.budgetSeconds ?? 120);
  const ac = new AbortController();
  const onSigint = () => {
    if (ac.signal.aborted) process.exit(130);
    process.stderr.write('\nstopping (Ctrl+C again to quit at once)…\n');
    ac.abort();
  };
  process.on('SIGINT', onSigint);
  let outcome: StudyOutcome;
  try {
    outcome = await runStudy(setup.options, setup.runner, (e) => progress.on(e), ac.signal);
  } finally {
    process.off('SIGINT', onSigint);
  }
  if (a.report && outcome.studyFile) {
    const html = renderStudyReport(readStudy(outcome.studyFile));
    writeFileSync(a.report, html);
    process.stderr.write(`report: ${path.resolve(a.report)}\n`);
  }
  if (a.json) {
    process.stdout.write(JSON.stringify(outcomeJson(outcome), jsonSafe) + '\n');
  } else if (outcome.recommendation) {
    process.stdout.write(`\n${formatOutcomeTable(outcome)}\n\n${formatRecommendation(outcome)}\n`);
    process.stdout.write(`\nstudy: ${outcome.studyFile ?? '(not saved)'} (${formatSeconds(outcome.elapsedSeconds)})\n`);
  }
  if (outcome.status === 'failed') {
    console.error(`batch-tuner tune: the study failed: ${outcome.reason ?? 'unknown reason'}${outcome.studyFile ? `\n(study saved as failed in ${outcome.studyFile})` : ''}`);
    return 1;
  }
  if (outcome.status === 'stopped') return 130;
  return 0;
}

