// CodeLens on training configs of every format: exactly above the batch-size keys, never on
// keys inside comments or strings; and, after a real study, the recommendation with Apply.
import * as assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { extensionUnderTest } from './extensionUnderTest';
import { batchTunerApi, batchTunerLenses, codeLensesOf, waitFor, workspaceFile } from './fixtures';
import { testLog } from './log';

/** 1-based lines of each fixture's batch-size keys (as a person reads them in the editor). */
const EXPECTED: Array<[string[], number[]]> = [
  [['mnist.batch-tuner.yaml'], [13]],
  [['lightning.yaml'], [10]],
  [
    ['configs', 'ds_config.json'],
    [2, 3],
  ],
  [['configs', 'trainer.jsonc'], [9]],
  [
    ['configs', 'pyproject.toml'],
    [7, 11],
  ],
  [
    ['scripts', 'train.py'],
    [16, 23],
  ],
];

suite('CodeLens', () => {
  suiteSetup(async () => {
    await batchTunerApi();
  });

  for (const [segments, lines] of EXPECTED) {
    test(`${segments.join('/')}: Tune and Try above the batch-size keys on lines ${lines.join(', ')}, nowhere else`, async () => {
      const lenses = batchTunerLenses(await codeLensesOf(workspaceFile(...segments)));
      const tuneLines = lenses.filter((l) => l.command === 'batchTuner.tune').map((l) => l.line + 1);
      const tryLines = lenses.filter((l) => l.command === 'batchTuner.train').map((l) => l.line + 1);
      assert.deepEqual(tuneLines, lines, `Tune lenses of ${segments.join('/')}`);
      assert.deepEqual(tryLines, lines, `Try lenses of ${segments.join('/')}`);
      assert.ok(lenses.some((l) => l.title === '$(beaker) Tune batch size'));
      assert.ok(lenses.some((l) => l.title === 'Try batch size…'));
    });
  }

  test('a config with a family of batch keys shows its global batch next to the key Apply edits', async () => {
    const lenses = await codeLensesOf(workspaceFile('configs', 'ds_config.json'));
    const global = lenses.filter((l) => l.command?.title.startsWith('global '));
    assert.equal(global.length, 1, JSON.stringify(lenses.map((l) => l.command?.title)));
    assert.equal(global[0].command?.title, 'global 64 = 16 x 4 acc x 1 worker (from train_batch_size)');
    assert.equal(global[0].range.start.line + 1, 2, 'above train_batch_size');
    // A lone batch-size key (ours without accumulation, a plain script) gets no such lens.
    for (const segments of [['mnist.batch-tuner.yaml'], ['scripts', 'train.py']]) {
      assert.equal((await codeLensesOf(workspaceFile(...segments))).filter((l) => l.command?.title.startsWith('global ')).length, 0, segments.join('/'));
    }
  });

  test('the lens starts at the key itself (nested JSONC key at column 7)', async () => {
    const lenses = batchTunerLenses(await codeLensesOf(workspaceFile('configs', 'trainer.jsonc')));
    assert.equal(lenses[0]?.character, 6);
  });

  test('unrelated YAML with "batch_size" only inside a string gets no lens', async () => {
    assert.deepEqual(batchTunerLenses(await codeLensesOf(workspaceFile('ci.yaml'))), []);
  });

  test('batchTuner.codeLens.enabled=false removes every lens', async () => {
    const config = vscode.workspace.getConfiguration('batchTuner');
    await config.update('codeLens.enabled', false, vscode.ConfigurationTarget.Workspace);
    try {
      assert.deepEqual(batchTunerLenses(await codeLensesOf(workspaceFile('mnist.batch-tuner.yaml'))), []);
    } finally {
      await config.update('codeLens.enabled', undefined, vscode.ConfigurationTarget.Workspace);
    }
    assert.equal(batchTunerLenses(await codeLensesOf(workspaceFile('mnist.batch-tuner.yaml'))).length, 2);
  });

  test('after a real study, the lens shows the recommendation and applies it', async function () {
    this.timeout(240_000);
    const uri = workspaceFile('mnist.batch-tuner.yaml');
    const result = await vscode.commands.executeCommand<{ status: string; reason?: string; recommendation?: { batchSize: number; speedupVsCurrent: number } }>(
      'batchTuner.tune',
      uri,
      { notify: false, settings: { budgetSeconds: 20, minBatchSize: 16, maxBatchSize: 128 } },
    );
    assert.ok(result, 'Tune returned nothing');
    assert.equal(result.status, 'completed', `the study did not complete: ${result.reason ?? ''}`);
    assert.ok(result.recommendation, 'the study made no recommendation');
    const rec = result.recommendation;
    const lens = await waitFor('the recommendation lens', async () =>
      batchTunerLenses(await codeLensesOf(uri)).find((l) => l.title.startsWith('Recommended') || l.title.includes('is the recommended one')),
    );
    assert.equal(lens.line + 1, 13);
    if (rec.batchSize === 32) assert.match(lens.title, /Batch size 32 is the recommended one/);
    else {
      assert.match(lens.title, new RegExp(`^Recommended ${rec.batchSize}( · .*)? · Apply$`));
      assert.equal(lens.command, 'batchTuner.applyRecommendation');
    }
  });
});

