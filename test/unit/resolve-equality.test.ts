// The same config gives the same study from every entry point (issue 9): each example and test
// fixture goes through the CLI's layers (cliLayer(parseTuneArgs(['<file>']))) and through the
// VS Code host's (editorLayer with no explicit settings; then again with the panel started from
// that result: panelLayer(panelSettingsOf(...))), and the options, runner and train values must
// be identical. Then: memory units, precedence with provenance, positioned errors for bad values.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parseTuneArgs } from '../../src/cli/tuneArgs';
import {
  cliLayer,
  editorLayer,
  panelLayer,
  panelSettingsOf,
  resolveStudy,
  type EditorSettingValues,
  type ResolveInput,
  type ResolveResult,
  type ResolvedStudy,
  type RunLayer,
} from '../../src/core/resolve';
import { writeTempConfig } from './helpers/mnistConfig';
import { commandTemplateProblem } from '../../src/core/runner/commandTemplate';

const ROOT = resolve(__dirname, '../..');
const GiB = 2 ** 30;
const MACHINE = { totalMemoryBytes: 16 * GiB };
const CONFIG_FILE = /\.(ya?ml|jsonc?|toml|py)$/;

function filesIn(dir: string, deep: boolean): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return deep ? filesIn(p, deep) : [];
    return CONFIG_FILE.test(e.name) ? [p] : [];
  });
}

/** Every example config, and every config-like file under the test fixtures (training scripts and the invalid/ set excluded). */
const FIXTURES = [
  ...filesIn('examples', false),
  'examples/csv-regression/config.yaml',
  'examples/pytorch-mnist/config.yaml',
  ...filesIn('test/fixtures/configs', false),
  ...filesIn('test/fixtures/trainer', false),
  ...filesIn('test/fixtures/workspace', false),
  ...filesIn('test/fixtures/workspace/configs', false),
  'test/fixtures/workspace/own-script/config.yaml',
];
/** Those that must resolve to a study (the rest must fail the same way on both paths). */
const MUST_RESOLVE = [
  'examples/mnist-mlp.yaml',
  'examples/mnist-cnn.yaml',
  'examples/mnist-adaptive.yaml',
  'examples/synthetic-regression.yaml',
  'examples/csv-regression/config.yaml',
  'examples/pytorch-mnist/config.yaml',
  'test/fixtures/trainer/mnist-mlp.yaml',
  'test/fixtures/workspace/mnist.batch-tuner.yaml',
  'test/fixtures/workspace/cli-study.batch-tuner.yaml',
  'test/fixtures/workspace/apply-target.batch-tuner.yaml',
];

function input(file: string, extra: Partial<ResolveInput> = {}): ResolveInput {
  const abs = resolve(ROOT, file);
  return { file: abs, text: readFileSync(abs, 'utf8'), machine: MACHINE, ...extra };
}

/** The CLI: `batch-tuner tune <file>` run from the repository root. */
function viaCli(file: string, flags: string[] = []): ResolveResult {
  const args = parseTuneArgs([file, ...flags]);
  assert.notEqual(args, 'help');
  return resolveStudy(input(file, { run: cliLayer(args === 'help' ? {} : args, ROOT) }));
}

/** The VS Code host: the settings the person set (none by default) in the workspace folder ROOT. */
function viaEditor(file: string, values: EditorSettingValues = {}, run?: RunLayer): ResolveResult {
  return resolveStudy(input(file, { editor: editorLayer({ workspaceFolder: ROOT, ...values }), ...(run ? { run } : {}) }));
}

/** What must be identical: every study option, the runner, the one-run values, and the kind. */
function study(r: ResolveResult) {
  if (!r.ok) return { failed: r.reason, message: r.message };
  return { kind: r.kind, options: r.options, runner: r.runner, train: r.train };
}

function ok(r: ResolveResult): ResolvedStudy {
  assert.ok(r.ok, r.ok ? '' : r.message);
  return r;
}

