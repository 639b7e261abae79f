// A secret passed with ${env:NAME} reaches the training command and nothing else (issue 12): the
// CLI's output, its JSON, the error messages, the study file (often committed) and the report
// show the command as written. Real runs of the built CLI with a real script that records what it got.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const CLI = resolve(__dirname, '../../dist/cli.js');
const SECRET = 'hunter2-7f3a9c-do-not-log';

function setUp(shell: boolean): { dir: string; config: string; got: string } {
  const dir = mkdtempSync(join(tmpdir(), 'bt-secret-'));
  const got = join(dir, 'got.txt');
  // The script records the token it was given, then exits without reporting a step: every trial
  // fails with a message that quotes the command.
  writeFileSync(join(dir, 'train.py'), 'import sys\nopen(sys.argv[2], "w").write(sys.argv[1])\n');
  const config = join(dir, 'train.yaml');
  writeFileSync(
    config,
    `batch_size: 32\nlr: 0.01\ntuner:\n  command: '\${python} train.py \${env:BT_TOKEN} ${got} --config \${config}'\n  shell: ${shell}\n  budget_seconds: 20\n`,
  );
  return { dir, config, got };
}

function run(args: string[], dir: string) {
  assert.ok(existsSync(CLI), 'dist/cli.js is missing: run `node scripts/build.mjs` first');
  return spawnSync(process.execPath, [CLI, ...args], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, BT_TOKEN: SECRET, BATCH_TUNER_PYTHON: '/usr/bin/python3' },
  });
}

for (const shell of [false, true]) {
  test(`${shell ? 'shell' : 'argv'} mode: the token reaches the script but not the output, the study file or the report`, { timeout: 120_000 }, () => {
    const { dir, config, got } = setUp(shell);
    const tune = run(['tune', config, '--min', '16', '--max', '32', '--out', 'studies', '--report', 'report.html'], dir);
    assert.equal(tune.status, 1, tune.stderr);
    assert.equal(readFileSync(got, 'utf8'), SECRET, 'the script got the token');
    const studies = readdirSync(join(dir, 'studies')).map((f) => readFileSync(join(dir, 'studies', f), 'utf8'));
    const shown = {
      stdout: tune.stdout,
      stderr: tune.stderr,
      study: studies.join('\n'),
      report: existsSync(join(dir, 'report.html')) ? readFileSync(join(dir, 'report.html'), 'utf8') : '',
    };
    assert.match(shown.study, /\$\{env:BT_TOKEN\}/, 'the study quotes the command as written');
    const train = run(['train', config, '--steps', '3', '--json'], dir);
    assert.notEqual(train.status, 0);
    Object.assign(shown, { trainStdout: train.stdout, trainStderr: train.stderr });
    for (const [where, text] of Object.entries(shown)) assert.ok(!text.includes(SECRET), `the token appears in ${where}`);
    rmSync(dir, { recursive: true, force: true });
  });
}
