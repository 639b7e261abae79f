// The branch phase's settings and output (issue 11): `tune --horizon` / `--from-checkpoint` and the
// config's tuner.horizon through the one resolver (with provenance and file:line:col errors), and
// what `tune` prints: the plan line, the critical batch size along the run, and the --json fields.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { parseTuneArgs } from '../../src/cli/tuneArgs';
import { formatRecommendation, outcomeJson } from '../../src/cli/tuneOutput';
import { cliLayer, resolveStudy } from '../../src/core/resolve';
import type { StudyOutcome } from '../../src/core/study';
import type { BatchSizePlan, CriticalBatchPoint, Recommendation } from '../../src/core/types';
import { MNIST_MLP_YAML } from './helpers/mnistConfig';

const machine = { totalMemoryBytes: 16e9 };
const FILE = '/work/cfg/mnist-mlp.yaml';

test('--horizon and --from-checkpoint: parsed, checked, repeatable or a list', () => {
  const a = parseTuneArgs(['c.yaml', '--horizon', '600steps', '--from-checkpoint', 'a.btckpt', '--from-checkpoint', 'b.btckpt, c.btckpt']);
  assert.ok(a !== 'help');
  assert.equal(a.horizon, '600steps');
  assert.deepEqual(a.fromCheckpoint, ['a.btckpt', 'b.btckpt', 'c.btckpt']);
  assert.throws(
    () => parseTuneArgs(['c.yaml', '--horizon', '12 parsecs']),
    /--horizon must be a number of samples, or steps or epochs such as "600steps" or "10epochs" \(got "12 parsecs"\)/,
  );
  assert.throws(() => parseTuneArgs(['c.yaml', '--from-checkpoint', 'a,,b']), /--from-checkpoint expects checkpoint files/);
});

test("the horizon: the config's steps or epochs by default, tuner.horizon, then the flag; samples, steps or epochs", () => {
  const resolve = (text: string, args = {}) => resolveStudy({ file: FILE, text, run: cliLayer(args, '/work/cfg'), machine });
  // MNIST_MLP_YAML: 1 epoch of 4,000 training digits at batch 32.
  const d = resolve(MNIST_MLP_YAML);
  assert.ok(d.ok);
  assert.equal(d.options.horizonSamples, 4000);
  assert.equal(d.provenance.horizonSamples, 'derived');
  const steps = resolve(MNIST_MLP_YAML.replace('epochs: 1', 'steps: 500'));
  assert.ok(steps.ok && steps.options.horizonSamples === 500 * 32);
  const cfg = resolve(`${MNIST_MLP_YAML}tuner:\n  horizon: 10epochs\n`);
  assert.ok(cfg.ok && cfg.options.horizonSamples === 40_000 && cfg.provenance.horizonSamples === 'config');
  const flag = resolve(`${MNIST_MLP_YAML}tuner:\n  horizon: 10epochs\n`, { horizon: '120000', fromCheckpoint: ['ckpts/a.btckpt'] });
  assert.ok(flag.ok);
  assert.equal(flag.options.horizonSamples, 120_000);
  assert.equal(flag.provenance.horizonSamples, 'cli');
  assert.deepEqual(flag.options.fromCheckpoints, [join('/work/cfg', 'ckpts/a.btckpt')], 'relative to the working directory');
  const stepsFlag = resolve(MNIST_MLP_YAML, { horizon: '300 steps' });
  assert.ok(stepsFlag.ok && stepsFlag.options.horizonSamples === 300 * 32);
  const bad = resolve(`${MNIST_MLP_YAML}tuner:\n  horizon: -5\n`);
  assert.ok(!bad.ok);
  assert.match(bad.message, /mnist-mlp\.yaml:\d+:\d+: .*horizon/, bad.message);
});

const point = (samples: number, value: number, low: number, high: number): CriticalBatchPoint => ({
  samples,
  step: samples / 32,
  loss: 0.5,
  value,
  low,
  high,
  tolerance: 0.02,
  method: 'branches of 1024 samples each at k x B; ...',
  checkpointSource: 'study',
  basis: 'measured',
  branches: [
    { batchSize: 32, relativeLoss: 1, seeds: 2 },
    { batchSize: 64, relativeLoss: 1.01, seeds: 2 },
  ],
  noiseScale: { value: 90, low: 60, high: 140 },
});