suite('Studies run in a terminal', () => {
  test('a study the CLI writes to .batch-tuner/ shows up in the CodeLens without a reload', async function () {
    this.timeout(240_000);
    await batchTunerApi();
    const uri = workspaceFile('cli-study.batch-tuner.yaml');
    assert.equal(
      batchTunerLenses(await codeLensesOf(uri)).filter((l) => l.title.startsWith('Recommended') || l.title.includes('recommended one')).length,
      0,
      'a recommendation before any study',
    );
    const cli = path.join(extensionUnderTest().extensionPath, 'dist', 'cli.js');
    const cwd = workspaceFile().fsPath;
    const output = await new Promise<string>((resolve, reject) =>
      execFile(
        process.execPath,
        [cli, 'tune', 'cli-study.batch-tuner.yaml', '--budget', '15', '--min', '16', '--max', '64', '--json'],
        { cwd, timeout: 200_000, env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' } },
        (err, stdout, stderr) => (err ? reject(new Error(`batch-tuner tune failed: ${err.message}\n${stderr}`)) : resolve(stdout)),
      ),
    );
    const printed = JSON.parse(output) as { recommended?: { batchSize: number } };
    assert.ok(printed.recommended, `the CLI made no recommendation: ${output.slice(0, 500)}`);
    const lens = await waitFor(
      'the CLI study in the CodeLens',
      async () => batchTunerLenses(await codeLensesOf(uri)).find((l) => l.title.startsWith('Recommended') || l.title.includes('recommended one')),
      20_000,
    );
    assert.equal(lens.line + 1, 13);
    assert.ok(lens.title.includes(String(printed.recommended.batchSize)), `${lens.title} does not name ${printed.recommended.batchSize}`);
  });
});

/** The study-start line of every study file in `dir` for `configPath`, by file. */
function studyStarts(dir: string, configPath: string): Map<string, Record<string, unknown>> {
  const out = new Map<string, Record<string, unknown>>();
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir).filter((f) => f.endsWith('.study.jsonl'))) {
    const first = readFileSync(path.join(dir, name), 'utf8').split('\n')[0];
    try {
      const line = JSON.parse(first) as Record<string, unknown>;
      if (line.type === 'study-start' && line.configPath === configPath) out.set(name, line);
    } catch {
      // a file being written: its first line is complete once it exists
    }
  }
  return out;
}

/** The study-start line of a study started now (a file that was not in `before`). */
async function newStudyStart(dir: string, configPath: string, before: Set<string>, what: string): Promise<Record<string, unknown>> {
  return waitFor(what, () => [...studyStarts(dir, configPath)].find(([name]) => !before.has(name))?.[1], 60_000);
}

