// When to offer "Install batch-tuner into <interpreter>": which scripts import the package, which
// interpreter a command runs, and a real `python -c "import batch_tuner"` against a fresh venv
// without it (and with the package on PYTHONPATH, as Batch Tuner's trials have it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  checkBatchTunerImport,
  importsBatchTuner,
  interpreterOf,
  missingBatchTuner,
  scriptImportingBatchTuner,
  scriptsOf,
} from '../../src/vscode/pythonImports';

test('a script imports batch_tuner: import, from-import, submodules, a list of imports; not in comments or strings', () => {
  for (const yes of [
    'import batch_tuner',
    'from batch_tuner import Reporter',
    'from batch_tuner.hf import BatchTunerCallback',
    'import os, batch_tuner',
    '    import batch_tuner as bt',
  ])
    assert.equal(importsBatchTuner(`x = 1\n${yes}\n`), true, yes);
  for (const no of ['# import batch_tuner', 'print("import batch_tuner")', 'import batch_tuner_extra', 'from batch_tunerx import y'])
    assert.equal(importsBatchTuner(no), false, no);
});

test('a trial error that is the missing package', () => {
  assert.equal(missingBatchTuner("ModuleNotFoundError: No module named 'batch_tuner'"), true);
  assert.equal(missingBatchTuner("ModuleNotFoundError: No module named 'batch_tuner.hf'"), true);
  assert.equal(missingBatchTuner("ModuleNotFoundError: No module named 'torch'"), false);
  assert.equal(missingBatchTuner(undefined), false);
});

test('the interpreter a command runs: ${python}, a python path or name, else the default', () => {
  assert.equal(interpreterOf(['${python}', 'train.py'], '/usr/bin/python3'), '/usr/bin/python3');
  assert.equal(interpreterOf(['/venv/bin/python3.11', 'train.py'], '/usr/bin/python3'), '/venv/bin/python3.11');
  assert.equal(interpreterOf(['python', 'train.py'], '/usr/bin/python3'), 'python');
  assert.equal(interpreterOf(['C:\\Py\\python.exe', 'train.py'], 'py'), 'C:\\Py\\python.exe');
  assert.equal(interpreterOf(['torchrun', '--nproc-per-node', '2', 'train.py'], '/usr/bin/python3'), '/usr/bin/python3');
});

test('the scripts a command names, relative to the config folder or the workspace, and the one that imports the package', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bt-imports-'));
  try {
    writeFileSync(join(dir, 'train.py'), 'from batch_tuner import Reporter\n');
    writeFileSync(join(dir, 'plain.py'), 'import os\n');
    const words = ['${python}', 'plain.py', '${workspaceFolder}/train.py', '--config', '${config}', 'missing.py', '${config}.py'];
    const scripts = scriptsOf(words, dir, dir);
    assert.deepEqual(scripts, [resolve(dir, 'plain.py'), resolve(dir, 'train.py')]);
    assert.equal(scriptImportingBatchTuner(scripts), resolve(dir, 'train.py'));
    assert.equal(scriptImportingBatchTuner([resolve(dir, 'plain.py')]), undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a fresh venv lacks batch_tuner; with the extension python/ folder on PYTHONPATH it has it; no interpreter is unknown', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bt-venv-'));
  try {
    execFileSync('python3', ['-m', 'venv', '--without-pip', join(dir, 'venv')], { timeout: 120_000 });
    const python = join(dir, 'venv', 'bin', 'python');
    const env = { ...process.env, PYTHONPATH: '' };
    assert.equal(await checkBatchTunerImport(python, env), 'missing');
    assert.equal(await checkBatchTunerImport(python, { ...env, PYTHONPATH: resolve('python') }), 'present');
    assert.equal(await checkBatchTunerImport(join(dir, 'no-such-python'), env), 'unknown');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
