// The recommendation in three numbers: global batch = micro-batch x accumulation steps x
// data-parallel workers (DeepSpeed's train_batch_size = train_micro_batch_size_per_gpu x
// gradient_accumulation_steps x GPUs, https://www.deepspeed.ai/docs/config-json/; Megatron Core's
// num_microbatches = global_batch_size / (micro_batch_size x data_parallel_size),
// https://docs.nvidia.com/megatron-core/developer-guide/latest/api-guide/num_microbatches_calculator.html).
// Memory bounds the micro-batch; goodput (McCandlish et al. 2018; Pollux, Qiao et al. OSDI '21)
// and the critical batch size pick the global batch; accumulation bridges the two, so a global
// batch larger than memory allows is reached by accumulating, not ruled out.
import { isPositiveInt } from '../guards';
import type { Parallelism } from '../types';

/** What `tune --json` carries as `recommended.parallelism` (one shape: core/types.ts). */
export type { Parallelism } from '../types';

export interface ParallelismInput {
  /** Largest micro-batch one worker fits with the safety margin (memory fit or out-of-memory ceiling). */
  maxMicroBatch: number;
  /** The goodput-optimal global batch. */
  globalBatch: number;
  /** The critical batch size measured along training, when known: the global batch is not raised past it. */
  criticalBatchSize?: number;
  worldSize: number;
  /** Micro-batch sizes allowed (default: powers of two). */
  allowedMicroBatches?: readonly number[];
  /** How far (relative) the global batch may move to split into larger micro-batches (default 1/8). */
  tolerance?: number;
}

/** Goodput is flat near its optimum (the near-optimal band), so a global batch within 1/8 of it
 *  loses little, while a larger micro-batch saves passes: 100 becomes 96 = 32 x 3, not 4 x 25. */
export const DEFAULT_GLOBAL_TOLERANCE = 1 / 8;

export interface ParallelismPlan {
  parallelism: Parallelism;
  /** Where and why the global batch differs from the goodput-optimal one (empty when it does not). */
  adjustments: string[];
}

function powersOfTwoUpTo(n: number): number[] {
  const out: number[] = [];
  for (let b = 1; b <= n; b *= 2) out.push(b);
  return out;
}

function checkInput(i: ParallelismInput): void {
  if (!isPositiveInt(i.worldSize)) throw new Error(`worldSize must be a whole number >= 1 (got ${String(i.worldSize)})`);
  if (!(i.globalBatch >= 1) || !Number.isFinite(i.globalBatch)) throw new Error(`globalBatch must be a number >= 1 (got ${i.globalBatch})`);
  if (!(i.maxMicroBatch >= 1))
    throw new Error(
      `not even a micro-batch of 1 fits one worker's memory (largest that fits: ${i.maxMicroBatch}); free memory or shard the model before tuning the batch size`,
    );
  if (i.criticalBatchSize !== undefined && !(i.criticalBatchSize >= 1)) throw new Error(`criticalBatchSize must be >= 1 (got ${i.criticalBatchSize})`);
  if (i.tolerance !== undefined && !(i.tolerance >= 0 && i.tolerance < 1)) throw new Error(`tolerance must be in [0, 1) (got ${i.tolerance})`);
}

/**
 * The split of a target global batch: the largest allowed micro-batch whose nearest global batch
 * micro x k x world (k = round(target / (micro x world)) >= 1) lies within `tolerance` of the target;
 * when none does, the nearest one (ties: the larger micro-batch, fewer passes). With tolerance 0
 * this is "the largest micro-batch that divides the global batch per worker". `off`: relative distance from the target.
 */
export function splitGlobalBatch(target: number, world: number, allowed: readonly number[], tolerance: number): { micro: number; k: number; off: number } {
  const splits = [...allowed]
    .sort((a, b) => b - a)
    .map((m) => {
      const k = Math.max(1, Math.round(target / (m * world)));
      return { micro: m, k, off: Math.abs(m * k * world - target) / target };
    });
  const within = splits.find((s) => s.off <= tolerance + 1e-12);
  if (within) return within;
  return splits.reduce((best, s) => (s.off < best.off ? s : best));
}

/**
 * micro = the largest allowed size (powers of two by default) that fits memory and splits the
 * global batch per worker; accumulation = global / (micro x world). The global batch is the
 * goodput-optimal one, capped at the critical batch size, and moved by at most `tolerance` when
 * that buys a larger micro-batch (fewer, fuller passes).
 */
