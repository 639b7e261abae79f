// `batch-tuner train` arguments: the usage text and the flags, parsed with node:util parseArgs.
import { nonEmpty, oneOf, parseCommandLine, positiveNumber, read, seedReader, UsageError } from './args';

export const TRAIN_USAGE = `Usage: batch-tuner train <config> [options]

Trains once and summarises the run: Batch Tuner's own configs with the built-in TensorFlow.js
trainer, your own config with its tuner.command (one run of your script).

Options:
  --batch-size N        batch size (default: the config's)
  --steps N             optimizer steps (default: the config's steps / max_steps, else its epochs)
  --lr X                learning rate (default: the config's, scaled by the lr rule when
                        --batch-size differs from the config's)
  --seed N              random seed (default: the config's seed, else 42)
  --micro-batches K     split each batch into K micro-batches for gradient-noise statistics
  --backend B           wasm | cpu | node (built-in trainer; default: node if installed, else wasm)
  --checkpoint-every N  save the run's full state every N optimizer steps (into --checkpoint-dir)
  --checkpoint-dir DIR  folder for those checkpoints (default: .batch-tuner/checkpoints/)
  --resume FILE         start from a saved state instead of fresh weights
  --json                print one JSON object on stdout instead of the summary
  -h, --help            show this help`;

export type Backend = 'wasm' | 'cpu' | 'node';

export interface TrainArgs {
  config: string;
  batchSize?: number;
  steps?: number;
  lr?: number;
  seed?: number;
  microBatches?: number;
  backend?: Backend;
  checkpointEvery?: number;
  checkpointDir?: string;
  resume?: string;
  json: boolean;
}

const OPTIONS = {
  'batch-size': { type: 'string' },
  steps: { type: 'string' },
  lr: { type: 'string' },
  seed: { type: 'string' },
  'micro-batches': { type: 'string' },
  backend: { type: 'string' },
  'checkpoint-every': { type: 'string' },
  'checkpoint-dir': { type: 'string' },
  resume: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

const READERS = {
  'batch-size': positiveNumber('--batch-size', true),
  steps: positiveNumber('--steps', true),
  lr: positiveNumber('--lr', false, ' such as 0.001'),
  seed: seedReader('--seed'),
  'micro-batches': positiveNumber('--micro-batches', true),
  backend: oneOf<Backend>('--backend', ['wasm', 'cpu', 'node']),
  'checkpoint-every': positiveNumber('--checkpoint-every', true),
  'checkpoint-dir': nonEmpty('--checkpoint-dir expects a directory'),
  resume: nonEmpty('--resume expects a checkpoint file written by an earlier run'),
};

export function parseTrainArgs(args: string[]): TrainArgs | 'help' {
  const parsed = parseCommandLine(args, OPTIONS, READERS);
  if (parsed === 'help') return parsed;
  const { values: v, positionals } = parsed;
  if (positionals.length > 1) throw new UsageError(`one config file only (got ${positionals[0]} and ${positionals[1]})`);
  if (positionals.length === 0) throw new UsageError('missing <config>: the training config to run, e.g. examples/mnist-mlp.yaml');
  const out: TrainArgs = {
    config: positionals[0],
    batchSize: read(v, 'batch-size', READERS['batch-size']),
    steps: read(v, 'steps', READERS.steps),
    lr: read(v, 'lr', READERS.lr),
    seed: read(v, 'seed', READERS.seed),
    microBatches: read(v, 'micro-batches', READERS['micro-batches']),
    backend: read(v, 'backend', READERS.backend),
    checkpointEvery: read(v, 'checkpoint-every', READERS['checkpoint-every']),
    checkpointDir: read(v, 'checkpoint-dir', READERS['checkpoint-dir']),
    resume: read(v, 'resume', READERS.resume),
    json: v.json === true,
  };
  return Object.fromEntries(Object.entries(out).filter(([, x]) => x !== undefined)) as TrainArgs;
}