test('every example and fixture: the CLI layers and the VS Code layers (panel included) give the identical study', () => {
  assert.ok(FIXTURES.length >= 25, `${FIXTURES.length} fixtures`);
  let resolved = 0;
  for (const file of FIXTURES) {
    const cli = viaCli(file);
    const editor = viaEditor(file);
    assert.deepEqual(study(editor), study(cli), `${file}: CLI vs VS Code`);
    if (MUST_RESOLVE.includes(file)) ok(cli);
    if (!cli.ok) {
      assert.ok(['no-command', 'invalid-config'].includes(cli.reason), `${file}: ${cli.message}`);
      continue;
    }
    resolved++;
    const panel = viaEditor(file, {}, panelLayer(panelSettingsOf(ok(editor))));
    assert.deepEqual(study(panel), study(cli), `${file}: CLI vs the panel started from VS Code's settings`);
    const o = ok(cli).options;
    assert.equal(o.outDir, join(ROOT, '.batch-tuner'), `${file}: the CLI's cwd and the VS Code workspace folder hold the same studies`);
  }
  assert.equal(resolved, MUST_RESOLVE.length, 'only the configs that can run resolve; the others fail the same way on both paths');
});

test('the defaults are one set: seed 42, 80% of RAM, 300 s trial timeout, 120 s budget, unknown dataset size 1,000,000', () => {
  const r = ok(viaCli('test/fixtures/workspace/mnist.batch-tuner.yaml'));
  assert.equal(r.options.memoryLimitBytes, Math.floor(0.8 * MACHINE.totalMemoryBytes));
  assert.equal(r.provenance.memoryLimitBytes, 'default');
  assert.equal(r.runner.hangTimeoutMs, 300_000);
  assert.equal(r.provenance.trialTimeoutSeconds, 'default');
  const { file } = writeTempConfig('batch_size: 16\nlr: 0.1\noptimizer: sgd\ntuner:\n  command: python train.py --config ${config}\n', 'own.yaml');
  const own = ok(resolveStudy({ file, text: readFileSync(file, 'utf8'), machine: MACHINE }));
  assert.equal(own.options.seed, 42);
  assert.equal(own.provenance.seed, 'default');
  assert.equal(own.options.budgetSeconds, 120);
  assert.equal(own.options.datasetSize, 1_000_000);
  assert.equal(own.provenance.datasetSize, 'default');
  assert.match(own.notes.join('\n'), /assumed 1,000,000 training samples/);
  assert.equal(own.options.lrRule, 'linear', 'optimizer: sgd in the text');
});

test('examples/pytorch-mnist (Adam, optimizer not named in its config) resolves to the sqrt rule everywhere', () => {
  const file = 'examples/pytorch-mnist/config.yaml';
  const cli = ok(viaCli(file));
  const editor = ok(viaEditor(file));
  const panel = ok(viaEditor(file, {}, panelLayer(panelSettingsOf(editor))));
  for (const r of [cli, editor, panel]) {
    assert.equal(r.options.lrRule, 'sqrt');
    assert.equal(r.options.optimizer, 'adam');
    assert.equal(r.kind, 'external');
    assert.equal(r.options.datasetSize, 8000, 'train_samples: 8000 in the config');
  }
  assert.equal(cli.provenance.optimizer, 'default');
  assert.match(cli.notes.join('\n'), /names no optimizer: assumed adam/);
  assert.equal(panelSettingsOf(editor).lrRule, 'sqrt', 'the panel starts from sqrt, not linear');
});

test('memory units: "2GB" is 2e9 bytes and "2GiB" 2^31 through every layer, the panel included', () => {
  const cases: Array<[string, number]> = [
    ['2GB', 2e9],
    ['2GiB', 2 * GiB],
    ['512MiB', 512 * 2 ** 20],
    ['50%', 8 * GiB],
    ['1500000000', 1.5e9],
  ];
  for (const [size, bytes] of cases) {
    const { file } = writeTempConfig(readFileSync(resolve(ROOT, 'examples/mnist-mlp.yaml'), 'utf8').replace(/memory_limit: .*/, `memory_limit: "${size}"`));
    const text = readFileSync(file, 'utf8');
    assert.match(text, new RegExp(`memory_limit: "${size}"`));
    const base = { file, text, machine: MACHINE };
    const fromConfig = ok(resolveStudy(base));
    const fromFlag = ok(
      resolveStudy({ file, text: text.replace(/memory_limit: .*\n/, ''), machine: MACHINE, run: cliLayer(parseTuneArgsOk([file, '--memory-limit', size])) }),
    );
    const fromSetting = ok(resolveStudy({ file, text: text.replace(/memory_limit: .*\n/, ''), machine: MACHINE, editor: editorLayer({ memoryLimit: size }) }));
    const fromPanel = ok(resolveStudy({ ...base, run: panelLayer(panelSettingsOf(fromSetting)) }));
    assert.deepEqual(
      [fromConfig, fromFlag, fromSetting, fromPanel].map((r) => [r.options.memoryLimitBytes, r.provenance.memoryLimitBytes]),
      [
        [bytes, 'config'],
        [bytes, 'cli'],
        [bytes, 'editor'],
        [bytes, 'panel'],
      ],
      size,
    );
  }
});

