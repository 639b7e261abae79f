// createRunner(RunnerSpec): the resolver's trial timeout reaches both runners — the built-in
// trainer too (batchTuner.trialTimeoutSeconds / tuner.timeout_seconds used to reach only external
// commands). Real processes: a trainer that never answers, a Python script that hangs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { createRunner } from '../../src/core/runner';
import { editorLayer, resolveStudy } from '../../src/core/resolve';
import type { TrainingConfig } from '../../src/core/types';
import { fixtures, trialSpec } from '../fixtures/trainer/helpers';
import { writeTempConfig } from './helpers/mnistConfig';

const MACHINE = { totalMemoryBytes: 2 ** 34 };

test('the built-in trainer is stopped after the resolved trial timeout (batchTuner.trialTimeoutSeconds)', async () => {
  const { file } = writeTempConfig();
  const r = resolveStudy({ file, text: readFileSync(file, 'utf8'), machine: MACHINE, editor: editorLayer({ trialTimeoutSeconds: 0.4 }) });
  assert.ok(r.ok && r.runner.kind === 'trainer');
  assert.equal(r.runner.hangTimeoutMs, 400);
  const t0 = Date.now();
  const result = await createRunner(r.runner, { trainerPath: path.join(fixtures, 'hang-trainer.js') })(trialSpec(), {});
  assert.equal(result.status, 'timeout');
  assert.equal(result.error?.kind, 'hang');
  assert.match(result.error.message, /sent nothing for 0.4 s/);
  assert.ok(Date.now() - t0 < 5000);
});

test("a user's command is stopped after its config's tuner.timeout_seconds", async () => {
  const hang = path.join(__dirname, '../fixtures/scripts/hang.py');
  const { file } = writeTempConfig(`batch_size: 8\ntuner:\n  command: /usr/bin/python3 ${hang}\n  timeout_seconds: 1\n`, 'slow.yaml');
  const r = resolveStudy({ file, text: readFileSync(file, 'utf8'), machine: MACHINE, editor: editorLayer({ trialTimeoutSeconds: 60 }) });
  assert.ok(r.ok && r.runner.kind === 'external');
  assert.equal(r.runner.hangTimeoutMs, 1000, 'the config beats the editor setting');
  const t0 = Date.now();
  const result = await createRunner(r.runner)({ id: 't', configPath: file, config: {} as TrainingConfig, batchSize: 8, learningRate: 0.1, seed: 0 }, {});
  assert.equal(result.status, 'timeout');
  assert.ok(Date.now() - t0 < 8000);
});
