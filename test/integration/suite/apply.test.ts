// Apply writes the batch size (and learning rate) into the config as one undoable edit that
// keeps comments and formatting.
import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as vscode from 'vscode';
import { batchTunerApi, batchTunerLenses, codeLensesOf, waitFor, workspaceFile } from './fixtures';

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

suite('Apply: the global batch, and only what a study may write', () => {
  suiteSetup(async () => {
    await batchTunerApi();
  });

  test('DeepSpeed: the three numbers stay consistent (global = micro x accumulation x workers)', async () => {
    // ds_config.json: train_batch_size 64 = 16 x 4 acc; a global batch of 128 keeps the 4 accumulation steps.
    await applyAndUndo(['configs', 'ds_config.json'], { batchSize: 128 }, (original) =>
      original
        .replace('"train_batch_size": 64,', '"train_batch_size": 128,')
        .replace('"train_micro_batch_size_per_gpu": 16,', '"train_micro_batch_size_per_gpu": 32,'),
    );
  });

  test('a family whose numbers cannot be kept consistent is refused at the key, file:line:col, and nothing changes', async () => {
    const uri = workspaceFile('configs', 'ds_auto.json');
    const text = '{\n  "train_batch_size": "auto",\n  "train_micro_batch_size_per_gpu": 16,\n  "gradient_accumulation_steps": 4\n}\n';
    await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(text));
    try {
      const result = await vscode.commands.executeCommand<ApplyResult & { at?: { line: number; column: number } }>('batchTuner.applyRecommendation', uri, {
        batchSize: 128,
      });
      assert.equal(result?.applied, false);
      assert.match(result?.reason ?? '', /ds_auto\.json:2:\d+: train_batch_size is "auto" while/);
      assert.equal(result?.at?.line, 2);
      assert.equal((await vscode.workspace.openTextDocument(uri)).getText(), text);
    } finally {
      await vscode.workspace.fs.delete(uri);
    }
  });

  test('a batch size that is not a whole number of micro-batches is refused with what to pick', async () => {
    const result = await vscode.commands.executeCommand<ApplyResult>('batchTuner.applyRecommendation', workspaceFile('configs', 'ds_config.json'), {
      batchSize: 66,
    });
    assert.equal(result?.applied, false);
    assert.match(result?.reason ?? '', /batch size 66 is not 4 accumulation step\(s\) x 1 worker\(s\) x a whole micro-batch; pick a multiple of 4/);
  });

  test('a schedule from the panel goes through the schedule validator: an unknown key (say, a command) is refused', async () => {
    const api = await batchTunerApi();
    const uri = workspaceFile('apply-target.batch-tuner.yaml');
    await vscode.commands.executeCommand('batchTuner.openPanel', uri);
    const doc = await vscode.workspace.openTextDocument(uri);
    const before = doc.getText();
    // The webview protocol checks a schedule with the one schedule validator: refused at the door, nothing written.
    const outcome = await api.test.postFromPanel({ v: 1, type: 'apply', batchSize: 32, schedule: { kind: 'step', every_steps: 10, command: 1 } });
    assert.equal(outcome.accepted, false);
    assert.match(outcome.error ?? '', /batch_schedule: unknown key "command" for kind step/);
    assert.equal(doc.getText(), before, 'a schedule with an unknown key was written');
    const bad = await vscode.commands.executeCommand<ApplyResult>('batchTuner.applyRecommendation', uri, {
      batchSize: 32,
      learningRate: Number.POSITIVE_INFINITY,
    });
    assert.equal(bad?.applied, false);
    assert.match(bad?.reason ?? '', /learning rate must be a positive finite number/);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });
});

/** A study file as `batch-tuner tune` writes it (start, recommendation, end), for a config with a given text hash. */
function studyLines(configPath: string, startedAt: string, configHash: string, rec: { batchSize: number; learningRate: number }): string {
  const start = {
    v: 1,
    type: 'study-start',
    id: `crafted-${startedAt}`,
    time: startedAt,
    configPath,
    configHash,
    currentBatchSize: 16,
    currentLearningRate: 0.1,
    optimizer: 'sgd',
    datasetSize: 1000,
    settings: { budgetSeconds: 10, minBatchSize: 8, maxBatchSize: 64, lrRule: 'linear', parallel: 1, seed: 42 },
  };
  // Complete as the study file's schema requires (core/study/studyLines.ts): a line that is not is skipped on read.
  const recommendation = {
    ...rec,
    speedupVsCurrent: 1.5,
    speedupBasis: 'measured',
    current: { batchSize: 16, learningRate: 0.1 },
    band: { low: rec.batchSize, high: rec.batchSize, tolerance: 0.1, sizes: [rec.batchSize], basis: 'measured' },
    basis: { throughput: 'measured', noiseScale: 'measured', convergence: 'measured' },
    undetermined: [],
    alternatives: {},
    candidates: [],
    evidence: { lrRule: 'linear', notes: [] },
  };
  return (
    [
      start,
      { v: 1, type: 'recommendation', time: startedAt, recommendation },
      { v: 1, type: 'study-end', time: startedAt, status: 'completed', elapsedSeconds: 1 },
    ]
      .map((l) => JSON.stringify(l))
      .join('\n') + '\n'
  );
}

