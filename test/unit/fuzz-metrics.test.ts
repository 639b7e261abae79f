// What a training script prints is untrusted: 10,000 generated lines (metrics-protocol records
// from the metrics file and `batch-tuner: ` stdout lines, and human log lines) through the same
// path a trial's output takes (LineSplitter -> MetricsNormaliser), with no exception, no line
// taking more than a few milliseconds, and every step the trial reports made of sane numbers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { StepMetrics, TrainingConfig, TrialSpec } from '../../src/core/types';
import { LineSplitter } from '../../src/core/runner/boundedBuffers';
import { MetricsNormaliser } from '../../src/core/runner/metricsNormaliser';
import { MAX_LINE_CHARS, parseLogLine, parseMetricsLine, parseStdoutLine } from '../../src/core/runner/metricsProtocol';
import { fuzz, mutate, PER_INPUT_BOUND_MS, rng, summary, type Rng } from './helpers/fuzz';

const COUNT = 10_000;
const SEED = 0x3e7c;
const spec: TrialSpec = { id: 't', configPath: '/x/c.yaml', config: {} as TrainingConfig, batchSize: 32, learningRate: 0.01, seed: 0 };

const TYPES = ['step', 'eval', 'start', 'oom', 'done', 'log', 'checkpoint', 'future', ''];
const FIELDS = [
  'step',
  'loss',
  'samples',
  'epoch',
  'time',
  'val_loss',
  'val_accuracy',
  'grad_sq_norm',
  'micro_grad_sq_norm',
  'micro_batch_size',
  'memory_bytes',
  'batch_size',
  'lr',
  'learning_rate',
  'message',
  'level',
  'path',
  'pid',
  'v',
];

/** A value of any JSON type, some of them hostile. */
function value(r: Rng): unknown {
  switch (r.int(12)) {
    case 0:
      return r.int(1000);
    case 1:
      return -r.next() * 1e6;
    case 2:
      return r.pick([1e308, -1e308, 5e-324, 2 ** 53 + 1, 0, -0]);
    case 3:
      return r.pick(['nan', 'NaN', 'inf', 'Infinity', null, true, '12']);
    case 4:
      return 'x'.repeat(r.int(5000));
    case 5:
      return r.pick(['<script>', '\u0000', '\ud800', '../../etc/passwd', 'C:\\x', '']);
    case 6:
      return JSON.parse('['.repeat(60) + ']'.repeat(60)) as unknown;
    case 7:
      return { nested: { deeper: [1, { x: 'y' }] } };
    case 8:
      return Array.from({ length: r.int(100) }, () => r.next());
    default:
      return r.next() * 10;
  }
}

function record(r: Rng): Record<string, unknown> {
  const o: Record<string, unknown> = { v: r.chance(0.9) ? 1 : value(r), type: r.pick(TYPES) };
  // Mostly plausible records, with a field or two of the wrong kind.
  if (o.type === 'step' || r.chance(0.3)) Object.assign(o, { step: r.int(10_000), loss: r.next() * 3, samples: r.int(1e6), time: r.next() * 100 });
  for (let k = r.int(5); k > 0; k--) o[r.pick(FIELDS)] = value(r);
  return o;
}

const LOG_LINES = [
  "{'loss': 0.4123, 'grad_norm': 1.2, 'learning_rate': 4.9e-05, 'epoch': 0.25}",
  "{'eval_loss': 0.31, 'eval_accuracy': 0.91, 'epoch': 1.0}",
  'Epoch 1/10 - step 100 - loss: 0.5123 - acc: 0.81',
  'Step [100/600], Loss: 0.2345, val_loss 0.3',
  'iter 20: loss=1.23e+00 lr=3.0e-4',
  'train_loss: nan  valid loss inf',
];

/** One line as a script might print it: a record (file or stdout), a log line, or something hostile. */
function line(r: Rng, i: number): { label: string; input: string } {
  const kind = r.int(10);
  if (kind < 3) return { label: `#${i} record`, input: JSON.stringify(record(r)) };
  if (kind === 3) return { label: `#${i} stdout record`, input: r.pick(['', '  ', '\r', '\t']) + 'batch-tuner: ' + JSON.stringify(record(r)) };
  if (kind < 6) return { label: `#${i} log line`, input: mutate(r.pick(LOG_LINES), r, ['loss', ':', '=', ' ', '{', "'", '[', 'val_', '1e', '.', 'nan']) };
  if (kind === 6) return { label: `#${i} mutated record`, input: mutate(JSON.stringify(record(r)), r, ['{', '}', '[', '"', ':', ',', '\\', 'batch-tuner: ']) };
  if (kind === 7) {
    // The shapes that backtracked: a keyword then long runs of what may follow it.
    const run = r.pick([' ', '\t', ':', '=', '[', ' [', ': ', '1', '.', "'", '{']).repeat(100 + r.int(4000));
    return { label: `#${i} keyword + run`, input: r.pick(['loss', 'val loss', 'step', "{'loss'", 'lr', 'epoch']) + run + r.pick(['', 'x', '1', '}']) };
  }
  if (kind === 8) return { label: `#${i} deep`, input: r.pick(['batch-tuner: ', '']) + '{"v":1,"type":"log","message":' + '['.repeat(1000 + r.int(50_000)) };
  return { label: `#${i} long`, input: r.pick(['batch-tuner: {"type":"log","message":"', 'loss: ', '']) + 'y'.repeat(r.int(64 * 1024)) };
}

