// A small MNIST MLP config written to a temp folder for tests that run the real trainer.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const MNIST_MLP_YAML = `model:
  type: mlp
  hidden: [64]
data:
  source: mnist
  train_samples: 4000
  test_samples: 1000
optimizer:
  name: adam
  learning_rate: 0.001
batch_size: 32
epochs: 1
seed: 1
`;

export function writeTempConfig(text = MNIST_MLP_YAML, name = 'mnist-mlp.yaml'): { dir: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'bt-tune-'));
  const file = join(dir, name);
  writeFileSync(file, text);
  return { dir, file };
}
