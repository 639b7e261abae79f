// Checkpoints through the runners (issue 11): the placeholders and environment a script gets
// (${checkpoint}, ${resume}, ${worldSize}, ${accumulationSteps}, ${microBatchSize}), the metrics
// protocol's `checkpoint` record and the trainer's `checkpoint` message reaching onCheckpoint and
// TrialResult.checkpoints, and the warning when a requested checkpoint was never written.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import type { CheckpointInfo, TrainingConfig, TrialSpec } from '../../src/core/types';
import { createExternalRunner } from '../../src/core/runner/external';
import { createTrainerRunner } from '../../src/core/runner/trainerProcess';
import { fixtures, trialSpec } from '../fixtures/trainer/helpers';

const FIX = resolve(__dirname, '../fixtures/scripts');
const PY = '/usr/bin/python3';
const COMMAND = `\${python} ${FIX}/checkpointer.py --ckpt \${checkpoint} --resume \${resume} --world \${worldSize} --acc \${accumulationSteps} --micro \${microBatchSize}`;

function setup(): { dir: string; config: string; echo: string } {
  const dir = mkdtempSync(join(tmpdir(), 'bt-ckpt-'));
  const config = join(dir, 'train.yaml');
  writeFileSync(config, 'batch_size: 32\nlr: 0.001\n');
  return { dir, config, echo: join(dir, 'echo.json') };
}

function spec(config: string, over: Partial<TrialSpec> = {}): TrialSpec {
  return { id: 'branch-64', configPath: config, config: {} as TrainingConfig, batchSize: 64, learningRate: 0.002, seed: 3, maxSteps: 3, ...over };
}

const byStep = (cs: CheckpointInfo[]) => [...cs].sort((a, b) => a.step - b.step);

test('placeholders and env: ${checkpoint} is TrialSpec.checkpointPath, ${resume}, world size, accumulation and micro-batch; records reach onCheckpoint and the result', async () => {
  const { dir, config, echo } = setup();
  const ckpt = join(dir, 'state-64.pt');
  const seen: CheckpointInfo[] = [];
  const r = await createExternalRunner({ command: COMMAND, pythonPath: PY, env: { ...process.env, ECHO_OUT: echo } })(
    spec(config, { checkpointPath: ckpt, resumeFrom: '/runs/a b/step-100.pt', worldSize: 2, accumulationSteps: 4 }),
    { onCheckpoint: (c) => seen.push(c) },
  );
  assert.equal(r.status, 'ok', JSON.stringify(r.error));
  const e = JSON.parse(readFileSync(echo, 'utf8'));
  assert.deepEqual(e.argv, ['--ckpt', ckpt, '--resume', '/runs/a b/step-100.pt', '--world', '2', '--acc', '4', '--micro', '8']);
  assert.equal(e.env.BATCH_TUNER_CHECKPOINT, ckpt);
  assert.equal(e.env.BATCH_TUNER_RESUME, '/runs/a b/step-100.pt');
  assert.equal(e.env.BATCH_TUNER_WORLD_SIZE, '2');
  assert.equal(e.env.BATCH_TUNER_ACCUMULATION_STEPS, '4');
  assert.equal(e.env.BATCH_TUNER_MICRO_BATCH_SIZE, '8', '64 = 8 x 4 accumulation steps x 2 workers');
  assert.equal(e.env.BATCH_TUNER_LIFELINE_FD, '3');
  const want = [
    { path: join(dir, 'rel', 'ck.pt'), step: 2, samples: 5 }, // relative: against the script's working directory
    { path: ckpt, step: 3, samples: 192 }, // no samples in the record: those of step 3
  ];
  assert.deepEqual(byStep(seen), want);
  assert.deepEqual(byStep(r.checkpoints ?? []), want);
  assert.equal(readFileSync(ckpt, 'utf8'), 'state at step 3', 'the requested checkpoint is left for the study');
  assert.doesNotMatch((r.warnings ?? []).join('\n'), /checkpoint/);
});

