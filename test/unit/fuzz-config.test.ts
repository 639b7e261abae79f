// Config files are untrusted (CodeLens and the sidebar read every workspace file that matches,
// in Restricted Mode too): 10,000 generated texts, 2,500 per format (YAML, JSON, TOML, Python),
// through every reader a view or a study uses, with no exception and no input taking more than a
// few milliseconds; deep nesting and oversized files get a positioned error; bad UTF-8 names its
// byte. (yaml's parser alone costs a few µs a byte: that, not the count, sets the time here.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ConfigError, findBatchSizeSites, loadTrainingConfig, parseTrainingConfig, readGlobalBatch, type ConfigFormat } from '../../src/core/config';
import { configValues } from '../../src/core/config/sites';
import { decodeConfigBytes, firstInvalidUtf8, MAX_CONFIG_CHARS, MAX_CONFIG_NESTING } from '../../src/core/config/limits';
import { classifyConfig } from '../../src/core/resolve/classify';
import { fuzz, PER_INPUT_BOUND_MS, rng, summary } from './helpers/fuzz';
import { configInputs } from './helpers/fuzzConfigs';

const PER_FORMAT = 2_500;
const SEED = 0xc0f1;
/**
 * A view reads a config three times (diagnostics, sites, values), starting a study about six
 * (resolve, classify, the runner's reader); yaml's parser costs up to ~10 µs a byte of a
 * pathological 4 KiB text on a busy machine (~100 ms for the views' three reads; the median is
 * under a millisecond). Lines (metrics, study lines, messages) keep 50 ms. On a machine slower
 * than that (shared, loaded) the bounds grow with a reference read: 60x
 * what the views take on examples/mnist-mlp.yaml, still far below any super-linear blow-up.
 */
const VIEW_BOUND_MS = 3 * PER_INPUT_BOUND_MS;
const STUDY_BOUND_MS = 9 * PER_INPUT_BOUND_MS;
let referenceMs: number | undefined;
function bounds(): { view: number; study: number; reference: number } {
  if (referenceMs === undefined) {
    const text = readFileSync(join(root, 'examples', 'mnist-mlp.yaml'), 'utf8');
    viewReaders('yaml', text); // warm up
    referenceMs = fastest(() => viewReaders('yaml', text), 5);
  }
  return { view: Math.max(VIEW_BOUND_MS, 60 * referenceMs), study: Math.max(STUDY_BOUND_MS, 180 * referenceMs), reference: referenceMs };
}
/** Every how many inputs the study-start readers run too (they repeat the views' parsing). */
const STUDY_EVERY = 5;
const root = resolve(__dirname, '..', '..');
const FILE: Record<ConfigFormat, string> = { yaml: '/w/train.yaml', json: '/w/ds_config.jsonc', toml: '/w/pyproject.toml', python: '/w/train.py' };

/** What a view reads of a config text (on every edit): the diagnostics, the sites, the values. */
function viewReaders(format: ConfigFormat, text: string): void {
  const file = FILE[format];
  const parsed = parseTrainingConfig(text, file, { checkFiles: false });
  for (const d of parsed.diagnostics) {
    if (!(d.offset >= 0 && d.offset <= text.length && d.line >= 1 && d.column >= 1)) throw new Error(`diagnostic out of range: ${JSON.stringify(d)}`);
  }
  for (const s of findBatchSizeSites(text, file)) {
    const m = s.batchSize;
    if (!(m.keyOffset >= 0 && m.keyOffset + m.keyLength <= text.length && m.valueOffset + m.valueLength <= text.length))
      throw new Error(`site out of range: ${JSON.stringify(m)}`);
  }
  configValues(text, file, () => true);
}

/** What starting a study reads (and the global-batch label): each parses the text again, several times. */
function studyReaders(format: ConfigFormat, text: string): void {
  readGlobalBatch(text, FILE[format], FILE[format]);
  classifyConfig(FILE[format], text);
}

/**
 * Runs `fn` counting process warnings instead of printing them: the yaml package prints each
 * document warning of yaml.parse() with process.emitWarning (runner/externalConfig.ts calls it on
 * every config a study starts with), which would bury the test output.
 */
