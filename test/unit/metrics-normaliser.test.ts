// The metrics normaliser alone (no process): protocol records vs log lines -> StepMetrics,
// step times from the script's clock, and one budget for everything forwarded to the log.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CheckpointInfo, StepMetrics, TrainingConfig, TrialSpec } from '../../src/core/types';
import { MetricsNormaliser } from '../../src/core/runner/metricsNormaliser';
import { parseMetricsLine } from '../../src/core/runner/metricsProtocol';

const spec: TrialSpec = { id: 't', configPath: '/x/c.yaml', config: {} as TrainingConfig, batchSize: 32, learningRate: 0.01, seed: 0 };

function normaliser(logs: Array<[string, string]> = [], checkpoints: CheckpointInfo[] = []) {
  const warnings: string[] = [];
  const measured: StepMetrics[] = [];
  const n = new MetricsNormaliser({
    spec,
    callbacks: { onLog: (level, m) => logs.push([level, m]) },
    startedMs: Date.now(),
    resources: () => ({ pids: [1], rssBytes: 1000 }),
    warn: (m) => warnings.push(m),
    onStepMeasured: (m) => measured.push(m),
    onCheckpoint: (c) => checkpoints.push(c),
  });
  const record = (o: object) => n.protocolLine(parseMetricsLine(JSON.stringify(o)), 'metrics file', false, '');
  return { n, record, warnings, measured };
}

test('step times come from the script clock; samples default to step x batch; RSS fills in memory', () => {
  const { n, record, measured } = normaliser();
  record({ v: 1, type: 'start', time: 1 });
  record({ v: 1, type: 'step', step: 1, loss: 2, time: 1.5 });
  record({ v: 1, type: 'step', step: 3, loss: 1.5, time: 2.5 }); // two steps in one second
  assert.deepEqual(
    n.steps.map((s) => [s.step, s.samples, s.stepTimeMs, s.samplesPerSecond, s.memoryBytes]),
    [
      [1, 32, 500, 64, 1000],
      [3, 96, 500, 64, 1000],
    ],
  );
  assert.equal(measured.length, 2, 'each step is measured before the callbacks');
});

test('log lines give guessed steps until the first protocol step, which discards them with a warning', () => {
  const { n, record, warnings } = normaliser();
  n.outputLine('loss: 0.9', 'stdout', false);
  n.outputLine('loss: 0.8', 'stdout', false);
  assert.deepEqual(
    n.steps.map((s) => [s.step, s.loss]),
    [
      [1, 0.9],
      [2, 0.8],
    ],
  );
  assert.match(n.warnings().join('\n'), /one line per step assumed/);
  record({ v: 1, type: 'step', step: 1, loss: 0.7 });
  n.outputLine('loss: 0.1', 'stdout', false);
  assert.deepEqual(
    n.steps.map((s) => s.loss),
    [0.7],
  );
  assert.match(warnings.join('\n'), /discarded in favour of the protocol/);
});

test('log records and output lines share one budget; records are capped in length', () => {
  const logs: Array<[string, string]> = [];
  const { n, record } = normaliser(logs);
  for (let i = 0; i < 1500; i++) record({ v: 1, type: 'log', level: 'info', message: 'x'.repeat(10_000) });
  for (let i = 0; i < 1500; i++) n.outputLine(`line ${i}`, 'stderr', false);
  assert.equal(logs.length, 2000);
  assert.ok(
    logs.every(([, m]) => m.length < 2100),
    'each forwarded message is capped',
  );
  assert.match(logs.at(-1)![1], /further output not forwarded/);
});

test('a checkpoint record without samples takes those of its step; out-of-memory text is noted once', () => {
  const cps: CheckpointInfo[] = [];
  const { n, record } = normaliser([], cps);
  record({ v: 1, type: 'step', step: 4, loss: 1, samples: 100 });
  record({ v: 1, type: 'checkpoint', path: 'ck.pt', step: 4 });
  record({ v: 1, type: 'checkpoint', path: 'ck2.pt', step: 9 });
  assert.deepEqual(cps, [
    { path: 'ck.pt', step: 4, samples: 100 },
    { path: 'ck2.pt', step: 9, samples: 288 },
  ]);
  n.outputLine('RuntimeError: CUDA out of memory. Tried to allocate 2 GiB', 'stderr', false);
  n.outputLine('MemoryError', 'stderr', false);
  assert.equal(n.oomText.line, 'RuntimeError: CUDA out of memory. Tried to allocate 2 GiB');
});