function parseTuneArgsOk(args: string[]) {
  const a = parseTuneArgs(args);
  assert.notEqual(a, 'help');
  return a === 'help' ? {} : a;
}

test('precedence: a CLI flag beats the tuner section, which beats an editor setting, which beats the default', () => {
  const withTuner = writeTempConfig(
    'model: {type: mlp}\ndata: {source: mnist, train_samples: 2000, test_samples: 500}\noptimizer: {name: adam, learning_rate: 0.001}\nbatch_size: 32\nseed: 7\n' +
      'tuner:\n  budget_seconds: 90\n  memory_limit: 3GB\n  lr_rule: none\n  timeout_seconds: 50\n',
  ).file;
  const bare = writeTempConfig(
    'model: {type: mlp}\ndata: {source: mnist, train_samples: 2000, test_samples: 500}\noptimizer: {name: adam, learning_rate: 0.001}\nbatch_size: 32\n',
  ).file;
  const editor = editorLayer({ defaultBudgetSeconds: 60, memoryLimit: '4GB', lrRule: 'linear', trialTimeoutSeconds: 40, maxConcurrentTrials: 2 });
  const run = cliLayer({ budget: 30, memoryLimit: '5GB', lrRule: 'sqrt', seed: 3 }, ROOT);
  const at = (file: string, layers: Partial<ResolveInput>) => ok(resolveStudy({ file, text: readFileSync(file, 'utf8'), machine: MACHINE, ...layers }));
  const view = (r: ResolvedStudy) => ({
    budget: [r.options.budgetSeconds, r.provenance.budgetSeconds],
    memory: [r.options.memoryLimitBytes, r.provenance.memoryLimitBytes],
    rule: [r.options.lrRule, r.provenance.lrRule],
    timeout: [r.runner.hangTimeoutMs, r.provenance.trialTimeoutSeconds],
    seed: [r.options.seed, r.provenance.seed],
    parallel: [r.options.parallel, r.provenance.parallel],
  });
  assert.deepEqual(view(at(withTuner, { run, editor })), {
    budget: [30, 'cli'],
    memory: [5e9, 'cli'],
    rule: ['sqrt', 'cli'],
    timeout: [50_000, 'config'],
    seed: [3, 'cli'],
    parallel: [2, 'editor'],
  });
  assert.deepEqual(view(at(withTuner, { editor })), {
    budget: [90, 'config'],
    memory: [3e9, 'config'],
    rule: ['none', 'config'],
    timeout: [50_000, 'config'],
    seed: [7, 'config'],
    parallel: [2, 'editor'],
  });
  assert.deepEqual(view(at(bare, { editor })), {
    budget: [60, 'editor'],
    memory: [4e9, 'editor'],
    rule: ['linear', 'editor'],
    timeout: [40_000, 'editor'],
    seed: [42, 'default'],
    parallel: [2, 'editor'],
  });
  assert.deepEqual(view(at(bare, {})), {
    budget: [120, 'default'],
    memory: [Math.floor(0.8 * MACHINE.totalMemoryBytes), 'default'],
    rule: ['sqrt', 'default'],
    timeout: [300_000, 'default'],
    seed: [42, 'default'],
    parallel: [1, 'default'],
  });
  // `auto` in the editor is the same as not set: the optimizer decides.
  assert.equal(at(bare, { editor: editorLayer({ lrRule: 'auto' }) }).provenance.lrRule, 'default');
});