function* lines(): Generator<{ label: string; input: string }> {
  const r = rng(SEED);
  for (let i = 0; i < COUNT; i++) yield line(r, i);
}

const finite = (x: number) => typeof x === 'number' && Number.isFinite(x) && x >= 0;

test(`${COUNT} generated metrics and log lines: no exception, each within ${PER_INPUT_BOUND_MS} ms, every reported step sane`, (t) => {
  const steps: StepMetrics[] = [];
  const norm = new MetricsNormaliser({
    spec,
    callbacks: { onStep: (m) => steps.push(m), onEval: () => undefined, onLog: () => undefined },
    startedMs: Date.now(),
    resources: () => undefined,
    warn: () => undefined,
    onStepMeasured: () => undefined,
    onCheckpoint: () => undefined,
  });
  const stdout = new LineSplitter((l, truncated) => norm.outputLine(l, 'stdout', truncated));
  const file = new LineSplitter((l, truncated) => norm.protocolLine(parseMetricsLine(l), 'metrics file', truncated, l));
  const report = fuzz(lines(), (text) => {
    // Each parser alone, then the way a trial's output flows: half stdout, half the metrics file.
    const parsed = parseMetricsLine(text);
    assert.ok(['record', 'malformed', 'ignored'].includes(parsed.kind));
    parseStdoutLine(text);
    parseLogLine(text);
    (text.length % 2 ? stdout : file).push(text + '\n');
  });
  t.diagnostic(summary('metrics/log lines', report));
  t.diagnostic(`steps reported: ${steps.length}; warnings: ${norm.warnings().join(' | ').slice(0, 300)}`);
  assert.equal(report.inputs, COUNT);
  assert.deepEqual(report.failures.slice(0, 5), []);
  assert.ok(report.slowestMs < PER_INPUT_BOUND_MS, summary('metrics', report));
  assert.ok(steps.length > 100, 'records and log lines did report steps');
  for (const s of steps) {
    const bad = (['step', 'samples', 'time', 'stepTimeMs', 'samplesPerSecond', 'batchSize', 'learningRate'] as const).filter((k) => !finite(s[k]));
    assert.deepEqual(bad, [], `step with impossible numbers: ${JSON.stringify(s)}`);
  }
});

test('lines at and over the length limit: read or counted as malformed, in linear time', (t) => {
  const malformed: string[] = [];
  const norm = new MetricsNormaliser({
    spec,
    callbacks: {},
    startedMs: Date.now(),
    resources: () => undefined,
    warn: () => undefined,
    onStepMeasured: () => undefined,
    onCheckpoint: () => undefined,
  });
  const file = new LineSplitter((l, truncated) => norm.protocolLine(parseMetricsLine(l), 'metrics file', truncated, l));
  const atLimit = JSON.stringify({ v: 1, type: 'log', message: 'z'.repeat(MAX_LINE_CHARS - 40) });
  const started = performance.now();
  for (let i = 0; i < 10; i++) file.push(`${atLimit}\n${'{"v":1,"type":"step","step":1,"loss":1,"pad":"' + 'q'.repeat(MAX_LINE_CHARS)}"}\n`);
  const ms = (performance.now() - started) / 10;
  malformed.push(...norm.warnings());
  t.diagnostic(`a line at the limit (${atLimit.length} chars) and one over it: ${ms.toFixed(1)} ms per pair`);
  assert.match(malformed.join('\n'), /10 malformed metrics line\(s\) ignored, e\.g\. metrics file: line longer than the limit ignored/);
  assert.equal(norm.steps.length, 0, 'the truncated step record was not read');
});

test('a log record nested 100,000 deep is a malformed line, not a stack overflow', () => {
  const deep = '{"v":1,"type":"log","message":' + '['.repeat(100_000) + ']'.repeat(100_000) + '}';
  const parsed = parseMetricsLine(deep);
  assert.equal(parsed.kind, 'malformed');
  assert.match((parsed as { reason: string }).reason, /nested deeper than 64 levels/);
});
