// The batch-size key finder on real-world config shapes in every format, with traps: the same
// words in comments, strings, block scalars and docstrings must never match.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { detectFormat, findBatchSizeSites, type BatchSizeSite, type KeyMatch } from '../../src/core/config';

const dir = join(__dirname, '..', 'fixtures', 'configs');
const read = (name: string) => readFileSync(join(dir, name), 'utf8');

/** Offset of `needle` (which must occur exactly once) plus `skip` characters. */
function offsetOf(text: string, needle: string, skip = 0): number {
  const i = text.indexOf(needle);
  assert.ok(i >= 0 && text.indexOf(needle, i + 1) < 0, `fixture must contain ${JSON.stringify(needle)} exactly once`);
  return i + skip;
}

/** A site as [key as written, value as written, path, value] with the key/value ranges checked against the text. */
function describe(text: string, m: KeyMatch): [string, string, string, number] {
  const lines = text.slice(0, m.keyOffset).split('\n');
  assert.equal(m.line, lines.length - 1);
  assert.equal(m.character, lines[lines.length - 1].length);
  return [text.substr(m.keyOffset, m.keyLength), text.substr(m.valueOffset, m.valueLength), m.path.join('.'), m.value];
}

function summary(text: string, sites: BatchSizeSite[]) {
  return sites.map((s) => ({ batch: describe(text, s.batchSize), lr: s.learningRate ? describe(text, s.learningRate) : undefined }));
}

test('YAML: nested keys, the optimizer lr beside the batch size or an ancestor, integer-only `batch`; comments, strings and block scalars ignored', () => {
  const text = read('lightning.yaml');
  const sites = findBatchSizeSites(text, 'lightning.yaml');
  assert.deepEqual(summary(text, sites), [
    // The optimizer section beside an ancestor holds the learning rate (Lightning CLI style);
    // model.learning_rate is not next to any batch size.
    { batch: ['batch_size', '64', 'trainer.datamodule.batch_size', 64], lr: ['lr', '0.01', 'optimizer.lr', 0.01] },
    { batch: ['batch_size', '32', 'batch_size', 32], lr: ['lr', '0.01', 'optimizer.lr', 0.01] },
    { batch: ['batch', '128', 'eval.batch', 128], lr: ['lr', '0.01', 'optimizer.lr', 0.01] },
    { batch: ['micro_batch_size', '2', 'eval.tag.micro_batch_size', 2], lr: ['lr', '0.01', 'optimizer.lr', 0.01] },
  ]);
  assert.equal(sites[0].batchSize.keyOffset, offsetOf(text, 'batch_size: 64'));
  assert.equal(sites[0].batchSize.valueOffset, offsetOf(text, 'batch_size: 64', 12));
  assert.equal(sites[1].batchSize.keyOffset, offsetOf(text, '\nbatch_size: 32', 1));
  assert.equal(sites[1].learningRate!.valueOffset, offsetOf(text, '0.01'));
});

test('JSON: DeepSpeed keys pair with optimizer.params.lr; a key inside a string value is ignored', () => {
  const text = read('ds_config.json');
  const sites = findBatchSizeSites(text, 'ds_config.json');
  assert.deepEqual(summary(text, sites), [
    { batch: ['"train_batch_size"', '256', 'train_batch_size', 256], lr: ['"lr"', '0.0003', 'optimizer.params.lr', 0.0003] },
    { batch: ['"train_micro_batch_size_per_gpu"', '16', 'train_micro_batch_size_per_gpu', 16], lr: ['"lr"', '0.0003', 'optimizer.params.lr', 0.0003] },
  ]);
  assert.equal(sites[0].batchSize.valueOffset, offsetOf(text, '256'));
});

test('JSONC: comments (line and block) ignored, trailing commas tolerated, lr in the same object', () => {
  const text = read('settings.jsonc');
  const sites = findBatchSizeSites(text, 'settings.jsonc');
  assert.deepEqual(summary(text, sites), [
    { batch: ['"batchSize"', '48', 'training.batchSize', 48], lr: ['"learningRate"', '0.002', 'training.learningRate', 0.002] },
    { batch: ['"global_batch_size"', '1024', 'eval.global_batch_size', 1024], lr: undefined },
  ]);
  assert.equal(sites[0].batchSize.keyOffset, offsetOf(text, '"batchSize": 48'));
});

