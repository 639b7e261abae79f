// `batch-tuner tune` arguments: the usage text and the flags, parsed with node:util parseArgs.
import { lrRuleReader, memoryLimitReader, nonEmpty, oneOf, parseCommandLine, positiveNumber, read, seedReader, UsageError, type Reader } from './args';
import { readHorizon } from '../core/resolve/horizon';
import type { CliSettingArgs } from '../core/resolve/layers';

export const TUNE_USAGE = `Usage: batch-tuner tune <config> [options]

Measures throughput, memory and convergence at several batch sizes and recommends one.

Options:
  --budget SECONDS       wall-clock budget of the whole study (default: tuner.budget_seconds, else 120)
  --min N, --max N       batch-size range (default: 8 .. min(1024, training samples))
  --memory-limit SIZE    bytes, "2GB" (2*10^9), "512MiB" (512*2^20) or "80%" of RAM: larger batches
                         are predicted, then skipped (default: tuner.memory_limit, else 80% of RAM)
  --lr-rule RULE         linear | sqrt | none (default: sqrt for Adam, linear for SGD/momentum)
  --target-loss X        validation loss to reach (default: what the current batch size reaches)
  --out DIR              where the study file goes (default: .batch-tuner/ in this folder)
  --parallel N           trials at a time (default 1; >1 distorts timings on one machine,
                         not with --runner slurm: each trial is its own job)
  --world-size N         data-parallel workers per trial (default: tuner.world_size, else what
                         the config's global batch keys say, else 1)
  --runner KIND          local | slurm: one Slurm job per trial (default: tuner.runner, else local)
  --slurm-partition P    srun --partition (default: tuner.slurm.partition, else the cluster's)
  --slurm-account A      srun --account
  --slurm-gres G         srun --gres, e.g. gpu:1
  --slurm-time-limit T   srun --time of each trial's job: minutes or HH:MM:SS
  --slurm-cpus-per-task N  CPUs per worker (default 1)
  --slurm-extra-args S   more srun options, e.g. "--qos=high --constraint=a100" (no shell)
  --slurm-pending-timeout SECONDS  cancel a job still pending after this long (default 120)
  --slurm-workers WHO    command (default: the command starts its workers, e.g. torchrun) |
                         srun (srun -n <world size>: one task per worker)
  --seed N               seed of the trials and the bootstrap (default: the config's, else 42)
  --horizon N            length of the real run: N samples, or "600steps" (at the config's batch
                         size) or "10epochs"; the study measures the critical batch size along it
                         and plans the batch size over it (default: tuner.horizon, else the
                         config's steps or epochs)
  --from-checkpoint FILE branch from checkpoints of your own run (repeat the flag, or a comma-
                         separated list) instead of training a trunk: .btckpt files from
                         \`batch-tuner train --checkpoint-every\`, or your script's own
  --json                 one JSON object on stdout instead of the table
  --force                run even when another study on this config is running (both are distorted)
  --report FILE          also write a self-contained HTML report
  -h, --help             show this help`;

/** `tune`'s flags: the settings every command shares (core/resolve's CliSettingArgs), and its own. */
export interface TuneArgs extends Omit<CliSettingArgs, 'batchSize' | 'lr' | 'steps'> {
  config: string;
  json: boolean;
  /** Run even when another study on this config is running (its lock). */
  force: boolean;
  report?: string;
}

const OPTIONS = {
  budget: { type: 'string' },
  min: { type: 'string' },
  max: { type: 'string' },
  'memory-limit': { type: 'string' },
  'lr-rule': { type: 'string' },
  'target-loss': { type: 'string' },
  out: { type: 'string' },
  parallel: { type: 'string' },
  seed: { type: 'string' },
  json: { type: 'boolean' },
  force: { type: 'boolean' },
  report: { type: 'string' },
  'world-size': { type: 'string' },
  runner: { type: 'string' },
  'slurm-partition': { type: 'string' },
  'slurm-account': { type: 'string' },
  'slurm-gres': { type: 'string' },
  'slurm-time-limit': { type: 'string' },
  'slurm-cpus-per-task': { type: 'string' },
  'slurm-extra-args': { type: 'string' },
  'slurm-pending-timeout': { type: 'string' },
  'slurm-workers': { type: 'string' },
  horizon: { type: 'string' },
  'from-checkpoint': { type: 'string', multiple: true },
  help: { type: 'boolean', short: 'h' },
} as const;

