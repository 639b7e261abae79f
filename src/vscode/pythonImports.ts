// Does a person's training script need the `batch_tuner` Python package, and does the interpreter
// that runs it have it? No `vscode` here (node only): the offer itself is ./pythonPackage.ts.
// Batch Tuner puts the package on PYTHONPATH for the trials it starts, so a missing package only
// shows when the script runs elsewhere (by hand, under another launcher, on a cluster) — or when a
// trial fails with "No module named 'batch_tuner'".
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';

/** `import batch_tuner`, `import x, batch_tuner`, `from batch_tuner import ...`, `from batch_tuner.hf import ...` (not in a comment). */
const IMPORT_RE = /^[ \t]*(?:import[ \t]+(?:[\w.]+[ \t]*,[ \t]*)*batch_tuner\b|from[ \t]+batch_tuner(?:\.[\w.]+)?[ \t]+import\b)/m;

export function importsBatchTuner(source: string): boolean {
  return IMPORT_RE.test(source);
}

/** A trial's error text that says the package is missing (Python's ModuleNotFoundError). */
export function missingBatchTuner(text: string | undefined): boolean {
  return text !== undefined && /No module named ['"]?batch_tuner\b/.test(text);
}

const PYTHON_NAME = /^python(?:\d+(?:\.\d+)*)?(?:\.exe)?$/i;

/**
 * The interpreter a command template runs: `${python}` is `defaultInterpreter`, a word named
 * python/python3/python3.11 (a path or a bare name) is itself; another launcher (torchrun, bash,
 * accelerate) hides it, and `defaultInterpreter` is the best guess.
 */
export function interpreterOf(words: readonly string[], defaultInterpreter: string): string {
  const first = words[0];
  if (first === undefined || first === '${python}') return defaultInterpreter;
  // Either separator: a Windows path in a template read on any platform.
  return PYTHON_NAME.test(first.split(/[\\/]/).pop() ?? first) ? first : defaultInterpreter;
}

/** The Python scripts a command template names (`train.py`, `${workspaceFolder}/train.py`), as absolute paths that exist. */
export function scriptsOf(words: readonly string[], cwd: string, workspaceFolder?: string): string[] {
  const out: string[] = [];
  for (const w of words) {
    const word = workspaceFolder ? w.split('${workspaceFolder}').join(workspaceFolder) : w;
    if (!/\.py$/i.test(word) || word.includes('${')) continue;
    const path = isAbsolute(word) ? word : resolve(cwd, word);
    try {
      if (existsSync(path) && statSync(path).isFile() && !out.includes(path)) out.push(path);
    } catch {
      // unreadable: not ours to judge
    }
  }
  return out;
}

/** The first script among `scripts` that imports batch_tuner (only its first 1 MB is read). */
export function scriptImportingBatchTuner(scripts: readonly string[]): string | undefined {
  return scripts.find((s) => {
    try {
      return importsBatchTuner(readFileSync(s, 'utf8').slice(0, 1 << 20));
    } catch {
      return false;
    }
  });
}

export type PackageCheck = 'present' | 'missing' | 'unknown';

/**
 * `<python> -c "import batch_tuner"` with the environment the person has (not the trials'
 * PYTHONPATH): missing only when Python itself says ModuleNotFoundError for batch_tuner; an
 * interpreter that cannot be started is `unknown` (the study reports that itself).
 */
export function checkBatchTunerImport(python: string, env: NodeJS.ProcessEnv = process.env, timeoutMs = 20_000): Promise<PackageCheck> {
  return new Promise((done) => {
    execFile(python, ['-c', 'import batch_tuner'], { env, timeout: timeoutMs, windowsHide: true }, (err, _stdout, stderr) => {
      if (!err) done('present');
      else done(missingBatchTuner(String(stderr)) ? 'missing' : 'unknown');
    });
  });
}
