import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  commandTemplateProblem,
  resolveCommand,
  splitCommandTemplate,
  substitutePlaceholders,
  CommandTemplateError,
  EXAMPLE_PLACEHOLDER_VALUES,
  PLACEHOLDERS,
  PLACEHOLDER_ENV,
  type PlaceholderValues,
} from '../../src/core/runner/commandTemplate';
import { placeholderValues, trialEnvironment } from '../../src/core/runner/externalCommand';

const values: PlaceholderValues = {
  config: '/home/me/My Models/.batch-tuner-p64.yaml',
  batchSize: 64,
  learningRate: 0.002,
  steps: 30,
  seed: 7,
  python: '/usr/bin/python3',
  workspaceFolder: '/ws',
};

test('splits words with quotes and escapes like a shell, without one', () => {
  assert.deepEqual(splitCommandTemplate(`python train.py --name 'a b' --x "c \\"d\\"" e\\ f`), ['python', 'train.py', '--name', 'a b', '--x', 'c "d"', 'e f']);
  assert.deepEqual(splitCommandTemplate(`  a   ''  b `), ['a', '', 'b']);
  // A Windows path keeps its backslashes.
  assert.deepEqual(splitCommandTemplate(String.raw`C:\Python\python.exe train.py`), [String.raw`C:\Python\python.exe`, 'train.py']);
  assert.throws(() => splitCommandTemplate(`python "unclosed`), /unterminated double quote at column 8/);
  assert.throws(() => splitCommandTemplate(`python 'unclosed`), /unterminated single quote/);
});

test('placeholders are substituted per argument: a value with spaces stays one argument', () => {
  const cmd = resolveCommand(
    '${python} train.py --config ${config} --bs=${batchSize} --lr ${learningRate} --max-steps ${steps} --seed ${seed} --out ${workspaceFolder}/runs',
    values,
  );
  assert.equal(cmd.file, '/usr/bin/python3');
  assert.deepEqual(cmd.args, [
    'train.py',
    '--config',
    '/home/me/My Models/.batch-tuner-p64.yaml',
    '--bs=64',
    '--lr',
    '0.002',
    '--max-steps',
    '30',
    '--seed',
    '7',
    '--out',
    '/ws/runs',
  ]);
  assert.equal(cmd.shell, false);
  // Shell metacharacters in a value are never interpreted.
  const evil = resolveCommand('echo ${config}', { ...values, config: '$(rm -rf ~); `x`' });
  assert.deepEqual(evil.args, ['$(rm -rf ~); `x`']);
});

test('env placeholders, unknown and missing placeholders', () => {
  assert.equal(substitutePlaceholders('${env:HOME_X}/data', values, { HOME_X: '/h' }), '/h/data');
  assert.throws(
    () => resolveCommand('python ${confg}', values),
    (e: unknown) => e instanceof CommandTemplateError && /unknown placeholder \$\{confg\}.*\$\{config\}/.test(e.message),
  );
  assert.throws(() => resolveCommand('python --steps ${steps}', { ...values, steps: undefined }), /uses \$\{steps\} but this trial has no steps/);
  assert.throws(() => resolveCommand('   ', values), /empty/);
});

test('shell mode passes values as positional parameters, never as shell text', () => {
  const cmd = resolveCommand('cd sub && ${python} t.py --config ${config} | tee log', values, { shell: true });
  assert.equal(cmd.file, '/bin/sh');
  assert.deepEqual(cmd.args, ['-c', 'cd sub && "${1}" t.py --config "${2}" | tee log', 'sh', '/usr/bin/python3', '/home/me/My Models/.batch-tuner-p64.yaml']);
  // Inside "…" a bare reference; inside '…' the quote is closed around it; a repeated placeholder is one parameter.
  const quoted = resolveCommand(`echo "a \${config} b" 'c \${config}' \${batchSize}`, { ...values, config: "it's $(x)" }, { shell: true });
  assert.deepEqual(quoted.args, ['-c', `echo "a \${1} b" 'c '"\${1}"'' "\${2}"`, 'sh', "it's $(x)", '64']);
  // Inside $(…) it is a command line again; a comment is left alone.
  assert.equal(resolveCommand('echo "$(basename ${config})" # ${seed}', values, { shell: true }).args[1], 'echo "$(basename "${1}")" # ${seed}');
});

