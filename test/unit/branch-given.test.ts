// Branching from the person's own checkpoints (tune --from-checkpoint, issue 11), with the real
// trainer: a checkpoint from `train --checkpoint-every` gives a CBS point marked `given`; a
// checkpoint from another model, a truncated file, a corrupt file and a missing path each give a
// clear message naming the file and what to do, and the study stands (completed, recommended).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { totalmem } from 'node:os';
import { join } from 'node:path';
import { resolveStudy } from '../../src/core/resolve';
import { loadTrainingConfig } from '../../src/core/config';
import { createTrainerRunner, defaultTrainerPath } from '../../src/core/runner/trainerProcess';
import { runStudy } from '../../src/core/study';
import { writeTempConfig } from './helpers/mnistConfig';

const config = (hidden: number) => `model:
  type: mlp
  hidden: [${hidden}]
data:
  source: mnist
  train_samples: 2000
  test_samples: 500
optimizer:
  name: adam
  learning_rate: 0.001
batch_size: 32
steps: 300
seed: 1
`;

/** A checkpoint written by the real trainer after `steps` steps of `file`'s config. */
async function checkpointOf(file: string, steps: number, path: string): Promise<void> {
  const loaded = loadTrainingConfig(file);
  const r = await createTrainerRunner()(
    {
      id: `make-${steps}`,
      configPath: file,
      config: loaded.config,
      batchSize: 32,
      learningRate: 0.001,
      seed: 1,
      maxSteps: steps,
      evalEvery: 0,
      checkpointEvery: steps,
      checkpointDir: join(path, '..'),
    },
    {},
  );
  assert.equal(r.status, 'ok', JSON.stringify(r.error));
  assert.ok(existsSync(path), `${path} written (${JSON.stringify(r.checkpoints)})`);
}

test(
  'given checkpoints: a good one is branched from; another model, truncated, corrupt and missing files are each named with what to do',
  { timeout: 240_000 },
  async () => {
    assert.ok(existsSync(defaultTrainerPath()), 'dist/trainer.js is missing: run `npm run build` first');
    const { dir, file } = writeTempConfig(config(32));
    const other = writeTempConfig(config(16));
    const good = join(dir, 'ckpts', 'ckpt-step-000080.btckpt');
    await checkpointOf(file, 80, good);
    const otherModel = join(other.dir, 'ckpts', 'ckpt-step-000010.btckpt');
    await checkpointOf(other.file, 10, otherModel);
    const bytes = readFileSync(good);
    const truncated = join(dir, 'truncated.btckpt');
    writeFileSync(truncated, bytes.subarray(0, Math.floor(bytes.length / 2)));
    const corrupt = join(dir, 'corrupt.btckpt');
    const flipped = Buffer.from(bytes);
    for (let i = 0; i < 64; i++) flipped[Math.floor(bytes.length / 2) + i] ^= 0xff;
    writeFileSync(corrupt, flipped);
    const missing = join(dir, 'no-such.btckpt');

    // Through the CLI's run layer: relative paths resolve against the working directory.
    const run = {
      source: 'cli' as const,
      budgetSeconds: 100,
      candidates: [32, 64, 128],
      outDir: join(dir, 'studies'),
      fromCheckpoints: [good, otherModel, truncated, corrupt, missing],
    };
    const resolved = resolveStudy({ file, text: readFileSync(file, 'utf8'), run, machine: { totalMemoryBytes: totalmem() } });
    assert.ok(resolved.ok, resolved.ok ? '' : resolved.message);
    assert.equal(resolved.provenance.fromCheckpoints, 'cli');
    const out = await runStudy(resolved.options, createTrainerRunner());
    assert.equal(out.status, 'completed', out.reason);
    const rec = out.recommendation;
    assert.ok(rec, 'the study stands: a recommendation from the other phases');
    const u = rec.undetermined.join('\n');
    assert.match(u, new RegExp(`${otherModel}.*belongs to another model or config.*Resume with the config that wrote it`));
    assert.match(u, new RegExp(`${truncated}.*truncated.*resume from another checkpoint`));
    assert.match(u, new RegExp(`${corrupt}.*checksum mismatch`));
    assert.match(u, new RegExp(`--from-checkpoint ${missing}: no such file: check the path`));
    // The good checkpoint: probed (80 steps x 32 samples), then branched from.
    const probes = out.trials.filter((t) => t.id.startsWith('probe-'));
    assert.equal(probes.length, 4, 'a probe per existing file');
    const cbs = rec.criticalBatchSize ?? [];
    assert.equal(cbs.length, 1, u);
    assert.equal(cbs[0].samples, 80 * 32);
    assert.equal(cbs[0].step, 80);
    assert.equal(cbs[0].checkpointSource, 'given');
    assert.ok(cbs[0].branches.length >= 2 && cbs[0].value >= 32);
    assert.ok(!out.trials.some((t) => t.id.startsWith('trunk-')), 'no trunk: the person gave the checkpoints');
    assert.ok(rec.plan, 'a plan from one point (held flat over the run)');
  },
);
