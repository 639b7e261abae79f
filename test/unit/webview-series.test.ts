import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Recommendation, StepMetrics } from '../../src/core/types';
import { NoiseScaleEma, SeriesStore } from '../../webview/charts/seriesStore';
import { goodputLines, scheduleLines, trialLines } from '../../webview/charts/chartLines';

const theme = { palette: ['#1', '#2', '#3', '#4', '#5', '#6'], highlight: '#fg', muted: '#mu' };

function step(i: number, batchSize: number, extra: Partial<StepMetrics> = {}): StepMetrics {
  return {
    step: i,
    epoch: 0,
    samples: i * batchSize,
    loss: 2 / i,
    batchSize,
    learningRate: 0.01,
    stepTimeMs: 5,
    samplesPerSecond: 1000,
    time: i * 0.01,
    memoryBytes: 1000 + batchSize,
    ...extra,
  };
}

test('SeriesStore appends steps per trial into columns and drops repeated steps', () => {
  const store = new SeriesStore();
  const v0 = store.version;
  store.append({ trialId: 'a', batchSize: 32, steps: [step(1, 32), step(2, 32)], evals: [] });
  store.append({ trialId: 'a', batchSize: 32, steps: [step(2, 32), step(3, 32)], evals: [{ step: 3, samples: 96, time: 0.03, valLoss: 0.5 }] });
  store.append({ trialId: 'b', batchSize: 64, steps: [step(1, 64)], evals: [] });
  assert.ok(store.version > v0);
  const a = store.get('a')!;
  assert.deepEqual([...a.columns.step.view()], [1, 2, 3]);
  assert.deepEqual([...a.columns.samples.view()], [32, 64, 96]);
  assert.deepEqual([...a.columns.memory.view()], [1032, 1032, 1032]);
  assert.deepEqual([...a.evalLoss.view()], [0.5]);
  assert.equal(store.pointCount(), 4);
  assert.deepEqual(
    store.list().map((t) => t.trialId),
    ['a', 'b'],
  );
});

test('labels carry the trial id only when two trials share a batch size', () => {
  const store = new SeriesStore();
  store.append({ trialId: 'p-32', batchSize: 32, steps: [step(1, 32)], evals: [] });
  assert.equal(store.label(store.get('p-32')!), 'B=32');
  store.append({ trialId: 'c-32-s2', batchSize: 32, steps: [step(1, 32)], evals: [] });
  assert.equal(store.label(store.get('p-32')!), 'B=32 (p-32)');
});

test('NoiseScaleEma recovers tr(Sigma)/|G|^2 from batch and micro-batch gradient norms', () => {
  // With |G|^2 = 0.02 and tr(Sigma) = 3: E|g_B|^2 = |G|^2 + tr/B (McCandlish et al. 2018, appendix A).
  const G2 = 0.02;
  const tr = 3;
  const ema = new NoiseScaleEma();
  let v: number | undefined;
  for (let i = 1; i <= 60; i++) {
    const B = 128;
    const b = 32;
    v = ema.update(step(i, B, { gradSqNorm: G2 + tr / B, microGradSqNorm: G2 + tr / b, microBatchSize: b }));
  }
  assert.ok(v !== undefined);
  assert.ok(Math.abs(v - tr / G2) / (tr / G2) < 1e-9, `got ${v}`);
});

test('NoiseScaleEma gives nothing without micro-batch statistics', () => {
  const ema = new NoiseScaleEma();
  assert.equal(ema.update(step(1, 64)), undefined);
  assert.equal(ema.update(step(2, 64, { gradSqNorm: 1, microGradSqNorm: 2, microBatchSize: 64 })), undefined);
});

test('trialLines: one line per trial, x and y columns as asked, stable colours', () => {
  const store = new SeriesStore();
  for (const b of [16, 32, 64, 128, 256, 512, 1024]) store.append({ trialId: `t${b}`, batchSize: b, steps: [step(1, b), step(2, b)], evals: [] });
  const lines = trialLines(store, theme, 'time', 'loss');
  assert.equal(lines.length, 7);
  assert.deepEqual(Array.from(lines[1].xs), [0.01, 0.02]);
  assert.deepEqual(Array.from(lines[1].ys), [2, 1]);
  assert.equal(lines[0].color, '#1');
  // The seventh line reuses the first colour, dashed, to stay distinguishable.
  assert.equal(lines[6].color, '#1');
  assert.ok(lines[6].dash && lines[6].dash.length > 0);
  assert.equal(lines[0].dash, undefined);
});

