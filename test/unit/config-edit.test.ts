// Writing batch sizes and learning rates back: only values change; comments, quoting, key order
// and indentation survive; missing keys land in the right mapping in the file's own style.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { parse as parseJsonc } from 'jsonc-parser';
import {
  applyConfigEdits,
  applyTextEdits,
  findBatchSizeSites,
  formatConfigNumber,
  parseMemorySize,
  parseTrainingConfig,
  withBatchSize,
} from '../../src/core/config';

const dir = join(__dirname, '..', 'fixtures', 'configs');
const read = (name: string) => readFileSync(join(dir, name), 'utf8');

test('YAML: site edits change only the values (comments, quotes, flow mappings kept)', () => {
  const text = read('lightning.yaml');
  const sites = findBatchSizeSites(text, 'yaml');
  const out = applyConfigEdits(text, 'lightning.yaml', [
    { site: sites[0].batchSize, value: 128 },
    { site: sites[1].batchSize, value: 256 },
    { site: sites[1].learningRate!, value: 0.0282842712474619 },
    { site: sites[3].batchSize, value: 4 },
  ]);
  const expected = text
    .replace('batch_size: 64 # per device', 'batch_size: 128 # per device')
    .replace('\nbatch_size: 32\n', '\nbatch_size: 256\n')
    .replace('lr: 0.01', 'lr: 0.028284')
    .replace('micro_batch_size: 2 }', 'micro_batch_size: 4 }');
  assert.equal(out.text, expected);
  assert.equal(out.edits.length, 4);
  assert.equal(applyTextEdits(text, out.edits), out.text);
  assert.deepEqual(out.edits[0], { offset: sites[0].batchSize.valueOffset, length: 2, newText: '128' });
});

test("YAML: missing nested paths are inserted into the right mapping with the file's indentation", () => {
  const text = [
    '# MNIST, tuned by hand',
    'model:',
    '    type: mlp   # small',
    'data:',
    '    source: mnist',
    'optimizer:',
    '    name: adam',
    'batch_size: 32  # tuned',
    'tuner:',
    '    min_batch_size: 8',
    '',
  ].join('\n');
  const out = applyConfigEdits(text, 'train.yaml', [
    { path: ['batch_size'], value: 64 },
    { path: ['optimizer', 'learning_rate'], value: 0.0014142135623730952 },
    { path: ['tuner', 'max_batch_size'], value: 512 },
    { path: ['batch_schedule'], value: { kind: 'linear_ramp', from: 32, to: 256, over_samples: 100000 } },
  ]);
  assert.equal(
    out.text,
    [
      '# MNIST, tuned by hand',
      'model:',
      '    type: mlp   # small',
      'data:',
      '    source: mnist',
      'optimizer:',
      '    name: adam',
      '    learning_rate: 0.0014142',
      'batch_size: 64  # tuned',
      'tuner:',
      '    min_batch_size: 8',
      '    max_batch_size: 512',
      'batch_schedule:',
      '    kind: linear_ramp',
      '    from: 32',
      '    to: 256',
      '    over_samples: 100000',
      '',
    ].join('\n'),
  );
  // The result is a valid config with the values written.
  const parsed = parseTrainingConfig(out.text, 'train.yaml');
  assert.deepEqual(parsed.diagnostics, []);
  assert.equal(parsed.config?.optimizer.learning_rate, 0.0014142);
  // Replacing a whole mapping: stale keys go, the comment above the section stays.
  const again = applyConfigEdits(out.text, 'yaml', [{ path: ['batch_schedule'], value: { kind: 'adaptive', every_steps: 25, from: undefined } }]);
  assert.ok(again.text.endsWith('batch_schedule:\n    kind: adaptive\n    every_steps: 25\n'), again.text);
  assert.deepEqual(parseDocument(again.text).toJS().batch_schedule, { kind: 'adaptive', every_steps: 25 });
});

