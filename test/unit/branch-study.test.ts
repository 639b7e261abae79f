// A real branched study (issue 11): the built-in TensorFlow.js trainer (dist/trainer.js: `npm run
// build` first) on real MNIST digits, small budget. The branch phase trains a trunk at the current
// batch size to checkpoints along the run, branches at k x B from each, and the recommendation
// carries the critical batch size at >= 2 points (with B_noise beside it) and a plan over the run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { resolveStudy } from '../../src/core/resolve';
import { createTrainerRunner, defaultTrainerPath } from '../../src/core/runner/trainerProcess';
import { readStudy, runStudy, type StudyEvent } from '../../src/core/study';
import { validateSchedule } from '../../src/core/schedule';
import { writeTempConfig } from './helpers/mnistConfig';

const CONFIG = `model:
  type: mlp
  hidden: [32]
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

test(
  'a real branched study on MNIST: the critical batch size at >= 2 checkpoints along the run, B_noise beside it, and a plan',
  { timeout: 240_000 },
  async () => {
    assert.ok(existsSync(defaultTrainerPath()), 'dist/trainer.js is missing: run `npm run build` first');
    const { dir, file } = writeTempConfig(CONFIG);
    const run = { source: 'cli' as const, budgetSeconds: 90, candidates: [32, 64, 128, 256], outDir: join(dir, 'studies') };
    const resolved = resolveStudy({ file, text: readFileSync(file, 'utf8'), run, machine: { totalMemoryBytes: totalmem() } });
    assert.ok(resolved.ok, resolved.ok ? '' : resolved.message);
    assert.equal(resolved.options.horizonSamples, 300 * 32, "the horizon defaults to the config's steps x batch size");
    assert.equal(resolved.provenance.horizonSamples, 'derived');
    const events: StudyEvent[] = [];
    const before = readdirSync(tmpdir()).filter((f) => f.startsWith('batch-tuner-branch-')).length;
    const out = await runStudy(resolved.options, createTrainerRunner(), (e) => events.push(e));
    assert.equal(out.status, 'completed', out.reason);
    const rec = out.recommendation;
    assert.ok(rec, 'a recommendation');
    assert.ok(out.plan.branch && out.plan.branch.seconds > 0, 'the budget plan gave the branch phase its share');
    // The trunk and the branches ran for real, resumed from the study's checkpoints.
    const branchTrials = out.trials.filter((t) => t.phase === 'branch');
    assert.ok(
      branchTrials.some((t) => t.id.startsWith('trunk-') && t.status === 'ok'),
      branchTrials.map((t) => t.id).join(' '),
    );
    assert.ok(branchTrials.filter((t) => t.id.startsWith('branch-')).length >= 4);
    const cbs = rec.criticalBatchSize ?? [];
    assert.ok(cbs.length >= 2, `CBS at ${cbs.length} points: ${rec.undetermined.join(' | ')}`);
    for (const p of cbs) {
      assert.ok(p.samples > 0 && p.samples < 300 * 32, `a checkpoint inside the run (${p.samples})`);
      assert.ok(Number.isFinite(p.loss) && p.loss > 0);
      assert.ok(p.low <= p.value && p.value <= p.high && p.value >= 32, JSON.stringify(p));
      assert.equal(p.branches[0].batchSize, 32);
      assert.equal(p.branches[0].relativeLoss, 1, 'k = 1 is the reference');
      assert.ok(p.branches.length >= 2 && p.branches.every((b) => b.batchSize % 32 === 0));
      assert.equal(p.checkpointSource, 'study');
      assert.equal(p.basis, 'measured');
      assert.match(p.method, /validation loss.*last 25%.*within 2\.0% of the k = 1 branch/);
      assert.ok(p.noiseScale && p.noiseScale.value > 0 && p.noiseScale.low <= p.noiseScale.value, "B_noise from the k = 1 branch's micro-batches");
    }
    assert.ok(cbs[0].samples < cbs[1].samples, 'points in order along the run');
    // The plan over the run: a fixed size or a warm-up, with predicted steps and time against the best fixed size.
    const plan = rec.plan;
    assert.ok(plan, `a plan: ${rec.undetermined.join(' | ')}`);
    assert.equal(plan.horizonSamples, 9600);
    assert.ok((plan.predictedSteps ?? 0) > 0 && (plan.predictedSeconds ?? 0) > 0 && (plan.bestFixed.predictedSeconds ?? 0) > 0);
    assert.ok((plan.speedupVsBestFixed ?? 0) >= 1);
    assert.equal(plan.stages[0].fromSamples, 0);
    if (plan.kind === 'warmup') {
      assert.ok((plan.speedupVsBestFixed ?? 0) >= 1.1);
      assert.ok(plan.schedule && validateSchedule(plan.schedule).length === 0);
    } else assert.equal(plan.stages.length, 1);
    assert.match(plan.description, /measured to \d+% of the horizon/);
    // Persisted with the recommendation; the study's checkpoints were removed.
    const read = readStudy(out.studyFile as string);
    assert.equal(read.recommendation?.criticalBatchSize?.length, cbs.length);
    assert.equal(read.recommendation?.plan?.kind, plan.kind);
    assert.ok(events.some((e) => e.type === 'phase' && e.phase === 'branch'));
    assert.equal(readdirSync(tmpdir()).filter((f) => f.startsWith('batch-tuner-branch-')).length, before, 'the temporary checkpoint folder is gone');
  },
);
