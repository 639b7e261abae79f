// A deterministic TrialRunner for the engine's logic (plan, bisection, bad inputs, persistence):
// throughput X(B) = xMax B/(B + 64), peak memory a + b*B, and an out-of-memory failure above a
// ceiling -- a fault we cannot cause cheaply for real. Gradient statistics come from real
// per-sample gradients of least-squares regression; validation loss falls with the steps taken
// as S(B) ~ S_min (1 + B_noise/B) says. It never sleeps: trials finish at once.
import type { EvalMetrics, StepMetrics, TrialResult, TrialRunner, TrialSpec } from '../../../src/core/types';
import { seededRandom } from '../../../src/core/tuner';
import { regressionGradientSteps } from './linearRegression';

export interface SimulatedMachine {
  xMax?: number;
  memA?: number;
  memB?: number;
  /** Bytes above which a trial fails with 'oom'. */
  ceilingBytes?: number;
  /** Every trial crashes with this message. */
  crashAll?: string;
  /** Label noise of the regression (sets B_noise = 4 (1 + s^2) + 1 with d = 4). */
  sigma?: number;
  onTrial?: (spec: TrialSpec) => void;
}

export function simulatedRunner(m: SimulatedMachine = {}): TrialRunner & { specs: TrialSpec[] } {
  const specs: TrialSpec[] = [];
  const run: TrialRunner = async (spec, callbacks, signal) => {
    specs.push(spec);
    m.onTrial?.(spec);
    await new Promise((r) => setImmediate(r));
    const B = spec.batchSize;
    const x = ((m.xMax ?? 20000) * B) / (B + 64);
    const peak = (m.memA ?? 1e6) + (m.memB ?? 1e5) * B;
    const base: TrialResult = {
      id: spec.id,
      status: 'ok',
      batchSize: B,
      learningRate: spec.learningRate,
      seed: spec.seed,
      steps: [],
      evals: [],
      wallSeconds: 0.01,
    };
    if (signal?.aborted) return { ...base, status: 'cancelled', error: { kind: 'cancelled', message: 'cancelled' } };
    if (m.crashAll)
      return { ...base, status: 'crashed', error: { kind: 'crash', message: m.crashAll, exitCode: 1, stderrTail: 'Traceback...\nValueError: ' + m.crashAll } };
    if (m.ceilingBytes !== undefined && peak > m.ceilingBytes)
      return { ...base, status: 'oom', error: { kind: 'oom', message: `simulated out of memory at batch ${B}` } };
    const seconds = spec.maxSeconds ?? 1;
    const nSteps = Math.max(2, Math.min(spec.maxSteps ?? 1e9, Math.round((x * seconds) / B), 60));
    const k = spec.microBatches && spec.microBatches >= 2 ? spec.microBatches : 0;
    const grads = k
      ? regressionGradientSteps({
          rand: seededRandom(B * 31 + spec.seed),
          delta: [1, 0, 0, 0],
          sigma: m.sigma ?? 2,
          batchSize: B,
          microBatches: k,
          steps: nSteps,
        })
      : [];
    const bNoise = 4 * (1 + (m.sigma ?? 2) ** 2) + 1;
    const progressAt = (steps: number) => (steps * (x * seconds)) / B / nSteps / (1 + bNoise / B);
    const valLoss = (steps: number) => 1 / (1 + progressAt(steps) / 50) + spec.seed * 1e-4;
    const steps: StepMetrics[] = [];
    const evals: EvalMetrics[] = [];
    for (let i = 1; i <= nSteps; i++) {
      const s: StepMetrics = {
        step: i,
        epoch: 0,
        samples: i * B,
        loss: valLoss(i),
        batchSize: B,
        learningRate: spec.learningRate,
        stepTimeMs: (1000 * B) / x,
        samplesPerSecond: x,
        time: (i * seconds) / nSteps,
        peakMemoryBytes: peak,
      };
      if (k) Object.assign(s, { gradSqNorm: grads[i - 1].gradSqNorm, microGradSqNorm: grads[i - 1].microGradSqNorm, microBatchSize: B / k });
      steps.push(s);
      callbacks.onStep?.(s);
      if ((spec.evalEvery && i % spec.evalEvery === 0) || i === nSteps) {
        const e = { step: i, samples: i * B, time: s.time, valLoss: valLoss(i) };
        evals.push(e);
        callbacks.onEval?.(e);
      }
    }
    return { ...base, steps, evals, samplesPerSecond: x, samplesPerSecondIqr: [x, x], peakMemoryBytes: peak, wallSeconds: seconds };
  };
  return Object.assign(run, { specs });
}
