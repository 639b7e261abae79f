// Faults a trial can end in, caused for real: cancellation, a crashing trainer, a hanging one,
// a real V8 heap out-of-memory, a bad trial spec, a missing bundle. Every case must settle
// with a structured error, quickly, and leave no process behind.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createTrainerRunner } from '../../src/core/runner/trainerProcess';
import { listDescendants } from '../../src/core/runner/processTree';
import { ensureTrainerBundle, fixtures, mlpConfig, trialSpec, waitForExit } from '../fixtures/trainer/helpers';

// Processes that were ours before any trial (tsx's esbuild service): not the trials' doing.
let baseline: number[] = [];
before(async () => {
  ensureTrainerBundle();
  baseline = await listDescendants(process.pid);
});

async function noChildrenLeft(): Promise<void> {
  const extra = async () => (await listDescendants(process.pid)).filter((p) => !baseline.includes(p));
  const end = Date.now() + 2000;
  while ((await extra()).length && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(await extra(), [], 'no process left behind');
}

test('cancel: an AbortSignal ends a running trial within 1 s and the process is gone', async () => {
  const abort = new AbortController();
  let pid = 0,
    abortedAt = 0;
  const result = await createTrainerRunner()(
    trialSpec({ maxSteps: 100000 }),
    {
      onReady: (r) => {
        pid = r.pid;
      },
      onStep: (m) => {
        if (m.step === 3) {
          abortedAt = Date.now();
          abort.abort();
        }
      },
    },
    abort.signal,
  );
  const took = Date.now() - abortedAt;
  assert.equal(result.status, 'cancelled');
  assert.equal(result.error?.kind, 'cancelled');
  assert.ok(took < 1000, `ended ${took} ms after stop`);
  assert.ok(result.steps.length >= 3 && result.steps.length < 100000);
  assert.ok(await waitForExit(pid, 100), `trainer ${pid} still running`);
  await noChildrenLeft();
});

test('cancel during start-up (before the first step) also ends within 1 s', async () => {
  const abort = new AbortController();
  let pid = 0;
  const t0 = Date.now();
  const p = createTrainerRunner()(
    trialSpec({ maxSteps: 100000 }),
    {
      onReady: (r) => {
        pid = r.pid;
        abort.abort();
      },
    },
    abort.signal,
  );
  const result = await p;
  assert.equal(result.status, 'cancelled');
  assert.ok(Date.now() - t0 < 3000);
  assert.ok(pid > 0 && (await waitForExit(pid, 100)));
  await noChildrenLeft();
});

test('an already-aborted signal starts nothing', async () => {
  const abort = new AbortController();
  abort.abort();
  const result = await createTrainerRunner()(trialSpec(), {}, abort.signal);
  assert.equal(result.status, 'cancelled');
  assert.equal(result.steps.length, 0);
});

test('a trainer that crashes: status crashed, exit code and stderr tail kept', async () => {
  const result = await createTrainerRunner({ trainerPath: path.join(fixtures, 'crash-trainer.js') })(trialSpec(), {});
  assert.equal(result.status, 'crashed');
  assert.equal(result.error?.kind, 'crash');
  assert.equal(result.error?.exitCode, 3);
  assert.match(result.error.message, /exited with code 3/);
  assert.match(result.error.stderrTail!, /segfault-like failure/);
  assert.equal(result.backend, 'fake');
  await noChildrenLeft();
});

test('a trainer that never answers (and ignores SIGTERM) is killed after hangTimeoutMs', async () => {
  const t0 = Date.now();
  const result = await createTrainerRunner({ trainerPath: path.join(fixtures, 'hang-trainer.js') })(trialSpec({ hangTimeoutMs: 400 }), {});
  const took = Date.now() - t0;
  assert.equal(result.status, 'timeout');
  assert.equal(result.error?.kind, 'hang');
  assert.equal(result.error?.signal, 'SIGKILL');
  assert.match(result.error.message, /sent nothing for 0.4 s/);
  assert.ok(took < 3000, `settled after ${took} ms`);
  await noChildrenLeft();
});

test('a real out-of-memory (V8 heap limit via execArgv) becomes status oom', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bt-oom-'));
  try {
    // 150k rows parse into millions of JS strings: far more than a 48 MB heap holds.
    const rows = ['label,' + Array.from({ length: 10 }, (_, i) => `f${i}`).join(',')];
    for (let i = 0; i < 150_000; i++) rows.push(`${i % 3},` + Array.from({ length: 10 }, (_, j) => ((i * 7 + j * 13) % 97) / 9).join(','));
    writeFileSync(path.join(dir, 'big.csv'), rows.join('\n'));
    const config = mlpConfig({ data: { source: 'csv', path: 'big.csv', label: 'label' } });
    const result = await createTrainerRunner({ execArgv: ['--max-old-space-size=48'] })(trialSpec({ configPath: path.join(dir, 'train.yaml') }, config), {});
    assert.equal(result.status, 'oom', JSON.stringify(result.error));
    assert.equal(result.error?.kind, 'oom');
    assert.match(result.error.stderrTail!, /heap out of memory/);
    await noChildrenLeft();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an invalid trial spec is reported by the trainer as a config error', async () => {
  const bad = mlpConfig({ model: { type: 'transformer' } as never, optimizer: { name: 'adamw', learning_rate: 0.001 } as never });
  const result = await createTrainerRunner()(trialSpec({ microBatches: 1000 }, bad), {});
  assert.equal(result.status, 'failed');
  assert.equal(result.error?.kind, 'config');
  assert.match(result.error.message, /model\.type must be one of mlp, cnn, linear, layers \(got "transformer"\)/);
  assert.match(result.error.message, /optimizer\.name must be one of sgd, momentum, adam/);
  assert.match(result.error.message, /microBatches \(1000\) cannot exceed batchSize \(64\)/);
  await noChildrenLeft();
});

test('a missing data file is a structured failure naming the file', async () => {
  const config = mlpConfig({ data: { source: 'csv', path: 'nope.csv', label: 'y' } });
  const result = await createTrainerRunner()(trialSpec({}, config), {});
  assert.equal(result.status, 'crashed');
  assert.match(result.error!.message, /nope\.csv/);
});

test('a missing trainer bundle is a spawn error that says what to do', async () => {
  const result = await createTrainerRunner({ trainerPath: '/nonexistent/trainer.js' })(trialSpec(), {});
  assert.equal(result.status, 'failed');
  assert.equal(result.error?.kind, 'spawn');
  assert.match(result.error.message, /npm run build/);
});
