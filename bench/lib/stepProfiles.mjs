// Step-time profiles t(B) for the horizon benchmark: time to target = the steps a run took to the
// target x t(B) of each step's batch size, so the ground truth does not depend on a noisy clock.
// (a) measured here: the median step time at each batch size over the full-horizon runs of the
//     sweep (all seeds), on this machine's CPU backend.
// (b) GPU-like: t(B) = a + b B with
//     a = 1 ms per optimizer step: a small model on a data-centre GPU is launch-bound; eager PyTorch
//         runs a training step of an MLP/CNN this small as ~100 kernels (forward, backward, Adam)
//         at ~5-10 us of launch overhead each (NVIDIA, "Getting Started with CUDA Graphs", 2019);
//     b = FLOPs per sample / (25% of 67 TFLOP/s): the FP32 peak of an NVIDIA H100 SXM (H100
//         Tensor Core GPU datasheet), at a quarter of it for GEMMs this small.
//     So throughput X(B) = B / t(B) keeps rising to large batches (it is ~linear in B up to
//     B = a/b, which is 10^4..10^6 samples for these models). A model, not a measurement: no GPU
//     was at hand when it was written.
import { median } from './sweep.mjs';
import { reachOf } from './horizonRuns.mjs';

export const GPU_STEP_OVERHEAD_SECONDS = 1e-3;
export const GPU_SUSTAINED_FLOPS = 0.25 * 67e12;

export function measuredProfile(fixedRuns) {
  const table = new Map();
  for (const r of fixedRuns) for (const [b, ms] of Object.entries(r.stepMs ?? {})) table.set(Number(b), [...(table.get(Number(b)) ?? []), ms]);
  const t = new Map([...table].map(([b, ms]) => [b, median(ms) / 1000]));
  // A size the sweep did not run (a plan's stage past its largest size): the line a + bB through the table (least squares).
  const xs = [...t.keys()];
  const mx = xs.reduce((a, x) => a + x, 0) / xs.length;
  const my = [...t.values()].reduce((a, y) => a + y, 0) / xs.length;
  const slope =
    xs.reduce((a, x) => a + (x - mx) * (t.get(x) - my), 0) /
    Math.max(
      1e-12,
      xs.reduce((a, x) => a + (x - mx) ** 2, 0),
    );
  const line = (b) => Math.max(1e-6, my + slope * (b - mx));
  return {
    name: 'measured',
    describe: 'median step time per batch size over the full-horizon runs on this machine (sizes beyond the sweep: the least-squares line through them)',
    t: (b) => t.get(b) ?? line(b),
    table: Object.fromEntries(t),
  };
}

export function gpuProfile(task) {
  const perSample = task.flopsPerSample / GPU_SUSTAINED_FLOPS;
  return {
    name: 'gpu-like',
    describe: `t(B) = ${GPU_STEP_OVERHEAD_SECONDS * 1e3} ms + ${(perSample * 1e9).toFixed(2)} ns x B (${task.flopsPerSample.toExponential(2)} FLOPs/sample at ${(GPU_SUSTAINED_FLOPS / 1e12).toFixed(1)} TFLOP/s)`,
    t: (b) => GPU_STEP_OVERHEAD_SECONDS + perSample * b,
    a: GPU_STEP_OVERHEAD_SECONDS,
    b: perSample,
  };
}

/** Seconds to `target` under profile `t`: each stretch of steps at its batch size, up to the (fractional) step of the crossing. */
export function timeToTarget(run, target, t) {
  const reach = reachOf(run, target);
  if (!reach) return Infinity;
  let time = 0;
  run.stages.forEach((s, i) => {
    const end = Math.min(reach.step, i + 1 < run.stages.length ? run.stages[i + 1].fromStep : Infinity);
    if (end > s.fromStep) time += (end - s.fromStep) * (t(s.batchSize) ?? NaN);
  });
  return time;
}
