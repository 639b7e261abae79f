// The tuner panel: a strict CSP with a nonce, no remote content, and every message from the
// webview validated (invalid ones are rejected, never acted on).
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { batchTunerApi, workspaceFile } from './fixtures';

suite('Tuner panel', () => {
  suiteTeardown(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  test('opens with a strict Content Security Policy and a nonce on its only script', async () => {
    const api = await batchTunerApi();
    await vscode.commands.executeCommand('batchTuner.openPanel', workspaceFile('mnist.batch-tuner.yaml'));
    const html = api.test.panelHtml();
    assert.ok(html, 'the panel did not open');
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)?.[1];
    assert.ok(csp, 'no CSP meta tag');
    assert.match(csp, /default-src 'none'/);
    const nonce = /script-src 'nonce-([A-Za-z0-9_-]{16,})'/.exec(csp)?.[1];
    assert.ok(nonce, `script-src has no nonce: ${csp}`);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*(?!\.)/, `CSP allows too much: ${csp}`);
    const scripts = [...html.matchAll(/<script\b([^>]*)>/g)].map((m) => m[1]);
    assert.equal(scripts.length, 1);
    assert.match(scripts[0], new RegExp(`nonce="${nonce}"`));
    assert.match(scripts[0], /type="module"/);
    assert.match(scripts[0], /panel\.js"/);
  });

  test('loads nothing remote: every URL is a webview resource of the extension', async () => {
    const api = await batchTunerApi();
    const html = api.test.panelHtml() ?? '';
    const urls = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
    assert.ok(urls.length >= 2, 'expected the script and stylesheet');
    for (const url of urls) {
      assert.match(url, /vscode-resource|vscode-cdn|vscode-webview/, `not a webview resource: ${url}`);
      assert.match(decodeURIComponent(url), /\/dist\/webview\/(panel\.js|panel\.css)/, `outside dist/webview: ${url}`);
    }
  });

  test('a new nonce each time the HTML is built', async () => {
    const api = await batchTunerApi();
    const first = /nonce-([^']+)'/.exec(api.test.panelHtml() ?? '')?.[1];
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.commands.executeCommand('batchTuner.openPanel', workspaceFile('configs', 'trainer.jsonc'));
    const second = /nonce-([^']+)'/.exec(api.test.panelHtml() ?? '')?.[1];
    assert.ok(first && second);
    assert.notEqual(first, second);
  });

  test('invalid messages from the webview are rejected and counted; valid ones accepted', async () => {
    const api = await batchTunerApi();
    await vscode.commands.executeCommand('batchTuner.openPanel', workspaceFile('mnist.batch-tuner.yaml'));
    const before = api.test.rejectedPanelMessages();
    const invalid: unknown[] = [
      'start',
      null,
      { type: 'ready' },
      { v: 2, type: 'ready' },
      { v: 1, type: 'deleteEverything' },
      { v: 1, type: 'apply', batchSize: -1 },
      { v: 1, type: 'trainOnce', batchSize: 1.5 },
      { v: 1, type: 'start', settings: { batchSize: 32, minBatchSize: 64, maxBatchSize: 16, memoryLimitBytes: 1e9, budgetSeconds: 10, lrRule: 'sqrt' } },
    ];
    for (const message of invalid) {
      const outcome = await api.test.postFromPanel(message);
      assert.equal(outcome.accepted, false, `accepted ${JSON.stringify(message)}`);
      assert.ok(outcome.error, 'no reason given');
    }
    assert.equal(api.test.rejectedPanelMessages() - before, invalid.length);
    const ok = await api.test.postFromPanel({
      v: 1,
      type: 'settingsChanged',
      settings: { batchSize: 32, minBatchSize: 16, maxBatchSize: 256, memoryLimitBytes: 2e9, budgetSeconds: 30, lrRule: 'sqrt' },
    });
    assert.deepEqual(ok, { accepted: true });
    assert.deepEqual(await api.test.postFromPanel({ v: 1, type: 'ready' }), { accepted: true });
    assert.equal(api.test.rejectedPanelMessages() - before, invalid.length);
  });

  test("PanelInit carries the config's values: ours (schema) and a user's own (found keys)", async () => {
    const api = await batchTunerApi();
    await vscode.commands.executeCommand('batchTuner.openPanel', workspaceFile('mnist.batch-tuner.yaml'));
    const ours = await api.test.panelInit();
    assert.equal(ours.configLabel, 'mnist.batch-tuner.yaml');
    assert.equal(ours.currentBatchSize, 32);
    assert.equal(ours.currentLearningRate, 0.001);
    assert.equal(ours.datasetSize, 2000, 'mnist train_samples of the fixture');
    assert.equal(ours.settings.batchSize, 32);
    assert.equal(ours.settings.lrRule, 'sqrt', 'Adam defaults to the square-root rule');
    assert.ok(ours.totalMemoryBytes > 0 && ours.settings.memoryLimitBytes <= ours.totalMemoryBytes);
    assert.equal(ours.trusted, true);
    await vscode.commands.executeCommand('batchTuner.openPanel', workspaceFile('apply-target.jsonc'));
    const theirs = await api.test.panelInit();
    assert.equal(theirs.currentBatchSize, 8);
    assert.equal(theirs.currentLearningRate, 0.02, 'the lr key next to the batch size');
    assert.equal(theirs.settings.batchSize, 8);
    await vscode.commands.executeCommand('batchTuner.openPanel', workspaceFile('configs', 'trainer.jsonc'));
    const nested = await api.test.panelInit();
    assert.equal(nested.currentBatchSize, 48);
    assert.equal(nested.currentLearningRate, undefined, "trainer.learning_rate is not in the batch size's mapping");
    // Nothing says how much data it has: the resolver's one default, labelled as such (no longer 65,536 or 8,000).
    assert.equal(nested.datasetSize, 1_000_000);
    assert.equal(nested.provenance?.datasetSize, 'default');
  });

  test("PanelInit comes from the resolver: examples/pytorch-mnist gets lr rule sqrt (Adam assumed), the config's tuner values, and says which is which", async () => {
    const api = await batchTunerApi();
    await vscode.commands.executeCommand('batchTuner.openPanel', workspaceFile('examples', 'pytorch-mnist', 'config.yaml'));
    const init = await api.test.panelInit();
    assert.equal(init.currentBatchSize, 32);
    assert.equal(init.currentLearningRate, 0.001);
    assert.equal(init.datasetSize, 8000, 'train_samples of the example');
    assert.equal(init.settings.lrRule, 'sqrt', 'the CLI picks sqrt for this config; so must the panel');
    assert.equal(init.settings.minBatchSize, 8);
    assert.equal(init.settings.maxBatchSize, 512);
    assert.equal(init.settings.budgetSeconds, 60);
    assert.equal(init.settings.memoryLimitBytes, Math.floor((init.totalMemoryBytes * 80) / 100), 'the default memory limit: 80% of physical memory');
    assert.deepEqual(init.provenance, {
      batchSize: 'config',
      minBatchSize: 'config',
      maxBatchSize: 'config',
      budgetSeconds: 'config',
      memoryLimitBytes: 'default',
      lrRule: 'default',
      datasetSize: 'config',
    });
  });

  test("PanelInit provenance: our own config's values are the config's, the rest defaults; a value moved in the panel becomes the panel's", async () => {
    const api = await batchTunerApi();
    await vscode.commands.executeCommand('batchTuner.openPanel', workspaceFile('mnist.batch-tuner.yaml'));
    const init = await api.test.panelInit();
    assert.equal(init.provenance?.batchSize, 'config');
    assert.equal(init.provenance?.budgetSeconds, 'default');
    assert.equal(init.settings.budgetSeconds, 120);
    assert.equal(init.provenance?.lrRule, 'default');
    const moved = { ...init.settings, budgetSeconds: 45 };
    assert.deepEqual(await api.test.postFromPanel({ v: 1, type: 'settingsChanged', settings: moved }), { accepted: true });
    const after = await api.test.panelInit();
    assert.equal(after.settings.budgetSeconds, 45);
    assert.equal(after.provenance?.budgetSeconds, 'panel');
    assert.equal(after.provenance?.lrRule, 'default');
  });

  test('a setting the person set in VS Code is the editor layer; the config file wins over it', async () => {
    const api = await batchTunerApi();
    const settings = vscode.workspace.getConfiguration('batchTuner');
    await settings.update('defaultBudgetSeconds', 77, vscode.ConfigurationTarget.Workspace);
    await settings.update('lrRule', 'linear', vscode.ConfigurationTarget.Workspace);
    try {
      await vscode.commands.executeCommand('batchTuner.openPanel', workspaceFile('apply-target.batch-tuner.yaml'));
      const ours = await api.test.panelInit();
      assert.equal(ours.settings.budgetSeconds, 77);
      assert.equal(ours.provenance?.budgetSeconds, 'editor');
      assert.equal(ours.settings.lrRule, 'linear');
      assert.equal(ours.provenance?.lrRule, 'editor');
      await vscode.commands.executeCommand('batchTuner.openPanel', workspaceFile('examples', 'pytorch-mnist', 'config.yaml'));
      const example = await api.test.panelInit();
      assert.equal(example.settings.budgetSeconds, 60, 'tuner.budget_seconds in the config beats batchTuner.defaultBudgetSeconds');
      assert.equal(example.provenance?.budgetSeconds, 'config');
    } finally {
      await settings.update('defaultBudgetSeconds', undefined, vscode.ConfigurationTarget.Workspace);
      await settings.update('lrRule', undefined, vscode.ConfigurationTarget.Workspace);
    }
  });

  test('a training run streams every step to the panel in at most ~20 messages a second', async function () {
    this.timeout(120_000);
    const api = await batchTunerApi();
    const uri = workspaceFile('mnist.batch-tuner.yaml');
    await vscode.commands.executeCommand('batchTuner.openPanel', uri);
    const before = api.test.panelMetricsSent().length;
    const result = await vscode.commands.executeCommand<{ status: string; reason?: string }>('batchTuner.train', uri, 8, { steps: 150, notify: false });
    assert.equal(result?.status, 'completed', result?.reason);
    const sent = api.test.panelMetricsSent().slice(before);
    const steps = sent.reduce((n, m) => n + m.steps, 0);
    assert.equal(steps, 150, 'every step reaches the panel exactly once');
    assert.ok(sent.length < steps, `no batching: ${sent.length} messages for ${steps} steps`);
    let worst = 0;
    for (const m of sent) worst = Math.max(worst, sent.filter((x) => x.sentAt >= m.sentAt && x.sentAt < m.sentAt + 1000).length);
    assert.ok(worst <= 21, `${worst} metric messages within one second`);
  });

  test('an apply message from the panel edits the config (validated first)', async () => {
    const api = await batchTunerApi();
    const uri = workspaceFile('apply-target.jsonc');
    await vscode.commands.executeCommand('batchTuner.openPanel', uri);
    const doc = await vscode.workspace.openTextDocument(uri);
    const original = doc.getText();
    assert.deepEqual(await api.test.postFromPanel({ v: 1, type: 'apply', batchSize: 24 }), { accepted: true });
    assert.equal(doc.getText(), original.replace('"batch_size": 8,', '"batch_size": 24,'));
    const editor = await vscode.window.showTextDocument(doc);
    await vscode.commands.executeCommand('undo');
    assert.equal(editor.document.getText(), original);
  });
});