function countingWarnings<T>(fn: () => T): { result: T; warnings: number } {
  const original = Object.getOwnPropertyDescriptor(process, 'emitWarning') as PropertyDescriptor;
  let warnings = 0;
  Object.defineProperty(process, 'emitWarning', { value: () => void warnings++, configurable: true, writable: true });
  try {
    return { result: fn(), warnings };
  } finally {
    Object.defineProperty(process, 'emitWarning', original);
  }
}

for (const format of ['yaml', 'json', 'toml', 'python'] as const) {
  test(`${PER_FORMAT} generated ${format} configs: no exception, each read within ${VIEW_BOUND_MS} ms by the views and within ${STUDY_BOUND_MS} ms to start a study`, (t) => {
    const seed = SEED + format.length;
    const view = fuzz(configInputs(root, format, PER_FORMAT, rng(seed)), (text) => viewReaders(format, text));
    const everyFifth = function* () {
      let i = 0;
      for (const x of configInputs(root, format, PER_FORMAT, rng(seed))) if (i++ % STUDY_EVERY === 0) yield x;
    };
    const { result: study, warnings } = countingWarnings(() => fuzz(everyFifth(), (text) => studyReaders(format, text)));
    const bound = bounds();
    t.diagnostic(`bounds ${bound.view.toFixed(0)} / ${bound.study.toFixed(0)} ms (reference read ${bound.reference.toFixed(2)} ms)`);
    t.diagnostic(summary(`${format} (views)`, view));
    t.diagnostic(`${summary(`${format} (study start)`, study)}; ${warnings} yaml warnings printed by yaml.parse() (runner/externalConfig.ts)`);
    assert.equal(view.inputs, PER_FORMAT);
    assert.deepEqual([...view.failures, ...study.failures].slice(0, 5), []);
    assert.ok(view.slowestMs < bound.view, summary(format, view));
    assert.ok(study.slowestMs < bound.study, summary(format, study));
  });
}

test('nesting past the limit is a positioned error, not a stack overflow, in every format the parser reads', () => {
  const d = 100_000;
  const yaml = parseTrainingConfig('model:\n  layers: ' + '['.repeat(d), '/w/a.yaml');
  assert.match(yaml.diagnostics[0].message, new RegExp(`nested deeper than ${MAX_CONFIG_NESTING} levels here`));
  // Two mappings (the document's, model's), then the bracket that opens level 65: column 10 + 63.
  assert.deepEqual([yaml.diagnostics[0].line, yaml.diagnostics[0].column], [2, 10 + MAX_CONFIG_NESTING - 1]);
  const json = parseTrainingConfig('{"a":\n' + '['.repeat(d), '/w/a.json');
  assert.match(json.diagnostics[0].message, /nested deeper than 64 levels here: a training config needs a few; flatten this value/);
  assert.deepEqual([json.diagnostics[0].line, json.diagnostics[0].column], [2, MAX_CONFIG_NESTING]);
  // Within the limit, nothing changes.
  assert.deepEqual(findBatchSizeSites('a: ' + '['.repeat(60) + ']'.repeat(60) + '\nbatch_size: 8\n', 'a.yaml').length, 1);
  // TOML and Python keep what is shallow and read past the rest.
  assert.equal(findBatchSizeSites('batch_size = 4\nx = ' + '['.repeat(d) + ']'.repeat(d) + '\n', 'a.toml').length, 1);
  assert.equal(findBatchSizeSites('f(' + '('.repeat(d) + ')'.repeat(d) + ', batch_size=4)\n', 'a.py').length, 1);
});

/** Fastest of `runs` timings of `fn`, ms (the machine is shared: the minimum is the cost). */
function fastest(fn: () => void, runs = 2): number {
  let best = Infinity;
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    fn();
    best = Math.min(best, performance.now() - t);
  }
  return best;
}

