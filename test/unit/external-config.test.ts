// loadExternalConfig on a user's own configs (YAML, JSON, TOML, Python) and writeTrialConfig's copy.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { loadExternalConfig, writeTrialConfig, ExternalConfigError } from '../../src/core/runner/externalConfig';
import { createRunner } from '../../src/core/runner';
import { resolveStudy } from '../../src/core/resolve';
import type { TrainingConfig } from '../../src/core/types';

function file(name: string, text: string): string {
  const f = join(mkdtempSync(join(tmpdir(), 'bt-xc-')), name);
  writeFileSync(f, text);
  return f;
}

test('YAML: batch size, lr, the tuner section, dataset size', () => {
  const c = loadExternalConfig(
    file(
      'hydra.yaml',
      'trainer:\n  max_epochs: 3\nbatch_size: 48\ntrain_size: 50000\noptimizer:\n  lr: 3.0e-4\ntuner:\n  command: python train.py data.batch_size=${batchSize}\n  candidates: [16, 32, 64]\n  memory_limit: 8GB\n  lr_rule: sqrt\n',
    ),
  );
  assert.equal(c.batchSize, 48);
  assert.equal(c.learningRate, 3e-4);
  assert.deepEqual(c.site.batchSize.path, ['batch_size']);
  assert.deepEqual(c.site.learningRate?.path, ['optimizer', 'lr']);
  assert.equal(c.command, 'python train.py data.batch_size=${batchSize}');
  assert.deepEqual(c.tuner, { candidates: [16, 32, 64], memory_limit: '8GB', lr_rule: 'sqrt', command: c.command });
  assert.equal(c.datasetSize, 50000);
});

test('JSON (DeepSpeed-style) and TOML ([tool.batch_tuner])', () => {
  const j = loadExternalConfig(
    file(
      'ds_config.json',
      '{\n  "train_micro_batch_size_per_gpu": 16,\n  "optimizer": {"type": "AdamW", "params": {"lr": 2e-5}},\n  "tuner": {"command": "deepspeed train.py --deepspeed ${config}", "max_batch_size": 64, "shell": true}\n}\n',
    ),
  );
  assert.equal(j.format, 'json');
  assert.equal(j.batchSize, 16);
  assert.equal(j.learningRate, 2e-5);
  assert.deepEqual(j.tuner, { max_batch_size: 64, command: 'deepspeed train.py --deepspeed ${config}', shell: true });
  const t = loadExternalConfig(
    file(
      'pyproject.toml',
      '[train]\nbatch_size = 64\nlearning_rate = 0.01\n\n[tool.batch_tuner]\ncommand = "${python} -m mypkg.train --config ${config}"\ncandidates = [32, 64, 128]\nbudget_seconds = 90\n',
    ),
  );
  assert.equal(t.format, 'toml');
  assert.equal(t.batchSize, 64);
  assert.equal(t.learningRate, 0.01);
  assert.deepEqual(t.tuner, { budget_seconds: 90, candidates: [32, 64, 128], command: '${python} -m mypkg.train --config ${config}' });
});

test('a Python script as the config: batch size from its code, no tuner section', () => {
  const p = loadExternalConfig(file('train.py', 'import argparse\nBATCH_SIZE = 128\nlr = 0.1\n'));
  assert.equal(p.format, 'python');
  assert.equal(p.batchSize, 128);
  assert.equal(p.tuner, undefined);
  assert.equal(p.command, undefined);
});

