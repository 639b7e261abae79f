// The batch_tuner package (python/) run by the real interpreter (the test venv's, torch 2.x):
// the records it writes, its no-op mode, the OOM guard, GradNoiseMeter against a hand-computed
// case, poll_control, and the settings of the global-batch contract.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseMetricsLine, parseStdoutLine } from '../../src/core/runner/metricsProtocol';
import { pythonEnv, testPython } from './helpers/python';

const { python: PY, skip } = testPython();

function py(code: string, env: NodeJS.ProcessEnv = {}): { stdout: string; stderr: string; status: number | null } {
  const r = spawnSync(PY!, ['-c', code], { env: pythonEnv(env), encoding: 'utf8', timeout: 60_000 });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status };
}

test('writes protocol records to $BATCH_TUNER_METRICS that the host parser accepts', { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'bt-py-'));
  const metrics = join(dir, 'm.jsonl');
  const r = py(
    `
from batch_tuner import Reporter
rep = Reporter()
assert rep.batch_size == 16 and rep.learning_rate == 0.01 and rep.steps == 2 and rep.micro_batches == 4, vars(rep)
rep.step(1, loss=2.5, grad_sq_norm=0.5, micro_grad_sq_norm=1.5, micro_batch_size=4)
rep.step(2, loss=float('nan'))
assert rep.should_stop(2) and not rep.should_stop(1)
rep.eval(1.25, val_accuracy=0.5)
rep.done()
print("plain output")
`,
    { BATCH_TUNER_METRICS: metrics, BATCH_TUNER_BATCH_SIZE: '16', BATCH_TUNER_LEARNING_RATE: '0.01', BATCH_TUNER_STEPS: '2', BATCH_TUNER_MICRO_BATCHES: '4' },
  );
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, 'plain output\n', 'nothing on stdout when a metrics file is given');
  const records = readFileSync(metrics, 'utf8')
    .trim()
    .split('\n')
    .map((l) => parseMetricsLine(l));
  assert.deepEqual(
    records.map((x) => (x.kind === 'record' ? x.record.type : x.kind)),
    ['start', 'step', 'step', 'eval', 'done'],
  );
  const s1 = records[1].kind === 'record' && records[1].record.type === 'step' ? records[1].record : undefined;
  assert.ok(s1);
  assert.equal(s1.samples, 16, 'samples default to step x batch size');
  assert.equal(s1.gradSqNorm, 0.5);
  assert.equal(s1.microBatchSize, 4);
  assert.ok(typeof s1.time === 'number' && s1.time >= 0);
  const s2 = records[2].kind === 'record' && records[2].record.type === 'step' ? records[2].record : undefined;
  assert.ok(s2 && Number.isNaN(s2.loss) && s2.samples === 32);
  const ev = records[3].kind === 'record' && records[3].record.type === 'eval' ? records[3].record : undefined;
  assert.deepEqual(ev && [ev.valLoss, ev.valAccuracy, ev.step], [1.25, 0.5, 2]);
});

test('outside Batch Tuner it is a no-op; enabled without a file it prints the stdout form', { skip }, () => {
  const quiet = py(`
from batch_tuner import Reporter
rep = Reporter()
assert not rep.enabled and rep.batch_size is None
rep.step(1, loss=1.0); rep.eval(0.5); rep.oom(); rep.done()
assert not rep.should_stop(10**9)
`);
  assert.equal(quiet.status, 0, quiet.stderr);
  assert.equal(quiet.stdout, '');
  const loud = py(`
from batch_tuner import Reporter
rep = Reporter(enabled=True)
rep.step(3, samples=96, loss=0.25)
`);
  const lines = loud.stdout.trim().split('\n');
  assert.equal(lines.length, 2);
  const step = parseStdoutLine(lines[1]);
  assert.ok(step?.kind === 'record' && step.record.type === 'step' && step.record.step === 3 && step.record.samples === 96 && step.record.loss === 0.25);
});

test('guard(): out-of-memory becomes an oom record and a clean exit; other errors pass through', { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'bt-py-'));
  const metrics = join(dir, 'm.jsonl');
  const oom = py(
    `
from batch_tuner import Reporter
rep = Reporter()
@rep.guard()
def train():
    rep.step(1, loss=1.0)
    raise RuntimeError("CUDA out of memory. Tried to allocate 20.00 MiB")
train()
print("not reached")
`,
    { BATCH_TUNER_METRICS: metrics, BATCH_TUNER_BATCH_SIZE: '512' },
  );
  assert.equal(oom.status, 0, oom.stderr);
  assert.doesNotMatch(oom.stdout, /not reached/);
  const types = readFileSync(metrics, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.deepEqual(
    types.map((t) => t.type),
    ['start', 'step', 'oom', 'done'],
  );
  assert.match(types[2].message, /RuntimeError: CUDA out of memory/);
  assert.equal(types[2].batch_size, 512);
  const other = py(
    `
from batch_tuner import Reporter
with Reporter().guard():
    raise ValueError("bad shape")
`,
    { BATCH_TUNER_METRICS: join(dir, 'x.jsonl') },
  );
  assert.equal(other.status, 1);
  assert.match(other.stderr, /ValueError: bad shape/);
});

