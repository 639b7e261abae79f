// Chooses the TensorFlow.js backend at start: native tfjs-node when it loads (optional
// dependency, never bundled), else the wasm backend (binaries shipped next to the bundle),
// else the pure-JS cpu backend. The reason is reported to the host in the `ready` message.
import * as tf from '@tensorflow/tfjs-core';
import { version_cpu } from '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { registerWasmGradientKernels } from './wasmKernels';

export type BackendName = 'node' | 'wasm' | 'cpu';

export interface BackendChoice {
  backend: string;
  reason: string;
}

const errText = (e: unknown) => (e instanceof Error ? e.message : String(e)).split('\n')[0];

/** The folder holding tfjs-backend-wasm's .wasm files: next to the bundle, else the package's dist. */
export function findWasmDir(startDir: string = __dirname): string | undefined {
  const candidates = [startDir, path.join(startDir, '..', '..', 'dist')];
  for (let d = startDir, i = 0; i < 6; i++, d = path.dirname(d)) candidates.push(path.join(d, 'node_modules', '@tensorflow', 'tfjs-backend-wasm', 'dist'));
  return candidates.find((d) => existsSync(path.join(d, 'tfjs-backend-wasm-simd.wasm')));
}

async function tryNode(): Promise<string> {
  // A computed name keeps esbuild from trying to resolve the optional native module.
  const name = ['@tensorflow', 'tfjs-node'].join('/');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require(name);
  if (!(await tf.setBackend('tensorflow'))) throw new Error('the "tensorflow" backend did not initialise');
  return 'tfjs-node loaded (native TensorFlow)';
}

async function tryWasm(): Promise<string> {
  const dir = findWasmDir();
  if (!dir) throw new Error('tfjs-backend-wasm binaries (*.wasm) not found next to the trainer bundle');
  // Emscripten's worker-based threads need a browser Blob worker: keep one thread under Node.
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  setWasmPaths(dir.endsWith(path.sep) ? dir : dir + path.sep);
  registerWasmGradientKernels();
  const before = { u: process.listeners('uncaughtException'), r: process.listeners('unhandledRejection') };
  const ok = await tf.setBackend('wasm');
  // Emscripten's Node glue installs handlers that rethrow every uncaught error next to a
  // megabyte of minified source; the trainer reports its own errors, so drop them.
  for (const l of process.listeners('uncaughtException')) if (!before.u.includes(l)) process.removeListener('uncaughtException', l);
  for (const l of process.listeners('unhandledRejection')) if (!before.r.includes(l)) process.removeListener('unhandledRejection', l);
  if (!ok) throw new Error('the wasm backend did not initialise');
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  return `wasm (${simd ? 'SIMD' : 'no SIMD'}, 1 thread)`;
}

async function useCpu(): Promise<string> {
  await tf.setBackend('cpu');
  // Using an export of the cpu package keeps it (and its backend registration) in the bundle:
  // its package.json `sideEffects` list omits the node entry, so a bare import is dropped.
  return `cpu (pure JavaScript, tfjs-backend-cpu ${version_cpu})`;
}

/**
 * Picks the backend. `forced` (from BATCH_TUNER_BACKEND) starts the chain at that backend;
 * when it cannot load, the next one is used and the reason says why.
 */
export async function chooseBackend(forced?: string): Promise<BackendChoice> {
  const order: BackendName[] = forced === 'cpu' ? ['cpu'] : forced === 'wasm' ? ['wasm', 'cpu'] : ['node', 'wasm', 'cpu'];
  const notes: string[] = [];
  if (forced && !['node', 'wasm', 'cpu'].includes(forced)) notes.push(`BATCH_TUNER_BACKEND="${forced}" is not one of node|wasm|cpu`);
  if (forced === 'cpu' || forced === 'wasm') notes.push(`forced by BATCH_TUNER_BACKEND=${forced}`);
  for (const b of order) {
    try {
      const how = b === 'node' ? await tryNode() : b === 'wasm' ? await tryWasm() : await useCpu();
      return { backend: tf.getBackend(), reason: [...notes, `using ${how}`].join('; ') };
    } catch (e) {
      notes.push(b === 'node' ? `tfjs-node not installed (${errText(e)})` : `${b} failed (${errText(e)})`);
    }
  }
  throw new Error(`no TensorFlow.js backend could start: ${notes.join('; ')}`);
}
