// One study per config at a time: a second study on the same config (another process, as a
// second VS Code window or the CLI beside the panel) is refused with who holds the lock, runs
// beside it only when forced (and says so in its file), and never corrupts the first; a lock
// left by a killed study is taken over.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { claimLock, readStudy, runStudy, studyLockFile, type StudyEvent } from '../../src/core/study';
import { simulatedRunner } from './helpers/simulatedRunner';
import { studyOptions } from './helpers/studyFixture';
import { startStudyChild, studyChildBundle } from './helpers/studyChild';

const CONFIG = '/tmp/bt-lock/train.yaml';

test('a study on a config another live process is studying is refused; forced, it runs and says why; the first is intact', async () => {
  studyChildBundle();
  const outDir = mkdtempSync(join(tmpdir(), 'bt-lock-'));
  // The first study: another process, slow enough to be running while this one starts.
  const first = startStudyChild(['study', outDir, CONFIG, '150']);
  await first.ready;
  const pid = first.child.pid as number;
  const lock = JSON.parse(readFileSync(studyLockFile(outDir, CONFIG), 'utf8')) as { pid: number; configPath: string };
  assert.equal(lock.pid, pid);

  const events: StudyEvent[] = [];
  const refused = await runStudy(studyOptions({ configPath: CONFIG, outDir }), simulatedRunner(), (e) => events.push(e));
  assert.equal(refused.status, 'failed');
  assert.match(
    refused.reason ?? '',
    new RegExp(`another study on ${CONFIG} is running in pid ${pid} since \\S+ \\(.*\\.study\\.jsonl\\): .*results would distort each other`),
  );
  assert.match(refused.reason ?? '', /Wait for it to end or stop it, or run both anyway \(batch-tuner tune --force, or Run Anyway in VS Code\)/);
  assert.equal(refused.lockedBy?.pid, pid);
  assert.equal(refused.studyFile, undefined, 'a refused study writes no file');
  assert.equal(refused.trials.length, 0);
  assert.deepEqual(
    events.filter((e) => e.type === 'done').map((e) => (e as { status: string }).status),
    ['failed'],
  );

  const forcedEvents: StudyEvent[] = [];
  const forced = await runStudy(studyOptions({ configPath: CONFIG, outDir, force: true, budgetSeconds: 10 }), simulatedRunner(), (e) => forcedEvents.push(e));
  assert.equal(forced.status, 'completed');
  const warning = forcedEvents.find((e) => e.type === 'warning' && /running anyway \(forced\)/.test(e.message));
  assert.ok(warning, 'the forced study warns');
  assert.ok(
    readStudy(forced.studyFile as string).warnings.some((w) => /results would distort each other; running anyway/.test(w)),
    'and the warning is in its file',
  );
  assert.equal(JSON.parse(readFileSync(studyLockFile(outDir, CONFIG), 'utf8')).pid, pid, 'the forced study leaves the lock to its holder');

  const end = await first.exited;
  assert.match(end.stdout, /done completed/, end.stderr);
  const file = /done completed (\S+)/.exec(end.stdout)?.[1] as string;
  const r = readStudy(file);
  assert.equal(r.status, 'completed');
  assert.equal(r.skippedLines, 0, 'the first study is intact');
  assert.ok(!existsSync(studyLockFile(outDir, CONFIG)), 'released at its end');
});

test('a lock left by a SIGKILLed study is taken over, and released when the study ends', async () => {
  studyChildBundle();
  const outDir = mkdtempSync(join(tmpdir(), 'bt-lock-'));
  const first = startStudyChild(['study', outDir, CONFIG, '60']);
  await first.ready;
  first.child.kill('SIGKILL');
  await first.exited;
  assert.ok(existsSync(studyLockFile(outDir, CONFIG)), 'the killed study left its lock');
  const out = await runStudy(studyOptions({ configPath: CONFIG, outDir, budgetSeconds: 10 }), simulatedRunner());
  assert.equal(out.status, 'completed');
  assert.ok(!existsSync(studyLockFile(outDir, CONFIG)));
});

test('in one process: a held lock refuses a second claim until released; garbage is stale; another host is respected', () => {
  const outDir = mkdtempSync(join(tmpdir(), 'bt-lock-'));
  const a = claimLock(outDir, CONFIG);
  assert.ok('held' in a);
  const b = claimLock(outDir, CONFIG);
  assert.ok('holder' in b && b.holder.pid === process.pid, JSON.stringify(b));
  a.held();
  const c = claimLock(outDir, CONFIG);
  assert.ok('held' in c);
  c.held();

  writeFileSync(studyLockFile(outDir, CONFIG), '\u0000not json');
  const d = claimLock(outDir, CONFIG);
  assert.ok('held' in d, 'an unreadable lock is stale');
  d.held();

  // A pipe under the lock's name: not read (a read would block), taken over.
  assert.equal(spawnSync('mkfifo', [studyLockFile(outDir, CONFIG)]).status, 0);
  const f = claimLock(outDir, CONFIG);
  assert.ok('held' in f, 'a pipe is no lock');
  f.held();

  const other = `not-${hostname()}`;
  writeFileSync(studyLockFile(outDir, CONFIG), JSON.stringify({ pid: 1, host: other, configPath: CONFIG, since: '2026-01-01T00:00:00Z', token: 'x' }));
  const e = claimLock(outDir, CONFIG);
  assert.ok('holder' in e && e.holder.host === other, 'a lock from another machine cannot be judged from here: it holds');
});

test('the lock sits next to the study files and names the config', () => {
  const file = studyLockFile('/data/studies', '/work/proj/configs/mnist mlp.yaml');
  assert.match(file, /^\/data\/studies\/mnist-mlp\.yaml-[0-9a-f]{8}\.study\.lock$/);
  assert.notEqual(studyLockFile('/d', '/a/train.yaml'), studyLockFile('/d', '/b/train.yaml'));
});
