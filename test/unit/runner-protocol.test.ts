// The host<->trainer protocol is validated on receipt in both directions: malformed messages
// are rejected by the validators, ignored (with a warning) by the real trainer and the runner.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import * as path from 'node:path';
import { validateHostMessage, validateTrainerMessage, type TrainerToHost } from '../../src/core/protocol';
import { createTrainerRunner, startTrainerTrial } from '../../src/core/runner/trainerProcess';
import { ensureTrainerBundle, fixtures, trialSpec, waitForExit } from '../fixtures/trainer/helpers';

let bundle = '';
before(() => {
  bundle = ensureTrainerBundle();
});

test('validateHostMessage rejects malformed host -> trainer messages', () => {
  const spec = trialSpec();
  assert.equal(validateHostMessage({ v: 1, type: 'start', trial: spec }).ok, true);
  const bad: unknown[] = [
    null,
    'stop',
    [1],
    { type: 'stop' },
    { v: 2, type: 'stop' },
    { v: 1 },
    { v: 1, type: 'launch' },
    { v: 1, type: 'start' },
    { v: 1, type: 'start', trial: { ...spec, batchSize: 0 } },
    { v: 1, type: 'start', trial: { ...spec, batchSize: 1.5 } },
    { v: 1, type: 'start', trial: { ...spec, learningRate: -1 } },
    { v: 1, type: 'start', trial: { ...spec, config: 'x' } },
    { v: 1, type: 'start', trial: { ...spec, maxSteps: '10' } },
    { v: 1, type: 'setBatchSize', batchSize: 0 },
    { v: 1, type: 'setBatchSize', batchSize: 64, learningRate: 'fast' },
  ];
  for (const m of bad) assert.equal(validateHostMessage(m).ok, false, JSON.stringify(m));
});

test('validateTrainerMessage rejects malformed trainer -> host messages', () => {
  const metrics = { step: 1, epoch: 0, samples: 8, loss: 1, batchSize: 8, learningRate: 0.1, stepTimeMs: 1, samplesPerSecond: 8000, time: 0.001 };
  assert.equal(validateTrainerMessage({ v: 1, type: 'step', metrics }).ok, true);
  const bad: unknown[] = [
    undefined,
    42,
    { v: 1, type: 'ready', pid: 'x', backend: 'wasm', backendReason: '' },
    { v: 1, type: 'step', metrics: { ...metrics, step: 'one' } },
    { v: 1, type: 'step', metrics: { ...metrics, gradSqNorm: 'big' } },
    { v: 1, type: 'step', metrics: { ...metrics, samplesPerSecond: Infinity } },
    { v: 1, type: 'eval', metrics: { step: 1, samples: 1, time: 1 } },
    { v: 1, type: 'log', level: 'debug', message: 'x' },
    { v: 1, type: 'done', steps: 1 },
    { v: 1, type: 'error', error: { message: 'no kind' } },
    { v: 0, type: 'alive' },
    { v: 1, type: 'progress' },
  ];
  for (const m of bad) assert.equal(validateTrainerMessage(m).ok, false, JSON.stringify(m));
});

test('the real trainer ignores malformed host messages with a warning and honours setBatchSize', async () => {
  const child = fork(bundle, [], { execArgv: [], stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
  const got: TrainerToHost[] = [];
  const finished = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  child.on('message', (raw) => {
    const r = validateTrainerMessage(raw);
    assert.ok(r.ok, `the trainer sent a malformed message: ${JSON.stringify(raw)}`);
    got.push(r.value);
    if (r.value.type === 'step' && r.value.metrics.step === 3) child.send({ v: 1, type: 'setBatchSize', batchSize: 32, learningRate: 0.0005 });
  });
  child.send({ v: 7, type: 'start' });
  child.send({ v: 1, type: 'jump' });
  child.send({ v: 1, type: 'start', trial: { ...trialSpec(), batchSize: -4 } });
  child.send({ v: 1, type: 'start', trial: trialSpec({ maxSteps: 8, evalEvery: 0 }) });
  await finished;
  const warnings = got.filter((m) => m.type === 'log' && m.level === 'warn').map((m) => (m as { message: string }).message);
  assert.equal(warnings.length, 3, warnings.join('\n'));
  assert.match(warnings[0], /unsupported protocol version 7/);
  assert.match(warnings[1], /unknown message type "jump"/);
  assert.match(warnings[2], /batchSize must be a positive integer/);
  const steps = got.flatMap((m) => (m.type === 'step' ? [m.metrics] : []));
  assert.equal(steps.length, 8);
  // The request arrives between steps: every step after it runs at the new size and learning rate.
  const changed = steps.findIndex((s) => s.batchSize === 32);
  assert.ok(changed >= 3 && changed <= 5, `changed at step index ${changed}`);
  assert.ok(steps.slice(0, changed).every((s) => s.batchSize === 64 && s.learningRate === 0.001));
  assert.ok(steps.slice(changed).every((s) => s.batchSize === 32 && s.learningRate === 0.0005));
  assert.equal(steps[7].samples, changed * 64 + (8 - changed) * 32);
  assert.equal(got.at(-1)?.type, 'done');
  assert.ok(await waitForExit(child.pid!, 1000));
});

test('the runner ignores malformed trainer messages, keeps the valid ones and warns once per kind', async () => {
  const r = await createTrainerRunner({ trainerPath: path.join(fixtures, 'malformed-trainer.js') })(trialSpec(), {});
  assert.equal(r.status, 'ok');
  assert.equal(r.steps.length, 1);
  assert.equal(r.steps[0].loss, 1.5);
  assert.ok(r.warnings!.some((w) => /unsupported protocol version 99/.test(w)));
  assert.ok(r.warnings!.some((w) => /"step" must be a finite number/.test(w)));
  assert.ok(r.warnings!.some((w) => /unknown message type "teleport"/.test(w)));
  assert.ok(r.warnings!.some((w) => /1 more malformed trainer messages were ignored/.test(w)));
});

test('startTrainerTrial: the host changes the batch size of a running trial', async () => {
  const handle: ReturnType<typeof startTrainerTrial> = startTrainerTrial(trialSpec({ maxSteps: 6 }), {
    onStep: (m) => {
      if (m.step === 2) handle.setBatchSize(16);
    },
  });
  const r = await handle.result;
  assert.equal(r.status, 'ok');
  assert.deepEqual(
    r.steps.slice(0, 2).map((s) => s.batchSize),
    [64, 64],
  );
  assert.equal(r.steps.at(-1)!.batchSize, 16);
  assert.equal(r.steps.at(-1)!.learningRate, 0.001, 'the learning rate stays when none is given');
  assert.throws(() => handle.setBatchSize(0), /positive integer/);
});
