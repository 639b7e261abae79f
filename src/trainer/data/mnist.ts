// The real MNIST digits, from the compact binary written by scripts/prepare-mnist.mjs:
//   "BTMNIST1", uint32 LE count N, uint8 rows, uint8 cols, N*rows*cols uint8 pixels, N uint8 labels.
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { ArrayDataset } from './dataset';
import { findRepoRoot } from '../paths';

export function findMnistFile(): string {
  const candidates = [path.join(__dirname, 'data', 'mnist.bin')];
  const root = findRepoRoot(__dirname);
  if (root) candidates.push(path.join(root, 'dist', 'data', 'mnist.bin'));
  const found = candidates.find((f) => existsSync(f));
  if (!found) throw new Error(`MNIST data not found (looked in ${candidates.join(', ')}); run \`npm run build\` to create dist/data/mnist.bin`);
  return found;
}

export function loadMnist(opts: { trainSamples?: number; testSamples?: number }, file = findMnistFile()): ArrayDataset {
  const buf = readFileSync(file);
  if (buf.toString('ascii', 0, 8) !== 'BTMNIST1') throw new Error(`${file}: not a BTMNIST1 file; rebuild it with \`npm run build\``);
  const n = buf.readUInt32LE(8);
  const rows = buf[12],
    cols = buf[13],
    size = rows * cols;
  const numTrain = opts.trainSamples ?? 8000;
  const numVal = opts.testSamples ?? 2000;
  if (numTrain < 1 || numVal < 1 || numTrain + numVal > n)
    throw new Error(`data.train_samples + data.test_samples must be between 2 and ${n} (got ${numTrain} + ${numVal})`);
  const pixels = (i: number, count: number) => {
    const out = new Float32Array(count * size);
    const src = buf.subarray(14 + i * size, 14 + (i + count) * size);
    for (let p = 0; p < out.length; p++) out[p] = src[p] / 255;
    return out;
  };
  const labels = (i: number, count: number) => Float32Array.from(buf.subarray(14 + n * size + i, 14 + n * size + i + count));
  return {
    task: 'classification',
    features: size,
    imageShape: [rows, cols, 1],
    outputs: 10,
    xTrain: pixels(0, numTrain),
    yTrain: labels(0, numTrain),
    // The test digits come from the end of the file, disjoint from the training ones.
    xVal: pixels(n - numVal, numVal),
    yVal: labels(n - numVal, numVal),
    numTrain,
    numVal,
  };
}
