// Checkpoints for external PyTorch scripts (issue 11): batch_tuner.save_checkpoint /
// load_checkpoint through examples/pytorch-mnist/train.py. A run stopped at a checkpoint and
// resumed gives exactly the losses of the uninterrupted run (same seed, CPU, one thread); a bad
// checkpoint is a clear error naming the file; a failed save leaves the previous file intact.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, truncateSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pythonEnv, testPython } from './helpers/python';

const ROOT = resolve(__dirname, '../..');
const EXAMPLE = join(ROOT, 'examples/pytorch-mnist');
const MNIST = join(ROOT, 'dist/data/mnist.bin');
const { python: PY, skip } = testPython();

interface Rec {
  type: string;
  step?: number;
  samples?: number;
  loss?: number | null;
  path?: string;
}

function example(): { dir: string; config: string } {
  const dir = mkdtempSync(join(tmpdir(), 'bt-ckpt-'));
  for (const f of ['train.py', 'config.yaml']) copyFileSync(join(EXAMPLE, f), join(dir, f));
  return { dir, config: join(dir, 'config.yaml') };
}

/** Runs train.py as a trial would; returns its records, exit status and stderr. */
function train(dir: string, name: string, args: string[], env: NodeJS.ProcessEnv = {}): { records: Rec[]; status: number | null; stderr: string } {
  const metrics = join(dir, `${name}.jsonl`);
  const r = spawnSync(PY!, ['train.py', '--config', 'config.yaml', '--seed', '3', '--batch-size', '32', '--micro-batches', '2', ...args], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 120_000,
    env: pythonEnv({ BATCH_TUNER_METRICS: metrics, BATCH_TUNER_MNIST: MNIST, BATCH_TUNER_EVAL_EVERY: '0', ...env }),
  });
  const records = existsSync(metrics)
    ? readFileSync(metrics, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Rec)
    : [];
  return { records, status: r.status, stderr: r.stderr };
}

const steps = (rs: Rec[]) => rs.filter((r) => r.type === 'step');

test('a resumed run continues with the same losses as an uninterrupted one', { skip, timeout: 180_000 }, () => {
  assert.ok(existsSync(MNIST), 'run `npm run build` first (creates dist/data/mnist.bin)');
  const { dir } = example();
  const whole = train(dir, 'whole', ['--max-steps', '30']);
  assert.equal(whole.status, 0, whole.stderr);
  const ckpt = join(dir, 'state', 'at-15.pt');
  const first = train(dir, 'first', ['--max-steps', '15', '--checkpoint', ckpt, '--resume', '']);
  assert.equal(first.status, 0, first.stderr);
  const rec = first.records.find((r) => r.type === 'checkpoint');
  assert.deepEqual(rec && { path: rec.path, step: rec.step, samples: rec.samples }, { path: ckpt, step: 15, samples: 15 * 32 }, 'the checkpoint record');
  // The second half takes its paths from the environment, as ${checkpoint} / ${resume} give them.
  const second = train(dir, 'second', ['--max-steps', '15'], { BATCH_TUNER_RESUME: ckpt, BATCH_TUNER_CHECKPOINT: join(dir, 'state', 'at-30.pt') });
  assert.equal(second.status, 0, second.stderr);
  const a = steps(whole.records);
  const b = [...steps(first.records), ...steps(second.records)];
  assert.equal(a.length, 30);
  assert.deepEqual(
    b.map((r) => r.step),
    a.map((r) => r.step),
    'the resumed run numbers its steps 16..30',
  );
  assert.deepEqual(
    b.map((r) => r.samples),
    a.map((r) => r.samples),
    'and counts samples on from the checkpoint',
  );
  assert.deepEqual(
    b.map((r) => r.loss),
    a.map((r) => r.loss),
    'bit-for-bit the same losses',
  );
  assert.ok(
    second.records.some((r) => r.type === 'checkpoint' && r.step === 30),
    'the resumed run saves at its end too',
  );
  assert.deepEqual(readdirSync(join(dir, 'state')).sort(), ['at-15.pt', 'at-30.pt'], 'no temp files left');
});

