// Regenerates data.csv: 1,500 measurements of an ideal gas in a closed vessel.
//   pressure_bar = n R T / V  (ideal gas law; R = 8.314 J/(mol K); V in litres -> /100 for bar)
// with 2% multiplicative sensor noise plus 0.01 bar additive noise, from a fixed seed, so the
// file is the same on every machine:  node examples/csv-regression/generate.mjs
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// mulberry32: a small, well-mixed 32-bit PRNG (Tommy Ettinger, public domain).
function mulberry32(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = mulberry32(20240611);
// Box-Muller transform for standard normal noise.
const normal = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
const uniform = (lo, hi) => lo + (hi - lo) * rand();

const R = 8.314;
const rows = ['moles,temperature_k,volume_l,pressure_bar'];
for (let i = 0; i < 1500; i++) {
  const n = uniform(0.5, 2);
  const t = uniform(250, 400);
  const v = uniform(10, 50);
  const p = ((n * R * t) / v / 100) * (1 + 0.02 * normal()) + 0.01 * normal();
  rows.push([n.toFixed(3), t.toFixed(1), v.toFixed(2), p.toFixed(4)].join(','));
}
writeFileSync(join(dirname(fileURLToPath(import.meta.url)), 'data.csv'), rows.join('\n') + '\n');
