// Parsing and validating training configs: every problem at its exact line and column.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, formatDiagnostic, loadTrainingConfig, parseTrainingConfig, validateTrainingConfig, type ConfigDiagnostic } from '../../src/core/config';

const fixtures = join(__dirname, '..', 'fixtures', 'configs', 'invalid');
const examples = join(__dirname, '..', '..', 'examples');

function parseFixture(name: string): ConfigDiagnostic[] {
  const file = join(fixtures, name);
  return parseTrainingConfig(readFileSync(file, 'utf8'), file).diagnostics;
}

/** The one diagnostic whose message contains `part`, as [line, column, endColumn]. */
function at(diags: ConfigDiagnostic[], part: string): [number, number, number] {
  const found = diags.filter((d) => d.message.includes(part));
  assert.equal(found.length, 1, `expected one diagnostic containing ${JSON.stringify(part)}, got:\n${diags.map(formatDiagnostic).join('\n')}`);
  return [found[0].line, found[0].column, found[0].endColumn];
}

test('a wrong type points at the value and says what to write', () => {
  const d = parseFixture('typo.yaml');
  assert.deepEqual(at(d, 'batch_size must be an integer >= 1 (got "abc")'), [10, 13, 16]);
});

test('an unknown key points at the key and suggests the closest known one', () => {
  const d = parseFixture('typo.yaml');
  assert.deepEqual(at(d, 'unknown key `learnin_rate` in optimizer — did you mean `learning_rate`?'), [9, 3, 15]);
  assert.deepEqual(at(d, 'unknown key `hiden` in model — did you mean `hidden`?'), [4, 3, 8]);
});

test('a missing required key points at its parent key; at the root, the document start', () => {
  const text = 'model: {type: mlp}\ndata:\n  source: csv\n  path: x.csv\noptimizer: {name: adam, learning_rate: 0.1}\nbatch_size: 8\n';
  const d = parseTrainingConfig(text, 'c.yaml', { checkFiles: false }).diagnostics;
  assert.deepEqual(at(d, 'data is missing required key `label`; add it'), [2, 1, 5]);
  assert.equal(d.length, 1);
  // A misspelt key is reported once, as the typo, not also as the real key missing.
  assert.equal(parseFixture('typo.yaml').filter((x) => x.message.includes('missing')).length, 0);
  const root = parseTrainingConfig('model: {type: mlp}\ndata: {source: mnist}\noptimizer: {name: adam, learning_rate: 0.1}\n', 'c.yaml');
  assert.deepEqual(at(root.diagnostics, 'missing required key `batch_size` at the top level'), [1, 1, 1]);
  assert.equal(root.config, undefined);
});

test('tuner.min_batch_size > max_batch_size is an error on the minimum', () => {
  const d = parseFixture('typo.yaml');
  assert.deepEqual(at(d, 'tuner.min_batch_size (256) must be <= tuner.max_batch_size (64)'), [12, 19, 22]);
  // Exactly these four problems: nothing else, nothing twice.
  assert.equal(d.length, 4, d.map(formatDiagnostic).join('\n'));
});

test('a YAML syntax error is reported where the parser lost track', () => {
  const d = parseFixture('bad-indent.yaml');
  assert.equal(d.length, 1);
  assert.match(d[0].message, /^YAML syntax error: Flow sequence .* end with a \]/);
  assert.deepEqual([d[0].line, d[0].column], [4, 1]);
});

test('a trailing comma in strict JSON points at the comma; .jsonc allows it', () => {
  const file = join(fixtures, 'trailing-comma.json');
  const text = readFileSync(file, 'utf8');
  const d = parseTrainingConfig(text, file).diagnostics;
  assert.deepEqual(at(d, 'trailing comma: strict JSON allows no comma before `}`'), [5, 19, 20]);
  assert.equal(d[0].offset, text.indexOf('32,') + 2);
  const jsonc = parseTrainingConfig(`// with a comment\n${text}`, 'same.jsonc');
  assert.deepEqual(jsonc.diagnostics, []);
  assert.equal(jsonc.config?.batch_size, 32);
});

test('duplicate keys are errors in YAML and in JSON, at the second key', () => {
  const d = parseFixture('duplicate.yaml');
  assert.deepEqual(at(d, 'duplicate key `batch_size`'), [9, 1, 11]);
  const json = parseTrainingConfig('{\n  "batch_size": 1,\n  "batch_size": 2\n}', 'd.json').diagnostics;
  assert.deepEqual(at(json, 'duplicate key `batch_size`'), [3, 3, 15]);
});