test('GradNoiseMeter matches a hand-computed case', { skip }, () => {
  // Parameter w (2 values); micro-batch losses a_i . w with a_1 = (1, 2), a_2 = (3, 0), each scaled by 1/2
  // (gradient accumulation). Micro gradients g_i = a_i; mean = (2, 1): |mean|^2 = 5; mean of |g_i|^2 = (5 + 9) / 2 = 7.
  const r = py(`
import json, torch
from batch_tuner import GradNoiseMeter
w = torch.zeros(2, requires_grad=True)
frozen = torch.zeros(3, requires_grad=False)
m = GradNoiseMeter([w, frozen], micro_batches=2)
for step in range(2):
    w.grad = None
    m.begin()
    for a in ([1.0, 2.0], [3.0, 0.0]):
        (torch.tensor(a) @ w * 0.5).backward()
        m.accumulate(micro_batch_size=4)
    print(json.dumps(m.stats()))
assert torch.allclose(w.grad, torch.tensor([2.0, 1.0]))
m.begin(); (torch.tensor([1.0, 1.0]) @ w).backward(); m.accumulate(scale=1.0)
print(json.dumps(m.stats()))
`);
  assert.equal(r.status, 0, r.stderr);
  const [a, b, single] = r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  for (const s of [a, b]) {
    assert.ok(Math.abs(s.grad_sq_norm - 5) < 1e-9, JSON.stringify(s));
    assert.ok(Math.abs(s.micro_grad_sq_norm - 7) < 1e-9, JSON.stringify(s));
    assert.equal(s.micro_batch_size, 4);
  }
  assert.deepEqual(single, {}, 'one micro-batch gives no variance: no statistics');
});

test('poll_control returns a newer control-file value once', { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'bt-py-'));
  const control = join(dir, 'control.json');
  writeFileSync(control, JSON.stringify({ v: 1, batch_size: 64, learning_rate: 0.002, seq: 1 }));
  const r = py(
    `
import json, os, time
from batch_tuner import poll_control
first = poll_control(); again = poll_control()
time.sleep(0.02)
with open(os.environ["BATCH_TUNER_CONTROL"] + ".tmp", "w") as f: json.dump({"v": 1, "batch_size": 128, "seq": 2}, f)
os.replace(os.environ["BATCH_TUNER_CONTROL"] + ".tmp", os.environ["BATCH_TUNER_CONTROL"])
print(json.dumps([first, again, poll_control(), poll_control("/nonexistent")]))
`,
    { BATCH_TUNER_CONTROL: control },
  );
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), [{ seq: 1, batch_size: 64, learning_rate: 0.002 }, null, { seq: 2, batch_size: 128 }, null]);
  assert.ok(existsSync(control));
});

test('the global-batch settings, a checkpoint record, and only rank 0 writing', { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'bt-py-'));
  const metrics = join(dir, 'm.jsonl');
  const code = `
from batch_tuner import Reporter
rep = Reporter()
print(rep.world_size, rep.accumulation_steps, rep.micro_batch_size, rep.checkpoint_path, rep.resume_path, rep.rank, rep.enabled)
rep.step(1, loss=1.0)
rep.checkpoint("ck.pt", step=1, samples=64)
rep.done()
`;
  const env = {
    BATCH_TUNER_METRICS: metrics,
    BATCH_TUNER_BATCH_SIZE: '64',
    BATCH_TUNER_WORLD_SIZE: '2',
    BATCH_TUNER_ACCUMULATION_STEPS: '2',
    BATCH_TUNER_MICRO_BATCH_SIZE: '16',
    BATCH_TUNER_CHECKPOINT: join(dir, 'ck.pt'),
    BATCH_TUNER_RESUME: '',
  };
  const rank1 = py(code, { ...env, RANK: '1' });
  assert.equal(rank1.status, 0, rank1.stderr);
  assert.equal(rank1.stdout.trim(), `2 2 16 ${join(dir, 'ck.pt')} None 1 False`, 'an empty ${resume} is no resume; rank 1 is silent');
  assert.ok(!existsSync(metrics), 'rank 1 wrote nothing');
  const srunRank1 = py(code, { ...env, SLURM_PROCID: '1', SLURM_NTASKS: '2' });
  assert.match(srunRank1.stdout, / 1 False$/m, 'srun: SLURM_PROCID is the rank');
  const rank0 = py(code, { ...env, RANK: '0' });
  assert.equal(rank0.status, 0, rank0.stderr);
  const records = readFileSync(metrics, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.deepEqual(
    records.map((r) => r.type),
    ['start', 'step', 'checkpoint', 'done'],
  );
  assert.equal(records[2].path, join(process.cwd(), 'ck.pt'), 'the path is absolute');
  assert.deepEqual([records[2].step, records[2].samples, records[2].v], [1, 64, 1]);
});

