// The global-batch invariant, global = micro x accumulation x world (DeepSpeed,
// https://www.deepspeed.ai/docs/config-json/ "Batch Size Related Parameters"; NeMo/Megatron
// "Global batch size = micro_batch_size * data_parallel_size * gradient_accumulation_steps"),
// solved for the one number a file leaves out, and the words for numbers that disagree.
import { isObj, isPositiveInt } from '../guards';

export type BatchNumberRole = 'global' | 'micro' | 'accumulation' | 'world';
export type BatchNumbers = Partial<Record<BatchNumberRole, number>>;
export type SplitError = 'clash' | { indivisible: BatchNumberRole };

const FACTORS = ['micro', 'accumulation', 'world'] as const;

/**
 * Fills the one unknown of global = micro x accumulation x world when the other three are known.
 * `clash`: all four known and global differs from the product; `indivisible`: the unknown factor
 * would not be a whole number (e.g. train_batch_size 100 with micro 32 x accumulation 4).
 */
export function solveGlobalBatch(q: BatchNumbers): { q: BatchNumbers; error?: SplitError } {
  const missing = (['global', ...FACTORS] as const).filter((r) => q[r] === undefined);
  if (missing.length === 0) return q.global === q.micro! * q.accumulation! * q.world! ? { q } : { q, error: 'clash' };
  if (missing.length > 1) return { q };
  const role = missing[0];
  if (role === 'global') return { q: { ...q, global: q.micro! * q.accumulation! * q.world! } };
  const product = FACTORS.filter((r) => r !== role).reduce((p, r) => p * q[r]!, 1);
  const x = q.global! / product;
  return isPositiveInt(x) ? { q: { ...q, [role]: x } } : { q, error: { indivisible: role } };
}

/** What is wrong, in the file's own key names, and what to do. An empty world name leaves the
 *  world (then 1: one process) out of the words. */
export function splitProblem(error: SplitError, q: BatchNumbers, names: Record<BatchNumberRole, string>): string {
  const shown = FACTORS.filter((r) => r !== 'world' || names.world !== '');
  if (error === 'clash') {
    const product = q.micro! * q.accumulation! * q.world!;
    return (
      `${names.global} (${q.global}) must equal ${shown.map((r) => names[r]).join(' x ')} = ` +
      `${shown.map((r) => q[r]).join(' x ')} = ${product}; change one of them so that they agree`
    );
  }
  const role = error.indivisible;
  const others = shown.filter((r) => r !== role);
  const product = others.reduce((p, r) => p * q[r]!, 1);
  const values = others.length > 1 ? `${others.map((r) => q[r]).join(' x ')} = ${product}` : String(product);
  return (
    `${names.global} (${q.global}) is not a multiple of ${others.map((r) => names[r]).join(' x ')} = ${values}, ` +
    `so ${names[role]} would not be a whole number; change one of them`
  );
}

/**
 * Our training format: batch_size = micro_batch_size x accumulation_steps (the built-in trainer is
 * one process). The problem, at the key to fix, when the given ones disagree.
 */
export function accumulationSplitProblem(config: unknown): { path: string[]; message: string } | undefined {
  if (!isObj(config) || !isPositiveInt(config.batch_size)) return undefined;
  const micro = isPositiveInt(config.micro_batch_size) ? config.micro_batch_size : undefined;
  const accumulation = isPositiveInt(config.accumulation_steps) ? config.accumulation_steps : undefined;
  if (micro === undefined && accumulation === undefined) return undefined;
  const s = solveGlobalBatch({ global: config.batch_size, micro, accumulation, world: 1 });
  if (!s.error) return undefined;
  const names = { global: 'batch_size', micro: 'micro_batch_size', accumulation: 'accumulation_steps', world: '' };
  const path = [micro !== undefined ? 'micro_batch_size' : 'accumulation_steps'];
  return { path, message: splitProblem(s.error, s.q, names) };
}
