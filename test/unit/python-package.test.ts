// python/ is an installable package (pyproject.toml): `pip install ./python` gives a working
// batch_tuner with its framework modules; and the test environment's setup says clearly what is
// missing instead of passing when it cannot make the environment.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PACKAGE_DIR, ROOT, pythonEnv, testPython } from './helpers/python';

const { python: PY, skip } = testPython();

test('pip install ./python installs batch_tuner with its framework modules', { skip, timeout: 180_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'bt-pkg-'));
  const source = join(dir, 'src');
  cpSync(PACKAGE_DIR, source, { recursive: true, filter: (p) => !/(__pycache__|\.egg-info|\/build)$/.test(p) });
  const target = join(dir, 'site');
  const pip = spawnSync(PY!, ['-m', 'pip', 'install', '--no-deps', '--no-input', '--target', target, source], {
    encoding: 'utf8',
    timeout: 170_000,
    env: pythonEnv(),
  });
  assert.equal(pip.status, 0, pip.stderr.slice(-3000));
  const installed = readdirSync(join(target, 'batch_tuner'))
    .filter((f) => f.endsWith('.py'))
    .sort();
  for (const m of ['__init__.py', 'checkpoint.py', 'distributed.py', 'hf.py', 'lifeline.py', 'lightning.py', 'reporter.py', 'torchrun.py'])
    assert.ok(installed.includes(m), `${m} in ${installed}`);
  // Imported from the installed copy only (no PYTHONPATH to the sources), from another folder.
  const r = spawnSync(PY!, ['-c', 'import batch_tuner, batch_tuner.hf, batch_tuner.lightning; print(batch_tuner.__version__, batch_tuner.__file__)'], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...pythonEnv(), PYTHONPATH: target },
  });
  assert.equal(r.status, 0, r.stderr.slice(-2000));
  assert.equal(r.stdout.trim(), `0.1.0 ${join(target, 'batch_tuner', '__init__.py')}`);
  rmSync(dir, { recursive: true, force: true });
});

test('setup-python: --locate names the environment; a missing interpreter is a clear "not ready", never a pass', { timeout: 60_000 }, () => {
  const script = join(ROOT, 'scripts/setup-python.mjs');
  const empty = mkdtempSync(join(tmpdir(), 'bt-cache-'));
  const none = spawnSync(process.execPath, [script, '--locate'], { encoding: 'utf8', env: { ...process.env, BATCH_TUNER_CACHE: empty } });
  assert.equal(none.status, 1);
  assert.match(JSON.parse(none.stdout).reason, /no Python test environment at .*: run `node scripts\/setup-python.mjs`/);
  const bad = spawnSync(process.execPath, [script], {
    encoding: 'utf8',
    env: { ...process.env, BATCH_TUNER_CACHE: empty, BATCH_TUNER_VENV_PYTHON: '/nonexistent/python3' },
  });
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /not ready \(missing: \/nonexistent\/python3\): \/nonexistent\/python3 cannot be run: install Python 3\.10\+/);
  assert.deepEqual(readdirSync(empty), [], 'nothing half-made in the cache');
  rmSync(empty, { recursive: true, force: true });
  if (!skip) {
    const found = spawnSync(process.execPath, [script, '--locate'], { encoding: 'utf8' });
    assert.equal(found.status, 0, found.stdout);
    assert.equal(JSON.parse(found.stdout).python, PY);
  }
});

test('setup-python: no reachable package index is a clear "not ready" naming what could not be installed', { timeout: 120_000 }, () => {
  const empty = mkdtempSync(join(tmpdir(), 'bt-cache-offline-'));
  const offline = {
    ...process.env,
    BATCH_TUNER_CACHE: empty,
    PIP_CONFIG_FILE: '/dev/null',
    PIP_FIND_LINKS: '',
    PIP_INDEX_URL: 'http://127.0.0.1:9/simple',
    PIP_EXTRA_INDEX_URL: '',
    PIP_RETRIES: '0',
    PIP_TIMEOUT: '2',
    PIP_NO_CACHE_DIR: '1',
  };
  const r = spawnSync(process.execPath, [join(ROOT, 'scripts/setup-python.mjs')], { encoding: 'utf8', timeout: 110_000, env: offline });
  assert.equal(r.status, 1, r.stdout + r.stderr);
  assert.match(r.stderr, /not ready \(missing: torch==2\.13\.0\): pip could not install torch==2\.13\.0 .*Is PyPI reachable/);
  const locate = spawnSync(process.execPath, [join(ROOT, 'scripts/setup-python.mjs'), '--locate'], { encoding: 'utf8', env: offline });
  assert.equal(JSON.parse(locate.stdout).ok, false, 'a half-made environment is never used');
  assert.deepEqual(
    readdirSync(empty).filter((f) => !f.endsWith('.lock')),
    [],
    'and none is left behind',
  );
  rmSync(empty, { recursive: true, force: true });
});
