// Study files are read as untrusted input: every line is checked against its type's shape, bad
// lines are skipped and counted (with why), nothing in a file blocks or crashes a reader, and a
// study whose writer is gone shows as interrupted, not running.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { currentIdentity, decodeStudyLine, latestStudyFor, listStudies, MAX_STUDY_FILE_BYTES, readStudy, STUDY_FILE_SUFFIX } from '../../src/core/study';
import { readStatSync } from '../../src/core/runner/procfs';
import { writtenStudy } from './helpers/studyFixture';

/** What JSON keeps of a value (undefined keys dropped; NaN/Infinity as the writer stores them, restored). */
const viaJson = <T>(x: T): T =>
  JSON.parse(
    JSON.stringify(x, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? `__${String(v)}` : v)),
    (_k, v: unknown) => (typeof v === 'string' && v.startsWith('__') ? Number(v.slice(2)) : v),
  ) as T;

test('a real study reads back field for field: every line passes its validator', async () => {
  const out = await writtenStudy();
  const r = readStudy(out.studyFile);
  assert.equal(r.skippedLines, 0, JSON.stringify(r.skipped));
  assert.equal(r.status, 'completed');
  assert.deepEqual(r.recommendation, viaJson(out.recommendation));
  assert.deepEqual(r.plan, viaJson(out.plan));
  assert.deepEqual(r.trials, viaJson(out.trials));
  assert.deepEqual(r.noiseScale, viaJson(out.noiseScale));
  assert.deepEqual(r.start.writer, currentIdentity());
});

function startLine(over: Record<string, unknown> = {}): string {
  return JSON.stringify({
    v: 1,
    type: 'study-start',
    id: 's1',
    time: new Date().toISOString(),
    configPath: '/tmp/x/train.yaml',
    currentBatchSize: 32,
    currentLearningRate: 0.001,
    optimizer: 'adam',
    datasetSize: 8000,
    writer: currentIdentity(),
    settings: { budgetSeconds: 60, minBatchSize: 8, maxBatchSize: 256, lrRule: 'sqrt', parallel: 1, seed: 1 },
    ...over,
  });
}

function studyDir(): string {
  return mkdtempSync(join(tmpdir(), 'bt-lines-'));
}

function write(dir: string, lines: Array<string | Buffer>, name = 's1'): string {
  const file = join(dir, name + STUDY_FILE_SUFFIX);
  writeFileSync(file, Buffer.concat(lines.map((l) => (typeof l === 'string' ? Buffer.from(l + '\n') : Buffer.concat([l, Buffer.from('\n')])))));
  return file;
}

test('a line of the wrong shape is skipped, counted and explained; the rest of the study stays', async () => {
  const out = await writtenStudy();
  const good = readFileSync(out.studyFile, 'utf8').trimEnd().split('\n');
  const rec = JSON.parse(good.find((l) => l.includes('"type":"recommendation"')) as string) as { recommendation: Record<string, unknown> };
  const bad = [
    [
      'recommendation',
      JSON.stringify({ ...rec, recommendation: { ...rec.recommendation, batchSize: '64' } }),
      /recommendation\.batchSize must be an integer >= 1 \(got "64"\)/,
    ],
    ['recommendation', JSON.stringify({ ...rec, recommendation: { ...rec.recommendation, candidates: {} } }), /recommendation\.candidates must be a list/],
    [
      'recommendation',
      JSON.stringify({ ...rec, recommendation: { ...rec.recommendation, schedule: { description: 'x', schedule: { kind: 'step', factor: -1 } } } }),
      /schedule must be a valid batch schedule/,
    ],
    ['warning', JSON.stringify({ v: 1, type: 'warning', time: 't', message: { toString: 1 } }), /message must be a string \(got an object\)/],
    [
      'trial-end',
      JSON.stringify({ v: 1, type: 'trial-end', time: 't', trial: { id: 'x' }, series: { steps: [], evals: [] } }),
      /trial\.status must be one of ok, oom/,
    ],
    [
      'study-end',
      JSON.stringify({ v: 1, type: 'study-end', time: 't', status: 'exploded', elapsedSeconds: 1 }),
      /status must be one of completed, stopped, failed/,
    ],
    ['phase', '[1,2,3]', /not a JSON object/],
    ['phase', '{"v":1,"type":', /not JSON/],
    ['deep', '['.repeat(10_000) + ']'.repeat(10_000), /nested deeper than 64 levels/],
  ] as const;
  for (const [what, line, reason] of bad) {
    const file = write(studyDir(), [...good.slice(0, -1), line, good[good.length - 1]]);
    const r = readStudy(file);
    assert.equal(r.skippedLines, 1, what);
    assert.equal(r.skipped?.[0].line, good.length, what);
    assert.match(r.skipped?.[0].reason ?? '', reason, what);
    assert.equal(r.status, 'completed', what);
    assert.equal(r.trials.length, out.trials.length, what);
  }
});

test('NaN and Infinity come back as numbers only where a number belongs; types from newer versions are ignored', () => {
  const dir = studyDir();
  const file = write(dir, [
    startLine({ id: 'NaN' }),
    JSON.stringify({ v: 1, type: 'warning', time: 't', message: 'Infinity' }),
    JSON.stringify({ v: 1, type: 'noise-scale', time: 't', estimate: { value: 'Infinity', low: 'NaN', high: '-Infinity' } }),
    JSON.stringify({ v: 1, type: 'branch-point', time: 't', anything: [1] }),
    JSON.stringify({ v: 1, type: 42 }),
    startLine(),
  ]);
  const r = readStudy(file);
  assert.equal(r.id, 'NaN');
  assert.deepEqual(r.warnings, ['Infinity']);
  assert.deepEqual(r.noiseScale, { value: Infinity, low: NaN, high: -Infinity });
  assert.equal(r.skippedLines, 2);
  assert.deepEqual(
    r.skipped?.map((s) => s.reason),
    ['no string "type"', 'a second study-start line'],
  );
});