suite('One resolver: a CLI study and a VS Code study of the same config', () => {
  test('start with the same options (study-start lines: settings, dataset size, optimizer, current values, config hash)', async function () {
    this.timeout(180_000);
    const api = await batchTunerApi();
    const uri = workspaceFile('cli-study.batch-tuner.yaml');
    const cwd = workspaceFile().fsPath;
    const dir = path.join(cwd, '.batch-tuner');

    // batch-tuner tune with flags, stopped (Ctrl+C) once its study has started.
    let before = new Set(studyStarts(dir, uri.fsPath).keys());
    const cli = spawn(
      process.execPath,
      [path.join(extensionUnderTest().extensionPath, 'dist', 'cli.js'), 'tune', 'cli-study.batch-tuner.yaml', '--budget', '15', '--min', '16', '--max', '64'],
      {
        cwd,
        env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    cli.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const cliExited = new Promise<void>((resolve) => cli.on('exit', () => resolve()));
    let fromCli: Record<string, unknown>;
    try {
      fromCli = await newStudyStart(dir, uri.fsPath, before, `the CLI's study-start line (stderr: ${stderr})`);
    } finally {
      cli.kill('SIGINT');
      const killer = setTimeout(() => cli.kill('SIGKILL'), 20_000);
      await cliExited;
      clearTimeout(killer);
    }
    assert.match(stderr, /settings: budget 15 s \(flag\)/, 'the CLI prints its settings line');

    // The same request from VS Code (the panel's budget and range), stopped once started.
    before = new Set(studyStarts(dir, uri.fsPath).keys());
    const pending = Promise.resolve(
      vscode.commands.executeCommand<{ status: string; reason?: string }>('batchTuner.tune', uri, {
        notify: false,
        settings: { budgetSeconds: 15, minBatchSize: 16, maxBatchSize: 64 },
      }),
    );
    let fromVsCode: Record<string, unknown>;
    try {
      fromVsCode = await newStudyStart(dir, uri.fsPath, before, 'the VS Code study-start line');
    } finally {
      await vscode.commands.executeCommand('batchTuner.stop');
    }
    const result = await pending;
    assert.ok(result && ['stopped', 'completed'].includes(result.status), `the VS Code study: ${JSON.stringify(result)}`);
    assert.equal(api.isStudyRunning(), false);

    const same = (l: Record<string, unknown>) => ({
      settings: l.settings,
      datasetSize: l.datasetSize,
      optimizer: l.optimizer,
      currentBatchSize: l.currentBatchSize,
      currentLearningRate: l.currentLearningRate,
      configHash: l.configHash,
    });
    testLog(`    study-start settings (CLI and VS Code): ${JSON.stringify(same(fromCli).settings)}`);
    assert.deepEqual(same(fromVsCode), same(fromCli));
    const cliSettings = fromCli.settings as { budgetSeconds?: number; seed?: number; minBatchSize?: number };
    assert.deepEqual([cliSettings.budgetSeconds, cliSettings.minBatchSize, cliSettings.seed], [15, 16, 42], 'the flags, and the one default seed');
  });
});

suite('Sidebar', () => {
  test('lists exactly the workspace files with a batch-size key, with their current batch size', async () => {
    const api = await batchTunerApi();
    await vscode.commands.executeCommand('batchTuner.refreshConfigs');
    const tree = await api.test.configTree();
    const byLabel = new Map(tree.map((t) => [t.label, t]));
    for (const [label, batch] of [
      ['mnist.batch-tuner.yaml', '32'],
      ['lightning.yaml', '64'],
      ['configs/ds_config.json', '64'],
      ['configs/trainer.jsonc', '48'],
      ['configs/pyproject.toml', '128'],
      ['scripts/train.py', '32'],
      ['examples/mnist-mlp.yaml', undefined],
    ] as const) {
      const entry = byLabel.get(label);
      assert.ok(entry, `${label} is missing from the sidebar: ${[...byLabel.keys()].join(', ')}`);
      assert.match(entry.contextValue ?? '', /^config/);
      if (batch) assert.match(entry.description ?? '', new RegExp(`^batch ${batch}\\b`));
    }
    for (const label of ['ci.yaml', 'README.md']) assert.equal(byLabel.has(label), false, `${label} has no batch-size key but is listed`);
    const labels = tree.map((t) => t.label);
    assert.deepEqual(
      labels,
      [...labels].sort((a, b) => a.localeCompare(b)),
      'configs are listed in path order',
    );
  });
});

suite('Which files get our diagnostics', () => {
  async function problems(segments: string[]): Promise<vscode.Diagnostic[]> {
    const uri = workspaceFile(...segments);
    await vscode.workspace.openTextDocument(uri);
    // Diagnostics are computed asynchronously after open; give them time, then read them.
    await new Promise((r) => setTimeout(r, 1500));
    return vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'Batch Tuner');
  }

  test('a Lightning config with top-level model/data keys is not ours: no diagnostics', async () => {
    await batchTunerApi();
    assert.deepEqual(await problems(['lightning.yaml']), []);
  });

  test('unrelated YAML and JSON get none either', async () => {
    assert.deepEqual(await problems(['ci.yaml']), []);
    assert.deepEqual(await problems(['configs', 'ds_config.json']), []);
  });

  test('our configs are checked: bad-config.yaml is flagged at batch_size, the valid fixture is clean', async () => {
    const bad = await waitFor('diagnostics of bad-config.yaml', async () => {
      const d = await problems(['bad-config.yaml']);
      return d.length > 0 ? d : undefined;
    });
    assert.ok(
      bad.some((d) => d.range.start.line === 9 && d.severity === vscode.DiagnosticSeverity.Error),
      JSON.stringify(bad.map((d) => [d.range.start.line, d.message])),
    );
    assert.deepEqual(await problems(['mnist.batch-tuner.yaml']), []);
  });
});
