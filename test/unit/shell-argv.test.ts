// No injection through a value (issue 12), as a property on real processes: for >= 10,000 seeded
// random values (quotes, $(…), backquotes, newlines, globs, unicode, the empty string, ...) per
// mode, a command template is resolved in argv mode and in shell mode, started the way a trial is
// (TrialProcess: the lifeline guardian `/bin/sh -c … exec "$@"`, and /bin/sh -c for shell mode),
// and the program it runs — a /bin/sh script that writes its argv to a file, NUL-separated —
// must receive exactly the value in each argument. Values reach the shell only as positional
// parameters: the child is given none of them in its environment. A canary file that several
// values try to create must never appear, and neither may a file named by a folder called
// `$(touch X)` when a real external trial runs there.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { resolveCommand, type PlaceholderValues } from '../../src/core/runner/commandTemplate';
import { TrialProcess } from '../../src/core/runner/trialProcess';
import { createExternalRunner } from '../../src/core/runner/external';
import type { TrainingConfig } from '../../src/core/types';

const VALUES_PER_MODE = 10_000;
const PER_BATCH = 100;

/** mulberry32: a small seeded generator, so a failure can be replayed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];

function randomValue(r: () => number, canary: string): string {
  const fragments = [
    `$(touch ${canary})`,
    `\`touch ${canary}\``,
    `; touch ${canary}`,
    `' ; touch ${canary} ; '`,
    `" ; touch ${canary} ; "`,
    `$(touch\${IFS}${canary})`,
    `\n touch ${canary}\n`,
    `&& touch ${canary}`,
    `| touch ${canary}`,
    `'"$(touch ${canary})"'`,
    '${HOME}',
    '$HOME',
    '$1',
    '$@',
    '$*',
    '$0',
    '${1}',
    '"$@"',
    '\\',
    '\\\\',
    '\\"',
    "\\'",
    '*',
    '?',
    '[a-z]',
    '~',
    '~root',
    '{a,b}',
    '!',
    '#',
    '%s',
    '%%',
    '-n',
    '--',
    '-e',
    '=',
    ' ',
    '  ',
    '\t',
    '\n',
    '\r\n',
    "'",
    '"',
    '`',
    '$',
    '$(',
    ')',
    '(',
    '}',
    '{',
    'é',
    '日本語',
    '😀',
    '\u202e',
    'e\u0301',
    '\u00a0',
    '\u2028',
    'ß',
    'Ω',
    '\x01',
    '\x7f',
    'plain',
    '/a path/with spaces',
    'C:\\Py\\x.exe',
  ];
  const alphabet = ` \t\n'"\`$\\(){}[]*?~!#&|;<>=%^@:,.-_/aZ09é日😀`;
  const parts = Math.floor(r() * 6);
  let s = '';
  for (let i = 0; i < parts; i++) {
    if (r() < 0.5) s += pick(r, fragments);
    else for (let k = Math.floor(r() * 6); k > 0; k--) s += [...alphabet][Math.floor(r() * [...alphabet].length)];
  }
  return s; // empty about one time in six
}

/** How an argument uses a placeholder, and what the program must then receive. */
type Form = { text: (ph: string) => string; expect: (v: string) => string; shellOnly?: boolean };
const FORMS: Form[] = [
  { text: (p) => p, expect: (v) => v },
  { text: (p) => `"${p}"`, expect: (v) => v },
  { text: (p) => `'${p}'`, expect: (v) => v },
  { text: (p) => `pre${p}post`, expect: (v) => `pre${v}post` },
  { text: (p) => `"a b ${p} c"`, expect: (v) => `a b ${v} c` },
  { text: (p) => `'q ${p}'"${p}"`, expect: (v) => `q ${v}${v}` },
  { text: (p) => `--x=${p}`, expect: (v) => `--x=${v}` },
  // Shell only: command substitution strips trailing newlines.
  { text: (p) => `"$(printf %s ${p})"`, expect: (v) => v.replace(/\n+$/, ''), shellOnly: true },
  { text: (p) => `"$(printf '%s' "${p}")"`, expect: (v) => v.replace(/\n+$/, ''), shellOnly: true },
];

const BASE: PlaceholderValues = { config: 'c.yaml', batchSize: 32, learningRate: 0.001, seed: 0, python: '/usr/bin/python3' };

/** Runs `template` like a trial does; returns the arguments the dump script received. */
async function argvOf(template: string, values: PlaceholderValues, env: NodeJS.ProcessEnv, shell: boolean, out: string): Promise<string[]> {
  const cmd = resolveCommand(template, values, { shell, env });
  rmSync(out, { force: true });
  // The child's environment has none of the values: in shell mode they can only come as parameters.
  const end = await new TrialProcess({ file: cmd.file, args: cmd.args, env: { PATH: process.env.PATH, ARGV_OUT: out }, hangMs: 30_000, graceMs: 500 }).run();
  assert.equal(end.code, 0, `the command failed: ${end.stderrTail ?? ''}\n${cmd.args.join(' ')}`);
  const text = readFileSync(out).toString('utf8');
  return text === '' ? [] : text.slice(0, -1).split('\0');
}