test("the command: the config's tuner.command beats a batchTuner.commands entry; a user's config without one is `no-command`", () => {
  const { dir, file } = writeTempConfig('batch_size: 16\nlr: 0.01\ntuner:\n  command: python mine.py ${config}\n  shell: true\n', 'own.yaml');
  const text = readFileSync(file, 'utf8');
  const both = ok(
    resolveStudy({ file, text, machine: MACHINE, editor: editorLayer({ command: 'python other.py', pythonPath: '/usr/bin/python3', workspaceFolder: dir }) }),
  );
  assert.deepEqual(both.runner, {
    kind: 'external',
    command: 'python mine.py ${config}',
    shell: true,
    pythonPath: '/usr/bin/python3',
    workspaceFolder: dir,
    hangTimeoutMs: 300_000,
  });
  assert.equal(both.provenance.command, 'config');
  const none = resolveStudy({ file, text: 'batch_size: 16\nlr: 0.01\n', machine: MACHINE });
  assert.ok(!none.ok && none.reason === 'no-command', JSON.stringify(none));
  assert.match(none.message, /no tuner\.command to run: add tuner\.command/);
  const asked = ok(resolveStudy({ file, text: 'batch_size: 16\nlr: 0.01\n', machine: MACHINE, editor: editorLayer({ command: 'python other.py' }) }));
  assert.equal(asked.runner.kind === 'external' && asked.runner.command, 'python other.py');
  assert.equal(asked.provenance.command, 'editor');
  assert.equal(asked.options.outDir, join(dir, '.batch-tuner'), 'no workspace folder: the studies go next to the config');
  // A config shaped like ours (model.type, data.source) but not ours: its own command trains it; without one it is ours with mistakes.
  const lookalike = 'model: {type: resnet50}\ndata: {source: imagenet}\nbatch_size: 64\nlr: 0.1\noptimizer: sgd\n';
  const run = ok(resolveStudy({ file, text: `${lookalike}tuner:\n  command: python train.py --config \${config}\n`, machine: MACHINE }));
  assert.equal(run.kind, 'external');
  assert.equal(run.options.lrRule, 'linear');
  const mistaken = resolveStudy({ file, text: lookalike, machine: MACHINE });
  assert.ok(!mistaken.ok && mistaken.reason === 'invalid-config');
  assert.match(mistaken.message, /own\.yaml:1:15: model\.type must be one of/);
});

test('every bad setting is an error that names the layer and key (file:line:col for the config), never a silent default', () => {
  const file = resolve(ROOT, 'examples/mnist-mlp.yaml');
  const text = readFileSync(file, 'utf8');
  const fail = (extra: Partial<ResolveInput>, t = text) => {
    const r = resolveStudy({ file, text: t, machine: MACHINE, ...extra });
    assert.ok(!r.ok, 'must fail');
    return r;
  };
  const cases: Array<[Partial<ResolveInput>, RegExp]> = [
    [{ run: { source: 'cli', memoryLimit: 'lots' } }, /^--memory-limit: memory size "lots" is not understood/],
    [{ editor: editorLayer({ memoryLimit: 'lots' }) }, /^setting batchTuner\.memoryLimit: memory size "lots" is not understood/],
    [{ editor: editorLayer({ memoryLimit: '0%' }) }, /^setting batchTuner\.memoryLimit: memory size "0%" must be a share of physical memory above 0%/],
    [{ editor: editorLayer({ lrRule: 'cubic' }) }, /^setting batchTuner\.lrRule: must be auto, linear, sqrt, none \(got "cubic"\)/],
    [{ editor: editorLayer({ trialTimeoutSeconds: -1 }) }, /^setting batchTuner\.trialTimeoutSeconds: must be a positive number \(got -1\)/],
    [{ editor: editorLayer({ maxConcurrentTrials: 1.5 }) }, /^setting batchTuner\.maxConcurrentTrials: must be a positive integer \(got 1\.5\)/],
    [{ run: { source: 'panel', memoryLimit: 0 } }, /^panel memoryLimit: memory size must be a positive number of bytes \(got 0\)/],
    [{ run: { source: 'cli', batchSize: 0 } }, /^--batch-size: must be a positive integer \(got 0\)/],
  ];
  for (const [extra, message] of cases) {
    const r = fail(extra);
    assert.equal(r.reason, 'invalid-setting');
    assert.match(r.message, message);
  }
  // In the config: at the value, through the schema (ours) or the same schema (a user's own).
  const ours = fail({}, text.replace(/memory_limit: .*/, 'memory_limit: lots'));
  assert.equal(ours.reason, 'invalid-config');
  const line = text.split('\n').findIndex((l) => l.includes('memory_limit')) + 1;
  assert.equal(`${ours.errors[0].line}:${ours.errors[0].column}`, `${line}:17`);
  assert.match(ours.message, new RegExp(`mnist-mlp\\.yaml:${line}:17: memory_limit must be a number of bytes`));
  const own = resolveStudy({ file: '/x/own.yaml', text: 'batch_size: 8\ntuner:\n  command: python t.py\n  memory_limit: 150%\n', machine: MACHINE });
  assert.ok(!own.ok && own.reason === 'invalid-config');
  assert.match(own.message, /^\/x\/own\.yaml:4:17: tuner\.memory size "150%" must be a share of physical memory/);
  assert.deepEqual([own.errors[0].line, own.errors[0].column], [4, 17]);
});

