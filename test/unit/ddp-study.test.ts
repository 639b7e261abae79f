// Data-parallel trials tuned for real (issue 13): `batch-tuner tune examples/pytorch-ddp/config.yaml`
// on this machine, every trial two gloo workers under torchrun (the test venv's torch 2.x). The
// world size comes from the config's own DeepSpeed numbers (64 = 32 x 1 x 2), every trial reports
// two workers, and the recommendation comes in three numbers whose product is the global batch.
// Skipped (not run) without the test venv.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pythonEnv, testPython } from './helpers/python';

const ROOT = resolve(__dirname, '../..');
const EXAMPLE = join(ROOT, 'examples/pytorch-ddp');
const { python: PY, skip } = testPython();

test('tune examples/pytorch-ddp/config.yaml: 2 workers per trial, a recommendation in micro x accumulation x workers', { skip, timeout: 600_000 }, () => {
  assert.ok(existsSync(join(ROOT, 'dist/cli.js')) && existsSync(join(ROOT, 'dist/data/mnist.bin')), 'run `npm run build` first');
  const dir = mkdtempSync(join(tmpdir(), 'bt-ddp-study-'));
  for (const f of ['train.py', 'config.yaml']) copyFileSync(join(EXAMPLE, f), join(dir, f));
  const before = readFileSync(join(dir, 'config.yaml'), 'utf8');
  const r = spawnSync(
    process.execPath,
    [join(ROOT, 'dist/cli.js'), 'tune', join(dir, 'config.yaml'), '--budget', '100', '--max', '256', '--json', '--out', join(dir, 'out')],
    {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 560_000,
      env: pythonEnv({ BATCH_TUNER_PYTHON: PY, BATCH_TUNER_MNIST: join(ROOT, 'dist/data/mnist.bin') }),
    },
  );
  assert.equal(r.status, 0, `${r.stderr.slice(-3000)}\n${r.stdout.slice(0, 2000)}`);
  const j = JSON.parse(r.stdout);
  assert.equal(j.status, 'completed');
  assert.deepEqual(j.settings.worldSize, { value: 2, source: 'config' }, 'from 64 = 32 x 1 x 2 in the file');
  const ok = j.trials.filter((t: { status: string }) => t.status === 'ok');
  assert.ok(ok.length >= 3, JSON.stringify(j.trials));
  const p = j.recommended.parallelism;
  assert.ok(p, 'recommended.parallelism');
  assert.equal(p.worldSize, 2);
  assert.equal(p.microBatchSize * p.accumulationSteps * p.worldSize, p.globalBatchSize);
  assert.equal(p.globalBatchSize, j.recommended.batchSize);
  assert.ok(
    j.candidates.some((c: { batchSize: number; status: string }) => c.batchSize === j.recommended.batchSize && c.status === 'ok'),
    'the pick was measured',
  );
  assert.equal(readFileSync(join(dir, 'config.yaml'), 'utf8'), before, 'tune leaves the config as it was');
  assert.deepEqual(readdirSync(dir).sort(), ['config.yaml', 'out', 'train.py'], 'no trial config copy left behind');
  console.log(`ddp study: ${JSON.stringify(p)}; B_noise ${j.noiseScale?.value?.toFixed?.(0)}; ${ok.length} trials ok`);
});
