import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  batchRegime,
  batchToPosition,
  budgetToIndex,
  BUDGET_STOPS,
  indexToBudget,
  log2Ticks,
  maxPosition,
  memoryToPosition,
  MIN_MEMORY_BYTES,
  positionFraction,
  positionToBatch,
  positionToMemory,
} from '../../webview/shared/logScale';

test('batch slider: whole octaves are powers of two, half octaves 1.5x', () => {
  assert.equal(positionToBatch(0, 8000), 1);
  assert.equal(positionToBatch(5, 8000), 32);
  assert.equal(positionToBatch(5.5, 8000), 48);
  assert.equal(positionToBatch(10, 8000), 1024);
  assert.equal(positionToBatch(1.5, 8000), 3);
});

test('batch slider reaches SGD (1) and full batch (the dataset size) exactly', () => {
  const n = 8000;
  assert.equal(positionToBatch(0, n), 1);
  assert.equal(positionToBatch(maxPosition(n), n), n);
  // The top position is the half-octave at or above log2(n).
  assert.ok(maxPosition(n) >= Math.log2(n) && maxPosition(n) - Math.log2(n) < 0.5);
  // A dataset that is a power of two: the top is exactly that power.
  assert.equal(maxPosition(1024), 10);
  assert.equal(positionToBatch(10, 1024), 1024);
});

test('batch slider never leaves [1, n]', () => {
  for (let p = -1; p <= 20; p += 0.5) {
    const b = positionToBatch(p, 600);
    assert.ok(b >= 1 && b <= 600, `p=${p} gave ${b}`);
  }
});

test('every slider stop maps back to itself through the log2 position (snapped to half octaves)', () => {
  const n = 60000;
  for (let p = 0; p <= maxPosition(n); p += 0.5) {
    const b = positionToBatch(p, n);
    const snapped = Math.round(batchToPosition(b) * 2) / 2;
    assert.equal(positionToBatch(snapped, n), b, `p=${p} b=${b}`);
  }
});

test('slider positions are monotone in batch size', () => {
  let prev = 0;
  for (let p = 0; p <= maxPosition(5000); p += 0.5) {
    const b = positionToBatch(p, 5000);
    assert.ok(b >= prev);
    prev = b;
  }
});

test('regimes: 1 is SGD, the dataset size is full batch, between is mini-batch', () => {
  assert.equal(batchRegime(1, 100), 'sgd');
  assert.equal(batchRegime(2, 100), 'mini-batch');
  assert.equal(batchRegime(99, 100), 'mini-batch');
  assert.equal(batchRegime(100, 100), 'full-batch');
});

test('ticks are powers of two within range and at most the requested count', () => {
  const t = log2Ticks(8000, 7);
  assert.ok(t.length <= 7 && t.length >= 4);
  assert.equal(t[0], 1);
  for (const v of t) assert.ok(Number.isInteger(Math.log2(v)) && v <= 8000);
  assert.deepEqual(log2Ticks(16, 10), [1, 2, 4, 8, 16]);
});

test('positionFraction places 1 at the left and the top at the right', () => {
  const maxPos = maxPosition(1024);
  assert.equal(positionFraction(1, maxPos), 0);
  assert.equal(positionFraction(1024, maxPos), 1);
  assert.equal(positionFraction(32, maxPos), 0.5);
});

test('memory slider: log2 from 64 MiB to the machine total, whole MiB, top is the total', () => {
  const total = 15.5 * 1024 ** 3;
  assert.equal(positionToMemory(0, total), MIN_MEMORY_BYTES);
  assert.equal(positionToMemory(memoryToPosition(total), total), total);
  assert.equal(positionToMemory(4, total), 1024 ** 3);
  const v = positionToMemory(3.25, total);
  assert.equal(v % 1048576, 0);
  assert.ok(v > 512 * 1048576 && v < 1024 ** 3);
});

test('budget slider snaps to the nearest stop in log terms', () => {
  assert.equal(indexToBudget(budgetToIndex(120)), 120);
  assert.equal(indexToBudget(budgetToIndex(100)), 90);
  assert.equal(indexToBudget(budgetToIndex(1)), BUDGET_STOPS[0]);
  assert.equal(indexToBudget(99), BUDGET_STOPS[BUDGET_STOPS.length - 1]);
});
