// The control file an external script polls: atomic writes, validated reads.
import { strict as assert } from 'node:assert';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { readControl, writeControl } from '../../src/core/schedule/controlFile';

test('write then read round-trips; the file is the documented JSON and no temp file is left', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bt-control-'));
  const file = join(dir, 'control.json');
  assert.equal(await readControl(file), undefined, 'missing file: nothing to apply yet');
  await writeControl(file, { batch_size: 128, learning_rate: 0.002, seq: 1 });
  await writeControl(file, { batch_size: 256, learning_rate: 0.004, seq: 2 });
  assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), { v: 1, batch_size: 256, learning_rate: 0.004, seq: 2 });
  assert.deepEqual(await readControl(file), { v: 1, batch_size: 256, learning_rate: 0.004, seq: 2 });
  assert.deepEqual(readdirSync(dir), ['control.json']);
});

test('concurrent writes never expose a partial file to a reader', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bt-control-'));
  const file = join(dir, 'control.json');
  await writeControl(file, { batch_size: 1, learning_rate: 1, seq: 0 });
  const writes = Array.from({ length: 50 }, (_, i) => writeControl(file, { batch_size: 8 * (i + 1), learning_rate: 0.01, seq: i + 1 }));
  const reads = Array.from({ length: 50 }, () => readControl(file));
  const got = await Promise.all(reads);
  await Promise.all(writes);
  for (const r of got) assert.ok(r && r.batch_size >= 1, 'every read parses');
});

test('bad contents and bad commands say what is wrong', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bt-control-'));
  const file = join(dir, 'control.json');
  writeFileSync(file, '{"v":1,"batch_size":0,"learning_rate":0.1,"seq":1}');
  await assert.rejects(readControl(file), /control\.json: control file: batch_size must be an integer >= 1 \(got 0\)/);
  writeFileSync(file, '{"v":1,');
  await assert.rejects(readControl(file), /not valid JSON/);
  await assert.rejects(writeControl(file, { batch_size: 64, learning_rate: -1, seq: 1 }), /learning_rate must be a positive number/);
});

test("python/batch_tuner.py's poll_control applies what writeControl wrote, once per seq", async () => {
  const { execFileSync } = await import('node:child_process');
  const dir = mkdtempSync(join(tmpdir(), 'bt-control-'));
  const file = join(dir, 'control.json');
  await writeControl(file, { batch_size: 128, learning_rate: 0.002, seq: 1 });
  const script = [
    'import json, sys',
    'from batch_tuner import poll_control',
    'first = poll_control(); again = poll_control()',
    'print(json.dumps([first, again]))',
  ].join('\n');
  const out = execFileSync('python3', ['-c', script], {
    env: { ...process.env, PYTHONPATH: join(process.cwd(), 'python'), BATCH_TUNER_CONTROL: file },
    encoding: 'utf8',
  });
  assert.deepEqual(JSON.parse(out), [{ seq: 1, batch_size: 128, learning_rate: 0.002 }, null]);
});
