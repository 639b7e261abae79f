// Issue 10's user, for real: a PyTorch script that logs like the Hugging Face Trainer (a dict of
// training loss per step; no gradient statistics, no validation loss, no Batch Tuner reporter),
// tuned through the `batch-tuner tune` CLI. Before issue 10 every convergence trial was shown as
// diverged (a missing validation loss read as Infinity) and the speed-up came from an assumed
// B_noise. Now: nothing is read as diverged, B_noise is fitted from the loss curves or labelled
// assumed, and a speed-up appears only when nothing it rests on is assumed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { readStudy } from '../../src/core/study';

const ROOT = resolve(__dirname, '../..');

const SCRIPT = String.raw`
import os, struct, sys, time, argparse
import torch, torch.nn as nn, torch.nn.functional as F
ap = argparse.ArgumentParser()
ap.add_argument("--config"); ap.add_argument("--seed", type=int, default=0); ap.add_argument("--max-steps", type=int, default=100000)
a = ap.parse_args()
cfg = {}
for line in open(a.config):
    if ":" in line and not line.startswith((" ", "#", "tuner")):
        k, v = line.split(":", 1); v = v.split("#")[0].strip().strip("'\"")
        if v: cfg[k.strip()] = v
bs, lr = int(cfg["batch_size"]), float(cfg["lr"])
limit = float(os.environ.get("BATCH_TUNER_MAX_SECONDS", "1e9"))
torch.set_num_threads(1); torch.manual_seed(a.seed)
data = open(os.environ["BATCH_TUNER_MNIST"], "rb").read()
n = struct.unpack_from("<I", data, 8)[0]; size = data[12] * data[13]
x = torch.frombuffer(bytearray(data[14:14 + n * size]), dtype=torch.uint8).reshape(n, size).float()[:8000] / 255.0
y = torch.frombuffer(bytearray(data[14 + n * size:14 + n * size + n]), dtype=torch.uint8).long()[:8000]
model = nn.Sequential(nn.Linear(784, 64), nn.ReLU(), nn.Linear(64, 10))
opt = torch.optim.Adam(model.parameters(), lr=lr)
g = torch.Generator().manual_seed(a.seed); order = torch.randperm(8000, generator=g); cur = 0
t0 = time.time()
for step in range(1, a.max_steps + 1):
    if cur + bs > 8000: order = torch.randperm(8000, generator=g); cur = 0
    idx = order[cur:cur + bs]; cur += bs
    loss = F.cross_entropy(model(x[idx]), y[idx])
    opt.zero_grad(); loss.backward(); opt.step()
    print({'loss': round(loss.item(), 4), 'learning_rate': lr, 'epoch': round(step * bs / 8000, 3)}, flush=True)
    if time.time() - t0 > limit: break
`;

const CONFIG = `batch_size: 32
lr: 0.001
tuner:
  command: "\${python} train_hf.py --config \${config} --seed \${seed}"
  min_batch_size: 16
  max_batch_size: 128
`;

test('a script that logs like the Hugging Face Trainer: no run read as diverged, every number labelled', { timeout: 170_000 }, (t) => {
  assert.ok(existsSync(join(ROOT, 'dist/cli.js')) && existsSync(join(ROOT, 'dist/data/mnist.bin')), 'run `npm run build` first');
  const dir = mkdtempSync(join(tmpdir(), 'bt-hf-'));
  writeFileSync(join(dir, 'train_hf.py'), SCRIPT);
  writeFileSync(join(dir, 'config.yaml'), CONFIG);
  const r = spawnSync(process.execPath, [join(ROOT, 'dist/cli.js'), 'tune', join(dir, 'config.yaml'), '--budget', '60', '--json', '--out', join(dir, 'out')], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 160_000,
    env: { ...process.env, BATCH_TUNER_PYTHON: '/usr/bin/python3', BATCH_TUNER_MNIST: join(ROOT, 'dist/data/mnist.bin') },
  });
  assert.equal(r.status, 0, `${r.stderr}\n${r.stdout.slice(0, 2000)}`);
  const study = readStudy(JSON.parse(r.stdout).studyFile);
  const rec = study.recommendation;
  assert.ok(rec, 'a recommendation');
  assert.ok([16, 32, 64, 128].includes(rec.batchSize));
  // A missing validation loss is not divergence.
  assert.ok(
    rec.candidates.every((c) => c.diverged === undefined),
    JSON.stringify(rec.candidates),
  );
  assert.ok(!rec.evidence.notes.some((n) => /diverged|lower the learning rate/.test(n)), rec.evidence.notes.join('\n'));
  // No gradient statistics: B_noise is fitted from the loss curves (labelled so), or assumed and then said.
  assert.notEqual(rec.basis.noiseScale, 'measured');
  if (rec.basis.noiseScale === 'fitted') assert.equal(rec.noiseScale?.source, 'loss-curves');
  else assert.ok(rec.undetermined.some((u) => /gradient noise scale/.test(u)) && rec.noiseScale === undefined);
  assert.equal(rec.speedupVsCurrent !== undefined, !Object.values(rec.basis).includes('assumed'), JSON.stringify(rec.basis));
  // The smoothed training loss stands in for the missing validation loss (when convergence runs had time to run).
  assert.ok(rec.evidence.lossSource === undefined || rec.evidence.lossSource === 'training', rec.evidence.lossSource);
  assert.ok(rec.band.low <= rec.batchSize && rec.batchSize <= rec.band.high);
  t.diagnostic(
    JSON.stringify({
      pick: rec.batchSize,
      band: [rec.band.low, rec.band.high],
      basis: rec.basis,
      noiseScale: rec.noiseScale?.value,
      speedup: rec.speedupVsCurrent,
    }),
  );
});
