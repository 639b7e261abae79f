// A branched study through an external training script (issue 11). examples/pytorch-mnist/train.py
// has no --checkpoint/--resume on this branch yet (another engineer adds them), so the script is a
// small real one written here: least-squares regression with label noise trained by minibatch SGD
// in plain Python, reporting through python/batch_tuner.py, saving its state (weights, step,
// samples) to ${checkpoint} when a trial ends and starting from ${resume}. It also reports the
// micro-batch gradient norms, so B_noise stands beside the CBS. Then the bad inputs of a script:
// one that never writes the checkpoint it was asked for, and a horizon shorter than a branch.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { resolveStudy } from '../../src/core/resolve';
import { createRunner } from '../../src/core/runner';
import { runStudy } from '../../src/core/study';
import { outcomeJson } from '../../src/cli/tuneOutput';

const ROOT = resolve(__dirname, '../..');
const PY = '/usr/bin/python3';

const SCRIPT = String.raw`
import argparse, json, os, random
from batch_tuner import Reporter

ap = argparse.ArgumentParser()
for name, kind in (("--batch-size", int), ("--lr", float), ("--steps", int), ("--seed", int)):
    ap.add_argument(name, type=kind, required=True)
ap.add_argument("--checkpoint", default="")
ap.add_argument("--resume", default="")
a = ap.parse_args()
D, N, V = 8, 2000, 500
data = random.Random(0)
w_true = [data.gauss(0, 1) for _ in range(D)]
def sample():
    x = [data.gauss(0, 1) for _ in range(D)]
    return x, sum(xi * wi for xi, wi in zip(x, w_true)) + data.gauss(0, 1.0)
train = [sample() for _ in range(N)]
val = [sample() for _ in range(V)]
w, step, samples = [0.0] * D, 0, 0
if a.resume:
    state = json.load(open(a.resume))
    w, step, samples = state["w"], state["step"], state["samples"]
rep = Reporter()
k = rep.micro_batches or 0
def grad(batch):
    g = [0.0] * D
    loss = 0.0
    for x, y in batch:
        r = sum(xi * wi for xi, wi in zip(x, w)) - y
        loss += r * r / 2
        for i in range(D):
            g[i] += r * x[i]
    return [gi / len(batch) for gi in g], loss / len(batch)
def val_loss():
    return sum((sum(xi * wi for xi, wi in zip(x, w)) - y) ** 2 / 2 for x, y in val) / V
B = a.batch_size
while not rep.should_stop(step):
    order = random.Random(a.seed * 1000003 + step)
    batch = [train[order.randrange(N)] for _ in range(B)]
    extra = {}
    if k >= 2 and B % k == 0 and B // k >= 2:
        parts = [grad(batch[j * (B // k):(j + 1) * (B // k)])[0] for j in range(k)]
        g = [sum(p[i] for p in parts) / k for i in range(D)]
        loss = grad(batch)[1]
        extra = dict(grad_sq_norm=sum(gi * gi for gi in g), micro_grad_sq_norm=sum(sum(gi * gi for gi in p) for p in parts) / k, micro_batch_size=B // k)
    else:
        g, loss = grad(batch)
    w = [wi - a.lr * gi for wi, gi in zip(w, g)]
    step += 1
    samples += B
    rep.step(step, samples=samples, loss=loss, **extra)
    if rep.eval_every and step % rep.eval_every == 0:
        rep.eval(val_loss(), step=step)
rep.eval(val_loss(), step=step)
if a.checkpoint and not os.environ.get("NEVER_SAVE"):
    tmp = a.checkpoint + ".tmp"
    with open(tmp, "w") as f:
        json.dump({"w": w, "step": step, "samples": samples}, f)
    os.replace(tmp, a.checkpoint)
    rep._write({"type": "checkpoint", "path": a.checkpoint, "step": step, "samples": samples})
rep.done()
`;

const CONFIG = `# A user's own config: train.py reads nothing from it but its flags.
batch_size: 16
lr: 0.02
max_steps: 500
train_samples: 2000
optimizer: sgd
tuner:
  command: "\${python} train.py --batch-size \${batchSize} --lr \${learningRate} --steps \${steps} --seed \${seed} --checkpoint \${checkpoint} --resume \${resume}"
  min_batch_size: 16
  max_batch_size: 256
`;

function project(): { dir: string; config: string } {
  const dir = mkdtempSync(join(tmpdir(), 'bt-branch-ext-'));
  writeFileSync(join(dir, 'train.py'), SCRIPT);
  writeFileSync(join(dir, 'config.yaml'), CONFIG);
  return { dir, config: join(dir, 'config.yaml') };
}

