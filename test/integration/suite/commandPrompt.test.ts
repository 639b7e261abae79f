// Issue 5: the first time a user's own config has no training command, the extension asks for
// one (suggesting the train.py next to it), remembers the answer in the workspace settings, and
// trains with it. The input box is answered through the test API (the harness cannot type).
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { batchTunerApi, workspaceFile } from './fixtures';
import { testLog } from './log';

type TrainResult = { status: string; reason?: string; trial?: { batchSize: number; status: string; samplesPerSecond?: number; finalLoss?: number } };

const KEY = 'own-script/config.yaml';

function savedCommands(): Record<string, string> | undefined {
  return vscode.workspace.getConfiguration('batchTuner').inspect<Record<string, string>>('commands')?.workspaceValue;
}

suite('Training-command prompt (issue 5)', () => {
  const config = () => workspaceFile('own-script', 'config.yaml');

  suiteTeardown(async () => {
    const api = await batchTunerApi();
    api.test.setCommandPromptOverride(undefined);
    await vscode.workspace.getConfiguration('batchTuner').update('commands', undefined, vscode.ConfigurationTarget.Workspace);
  });

  test('suggests the train.py next to the config, with ${config}', async () => {
    const api = await batchTunerApi();
    const suggestion = await api.test.suggestTrainingCommand(config());
    testLog(`    suggestion: ${suggestion}`);
    // No batchTuner.pythonPath and no Python extension here: the interpreter stays ${python}.
    assert.equal(suggestion, '${python} train.py --config ${config}');
  });

  test('an answer that cannot run (an unclosed quote) is refused and not saved', async () => {
    const api = await batchTunerApi();
    let asked = 0;
    api.test.setCommandPromptOverride(() => {
      asked++;
      return '${python} "train.py --config ${config}';
    });
    const result = await vscode.commands.executeCommand<TrainResult>('batchTuner.train', config(), 8, { steps: 5, notify: false });
    assert.equal(asked, 1, 'the prompt was not shown');
    assert.equal(result?.status, 'invalid-config');
    assert.match(result?.reason ?? '', /has no training command/);
    assert.equal(savedCommands()?.[KEY], undefined, 'an invalid command was saved');
  });

  test('the answer is saved in the workspace settings and trains the config; the next run does not ask', async function () {
    this.timeout(120_000);
    const api = await batchTunerApi();
    const settings = vscode.workspace.getConfiguration('batchTuner');
    // An entry already there must survive the new one.
    const other = { '**/configs/ds_config.json': '${python} ${workspaceFolder}/scripts/noisy_quadratic.py' };
    await settings.update('commands', other, vscode.ConfigurationTarget.Workspace);
    const suggestions: string[] = [];
    api.test.setCommandPromptOverride((suggestion, uri) => {
      assert.equal(uri.fsPath, config().fsPath);
      suggestions.push(suggestion);
      return suggestion; // accepted as suggested
    });

    const result = await vscode.commands.executeCommand<TrainResult>('batchTuner.train', config(), 8, { steps: 10, notify: false });
    assert.equal(suggestions.length, 1, 'the prompt was not shown exactly once');
    assert.equal(result?.status, 'completed', `the run failed: ${result?.reason ?? ''}`);
    assert.equal(result.trial?.batchSize, 8);
    assert.equal(result.trial?.status, 'ok');
    assert.ok((result.trial?.samplesPerSecond ?? 0) > 0, 'no throughput was measured');
    // The script prints loss 2/step: 0.2 is the 10th step's.
    assert.ok(Math.abs((result.trial?.finalLoss ?? NaN) - 0.2) < 1e-9, `final loss ${result.trial?.finalLoss}: not all 10 steps arrived`);
    testLog(`    trained with "${suggestions[0]}": ${result.trial?.samplesPerSecond?.toFixed(0)} samples/s, final loss ${result.trial?.finalLoss}`);

    assert.deepEqual(savedCommands(), { ...other, [KEY]: suggestions[0] }, 'the workspace settings do not hold the new entry next to the old one');

    api.test.setCommandPromptOverride(() => assert.fail('asked again although the command was saved'));
    const again = await vscode.commands.executeCommand<TrainResult>('batchTuner.train', config(), 4, { steps: 3, notify: false });
    assert.equal(again?.status, 'completed', `the second run failed: ${again?.reason ?? ''}`);
    assert.equal(again.trial?.batchSize, 4);
  });
});
