// The recommendation's view over the whole run (issue 11): the critical batch size the branch
// phase measured along it, and the batch-size plan it implies with the profile's throughput model
// (../tuner/plan.ts). The study only gathers the inputs; a problem here never costs the study its
// fixed-size recommendation.
import type { Recommendation } from '../types';
import { scaleLearningRate } from '../tuner/lrScaling';
import { batchSizePlan } from '../tuner/plan';
import type { BranchOutcome } from './branchPhase';
import type { StudyContext } from './context';

export function withPlan(
  rec: Recommendation,
  branch: BranchOutcome | undefined,
  ctx: StudyContext,
  throughput: (b: number) => number | undefined,
): Recommendation {
  if (!branch) return rec;
  const out: Recommendation = {
    ...rec,
    undetermined: [...rec.undetermined, ...branch.undetermined],
    evidence: { ...rec.evidence, notes: [...rec.evidence.notes, ...branch.notes] },
  };
  if (branch.points.length === 0) return out;
  out.criticalBatchSize = branch.points;
  const o = ctx.options;
  if (o.horizonSamples === undefined) {
    out.undetermined.push(
      "a batch-size plan over the run: the run's length is unknown (the config names no steps or epochs); give it with --horizon (or tuner.horizon)",
    );
    return out;
  }
  const lr = (b: number) => scaleLearningRate(o.currentLearningRate, o.currentBatchSize, b, ctx.settings.lrRule);
  // One verdict: the plan is weighed against the fixed size the recommendation picked (by the model
  // or by the measurement), not against another fixed size the plan's own model would prefer.
  const fixedSizes = [rec.batchSize];
  try {
    const plan = batchSizePlan({
      points: branch.points.map((p) => ({ samples: p.samples, value: p.value })),
      referenceBatchSize: o.currentBatchSize,
      horizonSamples: o.horizonSamples,
      sizes: branch.sizes,
      fixedSizes,
      stepSeconds: (b) => {
        const x = throughput(b);
        return x !== undefined && x > 0 ? b / x : undefined;
      },
      learningRate: lr,
    });
    if (!plan) {
      out.undetermined.push('a batch-size plan over the run: no throughput is known at the sizes the branches compared, so no time can be predicted for them');
      return out;
    }
    const reached =
      branch.reachedFraction !== undefined
        ? `; the critical batch size was measured to ${Math.round(branch.reachedFraction * 100)}% of the horizon and held beyond`
        : '';
    const rule =
      plan.kind === 'warmup' ? `; the learning rate follows the batch by the ${ctx.settings.lrRule} rule (tuner.lr_scaling: ${ctx.settings.lrRule})` : '';
    out.plan = { ...plan, description: `${plan.description}${rule}${reached}` };
  } catch (e) {
    out.evidence.notes.push(`no batch-size plan: ${e instanceof Error ? e.message : String(e)}`);
  }
  return out;
}
