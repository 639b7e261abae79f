// Builds the model a config names. Weights are initialised from the trial's seed, so the
// same seed gives the same losses on the same backend.
import type * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { ModelSpec } from '../core/types';

export interface ModelShape {
  features: number;
  imageShape?: [number, number, number];
  outputs: number;
}

export interface BuiltModel {
  model: tfl.LayersModel;
  /** True when the model ends in softmax (a loaded model), false when it outputs logits. */
  outputsProbabilities: boolean;
}

function dense(units: number, seed: number, activation?: Activation | 'linear', inputShape?: number[]) {
  return tfl.layers.dense({
    units,
    activation,
    inputShape,
    kernelInitializer: tfl.initializers.glorotUniform({ seed }),
    biasInitializer: 'zeros',
  });
}

type Activation = 'relu' | 'tanh' | 'sigmoid' | 'gelu';
// The schema allows exactly these names; anything else (none given) means relu.
const act = (a: string | undefined): Activation => (a === 'tanh' || a === 'sigmoid' || a === 'gelu' ? a : 'relu');

export async function buildModel(spec: ModelSpec, shape: ModelShape, seed: number, configDir: string): Promise<BuiltModel> {
  if (spec.type === 'layers') return loadLayersFromFile(path.resolve(configDir, spec.path));
  const model = tfl.sequential();
  let s = Math.floor(seed) * 1000;
  switch (spec.type) {
    case 'linear':
      model.add(dense(shape.outputs, s++, 'linear', [shape.features]));
      break;
    case 'mlp': {
      const hidden = spec.hidden ?? [128];
      hidden.forEach((h, i) => model.add(dense(h, s++, act(spec.activation), i === 0 ? [shape.features] : undefined)));
      model.add(dense(shape.outputs, s++, 'linear', hidden.length === 0 ? [shape.features] : undefined));
      break;
    }
    case 'cnn': {
      if (!shape.imageShape) throw new Error('model.type "cnn" needs image data (data.source: mnist); use "mlp" for tabular data');
      model.add(tfl.layers.reshape({ targetShape: shape.imageShape, inputShape: [shape.features] }));
      for (const filters of spec.filters ?? [8, 16]) {
        model.add(
          tfl.layers.conv2d({
            filters,
            kernelSize: spec.kernel_size ?? 3,
            padding: 'same',
            activation: act(spec.activation),
            kernelInitializer: tfl.initializers.glorotUniform({ seed: s++ }),
            biasInitializer: 'zeros',
          }),
        );
        model.add(tfl.layers.maxPooling2d({ poolSize: 2, strides: 2 }));
      }
      model.add(tfl.layers.flatten());
      for (const units of spec.dense ?? [64]) model.add(dense(units, s++, act(spec.activation)));
      model.add(dense(shape.outputs, s++, 'linear'));
      break;
    }
  }
  return { model, outputsProbabilities: false };
}

/**
 * tf.loadLayersModel needs an IOHandler; tfjs-node's file:// handler is not available with the
 * wasm/cpu backends, so read model.json and its weight shards from disk here.
 */
export function fileIOHandler(jsonPath: string): tf.io.IOHandler {
  return {
    load: async () => {
      const json = JSON.parse(readFileSync(jsonPath, 'utf8')) as {
        modelTopology?: object;
        weightsManifest?: Array<{ paths: string[]; weights: tf.io.WeightsManifestEntry[] }>;
        format?: string;
      };
      if (!json.modelTopology) throw new Error(`${jsonPath}: no "modelTopology" (expected a TF.js Layers model.json)`);
      const manifest = json.weightsManifest ?? [];
      const weightSpecs = manifest.flatMap((g) => g.weights);
      const buffers = manifest.flatMap((g) => g.paths.map((p) => readFileSync(path.resolve(path.dirname(jsonPath), p))));
      const all = Buffer.concat(buffers);
      return {
        modelTopology: json.modelTopology,
        format: json.format,
        weightSpecs: weightSpecs.length ? weightSpecs : undefined,
        weightData: weightSpecs.length ? all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength) : undefined,
      };
    },
  };
}

async function loadLayersFromFile(jsonPath: string): Promise<BuiltModel> {
  const model = await tfl.loadLayersModel(fileIOHandler(jsonPath));
  const last = model.layers[model.layers.length - 1];
  const activation = (last.getConfig() as { activation?: string }).activation;
  return { model, outputsProbabilities: activation === 'softmax' };
}
