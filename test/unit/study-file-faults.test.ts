// A study folder that fills up (a small tmpfs, mounted when the tests run as root) or cannot be
// written (read-only) gives one clear warning, and the study goes on to its recommendation,
// unsaved from there on; what was written holds only complete lines.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readStudy, runStudy, type StudyEvent } from '../../src/core/study';
import { simulatedRunner } from './helpers/simulatedRunner';
import { studyOptions } from './helpers/studyFixture';

const isRoot = process.getuid?.() === 0;

/** Mounts a tmpfs at a new folder (root only); undefined when that is not possible here. */
function mountTmpfs(options: string): string | undefined {
  if (!isRoot || process.platform !== 'linux') return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'bt-tmpfs-'));
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir], { encoding: 'utf8' });
  if (r.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    return undefined;
  }
  return dir;
}

function unmount(dir: string): void {
  spawnSync('umount', [dir]);
  rmSync(dir, { recursive: true, force: true });
}

async function studyIn(outDir: string): Promise<{ out: Awaited<ReturnType<typeof runStudy>>; warnings: string[] }> {
  const events: StudyEvent[] = [];
  const out = await runStudy(studyOptions({ outDir, budgetSeconds: 20 }), simulatedRunner(), (e) => events.push(e));
  const warnings = events.filter((e): e is Extract<StudyEvent, { type: 'warning' }> => e.type === 'warning').map((e) => e.message);
  return { out, warnings: warnings.filter((w) => /cannot write the study file/.test(w)) };
}

test('a full disk (ENOSPC): one clear warning, the study still recommends, the file keeps only complete lines', async (t) => {
  // 16 KiB: the study-start and plan lines fit, the trials' lines do not.
  const dir = mountTmpfs('size=16k,mode=0755');
  if (!dir) {
    t.skip('not run: mounting a small tmpfs needs root (run the unit tests as root to cause a real ENOSPC)');
    return;
  }
  try {
    const { out, warnings } = await studyIn(dir);
    assert.equal(out.status, 'completed');
    assert.ok(out.recommendation, 'the study goes on to its recommendation');
    assert.equal(warnings.length, 1, `one warning: ${warnings.join(' | ')}`);
    assert.match(warnings[0], /cannot write the study file .*: the disk is full \(ENOSPC\)\. The study goes on, but from here on it is not saved/);
    const file = out.studyFile as string;
    assert.ok(file && existsSync(file), 'what was written before the disk filled is kept');
    const r = readStudy(file);
    assert.equal(r.skippedLines, 0, 'no torn line: the failed append was cut back');
    assert.equal(r.status, 'running', 'no end line, and its writer (this process) still runs');
    assert.ok(r.trials.length < out.trials.length, 'later lines were not saved');
  } finally {
    unmount(dir);
  }
});

test('a read-only study folder: one clear warning, the study still recommends, no study file claimed', async () => {
  // As root a mode bit does not stop a write: a read-only mount does. Otherwise chmod.
  const mounted = mountTmpfs('ro,size=64k');
  const dir = mounted ?? mkdtempSync(join(tmpdir(), 'bt-ro-'));
  if (!mounted) chmodSync(dir, 0o555);
  try {
    const { out, warnings } = await studyIn(join(dir, 'studies'));
    assert.equal(out.status, 'completed');
    assert.ok(out.recommendation);
    if (!mounted && isRoot) return; // root writes through mode bits: nothing to fail (no tmpfs here)
    assert.equal(warnings.length, 1, warnings.join(' | '));
    assert.match(warnings[0], /: (the folder is on a read-only file system \(EROFS\)|no permission to write there \(EACCES\))\. The study goes on/);
    assert.equal(out.studyFile, undefined, 'no file to open or report on');
    assert.deepEqual(readdirSync(dir), []);
  } finally {
    if (mounted) unmount(mounted);
    else {
      chmodSync(dir, 0o755);
      rmSync(dir, { recursive: true, force: true });
    }
  }
});
