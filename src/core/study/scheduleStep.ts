// Dynamic batching (issue 6): when B_noise grows during training, a schedule that grows the batch
// can beat any fixed size. recommendSchedule (../tuner/scheduleRecommendation.ts) decides from the
// noise-scale history and the measured throughput; the study only gathers its inputs.
import type { Recommendation } from '../types';
import { recommendSchedule } from '../tuner/scheduleRecommendation';
import type { StepTimeParams } from '../tuner/stepTimeModel';

export function withSchedule(rec: Recommendation, ctx: { measuredBatchSize?: number; throughput?: StepTimeParams }): Recommendation {
  const history = rec.noiseScale?.history;
  // A schedule steers by B_noise: none when B_noise was assumed (there is no history to follow).
  if (!history || history.length < 2 || rec.basis.noiseScale === 'assumed') return rec;
  try {
    const schedule = recommendSchedule({
      noiseHistory: history,
      candidates: rec.candidates,
      bestFixed: { batchSize: rec.batchSize, ...(rec.predictedTimeToTarget !== undefined ? { predictedTimeToTarget: rec.predictedTimeToTarget } : {}) },
      ...(rec.alternatives.largestThatFits ? { maxBatchSize: rec.alternatives.largestThatFits.batchSize } : {}),
      ...(ctx.measuredBatchSize !== undefined ? { measuredBatchSize: ctx.measuredBatchSize } : {}),
      ...(ctx.throughput ? { throughput: ctx.throughput } : {}),
    });
    return schedule ? { ...rec, schedule } : rec;
  } catch (e) {
    // A bug there must not cost the study its fixed-size recommendation.
    return {
      ...rec,
      evidence: { ...rec.evidence, notes: [...rec.evidence.notes, `no schedule recommendation: ${e instanceof Error ? e.message : String(e)}`] },
    };
  }
}
