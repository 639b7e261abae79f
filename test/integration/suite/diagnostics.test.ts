// A training config with a wrong value shows a diagnostic in the Problems view, at the value,
// with a message that says what is wrong; fixing the value clears it.
// Fixtures: test/fixtures/workspace/bad-config.{yaml,json} (copied into the test workspace).
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { activatedExtension } from './extensionUnderTest';

async function waitForDiagnostics(
  uri: vscode.Uri,
  done: (diagnostics: readonly vscode.Diagnostic[]) => boolean,
  what: string,
  timeoutMs = 20_000,
): Promise<readonly vscode.Diagnostic[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const diagnostics = vscode.languages.getDiagnostics(uri);
    if (done(diagnostics)) return diagnostics;
    if (Date.now() > deadline) {
      const seen = diagnostics.map((d) => `${d.range.start.line + 1}:${d.range.start.character + 1} ${d.message}`).join('; ') || 'none';
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what} on ${uri.fsPath}; diagnostics: ${seen}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function ours(diagnostics: readonly vscode.Diagnostic[]): vscode.Diagnostic[] {
  return diagnostics.filter((d) => d.source === 'Batch Tuner');
}

function workspaceFile(name: string): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'no workspace folder is open');
  return vscode.Uri.joinPath(folder.uri, name);
}

suite('Diagnostics', () => {
  suiteSetup(async () => {
    await activatedExtension();
  });
  teardown(async () => {
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });

  test('a YAML config with batch_size: "abc" gets an error at the value', async () => {
    const uri = workspaceFile('bad-config.yaml');
    const document = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(document);
    const [diagnostic, ...others] = ours(await waitForDiagnostics(uri, (d) => ours(d).length > 0, 'a Batch Tuner diagnostic'));
    assert.equal(others.length, 0, `expected one diagnostic, got ${others.length + 1}: ${[diagnostic, ...others].map((d) => d.message).join(' | ')}`);
    assert.equal(diagnostic.severity, vscode.DiagnosticSeverity.Error);
    // Line 10 of the fixture is `batch_size: "abc"`: the value's quote is at column 13, `abc` at 14.
    assert.equal(diagnostic.range.start.line, 9, `expected line 10, got ${diagnostic.range.start.line + 1}`);
    assert.ok(
      [12, 13].includes(diagnostic.range.start.character),
      `expected the range to start at the value (column 13 or 14), got column ${diagnostic.range.start.character + 1}`,
    );
    assert.equal(document.getText(diagnostic.range).replace(/"/g, ''), 'abc', 'the range should cover the wrong value');
    assert.match(diagnostic.message, /batch_size/, 'the message should name the key');
    assert.match(diagnostic.message, /integer/i, 'the message should say what is expected');
  });

  test('fixing the value clears the diagnostic', async () => {
    const uri = workspaceFile('bad-config.yaml');
    const document = await vscode.workspace.openTextDocument(uri);
    const editor = await vscode.window.showTextDocument(document);
    await waitForDiagnostics(uri, (d) => ours(d).length > 0, 'the initial diagnostic');
    const line = document.lineAt(9);
    const valueStart = line.text.indexOf('"abc"');
    assert.ok(valueStart > 0, `fixture line 10 changed: "${line.text}"`);
    const replaced = await editor.edit((edit) => edit.replace(new vscode.Range(9, valueStart, 9, valueStart + 5), '64'));
    assert.ok(replaced);
    await waitForDiagnostics(uri, (d) => ours(d).length === 0, 'the diagnostic to clear after the fix');
  });

  test('a JSON config with batch_size: -3 gets an error at the value', async () => {
    const uri = workspaceFile('bad-config.json');
    const document = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(document);
    const found = ours(await waitForDiagnostics(uri, (d) => ours(d).length > 0, 'a Batch Tuner diagnostic'));
    const diagnostic = found.find((d) => d.range.start.line === 4);
    assert.ok(diagnostic, `expected a diagnostic on line 5, got: ${found.map((d) => `${d.range.start.line + 1}: ${d.message}`).join('; ')}`);
    assert.equal(document.getText(diagnostic.range), '-3', 'the range should cover the wrong value');
    assert.match(diagnostic.message, /batch_size/);
    assert.match(diagnostic.message, />= ?1|at least 1|minimum|positive/i, 'the message should say the allowed range');
  });
});
