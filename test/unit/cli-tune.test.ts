// `batch-tuner tune` end to end through the built CLI (dist/cli.js: `npm run build` first):
// bad input gives a clear message, a non-zero exit and a study persisted as failed; --json gives
// one object from a real (small) study.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { readStudy } from '../../src/core/study';
import { parseTuneArgs } from '../../src/cli/tuneArgs';
import { writeTempConfig } from './helpers/mnistConfig';

const CLI = resolve(__dirname, '../../dist/cli.js');

function tune(args: string[], cwd: string) {
  assert.ok(existsSync(CLI), 'dist/cli.js is missing: run `npm run build` first');
  const r = spawnSync(process.execPath, [CLI, 'tune', ...args], { cwd, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function onlyStudy(dir: string) {
  const files = readdirSync(dir).filter((f) => f.endsWith('.study.jsonl'));
  assert.equal(files.length, 1, `one study file in ${dir}`);
  return readStudy(join(dir, files[0]));
}

test('argument errors are usage errors (exit 2) that name the flag', () => {
  assert.throws(() => parseTuneArgs(['c.yaml', '--lr-rule', 'cubic']), /--lr-rule expects linear, sqrt or none \(got "cubic"\)/);
  assert.throws(() => parseTuneArgs(['c.yaml', '--memory-limit', 'lots']), /--memory-limit: memory size "lots" is not understood/);
  assert.throws(() => parseTuneArgs(['--budget', '-3', 'c.yaml']), /--budget expects a positive number/);
  assert.throws(() => parseTuneArgs([]), /missing <config>/);
  assert.throws(() => parseTuneArgs(['c.yaml', '--budget']), /--budget expects a positive number \(got nothing\)/);
  assert.throws(() => parseTuneArgs(['c.yaml', '--bugdet', '3']), /unknown option --bugdet/);
  assert.throws(() => parseTuneArgs(['a.yaml', 'b.yaml']), /one config at a time \(got a\.yaml and b\.yaml\)/);
  assert.throws(() => parseTuneArgs(['c.yaml', '--seed', '-1']), /--seed expects an integer >= 0 \(got "-1"\)/);
  assert.equal(parseTuneArgs(['c.yaml', '-h']), 'help');
  const a = parseTuneArgs(['c.yaml', '--memory-limit', '2GB', '--min=16', '--json']);
  assert.ok(
    a !== 'help' && a.memoryLimit === '2GB' && a.min === 16 && a.json,
    'the size is kept as written: the resolver converts it (2GB = 2e9 bytes, see resolve-equality)',
  );
  const { dir } = writeTempConfig();
  const r = tune(['missing.yaml'], dir);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /missing\.yaml: no such file/);
});

test('min > max: a clear message, exit 1, and the study persisted as failed', () => {
  const { dir, file } = writeTempConfig();
  const r = tune([file, '--min', '256', '--max', '16', '--out', 'studies'], dir);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /min batch size 256 is larger than max batch size 16/);
  // Which settings came from where, said before the study starts.
  assert.match(
    r.stderr,
    /settings: budget 120 s \(default\), min 256 \(flag\), max 16 \(flag\), memory limit [\d.]+ GB \(default: 80% of RAM\), lr rule sqrt \(default for adam\)/,
  );
  assert.match(r.stderr, /seed 1 \(config\), trial timeout 300 s \(default\), 4,000 training samples \(derived\)/);
  assert.equal(onlyStudy(join(dir, 'studies')).status, 'failed');
});

test('a memory limit below the smallest trial: a clear message after one real trial', () => {
  const { dir, file } = writeTempConfig();
  const r = tune([file, '--memory-limit', '1kB', '--min', '16', '--max', '64', '--budget', '20', '--out', 'studies'], dir);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /memory limit \(1000 bytes\) is below the peak memory of the smallest trial \(batch 16/);
  const s = onlyStudy(join(dir, 'studies'));
  assert.equal(s.status, 'failed');
  assert.equal(s.trials.length, 1, 'stops after the smallest batch: nothing larger can fit');
});

test("a config whose every trial crashes: the script's own error, exit 1, study failed", () => {
  const { dir, file } = writeTempConfig(
    'batch_size: 32\nlr: 0.01\ntuner:\n  command: "node -e \\"console.error(\'ValueError: shapes (32,10) and (784,) not aligned\'); process.exit(3)\\""\n  budget_seconds: 20\n',
    'train.yaml',
  );
  const r = tune([file, '--min', '16', '--max', '64', '--out', 'studies'], dir);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /every trial failed/);
  assert.match(r.stderr, /not aligned/);
  assert.equal(onlyStudy(join(dir, 'studies')).status, 'failed');
});

test('--json prints one object from a real small study, and --report writes the page', { timeout: 120_000 }, () => {
  const { dir, file } = writeTempConfig();
  const r = tune([file, '--budget', '14', '--min', '32', '--max', '128', '--json', '--report', 'report.html', '--out', 'studies'], dir);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout) as {
    recommended: { batchSize: number; learningRate: number; speedupVsCurrent?: number; band: { low: number; high: number }; basis: Record<string, string> };
    current: { batchSize: number };
    noiseScale: { value: number; low: number; high: number };
    alternatives: Record<'largestThatFits' | 'maxThroughput' | 'mostSampleEfficient', { batchSize: number }>;
    trials: Array<{ batchSize: number; samplesPerSecond?: number; peakMemoryBytes?: number; status: string }>;
    studyFile: string;
    settings: Record<string, { value: unknown; source: string }>;
  };
  assert.ok([32, 64, 128].includes(j.recommended.batchSize));
  assert.ok(j.recommended.learningRate > 0);
  assert.ok(j.recommended.band.low <= j.recommended.batchSize && j.recommended.batchSize <= j.recommended.band.high, 'the pick lies in its band');
  // A speed-up only when nothing it rests on was assumed.
  if (Object.values(j.recommended.basis).includes('assumed')) assert.equal(j.recommended.speedupVsCurrent, undefined);
  else assert.ok((j.recommended.speedupVsCurrent ?? 0) > 0);
  assert.equal(j.current.batchSize, 32);
  assert.ok(j.noiseScale.low <= j.noiseScale.value && j.noiseScale.value <= j.noiseScale.high);
  for (const k of ['largestThatFits', 'maxThroughput', 'mostSampleEfficient'] as const) assert.ok(j.alternatives[k].batchSize >= 32);
  assert.ok(j.trials.some((t) => t.status === 'ok' && (t.samplesPerSecond ?? 0) > 0 && (t.peakMemoryBytes ?? 0) > 0));
  assert.equal(readStudy(j.studyFile).status, 'completed');
  assert.deepEqual(j.settings.budgetSeconds, { value: 14, source: 'cli' });
  assert.deepEqual(j.settings.lrRule, { value: 'sqrt', source: 'default' });
  assert.equal(j.settings.memoryLimitBytes.source, 'default');
  assert.deepEqual(j.settings.seed, { value: 1, source: 'config' });
  assert.deepEqual(j.settings.datasetSize, { value: 4000, source: 'derived' });
  assert.deepEqual(j.settings.outDir, { value: join(dir, 'studies'), source: 'cli' });
  const html = readFileSync(join(dir, 'report.html'), 'utf8');
  assert.match(html, new RegExp(`batch size ${j.recommended.batchSize}`));
  assert.ok(html.length > 40_000, 'uPlot is inlined');
});