test('tune a script that saves and resumes: CBS at >= 2 points along its run with B_noise, and a plan, in --json', { timeout: 180_000 }, () => {
  assert.ok(existsSync(join(ROOT, 'dist/cli.js')), 'run `npm run build` first');
  const { dir, config } = project();
  const r = spawnSync(process.execPath, [join(ROOT, 'dist/cli.js'), 'tune', config, '--budget', '75', '--json', '--out', join(dir, 'out')], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 170_000,
    env: { ...process.env, BATCH_TUNER_PYTHON: PY },
  });
  assert.equal(r.status, 0, `${r.stderr}\n${r.stdout.slice(0, 2000)}`);
  const j = JSON.parse(r.stdout);
  assert.equal(j.status, 'completed');
  assert.deepEqual(j.settings.horizonSamples, { value: 500 * 16, source: 'derived' }, 'max_steps x batch_size');
  const cbs = j.criticalBatchSize as Array<{
    samples: number;
    loss: number;
    value: number;
    low: number;
    high: number;
    checkpointSource: string;
    noiseScale?: { value: number };
  }>;
  assert.ok(cbs.length >= 2, `${JSON.stringify(j.recommended.undetermined)}`);
  for (const p of cbs) {
    assert.ok(p.samples > 0 && p.samples < 8000 && Number.isFinite(p.loss) && p.low <= p.value && p.value <= p.high && p.value >= 16, JSON.stringify(p));
    assert.equal(p.checkpointSource, 'study');
    assert.ok(p.noiseScale && p.noiseScale.value > 0, "B_noise from the script's micro-batch gradient norms");
  }
  assert.ok(j.plan && ['fixed', 'warmup'].includes(j.plan.kind) && j.plan.horizonSamples === 8000 && j.plan.bestFixed.batchSize >= 16, JSON.stringify(j.plan));
  assert.equal(j.budget.includes('branch ~30%'), true, j.budget);
  // The trunk resumed the script's own checkpoints: the second segment's steps continue the first's.
  const trunk = (j.trials as Array<{ id: string; status: string }>).filter((t) => t.id.startsWith('trunk-'));
  assert.ok(trunk.length >= 2 && trunk.every((t) => t.status === 'ok'), JSON.stringify(trunk));
});

async function studyOf(config: string, run: Record<string, unknown>, env: NodeJS.ProcessEnv) {
  const resolved = resolveStudy({
    file: config,
    text: readFileSync(config, 'utf8'),
    run: { source: 'cli', budgetSeconds: 70, ...run },
    machine: { totalMemoryBytes: totalmem() },
  });
  assert.ok(resolved.ok, resolved.ok ? '' : resolved.message);
  assert.equal(resolved.runner.kind, 'external');
  if (resolved.runner.kind !== 'external') throw new Error('unreachable');
  // A Python trial starts faster than the built-in trainer: planning with that lets a 70 s study branch.
  const out = await runStudy({ ...resolved.options, startupSecondsGuess: 0.3 }, createRunner({ ...resolved.runner, pythonPath: PY }, { env }));
  return { out, json: outcomeJson(out, resolved) };
}

test('a script that never writes the checkpoint it was asked for: said, naming the file and what to do; the study stands', { timeout: 120_000 }, async () => {
  const { dir, config } = project();
  const { out, json } = await studyOf(config, { outDir: join(dir, 'out') }, { ...process.env, NEVER_SAVE: '1' });
  assert.equal(out.status, 'completed', out.reason);
  const rec = out.recommendation;
  assert.ok(rec && rec.batchSize >= 16, "the other phases' recommendation stands");
  const u = rec.undetermined.join('\n');
  assert.match(
    u,
    /the trunk at batch 16 \(trial trunk-\d+\) was asked to write its state to \S+trunk-\d+\.ckpt \(\$\{checkpoint\} \/ BATCH_TUNER_CHECKPOINT for a script\) but never wrote it: make the training command save its state there/,
  );
  assert.equal(rec.criticalBatchSize, undefined);
  assert.equal(json.criticalBatchSize, undefined);
  assert.equal(out.trials.filter((t) => t.id.startsWith('branch-')).length, 0, 'nothing to branch from');
});

test('a horizon shorter than a branch: said, naming --horizon; no branch trial; the study stands', { timeout: 120_000 }, async () => {
  const { dir, config } = project();
  const { out } = await studyOf(config, { outDir: join(dir, 'out'), horizon: '20steps' }, process.env);
  assert.equal(out.status, 'completed', out.reason);
  const rec = out.recommendation;
  assert.ok(rec);
  assert.match(
    rec.undetermined.join('\n'),
    /the horizon \(320 samples\) is shorter than a branch: 8 steps at 32 must fit in a quarter of it .*give a longer --horizon \(tuner\.horizon\)/,
  );
  assert.equal(out.trials.filter((t) => t.phase === 'branch').length, 0);
});
