// `batch-tuner train` end to end: a real process, real MNIST, the real config loader.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ensureTrainerBundle, fixtures, repoRoot } from '../fixtures/trainer/helpers';
import { parseTrainArgs } from '../../src/cli/trainArgs';
import { summarise, type TrainSummary } from '../../src/cli/trainSummary';

before(() => {
  ensureTrainerBundle();
});

function train(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(fixtures, 'cli-entry.ts'), ...args], {
    cwd: repoRoot,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('train --json: one JSON object, the loss falls, validation accuracy is high', () => {
  const r = train('test/fixtures/trainer/mnist-mlp.yaml', '--batch-size', '64', '--steps', '150', '--json');
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, 1, 'exactly one line on stdout');
  const s = JSON.parse(lines[0]) as TrainSummary;
  assert.equal(s.status, 'ok');
  assert.equal(s.backend, 'wasm');
  assert.match(s.backendReason!, /using wasm/);
  assert.equal(s.batchSize, 64);
  assert.equal(s.learningRate, 0.001);
  assert.equal(s.steps, 150);
  assert.equal(s.samples, 150 * 64);
  assert.ok(s.finalLoss! < 0.3 * s.initialLoss!, `loss ${s.initialLoss} -> ${s.finalLoss}`);
  assert.ok(s.validation!.accuracy! > 0.85, `accuracy ${s.validation!.accuracy}`);
  assert.ok(s.samplesPerSecond! > 0 && s.peakMemoryBytes! > 0 && s.wallSeconds > 0);
  assert.deepEqual(s.batchSizeHistory, [{ step: 1, batchSize: 64, learningRate: 0.001 }]);
});

test('a config error prints file:line:col and exits non-zero', () => {
  const r = train('test/fixtures/trainer/bad-batch.yaml', '--json');
  assert.equal(r.code, 2);
  assert.match(r.stderr, /bad-batch\.yaml:8:\d+: error: batch_size/);
  assert.equal(r.stdout, '');
});

test('bad options exit 2 with what to fix; --backend cpu and the human summary work', () => {
  const bad = train('test/fixtures/trainer/mnist-mlp.yaml', '--batch-size', 'lots');
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--batch-size expects a positive integer \(got "lots"\)/);
  const cpu = train('test/fixtures/trainer/mnist-mlp.yaml', '--backend', 'cpu', '--steps', '3', '--lr', '0.002', '--seed', '5');
  assert.equal(cpu.code, 0, cpu.stderr);
  assert.match(cpu.stdout, /backend +cpu \(forced by BATCH_TUNER_BACKEND=cpu/);
  assert.match(cpu.stdout, /batch size +64, learning rate 0\.002, seed 5/);
  assert.match(cpu.stdout, /validation +loss [\d.]+, accuracy [\d.]+%/);
});

test("train runs a user's own config once with its tuner.command; the lr follows the rule, steps the config", () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'bt-train-own-'));
  const script = path.join(dir, 'train.py');
  copyFileSync(path.join(repoRoot, 'test/fixtures/workspace/own-script/train.py'), script);
  writeFileSync(path.join(dir, 'config.yaml'), `batch_size: 16\nlr: 0.01\nmax_steps: 12\ntuner:\n  command: /usr/bin/python3 ${script} --config \${config}\n`);
  const config = path.join(dir, 'config.yaml');
  const r = train(config, '--batch-size', '64', '--json');
  assert.equal(r.code, 0, r.stderr);
  const s = JSON.parse(r.stdout.trim()) as TrainSummary;
  assert.equal(s.status, 'ok');
  assert.equal(s.batchSize, 64);
  assert.equal(s.steps, 12, 'max_steps: 12 in the config');
  assert.equal(s.samples, 12 * 64);
  assert.ok(Math.abs(s.learningRate - 0.02) < 1e-12, `no optimizer named: Adam assumed, sqrt rule: 0.01 * sqrt(64/16) (got ${s.learningRate})`);
  assert.equal(s.seed, 42, 'the one default seed');
  assert.ok(s.finalLoss! < s.initialLoss!);
  const human = train(config, '--steps', '3');
  assert.equal(human.code, 0, human.stderr);
  assert.match(human.stderr, /Training \S*config\.yaml at batch size 16, learning rate 0\.01 with your own training command/);
  assert.match(human.stderr, /settings: seed 42 \(default\), trial timeout 300 s \(default\), lr rule sqrt \(default for adam\)/);
  assert.match(human.stderr, /note: the config names no optimizer: assumed adam/);
  const none = train('test/fixtures/workspace/own-script/config.yaml');
  assert.equal(none.code, 2);
  assert.match(none.stderr, /config\.yaml: no tuner\.command to run: add tuner\.command/);
});

test('argument parsing and the batch-size history (pure)', () => {
  assert.deepEqual(parseTrainArgs(['c.yaml', '--steps=10', '--json']), { config: 'c.yaml', steps: 10, json: true });
  assert.equal(parseTrainArgs(['--help']), 'help');
  assert.throws(() => parseTrainArgs([]), /missing <config>/);
  assert.throws(() => parseTrainArgs(['a.yaml', '--lr', '-1']), /--lr expects a positive number/);
  assert.throws(() => parseTrainArgs(['a.yaml', '--backend', 'gpu']), /--backend expects wasm, cpu or node/);
  assert.throws(() => parseTrainArgs(['a.yaml', '--checkpoint-every', '0']), /--checkpoint-every expects a positive integer \(got "0"\)/);
  assert.throws(() => parseTrainArgs(['a.yaml', '--resume']), /--resume expects a checkpoint file/);
  assert.throws(() => parseTrainArgs(['a.yaml', '--batchsize', '8']), /unknown option --batchsize/);
  assert.throws(() => parseTrainArgs(['a.yaml', 'b.yaml']), /one config file only \(got a\.yaml and b\.yaml\)/);
  assert.throws(() => parseTrainArgs(['a.yaml', '--json=yes']), /--json takes no value/);
  assert.deepEqual(parseTrainArgs(['a.yaml', '--checkpoint-every=50', '--checkpoint-dir', 'ck', '--resume', 'ck/step-50.ckpt', '--seed', '0']), {
    config: 'a.yaml',
    checkpointEvery: 50,
    checkpointDir: 'ck',
    resume: 'ck/step-50.ckpt',
    seed: 0,
    json: false,
  });
  const step = (n: number, b: number, lr: number) => ({
    step: n,
    epoch: 0,
    samples: n * b,
    loss: 1 / n,
    batchSize: b,
    learningRate: lr,
    stepTimeMs: 1,
    samplesPerSecond: 1,
    time: n,
  });
  const s = summarise('c.yaml', {
    id: 'x',
    status: 'ok',
    batchSize: 16,
    learningRate: 0.1,
    seed: 0,
    wallSeconds: 1,
    evals: [],
    steps: [step(1, 16, 0.1), step(2, 16, 0.1), step(3, 32, 0.2), step(4, 32, 0.21), step(5, 64, 0.4)],
  });
  assert.deepEqual(s.batchSizeHistory, [
    { step: 1, batchSize: 16, learningRate: 0.1 },
    { step: 3, batchSize: 32, learningRate: 0.2 },
    { step: 5, batchSize: 64, learningRate: 0.4 },
  ]);
  assert.equal(s.initialLoss, 1);
  assert.equal(s.lastLoss, 0.2);
});
