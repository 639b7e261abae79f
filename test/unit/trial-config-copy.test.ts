// The per-trial config copy (writeTrialConfig, issue 12): created exclusively with a crypto-random
// name that sweepStale recognises, with the original's permissions, never through a symlink; in a
// private, swept temp folder when the config's folder is read-only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { createExclusive, writeTrialConfig } from '../../src/core/runner/externalConfig';
import { configCopyId, sweepStale } from '../../src/core/runner/leftovers';

function dir(): string {
  return mkdtempSync(join(tmpdir(), 'bt-copy-'));
}

test("the copy has the original's permissions, whatever the umask", () => {
  const d = dir();
  for (const mode of [0o600, 0o640, 0o644, 0o755, 0o400]) {
    const f = join(d, `m${mode.toString(8)}.yaml`);
    writeFileSync(f, 'batch_size: 8\n');
    chmodSync(f, mode);
    const copy = writeTrialConfig(f, 16, undefined, 't');
    assert.equal(statSync(copy.path).mode & 0o777, mode, `original ${mode.toString(8)}`);
    assert.equal(readFileSync(copy.path, 'utf8'), 'batch_size: 16\n');
    copy.remove();
  }
  rmSync(d, { recursive: true });
});

test("names are crypto-random, keep the owner prefix, and a dead owner's copy is swept", async () => {
  const d = dir();
  const f = join(d, 'c.yaml');
  writeFileSync(f, 'batch_size: 8\n');
  const names = new Set<string>();
  for (let i = 0; i < 200; i++) {
    const c = writeTrialConfig(f, 16, undefined, configCopyId('t'));
    assert.match(basename(c.path), new RegExp(`^\\.batch-tuner-pid${process.pid}-t-[0-9a-f]{18}\\.yaml$`));
    names.add(basename(c.path));
  }
  assert.equal(names.size, 200, 'no two names alike');
  assert.equal((await sweepStale({ configDirs: [d], tempDir: d })).removed.length, 0, "a live owner's copies are kept");
  for (const n of names) rmSync(join(d, n));
  // pid 4194304 is above Linux's largest pid: never alive.
  const dead = writeTrialConfig(f, 16, undefined, 'pid4194304-t');
  assert.deepEqual((await sweepStale({ configDirs: [d], tempDir: d })).removed, [dead.path]);
  assert.deepEqual(readdirSync(d), ['c.yaml']);
  rmSync(d, { recursive: true });
});

test('never writes through a symlink or over an existing file', () => {
  const d = dir();
  const target = join(d, 'precious.txt');
  writeFileSync(target, 'keep me');
  const viaLink = join(d, 'link.yaml');
  symlinkSync(target, viaLink);
  assert.throws(() => createExclusive(viaLink, 'x', 0o600), /EEXIST/);
  const dangling = join(d, 'dangling.yaml');
  symlinkSync(join(d, 'would-be-created'), dangling);
  assert.throws(() => createExclusive(dangling, 'x', 0o600), /EEXIST/);
  assert.ok(!existsSync(join(d, 'would-be-created')), 'a dangling link does not create its target');
  assert.throws(() => createExclusive(target, 'x', 0o600), /EEXIST/);
  assert.equal(readFileSync(target, 'utf8'), 'keep me');
  // A config that is itself a symlink: read through it, the copy is a plain file beside the link.
  const real = join(d, 'real');
  mkdirSync(real);
  writeFileSync(join(real, 'cfg.yaml'), 'batch_size: 8\n');
  const link = join(d, 'cfg.yaml');
  symlinkSync(join(real, 'cfg.yaml'), link);
  const copy = writeTrialConfig(link, 32, undefined, 't');
  assert.equal(dirname(copy.path), d);
  assert.ok(lstatSync(copy.path).isFile());
  assert.equal(readFileSync(join(real, 'cfg.yaml'), 'utf8'), 'batch_size: 8\n', 'the original is untouched');
  copy.remove();
  rmSync(d, { recursive: true });
});

/** Makes `d` unwritable even for root (chattr +i), else by mode; undefined when neither works here. */
function makeReadOnly(d: string): (() => void) | undefined {
  if (process.getuid?.() === 0) {
    if (spawnSync('chattr', ['+i', d]).status !== 0) return undefined;
    return () => spawnSync('chattr', ['-i', d]);
  }
  chmodSync(d, 0o555);
  return () => chmodSync(d, 0o755);
}

test('a read-only config folder: the copy goes to a private temp folder with the owner prefix, which the sweep knows', async (t) => {
  const d = dir();
  const tmp = join(d, 'tmp');
  mkdirSync(tmp);
  const ro = join(d, 'ro');
  mkdirSync(ro);
  const f = join(ro, 'c.yaml');
  writeFileSync(f, 'batch_size: 8\n');
  chmodSync(f, 0o640);
  const undo = makeReadOnly(ro);
  if (!undo) return t.skip('cannot make a folder read-only here (root without chattr)');
  const saved = process.env.TMPDIR;
  process.env.TMPDIR = tmp;
  try {
    const copy = writeTrialConfig(f, 64, undefined, configCopyId('t'));
    const folder = dirname(copy.path);
    assert.equal(dirname(folder), tmp);
    assert.match(basename(folder), new RegExp(`^batch-tuner-pid${process.pid}-`));
    assert.equal(statSync(folder).mode & 0o777, 0o700, 'private');
    assert.equal(statSync(copy.path).mode & 0o777, 0o640);
    assert.equal(readFileSync(copy.path, 'utf8'), 'batch_size: 64\n');
    assert.match(copy.warnings.join(), /is not writable: the trial's config copy is in .*relative to the config may not resolve/);
    copy.remove();
    assert.deepEqual(readdirSync(tmp), []);
  } finally {
    process.env.TMPDIR = saved;
    if (saved === undefined) delete process.env.TMPDIR;
    undo();
  }
  rmSync(d, { recursive: true });
});

test('a missing config: a clear error', () => {
  assert.throws(() => writeTrialConfig('/nonexistent/c.yaml', 8, undefined, 't'), /\/nonexistent\/c\.yaml: the config does not exist: check the path/);
});
