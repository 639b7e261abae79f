import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveCommand, splitCommandTemplate, substitutePlaceholders, CommandTemplateError, EXAMPLE_PLACEHOLDER_VALUES, PLACEHOLDERS, type PlaceholderValues } from '../../src/core/runner/commandTemplate';

const values: PlaceholderValues = { config: '/home/me/My Models/.batch-tuner-p64.yaml', batchSize: 64, learningRate: 0.002, steps: 30, seed: 7, python: '/usr/bin/python3', workspaceFolder: '/ws' };

test('splits words with quotes and escapes like a shell, without one', () => {
  assert.deepEqual(splitCommandTemplate(`python train.py --name 'a b' --x "c \\"d\\"" e\\ f`), ['python', 'train.py', '--name', 'a b', '--x', 'c "d"', 'e f']);
  assert.deepEqual(splitCommandTemplate(`  a   ''  b `), ['a', '', 'b']);
  // A Windows path keeps its backslashes.
  assert.deepEqual(splitCommandTemplate(String.raw`C:\Python\python.exe train.py`), [String.raw`C:\Python\python.exe`, 'train.py']);
  assert.throws(() => splitCommandTemplate(`python "unclosed`), /unterminated double quote at column 8/);
  assert.throws(() => splitCommandTemplate(`python 'unclosed`), /unterminated single quote/);
});

test('placeholders are substituted per argument: a value with spaces stays one argument', () => {
  const cmd = resolveCommand('${python} train.py --config ${config} --bs=${batchSize} --lr ${learningRate} --max-steps ${steps} --seed ${seed} --out ${workspaceFolder}/runs', values);
  assert.equal(cmd.file, '/usr/bin/python3');
  assert.deepEqual(cmd.args, ['train.py', '--config', '/home/me/My Models/.batch-tuner-p64.yaml', '--bs=64', '--lr', '0.002', '--max-steps', '30', '--seed', '7', '--out', '/ws/runs']);
  assert.equal(cmd.shell, false);
  // Shell metacharacters in a value are never interpreted.
  const evil = resolveCommand('echo ${config}', { ...values, config: '$(rm -rf ~); `x`' });
  assert.deepEqual(evil.args, ['$(rm -rf ~); `x`']);
});

test('env placeholders, unknown and missing placeholders', () => {
  assert.equal(substitutePlaceholders('${env:HOME_X}/data', values, { HOME_X: '/h' }), '/h/data');
  assert.throws(() => resolveCommand('python ${confg}', values), (e: unknown) => e instanceof CommandTemplateError && /unknown placeholder \$\{confg\}.*\$\{config\}/.test(e.message));
  assert.throws(() => resolveCommand('python --steps ${steps}', { ...values, steps: undefined }), /uses \$\{steps\} but this trial has no steps/);
  assert.throws(() => resolveCommand('   ', values), /empty/);
});

test('shell mode quotes each substituted value', () => {
  const cmd = resolveCommand('cd sub && ${python} t.py --config ${config} | tee log', values, { shell: true });
  assert.equal(cmd.file, '/bin/sh');
  assert.deepEqual(cmd.args, ['-c', `cd sub && /usr/bin/python3 t.py --config '/home/me/My Models/.batch-tuner-p64.yaml' | tee log`]);
  const quoted = resolveCommand('echo ${config}', { ...values, config: "it's" }, { shell: true });
  assert.equal(quoted.args[1], `echo 'it'\\''s'`);
});

test('checkpoint and global-batch placeholders (issue 11): an empty ${resume} is one empty argument', () => {
  const v: PlaceholderValues = { ...values, checkpoint: '/tmp/ck 1.pt', resume: '', worldSize: 2, accumulationSteps: 4, microBatchSize: 8 };
  const cmd = resolveCommand('${python} t.py --save ${checkpoint} --resume ${resume} --ws ${worldSize} --acc ${accumulationSteps} --micro ${microBatchSize}', v);
  assert.deepEqual(cmd.args, ['t.py', '--save', '/tmp/ck 1.pt', '--resume', '', '--ws', '2', '--acc', '4', '--micro', '8']);
  assert.throws(() => resolveCommand('python t.py --save ${checkpoint}', values), /uses \$\{checkpoint\} but this trial has no checkpoint/);
});

test('the example values name every placeholder, so a template can be checked before any trial exists', () => {
  assert.deepEqual(Object.keys(EXAMPLE_PLACEHOLDER_VALUES).sort(), [...PLACEHOLDERS].sort());
  const every = PLACEHOLDERS.map((p) => '${' + p + '}').join(' ');
  assert.equal(resolveCommand(`run ${every}`, EXAMPLE_PLACEHOLDER_VALUES, { env: {} }).args.length, PLACEHOLDERS.length);
});
