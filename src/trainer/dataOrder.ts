// The order in which training samples are visited: a seeded shuffle per epoch, drawn in
// batches. Its state (the permutation in use, the position in it, the PRNG) is what a checkpoint
// saves so that a resumed run sees the very same batches.
import { createRng, permutation, rngFromState, type SeededRandom } from './random';

export interface DataOrderState {
  /** The PRNG's state after the last permutation was drawn. */
  rngState: number;
  /** Index of the next sample to visit in `order`. */
  cursor: number;
  /** The current epoch's permutation of 0..n-1. */
  order: Int32Array;
}

export class DataOrder {
  private rng: SeededRandom;
  private order: Int32Array;
  private cursor = 0;

  constructor(
    private readonly n: number,
    seed: number,
  ) {
    this.rng = createRng(seed);
    this.order = permutation(n, this.rng);
  }

  /** The next b sample indices; a new shuffle starts whenever an epoch's permutation runs out. */
  take(b: number): Int32Array {
    const out = new Int32Array(b);
    for (let i = 0; i < b; i++) {
      if (this.cursor === this.n) {
        this.order = permutation(this.n, this.rng);
        this.cursor = 0;
      }
      out[i] = this.order[this.cursor++];
    }
    return out;
  }

  /** A snapshot; cheap (take() replaces the permutation instead of changing it, so it is shared, not copied). */
  state(): DataOrderState {
    return { rngState: this.rng.state(), cursor: this.cursor, order: this.order };
  }

  /** Continues from a snapshot of this run, or from a saved one that orderProblem() has accepted. */
  restore(s: DataOrderState): void {
    this.rng = rngFromState(s.rngState);
    this.order = s.order;
    this.cursor = s.cursor;
  }
}

/** Why a saved order cannot be this dataset's (a permutation of 0..n-1 with a cursor inside it), or undefined. */
export function orderProblem(s: DataOrderState, n: number): string | undefined {
  if (s.order.length !== n) return `the saved data order has ${s.order.length} samples, the dataset ${n}`;
  if (!(Number.isInteger(s.cursor) && s.cursor >= 0 && s.cursor <= n)) return `the saved data-order position ${s.cursor} is outside 0..${n}`;
  if (!(Number.isInteger(s.rngState) && s.rngState >= 0 && s.rngState <= 0xffffffff)) return `the saved random-generator state ${s.rngState} is not a uint32`;
  const seen = new Uint8Array(n);
  for (const i of s.order) {
    if (!(i >= 0 && i < n) || seen[i]) return 'the saved data order is not a permutation of the training samples';
    seen[i] = 1;
  }
  return undefined;
}
