// The batch a trial's config copy states: the trial's global batch written in the keys of the
// file's global-batch family, so that micro-batch x accumulation x workers is the trial's batch
// (a Lightning config with accumulate_grad_batches: 2 no longer runs batch 32 as 64), else in
// its one batch key. Throws ConfigError (file:line:col) when the file's numbers cannot be kept
// consistent; nothing is written then.
import { readGlobalBatch } from '../config/globalBatch';
import { withGlobalBatch } from '../config/globalBatchEdit';
import { withBatchSize } from '../config';
import type { GlobalBatchSplit } from './externalCommand';

export function withTrialBatch(text: string, file: string, batchSize: number, learningRate: number | undefined, split: GlobalBatchSplit): string {
  const reading = readGlobalBatch(text, file, file);
  const single = split.worldSize === 1 && split.accumulationSteps === 1;
  // One batch key and nothing to split: the key is the batch (a Python argparse default, a TOML key).
  if (!reading || (reading.family === 'plain' && single)) return withBatchSize(text, file, batchSize, learningRate);
  const lr = learningRate !== undefined ? { learningRate } : {};
  // Our own keys describe one process: batch_size = micro_batch_size x accumulation_steps, the
  // micro-batch then counting every worker's samples of a pass (the script is told the split).
  if (reading.family === 'batch-tuner')
    return withGlobalBatch(text, file, { micro: split.microBatchSize * split.worldSize, accumulation: split.accumulationSteps, world: 1, ...lr }).text;
  return withGlobalBatch(text, file, { micro: split.microBatchSize, accumulation: split.accumulationSteps, world: split.worldSize, ...lr }).text;
}
