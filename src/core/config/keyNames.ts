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

// ---------------------------------------------------------------------------------------------
// The global batch: global = micro-batch x accumulation steps x data-parallel workers. Each
// family of configs names the three numbers its own way.

export type GlobalBatchFamily = 'deepspeed' | 'hf' | 'lightning' | 'batch-tuner' | 'plain';

/** What a key says about the global batch. `devices` x `nodes` = the world size. */
export type GlobalBatchRole = 'global' | 'micro' | 'accumulation' | 'devices' | 'nodes';

export const GLOBAL_BATCH_KEYS = {
  // https://www.deepspeed.ai/docs/config-json/ (Batch Size Related Parameters)
  deepspeed: { global: 'train_batch_size', micro: 'train_micro_batch_size_per_gpu', accumulation: 'gradient_accumulation_steps' },
  // transformers.TrainingArguments; the world size is the launcher's (torchrun, accelerate)
  hf: { micro: 'per_device_train_batch_size', accumulation: 'gradient_accumulation_steps' },
  // lightning.Trainer(accumulate_grad_batches, devices, num_nodes); batch_size is the DataLoader's, per device
  lightning: { micro: 'batch_size', accumulation: 'accumulate_grad_batches', devices: 'devices', nodes: 'num_nodes' },
  // schemas/training-config.schema.json: batch_size is the global batch of the built-in trainer (one process)
  'batch-tuner': { global: 'batch_size', micro: 'micro_batch_size', accumulation: 'accumulation_steps' },
} as const satisfies Record<Exclude<GlobalBatchFamily, 'plain'>, Partial<Record<GlobalBatchRole, string>>>;

/** Keys beside `train_batch_size` that say a mapping is a DeepSpeed config (its top-level sections). */
export const DEEPSPEED_MARKER_KEYS = [
  'train_micro_batch_size_per_gpu',
  'gradient_accumulation_steps',
  'zero_optimization',
  'fp16',
  'bf16',
  'steps_per_print',
  'gradient_clipping',
  'wall_clock_breakdown',
  'zero_allow_untested_optimizer',
] as const;

/** Every key name the global-batch reader looks at (normalized: `--num-nodes` -> `num_nodes`). */
export function isGlobalBatchName(name: string): boolean {
  const n = normalizeName(name);
  return isBatchSizeKey(n) || Object.values(GLOBAL_BATCH_KEYS).some((f) => (Object.values(f) as string[]).includes(n));
}