test("JSON/JSONC: values replaced in place; missing keys inserted with the file's indentation, comments kept", () => {
  const text = ['{', '  // our run', '  "batch_size": 32,', '  "optimizer": {', '    "name": "adam" // the default', '  }', '}', ''].join('\n');
  const out = applyConfigEdits(text, 'run.jsonc', [
    { path: ['batch_size'], value: 96 },
    { path: ['optimizer', 'learning_rate'], value: 0.002 },
    { path: ['batch_schedule'], value: { kind: 'step', every_steps: 100, factor: 2 } },
  ]);
  assert.equal(
    out.text,
    [
      '{',
      '  // our run',
      '  "batch_size": 96,',
      '  "optimizer": {',
      '    "name": "adam", // the default',
      '    "learning_rate": 0.002',
      '  },',
      '  "batch_schedule": {',
      '    "kind": "step",',
      '    "every_steps": 100,',
      '    "factor": 2',
      '  }',
      '}',
      '',
    ].join('\n'),
  );
  assert.deepEqual(parseJsonc(out.text), {
    batch_size: 96,
    optimizer: { name: 'adam', learning_rate: 0.002 },
    batch_schedule: { kind: 'step', every_steps: 100, factor: 2 },
  });
  // Strict JSON on one line stays on one line.
  const flat = applyConfigEdits('{"batch_size": 8, "optimizer": {"name": "sgd"}}', 'x.json', [{ path: ['optimizer', 'learning_rate'], value: 0.1 }]);
  assert.equal(flat.text, '{"batch_size": 8, "optimizer": {"name": "sgd", "learning_rate": 0.1}}');
});

test('replacing a flow mapping or a JSON object rewrites it whole; an empty `key:` gets a nested mapping', () => {
  const yaml = 'batch_size: 32\nbatch_schedule: {kind: linear_ramp, from: 8, to: 64, over_samples: 100}\ntuner:\n';
  const out = applyConfigEdits(yaml, 'c.yaml', [
    { path: ['batch_schedule'], value: { kind: 'adaptive', every_steps: 20 } },
    { path: ['tuner', 'max_batch_size'], value: 256 },
  ]);
  assert.equal(out.text, 'batch_size: 32\nbatch_schedule:\n  kind: adaptive\n  every_steps: 20\ntuner:\n  max_batch_size: 256\n');
  const json = '{\n  "batch_size": 32,\n  "batch_schedule": {"kind": "linear_ramp", "from": 8, "to": 64, "over_samples": 100}\n}\n';
  const j = applyConfigEdits(json, 'c.json', [{ path: ['batch_schedule'], value: { kind: 'adaptive', every_steps: 20 } }]);
  assert.equal(j.text, '{\n  "batch_size": 32,\n  "batch_schedule": {\n    "kind": "adaptive",\n    "every_steps": 20\n  }\n}\n');
  assert.equal(j.edits.length, 1);
  // Into an existing list item, at the item's key column (after `- `).
  const runs = applyConfigEdits('runs:\n  - name: a\n    batch_size: 8\n  - name: b\n', 'r.yaml', [
    { path: ['runs', '0', 'lr'], value: 0.1 },
    { path: ['runs', '1', 'name'], value: 'c' },
  ]);
  assert.equal(runs.text, 'runs:\n  - name: a\n    batch_size: 8\n    lr: 0.1\n  - name: c\n');
  assert.throws(() => applyConfigEdits('runs: [1]\n', 'r.yaml', [{ path: ['runs', '3'], value: 2 }]), /list index 3 does not exist/);
  const empty = applyConfigEdits('{}', 'e.json', [{ path: ['optimizer', 'learning_rate'], value: 0.1 }]);
  assert.equal(empty.text, '{\n  "optimizer": {\n    "learning_rate": 0.1\n  }\n}');
});

test('TOML: site edits keep underscores elsewhere, comments, quoted keys and inline tables', () => {
  const text = read('pyproject.toml');
  const sites = findBatchSizeSites(text, 'toml');
  const out = applyConfigEdits(text, 'pyproject.toml', [
    { site: sites[0].batchSize, value: 2048 },
    { site: sites[0].learningRate!, value: 0.0014142135 },
    { site: sites[3].batchSize, value: 64 },
    { site: sites[3].learningRate!, value: 1e-7 },
  ]);
  const expected = text
    .replace('batch_size = 1_024 # inline comment', 'batch_size = 2048 # inline comment')
    .replace('learning_rate = 1e-3', 'learning_rate = 0.0014142')
    .replace('{ batch_size = 32, lr = 0.01,', '{ batch_size = 64, lr = 1.0e-7,');
  assert.equal(out.text, expected);
  assert.throws(() => applyConfigEdits(text, 'toml', [{ path: ['tool', 'x'], value: 1 }]), /cannot add keys to a toml file/);
});

