// The recommendation in three numbers (issue 13): global batch = micro-batch x accumulation x
// workers. The micro-batch comes from memory (the largest per worker that fits with the margin:
// the profile's memory fit, else the largest size that ran below the out-of-memory ceiling), the
// global batch from goodput (the recommendation's pick, capped by the critical batch size measured
// along training when there is one), and accumulation bridges the two (tuner/parallelism.ts).
import type { Parallelism, Recommendation } from '../types';
import { recommendParallelism } from '../tuner/parallelism';
import type { ProfileOutcome } from './profilePhase';
import type { StudyContext } from './context';

/** The largest global batch that fits with the margin, and how that is known (in a few words). */
function memoryCeiling(profile: ProfileOutcome): { batch: number; how: string } | undefined {
  const fit = profile.predictedMaxFit;
  if (fit !== undefined && Number.isFinite(fit) && fit >= 1) return { batch: fit, how: 'by the memory fit' };
  const ran = profile.candidates.filter((c) => c.fits).map((c) => c.batchSize);
  if (ran.length === 0) return undefined;
  const largest = Math.max(...ran);
  const oom = profile.oomCeiling;
  return {
    batch: largest,
    how: oom !== undefined ? `the largest batch that ran, ${largest}, below the out-of-memory ceiling ${oom}` : `the largest batch that ran, ${largest}`,
  };
}

/** Micro-batch sizes to consider: powers of two and the divisors of the per-worker share, up to the ceiling. */
function microChoices(share: number, ceiling: number): number[] {
  const out = new Set<number>();
  for (let b = 1; b <= ceiling; b *= 2) out.add(b);
  for (let d = 1; d <= Math.min(share, ceiling); d++) if (share % d === 0) out.add(d);
  return [...out].sort((a, b) => a - b);
}

/** The critical batch size to cap the global batch at: the latest point measured along training. */
function criticalBatch(rec: Recommendation): number | undefined {
  const points = rec.criticalBatchSize ?? [];
  return points.length > 0 ? [...points].sort((a, b) => a.samples - b.samples)[points.length - 1].value : undefined;
}

export function parallelismFor(rec: Recommendation, profile: ProfileOutcome, worldSize: number, canAccumulate: boolean): Parallelism | undefined {
  const memory = memoryCeiling(profile);
  const global = rec.batchSize;
  const workers = `${worldSize} worker${worldSize === 1 ? '' : 's'}`;
  const goodput = `global batch ${global}: the recommended size${rec.basis.noiseScale === 'assumed' ? ' (B_noise assumed)' : ''}`;
  if (!canAccumulate || !memory) {
    const micro = global / worldSize;
    if (!Number.isInteger(micro)) return undefined;
    const why = !canAccumulate ? 'the config has no accumulation key to write' : 'memory was not measured';
    return {
      microBatchSize: micro,
      accumulationSteps: 1,
      worldSize,
      globalBatchSize: global,
      reason: `${goodput}; micro-batch ${micro} per worker x ${workers}, no accumulation: ${why}`,
    };
  }
  const ceiling = Math.floor(memory.batch / worldSize);
  if (ceiling < 1) return undefined;
  const cbs = criticalBatch(rec);
  const share = Math.max(1, Math.floor(global / worldSize));
  const plan = recommendParallelism({
    maxMicroBatch: ceiling,
    globalBatch: global,
    worldSize,
    allowedMicroBatches: microChoices(share, ceiling),
    ...(cbs !== undefined ? { criticalBatchSize: cbs } : {}),
  });
  const p = plan.parallelism;
  const bridge = p.accumulationSteps === 1 ? "each worker's whole share fits, so no accumulation" : `${p.accumulationSteps} accumulation steps bridge the two`;
  const reason = `${goodput}; micro-batch ${p.microBatchSize} per worker x ${workers}, the largest that splits it within memory (up to ${ceiling} per worker fit, ${memory.how}); ${bridge}${plan.adjustments.length ? `; ${plan.adjustments.join('; ')}` : ''}`;
  return { ...p, reason };
}

/** The recommendation with its three numbers (unchanged when memory says nothing about them). */
export function withParallelism(rec: Recommendation | undefined, ctx: StudyContext, profile: ProfileOutcome): Recommendation | undefined {
  if (!rec) return rec;
  const p = ctx.options.parallelism;
  const parallelism = parallelismFor(rec, profile, p?.worldSize ?? 1, p?.canAccumulate ?? false);
  return parallelism ? { ...rec, parallelism } : rec;
}