suite('Apply: a recommendation whose config changed since the study', () => {
  const uri = () => workspaceFile('apply-target.batch-tuner.yaml');
  const written: vscode.Uri[] = [];

  async function writeStudy(name: string, text: string, expectLens: string): Promise<void> {
    const file = workspaceFile('.batch-tuner', name);
    await vscode.workspace.fs.writeFile(file, new TextEncoder().encode(text));
    written.push(file);
    // The stored-study watcher picks it up (as with a study the CLI writes): the lens shows it.
    await waitFor(`the lens "${expectLens}"`, async () => batchTunerLenses(await codeLensesOf(uri())).find((l) => l.title.startsWith(expectLens)), 20_000);
  }

  suiteTeardown(async () => {
    for (const f of written) await vscode.workspace.fs.delete(f).then(undefined, () => undefined);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  test('warns first: Cancel writes nothing, Apply anyway writes; an unchanged config is applied without asking', async () => {
    await batchTunerApi();
    const doc = await vscode.workspace.openTextDocument(uri());
    const original = doc.getText();
    await writeStudy(
      '2020-01-01T00-00-00-000Z-crafted.study.jsonl',
      studyLines(uri().fsPath, '2020-01-01T00:00:00.000Z', 'deadbeefdeadbeef', { batchSize: 48, learningRate: 0.3 }),
      'Recommended 48',
    );

    const cancelled = await vscode.commands.executeCommand<ApplyResult>('batchTuner.applyRecommendation', uri(), {
      includeLearningRate: true,
      ifConfigChanged: 'cancel',
    });
    assert.equal(cancelled?.applied, false);
    assert.match(cancelled?.reason ?? '', /changed since the study/);
    assert.equal(doc.getText(), original);

    const anyway = await vscode.commands.executeCommand<ApplyResult>('batchTuner.applyRecommendation', uri(), {
      includeLearningRate: true,
      ifConfigChanged: 'apply',
    });
    assert.equal(anyway?.applied, true, anyway?.reason);
    assert.equal(doc.getText(), original.replace('batch_size:   16', 'batch_size:   48').replace('learning_rate:    0.1 ', 'learning_rate:    0.3 '));
    await vscode.window.showTextDocument(doc);
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');

    const hash = createHash('sha256').update(original).digest('hex').slice(0, 16);
    await writeStudy(
      '2020-01-02T00-00-00-000Z-crafted.study.jsonl',
      studyLines(uri().fsPath, '2020-01-02T00:00:00.000Z', hash, { batchSize: 40, learningRate: 0.25 }),
      'Recommended 40',
    );
    // Same text as the study saw: no question ('cancel' would refuse if one were asked).
    const fresh = await vscode.commands.executeCommand<ApplyResult>('batchTuner.applyRecommendation', uri(), {
      includeLearningRate: false,
      ifConfigChanged: 'cancel',
    });
    assert.equal(fresh?.applied, true, fresh?.reason);
    assert.match(doc.getText(), /batch_size: {3}40 {3}# tuned value goes here/);
    await vscode.window.showTextDocument(doc);
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });

  test('a crafted study recommending a batch size that is not a whole number never reaches Apply', async () => {
    const doc = await vscode.workspace.openTextDocument(uri());
    const before = doc.getText();
    // Only the crafted study is left: the earlier ones would otherwise stand in for it.
    for (const f of written.splice(0)) await vscode.workspace.fs.delete(f).then(undefined, () => undefined);
    const file = workspaceFile('.batch-tuner', '2020-01-03T00-00-00-000Z-crafted.study.jsonl');
    await vscode.workspace.fs.writeFile(
      file,
      new TextEncoder().encode(studyLines(uri().fsPath, '2020-01-03T00:00:00.000Z', 'deadbeefdeadbeef', { batchSize: 12.5, learningRate: 0.3 })),
    );
    written.push(file);
    // The reader skips the recommendation line (batchSize must be a positive integer): no lens offers it...
    await waitFor(
      'the lens without a recommendation',
      async () => {
        const titles = batchTunerLenses(await codeLensesOf(uri())).map((l) => l.title);
        return titles.length > 0 && !titles.some((t) => t.startsWith('Recommended')) ? titles : undefined;
      },
      20_000,
    );
    // ...and Apply has nothing to write (Apply's own check refuses 12.5 too: the unit tests of core/config/apply.ts).
    const result = await vscode.commands.executeCommand<ApplyResult>('batchTuner.applyRecommendation', uri(), {
      includeLearningRate: true,
      ifConfigChanged: 'apply',
    });
    assert.equal(result?.applied, false);
    assert.match(result?.reason ?? '', /no recommendation for this config yet/);
    assert.equal(doc.getText(), before);
  });
});