test('Python: argparse default, keyword argument and assignment edited in place', () => {
  const text = read('train.py');
  const sites = findBatchSizeSites(text, 'python');
  const out = applyConfigEdits(text, 'train.py', [
    { site: sites[0].batchSize, value: 128 },
    { site: sites[1].batchSize, value: 256 },
    { site: sites[1].learningRate!, value: 0.0028284271 },
    { site: sites[3].batchSize, value: 512 },
  ]);
  const expected = text
    .replace('BATCH_SIZE = 64  #', 'BATCH_SIZE = 128  #')
    .replace('type=int, default=32, help="batch_size=5 in help"', 'type=int, default=256, help="batch_size=5 in help"')
    .replace("'--lr', type=float, default=1e-3", "'--lr', type=float, default=0.0028284")
    .replace('batch_size=256, shuffle=True', 'batch_size=512, shuffle=True');
  assert.equal(out.text, expected);
});

test('withBatchSize edits the primary site and its learning rate, or our optimizer.learning_rate', () => {
  // Hugging Face style: per_device_train_batch_size is preferred over a deeper batch_size.
  const hf = 'training:\n  per_device_train_batch_size: 8\n  learning_rate: 5.0e-5\ndata:\n  loader:\n    batch_size: 8\n';
  assert.equal(
    withBatchSize(hf, 'hf.yaml', 32, 1e-4),
    'training:\n  per_device_train_batch_size: 32\n  learning_rate: 0.0001\ndata:\n  loader:\n    batch_size: 8\n',
  );
  // Our format: the learning rate is inserted into optimizer when missing.
  const ours = 'model: {type: linear}\ndata: {source: mnist}\noptimizer:\n  name: sgd\nbatch_size: 16\n';
  assert.equal(
    withBatchSize(ours, 'c.yml', 64, 0.4),
    'model: {type: linear}\ndata: {source: mnist}\noptimizer:\n  name: sgd\n  learning_rate: 0.4\nbatch_size: 64\n',
  );
  // A quoted number stays quoted (the author chose a string).
  assert.equal(withBatchSize('{"train_batch_size": "32"}', 'ds.json', 128), '{"train_batch_size": "128"}');
  assert.equal(withBatchSize('import x\nparser.add_argument("--bs", default=4)\n', 'p.py', 12), 'import x\nparser.add_argument("--bs", default=12)\n');
  assert.throws(
    () => withBatchSize('epochs: 3\n', 'e.yaml', 32),
    /no batch-size key found in e\.yaml: looked for per_device_train_batch_size, train_batch_size, batch_size/,
  );
});

test('numbers are written short and exact-looking', () => {
  assert.equal(formatConfigNumber(128), '128');
  assert.equal(formatConfigNumber(0.0014142135623730952), '0.0014142');
  assert.equal(formatConfigNumber(0.001), '0.001');
  assert.equal(formatConfigNumber(1e-7), '1.0e-7');
  assert.equal(formatConfigNumber(2.5e-8), '2.5e-8');
  assert.equal(formatConfigNumber(0.1 + 0.2), '0.3');
  assert.throws(() => formatConfigNumber(NaN), /finite number/);
});

test('memory sizes: decimal and binary units, plain bytes, clear errors for junk', () => {
  assert.equal(parseMemorySize('2GB'), 2e9);
  assert.equal(parseMemorySize('2GiB'), 2 * 1024 ** 3);
  assert.equal(parseMemorySize('512MiB'), 512 * 1024 ** 2);
  assert.equal(parseMemorySize('512 MB'), 512e6);
  assert.equal(parseMemorySize('1.5G'), 1.5e9);
  assert.equal(parseMemorySize('64kib'), 65536);
  assert.equal(parseMemorySize('4096'), 4096);
  assert.equal(parseMemorySize(1e9), 1e9);
  assert.throws(
    () => parseMemorySize('2 gigs'),
    /memory size "2 gigs" is not understood: write bytes, a number with a unit, or a share of physical memory, e\.g\. "2GB"/,
  );
  assert.throws(() => parseMemorySize('-1GB'), /not understood/);
  assert.throws(() => parseMemorySize(0), /positive/);
});
