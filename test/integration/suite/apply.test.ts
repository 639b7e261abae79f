// Apply writes the batch size (and learning rate) into the config as one undoable edit that
// keeps comments and formatting.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { batchTunerApi, workspaceFile } from './fixtures';

interface ApplyResult {
  applied: boolean;
  reason?: string;
}

async function applyAndUndo(segments: string[], args: { batchSize: number; learningRate?: number }, expected: (original: string) => string) {
  const uri = workspaceFile(...segments);
  const editor = await vscode.window.showTextDocument(uri, { preview: false });
  const original = editor.document.getText();
  const result = await vscode.commands.executeCommand<ApplyResult>('batchTuner.applyRecommendation', uri, args);
  assert.equal(result?.applied, true, `apply failed: ${result?.reason ?? 'no result'}`);
  assert.equal(editor.document.getText(), expected(original));
  assert.equal(editor.document.isDirty, true, 'the edit should stay unsaved (the person decides)');
  await vscode.window.showTextDocument(editor.document);
  await vscode.commands.executeCommand('undo');
  assert.equal(editor.document.getText(), original, 'one Undo did not restore the original text');
  await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
}

suite('Apply', () => {
  suiteSetup(async () => {
    await batchTunerApi();
  });

  test('YAML: batch size and learning rate change; comments and spacing stay; Undo restores', async () => {
    await applyAndUndo(['apply-target.batch-tuner.yaml'], { batchSize: 64, learningRate: 0.4 }, (original) =>
      original
        .replace('batch_size:   16   # tuned value goes here', 'batch_size:   64   # tuned value goes here')
        .replace('learning_rate:    0.1    # aligned comment', 'learning_rate:    0.4    # aligned comment'),
    );
  });

  test('JSONC: the nested batch size and the lr next to it change; comments and trailing commas stay', async () => {
    await applyAndUndo(['apply-target.jsonc'], { batchSize: 32, learningRate: 0.04 }, (original) =>
      original.replace('"batch_size": 8,  // per device', '"batch_size": 32,  // per device').replace('"lr": 0.02,', '"lr": 0.04,'),
    );
  });

  test('Python: the argparse default is the one written', async () => {
    await applyAndUndo(['scripts', 'train.py'], { batchSize: 128 }, (original) =>
      original.replace('parser.add_argument("--batch-size", type=int, default=32,', 'parser.add_argument("--batch-size", type=int, default=128,'),
    );
  });

  test('an invalid batch size is refused and nothing changes', async () => {
    const uri = workspaceFile('apply-target.batch-tuner.yaml');
    const doc = await vscode.workspace.openTextDocument(uri);
    const before = doc.getText();
    const result = await vscode.commands.executeCommand<ApplyResult>('batchTuner.applyRecommendation', uri, { batchSize: 0 });
    assert.equal(result?.applied, false);
    assert.match(result?.reason ?? '', /positive integer/);
    assert.equal(doc.getText(), before);
  });

  test('applying the value already there reports it and makes no edit', async () => {
    const uri = workspaceFile('apply-target.batch-tuner.yaml');
    const doc = await vscode.workspace.openTextDocument(uri);
    const result = await vscode.commands.executeCommand<ApplyResult>('batchTuner.applyRecommendation', uri, { batchSize: 16 });
    assert.equal(result?.applied, false);
    assert.match(result?.reason ?? '', /already has batch size 16/);
    assert.equal(doc.isDirty, false);
  });
});
