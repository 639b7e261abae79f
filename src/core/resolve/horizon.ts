// The length of the run the person will train (issue 11's "horizon"): what the branch phase
// measures the critical batch size along and the batch-size plan is for. Written as samples
// (a number, or "120000" / "120000 samples"), optimizer steps at the current batch size
// ("600steps"), or passes over the training set ("10epochs"). Default: the config's own
// steps (x its batch size) or epochs (x the training-set size); none for a user's config that
// names neither.
import type { TrainingConfig } from '../types';

export interface Horizon {
  amount: number;
  unit: 'samples' | 'steps' | 'epochs';
}

const FORM = /^\s*([0-9]+(?:\.[0-9]+)?)\s*(samples?|steps?|epochs?)?\s*$/i;

/** The horizon as written, or what is wrong with it (words that follow the setting's name). */
export function readHorizon(v: unknown): Horizon | string {
  if (typeof v === 'number') return Number.isFinite(v) && v >= 1 ? { amount: v, unit: 'samples' } : `must be at least 1 sample (got ${JSON.stringify(v)})`;
  const m = typeof v === 'string' ? FORM.exec(v) : null;
  if (!m) return `must be a number of samples, or steps or epochs such as "600steps" or "10epochs" (got ${JSON.stringify(v)})`;
  const amount = Number(m[1]);
  const unit = (m[2] ?? 'samples').toLowerCase().replace(/s?$/, 's') as Horizon['unit'];
  if (!(amount > 0)) return `must be more than 0 ${unit} (got ${JSON.stringify(v)})`;
  return { amount, unit };
}

/** Samples of the horizon: steps at the current batch size, epochs of the training set. */
export function horizonInSamples(h: Horizon, batchSize: number, datasetSize: number): number {
  const per = h.unit === 'steps' ? batchSize : h.unit === 'epochs' ? datasetSize : 1;
  return Math.round(h.amount * per);
}

/** The run the config describes: steps x batch size, else epochs (the trainer's default 1) x the training set; undefined when a user's config names no steps. */
export function configHorizonSamples(o: {
  config?: TrainingConfig;
  steps?: number;
  batchSize: number;
  datasetSize: number;
  ours: boolean;
}): number | undefined {
  if (o.steps !== undefined) return o.steps * o.batchSize;
  if (!o.ours || !o.config) return undefined;
  return Math.round((o.config.epochs ?? 1) * o.datasetSize);
}
