// The Python the PyTorch / Hugging Face / Lightning tests run: the cached virtual environment
// scripts/setup-python.mjs makes (torch 2.13 CPU, transformers, accelerate, lightning). Tests
// that need it are skipped — counted as not run, never as passed — with the reason, when it is
// not there. $BATCH_TUNER_TEST_PYTHON names another interpreter to use instead.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

export const ROOT = resolve(__dirname, '../../..');
/** The package's folder: put on PYTHONPATH so the tests import this checkout's batch_tuner, not an installed copy. */
export const PACKAGE_DIR = join(ROOT, 'python');

export interface TestPython {
  /** The interpreter, or undefined when there is none (then `skip` says why). */
  python?: string;
  /** torchrun next to it, when present. */
  torchrun?: string;
  /** For node:test's `skip` option: false when ready, else the reason and the command that fixes it. */
  skip: false | string;
}

let found: TestPython | undefined;

/** Finds the test environment once (never installs: `node scripts/setup-python.mjs` does). */
export function testPython(): TestPython {
  if (found) return found;
  const override = process.env.BATCH_TUNER_TEST_PYTHON;
  if (override) {
    const torchrun = join(dirname(override), 'torchrun');
    found = existsSync(override)
      ? { python: override, torchrun: existsSync(torchrun) ? torchrun : undefined, skip: false }
      : { skip: `BATCH_TUNER_TEST_PYTHON=${override} does not exist` };
    return found;
  }
  const r = spawnSync(process.execPath, [join(ROOT, 'scripts/setup-python.mjs'), '--locate'], { encoding: 'utf8', timeout: 30_000 });
  let located: { ok?: boolean; python?: string; torchrun?: string; reason?: string };
  try {
    located = JSON.parse(r.stdout);
  } catch {
    located = { reason: `scripts/setup-python.mjs --locate failed: ${r.stderr || r.error?.message}` };
  }
  found =
    located.ok && located.python
      ? { python: located.python, torchrun: located.torchrun, skip: false }
      : { skip: `not run: ${located.reason ?? 'no Python test environment'}` };
  return found;
}

/** The environment for a Python child: this checkout's package first on PYTHONPATH, no inherited BATCH_TUNER_* variables, no hub downloads. */
export function pythonEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('BATCH_TUNER_') || k === 'BATCH_TUNER_CACHE'));
  return { ...clean, PYTHONPATH: PACKAGE_DIR, HF_HUB_OFFLINE: '1', TRANSFORMERS_OFFLINE: '1', HF_DATASETS_OFFLINE: '1', PYTHONUNBUFFERED: '1', ...extra };
}
