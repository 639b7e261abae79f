// The batch a trial's config copy states: the trial's global batch written in the keys of the
// file's global-batch family, so that micro-batch x accumulation x workers is the trial's batch
// (a Lightning config with accumulate_grad_batches: 2 no longer runs batch 32 as 64), else in
// its one batch key. Throws ConfigError (file:line:col) when the file's numbers cannot be kept
// consistent; nothing is written then.
import { basename } from 'node:path';
import { readGlobalBatch } from '../config/globalBatch';
import { withGlobalBatch } from '../config/globalBatchEdit';
import { withBatchSize } from '../config';
import type { GlobalBatchSplit } from './externalCommand';

export interface TrialBatchText {
  text: string;
  /** What the copy cannot say (the split lives only on the command line). */
  warning?: string;
}

export function withTrialBatch(text: string, file: string, batchSize: number, learningRate: number | undefined, split: GlobalBatchSplit): TrialBatchText {
  const reading = readGlobalBatch(text, file, file);
  const lr = learningRate !== undefined ? { learningRate } : {};
  if (!reading) return { text: withBatchSize(text, file, batchSize, learningRate) };
  const { worldSize: w, accumulationSteps: k, microBatchSize: m } = split;
  if (reading.family === 'plain') {
    // One batch key is one worker's batch per step; an accumulation it cannot state is the command's.
    const perWorker = withGlobalBatch(text, file, { micro: m * k, accumulation: 1, world: w, ...lr }).text;
    if (k === 1) return { text: perWorker };
    const warning = `${basename(file)} has one batch key and no accumulation key: it states ${m * k} per worker, and the split ${m} x ${k} accumulation steps x ${w} worker(s) reaches the script only through \${microBatchSize} / \${accumulationSteps} / \${worldSize}`;
    return { text: perWorker, warning };
  }
  // Our own keys describe one process: batch_size = micro_batch_size x accumulation_steps, the
  // micro-batch then counting every worker's samples of a pass (the script is told the split).
  if (reading.family === 'batch-tuner') return { text: withGlobalBatch(text, file, { micro: m * w, accumulation: k, world: 1, ...lr }).text };
  return { text: withGlobalBatch(text, file, { micro: m, accumulation: k, world: w, ...lr }).text };
}
