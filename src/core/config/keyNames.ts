// The batch-size and learning-rate key names people really use, across frameworks.

/** In order of preference when one must be picked (see primaryBatchSizeSite). */
export const BATCH_SIZE_KEYS = [
  'per_device_train_batch_size', // Hugging Face TrainingArguments
  'train_batch_size', // Hugging Face / DeepSpeed (global)
  'batch_size', // PyTorch DataLoader, Keras, Lightning, this format
  'batchSize',
  'train_micro_batch_size_per_gpu', // DeepSpeed
  'micro_batch_size', // Megatron, NeMo
  'global_batch_size', // Megatron, NeMo
  'batch', // Ultralytics YOLO (only with an integer value)
] as const;

export const LEARNING_RATE_KEYS = ['learning_rate', 'lr', 'learningRate', 'base_lr'] as const;

export function isBatchSizeKey(key: string): boolean {
  return (BATCH_SIZE_KEYS as readonly string[]).includes(key);
}

export function isLearningRateKey(key: string): boolean {
  return (LEARNING_RATE_KEYS as readonly string[]).includes(key);
}

/** Rank for picking the primary site (lower is preferred). */
export function batchSizeKeyRank(key: string): number {
  const i = (BATCH_SIZE_KEYS as readonly string[]).indexOf(normalizeName(key));
  return i < 0 ? BATCH_SIZE_KEYS.length : i;
}

/** `--batch-size`, `BATCH_SIZE`, `batchsize` -> a canonical key (Python names and CLI options). */
export function normalizeName(name: string): string {
  const n = name.replace(/^-+/, '').replace(/-/g, '_');
  if (n === 'batchSize' || n === 'learningRate') return n;
  const lower = n.toLowerCase();
  if (lower === 'batchsize' || lower === 'bs' || lower === 'b') return 'batch_size';
  if (lower === 'learningrate') return 'learning_rate';
  return lower;
}

/** Python identifiers / argparse options naming a batch size (case-insensitive, dashes or underscores). */
export function isBatchSizeName(name: string): boolean {
  const n = normalizeName(name);
  return n !== 'batch' && isBatchSizeKey(n);
}

export function isLearningRateName(name: string): boolean {
  return isLearningRateKey(normalizeName(name));
}
