// The HTML report and the shared headline for hand-made recommendations: measured, fitted,
// assumed (no speed-up anywhere), a band, a plan with the critical batch size, parallelism,
// what could not be determined, and an interrupted study.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildCharts, recommendationHeadline, renderStudyReport } from '../../src/core/report';
import { visibleText } from './helpers/reportPayloads';
import {
  assumedRecommendation,
  fittedRecommendation,
  measuredRecommendation,
  plannedRecommendation,
  recordOf,
  undeterminedRecommendation,
} from './helpers/handmadeStudy';

test('headline: measured pick with its band and measured speed-up', () => {
  assert.equal(recommendationHeadline(measuredRecommendation()), 'Recommended 128 · 64–256 within 10% · 1.4x faster (measured)');
});

test('headline: a speed-up the model predicted says fitted', () => {
  assert.equal(recommendationHeadline(fittedRecommendation()), 'Recommended 128 · 64–256 within 10% · 1.3x faster (fitted)');
});

test('headline: an assumed noise scale gives no speed-up and says what was assumed', () => {
  assert.equal(
    recommendationHeadline(assumedRecommendation()),
    'Recommended 128 · 64–256 within 10% (assumed) · assumed noise scale (B_noise = 32): no speed-up given',
  );
});

test('headline: the current size kept; a band of one size is not repeated', () => {
  const r = measuredRecommendation();
  r.batchSize = 32;
  r.band = { low: 32, high: 32, tolerance: 0.1, sizes: [32], basis: 'fitted' };
  assert.equal(recommendationHeadline(r), 'Keep 32');
});

test('headline: a warm-up plan is the pick, its speed-up against the best fixed size', () => {
  assert.equal(recommendationHeadline(plannedRecommendation()), 'Recommended 64 → 256 over the run · 1.3x faster than a fixed 128 (fitted)');
});

test('report: the measured recommendation shows its headline, what it rests on, band, verdict and both kinds of evidence', () => {
  const html = renderStudyReport(recordOf(measuredRecommendation()));
  const text = visibleText(html);
  assert.ok(text.includes('Recommended 128 · 64–256 within 10% · 1.4x faster (measured)'), 'the shared headline');
  assert.match(text, /fitted\s*Throughput: step time t\(B\) = 4 ms \+ 0\.12 ms·B fitted to 48 measured windows/);
  assert.match(text, /measured\s*Gradient noise scale: B_noise ≈ 300 \(90% interval 240–390\), measured from gradient statistics/);
  assert.match(text, /measured\s*Time to target: the convergence runs at 128 reached the target validation loss 0\.41 in 1,030 steps/);
  assert.match(text, /Near-optimal band \(fitted\): 64, 128, 256, within 10%[^.]*; 256 is extrapolated by the model beyond the measured sizes/);
  assert.match(text, /Against the current 32: measured 1\.4x .*the fitted model predicts 1\.3x/);
  assert.match(text, /The model decided\. Rule: measured time to target outranks the model/);
  // The evidence table: measured and predicted columns side by side.
  assert.match(text, /speed-up vs the current 32\s*1\.4x\s*1\.3x/);
  // Extrapolated cells are set apart, band rows marked.
  assert.match(
    html,
    /<tr class="in-band"><td class="text">256\* <span class="marks"><\/span><\/td><td class="text">not run<\/td><td>–<\/td><td class="extrapolated">7,373 \(7,005–9,585\)<\/td>/,
  );
  assert.match(text, /time to target at 128\s*19\.9 s \(1,030 steps x fitted t\(B\)\); wall clock 20\.0 s\s*20\.0 s/);
  assert.match(html, /<tr class="pick in-band"><td class="text">128 <span class="marks">◀ pick<\/span>/);
});

test('report charts: throughput with points, spread, fit, interval and band; memory with fit and limit', () => {
  const charts = buildCharts(recordOf(measuredRecommendation()));
  const ids = charts.map((c) => c.id);
  for (const id of ['throughput', 'time-to-target', 'memory', 'noise', 'loss-samples', 'loss-time'])
    assert.ok(ids.includes(id), `chart ${id} in ${ids.join(', ')}`);
  const tp = charts.find((c) => c.id === 'throughput');
  assert.ok(tp);
  assert.deepEqual(tp.data[0], [16, 32, 64, 128, 256]);
  const labels = tp.series.map((s) => `${s.style}:${s.label}`);
  assert.ok(labels.includes('points:measured median (profile trials)'));
  assert.ok(labels.includes('line:fitted model X(B) = B / t(B)'));
  assert.ok(labels.includes('dashed:fitted model, extrapolated beyond the measured sizes'));
  // The measured series has no point at 256 (not run); the dashed part joins the line at 128.
  assert.equal(tp.data[1][4], null);
  const dashed = tp.data[tp.series.findIndex((s) => s.style === 'dashed') + 1];
  assert.deepEqual(
    dashed.map((y) => y !== null),
    [false, false, false, true, true],
  );
  assert.equal(tp.fills?.length, 1);
  assert.equal(tp.whiskers?.length, 4, 'one IQR whisker per measured size');
  assert.deepEqual(tp.xBand && [tp.xBand.low, tp.xBand.high], [64, 256]);
  const mem = charts.find((c) => c.id === 'memory');
  assert.ok(mem);
  const limit = mem.data[mem.series.findIndex((s) => s.label === 'memory limit') + 1];
  assert.ok(
    limit.every((y) => y === 2000),
    'the limit is a flat line at 2,000 MB',
  );
  assert.equal(mem.yLog, 10, 'log scale: the limit is 50x the peaks');
});