test("without a requested path, ${checkpoint} is a scratch file in the trial's temp folder, and ${resume} is empty", async () => {
  const { config, echo } = setup();
  const r = await createExternalRunner({ command: COMMAND, pythonPath: PY, env: { ...process.env, ECHO_OUT: echo } })(spec(config), {});
  assert.equal(r.status, 'ok', JSON.stringify(r.error));
  const e = JSON.parse(readFileSync(echo, 'utf8'));
  const scratch: string = e.env.BATCH_TUNER_CHECKPOINT;
  assert.match(basename(dirname(scratch)), new RegExp(`^batch-tuner-pid${process.pid}-`));
  assert.equal(basename(scratch), 'checkpoint-branch-64');
  assert.deepEqual(e.argv.slice(0, 4), ['--ckpt', scratch, '--resume', ''], 'an empty ${resume} is one empty argument');
  assert.equal(e.env.BATCH_TUNER_RESUME, '');
  assert.deepEqual(e.argv.slice(4), ['--world', '1', '--acc', '1', '--micro', '64']);
  assert.ok(!existsSync(dirname(scratch)), 'the temp folder (and the scratch checkpoint) is removed with the trial');
  assert.equal(r.checkpoints?.length, 2, 'reported checkpoints are still passed on');
});

test('a script asked for a checkpoint that ends without writing it: a warning naming the script, the path and what to do', async () => {
  const { dir, config, echo } = setup();
  const ckpt = join(dir, 'never.pt');
  const warned: string[] = [];
  const r = await createExternalRunner({ command: COMMAND, pythonPath: PY, env: { ...process.env, ECHO_OUT: echo, SKIP_SAVE: '1' } })(
    spec(config, { checkpointPath: ckpt }),
    {
      onLog: (level, m) => level === 'warn' && warned.push(m),
    },
  );
  assert.equal(r.status, 'ok', 'the measurements still count');
  const w = (r.warnings ?? []).find((x) => x.includes('checkpoint'));
  assert.ok(w, JSON.stringify(r.warnings));
  assert.match(w, /the training command ".*checkpointer\.py .*" was asked for a checkpoint at /);
  assert.ok(w.includes(ckpt), w);
  assert.match(w, /\$\{checkpoint\} \/ BATCH_TUNER_CHECKPOINT/);
  assert.match(w, /ended without writing it.*save its state to that path when it ends/);
  assert.ok(warned.includes(w), 'also shown as it happens');
  assert.equal(r.checkpoints, undefined);
});

test('a batch that does not split into accumulation steps x workers is a config error, before anything runs', async () => {
  const { config, echo } = setup();
  const r = await createExternalRunner({ command: COMMAND, pythonPath: PY, env: { ...process.env, ECHO_OUT: echo } })(
    spec(config, { batchSize: 60, accumulationSteps: 4, worldSize: 2 }),
    {},
  );
  assert.equal(r.status, 'failed');
  assert.equal(r.error?.kind, 'config');
  assert.match(
    r.error?.message ?? '',
    /batch size 60 does not split into 4 accumulation step\(s\) x 2 worker\(s\): choose a batch size that is a multiple of 8/,
  );
  assert.ok(!existsSync(echo), 'the script never started');
});

test("the trainer's checkpoint message reaches onCheckpoint and the result; a trainer that writes none is warned about", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bt-ckpt-trainer-'));
  const trainerPath = join(fixtures, 'checkpoint-trainer.js');
  const seen: CheckpointInfo[] = [];
  const path = join(dir, 'trainer.ckpt');
  const r = await createTrainerRunner({ trainerPath })(trialSpec({ checkpointPath: path }), { onCheckpoint: (c) => seen.push(c) });
  assert.equal(r.status, 'ok', JSON.stringify(r.error));
  assert.deepEqual(seen, [{ path, step: 1, samples: 64 }]);
  assert.deepEqual(r.checkpoints, seen);
  assert.ok(!(r.warnings ?? []).some((w) => w.includes('checkpoint')));

  const missing = join(dir, 'forgotten.ckpt');
  const f = await createTrainerRunner({ trainerPath })(trialSpec({ id: 'forgetful', checkpointPath: missing }), {});
  assert.equal(f.status, 'ok');
  assert.match(
    (f.warnings ?? []).join('\n'),
    new RegExp(`the trainer was asked for a checkpoint at ${missing.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} but ended without writing it`),
  );
});
