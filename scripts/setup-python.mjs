#!/usr/bin/env node
// The Python environment the PyTorch / Hugging Face / Lightning tests run in: a virtual
// environment cached outside the clone (like code-server, scripts/code-server.mjs), keyed by a
// hash of what it holds, so it is made once (a few minutes) and reused by every clone.
//
// Order matters: `torch==2.13.0` first. These machines keep its CPU build on disk (pip's
// find-links); with torch already present, transformers and lightning add only what they need.
// A plain `torch` requirement with no torch installed would pull a CUDA build of several GB.
// (accelerate: the HF Trainer needs it with PyTorch.) Then the package itself (`pip install ./python`), reinstalled whenever its files change.
//
//   node scripts/setup-python.mjs            make (or reuse) the environment; exit 1 with a
//                                            message naming what is missing when it cannot
//   node scripts/setup-python.mjs --locate   only look: JSON {ok, python, venv, reason}
//
// From code: `await ensurePythonEnv()` -> { ok, python, venv, ... } or { ok: false, missing, message }.
// Callers count tests that need it as not run, never as passed, when ok is false.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { cacheRoot, repoRoot } from './code-server.mjs';
import { acquireLock } from './lock.mjs';

/** Installed in this order, one pip call each (torch alone first: see above). */
export const PYTHON_REQUIREMENTS = [['torch==2.13.0'], ['transformers==5.17.0', 'accelerate==1.15.0', 'lightning==2.6.6']];
/** Bumped when the way the environment is made changes (part of its key). */
const LAYOUT = 1;
const PIP_TIMEOUT_MS = 30 * 60_000;
const LOCK_STALE_MS = 40 * 60_000;

/** The interpreter that makes the venv: $BATCH_TUNER_VENV_PYTHON, else python3 on the PATH. */
function basePython() {
  return process.env.BATCH_TUNER_VENV_PYTHON || 'python3';
}

