// The tasks both tuner benchmarks run, each of another character: a small MLP on synthetic
// regression (fast steps, label noise), an MLP on real MNIST digits, and a CNN on MNIST (slow,
// compute-bound steps). `sweep` runs each size long enough for most sizes to reach the target;
// `budget` is the study's, about 10% of the sweep's wall time. Smoke versions only exercise the
// machinery (three sizes, one seed, seconds each): their numbers mean nothing.
export const FULL_TASKS = [
  {
    name: 'synthetic-regression',
    file: 'examples/synthetic-regression.yaml',
    sweep: [8, 16, 32, 64, 128, 256, 512, 1024],
    seeds: [1, 2, 3],
    maxSeconds: 20,
    budget: 45,
  },
  { name: 'mnist-mlp', file: 'examples/mnist-mlp.yaml', sweep: [8, 16, 32, 64, 128, 256, 512, 1024], seeds: [1, 2, 3], maxSeconds: 30, budget: 70 },
  { name: 'mnist-cnn', file: 'examples/mnist-cnn.yaml', sweep: [8, 16, 32, 64, 128, 256, 512], seeds: [1, 2, 3], maxSeconds: 60, budget: 120 },
];

const smoke = (name, file) => ({ name, file, sweep: [16, 32, 64], seeds: [1], maxSeconds: 2.5, budget: 18, min: 16, max: 64 });
export const SMOKE_TASKS = [
  smoke('synthetic-regression', 'examples/synthetic-regression.yaml'),
  smoke('mnist-mlp', 'examples/mnist-mlp.yaml'),
  smoke('mnist-cnn', 'examples/mnist-cnn.yaml'),
];
