// `batch-tuner tune`'s text for hand-made recommendations: the table shows measured against fitted
// throughput, the band, extrapolated rows; the recommendation labels every number, states its
// assumptions and gives no speed-up when one was assumed; the plan, CBS and parallelism are printed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatOutcomeTable, formatRecommendation } from '../../src/cli/tuneOutput';
import { recommendationHeadline } from '../../src/core/report';
import type { StudyOutcome } from '../../src/core/study';
import type { Recommendation } from '../../src/core/types';
import {
  assumedRecommendation,
  fittedRecommendation,
  measuredRecommendation,
  plannedRecommendation,
  undeterminedRecommendation,
} from './helpers/handmadeStudy';

function outcome(rec: Recommendation, status: StudyOutcome['status'] = 'completed'): StudyOutcome {
  return { id: 's', status, recommendation: rec, plan: { summary: '' } as StudyOutcome['plan'], trials: [], elapsedSeconds: 60 };
}

const text = (rec: Recommendation, status?: StudyOutcome['status']) =>
  `${formatOutcomeTable(outcome(rec, status))}\n\n${formatRecommendation(outcome(rec, status))}`;

test('table: measured throughput beside the fit and its interval; band marked; the unmeasured row starred', () => {
  const t = formatOutcomeTable(outcome(measuredRecommendation()));
  const lines = t.split('\n');
  assert.match(lines[0], /^batch\s+status\s+samples\/s\s+peak mem\s+time to target\s+loss reached\s+to target$/);
  assert.match(lines[1], /measured \(fit ±90%\)\s+measured or fit\s+predicted\s+measured\s+measured/);
  const row = (b: number) => lines.find((l) => new RegExp(`^\\s*${b}[* ] `).test(l)) ?? '';
  // 64: X = 64 / (0.004 + 0.00012 x 64) = 5,479/s fitted, measured 2% above: 5.6k, interval ±5%.
  assert.match(row(64), /^\s*64\s+ok\s+5\.6k \(fit 5\.5k ±5%\)\s+32\.6 MB\s+20\.\d s, 1\.0\d?x best\s+–\s+–\s+●$/);
  assert.match(row(128), /0\.405 ±0\.005\s+1,030 steps, 20\.0 s\s+● ◀ pick$/);
  assert.match(row(32), /3,570 steps, 28\.0 s\s+\(current\)$/);
  assert.match(row(16), /^\s*16\s+ok\s+/);
  assert.doesNotMatch(row(16), /●/, '16 is outside the band');
  assert.match(row(256), /^\s*256\*\s+not run\s+fit 7\.4k ±18%\s+~40\.2 MB \(fit\)\s+.*●$/);
  assert.match(t, /● in the near-optimal band: within 10% of the best predicted time \(fitted\)/);
  assert.match(t, /\* not measured: this row's numbers extrapolate the fitted models beyond the measured sizes 16–128\./);
});

test('recommendation: the shared headline, then every quantity with its basis', () => {
  const rec = measuredRecommendation();
  const lines = formatRecommendation(outcome(rec)).split('\n');
  assert.equal(lines[0], 'Recommended 128 · 64–256 within 10% · 1.4x faster (measured)');
  assert.equal(lines[0], recommendationHeadline(rec), 'one wording for the CLI and the report');
  assert.equal(lines[1], '  batch size 128, learning rate 0.002 (sqrt rule from 0.001 at 32)');
  assert.match(
    lines[2],
    /Against the current 32: measured 1\.4x .*; the fitted model predicts 1\.3x; predicted time to the target 26\.0 s at 32 -> 20\.0 s \(fitted\)\./,
  );
  const all = lines.join('\n');
  assert.match(all, /throughput \(fitted\): step time t\(B\) = 4 ms \+ 0\.12 ms·B fitted to 48 measured windows/);
  assert.match(all, /noise scale \(measured\): B_noise ≈ 300 \(90% interval 240–390\), measured from gradient statistics/);
  assert.match(all, /time to target \(measured\): the convergence runs at 128 reached the target validation loss 0\.41 in 1,030 steps/);
  assert.match(all, /Near-optimal band \(fitted\): 64, 128, 256, within 10%.*256 is extrapolated/);
  assert.match(all, /Decided by the model \(model's pick: 128; fastest measured in the convergence runs: 128\)\./);
  assert.match(all, /Memory: peak\(B\) ≈ 30\.0 MB \+ 40 kB·B \(fitted, r² 0\.999\); limit 2\.00 GB/);
  assert.match(all, /largest that fits: 256 \(21\.0 s to target, predicted\)/);
  assert.doesNotMatch(all, /Could not determine|Over the run/);
});

test('recommendation: a fitted noise scale and a predicted speed-up say fitted', () => {
  const all = formatRecommendation(outcome(fittedRecommendation()));
  assert.match(all, /^Recommended 128 · 64–256 within 10% · 1\.3x faster \(fitted\)$/m);
  assert.match(all, /noise scale \(fitted\): B_noise ≈ 140 \(90% interval 90–220\), fitted to the loss curves/);
  assert.match(all, /time to target \(fitted\): the runs at the current 32 reached the target/);
});

test('an assumed noise scale: the assumption stated, no speed-up anywhere in the text', () => {
  const all = text(assumedRecommendation());
  assert.match(all, /^Recommended 128 · 64–256 within 10% \(assumed\) · assumed noise scale \(B_noise = 32\): no speed-up given$/m);
  assert.match(all, /No speed-up is given against the current 32: the noise scale \(B_noise = 32\) was assumed, not measured\./);
  assert.match(all, /noise scale \(assumed\): B_noise = 32 assumed \(the current batch size\)/);
  assert.match(all, /Time to target predicted with an assumed B_noise\./);
  assert.doesNotMatch(all, /\d(\.\d+)?x faster/);
  for (const s of ['1.52', '1.5x', '1.37', '1.4x', '1.3x']) assert.ok(!all.includes(s), `${s} is not printed`);
  assert.match(all, /Could not determine:\n {2}- the gradient noise scale: the script reports no gradient statistics/);
});

test('a plan, the critical batch size along the run and the parallelism are printed', () => {
  const all = formatRecommendation(outcome(plannedRecommendation()));
  assert.match(all, /^Recommended 64 → 256 over the run · 1\.3x faster than a fixed 128 \(fitted\)$/m);
  assert.match(
    all,
    /Over the run:\n {2}Plan over 600k samples \(batch warm-up, fitted\): 64 until 120k samples, then 128, then 256 from 400k; predicted 4\.8k steps, 10\.0 min against a fixed 128 \(4\.7k steps, 13\.0 min\), 1\.3x faster\./,
  );
  assert.match(
    all,
    / {2}Critical batch size along the run \(branched trials\):\n {4}at 20k samples \(loss 0\.9\): critical batch size 64 \(32–128, measured\), B_noise 40 \(30–55\)\n {4}at 120k samples/,
  );
  assert.match(
    all,
    / {2}Parallelism: global batch 128 = 32 per micro-batch x 2 accumulation steps x 2 workers \(a micro-batch of 32 fits one worker with the safety margin\)\./,
  );
});

test('what could not be determined is listed, one line each', () => {
  const all = formatRecommendation(outcome(undeterminedRecommendation()));
  assert.match(
    all,
    /Could not determine:\n {2}- a throughput gain from larger batches: none is measurable[^\n]*\n {2}- time to the target loss: no convergence run/,
  );
});

test('a stopped study says its answer rests on the trials that finished', () => {
  assert.match(
    formatRecommendation(outcome(measuredRecommendation(), 'stopped')),
    /^The study was stopped before its budget ran out: what follows rests on the trials that finished\.\nRecommended 128/,
  );
});