test('semantic checks: a missing CSV file and a shrinking linear ramp, at their values', () => {
  const d = parseFixture('missing-file.yaml');
  const [line, col] = at(d, 'CSV file not found');
  assert.deepEqual([line, col], [5, 9]);
  assert.ok(d.find((x) => x.message.includes('CSV'))!.message.includes(join(fixtures, 'no-such-file.csv')));
  assert.deepEqual(at(d, 'batch_schedule.from (256) must not be larger than to (32)'), [11, 9, 12]);
});

test('keys of another variant are named as such (model type cnn has no `hidden`)', () => {
  const text =
    'model:\n  type: cnn\n  hidden: [64]\n  activation: gelu\ndata: {source: mnist}\noptimizer: {name: sgd, learning_rate: 0.1, momentum: 0.9}\nbatch_size: 8\n';
  const d = parseTrainingConfig(text, 'v.yaml').diagnostics;
  assert.deepEqual(at(d, '`hidden` does not apply to model type `cnn`'), [3, 3, 9]);
  assert.deepEqual(at(d, 'model.activation must be one of `relu`, `tanh` (got "gelu")'), [4, 15, 19]);
  assert.deepEqual(at(d, '`momentum` does not apply to optimizer name `sgd`'), [6, 44, 52]);
});

test('defaults are applied and documented values survive', () => {
  const r = parseTrainingConfig('model: {type: mlp}\ndata: {source: mnist}\noptimizer: {name: adam, learning_rate: 0.001}\nbatch_size: 64\n', 'd.yaml');
  assert.deepEqual(r.diagnostics, []);
  const c = r.config!;
  assert.equal(c.seed, 42);
  assert.equal(c.validation_split, 0.2);
  assert.equal(c.eval_every, 50);
  assert.equal(c.epochs, 1);
  assert.equal(c.loss, 'cross_entropy');
  assert.deepEqual(c.model, { type: 'mlp', hidden: [128], activation: 'relu' });
  assert.deepEqual(c.data, { source: 'mnist', train_samples: 8000, test_samples: 2000 });
  assert.deepEqual(c.optimizer, { name: 'adam', learning_rate: 0.001, beta1: 0.9, beta2: 0.999 });
});

test('loadTrainingConfig throws a ConfigError listing file:line:col: error: message', () => {
  const file = join(fixtures, 'typo.yaml');
  assert.throws(
    () => loadTrainingConfig(file),
    (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      const lines = e.message.split('\n');
      assert.equal(lines.length, e.diagnostics.length);
      assert.ok(lines.includes(`${file}:10:13: error: batch_size must be an integer >= 1 (got "abc")`), e.message);
      return true;
    },
  );
  assert.throws(() => loadTrainingConfig(join(fixtures, 'absent.yaml')), /absent\.yaml:1:1: error: cannot read the config: file not found/);
});

test('every example config parses without diagnostics', () => {
  const files = [
    ...readdirSync(examples)
      .filter((f) => /\.(ya?ml|json)$/.test(f))
      .map((f) => join(examples, f)),
    join(examples, 'csv-regression', 'config.yaml'),
  ];
  assert.ok(files.length >= 4);
  for (const f of files) {
    const r = parseTrainingConfig(readFileSync(f, 'utf8'), f);
    assert.deepEqual(r.diagnostics.map(formatDiagnostic), [], f);
    assert.ok(r.config, f);
  }
  const csv = loadTrainingConfig(join(examples, 'csv-regression', 'config.yaml'));
  assert.equal(csv.config.loss, 'mse');
  const rows = readFileSync(join(examples, 'csv-regression', 'data.csv'), 'utf8')
    .trim()
    .split('\n');
  assert.equal(rows[0], 'moles,temperature_k,volume_l,pressure_bar');
  assert.equal(rows.length, 1501);
});

test('validateTrainingConfig checks a config built in memory, by key path', () => {
  const problems = validateTrainingConfig({
    model: { type: 'mlp' },
    data: { source: 'mnist' },
    optimizer: { name: 'adam', learning_rate: 0.001 },
    batch_size: 32,
    batch_schedule: { kind: 'step', at_steps: [200, 100] },
  });
  assert.deepEqual(
    problems.map((p) => [p.path.join('.'), p.severity]),
    [['batch_schedule.at_steps.1', 'error']],
  );
  assert.match(problems[0].message, /strictly increasing/);
  assert.deepEqual(
    validateTrainingConfig({ model: { type: 'mlp' }, data: { source: 'mnist' }, optimizer: { name: 'adam', learning_rate: 0.001 }, batch_size: 32 }),
    [],
  );
});
