// No study is lost: a real study writer (its own process) is SIGKILLed at 100 random points, and
// each time the study reads back with every complete line kept, the torn last line (if the kill
// landed inside a write) skipped and counted, and the status `interrupted`; its stale lock is
// taken over by the next study. Half the kills hit a whole study (runStudy), half a writer of
// lines up to 4 MB (so that kills land inside a write).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { claimLock, listStudies, readStudy, STUDY_FILE_SUFFIX, studyLockFile } from '../../src/core/study';
import { seededRandom } from '../../src/core/tuner';
import { startStudyChild, studyChildBundle } from './helpers/studyChild';

const KILLS = 100;
const SEED = 20261125;
const CONFIG = '/tmp/bt-kill/train.yaml';

/** What the file holds: its complete lines (parsed) and the bytes after the last newline. */
function onDisk(file: string): { lines: Array<{ type: string }>; tail: string } {
  const text = readFileSync(file, 'utf8');
  const cut = text.lastIndexOf('\n') + 1;
  const lines = text
    .slice(0, cut)
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as { type: string });
  return { lines, tail: text.slice(cut) };
}

const isJson = (s: string) => {
  try {
    JSON.parse(s);
    return true;
  } catch {
    return false;
  }
};

const count = (lines: Array<{ type: string }>, type: string) => lines.filter((l) => l.type === type).length;

interface Tally {
  beforeStart: number;
  interrupted: number;
  completed: number;
  torn: number;
  linesKept: number;
  locksTakenOver: number;
}

/** Checks one killed writer's folder; returns what it saw. */
function checkFolder(dir: string, tally: Tally): void {
  const files = existsSync(dir) ? readdirSync(dir).filter((n) => n.endsWith(STUDY_FILE_SUFFIX)) : [];
  assert.ok(files.length <= 1, `one study per writer: ${files.join(', ')}`);
  assert.doesNotThrow(() => listStudies(dir), 'listing never throws');
  if (files.length === 0) {
    tally.beforeStart++;
    return;
  }
  const file = join(dir, files[0]);
  const { lines, tail } = onDisk(file);
  if (lines.length === 0 || lines[0].type !== 'study-start') {
    tally.beforeStart++;
    assert.throws(() => readStudy(file), /not a Batch Tuner study/);
    assert.deepEqual(listStudies(dir), []);
    return;
  }
  const r = readStudy(file);
  const torn = tail.trim() !== '' && !isJson(tail);
  // A tail that is whole JSON lost only its newline: it is a complete line and is kept.
  const all = tail.trim() !== '' && !torn ? [...lines, JSON.parse(tail) as { type: string }] : lines;
  assert.equal(r.skippedLines, torn ? 1 : 0, `skipped lines of ${file} (tail ${tail.length} bytes)`);
  if (torn) assert.match(r.skipped?.[0]?.reason ?? '', /not JSON/);
  assert.equal(r.trials.length, count(all, 'trial-end'), 'every trial kept');
  assert.equal(r.warnings.length, count(all, 'warning'), 'every warning kept');
  assert.equal(r.phases.length, count(all, 'phase'), 'every phase kept');
  assert.equal(r.plan !== undefined, count(all, 'plan') > 0);
  assert.equal(r.recommendation !== undefined, count(all, 'recommendation') > 0);
  const ended = count(all, 'study-end') > 0;
  assert.equal(r.status, ended ? 'completed' : 'interrupted', `status of ${file}`);
  if (!ended) assert.match(r.reason ?? '', /pid \d+\) ended without finishing/);
  tally[ended ? 'completed' : 'interrupted']++;
  if (torn) tally.torn++;
  tally.linesKept += all.length;
}

/** Starts writer `i`, kills it after `delayMs` (lines mode: after it started writing), checks its folder. */
async function killOne(root: string, i: number, delayMs: number, tally: Tally): Promise<void> {
  const dir = join(root, String(i));
  const studyMode = i % 2 === 0;
  const w = startStudyChild(studyMode ? ['study', dir, CONFIG, '2'] : ['lines', dir, String(i)]);
  if (!studyMode) await w.ready;
  await new Promise((r) => setTimeout(r, delayMs));
  w.child.kill('SIGKILL');
  const end = await w.exited;
  assert.ok(end.signal === 'SIGKILL' || end.code === 0, `writer ${i} ended by the kill or by finishing: ${end.stderr.slice(0, 500)}`);
  checkFolder(dir, tally);
  if (studyMode && existsSync(studyLockFile(dir, CONFIG))) {
    // The dead writer's lock is stale: the next study takes it over.
    const claim = claimLock(dir, CONFIG);
    assert.ok('held' in claim, `stale lock taken over: ${JSON.stringify(claim)}`);
    claim.held();
    tally.locksTakenOver++;
  }
}

test(`a study writer SIGKILLed at ${KILLS} random points: every complete line reads back, the torn one is skipped, the study is interrupted`, async (t) => {
  studyChildBundle();
  const rand = seededRandom(SEED);
  const tally: Tally = { beforeStart: 0, interrupted: 0, completed: 0, torn: 0, linesKept: 0, locksTakenOver: 0 };
  const root = mkdtempSync(join(tmpdir(), 'bt-kill-'));
  try {
    // How long a whole study takes here (this machine, now): study-mode kills fall anywhere in it.
    const started = Date.now();
    const whole = startStudyChild(['study', join(root, 'whole'), CONFIG, '2']);
    assert.match((await whole.exited).stdout, /done completed/);
    const studyMs = Date.now() - started;
    // Two writers at a time: their sleeps overlap.
    for (let i = 0; i < KILLS; i += 2) {
      const delays = [Math.floor(rand() * studyMs * 1.1), Math.floor(rand() * 150)];
      await Promise.all([killOne(root, i, delays[0], tally), killOne(root, i + 1, delays[1], tally)]);
    }
    t.diagnostic(`a whole study took ${studyMs} ms; kills ${KILLS}: ${JSON.stringify(tally)}`);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  assert.equal(tally.beforeStart + tally.interrupted + tally.completed, KILLS);
  assert.ok(tally.interrupted >= KILLS / 4, `most kills land while the study is written: ${JSON.stringify(tally)}`);
});
