// Workspace Trust: training runs code, so an untrusted workspace refuses Tune and Train with a
// message that says why and what to do, while configs, CodeLens and studies stay available.
import * as assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import * as vscode from 'vscode';
import { batchTunerApi, batchTunerLenses, codeLensesOf, workspaceFile } from './fixtures';
import { testLog } from './log';

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

  test("the panel's Start is refused too (the panel is told why)", async () => {
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

/** Every process below `root` now (from /proc: pid -> `comm: command line`). */
function descendants(root: number): Map<number, string> {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // Fields after the command name, which is in parentheses and may hold spaces: state, ppid, ...
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(name)]);
    } catch {
      // the process ended while we looked
    }
  }
  const out = new Map<number, string>();
  const queue = [...(children.get(root) ?? [])];
  while (queue.length) {
    const pid = queue.shift()!;
    let what = '';
    try {
      // comm too: a process that already exited (a zombie) has an empty command line.
      what = `${readFileSync(`/proc/${pid}/comm`, 'utf8').trim()}: ${readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim()}`;
    } catch {
      // gone
    }
    out.set(pid, what);
    queue.push(...(children.get(pid) ?? []));
  }
  return out;
}

suite('Restricted Mode with a workspace that names commands [untrusted]', () => {
  test('Tune, Train and the panel refuse; no child process of ours appears; the marker command never runs', async function () {
    this.timeout(60_000);
    assert.equal(vscode.workspace.isTrusted, false);
    const marker = process.env.BATCH_TUNER_TEST_MARKER;
    assert.ok(marker, 'the untrusted launch sets BATCH_TUNER_TEST_MARKER (test/integration/run-code-server.mjs)');
    const settingsFile = readFileSync(workspaceFile('.vscode', 'settings.json').fsPath, 'utf8');
    assert.ok(
      settingsFile.includes(marker) && settingsFile.includes('batchTuner.pythonPath'),
      'the workspace settings name the marker command and interpreter',
    );
    const api = await batchTunerApi();
    const configs = [
      workspaceFile('mnist.batch-tuner.yaml'),
      workspaceFile('lightning.yaml'),
      workspaceFile('configs', 'ds_config.json'),
      workspaceFile('own-script', 'config.yaml'),
    ];
    // Open them first: language servers of VS Code's own extensions start now, not during the check.
    for (const uri of configs) await vscode.workspace.openTextDocument(uri);
    await new Promise((r) => setTimeout(r, 2000));
    const before = descendants(process.pid);
    const seen = new Map<number, string>();
    const sampler = setInterval(() => descendants(process.pid).forEach((cmd, pid) => before.has(pid) || seen.set(pid, cmd)), 20);
    try {
      for (const uri of configs) {
        await assertRefused('batchTuner.tune', uri, { notify: false });
        await assertRefused('batchTuner.train', uri, 8, { notify: false, steps: 3 });
        await vscode.commands.executeCommand('batchTuner.openPanel', uri);
        assert.deepEqual(await api.test.postFromPanel({ v: 1, type: 'trainOnce', batchSize: 8, steps: 3 }), { accepted: true });
        const settings = (await api.test.panelInit()).settings;
        assert.deepEqual(await api.test.postFromPanel({ v: 1, type: 'start', settings }), { accepted: true });
      }
      await new Promise((r) => setTimeout(r, 2000));
    } finally {
      clearInterval(sampler);
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    }
    assert.equal(api.isStudyRunning(), false);
    // The extension host runs helpers of its own (the remote port finder's ps, ls /proc, grep): what a trial
    // would start is the trainer (dist/trainer.js), the configured interpreter or command, or a training script.
    // VS Code's own tools (its ripgrep searching the workspace, file watchers) run from its install folder,
    // whose path may contain "batch-tuner" (our cache): not ours.
    const trialLike = /trainer\.js|marker|touch|train\.py|noisy_quadratic|python|batch-tuner/i;
    const vscodeOwn = /^\S+: \S*\/(code-server-[^/]+|vscode)\/\S*\/(rg|watcher)(\s|$)/;
    const ours = [...seen].filter(([, cmd]) => trialLike.test(cmd) && !vscodeOwn.test(cmd));
    testLog(
      `    processes the extension host started meanwhile: ${seen.size} (${[...seen.values()].map((c) => c.slice(0, 60)).join('; ') || 'none'}); trial-like: ${ours.length}`,
    );
    assert.deepEqual(ours, [], 'a trial-like process started from the extension host in Restricted Mode');
    assert.equal(existsSync(marker), false, 'the marker command ran');
  });
});
