// The tasks of the horizon benchmark (bench/horizon.mjs), each of another character: least-squares
// regression with label noise (an MLP, plain SGD: the gradient noise takes over near the noise
// floor, so the critical batch size grows), an MLP on real MNIST digits (Adam) and a small CNN on
// MNIST (slow, compute-bound steps). Configs are written into the cache folder, so the benchmark
// does not depend on the examples. `horizon` (samples) is the real run every arm trains to: at
// the current batch size about ten times the longest trial of the study (the report measures the
// ratio). `flopsPerSample` (forward + backward ~ 3 x forward, 2 FLOPs per multiply-add) sizes the
// GPU-like step-time profile. Estimated on a quiet 2-core machine (RECIPES.md throughputs): ~11,
// ~13 and ~20 min per task (sweep, study, plans, full branched sweep), ~45 min in all.
// Smoke: the regression task only, short, one seed: it exercises the machinery, its numbers mean nothing.

const mlpFlops = (layers) => 3 * 2 * layers.slice(1).reduce((a, n, i) => a + n * layers[i], 0);
// conv (3x3, same) 28x28x1 -> 8 ch, pool -> 14x14 conv -> 16 ch, pool -> 7x7x16 -> 64 -> 10.
const cnnFlops = 3 * 2 * (28 * 28 * 8 * 9 * 1 + 14 * 14 * 16 * 9 * 8 + 7 * 7 * 16 * 64 + 64 * 10);

const REGRESSION = {
  model: { type: 'mlp', hidden: [128, 128], activation: 'relu' },
  data: { source: 'synthetic', task: 'regression', samples: 20000, features: 64, noise: 0.5, seed: 7 },
  optimizer: { name: 'sgd', learning_rate: 0.01 },
  loss: 'mse',
  batch_size: 32,
  seed: 1,
};
const MNIST_MLP = {
  model: { type: 'mlp', hidden: [128], activation: 'relu' },
  data: { source: 'mnist', train_samples: 8000, test_samples: 2000 },
  optimizer: { name: 'adam', learning_rate: 0.001 },
  batch_size: 32,
  seed: 1,
};
const MNIST_CNN = {
  model: { type: 'cnn', filters: [8, 16], kernel_size: 3, dense: [64], activation: 'relu' },
  data: { source: 'mnist', train_samples: 8000, test_samples: 2000 },
  optimizer: { name: 'adam', learning_rate: 0.001 },
  batch_size: 32,
  seed: 1,
};

export const FULL_TASKS = [
  {
    name: 'synthetic-regression',
    config: REGRESSION,
    flopsPerSample: mlpFlops([64, 128, 128, 1]),
    horizon: 600 * 1024,
    sweep: [16, 32, 64, 128, 256, 512, 1024],
    seeds: [1, 2],
    budget: 60,
    branchSeeds: 4,
  },
  {
    name: 'mnist-mlp',
    config: MNIST_MLP,
    flopsPerSample: mlpFlops([784, 128, 10]),
    horizon: 120 * 1024,
    sweep: [16, 32, 64, 128, 256, 512, 1024],
    seeds: [1, 2],
    budget: 60,
    branchSeeds: 4,
  },
  // Convolutions are ~10x slower per sample on the CPU backends: a shorter horizon, no 16, three seeds in the branched sweep.
  {
    name: 'mnist-cnn',
    config: MNIST_CNN,
    flopsPerSample: cnnFlops,
    horizon: 20 * 1024,
    sweep: [32, 64, 128, 256, 512],
    seeds: [1, 2],
    budget: 120,
    branchSeeds: 3,
  },
];

const SMALL_REGRESSION = { ...REGRESSION, model: { type: 'mlp', hidden: [32], activation: 'relu' }, data: { ...REGRESSION.data, samples: 8000, features: 16 } };
export const SMOKE_TASKS = [
  {
    name: 'smoke-regression',
    config: SMALL_REGRESSION,
    flopsPerSample: mlpFlops([16, 32, 1]),
    horizon: 32 * 1024,
    sweep: [16, 32, 64, 128],
    seeds: [1],
    budget: 80,
    branchSeeds: 2,
    branchPoints: 2,
  },
];