const plan: BatchSizePlan = {
  kind: 'warmup',
  stages: [
    { fromSamples: 0, batchSize: 32, learningRate: 0.001 },
    { fromSamples: 1000, batchSize: 64, learningRate: 0.0014 },
    { fromSamples: 4000, batchSize: 128, learningRate: 0.002 },
  ],
  schedule: { kind: 'step', at_steps: [31, 78], factor: 2, max_batch_size: 128 },
  horizonSamples: 9600,
  predictedSteps: 122,
  predictedSeconds: 3.1,
  bestFixed: { batchSize: 64, predictedSteps: 160, predictedSeconds: 4.03 },
  speedupVsBestFixed: 1.3,
  basis: 'fitted',
  description: '32 until 1,000 samples, then 64 until 4,000, then 128 to the end',
};

function outcome(p: BatchSizePlan | undefined): StudyOutcome {
  const rec: Recommendation = {
    batchSize: 64,
    learningRate: 0.0014,
    current: { batchSize: 32, learningRate: 0.001 },
    band: { low: 32, high: 128, tolerance: 0.1, sizes: [32, 64, 128], basis: 'fitted' },
    basis: { throughput: 'fitted', noiseScale: 'measured', convergence: 'fitted' },
    undetermined: [],
    alternatives: {},
    candidates: [],
    evidence: { lrRule: 'sqrt', notes: [] },
    criticalBatchSize: [point(1200, 64, 64, 128), { ...point(4800, 128, 128, 128), atLeast: true }],
    ...(p ? { plan: p } : {}),
  };
  return {
    id: 's',
    status: 'completed',
    recommendation: rec,
    plan: { summary: 'profile ~27%, branch ~30%' } as StudyOutcome['plan'],
    trials: [],
    elapsedSeconds: 60,
  };
}

test('tune prints the plan over the run and the critical batch size along it', () => {
  const text = formatRecommendation(outcome(plan));
  assert.match(text, /Over the run:/);
  assert.match(
    text,
    /Plan over 9\.6k samples \(batch warm-up, fitted\): 32 until 1,000 samples, then 64 until 4,000, then 128 to the end; predicted 122 steps/,
  );
  assert.match(text, /against a fixed 64 \(160 steps[^)]*\), 1\.3x faster/);
  assert.match(text, /at 1\.2k samples \(loss [0-9.]+\): critical batch size 64 \(64–128, measured\), B_noise 90/);
  assert.match(text, /critical batch size ≥128 .*the largest size tried still kept up/);
  const fixed = formatRecommendation(
    outcome({ ...plan, kind: 'fixed', stages: [{ fromSamples: 0, batchSize: 64, learningRate: 0.0014 }], speedupVsBestFixed: 1 }),
  );
  assert.match(fixed, /one batch size for the whole run/);
  assert.doesNotMatch(fixed, /1x faster/);
});

test('tune --json carries criticalBatchSize [{samples, loss, value, low, high, ...}] and plan; the budget summary is `budget`', () => {
  const j = JSON.parse(JSON.stringify(outcomeJson(outcome(plan)))) as Record<string, unknown>;
  const cbs = j.criticalBatchSize as Array<Record<string, unknown>>;
  assert.equal(cbs.length, 2);
  for (const k of ['samples', 'loss', 'value', 'low', 'high', 'tolerance', 'method', 'branches', 'noiseScale', 'checkpointSource', 'basis'])
    assert.ok(k in cbs[0], k);
  assert.deepEqual([cbs[0].samples, cbs[0].value, cbs[0].low, cbs[0].high], [1200, 64, 64, 128]);
  assert.deepEqual(j.plan, plan);
  assert.equal(j.budget, 'profile ~27%, branch ~30%');
  const none = JSON.parse(JSON.stringify(outcomeJson(outcome(undefined)))) as Record<string, unknown>;
  assert.equal(none.plan, undefined);
});
