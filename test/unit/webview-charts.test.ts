// The panel's summary charts (throughput, peak memory, critical batch size), the card's evidence
// with its tags, the "along the run" inputs and their validation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CandidateEvidence, Recommendation, TrialSummary } from '../../src/core/types';
import { validatePanelMessage } from '../../src/core/webviewProtocol';
import { criticalBatchChart } from '../../webview/charts/criticalBatchChart';
import { withAlpha } from '../../webview/charts/decorations';
import { measuredPeaks, memoryChart, sizeGrid } from '../../webview/charts/memoryChart';
import { bandRange, measuredThroughput, throughputChart } from '../../webview/charts/summaryCharts';
import { evidenceLines, extrapolation, isExtrapolatedSize, timeBasis } from '../../webview/panel/evidence';
import { baseName, normalizeCheckpoints, normalizeSettings, parseHorizon } from '../../webview/panel/state';

const theme = { palette: ['#000001', '#000002', '#000003', '#000004', '#000005', '#000006'], highlight: '#ffffff', muted: '#808080' };
const MiB = 2 ** 20;

const trial = (id: string, batchSize: number, sps: number | undefined, extra: Partial<TrialSummary> = {}): TrialSummary => ({
  id,
  status: 'ok',
  batchSize,
  learningRate: 0.01,
  seed: 1,
  samplesPerSecond: sps,
  wallSeconds: 1,
  phase: 'profile',
  ...extra,
});

const cand = (batchSize: number, extra: Partial<CandidateEvidence> = {}): CandidateEvidence => ({ batchSize, status: 'ok', fits: true, ...extra });

function rec(patch: Partial<Recommendation> = {}): Recommendation {
  return {
    batchSize: 64,
    learningRate: 0.01,
    current: { batchSize: 32, learningRate: 0.01 },
    band: { low: 32, high: 128, tolerance: 0.1, sizes: [32, 64, 128], basis: 'fitted' },
    basis: { throughput: 'fitted', noiseScale: 'measured', convergence: 'fitted' },
    undetermined: [],
    alternatives: {},
    candidates: [
      cand(16, {
        samplesPerSecond: 1000,
        samplesPerSecondIqr: [900, 1100],
        fittedSamplesPerSecond: 1010,
        fittedSamplesPerSecondInterval: [980, 1040],
        peakMemoryBytes: 50 * MiB,
      }),
      cand(64, {
        samplesPerSecond: 3000,
        samplesPerSecondIqr: [2800, 3300],
        fittedSamplesPerSecond: 2950,
        fittedSamplesPerSecondInterval: [2900, 3000],
        peakMemoryBytes: 80 * MiB,
      }),
      cand(256, { status: 'predicted', fittedSamplesPerSecond: 5000, fittedSamplesPerSecondInterval: [4500, 5600], fits: true }),
    ],
    evidence: { lrRule: 'sqrt', notes: ['a note'], memoryLimitBytes: 1024 * MiB, memoryFit: { a: 40 * MiB, b: 0.625 * MiB }, predictedMaxFit: 1500 },
    ...patch,
  };
}

