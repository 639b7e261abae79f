// What a person sees in VS Code after issues 10, 11 and 13: the CodeLens speaks the one headline
// (the band; what was assumed and no speed-up; a warm-up plan that Apply writes as batch_schedule),
// the sidebar lists the config of a running study even outside batchTuner.configGlobs, and a
// script that imports batch_tuner run by an interpreter without it brings the install offer.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { batchTunerApi, batchTunerLenses, codeLensesOf, waitFor, workspaceFile } from './fixtures';
import { testLog } from './log';

const OUR_CONFIG = `model:
  type: mlp
  hidden: [16]
data:
  source: synthetic
  task: regression
  samples: 2000
  features: 8
optimizer:
  name: sgd
  learning_rate: 0.01
batch_size: 32
steps: 200
`;
/** 1-based line of batch_size in OUR_CONFIG. */
const BATCH_LINE = 12;

async function write(uri: vscode.Uri, text: string): Promise<void> {
  await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(text));
}

/** A study file as `batch-tuner tune` writes it (start, recommendation, end) carrying `rec`. */
function studyFile(configPath: string, startedAt: string, rec: Record<string, unknown>): string {
  const start = {
    v: 1,
    type: 'study-start',
    id: `ui-${startedAt}`,
    time: startedAt,
    configPath,
    // The hash of the config as written: Apply then has no "changed since the study" question.
    configHash: createHash('sha256').update(OUR_CONFIG).digest('hex').slice(0, 16),
    currentBatchSize: 32,
    currentLearningRate: 0.01,
    optimizer: 'sgd',
    datasetSize: 2000,
    settings: { budgetSeconds: 10, minBatchSize: 8, maxBatchSize: 256, lrRule: 'linear', parallel: 1, seed: 42 },
  };
  const recommendation = {
    batchSize: 64,
    learningRate: 0.02,
    current: { batchSize: 32, learningRate: 0.01 },
    band: { low: 32, high: 128, tolerance: 0.1, sizes: [32, 64, 128], basis: 'fitted' },
    basis: { throughput: 'fitted', noiseScale: 'measured', convergence: 'measured' },
    undetermined: [],
    alternatives: {},
    candidates: [],
    evidence: { lrRule: 'linear', notes: [] },
    ...rec,
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

suite('CodeLens: the one headline', () => {
  const dir = () => workspaceFile('ui-lens');
  const written: vscode.Uri[] = [];

  /** A config of ours with a stored study recommending `rec`; returns our lens on its batch_size line. */
  async function lensFor(name: string, rec: Record<string, unknown>, expect: RegExp): Promise<{ title: string; command: string; line: number }> {
    const config = vscode.Uri.joinPath(dir(), `${name}.batch-tuner.yaml`);
    const study = workspaceFile('.batch-tuner', `2021-01-01T00-00-00-000Z-${name}.study.jsonl`);
    await write(config, OUR_CONFIG);
    await write(study, studyFile(config.fsPath, '2021-01-01T00:00:00.000Z', rec));
    written.push(config, study);
    return waitFor(
      `the lens of ${name} (${String(expect)})`,
      async () => batchTunerLenses(await codeLensesOf(config)).find((l) => expect.test(l.title)),
      20_000,
    );
  }

  suiteSetup(async () => {
    await batchTunerApi();
  });

  suiteTeardown(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    for (const f of written) await vscode.workspace.fs.delete(f).then(undefined, () => undefined);
    await vscode.workspace.fs.delete(dir(), { recursive: true }).then(undefined, () => undefined);
  });

  test('a measured pick: the band and the speed-up with its basis, then Apply', async () => {
    const lens = await lensFor('band', { speedupVsCurrent: 1.5, speedupBasis: 'measured' }, /^Recommended 64/);
    testLog(`    lens: ${lens.title}`);
    assert.equal(lens.title, 'Recommended 64 · 32–128 within 10% · 1.5x faster (measured) · Apply');
    assert.equal(lens.command, 'batchTuner.applyRecommendation');
    assert.equal(lens.line + 1, BATCH_LINE);
  });

  test('a pick resting on an assumed noise scale: says so, and no speed-up', async () => {
    const lens = await lensFor(
      'assumed',
      {
        speedupVsCurrent: 1.8, // a number a careless study might still carry: never shown when anything is assumed
        basis: { throughput: 'fitted', noiseScale: 'assumed', convergence: 'fitted' },
        band: { low: 32, high: 128, tolerance: 0.1, sizes: [32, 64, 128], basis: 'assumed' },
        evidence: { lrRule: 'linear', notes: [], assumedNoiseScale: 32 },
        undetermined: ['The noise scale: no gradient statistics and fewer than three batch sizes with a loss curve.'],
      },
      /^Recommended 64/,
    );
    testLog(`    lens: ${lens.title}`);
    assert.equal(lens.title, 'Recommended 64 · 32–128 within 10% (assumed) · assumed noise scale (B_noise = 32): no speed-up given · Apply');
    assert.doesNotMatch(lens.title, /faster/);
  });

  test('a warm-up plan: its ends over the run and its speed-up; Apply writes batch_schedule for the built-in trainer', async () => {
    const plan = {
      kind: 'warmup',
      stages: [
        { fromSamples: 0, batchSize: 32, learningRate: 0.01 },
        { fromSamples: 3200, batchSize: 64, learningRate: 0.02 },
      ],
      schedule: { kind: 'step', at_steps: [100], factor: 2, max_batch_size: 64 },
      horizonSamples: 6400,
      bestFixed: { batchSize: 64, predictedSeconds: 13 },
      predictedSeconds: 10,
      speedupVsBestFixed: 1.3,
      basis: 'fitted',
      description: '32 until 3.2k samples, then 64',
    };
    const lens = await lensFor('plan', { speedupVsCurrent: 1.5, speedupBasis: 'measured', plan }, /over the run/);
    testLog(`    lens: ${lens.title}`);
    assert.equal(lens.title, 'Recommended 32 → 64 over the run · 1.3x faster than a fixed 64 (fitted) · Apply');
    assert.equal(lens.command, 'batchTuner.internal.applyPlan');
    const uri = vscode.Uri.joinPath(dir(), 'plan.batch-tuner.yaml');
    await vscode.commands.executeCommand('batchTuner.internal.applyPlan', uri);
    const doc = await vscode.workspace.openTextDocument(uri);
    const text = await waitFor('batch_schedule in the config', () => (doc.getText().includes('batch_schedule') ? doc.getText() : undefined));
    assert.match(text, /^batch_size: 32$/m, 'the first stage');
    assert.match(text, /batch_schedule:[\s\S]*kind: step[\s\S]*at_steps:[\s\S]*100/);
    assert.match(text, /^model:\n {2}type: mlp/m, 'the rest untouched');
    await vscode.window.showTextDocument(doc);
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });
});

suite('Sidebar: a running study outside batchTuner.configGlobs', () => {
  test('its config is listed while it runs, saying why', async function () {
    this.timeout(120_000);
    const api = await batchTunerApi();
    const settings = vscode.workspace.getConfiguration('batchTuner');
    const uri = workspaceFile('ui-outside', 'run.yml');
    await write(uri, OUR_CONFIG);
    await settings.update('configGlobs', ['**/*.batch-tuner.yaml'], vscode.ConfigurationTarget.Workspace);
    try {
      await vscode.commands.executeCommand('batchTuner.refreshConfigs');
      const label = 'ui-outside/run.yml';
      assert.equal(
        (await api.test.configTree()).some((t) => t.label === label),
        false,
        'listed before it runs: the globs do not match it',
      );
      const pending = Promise.resolve(
        vscode.commands.executeCommand('batchTuner.tune', uri, { notify: false, settings: { budgetSeconds: 30, minBatchSize: 16, maxBatchSize: 64 } }),
      );
      try {
        await waitFor('the study to run', () => api.isStudyRunning(), 30_000);
        const entry = await waitFor('the running config in the sidebar', async () => (await api.test.configTree()).find((t) => t.label === label), 20_000);
        testLog(`    sidebar: ${entry.label} — ${entry.description ?? ''}`);
        assert.match(entry.description ?? '', /^batch 32\b/);
        assert.match(entry.description ?? '', /running \(outside batchTuner\.configGlobs\)/);
      } finally {
        await vscode.commands.executeCommand('batchTuner.stop');
        await pending;
      }
    } finally {
      await settings.update('configGlobs', undefined, vscode.ConfigurationTarget.Workspace);
      await vscode.workspace.fs.delete(workspaceFile('ui-outside'), { recursive: true }).then(undefined, () => undefined);
    }
  });
});

suite('Install offer: a script that imports batch_tuner, an interpreter without it', () => {
  test('a fresh venv without the package: "Install batch-tuner into <venv python>" is offered before the study', async function () {
    this.timeout(180_000);
    const api = await batchTunerApi();
    const tmp = mkdtempSync(path.join(tmpdir(), 'bt-ui-venv-'));
    const folder = workspaceFile('ui-install');
    try {
      // --without-pip: the check needs only `python -c "import batch_tuner"`; no network.
      execFileSync('python3', ['-m', 'venv', '--without-pip', path.join(tmp, 'venv')], { timeout: 120_000 });
      const python = path.join(tmp, 'venv', 'bin', 'python');
      await write(vscode.Uri.joinPath(folder, 'train.py'), TRAIN_PY);
      await write(
        vscode.Uri.joinPath(folder, 'config.yaml'),
        `batch_size: 16\nlr: 0.01\nsteps: 20\ntuner:\n  command: ${JSON.stringify(`${python} train.py --config \${config}`)}\n`,
      );
      const uri = vscode.Uri.joinPath(folder, 'config.yaml');
      const before = api.test.installOffers().length;
      const pending = Promise.resolve(
        vscode.commands.executeCommand('batchTuner.tune', uri, { notify: false, settings: { budgetSeconds: 20, minBatchSize: 8, maxBatchSize: 32 } }),
      );
      try {
        const offer = await waitFor(
          'the install offer',
          () =>
            api.test
              .installOffers()
              .slice(before)
              .find((o) => o.python === python),
          60_000,
        );
        testLog(`    offer: ${offer.message}`);
        assert.equal(offer.script, path.join(folder.fsPath, 'train.py'));
        assert.match(offer.message, /ui-install\/train\.py imports batch_tuner, which .*venv\/bin\/python does not have/);
      } finally {
        await vscode.commands.executeCommand('batchTuner.stop');
        await pending;
      }
      // The study's own trials find the package (it is on their PYTHONPATH): the offer never blocked them.
      const last = api.test.lastResult();
      assert.ok(last && ['stopped', 'completed'].includes(last.status), JSON.stringify(last));
    } finally {
      rmSync(tmp, { recursive: true, force: true });
      await vscode.workspace.fs.delete(folder, { recursive: true }).then(undefined, () => undefined);
    }
  });
});

/** A user's script that reports through the batch_tuner package (stdlib otherwise). */
const TRAIN_PY = `import time
from batch_tuner import Reporter

rep = Reporter()
bs = rep.batch_size or 16
steps = 20
t0 = time.perf_counter()
for step in range(1, steps + 1):
    time.sleep(0.01)
    rep.step(step, samples=step * bs, loss=2.0 / step)
    if rep.should_stop(step):
        break
rep.done()
`;
