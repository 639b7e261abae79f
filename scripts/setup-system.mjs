// System packages the tests need and npm cannot provide: Chromium (the browser the
// integration and UI tests drive) and libkrb5-dev (headers for a native module of code-server).
// PyTorch is no longer a system package: the Python tests run in the cached virtual environment
// scripts/setup-python.mjs makes (torch 2.x from PyPI).
// Root on Debian/Ubuntu: installed with apt-get when missing. Otherwise: a message saying
// what to install. Fast (one dpkg-query) when everything is present.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

export const SYSTEM_PACKAGES = ['chromium', 'libkrb5-dev'];

/** Path of the Chromium binary, or undefined. Env CHROME_PATH wins. */
export function findChromium() {
  const candidates = [process.env.CHROME_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/snap/bin/chromium', '/usr/bin/google-chrome'];
  return candidates.find((p) => p && existsSync(p));
}

function isDebianLike() {
  if (!existsSync('/etc/os-release')) return false;
  const osRelease = readFileSync('/etc/os-release', 'utf8');
  return /^(ID|ID_LIKE)=.*\b(debian|ubuntu)\b/m.test(osRelease) && existsSync('/usr/bin/apt-get');
}

/** Debian packages from SYSTEM_PACKAGES that are not installed (empty when not Debian-like). */
export function missingDebianPackages(packages = SYSTEM_PACKAGES) {
  const query = spawnSync('dpkg-query', ['-W', '-f=${Package} ${Status}\\n', ...packages], { encoding: 'utf8' });
  if (query.error) return [...packages]; // no dpkg: nothing is known to be installed
  const installed = new Set(
    query.stdout
      .split('\n')
      .filter((line) => line.endsWith(' install ok installed'))
      .map((line) => line.split(' ')[0]),
  );
  return packages.filter((p) => !installed.has(p));
}

/**
 * Makes sure the system packages are there. Returns { ok, missing, message }.
 * Never throws for a missing package: the caller decides whether that is fatal.
 */
export function ensureSystemPackages({ log = console.log } = {}) {
  if (process.platform !== 'linux' || !isDebianLike()) {
    const chromium = findChromium();
    if (chromium) return { ok: true, missing: [] };
    const message =
      'Chromium was not found. Install Chromium (or Google Chrome) and set CHROME_PATH to its binary. ' +
      'Also needed: Kerberos development headers for code-server (libkrb5-dev / krb5-devel / `brew install krb5`). ' +
      'The Python tests make their own environment: node scripts/setup-python.mjs.';
    return { ok: false, missing: ['chromium'], message };
  }
  const missing = missingDebianPackages();
  if (missing.length === 0) return { ok: true, missing };
  const command = `apt-get update && apt-get install -y ${missing.join(' ')}`;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot) {
    return {
      ok: false,
      missing,
      message: `Missing system packages: ${missing.join(', ')}. Install them with:\n  sudo apt-get update && sudo apt-get install -y ${missing.join(' ')}`,
    };
  }
  log(`[setup] installing system packages: ${missing.join(', ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [['update'], ['install', '-y', '--no-install-recommends', ...missing]]) {
    const result = spawnSync('apt-get', args, { stdio: 'inherit', env });
    if (result.status !== 0) {
      return { ok: false, missing, message: `"apt-get ${args.join(' ')}" failed (exit ${result.status}). Run as root:\n  ${command}` };
    }
  }
  const stillMissing = missingDebianPackages();
  if (stillMissing.length > 0) return { ok: false, missing: stillMissing, message: `apt-get did not install: ${stillMissing.join(', ')}` };
  return { ok: true, missing: [] };
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const result = ensureSystemPackages();
  if (!result.ok) {
    console.error(`[setup] ${result.message}`);
    process.exit(1);
  }
  console.log('[setup] system packages present');
}