test('report: an assumed noise scale gives no speed-up anywhere, and says so', () => {
  const html = renderStudyReport(recordOf(assumedRecommendation()));
  const text = visibleText(html);
  assert.ok(text.includes('Recommended 128 · 64–256 within 10% (assumed) · assumed noise scale (B_noise = 32): no speed-up given'));
  assert.doesNotMatch(html, /\d(\.\d+)?x faster/, 'no speed-up figure');
  for (const s of ['1.52x', '1.5x', '1.37x', '1.4x', '1.3x']) assert.ok(!html.includes(s), `${s} is not shown`);
  assert.match(text, /This pick rests on an assumption \(noise scale \(B_noise = 32\)\)/);
  assert.match(text, /assumed\s*Gradient noise scale: B_noise = 32 assumed \(the current batch size\)/);
  assert.match(text, /speed-up vs the current 32\s*not given \(assumption\)\s*not given \(assumption\)/);
  assert.match(text, /time to target\s*predicted with an assumed B_noise/);
  assert.match(text, /Could not be determined\s*the gradient noise scale: the script reports no gradient statistics/);
  assert.match(text, /Near-optimal band \(assumed\)/);
});

test('report: the plan over the run, the critical batch size chart with B_noise and the plan as a step line, parallelism', () => {
  const rec = plannedRecommendation();
  const html = renderStudyReport(recordOf(rec));
  const text = visibleText(html);
  assert.ok(text.includes('Recommended 64 → 256 over the run · 1.3x faster than a fixed 128 (fitted)'));
  assert.match(
    text,
    /Plan over 600k samples \(batch warm-up, fitted\): 64 until 120k samples, then 128, then 256 from 400k; predicted 4\.8k steps, 10\.0 min against a fixed 128 \(4\.7k steps, 13\.0 min\), 1\.3x faster/,
  );
  assert.match(text, /Critical batch size along the run\s*Tolerance 1% of the k = 1 branch's loss; EMA of the training loss/);
  assert.match(text, /20k\s*312\s*0\.9\s*64 \(32–128\) measured\s*40 \(30–55\)/);
  assert.match(text, /your checkpoint/);
  assert.match(text, /global batch 128 = 32 per micro-batch x 2 accumulation steps x 2 workers \(a micro-batch of 32 fits/);
  const cbs = buildCharts(recordOf(rec)).find((c) => c.id === 'critical-batch');
  assert.ok(cbs, 'the critical batch size chart');
  assert.equal(cbs.yLog, 2);
  assert.deepEqual(cbs.data[0], [0, 20_000, 120_000, 400_000, 600_000]);
  const col = (label: RegExp) => cbs.data[cbs.series.findIndex((s) => label.test(s.label)) + 1];
  assert.deepEqual(col(/^critical batch size/), [null, 64, 128, 256, null]);
  assert.deepEqual(col(/^B_noise/), [null, 40, 90, 180, null]);
  assert.deepEqual(col(/^plan/), [64, null, 128, 256, 256], 'the plan steps at its stages and holds to the horizon');
  assert.equal(cbs.series.find((s) => /^plan/.test(s.label))?.style, 'step');
  assert.equal(cbs.whiskers?.length, 6, 'CBS and B_noise intervals at three points');
});

test('report: what could not be determined is listed', () => {
  const text = visibleText(renderStudyReport(recordOf(undeterminedRecommendation())));
  assert.match(
    text,
    /Could not be determined\s*a throughput gain from larger batches: none is measurable[^]*time to the target loss: no convergence run reported a loss curve/,
  );
});

test('report: an interrupted study says so and still shows what it measured', () => {
  const html = renderStudyReport(recordOf(measuredRecommendation(), { status: 'interrupted' as never, endedAt: undefined, elapsedSeconds: undefined }));
  assert.match(html, /<span class="status-interrupted" data-testid="status">interrupted<\/span>/);
  assert.match(visibleText(html), /The study was interrupted: its process ended without finishing/);
  assert.match(visibleText(html), /Recommended 128/);
});

test('report: a study without a recommendation (still running) renders its trials', () => {
  const html = renderStudyReport(recordOf(undefined, { status: 'running', endedAt: undefined }));
  const text = visibleText(html);
  assert.match(text, /No recommendation\./);
  assert.match(text, /still running, or its process died/);
  assert.match(text, /profile-128/);
});

test('report: a study from before issue 10 (no band, basis or undetermined) still renders', () => {
  const rec = measuredRecommendation() as unknown as Record<string, unknown>;
  delete rec.band;
  delete rec.basis;
  delete rec.undetermined;
  const text = visibleText(renderStudyReport(recordOf(rec as never)));
  assert.match(text, /Recommended 128 · 1\.4x faster \(measured\)/);
  assert.match(text, /Near-optimal band: not recorded/);
});
