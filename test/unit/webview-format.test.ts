import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  formatBytes,
  formatCount,
  formatDuration,
  formatLearningRate,
  formatLoss,
  formatSpeedup,
  formatThroughput,
  parseBytes,
} from '../../webview/shared/format';

test('formatBytes uses binary units with sensible precision', () => {
  assert.equal(formatBytes(512), '512 B');
  assert.equal(formatBytes(1536), '1.50 KiB');
  assert.equal(formatBytes(4 * 1024 ** 3), '4.00 GiB');
  assert.equal(formatBytes(150 * 1024 ** 2), '150 MiB');
  assert.equal(formatBytes(undefined), '–');
});

test('parseBytes reads what a person types and round-trips formatBytes', () => {
  // One meaning of the units everywhere (issue 9): GB = 10^9, GiB = 2^30.
  assert.equal(parseBytes('2GB'), 2e9);
  assert.equal(parseBytes('2GiB'), 2 * 1024 ** 3);
  assert.equal(parseBytes('512 MiB'), 512 * 1024 ** 2);
  assert.equal(parseBytes('1.5g'), 1.5e9);
  assert.equal(parseBytes('50%', 8 * 1024 ** 3), 4 * 1024 ** 3);
  assert.equal(parseBytes('50%'), undefined, 'a share needs the machine memory');
  assert.equal(parseBytes('1048576'), 1048576);
  assert.equal(parseBytes('lots'), undefined);
  assert.equal(parseBytes('0'), undefined);
  assert.equal(parseBytes(formatBytes(4 * 1024 ** 3)), 4 * 1024 ** 3);
});

test('formatDuration', () => {
  assert.equal(formatDuration(4.25), '4.3 s');
  assert.equal(formatDuration(45), '45 s');
  assert.equal(formatDuration(150), '2 min 30 s');
  assert.equal(formatDuration(120), '2 min');
  assert.equal(formatDuration(3900), '1 h 05 min');
  assert.equal(formatDuration(undefined), '–');
});

test('formatCount, throughput, learning rate, loss, speed-up', () => {
  assert.equal(formatCount(950), '950');
  assert.equal(formatCount(12_300), '12.3k');
  assert.equal(formatCount(4_200_000), '4.2M');
  assert.equal(formatCount(0.1234), '0.123');
  assert.equal(formatThroughput(5900), '5900 samples/s');
  assert.equal(formatThroughput(59000), '59.0k samples/s');
  assert.equal(formatLearningRate(0.001), '0.001');
  assert.equal(formatLearningRate(0.0001414), '1.41e-4');
  assert.equal(formatLoss(NaN), 'NaN (diverged)');
  assert.equal(formatLoss(Infinity), '∞ (diverged)');
  assert.equal(formatLoss(0.123456), '0.1235');
  assert.equal(formatSpeedup(2.14), '2.1×');
  assert.equal(formatSpeedup(12.4), '12×');
});