function setUpDir(): { dir: string; dump: string; canary: string } {
  const dir = mkdtempSync(join(tmpdir(), 'bt-shell-'));
  const dump = join(dir, 'dump-argv.sh');
  writeFileSync(dump, `#!/bin/sh\nprintf '%s\\0' "$@" > "$ARGV_OUT"\n`);
  chmodSync(dump, 0o755);
  return { dir, dump, canary: join(dir, 'PWNED') };
}

interface Batch {
  template: string;
  config: string;
  env: NodeJS.ProcessEnv;
  expected: string[];
}

/** One process's worth: a value through ${config}, the rest through ${env:Vn}, each in a random form. */
function batchOf(r: () => number, forms: Form[], dump: string, canary: string): Batch {
  const env: NodeJS.ProcessEnv = {};
  const words: string[] = [dump];
  const expected: string[] = [];
  const config = randomValue(r, canary);
  const f0 = pick(r, forms);
  words.push(f0.text('${config}'));
  expected.push(f0.expect(config));
  for (let k = 1; k < PER_BATCH; k++) {
    const v = randomValue(r, canary);
    env[`V${k}`] = v;
    const f = pick(r, forms);
    words.push(f.text(`\${env:V${k}}`));
    expected.push(f.expect(v));
  }
  return { template: words.join(' '), config, env, expected };
}

/** Trials wait ~1 s for their lifeline to close after the exit: run several at once. */
const CONCURRENCY = 20;

for (const shell of [false, true]) {
  test(`${shell ? 'shell' : 'argv'} mode: ${VALUES_PER_MODE} random values reach the program exactly as they are`, { timeout: 300_000 }, async (t) => {
    const { dir, dump, canary } = setUpDir();
    const r = rng(shell ? 0x5eed5 : 0xa4c5);
    const forms = FORMS.filter((f) => shell || !f.shellOnly);
    const batches = Array.from({ length: Math.ceil(VALUES_PER_MODE / PER_BATCH) }, () => batchOf(r, forms, dump, canary));
    let next = 0;
    const worker = async (w: number) => {
      for (let b = next++; b < batches.length; b = next++) {
        const { template, config, env, expected } = batches[b];
        const got = await argvOf(template, { ...BASE, config }, env, shell, join(dir, `argv-${w}.bin`));
        assert.deepEqual(got, expected, `template ${JSON.stringify(template)} with ${JSON.stringify({ config, ...env })}`);
      }
    };
    const t0 = Date.now();
    await Promise.all(Array.from({ length: CONCURRENCY }, (_, w) => worker(w)));
    assert.ok(!existsSync(canary), 'no value ran a command');
    t.diagnostic(`${batches.length * PER_BATCH} values in ${batches.length} processes, all received exactly (${Date.now() - t0} ms)`);
    rmSync(dir, { recursive: true, force: true });
  });
}

test('a config in a folder named $(touch X) never creates X, in shell mode or argv mode, through a real external trial', { timeout: 60_000 }, async () => {
  const root = mkdtempSync(join(tmpdir(), 'bt-shell-'));
  const evil = join(root, '$(touch X)', '`touch Y` \'q\' "d"');
  mkdirSync(evil, { recursive: true });
  const config = join(evil, 'cfg.yaml');
  writeFileSync(config, 'batch_size: 8\n');
  const argvOut = join(root, 'argv.json');
  const script = resolve(root, 'record.py');
  writeFileSync(
    script,
    'import json, os, sys\nfrom batch_tuner import Reporter\njson.dump(sys.argv[1:], open(os.environ["ARGV_OUT"], "w"))\nrep = Reporter()\nrep.step(1, loss=1.0)\nrep.done()\n',
  );
  const templates = [
    `\${python} ${script} \${config} "\${config}" '\${config}' --ws=\${workspaceFolder}`,
    `cd "\${workspaceFolder}" && \${python} ${script} \${config} "\${config}" '\${config}' --ws=\${workspaceFolder}`,
  ];
  for (const [i, command] of templates.entries()) {
    for (const shell of i === 0 ? [false, true] : [true]) {
      const result = await createExternalRunner({
        command,
        shell,
        pythonPath: '/usr/bin/python3',
        workspaceFolder: evil,
        env: { ...process.env, ARGV_OUT: argvOut },
      })({ id: 'evil', configPath: config, config: {} as TrainingConfig, batchSize: 8, learningRate: 0.1, seed: 0, maxSteps: 1 }, {});
      assert.equal(result.status, 'ok', JSON.stringify(result.error));
      const argv = JSON.parse(readFileSync(argvOut, 'utf8')) as string[];
      assert.equal(argv.length, 4, command);
      assert.ok(
        argv.slice(0, 3).every((a) => a === argv[0] && a.startsWith(`${evil}/.batch-tuner-pid`)),
        `the copy's path, intact: ${argv}`,
      );
      assert.equal(argv[3], `--ws=${evil}`);
    }
  }
  const created = (d: string): string[] => readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? created(join(d, e.name)) : [e.name]));
  for (const name of ['X', 'Y']) assert.ok(!created(root).includes(name) && !existsSync(name), `${name} was never created`);
  rmSync(root, { recursive: true, force: true });
});