test('throughput chart: measured medians with IQR whiskers, the fit solid over measured sizes and dashed beyond, its band, the near-optimal band', () => {
  const c = throughputChart([], rec(), theme);
  const byKey = new Map(c.lines.map((l) => [l.key, l]));
  const measured = byKey.get('measured');
  assert.deepEqual(Array.from(measured?.xs ?? []), [16, 64]);
  assert.deepEqual(Array.from(measured?.ys ?? []), [1000, 3000]);
  assert.equal(measured?.line, false, 'measured sizes are points, not a line');
  assert.deepEqual(
    c.decorations?.whiskers?.map((w) => [w.x, w.lo, w.hi]),
    [
      [16, 900, 1100],
      [64, 2800, 3300],
    ],
  );
  assert.deepEqual(Array.from(byKey.get('fit')?.xs ?? []), [16, 64]);
  const beyond = byKey.get('fit-beyond');
  assert.deepEqual(Array.from(beyond?.xs ?? []), [64, 256], 'the dashed part starts at the last measured size');
  assert.ok(beyond?.dash, 'extrapolation is dashed');
  assert.match(beyond?.label ?? '', /extrapolated/);
  const hi = byKey.get('fit-hi');
  assert.equal(hi?.fillTo, 'fit-lo');
  assert.equal(hi?.legend, false);
  assert.deepEqual(Array.from(hi?.ys ?? []), [1040, 3000, 5600]);
  const band = c.decorations?.xRanges?.[0];
  assert.ok(band && Math.abs(band.from - 32 / 2 ** 0.25) < 1e-9 && Math.abs(band.to - 128 * 2 ** 0.25) < 1e-9);
  assert.equal(band?.label, 'within 10%');
  assert.equal(bandRange(rec({ band: { low: 8, high: 16, tolerance: 0.1, sizes: [8, 16], basis: 'assumed' } }), theme)[0].label, 'within 10% (assumed)');
});

test('throughput before the recommendation: trials only, median over rounds, the widest IQR; failed trials left out', () => {
  const pts = measuredThroughput(
    [
      trial('a', 64, 4000, { samplesPerSecondIqr: [3900, 4100] }),
      trial('b', 64, 4400, { samplesPerSecondIqr: [4200, 4600] }),
      trial('c', 16, 2000),
      trial('d', 32, undefined, { status: 'oom' }),
      trial('e', 128, 9000, { status: 'crashed' }),
    ],
    undefined,
  );
  assert.deepEqual(pts, [
    { x: 16, y: 2000 },
    { x: 64, y: 4200, lo: 3900, hi: 4600 },
  ]);
  const c = throughputChart([trial('c', 16, 2000)], undefined, theme);
  assert.equal(c.lines.length, 1);
  assert.deepEqual(c.decorations?.xRanges, []);
});

test('memory chart: measured peaks, the fit solid to the largest profiled batch and dashed to the predicted maximum, the limit, OOM and the check', () => {
  const r = rec({
    evidence: {
      ...rec().evidence,
      memoryCheck: { batchSize: 1024, predictedPeakBytes: 680 * MiB, status: 'ok', measuredPeakBytes: 700 * MiB, relativeError: 0.03 },
    },
  });
  const c = memoryChart([trial('o', 2048, undefined, { status: 'oom' })], r, theme);
  const byKey = new Map(c.lines.map((l) => [l.key, l]));
  assert.deepEqual(Array.from(byKey.get('peak')?.xs ?? []), [16, 64]);
  const fit = byKey.get('fit');
  assert.deepEqual(Array.from(fit?.xs ?? []), [16, 32, 64]);
  assert.equal(fit?.ys[0], 40 * MiB + 16 * 0.625 * MiB);
  const beyond = byKey.get('fit-beyond');
  assert.equal(beyond?.xs[0], 64);
  assert.equal(beyond?.xs[beyond.xs.length - 1], 2048, 'to the largest size on the chart (the OOM at 2048)');
  assert.deepEqual(Array.from(byKey.get('limit')?.ys ?? []), [1024 * MiB, 1024 * MiB]);
  assert.deepEqual(Array.from(byKey.get('oom')?.xs ?? []), [2048]);
  assert.deepEqual(Array.from(byKey.get('check')?.ys ?? []), [700 * MiB]);
  assert.deepEqual(Array.from(byKey.get('max-fit')?.xs ?? []), [1500]);
  assert.deepEqual(Array.from(byKey.get('max-fit')?.ys ?? []), [40 * MiB + 1500 * 0.625 * MiB], 'on the fit, not on the limit');
  assert.deepEqual(sizeGrid(12, 100), [12, 16, 32, 64, 100]);
  assert.deepEqual(measuredPeaks([trial('x', 8, 1, { peakMemoryBytes: 10 }), trial('y', 8, 1, { peakMemoryBytes: 12 })], undefined).peaks.get(8), 12);
  assert.equal(memoryChart([], undefined, theme).lines[0].xs.length, 0);
});

