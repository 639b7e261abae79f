// The in-memory dataset every source produces: flat float features, targets, a split.
export type Task = 'classification' | 'regression';

export interface ArrayDataset {
  task: Task;
  /** Features per sample (flattened). */
  features: number;
  /** Image shape [h, w, c] when the features are pixels (convolutional models need it). */
  imageShape?: [number, number, number];
  /** Number of classes (classification) or 1 (regression). */
  outputs: number;
  xTrain: Float32Array;
  /** Class indices (classification) or target values (regression). */
  yTrain: Float32Array;
  xVal: Float32Array;
  yVal: Float32Array;
  numTrain: number;
  numVal: number;
}

/** Splits sample-major arrays: the last `fraction` of the (already shuffled) samples are validation. */
export function splitArrays(x: Float32Array, y: Float32Array, features: number, fraction: number) {
  const n = y.length;
  const numVal = Math.min(n - 1, Math.max(1, Math.round(n * fraction)));
  const numTrain = n - numVal;
  return {
    xTrain: x.subarray(0, numTrain * features),
    yTrain: y.subarray(0, numTrain),
    xVal: x.subarray(numTrain * features),
    yVal: y.subarray(numTrain),
    numTrain,
    numVal,
  };
}

/** Standardises columns to mean 0, std 1 using the training rows' statistics (no leak from validation). */
export function standardise(xTrain: Float32Array, xVal: Float32Array, features: number): void {
  const n = xTrain.length / features;
  for (let f = 0; f < features; f++) {
    let s = 0,
      s2 = 0;
    for (let i = 0; i < n; i++) {
      const v = xTrain[i * features + f];
      s += v;
      s2 += v * v;
    }
    const mean = s / n;
    const std = Math.sqrt(Math.max(s2 / n - mean * mean, 0)) || 1;
    for (let i = 0; i < n; i++) xTrain[i * features + f] = (xTrain[i * features + f] - mean) / std;
    for (let i = 0; i < xVal.length / features; i++) xVal[i * features + f] = (xVal[i * features + f] - mean) / std;
  }
}
