// The extension these tests exercise, as VS Code knows it.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';

/** publisher.name from package.json. */
export const EXTENSION_ID = 'batch-tuner.batch-tuner';

/** The extension, failing the test with a clear message when VS Code did not load it. */
export function extensionUnderTest(): vscode.Extension<unknown> {
  const ext = vscode.extensions.getExtension(EXTENSION_ID);
  assert.ok(ext, `Extension ${EXTENSION_ID} is not installed in this VS Code: check package.json publisher/name and the runner's extensionDevelopmentPath.`);
  return ext;
}

/** Activates the extension and returns it. */
export async function activatedExtension(): Promise<vscode.Extension<unknown>> {
  const ext = extensionUnderTest();
  await ext.activate();
  return ext;
}