test('shell mode refuses a placeholder where no reference is safe, naming it and what to write instead', () => {
  const refused: Array<[string, RegExp]> = [
    ['echo `basename ${config}`', /\$\{config\} cannot be passed safely inside `…` \(backquotes\): write \$\(…\) instead.*"\$BATCH_TUNER_CONFIG"/],
    ['echo $((${batchSize} * 2))', /\$\{batchSize\} cannot be passed safely inside \$\(\(…\)\).*"\$BATCH_TUNER_BATCH_SIZE"/],
    ['echo ${OUT:-${workspaceFolder}}', /\$\{workspaceFolder\} cannot be passed safely inside the shell's own \$\{…\}: write the placeholder outside it$/],
    ['cat <<EOF\n${env:TOKEN}\nEOF', /\$\{env:TOKEN\} cannot be passed safely after a here-document.*"\$TOKEN"/],
  ];
  for (const [template, message] of refused) {
    assert.throws(
      () => resolveCommand(template, values, { shell: true, env: { TOKEN: 's3cret' } }),
      (e: unknown) =>
        e instanceof CommandTemplateError && /^tuner\.shell is on and /.test(e.message) && message.test(e.message) && !e.message.includes('s3cret'),
      template,
    );
  }
  // Unknown placeholders are still an error; the shell's own $VAR and ${VAR:-x} are left to the shell.
  assert.throws(() => resolveCommand('echo ${confg}', values, { shell: true }), /unknown placeholder \$\{confg\}/);
  assert.equal(resolveCommand('echo "$HOME" ${HOME:-x} ${config}', values, { shell: true }).args[1], 'echo "$HOME" ${HOME:-x} "${1}"');
});

test('the displayed command is the template: ${env:...} secrets and expanded values never appear in it', () => {
  const env = { TOKEN: 'hunter2-secret' };
  for (const shell of [false, true]) {
    const cmd = resolveCommand('${python} t.py --token ${env:TOKEN} --config ${config}', values, { shell, env });
    assert.equal(cmd.display, '${python} t.py --token ${env:TOKEN} --config ${config}');
    assert.ok(!cmd.display.includes('hunter2'));
    assert.ok([cmd.file, ...cmd.args].includes('hunter2-secret') || cmd.args.some((a) => a.includes('hunter2-secret')), 'the spawned command has the value');
  }
  // A program named through the environment is shown as written in "not found" messages.
  assert.equal(resolveCommand('${env:TOKEN} t.py', values, { env }).program, '${env:TOKEN}');
  assert.equal(resolveCommand('${python} t.py', values, { env }).program, '/usr/bin/python3');
});

test("each placeholder's environment variable is the one the script gets, with the same value", () => {
  const spec = { id: 't1', configPath: '/c/cfg.yaml', config: {} as never, batchSize: 64, learningRate: 0.002, seed: 7, maxSteps: 30, resumeFrom: '/r.pt' };
  const files = { config: '/c/.copy.yaml', metrics: '/tmp/m.jsonl', checkpoint: '/tmp/ck' };
  const split = { worldSize: 2, accumulationSteps: 4, microBatchSize: 8 };
  const v = placeholderValues(spec, files, split, '/usr/bin/python3', '/ws');
  const env = trialEnvironment({}, spec, files, split, '/usr/bin/python3');
  for (const [name, envName] of Object.entries(PLACEHOLDER_ENV)) {
    assert.equal(env[envName], String(v[name as keyof PlaceholderValues]), `${name} / ${envName}`);
  }
});

test('checkpoint and global-batch placeholders (issue 11): an empty ${resume} is one empty argument', () => {
  const v: PlaceholderValues = { ...values, checkpoint: '/tmp/ck 1.pt', resume: '', worldSize: 2, accumulationSteps: 4, microBatchSize: 8 };
  const cmd = resolveCommand(
    '${python} t.py --save ${checkpoint} --resume ${resume} --ws ${worldSize} --acc ${accumulationSteps} --micro ${microBatchSize}',
    v,
  );
  assert.deepEqual(cmd.args, ['t.py', '--save', '/tmp/ck 1.pt', '--resume', '', '--ws', '2', '--acc', '4', '--micro', '8']);
  assert.throws(() => resolveCommand('python t.py --save ${checkpoint}', values), /uses \$\{checkpoint\} but this trial has no checkpoint/);
});

test('the example values name every placeholder, so a template can be checked before any trial exists', () => {
  assert.deepEqual(Object.keys(EXAMPLE_PLACEHOLDER_VALUES).sort(), [...PLACEHOLDERS].sort());
  const every = PLACEHOLDERS.map((p) => '${' + p + '}').join(' ');
  assert.equal(resolveCommand(`run ${every}`, EXAMPLE_PLACEHOLDER_VALUES, { env: {} }).args.length, PLACEHOLDERS.length);
});

test('a template is checked before any trial (the resolver, the command prompt) with the words a trial would fail with', () => {
  // Every placeholder a trial can fill passes, in both modes: the checkpoint and global-batch ones too.
  for (const p of PLACEHOLDERS)
    for (const shell of [false, true]) assert.equal(commandTemplateProblem(`python t.py --x \${${p}}`, shell), undefined, `\${${p}} shell=${shell}`);
  assert.equal(
    commandTemplateProblem(
      '${python} t.py --save ${checkpoint} --resume ${resume} --ws ${worldSize} --acc ${accumulationSteps} --micro ${microBatchSize}',
      false,
    ),
    undefined,
  );
  assert.match(commandTemplateProblem('python ${confg}', false) ?? '', /^unknown placeholder \$\{confg\}/);
  assert.match(commandTemplateProblem('python "unclosed', false) ?? '', /^unterminated double quote/);
  // Shell mode's refusals, word for word as a trial would get them; the same text is harmless without a shell.
  for (const template of ['echo `basename ${config}`', 'echo $((${batchSize} * 2))', 'cat <<EOF\n${seed}\nEOF']) {
    const atTrial = (() => {
      try {
        resolveCommand(template, values, { shell: true });
        return 'ran';
      } catch (e) {
        return (e as Error).message;
      }
    })();
    assert.equal(commandTemplateProblem(template, true), atTrial);
    assert.match(atTrial, /^tuner\.shell is on and \$\{\w+\} cannot be passed safely/);
    assert.equal(commandTemplateProblem(template, false), undefined, template);
  }
});