test('the training command is checked once, at resolve time: a placeholder shell mode cannot pass is an error at tuner.command (or the setting)', () => {
  const shellText = (command: string) => `batch_size: 8\ntuner:\n  shell: true\n  command: ${command}\n`;
  const refusal = commandTemplateProblem('echo `basename ${config}`', true);
  assert.ok(refusal);
  const r = resolveStudy({ file: '/x/own.yaml', text: shellText('echo `basename ${config}`'), machine: MACHINE });
  assert.ok(!r.ok && r.reason === 'invalid-setting', JSON.stringify(r));
  assert.equal(r.message, `/x/own.yaml:4:12: tuner.command: ${refusal}`);
  assert.deepEqual([r.errors[0].line, r.errors[0].column], [4, 12]);
  // The command from the settings, run through the config's shell: the setting is named.
  const fromSettings = resolveStudy({
    file: '/x/own.yaml',
    text: 'batch_size: 8\ntuner:\n  shell: true\n',
    machine: MACHINE,
    editor: editorLayer({ command: 'python t.py $((${batchSize} * 2))' }),
  });
  assert.ok(!fromSettings.ok && fromSettings.reason === 'invalid-setting');
  assert.match(fromSettings.message, /^setting batchTuner\.commands: tuner\.shell is on and \$\{batchSize\} cannot be passed safely inside \$\(\(…\)\)/);
  // Without a shell the same text is one argument with backquotes in it: it resolves.
  ok(resolveStudy({ file: '/x/own.yaml', text: 'batch_size: 8\ntuner:\n  command: echo `basename ${config}`\n', machine: MACHINE }));
  // The placeholders a trial fills, the checkpoint and global-batch ones included, pass in shell mode.
  ok(
    resolveStudy({
      file: '/x/own.yaml',
      text: shellText('python t.py --save "${checkpoint}" --resume ${resume} --ws ${worldSize} --acc ${accumulationSteps} --micro ${microBatchSize}'),
      machine: MACHINE,
    }),
  );
  const unknown = resolveStudy({ file: '/x/own.yaml', text: 'batch_size: 8\ntuner:\n  command: python t.py ${confg}\n', machine: MACHINE });
  assert.ok(!unknown.ok && unknown.reason === 'invalid-setting');
  assert.match(unknown.message, /^\/x\/own\.yaml:3:12: tuner\.command: unknown placeholder \$\{confg\}/);
});

test('the provenance names every option it describes, and relative paths stay out of the study', () => {
  for (const file of MUST_RESOLVE) {
    const r = ok(viaCli(file));
    for (const key of [
      'budgetSeconds',
      'minBatchSize',
      'maxBatchSize',
      'memoryLimitBytes',
      'lrRule',
      'parallel',
      'seed',
      'datasetSize',
      'optimizer',
      'outDir',
      'trialTimeoutSeconds',
    ] as const)
      assert.ok(r.provenance[key], `${relative(ROOT, file)}: provenance of ${key}`);
    assert.equal(r.options.configPath, resolve(ROOT, file));
  }
});