test('importing the package loads no framework: the core is standard library only', { skip }, () => {
  const r = py(`
import sys, batch_tuner
heavy = [m for m in ("torch", "numpy", "transformers", "lightning", "batch_tuner.hf", "batch_tuner.lightning") if m in sys.modules]
print(heavy, batch_tuner.__version__)
`);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), '[] 0.1.0');
});

test('AccumulationGradStats (autograd hooks, for framework loops) matches the same hand-computed case', { skip }, () => {
  // As above: micro-batch losses a_i . w / 2 with a_1 = (1, 2), a_2 = (3, 0): |mean|^2 = 5, mean |g_i|^2 = 7.
  const r = py(`
import json, torch
from batch_tuner import AccumulationGradStats
w = torch.zeros(2, requires_grad=True)
s = AccumulationGradStats([w])
assert s.available
out = []
for step in range(2):
    w.grad = None
    s.reset()
    for a in ([1.0, 2.0], [3.0, 0.0]):
        (torch.tensor(a) @ w * 0.5).backward()
    out.append(s.stats(micro_batch_size=4))
    out.append(s.stats(micro_batch_size=4, grad_sq_norm=float((w.grad ** 2).sum())))
s.reset(); w.grad = None; (torch.tensor([1.0, 1.0]) @ w).backward()
out.append(s.stats(micro_batch_size=4))
s.close()
print(json.dumps(out))
`);
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  for (const s of out.slice(0, 4)) {
    assert.ok(Math.abs(s.grad_sq_norm - 5) < 1e-6 && Math.abs(s.micro_grad_sq_norm - 7) < 1e-6 && s.micro_batch_size === 4, JSON.stringify(s));
  }
  assert.deepEqual(out[4], {}, 'one micro-batch gives no variance');
});

test('BATCH_TUNER_MAX_SECONDS counts from the first step, not from start-up; on every worker, also one that does not write', { skip }, () => {
  // A start-up (imports, joining a process group, loading data) longer than the whole budget: the
  // trial still trains for its budget. Sleeps only bound the time from below: nothing here is timed.
  const r = py(
    `
import time
from batch_tuner import Reporter
for rank in (0, 1):
    rep = Reporter(rank=rank)
    assert rep.max_seconds == 0.3
    time.sleep(0.5)                       # start-up
    rep.step(1, loss=1.0)
    assert not rep.should_stop(1), "the budget was spent in start-up"
    time.sleep(0.4)                       # training
    assert rep.should_stop(2)
# A script that only asks: the clock starts at the first question.
rep = Reporter()
time.sleep(0.5)
assert not rep.should_stop(1)
time.sleep(0.4)
assert rep.should_stop(2)
`,
    { BATCH_TUNER_MAX_SECONDS: '0.3', BATCH_TUNER_STDOUT: '1' },
  );
  assert.equal(r.status, 0, r.stderr);
});

test('master_port: MASTER_PORT, else one per Slurm job (SLURM_JOB_ID), else the default', { skip }, () => {
  const r = py(`
from batch_tuner.distributed import DEFAULT_MASTER_PORT, master_port
assert master_port({}) == DEFAULT_MASTER_PORT == 29517
assert master_port({"SLURM_JOB_ID": "123456"}) == 10000 + 123456 % 20000 == 13456
assert master_port({"SLURM_JOB_ID": "123456", "MASTER_PORT": "4242"}) == 4242
assert master_port({"SLURM_JOB_ID": "7"}) != master_port({"SLURM_JOB_ID": "8"})
assert master_port({"SLURM_JOB_ID": ""}) == 29517 and master_port({"SLURM_JOB_ID": "x1"}) == 29517
`);
  assert.equal(r.status, 0, r.stderr);
});
