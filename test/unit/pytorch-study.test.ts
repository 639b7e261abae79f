// A real PyTorch study end to end through the `batch-tuner tune` CLI on examples/pytorch-mnist:
// every trial runs train.py with the test venv's Python (torch 2.x), and the noise scale comes from the gradient
// statistics its reporter sends (GradNoiseMeter over micro-batches).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pythonEnv, testPython } from './helpers/python';

const ROOT = resolve(__dirname, '../..');
const EXAMPLE = join(ROOT, 'examples/pytorch-mnist');
const { python: PY, skip } = testPython();

interface Candidate {
  batchSize: number;
  status: string;
  samplesPerSecond?: number;
  peakMemoryBytes?: number;
  goodput?: number;
}

test('tune examples/pytorch-mnist/config.yaml: a recommendation with a noise-scale estimate', { timeout: 150_000, skip }, () => {
  assert.ok(
    existsSync(join(ROOT, 'dist/cli.js')) && existsSync(join(ROOT, 'dist/data/mnist.bin')),
    'run `npm run build` first (creates dist/cli.js and dist/data/mnist.bin)',
  );
  // A private copy of the example (others may be tuning the shared one right now).
  const dir = mkdtempSync(join(tmpdir(), 'bt-study-'));
  for (const f of ['train.py', 'config.yaml']) copyFileSync(join(EXAMPLE, f), join(dir, f));
  const out = join(dir, 'out');
  const r = spawnSync(
    process.execPath,
    [join(ROOT, 'dist/cli.js'), 'tune', join(dir, 'config.yaml'), '--budget', '40', '--max', '128', '--json', '--out', out],
    {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 110_000,
      env: pythonEnv({ BATCH_TUNER_PYTHON: PY, BATCH_TUNER_MNIST: join(ROOT, 'dist/data/mnist.bin') }),
    },
  );
  assert.equal(r.status, 0, `${r.stderr}\n${r.stdout.slice(0, 2000)}`);
  const result = JSON.parse(r.stdout);
  assert.equal(result.status, 'completed');
  const ok: Candidate[] = result.candidates.filter((c: Candidate) => c.status === 'ok');
  assert.ok(ok.length >= 2, `profiled candidates: ${JSON.stringify(result.candidates)}`);
  for (const c of ok) {
    assert.ok((c.samplesPerSecond ?? 0) > 0, `throughput of ${c.batchSize}`);
    assert.ok((c.peakMemoryBytes ?? 0) > 50e6, `process-tree memory of ${c.batchSize}: ${c.peakMemoryBytes}`);
  }
  assert.ok(
    ok.some((c) => c.batchSize === result.recommended.batchSize),
    `recommended ${result.recommended.batchSize} was measured`,
  );
  const ns = result.noiseScale;
  assert.ok(ns && Number.isFinite(ns.value) && ns.value > 0, `noise scale: ${JSON.stringify(ns)}`);
  assert.ok(ns.low <= ns.value && ns.value <= ns.high);
  // MNIST with an MLP has a small critical batch (McCandlish et al. report B_crit ~ 20-1000 for MNIST over training).
  assert.ok(ns.value > 4 && ns.value < 5000, `B_noise ${ns.value} is plausible for MNIST`);
  assert.deepEqual(readdirSync(dir).sort(), ['config.yaml', 'out', 'train.py'], 'no trial config copy left behind');
  const table = ok.map((c) => `${c.batchSize}: ${Math.round(c.samplesPerSecond!)} samples/s, goodput ${c.goodput?.toFixed(2)}`).join('; ');
  console.log(
    `study: recommended ${result.recommended.batchSize} (lr ${result.recommended.learningRate}); B_noise ${ns.value.toFixed(0)} [${ns.low.toFixed(0)}, ${ns.high.toFixed(0)}]; ${table}`,
  );
});