test('scheduleLines: the batch size in force for scheduled trials and the live noise scale', () => {
  const store = new SeriesStore();
  store.append({ trialId: 'fixed', batchSize: 32, steps: [step(1, 32), step(2, 32)], evals: [] });
  store.append({
    trialId: 'ramp',
    batchSize: 32,
    steps: [1, 2, 3, 4, 5, 6, 7, 8].map((i) =>
      step(i, i < 5 ? 32 : 64, { gradSqNorm: 0.1 + 1 / (i < 5 ? 32 : 64), microGradSqNorm: 0.1 + 1 / 8, microBatchSize: 8 }),
    ),
    evals: [],
  });
  const lines = scheduleLines(store, theme, undefined);
  const labels = lines.map((l) => l.label);
  assert.deepEqual(labels, ['batch size B=32 (ramp)', 'B_noise live B=32 (ramp)']);
  assert.deepEqual(Array.from(lines[0].ys), [32, 32, 32, 32, 64, 64, 64, 64]);
  assert.ok(lines[0].stepped);
  const rec = {
    noiseScale: {
      value: 100,
      low: 50,
      high: 200,
      history: [
        { samples: 200, loss: 1, value: 90, low: 40, high: 150 },
        { samples: 100, loss: 2, value: 60 },
      ],
    },
  } as unknown as Recommendation;
  const withRec = scheduleLines(store, theme, rec);
  const tuner = withRec.find((l) => l.label === 'B_noise (tuner)')!;
  assert.deepEqual(Array.from(tuner.xs), [100, 200], 'history sorted by samples');
  assert.deepEqual(Array.from(tuner.ys), [60, 90]);
  assert.ok(withRec.some((l) => l.label === 'interval high'));
});

test('goodputLines marks the recommendation and the current batch size', () => {
  const rec = {
    batchSize: 128,
    current: { batchSize: 32, learningRate: 0.01 },
    candidates: [
      { batchSize: 32, status: 'ok', goodput: 0.7, fits: true },
      { batchSize: 128, status: 'ok', goodput: 1, fits: true },
      { batchSize: 512, status: 'ok', goodput: 0.6, fits: true },
    ],
  } as unknown as Recommendation;
  const lines = goodputLines(rec, theme);
  assert.deepEqual(Array.from(lines[0].ys), [0.7, 1, 0.6]);
  const pick = lines.find((l) => l.label === 'recommended 128')!;
  assert.deepEqual(Array.from(pick.xs), [128]);
  assert.equal(pick.line, false);
  assert.ok(lines.some((l) => l.label === 'current 32'));
  assert.equal(goodputLines(undefined, theme)[0].xs.length, 0);
});

test('a trial id that starts again from its first step is a new run: its curve is replaced', () => {
  const store = new SeriesStore();
  store.append({ trialId: 'profile-64', batchSize: 64, steps: [step(1, 64), step(2, 64), step(3, 64)], evals: [] });
  // A resent batch is ignored ...
  store.append({ trialId: 'profile-64', batchSize: 64, steps: [step(2, 64)], evals: [] });
  assert.deepEqual(Array.from(store.get('profile-64')!.columns.step.view()), [1, 2, 3]);
  // ... but step 1 again (a new study reusing the id) starts the curve over.
  store.append({ trialId: 'profile-64', batchSize: 64, steps: [step(1, 64, { loss: 9 }), step(2, 64)], evals: [] });
  assert.deepEqual(Array.from(store.get('profile-64')!.columns.step.view()), [1, 2]);
  assert.equal(store.get('profile-64')!.columns.loss.at(0), 9);
});

test('snapshot/restore keeps the curves (decimated) through JSON, as vscode.setState does', () => {
  const store = new SeriesStore();
  const steps = Array.from({ length: 2000 }, (_, i) => step(i + 1, i < 1000 ? 32 : 64, { memoryBytes: i % 2 ? undefined : 5 }));
  store.append({ trialId: 'ramp', batchSize: 32, steps, evals: [{ step: 10, samples: 320, time: 0.1, valLoss: 0.7 }] });
  const json = JSON.parse(JSON.stringify(store.snapshot(500)));
  const copy = new SeriesStore();
  copy.restore(json);
  const t = copy.get('ramp')!;
  const n = t.columns.step.length;
  assert.ok(n <= 501 && n >= 400, `${n} points kept`);
  assert.equal(t.columns.step.at(0), 1);
  assert.equal(t.columns.step.at(n - 1), 2000, 'the last point is kept');
  assert.ok(t.batchSizeVaries);
  assert.deepEqual(Array.from(t.evalLoss.view()), [0.7]);
  // Missing memory readings stay missing (null in JSON -> NaN), not zero.
  const mem = Array.from(t.columns.memory.view());
  assert.ok(mem.some((v) => Number.isNaN(v)) && mem.some((v) => v === 5));
  // Garbage in the saved state is skipped, not thrown.
  copy.restore([{ nope: 1 }, null, 'x']);
  assert.equal(copy.size, 0);
});
