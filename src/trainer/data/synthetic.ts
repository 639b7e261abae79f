// Seeded synthetic data with known structure: the tuner's tests rely on the regression noise.
//  - regression: y = w.x + b + noise*N(0,1), w ~ N(0, 1/features) (a linear teacher);
//  - classification: Gaussian blobs, one centre per class, with a fraction `noise` of labels flipped.
import type { DataSpec } from '../../core/types';
import type { ArrayDataset } from './dataset';
import { splitArrays } from './dataset';
import { createRng, normal } from '../random';

/** The config's synthetic data spec, plus the validation split. */
export type SyntheticOptions = Omit<Extract<DataSpec, { source: 'synthetic' }>, 'source'> & { validationSplit?: number };

export function makeSynthetic(o: SyntheticOptions): ArrayDataset {
  const n = o.samples ?? 4096,
    d = o.features ?? 16,
    rng = createRng(o.seed ?? 0);
  const x = new Float32Array(n * d);
  const y = new Float32Array(n);
  if (o.task === 'regression') {
    const noise = o.noise ?? 0.1;
    const w = Array.from({ length: d }, () => normal(rng) / Math.sqrt(d));
    const b = normal(rng) * 0.1;
    for (let i = 0; i < n; i++) {
      let t = b;
      for (let f = 0; f < d; f++) {
        const v = normal(rng);
        x[i * d + f] = v;
        t += w[f] * v;
      }
      y[i] = t + noise * normal(rng);
    }
  } else {
    const k = o.classes ?? 2,
      flip = o.noise ?? 0;
    const centres = Array.from({ length: k }, () => Array.from({ length: d }, () => normal(rng) * 1.5));
    for (let i = 0; i < n; i++) {
      const c = Math.floor(rng() * k);
      for (let f = 0; f < d; f++) x[i * d + f] = centres[c][f] + normal(rng);
      y[i] = rng() < flip ? Math.floor(rng() * k) : c;
    }
  }
  const split = splitArrays(x, y, d, o.validationSplit ?? 0.2);
  return { task: o.task, features: d, outputs: o.task === 'regression' ? 1 : (o.classes ?? 2), ...split };
}
