// Every command runs: with arguments (no prompts), and bare from the palette where it must
// handle the missing context without throwing (its QuickPick is dismissed).
import * as assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { extensionUnderTest } from './extensionUnderTest';
import { batchTunerApi, waitFor, workspaceFile } from './fixtures';
import { testLog } from './log';

/**
 * Runs a command that shows a QuickPick and dismisses the pick (again and again, since a prompt
 * may appear only after the command has searched the workspace) until the command returns.
 */
async function runDismissingPrompt<T>(command: string, ...args: unknown[]): Promise<T | undefined> {
  let settled = false;
  const pending = Promise.resolve(vscode.commands.executeCommand<T>(command, ...args)).finally(() => (settled = true));
  const deadline = Date.now() + 20_000;
  while (!settled && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 500));
    await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
  }
  assert.ok(settled, `${command} did not return after its prompt was dismissed`);
  return pending;
}

suite('Commands', () => {
  suiteSetup(async () => {
    const api = await batchTunerApi();
    testLog(`    activation (measured inside activate()): ${api.activationMs.toFixed(1)} ms`);
  });

  suiteTeardown(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  test('activation is fast (< 50 ms inside activate())', async () => {
    const api = await batchTunerApi();
    assert.ok(api.activationMs < 50, `activate() took ${api.activationMs.toFixed(1)} ms`);
  });

  test('every contributed command has the Batch Tuner category and is registered', async () => {
    const manifest = extensionUnderTest().packageJSON as { contributes: { commands: Array<{ command: string; category?: string }> } };
    const registered = new Set(await vscode.commands.getCommands(true));
    for (const c of manifest.contributes.commands) {
      assert.equal(c.category, 'Batch Tuner', `${c.command} has no category`);
      assert.ok(registered.has(c.command), `${c.command} is not registered`);
    }
  });

  test('Stop when nothing runs says so and does not throw', async () => {
    assert.deepEqual(await vscode.commands.executeCommand('batchTuner.stop'), { stopped: false });
  });

  test('Show Output', async () => {
    assert.deepEqual(await vscode.commands.executeCommand('batchTuner.showOutput'), { shown: true });
  });

  test('Open Tuner Panel for a config', async () => {
    const api = await batchTunerApi();
    const uri = workspaceFile('mnist.batch-tuner.yaml');
    const result = await vscode.commands.executeCommand<{ opened: boolean; config?: string }>('batchTuner.openPanel', uri);
    assert.deepEqual(result, { opened: true, config: uri.fsPath });
    assert.equal(api.test.panelConfig()?.fsPath, uri.fsPath);
    assert.ok(api.test.panelHtml());
  });

  test("Open the MNIST Example (the walkthrough's first step) opens examples/mnist-mlp.yaml", async () => {
    const result = await vscode.commands.executeCommand<{ opened: string }>('batchTuner.openExample');
    assert.ok(result?.opened.endsWith(path.join('examples', 'mnist-mlp.yaml')), `opened ${result?.opened}`);
    assert.equal(vscode.window.activeTextEditor?.document.uri.fsPath, result?.opened);
  });

  test('Refresh Configs', async () => {
    assert.deepEqual(await vscode.commands.executeCommand('batchTuner.refreshConfigs'), { refreshed: true });
  });

  test('Train with Batch Size… runs one real trial in a child process', async function () {
    this.timeout(180_000);
    const uri = workspaceFile('mnist.batch-tuner.yaml');
    const result = await vscode.commands.executeCommand<{
      status: string;
      reason?: string;
      trial?: { batchSize: number; status: string; samplesPerSecond?: number; finalLoss?: number };
    }>('batchTuner.train', uri, 16, { steps: 20, notify: false });
    assert.equal(result?.status, 'completed', `training failed: ${result?.reason ?? ''}`);
    assert.equal(result.trial?.batchSize, 16);
    assert.equal(result.trial?.status, 'ok');
    assert.ok((result.trial?.samplesPerSecond ?? 0) > 0, 'no throughput was measured');
    assert.ok(Number.isFinite(result.trial?.finalLoss), 'no loss was reported');
    testLog(`    train: batch 16, ${result.trial?.samplesPerSecond?.toFixed(0)} samples/s, final loss ${result.trial?.finalLoss?.toFixed(3)}`);
  });

  test('Stop ends a running training run', async function () {
    this.timeout(120_000);
    const api = await batchTunerApi();
    const uri = workspaceFile('mnist.batch-tuner.yaml');
    const pending = Promise.resolve(vscode.commands.executeCommand<{ status: string }>('batchTuner.train', uri, 8, { steps: 100_000, notify: false }));
    await waitFor('the run to start', () => api.isStudyRunning(), 30_000);
    await new Promise((r) => setTimeout(r, 1500));
    assert.deepEqual(await vscode.commands.executeCommand('batchTuner.stop'), { stopped: true });
    const result = await pending;
    assert.equal(result?.status, 'stopped');
    assert.equal(api.isStudyRunning(), false);
  });

  test("a user's own config trains through its command from batchTuner.commands (issue 5)", async function () {
    this.timeout(120_000);
    const settings = vscode.workspace.getConfiguration('batchTuner');
    await settings.update(
      'commands',
      { '**/configs/ds_config.json': '${python} ${workspaceFolder}/scripts/noisy_quadratic.py' },
      vscode.ConfigurationTarget.Workspace,
    );
    try {
      const result = await vscode.commands.executeCommand<{
        status: string;
        reason?: string;
        trial?: { batchSize: number; status: string; samplesPerSecond?: number; finalLoss?: number };
      }>('batchTuner.train', workspaceFile('configs', 'ds_config.json'), 48, { steps: 30, notify: false });
      assert.equal(result?.status, 'completed', `the external run failed: ${result?.reason ?? ''}`);
      assert.equal(result.trial?.batchSize, 48);
      assert.equal(result.trial?.status, 'ok');
      assert.ok((result.trial?.samplesPerSecond ?? 0) > 0, 'no throughput was measured');
      assert.ok(Number.isFinite(result.trial?.finalLoss), 'no loss was reported');
    } finally {
      await settings.update('commands', undefined, vscode.ConfigurationTarget.Workspace);
    }
  });

  test("a user's own config without a command asks for one; dismissing the prompt ends with what to add", async () => {
    // The prompt is a real input box here (commandPrompt.test.ts answers it): Esc.
    const result = await runDismissingPrompt<{ status: string; reason?: string }>('batchTuner.train', workspaceFile('configs', 'ds_config.json'), 16, {
      notify: false,
    });
    assert.equal(result?.status, 'invalid-config');
    assert.match(result?.reason ?? '', /not a Batch Tuner training config and has no training command.*batchTuner\.commands/);
  });

  test('Train with an invalid batch size is refused', async () => {
    const result = await vscode.commands.executeCommand<{ status: string; reason?: string }>('batchTuner.train', workspaceFile('mnist.batch-tuner.yaml'), 0, {
      notify: false,
    });
    assert.equal(result?.status, 'invalid-config');
    assert.match(result?.reason ?? '', /positive integer/);
  });

  test('a bad value in the settings is an error naming the setting (it used to fall back to 80% of RAM silently)', async () => {
    const settings = vscode.workspace.getConfiguration('batchTuner');
    await settings.update('memoryLimit', 'lots', vscode.ConfigurationTarget.Workspace);
    try {
      const result = await vscode.commands.executeCommand<{ status: string; reason?: string }>('batchTuner.tune', workspaceFile('mnist.batch-tuner.yaml'), {
        notify: false,
      });
      assert.equal(result?.status, 'invalid-config');
      assert.match(result?.reason ?? '', /setting batchTuner\.memoryLimit: memory size "lots" is not understood/);
    } finally {
      await settings.update('memoryLimit', undefined, vscode.ConfigurationTarget.Workspace);
    }
  });

  test('Tune on a config with an error is refused with file:line:col', async () => {
    const result = await vscode.commands.executeCommand<{ status: string; reason?: string }>('batchTuner.tune', workspaceFile('bad-config.yaml'), {
      notify: false,
    });
    assert.equal(result?.status, 'invalid-config');
    assert.match(result?.reason ?? '', /bad-config\.yaml:\d+:\d+: .*batch_size/);
  });

  test('Export Study Report and Open Study… on a stored study', async function () {
    this.timeout(60_000);
    const dir = workspaceFile('.batch-tuner').fsPath;
    const studies = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.jsonl')) : [];
    assert.ok(studies.length > 0, `no stored study in ${dir}: the CodeLens suite's real study should have written one`);
    const studyFile = path.join(dir, studies[0]);
    const out = path.join(os.tmpdir(), `batch-tuner-report-${Date.now()}.html`);
    const exported = await vscode.commands.executeCommand<{ file?: string; error?: string }>('batchTuner.exportReport', undefined, { studyFile, file: out });
    assert.equal(exported?.file, out, exported?.error);
    const report = readFileSync(out, 'utf8');
    assert.match(report, /<h1>Batch Tuner study — [\w.-]+\.batch-tuner\.yaml<\/h1>/);
    assert.match(report, /<script>/, 'the report should carry its charts inline');
    const opened = await vscode.commands.executeCommand<{ opened: boolean; studyFile: string }>('batchTuner.openStudy', undefined, { studyFile });
    assert.deepEqual(opened, { opened: true, studyFile });
  });

  test('bare from the palette: Tune, Train, Apply, Export and Open Study prompt and cancel cleanly', async function () {
    this.timeout(60_000);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    for (const command of ['batchTuner.tune', 'batchTuner.train', 'batchTuner.applyRecommendation', 'batchTuner.exportReport', 'batchTuner.openStudy']) {
      const result = await runDismissingPrompt<unknown>(command);
      assert.ok(result === undefined || (typeof result === 'object' && result !== null), `${command} returned ${String(result)}`);
    }
  });
});