export function recommendParallelism(input: ParallelismInput): ParallelismPlan {
  checkInput(input);
  const { worldSize: world } = input;
  const adjustments: string[] = [];
  let target = input.globalBatch;
  if (input.criticalBatchSize !== undefined && target > input.criticalBatchSize) {
    adjustments.push(`global batch lowered from ${target} to the critical batch size ${input.criticalBatchSize}: larger batches no longer shorten training`);
    target = input.criticalBatchSize;
  }
  const ceiling = Math.floor(input.maxMicroBatch);
  const allowed = (input.allowedMicroBatches ?? powersOfTwoUpTo(ceiling)).filter((m) => isPositiveInt(m) && m <= ceiling);
  if (allowed.length === 0) throw new Error(`no allowed micro-batch size fits one worker's memory (largest that fits: ${ceiling})`);
  const { micro, k } = splitGlobalBatch(target, world, allowed, input.tolerance ?? DEFAULT_GLOBAL_TOLERANCE);
  const global = micro * k * world;
  if (global !== target)
    adjustments.push(
      `global batch ${target} moved to ${global} = ${micro} x ${k} x ${world} workers, the nearest split with the largest micro-batch that fits`,
    );
  return { parallelism: { microBatchSize: micro, accumulationSteps: k, worldSize: world, globalBatchSize: global }, adjustments };
}

/**
 * Seconds of one optimizer step with gradient accumulation: k forward/backward passes of
 * B / (k W) samples per worker, then one optimizer step (the update happens once per k micro-
 * steps: DeepSpeed's gradient_accumulation_steps, "accumulate gradients before averaging and
 * applying them"; NeMo/Megatron: "do k forward and backward passes ... do not perform parameter
 * updates until after k passes"):  T(B, k) = k x t_micro(B / (k W)) + t_opt.
 */
export function accumulatedStepSeconds(p: Parallelism, microStepSeconds: (microBatch: number) => number, optimizerStepSeconds: number): number {
  return p.accumulationSteps * microStepSeconds(p.globalBatchSize / (p.accumulationSteps * p.worldSize)) + optimizerStepSeconds;
}

/** Samples per second over all workers: B / T(B, k). */
export function accumulatedThroughput(p: Parallelism, microStepSeconds: (microBatch: number) => number, optimizerStepSeconds: number): number {
  return p.globalBatchSize / accumulatedStepSeconds(p, microStepSeconds, optimizerStepSeconds);
}

/**
 * One micro-step's time from a step measured without accumulation, which is one forward/backward
 * pass plus one optimizer step: t_micro(b) = t_step(b) - t_opt.
 */
export function microStepSecondsFrom(stepSeconds: number, optimizerStepSeconds: number): number {
  return Math.max(0, stepSeconds - optimizerStepSeconds);
}

/** The usual micro-step model: a fixed cost per pass plus a cost per sample, t_micro(b) = c0 + c1 b. */
export function linearMicroStep(overheadSeconds: number, secondsPerSample: number): (microBatch: number) => number {
  return (b) => overheadSeconds + secondsPerSample * b;
}

// ---------------------------------------------------------------------------------------------
// A global batch beyond memory, reached by accumulation (the recommendation's search, issue 13).

/** The sizes a profile says fit (ran, or predicted to fit), and the largest of them. */
export function largestThatFits(candidates: ReadonlyArray<{ batchSize: number; fits: boolean; predictedToFit?: boolean }>): number | undefined {
  const sizes = candidates.filter((c) => c.fits || c.predictedToFit).map((c) => c.batchSize);
  return sizes.length > 0 ? Math.max(...sizes) : undefined;
}

/**
 * Batch sizes beyond what fits that accumulation reaches: each B > fitMax with the fewest k >= 2
 * such that B / k is whole and fits (B / k <= fitMax), as B -> k. In global-batch terms (the
 * profile's sizes are global batches), so the world size does not enter.
 */
export function accumulationSteps(sizes: readonly number[], fitMax: number): Map<number, number> {
  const out = new Map<number, number>();
  for (const b of sizes) {
    if (!(b > fitMax) || !isPositiveInt(b)) continue;
    for (let k = Math.max(2, Math.ceil(b / fitMax)); k <= b; k++) {
      if (b % k === 0 && b / k <= fitMax) {
        out.set(b, k);
        break;
      }
    }
  }
  return out;
}

/**
 * X(B) with accumulation where B needs it: k passes of B / k (one step of the profile at batch
 * B / k takes (B / k) / X(B / k) seconds) and one optimizer step, accumulatedThroughput. The
 * optimizer step's own time is not measured, so it is counted in every pass (t_opt = 0 below):
 * the time is an upper bound, the throughput a lower bound — never a flattering guess.
 */
export function throughputWithAccumulation(X: (b: number) => number | undefined, steps: ReadonlyMap<number, number>): (b: number) => number | undefined {
  return (b) => {
    const k = steps.get(b);
    if (k === undefined) return X(b);
    const micro = b / k;
    const x = X(micro);
    if (x === undefined || !(x > 0)) return undefined;
    return accumulatedThroughput({ microBatchSize: micro, accumulationSteps: k, worldSize: 1, globalBatchSize: b }, (m) => m / (X(m) as number), 0);
  };
}