test('bytes that are not UTF-8 skip their line only', () => {
  const file = write(studyDir(), [startLine(), Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), JSON.stringify({ v: 1, type: 'warning', time: 't', message: 'kept' })]);
  const r = readStudy(file);
  assert.deepEqual(r.warnings, ['kept']);
  assert.deepEqual(r.skipped, [{ line: 2, reason: 'not UTF-8 text' }]);
});

test('files that are not studies are refused at once and never block: FIFO, device, folder, oversized, foreign', () => {
  const dir = studyDir();
  const fifo = join(dir, 'fifo' + STUDY_FILE_SUFFIX);
  assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
  symlinkSync('/dev/zero', join(dir, 'zero' + STUDY_FILE_SUFFIX));
  mkdirSync(join(dir, 'folder' + STUDY_FILE_SUFFIX));
  const big = write(dir, [startLine()], 'big');
  truncateSync(big, MAX_STUDY_FILE_BYTES + 1); // sparse: no disk used
  writeFileSync(join(dir, 'foreign' + STUDY_FILE_SUFFIX), '{"hello": "world"}\n');
  writeFileSync(join(dir, 'empty' + STUDY_FILE_SUFFIX), '');
  const good = write(dir, [startLine({ id: 'good' })], 'good');
  const started = Date.now();
  assert.throws(() => readStudy(fifo), /not a regular file/);
  assert.throws(() => readStudy(join(dir, 'zero' + STUDY_FILE_SUFFIX)), /not a regular file/);
  assert.throws(() => readStudy(big), /MiB is more than a study file holds/);
  assert.throws(() => readStudy(join(dir, 'foreign' + STUDY_FILE_SUFFIX)), /not a Batch Tuner study/);
  assert.deepEqual(
    listStudies(dir).map((e) => e.file),
    [good],
  );
  assert.equal(latestStudyFor(dir, '/tmp/x/train.yaml'), undefined);
  assert.deepEqual(listStudies(join(dir, 'missing')), []);
  assert.ok(Date.now() - started < 5000, 'nothing blocked');
});

/** A process that has ended, and its identity as it was while it ran. */
async function deadIdentity(): Promise<{ pid: number; startTicks?: number; host: string }> {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
  await new Promise((r) => child.once('spawn', r));
  const pid = child.pid as number;
  const startTicks = readStatSync(pid)?.startTime;
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  return { pid, host: hostname(), ...(startTicks !== undefined ? { startTicks } : {}) };
}

test('without an end line: running while its writer lives, interrupted once it is gone or its pid was reused', async () => {
  const dir = studyDir();
  const me = currentIdentity();
  const dead = await deadIdentity();
  const cases: Array<[string, unknown, string]> = [
    ['alive', me, 'running'],
    ['dead', dead, 'interrupted'],
    ...(me.startTicks !== undefined ? [['pid reused', { ...me, startTicks: me.startTicks - 1 }, 'interrupted'] as [string, unknown, string]] : []),
    ['other host', { pid: dead.pid, host: `not-${hostname()}` }, 'running'],
  ];
  for (const [what, writer, status] of cases) {
    const r = readStudy(
      write(dir, [startLine({ writer }), JSON.stringify({ v: 1, type: 'phase', time: 't', phase: 'profile', message: 'm' })], what.replace(/ /g, '-')),
    );
    assert.equal(r.status, status, what);
    if (status === 'interrupted') assert.match(r.reason ?? '', /ended without finishing the study \(killed, crashed, or the machine restarted\)/, what);
  }
  // The end line decides, whoever wrote it.
  const ended = write(
    dir,
    [startLine({ writer: dead }), JSON.stringify({ v: 1, type: 'study-end', time: 't', status: 'completed', elapsedSeconds: 3 })],
    'ended',
  );
  assert.equal(readStudy(ended).status, 'completed');
  // Older files recorded no writer: interrupted once an hour past their budget.
  const old = new Date(Date.now() - 2 * 3600_000).toISOString();
  const legacy = write(dir, [startLine({ writer: undefined, time: old })], 'legacy');
  assert.equal(readStudy(legacy).status, 'interrupted');
  const recent = write(dir, [startLine({ writer: undefined })], 'recent');
  assert.equal(readStudy(recent).status, 'running');
  const listed = listStudies(dir).find((e) => e.file.endsWith('dead' + STUDY_FILE_SUFFIX));
  assert.equal(listed?.status, 'interrupted');
  assert.match(listed?.reason ?? '', /pid \d+/);
});

test('a torn last line is skipped once; a newline appended later does not count it twice', () => {
  const file = write(studyDir(), [startLine()]);
  appendFileSync(file, '{"v":1,"type":"warning","time":"t","mess');
  assert.equal(readStudy(file).skippedLines, 1);
  appendFileSync(file, '\n');
  assert.equal(readStudy(file).skippedLines, 1);
});

test('decodeStudyLine: every line type has a validator that accepts what the writer writes', async () => {
  const out = await writtenStudy();
  const types = new Set<string>();
  for (const line of readFileSync(out.studyFile, 'utf8').trimEnd().split('\n')) {
    const d = decodeStudyLine(line);
    assert.ok('line' in d, `${line.slice(0, 80)}: ${JSON.stringify(d)}`);
    types.add(d.line.type);
  }
  for (const t of ['study-start', 'plan', 'phase', 'trial-start', 'trial-end', 'noise-scale', 'recommendation', 'study-end']) assert.ok(types.has(t), t);
});
