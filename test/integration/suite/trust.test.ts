// Workspace Trust: training runs code, so an untrusted workspace refuses Tune and Train with a
// message that says why and what to do, while configs, CodeLens and studies stay available.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { batchTunerApi, batchTunerLenses, codeLensesOf, workspaceFile } from './fixtures';

interface Refusal {
  status: string;
  reason?: string;
}

async function assertRefused(command: string, ...args: unknown[]) {
  const result = await vscode.commands.executeCommand<Refusal>(command, ...args);
  assert.equal(result?.status, 'untrusted', `${command} was not refused: ${JSON.stringify(result)}`);
  assert.match(result.reason ?? '', /untrusted workspace/);
  assert.match(result.reason ?? '', /Trust this folder/);
}

suite('Workspace Trust (simulated through the test hook)', () => {
  teardown(async () => {
    (await batchTunerApi()).test.setTrustOverride(undefined);
  });

  test('Tune and Train refuse in an untrusted workspace, and run nothing', async () => {
    const api = await batchTunerApi();
    api.test.setTrustOverride(false);
    const uri = workspaceFile('mnist.batch-tuner.yaml');
    await assertRefused('batchTuner.tune', uri, { notify: false });
    await assertRefused('batchTuner.train', uri, 16, { notify: false });
    assert.equal(api.isStudyRunning(), false);
  });

  test('the panel\'s Start is refused too (the panel is told why)', async () => {
    const api = await batchTunerApi();
    api.test.setTrustOverride(false);
    await vscode.commands.executeCommand('batchTuner.openPanel', workspaceFile('mnist.batch-tuner.yaml'));
    const outcome = await api.test.postFromPanel({ v: 1, type: 'trainOnce', batchSize: 16, steps: 5 });
    assert.deepEqual(outcome, { accepted: true });
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(api.isStudyRunning(), false);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  test('CodeLens still shows in an untrusted workspace (limited support)', async () => {
    const api = await batchTunerApi();
    api.test.setTrustOverride(false);
    assert.equal(batchTunerLenses(await codeLensesOf(workspaceFile('mnist.batch-tuner.yaml'))).filter((l) => l.command === 'batchTuner.tune').length, 1);
  });
});

suite('Workspace Trust [untrusted]', () => {
  test('Restricted Mode: Tune and Train refuse with the message', async () => {
    assert.equal(vscode.workspace.isTrusted, false);
    const api = await batchTunerApi();
    const uri = workspaceFile('mnist.batch-tuner.yaml');
    await assertRefused('batchTuner.tune', uri, { notify: false });
    await assertRefused('batchTuner.train', uri, 16, { notify: false });
    assert.equal(api.isStudyRunning(), false);
  });

  test('Restricted Mode: CodeLens and the panel still work', async () => {
    const api = await batchTunerApi();
    assert.equal(batchTunerLenses(await codeLensesOf(workspaceFile('mnist.batch-tuner.yaml'))).filter((l) => l.command === 'batchTuner.tune').length, 1);
    await vscode.commands.executeCommand('batchTuner.openPanel', workspaceFile('mnist.batch-tuner.yaml'));
    assert.ok(api.test.panelHtml());
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });
});
