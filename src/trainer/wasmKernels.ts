// Gradient kernels the wasm backend lacks. tfjs-backend-wasm 4.22 registers
// Conv2DBackpropInput, MaxPoolGrad, AvgPoolGrad, ReluGrad-free relu (Step) ... but not
// Conv2DBackpropFilter, so any Conv2D model fails to train on wasm
// ("Kernel 'Conv2DBackpropFilter' not registered for backend 'wasm'").
// This one is im2col in JavaScript + one matrix product through the wasm backend's own
// BatchMatMul kernel (XNNPACK), so the heavy part runs in wasm.
import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';

interface BackendLike {
  readSync(dataId: object): tf.backend_util.BackendValues;
  makeOutput(shape: number[], dtype: tf.DataType, memoryOffset?: number, values?: tf.backend_util.BackendValues): TensorInfo;
  disposeData(dataId: object): boolean;
}

interface Conv2DBackpropFilterAttrs {
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  filterShape: [number, number, number, number];
}

/**
 * im2col for the filter gradient (NHWC): row r = (b, oh, ow), column c = (kh, kw, ic), so that
 * dW[kh,kw,ic,oc] = sum_r cols[r,c] * dy[r,oc]  — the Conv2DBackpropFilter definition
 * (TensorFlow's conv_grad_filter_ops: the correlation of the input with the output gradient).
 */
export function im2colForFilterGrad(x: Float32Array, info: tf.backend_util.Conv2DInfo): Float32Array {
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, filterHeight, filterWidth, strideHeight, strideWidth, dilationHeight, dilationWidth } =
    info;
  const top = info.padInfo.top,
    left = info.padInfo.left;
  const k = filterHeight * filterWidth * inChannels;
  const cols = new Float32Array(batchSize * outHeight * outWidth * k);
  let r = 0;
  for (let b = 0; b < batchSize; b++) {
    const xb = b * inHeight * inWidth * inChannels;
    for (let oh = 0; oh < outHeight; oh++) {
      for (let ow = 0; ow < outWidth; ow++, r++) {
        let c = r * k;
        for (let kh = 0; kh < filterHeight; kh++) {
          const ih = oh * strideHeight - top + kh * dilationHeight;
          for (let kw = 0; kw < filterWidth; kw++, c += inChannels) {
            const iw = ow * strideWidth - left + kw * dilationWidth;
            if (ih < 0 || ih >= inHeight || iw < 0 || iw >= inWidth) continue; // zero padding
            const src = xb + (ih * inWidth + iw) * inChannels;
            for (let ic = 0; ic < inChannels; ic++) cols[c + ic] = x[src + ic];
          }
        }
      }
    }
  }
  return cols;
}

const conv2DBackpropFilterWasm: KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as unknown as Conv2DBackpropFilterAttrs;
  if (dataFormat === 'NCHW') throw new Error('Conv2DBackpropFilter (wasm): only NHWC (channelsLast) is supported');
  const be = backend as unknown as BackendLike;
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filterShape,
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    'channelsLast',
  );
  const rows = info.batchSize * info.outHeight * info.outWidth;
  const k = info.filterHeight * info.filterWidth * info.inChannels;
  const cols = be.makeOutput([1, rows, k], 'float32', undefined, im2colForFilterGrad(be.readSync(x.dataId) as Float32Array, info));
  // dy [b,oh,ow,oc] is already [rows, oc] in memory; copy it as a 3-D operand for BatchMatMul.
  const dy3 = be.makeOutput([1, rows, info.outChannels], 'float32', undefined, be.readSync(dy.dataId));
  const matMul = tf.getKernel('BatchMatMul', 'wasm');
  if (!matMul) throw new Error('wasm backend has no BatchMatMul kernel');
  const out = matMul.kernelFunc({ inputs: { a: cols, b: dy3 }, backend, attrs: { transposeA: true, transposeB: false } }) as TensorInfo;
  be.disposeData(cols.dataId);
  be.disposeData(dy3.dataId);
  return { dataId: out.dataId, shape: [...filterShape], dtype: 'float32' };
};

let registered = false;

/** Registers the missing gradient kernels for the wasm backend (idempotent). */
export function registerWasmGradientKernels(): void {
  if (registered || tf.getKernel('Conv2DBackpropFilter', 'wasm')) return;
  const config: KernelConfig = { kernelName: 'Conv2DBackpropFilter', backendName: 'wasm', kernelFunc: conv2DBackpropFilterWasm };
  tf.registerKernel(config);
  registered = true;
}
