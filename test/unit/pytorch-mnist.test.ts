// A real PyTorch trial of examples/pytorch-mnist through the external runner, as the tuner runs it
// (torch 2.x from the test venv: test/unit/helpers/python.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { StepMetrics } from '../../src/core/types';
import { createRunner, loadExternalConfig } from '../../src/core/runner';
import { pythonEnv, testPython } from './helpers/python';

const CONFIG = resolve(__dirname, '../../examples/pytorch-mnist/config.yaml');
const { python: PY, skip } = testPython();

test('the example config is read as a user config: batch size, lr, tuner section', () => {
  const c = loadExternalConfig(CONFIG);
  assert.equal(c.format, 'yaml');
  assert.equal(c.batchSize, 32);
  assert.equal(c.learningRate, 0.001);
  assert.equal(c.command, '${python} train.py --config ${config} --max-steps ${steps} --seed ${seed}');
  assert.deepEqual(c.tuner, { min_batch_size: 8, max_batch_size: 512, budget_seconds: 60, command: c.command });
  assert.equal(c.datasetSize, 8000);
  assert.equal(c.site.batchSize.line, 2);
});

test('a real PyTorch trial: loss falls, gradient statistics and throughput are measured', { timeout: 90_000, skip }, async () => {
  assert.ok(existsSync(resolve(__dirname, '../../dist/data/mnist.bin')), 'run `npm run build` first (creates dist/data/mnist.bin)');
  // A private copy of the example (others may be tuning the shared one right now).
  const dir = mkdtempSync(join(tmpdir(), 'bt-pytorch-'));
  for (const f of ['train.py', 'config.yaml']) copyFileSync(resolve(CONFIG, '..', f), join(dir, f));
  const config = join(dir, 'config.yaml');
  const cfg = loadExternalConfig(config);
  assert.ok(cfg.command);
  const runner = createRunner(
    { kind: 'external', command: cfg.command, shell: false, pythonPath: PY, hangTimeoutMs: 60_000 },
    { env: pythonEnv({ BATCH_TUNER_MNIST: resolve(__dirname, '../../dist/data/mnist.bin') }) },
  );
  const live: StepMetrics[] = [];
  const r = await runner(
    {
      id: 'pytorch-64',
      configPath: config,
      config: { tuner: cfg.tuner } as never,
      batchSize: 64,
      learningRate: 0.002,
      seed: 1,
      maxSteps: 60,
      microBatches: 4,
      warmupSteps: 5,
      evalEvery: 0,
    },
    { onStep: (s) => live.push(s) },
  );
  assert.equal(r.status, 'ok', `${JSON.stringify(r.error)} ${r.warnings}`);
  assert.equal(r.steps.length, 60);
  assert.equal(live.length, 60, 'steps streamed while the trial ran');
  const first = r.steps.slice(0, 5).reduce((a, s) => a + s.loss, 0) / 5;
  const last = r.steps.slice(-10).reduce((a, s) => a + s.loss, 0) / 10;
  assert.ok(last < first * 0.7, `loss falls: ${first.toFixed(3)} -> ${last.toFixed(3)}`);
  assert.ok(r.steps.every((s) => s.batchSize === 64 && s.samples === s.step * 64));
  assert.ok(
    r.steps.every((s) => s.gradSqNorm! > 0 && s.microGradSqNorm! > s.gradSqNorm! && s.microBatchSize === 16),
    'micro-batch gradient statistics on every step',
  );
  assert.ok((r.samplesPerSecond ?? 0) > 100, `throughput ${r.samplesPerSecond}`);
  assert.ok(r.samplesPerSecondIqr && r.samplesPerSecondIqr[0] <= r.samplesPerSecond! && r.samplesPerSecond! <= r.samplesPerSecondIqr[1]);
  assert.ok((r.peakMemoryBytes ?? 0) > 50e6, `process-tree RSS measured: ${r.peakMemoryBytes}`);
  // On CPU the script reports its own peak RSS with each step (device_memory_bytes, as the package's callbacks do).
  assert.ok(
    r.steps.every((s) => (s.memoryBytes ?? 0) > 50e6),
    `memory_bytes on every step: ${r.steps
      .slice(0, 3)
      .map((s) => s.memoryBytes)
      .join(', ')}`,
  );
  assert.match(r.backend ?? '', /^pytorch 2\./, 'torch 2.x from the test venv');
  assert.equal(r.evals.length, 1);
  assert.ok(r.evals[0].valLoss < 2 && (r.evals[0].valAccuracy ?? 0) > 0.5, JSON.stringify(r.evals));
  assert.ok(!(r.warnings ?? []).some((w) => /gradient statistics/.test(w)), String(r.warnings));
  assert.deepEqual(readdirSync(dir).sort(), ['config.yaml', 'train.py'], 'the trial config copy is removed');
  // The noise scale these statistics imply (McCandlish et al. 2018, appendix A), from B_small = 16, B_big = 64.
  const steps = r.steps.slice(5);
  const gBig = steps.reduce((a, s) => a + s.gradSqNorm!, 0) / steps.length;
  const gSmall = steps.reduce((a, s) => a + s.microGradSqNorm!, 0) / steps.length;
  const G2 = (64 * gBig - 16 * gSmall) / (64 - 16);
  const trSigma = (gSmall - gBig) / (1 / 16 - 1 / 64);
  assert.ok(G2 > 0 && trSigma > 0, `|G|^2 ${G2}, tr(Sigma) ${trSigma}`);
  console.log(
    `pytorch trial: ${r.samplesPerSecond?.toFixed(0)} samples/s, peak RSS ${(r.peakMemoryBytes! / 2 ** 20).toFixed(0)} MiB, loss ${first.toFixed(3)} -> ${last.toFixed(3)}, B_noise ~ ${(trSigma / G2).toFixed(0)}`,
  );
});
