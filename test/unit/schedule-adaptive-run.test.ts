// A real adaptive run: the built-in TensorFlow.js trainer (dist/trainer.js, `npm run build`) on
// real MNIST digits, batch size driven by the measured gradient noise scale. It must change its
// batch size during the run (only upwards, through the allowed powers of two) and its loss must fall.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import * as path from 'node:path';
import { loadTrainingConfig } from '../../src/core/config/parse';
import { createTrainerRunner } from '../../src/core/runner/trainerProcess';
import type { StepMetrics } from '../../src/core/types';

test('adaptive schedule on MNIST: the batch grows with B_noise and the loss falls', { timeout: 240_000 }, async () => {
  const file = path.resolve('examples/mnist-adaptive.yaml');
  const { config } = loadTrainingConfig(file);
  const run = createTrainerRunner();
  const steps: StepMetrics[] = [];
  const result = await run(
    {
      id: 'adaptive-run',
      configPath: file,
      config,
      batchSize: config.batch_size,
      learningRate: config.optimizer.learning_rate,
      // No microBatches here: the trainer must turn the statistics on because the schedule is adaptive.
      seed: 1,
      maxSteps: 200,
      evalEvery: 0,
      warmupSteps: 2,
    },
    { onStep: (m) => steps.push(m) },
  );
  assert.equal(result.status, 'ok', JSON.stringify(result.error));
  assert.equal(steps.length, 200);
  const sizes = steps.map((s) => s.batchSize);
  const distinct = [...new Set(sizes)];
  assert.ok(distinct.length >= 2, `the batch size changed during the run (sizes: ${distinct.join(', ')})`);
  for (let i = 1; i < sizes.length; i++) {
    assert.ok(sizes[i] >= sizes[i - 1], `never shrinks (step ${i}: ${sizes[i - 1]} -> ${sizes[i]})`);
    if (sizes[i] !== sizes[i - 1]) assert.equal(i % 25, 0, `changes only every 25 steps (changed at step index ${i})`);
  }
  for (const b of distinct.slice(1)) assert.ok(b >= 16 && b <= 512 && (b & (b - 1)) === 0, `a power of two in [16, 512]: ${b}`);
  assert.ok(
    steps.every((s) => s.gradSqNorm !== undefined && s.microBatchSize !== undefined),
    'micro-batch statistics on every step',
  );
  // AdaScale: the learning rate moves with the batch, never above lr0*B/B0 nor below lr0.
  for (const s of steps)
    assert.ok(s.learningRate >= 0.05 - 1e-9 && s.learningRate <= (0.05 * s.batchSize) / 16 + 1e-9, `lr ${s.learningRate} at B=${s.batchSize}`);
  const mean = (xs: number[]) => xs.reduce((a, x) => a + x, 0) / xs.length;
  const first = mean(steps.slice(0, 20).map((s) => s.loss));
  const lastLoss = mean(steps.slice(-20).map((s) => s.loss));
  assert.ok(lastLoss < 0.6 * first, `loss falls: ${first.toFixed(3)} -> ${lastLoss.toFixed(3)}`);
  const finalVal = result.evals.at(-1)?.valLoss;
  assert.ok(finalVal !== undefined && finalVal < first, `validation loss ${finalVal} below the starting training loss ${first}`);
  console.log(
    `# sizes ${distinct.join(' -> ')} (changed at steps ${sizes.flatMap((b, i) => (i > 0 && b !== sizes[i - 1] ? [i] : [])).join(', ')}); loss ${first.toFixed(3)} -> ${lastLoss.toFixed(3)}; val ${finalVal?.toFixed(3)}`,
  );
});
