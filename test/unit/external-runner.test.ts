// The external-command runner with real processes: placeholders and config copies, each fault,
// a flood of output, and two trials at once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { TrialResult, TrialSpec, TrainingConfig, StepMetrics } from '../../src/core/types';
import { createExternalRunner } from '../../src/core/runner/external';

const FIX = resolve(__dirname, '../fixtures/scripts');
const PY = '/usr/bin/python3';

function spec(configPath: string, over: Partial<TrialSpec> = {}): TrialSpec {
  return { id: 'profile-64', configPath, config: {} as TrainingConfig, batchSize: 64, learningRate: 0.002, seed: 7, maxSteps: 30, ...over };
}

function dirWith(name: string, text: string): { dir: string; file: string } {
  const dir = join(mkdtempSync(join(tmpdir(), 'bt-ext-')), 'my configs');
  mkdirSync(dir);
  const file = join(dir, name);
  writeFileSync(file, text);
  return { dir, file };
}

/** True when the pid is gone or a zombie (its parent has not reaped it yet). */
function dead(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

const CONFIGS: Array<[string, string, (t: string) => void]> = [
  [
    'train.yaml',
    '# my run\nbatch_size: 32  # per device\nlr: 0.001\ndata: ./data\n',
    (t) => assert.equal(t, '# my run\nbatch_size: 64  # per device\nlr: 0.002\ndata: ./data\n'),
  ],
  [
    'cfg.json',
    '{\n  // jsonc\n  "train": { "batch_size": 32, "learning_rate": 1e-3 }\n}\n',
    (t) => assert.equal(t, '{\n  // jsonc\n  "train": { "batch_size": 64, "learning_rate": 0.002 }\n}\n'),
  ],
  ['pyproject.toml', '[training]\nbatch_size = 32 # bs\nlr = 0.001\n', (t) => assert.equal(t, '[training]\nbatch_size = 64 # bs\nlr = 0.002\n')],
];

for (const [name, text, check] of CONFIGS) {
  test(`placeholders, env and the temporary config copy (${name})`, async () => {
    const { dir, file } = dirWith(name, text);
    const out = join(dir, 'echo.json');
    const run = createExternalRunner({
      command: `\${python} '${FIX}/echo_env.py' --config \${config} --bs \${batchSize} --lr \${learningRate} --steps \${steps} --seed \${seed} --ws \${workspaceFolder}`,
      pythonPath: PY,
      workspaceFolder: '/ws with space',
      env: { ...process.env, ECHO_OUT: out },
    });
    const r = await run(spec(file, { maxSeconds: 20, microBatches: 4 }), {});
    assert.equal(r.status, 'ok', JSON.stringify(r.error));
    const echo = JSON.parse(readFileSync(out, 'utf8'));
    const copy: string = echo.argv[1];
    assert.equal(resolve(copy, '..'), dir, 'the copy sits next to the original');
    assert.match(
      copy,
      new RegExp(`/\\.batch-tuner-pid${process.pid}-profile-64-[a-z0-9]+\\${name.slice(name.lastIndexOf('.'))}$`),
      'named after its owner and trial',
    );
    assert.deepEqual(echo.argv.slice(2), ['--bs', '64', '--lr', '0.002', '--steps', '30', '--seed', '7', '--ws', '/ws with space']);
    assert.equal(echo.cwd, dir);
    check(echo.config_text);
    assert.equal(echo.env.BATCH_TUNER_CONFIG, copy);
    assert.equal(echo.env.BATCH_TUNER_BATCH_SIZE, '64');
    assert.equal(echo.env.BATCH_TUNER_LEARNING_RATE, '0.002');
    assert.equal(echo.env.BATCH_TUNER_STEPS, '30');
    assert.equal(echo.env.BATCH_TUNER_SEED, '7');
    assert.equal(echo.env.BATCH_TUNER_MICRO_BATCHES, '4');
    assert.equal(echo.env.BATCH_TUNER_MAX_SECONDS, '20');
    assert.equal(echo.env.BATCH_TUNER_TRIAL_ID, 'profile-64');
    assert.ok(echo.env.BATCH_TUNER_METRICS.endsWith('.jsonl'));
    assert.ok(!existsSync(copy), 'the copy is deleted after the trial');
    assert.ok(!existsSync(echo.env.BATCH_TUNER_METRICS), 'the metrics file is deleted after the trial');
    assert.deepEqual(readdirSync(dir).sort(), ['echo.json', name].sort());
    assert.equal(readFileSync(file, 'utf8'), text, 'the original is untouched');
    assert.deepEqual(
      r.steps.map((s) => [s.step, s.loss, s.samples]),
      [
        [1, 1, 64],
        [2, 0.5, 128],
      ],
    );
  });
}

test('a command that exits non-zero: crashed, with exit code and stderr tail', async () => {
  const { file } = dirWith('c.yaml', 'batch_size: 8\n');
  const r = await createExternalRunner({ command: `\${python} ${FIX}/crash.py`, pythonPath: PY })(spec(file), {});
  assert.equal(r.status, 'crashed');
  assert.equal(r.error?.kind, 'crash');
  assert.equal(r.error?.exitCode, 3);
  assert.match(r.error?.message ?? '', /exited with code 3: ValueError: shapes/);
  assert.match(r.error?.stderrTail ?? '', /Traceback[\s\S]*ValueError/);
});

test('garbage lines are counted as warnings, never fatal; unknown types and fields ignored', async () => {
  const { file } = dirWith('g.yaml', 'batch_size: 8\n');
  const r = await createExternalRunner({ command: `\${python} ${FIX}/garbage.py`, pythonPath: PY })(spec(file, { batchSize: 8 }), {});
  assert.equal(r.status, 'ok', JSON.stringify(r.error));
  assert.deepEqual(r.steps.map((s) => s.step).sort(), [1, 2, 3]);
  const w = (r.warnings ?? []).join('\n');
  assert.match(w, /^4 malformed metrics line\(s\) ignored/m);
  assert.doesNotMatch(w, /does not speak the metrics protocol/);
  assert.ok(!r.steps.some((s) => s.loss === 99), 'log-line fallback is off once the protocol is spoken');
});

test('a command that does not exist: failed, kind spawn, saying what to do', async () => {
  const { file } = dirWith('m.yaml', 'batch_size: 8\n');
  const r = await createExternalRunner({ command: 'no-such-trainer-xyz train.py --config ${config}' })(spec(file), {});
  assert.equal(r.status, 'failed');
  assert.equal(r.error?.kind, 'spawn');
  assert.match(r.error?.message ?? '', /"no-such-trainer-xyz" was not found.*install it or set batchTuner\.pythonPath \/ tuner\.command/);
  const bad = await createExternalRunner({ command: '${python} t.py --cfg ${cfg}' })(spec(file), {});
  assert.equal(bad.status, 'failed');
  assert.equal(bad.error?.kind, 'config');
  assert.match(bad.error?.message ?? '', /unknown placeholder \$\{cfg\}/);
});

test('a script that hangs is killed after hangTimeoutMs: timeout', async () => {
  const { file } = dirWith('h.yaml', 'batch_size: 8\n');
  const t0 = Date.now();
  const pids: number[] = [];
  const r = await createExternalRunner({ command: `\${python} ${FIX}/hang.py`, pythonPath: PY, hangTimeoutMs: 1200 })(spec(file), {
    onReady: (i) => pids.push(i.pid),
  });
  assert.equal(r.status, 'timeout');
  assert.equal(r.error?.kind, 'hang');
  assert.match(r.error?.message ?? '', /no output .* for 1 s: killed it/);
  assert.ok(Date.now() - t0 < 8000);
  assert.ok(pids.length === 1 && dead(pids[0]));
});

test('stopping a trial that spawned children kills the whole tree (setsid child included)', async () => {
  const { dir, file } = dirWith('s.yaml', 'batch_size: 4\n');
  const pidsOut = join(dir, 'pids.txt');
  const ac = new AbortController();
  let stepSeen = false;
  const p = createExternalRunner({ command: `\${python} ${FIX}/spawner.py`, pythonPath: PY, env: { ...process.env, PIDS_OUT: pidsOut } })(
    spec(file, { batchSize: 4 }),
    { onStep: () => (stepSeen = true) },
    ac.signal,
  );
  while (!stepSeen || !existsSync(pidsOut)) await new Promise((r) => setTimeout(r, 50));
  await new Promise((r) => setTimeout(r, 400)); // let the resource sampler see the grandchildren
  const pids = readFileSync(pidsOut, 'utf8').trim().split(' ').map(Number);
  assert.equal(pids.length, 3);
  assert.ok(
    pids.every((x) => !dead(x)),
    'all alive before the stop',
  );
  const t0 = Date.now();
  ac.abort();
  const r = await p;
  assert.equal(r.status, 'cancelled');
  assert.ok(Date.now() - t0 < 5000, 'stopped within SIGTERM + SIGKILL grace');
  await new Promise((res) => setTimeout(res, 200));
  assert.deepEqual(
    pids.filter((x) => !dead(x)),
    [],
    'no process of the trial is left',
  );
});

test('an out-of-memory error becomes status oom through the reporter guard', async () => {
  const { file } = dirWith('o.yaml', 'batch_size: 4096\n');
  const r = await createExternalRunner({ command: `\${python} ${FIX}/oom.py`, pythonPath: PY })(spec(file, { batchSize: 4096 }), {});
  assert.equal(r.status, 'oom');
  assert.equal(r.error?.kind, 'oom');
  assert.match(r.error?.message ?? '', /CUDA out of memory/);
  assert.equal(r.steps.length, 2);
});

test('a script that speaks no protocol: loss and throughput from its log lines (HF Trainer dicts)', async () => {
  const { file } = dirWith('hf.json', '{"per_device_train_batch_size": 16, "learning_rate": 5e-5}');
  const r = await createExternalRunner({ command: `\${python} ${FIX}/hf_log.py`, pythonPath: PY })(spec(file, { batchSize: 16, learningRate: 5e-5 }), {});
  assert.equal(r.status, 'ok', JSON.stringify(r.error));
  assert.deepEqual(
    r.steps.map((s) => s.loss),
    [2.3, 1.8, 1.4, 1.1, 0.9],
  );
  assert.deepEqual(
    r.steps.map((s) => s.samples),
    [16, 32, 48, 64, 80],
  );
  assert.ok((r.samplesPerSecond ?? 0) > 0, 'throughput from the time between lines');
  assert.deepEqual(
    r.evals.map((e) => [e.valLoss, e.valAccuracy]),
    [[0.95, 0.7]],
  );
  const w = (r.warnings ?? []).join('\n');
  assert.match(w, /does not speak the metrics protocol.*one line per step assumed/);
  assert.match(w, /noise scale needs grad_sq_norm, micro_grad_sq_norm and micro_batch_size/);
});

test('exiting 0 without reporting anything is a failure that says how to report', async () => {
  const { file } = dirWith('n.yaml', 'batch_size: 8\n');
  const r = await createExternalRunner({ command: `\${python} ${FIX}/no_steps.py`, pythonPath: PY })(spec(file), {});
  assert.equal(r.status, 'failed');
  assert.equal(r.error?.kind, 'exit');
  assert.match(r.error?.message ?? '', /without reporting a step/);
});

test('a flood of output (a 10 MB line, 40k lines) stays bounded', async () => {
  const { file } = dirWith('f.yaml', 'batch_size: 8\n');
  let logs = 0;
  const r = await createExternalRunner({ command: `${process.execPath} ${FIX}/flood.js` })(spec(file, { batchSize: 8 }), { onLog: () => logs++ });
  assert.equal(r.status, 'ok', JSON.stringify(r.error));
  assert.deepEqual(
    r.steps.map((s) => s.step),
    [1, 2],
  );
  assert.ok(logs <= 2001, `log lines forwarded: ${logs}`);
  const s = JSON.stringify(r);
  assert.ok(s.length < 200_000, `result size ${s.length}`);
});

test('two trials at once on one config: separate copies and metrics, no interference', async () => {
  const { dir, file } = dirWith('p.yaml', 'batch_size: 32\nlr: 0.001\n');
  const run = (bs: number) =>
    createExternalRunner({ command: `\${python} ${FIX}/echo_env.py`, pythonPath: PY, env: { ...process.env, ECHO_OUT: join(dir, `echo-${bs}.json`) } })(
      spec(file, { id: `profile-${bs}`, batchSize: bs }),
      {},
    );
  const [a, b] = await Promise.all([run(16), run(128)]);
  for (const [r, bs] of [
    [a, 16],
    [b, 128],
  ] as Array<[TrialResult, number]>) {
    assert.equal(r.status, 'ok');
    const echo = JSON.parse(readFileSync(join(dir, `echo-${bs}.json`), 'utf8'));
    assert.match(echo.config_text, new RegExp(`^batch_size: ${bs}\\n`));
    assert.equal(echo.env.BATCH_TUNER_BATCH_SIZE, String(bs));
    assert.deepEqual(
      r.steps.map((s: StepMetrics) => s.samples),
      [bs, 2 * bs],
    );
  }
  const ea = JSON.parse(readFileSync(join(dir, 'echo-16.json'), 'utf8'));
  const eb = JSON.parse(readFileSync(join(dir, 'echo-128.json'), 'utf8'));
  assert.notEqual(ea.env.BATCH_TUNER_METRICS, eb.env.BATCH_TUNER_METRICS);
  assert.notEqual(ea.env.BATCH_TUNER_CONFIG, eb.env.BATCH_TUNER_CONFIG);
  assert.deepEqual(
    readdirSync(dir).filter((f) => f.startsWith('.batch-tuner')),
    [],
  );
});

test('shell mode: a pipeline runs, and a value with spaces and quotes stays one argument', async () => {
  const { dir, file } = dirWith("it's.yaml", 'batch_size: 8\n');
  const out = join(dir, 'echo.json');
  const r = await createExternalRunner({
    command: `\${python} '${FIX}/echo_env.py' --config \${config} 2>&1 | cat`,
    shell: true,
    pythonPath: PY,
    env: { ...process.env, ECHO_OUT: out },
  })(spec(file, { batchSize: 8 }), {});
  assert.equal(r.status, 'ok', JSON.stringify(r.error));
  const echo = JSON.parse(readFileSync(out, 'utf8'));
  assert.equal(echo.argv.length, 2);
  assert.equal(echo.argv[1], echo.env.BATCH_TUNER_CONFIG);
  assert.match(echo.argv[1], /my configs\/\.batch-tuner-pid\d+-profile-64-[a-z0-9]+\.yaml$/);
});

test('a script that ignores ${steps} is stopped after the last requested step (status ok, warned)', async () => {
  const { file } = dirWith('i.yaml', 'batch_size: 8\n');
  const r = await createExternalRunner({ command: `\${python} ${FIX}/ignores_steps.py`, pythonPath: PY, afterLastStepGraceMs: 300 })(
    spec(file, { batchSize: 8, maxSteps: 5 }),
    {},
  );
  assert.equal(r.status, 'ok', JSON.stringify(r.error));
  assert.ok(r.steps.length >= 5);
  assert.match((r.warnings ?? []).join('\n'), /kept running after step 5/);
});

test('killed by a SIGKILL the runner did not send (the OOM killer): status oom', async () => {
  const { file } = dirWith('k.yaml', 'batch_size: 8\n');
  const r = await createExternalRunner({ command: `\${python} ${FIX}/killed.py`, pythonPath: PY })(spec(file, { batchSize: 8 }), {});
  assert.equal(r.status, 'oom');
  assert.equal(r.error?.signal, 'SIGKILL');
  assert.match(r.error?.message ?? '', /out-of-memory killer/);
});

test('when the host process exits mid-trial, the trial (its own process group) is killed too', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bt-exit-'));
  const { spawnSync } = await import('node:child_process');
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(FIX, 'exit-midtrial.ts'), dir], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.status, 0, r.stderr);
  const pid = Number(r.stdout.trim());
  assert.ok(pid > 1, r.stdout);
  for (let i = 0; i < 20 && !dead(pid); i++) await new Promise((res) => setTimeout(res, 50));
  assert.ok(dead(pid), `trial process ${pid} outlived its host`);
});

test('a script that exits but leaves a child holding its output open: ends promptly, child killed', async () => {
  const { dir, file } = dirWith('l.yaml', 'batch_size: 8\n');
  const pidsOut = join(dir, 'pid.txt');
  const t0 = Date.now();
  const r = await createExternalRunner({
    command: `\${python} ${FIX}/leaves_child.py`,
    pythonPath: PY,
    hangTimeoutMs: 20_000,
    env: { ...process.env, PIDS_OUT: pidsOut },
  })(spec(file, { batchSize: 8 }), {});
  assert.equal(r.status, 'ok', JSON.stringify(r.error));
  assert.ok(Date.now() - t0 < 6000, `ended after ${Date.now() - t0} ms`);
  const child = Number(readFileSync(pidsOut, 'utf8'));
  for (let i = 0; i < 20 && !dead(child); i++) await new Promise((res) => setTimeout(res, 50));
  assert.ok(dead(child), 'the leftover child was killed');
});