test('errors say where and what to do', () => {
  assert.throws(
    () => loadExternalConfig(file('a.yaml', 'epochs: 3\nlr: 0.1\n')),
    (e: unknown) => e instanceof ExternalConfigError && /a\.yaml:1:1: no batch-size key found .*add one/.test(e.message),
  );
  assert.throws(
    () => loadExternalConfig(file('b.yaml', 'batch_size: ${oc.env:BS}\n')),
    /b\.yaml:1:13: batch_size is not a whole number \(\$\{oc\.env:BS\}\).*write a number there/,
  );
  assert.throws(
    () => loadExternalConfig(file('c.yaml', 'batch_size: 32\ntuner:\n  min_batch_size: 64\n  max_batch_size: 16\n')),
    /c\.yaml:3:19: tuner\.min_batch_size \(64\) must be <= tuner\.max_batch_size \(16\); swap them/,
  );
  assert.throws(
    () => loadExternalConfig(file('d.yaml', 'batch_size: 32\ntuner:\n  lr_rule: cubic\n')),
    /d\.yaml:3:12: tuner\.lr_rule must be one of `linear`, `sqrt`, `none` \(got "cubic"\)/,
  );
  assert.throws(() => loadExternalConfig(file('e.json', '{"batch_size": 32,, }')), /e\.json:1:\d+: the JSON cannot be read/);
  assert.throws(() => loadExternalConfig(file('f.yaml', 'batch_size: 32\ntuner: fast\n')), /f\.yaml:2:1: `tuner` must be a mapping/);
  // The tuner section is checked by the training format's own JSON Schema: typos, types, sizes.
  assert.throws(
    () => loadExternalConfig(file('g.yaml', 'batch_size: 32\ntuner:\n  command: python t.py\n  budget_secs: 10\n')),
    /g\.yaml:4:3: unknown key `budget_secs` in tuner — did you mean `budget_seconds`\?/,
  );
  assert.throws(
    () => loadExternalConfig(file('h.json', '{"batch_size": 32,\n "tuner": {"min_batch_size": 0}}')),
    /h\.json:2:30: tuner\.min_batch_size must be an integer >= 1 \(got 0\)/,
  );
  assert.throws(
    () => loadExternalConfig(file('i.toml', '[train]\nbatch_size = 64\n\n[tool.batch_tuner]\nmemory_limit = "lots"\n')),
    /i\.toml:5:16: memory_limit must be a number of bytes, a size such as "2GB"/,
  );
  assert.throws(
    () => loadExternalConfig(file('j.yaml', 'batch_size: 32\ntuner:\n  memory_limit: 150%\n')),
    /j\.yaml:3:17: tuner\.memory size "150%" must be a share of physical memory/,
  );
  assert.throws(() => loadExternalConfig(file('k.yaml', 'batch_size: 32\ntuner:\n  command: "  "\n')), /k\.yaml:3:12: tuner\.command must be a command line/);
  assert.equal(
    loadExternalConfig(file('l.yaml', 'batch_size: 32\ntuner:\n  memory_limit: 80%\n')).tuner?.memory_limit,
    '80%',
    'a share of RAM is a valid limit',
  );
  assert.throws(() => loadExternalConfig('/nonexistent/x.yaml'), /\/nonexistent\/x\.yaml: cannot read the config \(ENOENT\)/);
});

test('writeTrialConfig: hidden copy next to the original, only the numbers change, removed on demand', () => {
  const f = file('run.yaml', '# experiment 12\nmodel: resnet\nbatch_size: 32   # fits a 16 GB GPU\nlr: 0.1\n');
  const copy = writeTrialConfig(f, 256, 0.8, 'conv-256/s1');
  assert.equal(dirname(copy.path), dirname(f));
  assert.match(copy.path, /\/\.batch-tuner-conv-256_s1-[a-z0-9]+\.yaml$/);
  assert.equal(readFileSync(copy.path, 'utf8'), '# experiment 12\nmodel: resnet\nbatch_size: 256   # fits a 16 GB GPU\nlr: 0.8\n');
  assert.deepEqual(copy.warnings, []);
  copy.remove();
  assert.ok(!existsSync(copy.path));
  // Same learning rate: left exactly as written. No lr key: a warning says how the lr reaches the script.
  const same = writeTrialConfig(f, 64, 0.1, 't');
  assert.match(readFileSync(same.path, 'utf8'), /\nlr: 0\.1\n$/);
  same.remove();
  const g = file('nolr.yaml', 'batch_size: 8\n');
  const w = writeTrialConfig(g, 16, 0.01, 't');
  assert.match(w.warnings.join(), /no learning-rate key.*BATCH_TUNER_LEARNING_RATE/);
  w.remove();
});

test("a user config's tuner.timeout_seconds reaches its runner (resolveStudy -> createRunner)", async () => {
  const f = file('slow.yaml', `batch_size: 8\ntuner:\n  command: /usr/bin/python3 ${join(__dirname, '../fixtures/scripts/hang.py')}\n  timeout_seconds: 1\n`);
  const resolved = resolveStudy({ file: f, text: readFileSync(f, 'utf8'), machine: { totalMemoryBytes: 2 ** 34 } });
  assert.ok(resolved.ok, resolved.ok ? '' : resolved.message);
  assert.equal(resolved.runner.hangTimeoutMs, 1000);
  const t0 = Date.now();
  const r = await createRunner(resolved.runner)({ id: 't', configPath: f, config: {} as TrainingConfig, batchSize: 8, learningRate: 0.1, seed: 0 }, {});
  assert.equal(r.status, 'timeout');
  assert.ok(Date.now() - t0 < 8000);
});
