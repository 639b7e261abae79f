// The metrics-file tail (issue 12: a fast writer must not starve the host): every byte arrives,
// in order, with multi-byte characters split across chunk boundaries intact, while the event loop
// keeps turning between chunks — other callbacks (the CLI's signal handlers, the editor's UI) run
// while megabytes are read.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MetricsFileTail } from '../../src/core/runner/metricsFileTail';

test('a file written faster than it is read: all of it, in order, and the event loop turns between chunks', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bt-tail-'));
  const file = join(dir, 'metrics.jsonl');
  // 3-byte and 4-byte characters, so 64 KiB chunk boundaries fall inside characters.
  const line = (i: number) => `{"v":1,"type":"step","step":${i},"loss":0.5,"note":"é€😀"}\n`;
  let expected = '';
  let pre = '';
  for (let i = 0; i < 60_000; i++) pre += line(i);
  writeFileSync(file, pre);
  expected += pre;
  let got = '';
  const ticksAtRead: number[] = [];
  let largest = 0;
  let ticks = 0;
  let ticking = true;
  const tick = () => {
    ticks++;
    if (ticking) setImmediate(tick);
  };
  setImmediate(tick);
  const tail = new MetricsFileTail(file, (text) => {
    got += text;
    largest = Math.max(largest, Buffer.byteLength(text));
    ticksAtRead.push(ticks);
  });
  tail.start();
  // The writer keeps appending while the tail reads.
  for (let k = 0; k < 20; k++) {
    let more = '';
    for (let i = 0; i < 2000; i++) more += line(100_000 + k * 2000 + i);
    appendFileSync(file, more);
    expected += more;
    await new Promise((r) => setImmediate(r));
  }
  await tail.stop();
  ticking = false;
  assert.equal(Buffer.byteLength(expected) > 4 * 1024 * 1024, true, 'megabytes, so many chunks');
  assert.equal(got.length, expected.length);
  assert.ok(got === expected, 'every character, in order');
  assert.ok(largest <= 64 * 1024 + 4, `read in bounded chunks (largest ${largest} bytes)`);
  const turns = ticksAtRead.filter((t, i) => i > 0 && t > ticksAtRead[i - 1]).length;
  assert.ok(turns >= ticksAtRead.length / 2, `other callbacks ran between most chunks (${turns} of ${ticksAtRead.length})`);
  rmSync(dir, { recursive: true, force: true });
});