/** "3.11" for the interpreter, or undefined when it cannot be run. */
function pythonVersion(python) {
  const r = spawnSync(python, ['-c', 'import sys; print("%d.%d" % sys.version_info[:2])'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/** Where the environment for these requirements and this Python version lives. */
export function venvDir(version, requirements = PYTHON_REQUIREMENTS) {
  const key = createHash('sha256').update(JSON.stringify({ LAYOUT, version, requirements })).digest('hex').slice(0, 12);
  return join(cacheRoot(), `python-${version}-${key}`);
}

/** A hash of the package's own files (python/pyproject.toml and python/batch_tuner/**), to reinstall it when they change. */
export function packageHash(root = repoRoot) {
  const dir = join(root, 'python');
  const files = ['pyproject.toml', ...readdirSync(join(dir, 'batch_tuner'), { recursive: true }).map((f) => join('batch_tuner', f))]
    .filter((f) => f.endsWith('.py') || f.endsWith('.toml') || f.endsWith('.typed'))
    .sort();
  const h = createHash('sha256');
  for (const f of files) h.update(f + '\0').update(readFileSync(join(dir, f)));
  return h.digest('hex').slice(0, 16);
}

function venvPaths(dir) {
  return {
    dir,
    python: join(dir, 'bin', 'python'),
    torchrun: join(dir, 'bin', 'torchrun'),
    marker: join(dir, '.complete'),
    stamp: join(dir, '.batch-tuner-package'),
  };
}

/** Only looks: the cached environment's paths when complete, else why not (no install). */
export function locatePythonEnv() {
  const python = basePython();
  const version = pythonVersion(python);
  if (!version)
    return {
      ok: false,
      missing: [python],
      reason: `${python} cannot be run: install Python 3.10+ (or set BATCH_TUNER_VENV_PYTHON), then run \`node scripts/setup-python.mjs\``,
    };
  const paths = venvPaths(venvDir(version));
  if (!existsSync(paths.marker))
    return {
      ok: false,
      missing: ['venv'],
      reason: `no Python test environment at ${paths.dir}: run \`node scripts/setup-python.mjs\` (a few minutes, once; needs PyPI)`,
    };
  return { ok: true, ...paths, version };
}

function pip(paths, args, log) {
  log(`[python] $ pip ${args.join(' ')}`);
  const r = spawnSync(paths.python, ['-m', 'pip', 'install', '--progress-bar', 'off', '--no-input', ...args], {
    encoding: 'utf8',
    timeout: PIP_TIMEOUT_MS,
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, PIP_DISABLE_PIP_VERSION_CHECK: '1' },
  });
  if (r.status === 0) return undefined;
  const tail = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim().split('\n').slice(-15).join('\n');
  const what = r.error ? r.error.message : `exit ${r.status ?? r.signal}`;
  return `pip could not install ${args.filter((a) => !a.startsWith('-')).join(' ')} (${what}). Is PyPI reachable (try \`${paths.python} -m pip download --no-deps -d /tmp/x six\`)?\n${tail}`;
}

/** Makes the venv with the frameworks (once). Returns undefined, or a failure. */
function createVenv(base, version, paths, log) {
  rmSync(paths.dir, { recursive: true, force: true }); // an interrupted install is never used
  const started = Date.now();
  log(`[python] creating ${paths.dir} with ${base} (Python ${version}); a few minutes, once`);
  const made = spawnSync(base, ['-m', 'venv', paths.dir], { encoding: 'utf8' });
  if (made.status !== 0) {
    rmSync(paths.dir, { recursive: true, force: true });
    return {
      missing: ['python3-venv'],
      message: `\`${base} -m venv\` failed: install the venv module (Debian: apt-get install python${version}-venv) or set BATCH_TUNER_VENV_PYTHON to a Python that has it.\n${(made.stderr || '').trim()}`,
    };
  }
  const fail = (missing, message) => {
    rmSync(paths.dir, { recursive: true, force: true }); // never leave a half-made environment
    return { missing, message };
  };
  for (const group of PYTHON_REQUIREMENTS) {
    const failed = pip(paths, group, log);
    if (failed) return fail(group, failed);
  }
  const check = spawnSync(paths.python, ['-c', 'import torch, transformers, lightning; print(torch.__version__)'], { encoding: 'utf8' });
  if (check.status !== 0 || !check.stdout.startsWith('2.13.'))
    return fail(['torch'], `the new environment does not import torch 2.13: ${check.stdout}${check.stderr}`);
  const seconds = (Date.now() - started) / 1000;
  writeFileSync(
    paths.marker,
    JSON.stringify({ version, requirements: PYTHON_REQUIREMENTS, torch: check.stdout.trim(), seconds, installedAt: new Date().toISOString() }) + '\n',
  );
  log(`[python] environment ready in ${seconds.toFixed(0)} s`);
  return undefined;
}

/** Installs ./python (the batch_tuner package) into the venv unless the same files are there. */
function installPackage(paths, root, log) {
  const hash = packageHash(root);
  if (existsSync(paths.stamp) && readFileSync(paths.stamp, 'utf8').trim() === hash) return undefined;
  // Built from a copy: pip's build writes build/ and *.egg-info next to the sources it is given.
  const copy = mkdtempSync(join(tmpdir(), 'batch-tuner-python-'));
  let failed;
  try {
    cpSync(join(root, 'python'), copy, { recursive: true, filter: (src) => !/(^|\/)(build|__pycache__|[^/]*\.egg-info)$/.test(src) });
    failed = pip(paths, ['--no-deps', '--force-reinstall', copy], log);
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
  if (failed) return { missing: ['batch_tuner'], message: failed };
  writeFileSync(paths.stamp, hash + '\n');
  return undefined;
}

/**
 * Makes sure the cached environment exists (creating it when missing) and holds this clone's
 * batch_tuner package. Returns { ok: true, python, torchrun, dir, version, installedNow } or
 * { ok: false, missing: [...], message } — never throws for something missing.
 */
export async function ensurePythonEnv({ log = console.log, root = repoRoot } = {}) {
  const base = basePython();
  const version = pythonVersion(base);
  if (!version) return { ok: false, missing: [base], message: `${base} cannot be run: install Python 3.10+ or set BATCH_TUNER_VENV_PYTHON to one` };
  const [major, minor] = version.split('.').map(Number);
  if (major < 3 || (major === 3 && minor < 10))
    return {
      ok: false,
      missing: ['python>=3.10'],
      message: `${base} is Python ${version}; torch 2.13 needs 3.10+: set BATCH_TUNER_VENV_PYTHON to a newer one`,
    };
  const paths = venvPaths(venvDir(version));
  mkdirSync(cacheRoot(), { recursive: true });
  const release = await acquireLock(`${paths.dir}.lock`, {
    staleMs: LOCK_STALE_MS,
    log,
    waiting: '[python] another process is setting up the Python environment; waiting…',
  });
  try {
    let installedNow = false;
    if (!existsSync(paths.marker)) {
      const failed = createVenv(base, version, paths, log);
      if (failed) return { ok: false, ...failed };
      installedNow = true;
    }
    const failed = installPackage(paths, root, log);
    if (failed) return { ok: false, ...failed };
    return { ok: true, ...paths, version, installedNow };
  } finally {
    release();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  if (process.argv.includes('--locate')) {
    const found = locatePythonEnv();
    console.log(JSON.stringify(found));
    process.exit(found.ok ? 0 : 1);
  }
  const result = await ensurePythonEnv();
  if (!result.ok) {
    console.error(`[python] not ready (missing: ${result.missing.join(', ')}): ${result.message}`);
    process.exit(1);
  }
  console.log(`[python] ${result.python} (${relative(cacheRoot(), result.dir)} in ${cacheRoot()})`);
}
