// The extension activates in a real VS Code, registers every command it contributes, and
// keeps TensorFlow.js out of the extension host (training lives in a child process).
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { extensionUnderTest } from './extensionUnderTest';
import { testLog } from './log';

const OPEN_PANEL_COMMAND = 'batchTuner.openPanel';
/** Generous: this 2-core test machine is shared and noisy. */
const ACTIVATION_BUDGET_MS = 1500;

interface ContributedCommand {
  command: string;
  title: string;
}

function contributedCommands(ext: vscode.Extension<unknown>): ContributedCommand[] {
  const manifest = ext.packageJSON as { contributes?: { commands?: ContributedCommand[] } };
  return manifest.contributes?.commands ?? [];
}

/** Modules of TensorFlow.js this extension host has loaded with require(). */
function loadedTensorFlowModules(): string[] {
  return Object.keys(require.cache).filter((path) => /tfjs|@tensorflow/i.test(path));
}

/**
 * Signatures of bundled TensorFlow.js code (survive minification): its kernel registry's
 * error text, its engine's flag registry, and the module paths esbuild writes as comments.
 */
const TFJS_CODE_SIGNATURES = [
  /node_modules\/@tensorflow\//,
  /not registered for backend/,
  /Kernel '\$\{\w+\}' not registered/,
  /tfjs-core/,
  /registerKernel/,
  /WEBGL_VERSION|WASM_HAS_SIMD_SUPPORT/,
];

suite('Activation', () => {
  test('activates and registers every contributed command', async () => {
    const ext = extensionUnderTest();
    const wasActive = ext.isActive;
    const started = performance.now();
    await ext.activate();
    const activationMs = performance.now() - started;
    assert.equal(ext.isActive, true, 'the extension did not become active');
    // activate() measures itself (src/vscode/api.ts); the await above includes VS Code's own work.
    const reported = (ext.exports as { activationMs?: unknown } | undefined)?.activationMs;
    assert.equal(typeof reported, 'number', 'activate() should return { activationMs } (src/vscode/api.ts)');
    testLog(
      `    activation: activate() took ${(reported as number).toFixed(1)} ms` +
        (wasActive ? ' (already active when the suite started)' : `; ext.activate() ${activationMs.toFixed(0)} ms`) +
        `; extension at ${ext.extensionPath}`,
    );
    // A budget that catches heavy work at activation (loading TensorFlow.js alone takes seconds here).
    assert.ok(
      (reported as number) < ACTIVATION_BUDGET_MS,
      `activate() took ${reported} ms, over the ${ACTIVATION_BUDGET_MS} ms budget: defer heavy imports to first use`,
    );

    const contributed = contributedCommands(ext);
    assert.ok(contributed.length > 0, 'package.json contributes no commands');
    const registered = new Set(await vscode.commands.getCommands(true));
    const missing = contributed.map((c) => c.command).filter((id) => !registered.has(id));
    assert.deepEqual(missing, [], `contributed in package.json but not registered by activate(): ${missing.join(', ')}`);
    assert.ok(
      contributed.some((c) => c.command === OPEN_PANEL_COMMAND),
      `${OPEN_PANEL_COMMAND} is not contributed`,
    );
  });

  test('the test API exists only in ExtensionMode.Test: absent from the extension installed from its VSIX', async () => {
    const ext = extensionUnderTest();
    await ext.activate();
    const exports = ext.exports as Record<string, unknown>;
    if (process.env.BATCH_TUNER_TEST_INSTALLED === '1') {
      // scripts/check-vsix.mjs: the installed copy runs as a user gets it (ExtensionMode.Production).
      assert.equal(exports.test, undefined, 'the installed extension exposes its test hooks (setTrustOverride, ...)');
      assert.deepEqual(Object.keys(exports).sort(), ['activationMs', 'isStudyRunning']);
      testLog('    installed VSIX: exports are activationMs and isStudyRunning only (no test API)');
    } else {
      const test = exports.test as Record<string, unknown> | undefined;
      assert.equal(typeof test?.setTrustOverride, 'function', 'the extension under test (ExtensionMode.Test) has no test API');
    }
  });

  test('the main launch opens a trusted workspace', () => {
    assert.equal(vscode.workspace.isTrusted, true, 'the trusted launch opened the workspace in Restricted Mode');
    assert.ok(vscode.workspace.workspaceFolders?.length, 'no workspace folder is open');
  });

  test('the extension host never loads TensorFlow.js, even with the panel open', async () => {
    await extensionUnderTest().activate();
    assert.deepEqual(loadedTensorFlowModules(), [], 'TensorFlow.js was required by the extension host after activation');

    await vscode.commands.executeCommand(OPEN_PANEL_COMMAND);
    // The panel's webview posts back to the extension host once loaded; give it that time.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    assert.deepEqual(loadedTensorFlowModules(), [], 'TensorFlow.js was required by the extension host after opening the panel');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  test('dist/extension.js contains no TensorFlow.js code', () => {
    const bundlePath = join(extensionUnderTest().extensionPath, 'dist', 'extension.js');
    const bundle = readFileSync(bundlePath, 'utf8');
    const found = TFJS_CODE_SIGNATURES.filter((signature) => signature.test(bundle)).map(String);
    assert.deepEqual(found, [], `${bundlePath} bundles TensorFlow.js code (matched ${found.join(', ')}): import it only from src/trainer/`);
    // A canary that the check reads the real bundle: activate() is exported from it.
    assert.match(bundle, /activate/);
  });
});

suite('Activation [untrusted]', () => {
  test('the untrusted launch opens the workspace in Restricted Mode', () => {
    assert.equal(vscode.workspace.isTrusted, false, 'the untrusted launch opened a trusted workspace');
    assert.ok(vscode.workspace.workspaceFolders?.length, 'no workspace folder is open');
  });

  test('activates in Restricted Mode and registers every contributed command', async () => {
    const ext = extensionUnderTest();
    await ext.activate();
    assert.equal(ext.isActive, true);
    const registered = new Set(await vscode.commands.getCommands(true));
    const missing = contributedCommands(ext)
      .map((c) => c.command)
      .filter((id) => !registered.has(id));
    assert.deepEqual(missing, [], `not registered in Restricted Mode: ${missing.join(', ')}`);
  });
});