/** --horizon: checked here (same words as tuner.horizon), converted to samples by the resolver. */
const horizonReader: Reader<string> = (v) => {
  const h = readHorizon(v ?? '');
  if (typeof h === 'string') throw new UsageError(`--horizon ${h}`);
  return v as string;
};

/** Every --from-checkpoint value, each possibly a comma-separated list. */
function checkpointFiles(raw: unknown): string[] | undefined {
  if (raw === undefined) return undefined;
  const files = (Array.isArray(raw) ? raw : [raw]).flatMap((x) => String(x).split(',')).map((f) => f.trim());
  if (files.some((f) => f === '')) throw new UsageError('--from-checkpoint expects checkpoint files (an empty name in the list)');
  return files;
}

const READERS = {
  budget: positiveNumber('--budget', false),
  min: positiveNumber('--min', true),
  max: positiveNumber('--max', true),
  'memory-limit': memoryLimitReader,
  'lr-rule': lrRuleReader,
  'target-loss': positiveNumber('--target-loss', false),
  out: nonEmpty('--out expects a directory'),
  parallel: positiveNumber('--parallel', true),
  seed: seedReader('--seed'),
  report: nonEmpty('--report expects a file name, e.g. report.html'),
  'world-size': positiveNumber('--world-size', true),
  runner: oneOf('--runner', ['local', 'slurm'] as const),
  'slurm-partition': nonEmpty('--slurm-partition expects a partition name'),
  'slurm-account': nonEmpty('--slurm-account expects an account name'),
  'slurm-gres': nonEmpty('--slurm-gres expects a generic resource, e.g. gpu:1'),
  'slurm-time-limit': nonEmpty('--slurm-time-limit expects a time, e.g. 30 (minutes) or 1:00:00'),
  'slurm-cpus-per-task': positiveNumber('--slurm-cpus-per-task', true),
  'slurm-extra-args': nonEmpty('--slurm-extra-args expects srun options, e.g. "--qos=high"'),
  'slurm-pending-timeout': positiveNumber('--slurm-pending-timeout', false),
  'slurm-workers': oneOf('--slurm-workers', ['command', 'srun'] as const),
  horizon: horizonReader,
  'from-checkpoint': nonEmpty('--from-checkpoint expects a checkpoint file, e.g. checkpoints/ckpt-step-000300.btckpt'),
};

export function parseTuneArgs(args: string[]): TuneArgs | 'help' {
  const parsed = parseCommandLine(args, OPTIONS, READERS);
  if (parsed === 'help') return parsed;
  const { values: v, positionals } = parsed;
  if (positionals.length > 1) throw new UsageError(`one config at a time (got ${positionals[0]} and ${positionals[1]})`);
  if (positionals.length === 0) throw new UsageError('missing <config>: e.g. batch-tuner tune examples/mnist-mlp.yaml');
  const out: TuneArgs = {
    config: positionals[0],
    json: v.json === true,
    force: v.force === true,
    budget: read(v, 'budget', READERS.budget),
    min: read(v, 'min', READERS.min),
    max: read(v, 'max', READERS.max),
    memoryLimit: read(v, 'memory-limit', READERS['memory-limit']),
    lrRule: read(v, 'lr-rule', READERS['lr-rule']),
    targetLoss: read(v, 'target-loss', READERS['target-loss']),
    out: read(v, 'out', READERS.out),
    parallel: read(v, 'parallel', READERS.parallel),
    seed: read(v, 'seed', READERS.seed),
    report: read(v, 'report', READERS.report),
    worldSize: read(v, 'world-size', READERS['world-size']),
    runner: read(v, 'runner', READERS.runner),
    slurmPartition: read(v, 'slurm-partition', READERS['slurm-partition']),
    slurmAccount: read(v, 'slurm-account', READERS['slurm-account']),
    slurmGres: read(v, 'slurm-gres', READERS['slurm-gres']),
    slurmTimeLimit: read(v, 'slurm-time-limit', READERS['slurm-time-limit']),
    slurmCpusPerTask: read(v, 'slurm-cpus-per-task', READERS['slurm-cpus-per-task']),
    slurmExtraArgs: read(v, 'slurm-extra-args', READERS['slurm-extra-args']),
    slurmPendingTimeoutSeconds: read(v, 'slurm-pending-timeout', READERS['slurm-pending-timeout']),
    slurmWorkers: read(v, 'slurm-workers', READERS['slurm-workers']),
    horizon: read(v, 'horizon', READERS.horizon),
    fromCheckpoint: checkpointFiles(v['from-checkpoint']),
  };
  return Object.fromEntries(Object.entries(out).filter(([, x]) => x !== undefined)) as TuneArgs;
}