test('critical batch size chart: CBS with its interval, B_noise beside it, the plan as a step line to the horizon', () => {
  const point = (samples: number, value: number) => ({
    samples,
    loss: 1,
    value,
    low: value / 2,
    high: value * 2,
    tolerance: 0.01,
    method: 'ema',
    branches: [],
    noiseScale: { value: value / 3, low: value / 4, high: value / 2 },
    checkpointSource: 'study' as const,
    basis: 'measured' as const,
  });
  const r = rec({
    criticalBatchSize: [point(40_000, 256), point(10_000, 64)],
    plan: {
      kind: 'warmup',
      stages: [
        { fromSamples: 0, batchSize: 64, learningRate: 0.01 },
        { fromSamples: 30_000, batchSize: 256, learningRate: 0.02 },
      ],
      horizonSamples: 100_000,
      bestFixed: { batchSize: 128 },
      basis: 'fitted',
      description: '64 then 256',
    },
  });
  const c = criticalBatchChart(r, theme);
  const byKey = new Map(c.lines.map((l) => [l.key, l]));
  assert.deepEqual(Array.from(byKey.get('cbs')?.xs ?? []), [10_000, 40_000], 'sorted by samples');
  assert.deepEqual(Array.from(byKey.get('cbs')?.ys ?? []), [64, 256]);
  const plan = byKey.get('plan');
  assert.equal(plan?.stepped, true);
  assert.deepEqual(Array.from(plan?.xs ?? []), [0, 30_000, 100_000]);
  assert.deepEqual(Array.from(plan?.ys ?? []), [64, 256, 256]);
  const noise = byKey.get('bnoise');
  assert.ok(noise && noise.xs[0] > 10_000 && noise.xs[0] < 12_000, 'B_noise sits just beside its point');
  assert.equal(c.decorations?.whiskers?.length, 4);
  assert.deepEqual(byKey.get('fixed')?.ys, [128, 128]);
  assert.deepEqual(criticalBatchChart(rec(), theme).lines, [], 'nothing without a CBS');
});

test('evidence: every number tagged; sizes not run and memory beyond the profiled sizes are extrapolated', () => {
  const r = rec({ noiseScale: { value: 180, low: 120, high: 260, source: 'loss-curves' } });
  const x = extrapolation(r);
  assert.deepEqual(x, { largestProfiled: 64, predictedSizes: [256], memoryBeyondProfiled: true });
  assert.equal(isExtrapolatedSize(r, 256), true);
  assert.equal(isExtrapolatedSize(r, 64), false);
  const lines = evidenceLines(r);
  const noise = lines.find((l) => l.text.startsWith('Gradient noise scale'));
  assert.deepEqual(noise?.tags, ['fitted'], 'B_noise fitted to loss curves');
  const maxFit = lines.find((l) => l.text.startsWith('Largest batch predicted to fit'));
  assert.deepEqual(maxFit?.tags, ['fitted', 'extrapolated']);
  assert.match(maxFit?.text ?? '', /beyond the largest profiled batch 64/);
  assert.ok(lines.some((l) => l.text === 'a note'));
  const assumed = evidenceLines(rec({ evidence: { ...rec().evidence, assumedNoiseScale: 32 } }));
  assert.deepEqual(assumed[0].tags, ['assumed']);
  assert.match(assumed[0].text, /B_noise = 32 assumed/);
  assert.equal(
    timeBasis(rec({ basis: { throughput: 'fitted', noiseScale: 'assumed', convergence: 'fitted' } })),
    'assumed',
    'a time computed from an assumed B_noise is assumed',
  );
  assert.equal(timeBasis(rec()), 'fitted');
});