test('a file over the size limit is refused at once with what to do; just under it, read in linear time', (t) => {
  const over = 'batch_size: 1\n' + '#'.repeat(MAX_CONFIG_CHARS);
  const started = performance.now();
  const parsed = parseTrainingConfig(over, '/w/a.yaml');
  assert.match(parsed.diagnostics[0].message, /the file is 257 KiB; Batch Tuner reads configs up to 256 KiB: point it at the training config itself/);
  assert.deepEqual(findBatchSizeSites(over, 'a.yaml'), []);
  assert.equal(classifyConfig('/w/a.yaml', over).kind, 'invalid');
  const refusedMs = performance.now() - started;
  // Just under the limit, the worst shapes each format has (many keys: yaml's own duplicate-key
  // check was quadratic; many keyword arguments: the Python pairing was), against an eighth of
  // it: linear time reads 8x the text in ~8x the time, quadratic in ~64x.
  const keys = (n: number, f: (i: number) => string) => Array.from({ length: n }, (_, i) => f(i)).join('\n');
  const worst: Array<[ConfigFormat, (n: number) => string, number]> = [
    ['yaml', (n) => keys(n, (i) => `k${i}: ${i}`), 17_000],
    ['json', (n) => `{${keys(n, (i) => `"k${i}": ${i},`)}"z": 1}`, 15_000],
    ['toml', (n) => keys(n, (i) => `k${i} = ${i}`), 17_000],
    ['python', (n) => 'f(' + 'batch_size=1, lr=2, '.repeat(n) + ')', 12_500],
  ];
  const times: string[] = [];
  for (const [format, make, n] of worst) {
    const [small, large] = [make(n / 8), make(n)];
    assert.ok(large.length <= MAX_CONFIG_CHARS, `${format}: ${large.length}`);
    const [a, b] = [fastest(() => viewReaders(format, small)), fastest(() => viewReaders(format, large))];
    times.push(`${format} ${(large.length / 1024).toFixed(0)} KiB ${b.toFixed(0)} ms (an eighth: ${a.toFixed(0)} ms)`);
    assert.ok(b < 24 * Math.max(a, 1), `${format}: 8x the text took ${(b / a).toFixed(1)}x the time (${a.toFixed(0)} -> ${b.toFixed(0)} ms): not linear`);
  }
  t.diagnostic(`over the limit refused in ${refusedMs.toFixed(1)} ms; largest accepted: ${times.join(', ')}`);
  assert.ok(refusedMs < 1000, `refused in ${refusedMs} ms`);
});

test('bad UTF-8: 10,000 random byte strings agree with a strict decoder; a config file names its first bad byte', (t) => {
  const r = rng(SEED);
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const report = fuzz(
    (function* () {
      for (let i = 0; i < 10_000; i++) {
        const bytes = Buffer.from(Array.from({ length: r.int(64) }, () => (r.chance(0.7) ? 0x20 + r.int(0x5f) : r.int(256))));
        yield { label: `bytes #${i}: ${bytes.toString('hex')}`, input: bytes };
      }
    })(),
    (bytes) => {
      let strictOk = true;
      try {
        decoder.decode(bytes);
      } catch {
        strictOk = false;
      }
      const bad = firstInvalidUtf8(bytes);
      if (strictOk !== bad < 0) throw new Error(`firstInvalidUtf8 says ${bad}, the strict decoder ${strictOk ? 'accepts' : 'refuses'}`);
      if (bad >= 0) {
        decoder.decode(bytes.subarray(0, bad)); // everything before it is valid
        assert.throws(() => decodeConfigBytes(bytes), /the file is not UTF-8/);
      }
    },
  );
  t.diagnostic(summary('utf-8', report));
  assert.deepEqual(report.failures.slice(0, 5), []);

  const dir = mkdtempSync(join(tmpdir(), 'bt-utf8-'));
  const file = join(dir, 'train.yaml');
  writeFileSync(file, Buffer.concat([Buffer.from('model:\n  type: mlp\ndata: caf'), Buffer.from([0xe9]), Buffer.from('\n')]));
  assert.throws(
    () => loadTrainingConfig(file),
    (e: unknown) => e instanceof ConfigError && /train\.yaml:3:10: .*the file is not UTF-8 \(bytes e9 0a at byte 28\): save it as UTF-8/.test(e.message),
  );
  assert.throws(
    () => loadTrainingConfig(dir),
    (e: unknown) => e instanceof ConfigError && /not a regular file|is a folder/.test(e.message),
  );
});