test('SIGUSR1 asks a running script for a checkpoint: it saves at the next step and trains on', { skip, timeout: 120_000 }, async () => {
  const { dir } = example();
  const metrics = join(dir, 'm.jsonl');
  const ckpt = join(dir, 'asked.pt');
  const child = spawn(PY!, ['train.py', '--config', 'config.yaml', '--max-steps', '400', '--min-step-seconds', '0.02', '--checkpoint', ckpt], {
    cwd: dir,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: pythonEnv({ BATCH_TUNER_METRICS: metrics, BATCH_TUNER_MNIST: MNIST, BATCH_TUNER_EVAL_EVERY: '0' }),
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
  const read = (): Rec[] =>
    existsSync(metrics)
      ? readFileSync(metrics, 'utf8')
          .trim()
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l))
      : [];
  const deadline = Date.now() + 60_000;
  while (steps(read()).length < 5 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  child.kill('SIGUSR1');
  const code = await exited;
  assert.equal(code, 0, stderr);
  const checkpoints = read().filter((r) => r.type === 'checkpoint');
  assert.equal(checkpoints.length, 2, JSON.stringify(checkpoints));
  assert.ok(checkpoints[0].step! >= 5 && checkpoints[0].step! < 400, `saved when asked, mid-run: step ${checkpoints[0].step}`);
  assert.equal(checkpoints[1].step, 400, 'and at the end');
});

test('bad checkpoints: a clear error naming the file, for missing, truncated, foreign and other-model files', { skip, timeout: 180_000 }, () => {
  const { dir } = example();
  const good = join(dir, 'good.pt');
  assert.equal(train(dir, 'make', ['--max-steps', '2', '--checkpoint', good]).status, 0);
  const cut = join(dir, 'cut.pt');
  copyFileSync(good, cut);
  truncateSync(cut, Math.floor(statSync(good).size / 2));
  const foreign = join(dir, 'foreign.pt');
  const other = join(dir, 'other.pt');
  const made = spawnSync(
    PY!,
    [
      '-c',
      `
import torch, torch.nn as nn
from batch_tuner import save_checkpoint
torch.save({"weights": torch.zeros(3)}, ${JSON.stringify(foreign)})
m = nn.Sequential(nn.Linear(784, 64), nn.ReLU(), nn.Linear(64, 10))
save_checkpoint(${JSON.stringify(other)}, m, torch.optim.Adam(m.parameters()), step=1, samples=32)
`,
    ],
    { env: pythonEnv(), encoding: 'utf8' },
  );
  assert.equal(made.status, 0, made.stderr);
  const cases: Array<[string, RegExp]> = [
    [join(dir, 'nowhere.pt'), /does not exist/],
    [cut, /is truncated or corrupt/],
    [foreign, /is not a Batch Tuner checkpoint/],
    [other, /holds another model's state \(shapes differ: .*0\.weight \[128, 784\] here vs \[64, 784\] in the file/],
  ];
  for (const [file, message] of cases) {
    const r = train(dir, 'bad', ['--max-steps', '2', '--resume', file]);
    assert.equal(r.status, 1, `${file}: ${r.stderr}`);
    assert.ok(r.stderr.includes(file), `the error names ${file}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.doesNotMatch(r.stderr, /Traceback/, 'a message, not a traceback');
    assert.ok(
      r.records.some((x) => x.type === 'log'),
      'and Batch Tuner hears it as an error record',
    );
  }
});

test('a save that fails half-way leaves the previous checkpoint whole and no temp file', { skip, timeout: 60_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'bt-ckpt-atomic-'));
  const path = join(dir, 'state.pt');
  const r = spawnSync(
    PY!,
    [
      '-c',
      `
import os, torch, torch.nn as nn
from batch_tuner import save_checkpoint, load_checkpoint
m = nn.Linear(4, 2); opt = torch.optim.SGD(m.parameters(), lr=0.1)
save_checkpoint(${JSON.stringify(path)}, m, opt, step=7, samples=70)
try:
    save_checkpoint(${JSON.stringify(path)}, m, opt, step=8, samples=80, extra={"bad": lambda: 0})  # unpicklable: fails while writing
except Exception as e:
    print("failed:", type(e).__name__)
print(load_checkpoint(${JSON.stringify(path)}, m, opt)["step"], sorted(os.listdir(${JSON.stringify(dir)})))
`,
    ],
    { env: pythonEnv(), encoding: 'utf8' },
  );
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.match(lines[0], /^failed: /);
  assert.equal(lines[1], "7 ['state.pt']");
});
