// Checkpoints of the built-in trainer (issue 11): the container format rejects damaged files;
// a run resumed from a checkpoint continues with exactly the losses of an uninterrupted one
// (same wasm backend, same seed: every op is deterministic and the whole state is restored bit
// for bit); bad checkpoints are `config` errors that name the file and what to do.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { decodeCheckpoint, encodeCheckpoint, CheckpointError } from '../../src/trainer/checkpoint/format';
import { readCheckpointFile } from '../../src/trainer/checkpoint/files';
import { createScheduleController } from '../../src/core/schedule';
import type { StepMetrics, TrainingConfig } from '../../src/core/types';
import { ensureTrainerBundle, mlpConfig, trialSpec } from '../fixtures/trainer/helpers';
import { losses, runTrainerChild, type ChildRun } from './helpers/trainerChild';

let dir = '';
before(() => {
  ensureTrainerBundle();
  dir = mkdtempSync(path.join(tmpdir(), 'bt-ckpt-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

const ok = (r: ChildRun) => assert.equal(r.error, undefined, `${JSON.stringify(r.error)}\n${r.stderr}`);

test('the container round-trips tensors and header; truncation, corruption, another file and a newer version are named', () => {
  const w = new Float32Array([1.5, -2, 3.25]);
  const order = new Int32Array([2, 0, 1]);
  const bytes = encodeCheckpoint({ hello: 'world' }, [
    { name: 'w', shape: [3, 1], data: w },
    { name: 'order', shape: [3], data: order },
  ]);
  const d = decodeCheckpoint(bytes, 'a.btckpt');
  assert.equal(d.header.hello, 'world');
  assert.deepEqual([...d.blobs.get('w')!.data], [...w]);
  assert.deepEqual(d.blobs.get('w')!.shape, [3, 1]);
  assert.ok(d.blobs.get('order')!.data instanceof Int32Array);
  assert.deepEqual([...d.blobs.get('order')!.data], [2, 0, 1]);
  const err = (b: Buffer) => {
    try {
      decodeCheckpoint(b, '/x/a.btckpt');
    } catch (e) {
      assert.ok(e instanceof CheckpointError);
      assert.equal(e.kind, 'config');
      return e.message;
    }
    return 'no error';
  };
  assert.match(err(bytes.subarray(0, bytes.length - 10)), /^\/x\/a\.btckpt: truncated: \d+ of \d+ bytes; the file is damaged .*resume from another checkpoint/);
  assert.match(err(bytes.subarray(0, 20)), /truncated/);
  const flipped = Buffer.from(bytes);
  flipped[bytes.length - 40] ^= 1;
  assert.match(err(flipped), /checksum mismatch/);
  assert.match(err(Buffer.from('{"not":"a checkpoint"}')), /not a Batch Tuner checkpoint/);
  const newer = Buffer.from(bytes);
  newer.writeUInt16LE(2, 6);
  assert.match(err(newer), /format version 2, but this Batch Tuner reads version 1 \(written by a newer Batch Tuner: update it\)/);
});

test('a schedule controller exported mid-run and imported into a new one continues identically (adaptive + AdaScale memory)', () => {
  const base = { batchSize: 16, learningRate: 0.1, lrScaling: 'adascale' as const, datasetSize: 10_000 };
  const spec = { kind: 'adaptive' as const, every_steps: 3, max_batch_size: 256 };
  const metrics = (step: number, b: number): StepMetrics => ({
    step,
    epoch: 0,
    samples: step * b,
    loss: 1,
    batchSize: b,
    learningRate: 0.1,
    stepTimeMs: 1,
    samplesPerSecond: 1,
    time: 0,
    gradSqNorm: 1 + 1 / step,
    microGradSqNorm: 3 + 10 / step,
    microBatchSize: b / 4,
  });
  const a = createScheduleController(spec, base);
  const drive = (c: ReturnType<typeof createScheduleController>, from: number, to: number, first?: StepMetrics) => {
    const out: Array<{ batchSize: number; learningRate: number }> = [];
    let last = first;
    for (let s = from; s < to; s++) {
      const r = c.next({ step: s, samples: 0, epoch: 0, last });
      out.push(r);
      last = metrics(s + 1, r.batchSize);
    }
    return { out, last };
  };
  const first = drive(a, 0, 7);
  const b = createScheduleController(spec, base);
  b.importState(JSON.parse(JSON.stringify(a.exportState())));
  const rest = drive(a, 7, 14, first.last).out;
  assert.deepEqual(drive(b, 7, 14, first.last).out, rest);
  assert.ok(new Set(rest.map((r) => r.batchSize)).size > 1 || rest[0].batchSize > 16, 'the schedule moved, so its memory mattered');
});

test('resume = uninterrupted, step for step (Adam, MLP, epochs wrap, periodic checkpoints)', async () => {
  // 600 training digits at batch 64: an epoch ends every ~9.4 steps, so the checkpoint lands mid-epoch
  // and the resumed half reshuffles from the restored generator.
  const config = mlpConfig({ data: { source: 'mnist', train_samples: 600, test_samples: 200 } });
  const ckdir = mkdtempSync(path.join(dir, 'run-'));
  const spec = (o: Parameters<typeof trialSpec>[0]) => trialSpec({ evalEvery: 10, ...o }, config);
  const straight = await runTrainerChild(spec({ maxSteps: 40, checkpointEvery: 10, checkpointDir: ckdir }));
  ok(straight);
  assert.deepEqual(
    straight.checkpoints.map((c) => [path.basename(c.path), c.step, c.samples]),
    [10, 20, 30, 40].map((s) => [`ckpt-step-0000${s}.btckpt`, s, s * 64]),
  );
  assert.deepEqual(
    readdirSync(ckdir).sort(),
    [10, 20, 30, 40].map((s) => `ckpt-step-0000${s}.btckpt`),
    'no temporary files left',
  );
  const resumed = await runTrainerChild(spec({ maxSteps: 40, resumeFrom: path.join(ckdir, 'ckpt-step-000020.btckpt') }));
  ok(resumed);
  assert.deepEqual(
    resumed.steps.map((s) => s.step),
    Array.from({ length: 20 }, (_, i) => 21 + i),
  );
  assert.deepEqual(
    resumed.steps.map((s) => [s.samples, s.epoch]),
    straight.steps.slice(20).map((s) => [s.samples, s.epoch]),
  );
  assert.deepEqual(losses(resumed), losses(straight).slice(20), 'exactly the same losses');
  assert.deepEqual(
    resumed.evals.map((e) => [e.step, e.valLoss]),
    straight.evals.filter((e) => e.step > 20).map((e) => [e.step, e.valLoss]),
  );
  assert.deepEqual(resumed.done, { steps: 40, samples: 40 * 64 });
  assert.ok(losses(straight)[39] < losses(straight)[0] * 0.7, 'it trained');
});

test('resume = uninterrupted with momentum, an adaptive schedule (noise statistics, lr co-scaling) and the end-of-trial checkpoint', async () => {
  const config = mlpConfig({
    model: { type: 'mlp', hidden: [16] },
    data: { source: 'synthetic', task: 'regression', samples: 700, features: 8, noise: 0.5 },
    optimizer: { name: 'momentum', learning_rate: 0.02, momentum: 0.9 },
    batch_size: 16,
    batch_schedule: { kind: 'adaptive', every_steps: 5, min_batch_size: 16, max_batch_size: 128 },
    // AdaScale sets every step's learning rate from the smoothed noise statistics: the schedule's memory shows in every loss.
    tuner: { lr_scaling: 'adascale' },
  });
  const ckdir = mkdtempSync(path.join(dir, 'run-'));
  const spec = (o: Parameters<typeof trialSpec>[0]) => trialSpec({ batchSize: 16, learningRate: 0.02, seed: 5, evalEvery: 0, ...o }, config);
  const straight = await runTrainerChild(spec({ maxSteps: 30 }));
  ok(straight);
  const half = path.join(ckdir, 'half.btckpt');
  const first = await runTrainerChild(spec({ maxSteps: 15, checkpointPath: half }));
  ok(first);
  assert.deepEqual(first.checkpoints, [{ path: half, step: 15, samples: first.steps[14].samples }]);
  const resumed = await runTrainerChild(spec({ maxSteps: 30, resumeFrom: half }));
  ok(resumed);
  assert.deepEqual(losses(first), losses(straight).slice(0, 15));
  const pick = (r: ChildRun) => r.steps.map((s) => [s.step, s.batchSize, s.learningRate, s.loss, s.microGradSqNorm]);
  assert.deepEqual(pick(resumed), pick(straight).slice(15));
  assert.ok(new Set(straight.steps.map((s) => s.batchSize)).size > 1, `the adaptive schedule moved the batch size: ${straight.steps.map((s) => s.batchSize)}`);
  assert.ok(new Set(straight.steps.slice(15).map((s) => s.learningRate)).size > 3, 'AdaScale moved the learning rate after the checkpoint');
});

test('a checkpoint is written when maxSeconds or a stop ends the trial, and holds what the run had done', async () => {
  const file = path.join(dir, 'stopped.btckpt');
  const r = await runTrainerChild(trialSpec({ maxSteps: 100_000, evalEvery: 0, checkpointPath: file }), {
    onMessage: (m, child) => {
      if (m.type === 'step' && m.metrics.step === 5) child.send({ v: 1, type: 'stop' });
    },
  });
  ok(r);
  assert.equal(r.checkpoints.length, 1);
  const h = readCheckpointFile(file).header;
  assert.equal(h.progress.step, r.steps.length);
  assert.equal(h.progress.samples, r.steps.length * 64);
  assert.equal(h.optimizer.iterations, r.steps.length);
  const timed = await runTrainerChild(trialSpec({ maxSteps: 100_000, maxSeconds: 0.5, evalEvery: 0, checkpointPath: file }));
  ok(timed);
  assert.equal(readCheckpointFile(file).header.progress.step, timed.steps.length);
});

test('bad checkpoints and settings are config errors naming the file and what to do', async () => {
  const good = path.join(dir, 'good.btckpt');
  ok(await runTrainerChild(trialSpec({ maxSteps: 3, evalEvery: 0, checkpointPath: good })));
  const bytes = readFileSync(good);
  const truncated = path.join(dir, 'truncated.btckpt');
  writeFileSync(truncated, bytes.subarray(0, Math.floor(bytes.length / 2)));
  const corrupt = path.join(dir, 'corrupt.btckpt');
  const c = Buffer.from(bytes);
  c[c.length - 100] ^= 0xff;
  writeFileSync(corrupt, c);
  const cases: Array<[string, Parameters<typeof trialSpec>[0], TrainingConfig | undefined, RegExp]> = [
    [
      'another model',
      { resumeFrom: good },
      mlpConfig({ model: { type: 'mlp', hidden: [32] } }),
      /good\.btckpt: this checkpoint belongs to another model or config \(model: layer 1 is "Dense units=128 .*" in the checkpoint but "Dense units=32 .*" in this run\)\. Resume with the config that wrote it/,
    ],
    [
      'another optimizer',
      { resumeFrom: good },
      mlpConfig({ optimizer: { name: 'sgd', learning_rate: 0.001 } }),
      /good\.btckpt: .*\(optimizer: "adam beta1=0\.9 beta2=0\.999" in the checkpoint, "sgd" in this run\)/,
    ],
    [
      'other data',
      { resumeFrom: good },
      mlpConfig({ data: { source: 'mnist', train_samples: 1000, test_samples: 500 } }),
      /good\.btckpt: .*\(data: \{"source":"mnist","train_samples":2000,"test_samples":500\}: 2000 training .* in the checkpoint, .*1000 training/,
    ],
    ['truncated', { resumeFrom: truncated }, undefined, /truncated\.btckpt: truncated: \d+ of \d+ bytes; the file is damaged/],
    ['corrupt', { resumeFrom: corrupt }, undefined, /corrupt\.btckpt: checksum mismatch; the file is damaged/],
    ['missing', { resumeFrom: path.join(dir, 'nope.btckpt') }, undefined, /nope\.btckpt: no such checkpoint file: check the path/],
    [
      'horizon reached',
      { resumeFrom: good, maxSteps: 3 },
      undefined,
      /good\.btckpt: the checkpoint is already at step 3 and this run stops at step 3 \(the trial's maxSteps\): nothing is left to train/,
    ],
    ['every without a folder', { checkpointEvery: 10 }, undefined, /checkpointEvery needs checkpointDir/],
  ];
  for (const [name, o, config, want] of cases) {
    const r = await runTrainerChild(trialSpec({ maxSteps: 6, evalEvery: 0, ...o }, config));
    assert.equal(r.error?.kind, 'config', `${name}: ${JSON.stringify(r.error)} ${r.stderr}`);
    assert.match(r.error.message, want, name);
    assert.equal(r.steps.length, 0, `${name}: nothing trained`);
    assert.equal(r.exitCode, 1, name);
  }
});

test('resuming with another seed continues weights and optimizer but draws a new data order, and says so', async () => {
  const file = path.join(dir, 'seeded.btckpt');
  ok(await runTrainerChild(trialSpec({ maxSteps: 5, evalEvery: 0, checkpointPath: file })));
  const same = await runTrainerChild(trialSpec({ maxSteps: 8, evalEvery: 0, resumeFrom: file }));
  const other = await runTrainerChild(trialSpec({ maxSteps: 8, evalEvery: 0, resumeFrom: file, seed: 9 }));
  ok(same);
  ok(other);
  assert.match(
    other.logs.map((l) => l.message).join('\n'),
    /with seed 9 \(it was written with seed 1\): weights and optimizer continue, the data order is drawn anew/,
  );
  assert.notDeepEqual(losses(other), losses(same));
  assert.ok(Math.abs(other.steps[0].loss - same.steps[0].loss) < 0.5 * same.steps[0].loss, 'both start from the trained weights');
});