test('TOML: tables, dotted and quoted keys, inline tables, array tables; comments and multi-line strings ignored', () => {
  const text = read('pyproject.toml');
  const sites = findBatchSizeSites(text, 'pyproject.toml');
  assert.deepEqual(summary(text, sites), [
    { batch: ['batch_size', '1_024', 'tool.trainer.batch_size', 1024], lr: ['learning_rate', '1e-3', 'tool.trainer.learning_rate', 0.001] },
    { batch: ['micro_batch_size', '4', 'tool.trainer.data.micro_batch_size', 4], lr: ['lr', '0.1', 'tool.trainer.optimizer.lr', 0.1] },
    { batch: ['"train_batch_size"', '16', 'tool.trainer.train_batch_size', 16], lr: ['learning_rate', '1e-3', 'tool.trainer.learning_rate', 0.001] },
    { batch: ['batch_size', '32', 'experiments.hparams.batch_size', 32], lr: ['lr', '0.01', 'experiments.hparams.lr', 0.01] },
    { batch: ['batch', '8', 'experiments.batch', 8], lr: undefined },
  ]);
  assert.equal(sites[0].batchSize.keyOffset, offsetOf(text, 'batch_size = 1_024'));
  assert.equal(sites[3].batchSize.valueOffset, offsetOf(text, 'batch_size = 32', 13));
});

test('Python: assignments, argparse defaults, keyword arguments, typed parameter defaults, dict literals, dataclass-style fields; strings, f-strings, comments and docstrings ignored', () => {
  const text = read('train.py');
  const sites = findBatchSizeSites(text, 'train.py');
  assert.deepEqual(summary(text, sites), [
    { batch: ['BATCH_SIZE', '64', 'BATCH_SIZE', 64], lr: ['LEARNING_RATE', '0.01', 'LEARNING_RATE', 0.01] },
    { batch: ['"--batch-size"', '32', 'parse_args.--batch-size', 32], lr: ["'--lr'", '1e-3', 'parse_args.--lr', 0.001] },
    { batch: ['batch_size', '16', 'Config.batch_size', 16], lr: ['lr', '0.05', 'Config.lr', 0.05] },
    { batch: ['batch_size', '256', 'main.batch_size', 256], lr: undefined },
    { batch: ['batch_size', '8', 'main.config.batch_size', 8], lr: ['learning_rate', '0.2', 'main.config.learning_rate', 0.2] },
    { batch: ['per_device_train_batch_size', '4', 'main.per_device_train_batch_size', 4], lr: ['learning_rate', '5e-5', 'main.learning_rate', 0.00005] },
    { batch: ['batch_size', '48', 'sweep.batch_size', 48], lr: ['lr', '3e-4', 'sweep.lr', 0.0003] },
    { batch: ['"batch_size"', '24', 'sweep.batch_size', 24], lr: ['"learning_rate"', '0.003', 'sweep.learning_rate', 0.003] },
  ]);
  assert.equal(sites[1].batchSize.valueOffset, offsetOf(text, 'default=32', 8));
  assert.equal(sites[3].batchSize.keyOffset, offsetOf(text, 'batch_size=256'));
});

test('Python tokenizer edge cases: prefixes, triple quotes with quotes inside, a continued assignment, nested calls, comparisons', () => {
  const text = [
    "s = rb'batch_size = 1'",
    'doc = """ a "quoted" batch_size = 2 """',
    "f = f'{x!r} batch_size={y}'",
    'total = 3 + \\',
    '    4',
    'batch_size = \\',
    '    5',
    'run(make(batch_size=6), lr=0.1)',
    'if batch_size == 7: pass',
    'x = dict(batch_size=8, lr=0.3)',
    '',
  ].join('\n');
  const sites = findBatchSizeSites(text, 'python');
  assert.deepEqual(summary(text, sites), [
    { batch: ['batch_size', '5', 'batch_size', 5], lr: undefined },
    { batch: ['batch_size', '6', 'batch_size', 6], lr: undefined },
    { batch: ['batch_size', '8', 'batch_size', 8], lr: ['lr', '0.3', 'lr', 0.3] },
  ]);
});

test('YAML: a non-numeric batch_size is still a site (value NaN); a string `batch` is not', () => {
  const text = 'data:\n  batch_size: ${oc.env:BS}\n  batch: auto\n';
  const sites = findBatchSizeSites(text, 'yaml');
  assert.equal(sites.length, 1);
  assert.ok(Number.isNaN(sites[0].batchSize.value));
  assert.equal(sites[0].batchSize.valueOffset, text.indexOf('${'));
});

test('detectFormat by extension, else by content', () => {
  assert.equal(detectFormat('a/b/train.yml'), 'yaml');
  assert.equal(detectFormat('ds_config.JSON'), 'json');
  assert.equal(detectFormat('x.jsonc'), 'json');
  assert.equal(detectFormat('pyproject.toml'), 'toml');
  assert.equal(detectFormat('train.py'), 'python');
  assert.equal(detectFormat('Untitled-1', '{ "a": 1 }'), 'json');
  assert.equal(detectFormat('Untitled-1', '[tool.x]\nbatch_size = 3\n'), 'toml');
  assert.equal(detectFormat('Untitled-1', 'import torch\nbatch_size = 3\n'), 'python');
  assert.equal(detectFormat('Untitled-1', 'model:\n  type: mlp\n'), 'yaml');
});