test('horizon input: counts with k/M, per unit; empty is the config own length; nonsense is an error', () => {
  assert.deepEqual(parseHorizon('20000', 'steps'), { ok: true, value: { value: 20000, unit: 'steps' } });
  assert.deepEqual(parseHorizon(' 1.5M ', 'samples'), { ok: true, value: { value: 1_500_000, unit: 'samples' } });
  assert.deepEqual(parseHorizon('2.5', 'epochs'), { ok: true, value: { value: 2.5, unit: 'epochs' } });
  assert.deepEqual(parseHorizon('', 'steps'), { ok: true });
  for (const bad of ['-5', '0', 'ten', '1e400', '5 GB']) assert.equal(parseHorizon(bad, 'steps').ok, false, bad);
});

test('checkpoints: kept in order, once each, at most 16; settings carry them and the horizon through normalisation', () => {
  assert.deepEqual(normalizeCheckpoints(['/a.btckpt', '/b.btckpt', '/a.btckpt', 3, '']), ['/a.btckpt', '/b.btckpt']);
  assert.equal(normalizeCheckpoints(Array.from({ length: 20 }, (_, i) => `/c${i}`)).length, 16);
  const init = {
    datasetSize: 1000,
    totalMemoryBytes: 2 ** 30,
    settings: { batchSize: 32, minBatchSize: 8, maxBatchSize: 256, memoryLimitBytes: 2 ** 29, budgetSeconds: 60, lrRule: 'sqrt' as const },
  };
  const s = normalizeSettings({ ...init.settings, fromCheckpoints: ['/x/ckpt-step-100.btckpt'], horizon: { value: 5000, unit: 'steps' } }, init);
  assert.deepEqual(s.fromCheckpoints, ['/x/ckpt-step-100.btckpt']);
  assert.deepEqual(s.horizon, { value: 5000, unit: 'steps' });
  const bad = normalizeSettings({ ...init.settings, horizon: { value: -1, unit: 'weeks' } as never }, init);
  assert.equal(bad.horizon, undefined);
  assert.equal(baseName('/runs/a/ckpt-step-200.btckpt'), 'ckpt-step-200.btckpt');
  assert.equal(baseName('C:\\runs\\ckpt.pt'), 'ckpt.pt');
});

test('the host validates the new inputs like every message', () => {
  const settings = { batchSize: 32, minBatchSize: 8, maxBatchSize: 256, memoryLimitBytes: 1e9, budgetSeconds: 60, lrRule: 'sqrt' };
  const ok = (s: object) => validatePanelMessage({ v: 1, type: 'start', settings: { ...settings, ...s } });
  assert.equal(ok({ fromCheckpoints: ['/runs/ckpt-step-100.btckpt', 'C:\\runs\\a.pt'], horizon: { value: 2e4, unit: 'steps' } }).ok, true);
  assert.equal(validatePanelMessage({ v: 1, type: 'pickCheckpoints' }).ok, true);
  const errors = [
    ok({ fromCheckpoints: ['relative/ckpt.pt'] }),
    ok({ fromCheckpoints: '/a.pt' }),
    ok({ fromCheckpoints: ['/a\u0000b'] }),
    ok({ fromCheckpoints: Array.from({ length: 17 }, (_, i) => `/c${i}`) }),
    ok({ horizon: { value: 0, unit: 'steps' } }),
    ok({ horizon: { value: 10, unit: 'hours' } }),
    ok({ horizon: 10 }),
  ];
  for (const e of errors) assert.equal(e.ok, false, JSON.stringify(e));
  assert.match((errors[0] as { error: string }).error, /fromCheckpoints\[0\] must be an absolute file path/);
});

test('fill colours: hex and rgb at an alpha', () => {
  assert.equal(withAlpha('#3794ff', 0.2), 'rgba(55, 148, 255, 0.2)');
  assert.equal(withAlpha('rgb(1, 2, 3)', 0.5), 'rgba(1, 2, 3, 0.5)');
  assert.equal(withAlpha('red', 0.5), 'red');
});
