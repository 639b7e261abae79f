// Entry of the trainer child process (dist/trainer.js), started by the runner with
// child_process.fork. It chooses a backend, says `ready`, waits for `start`, trains, and
// reports over IPC; every message it receives is validated first.
import * as tf from '@tensorflow/tfjs-core';
import type { TrainerToHost } from '../core/protocol';
import { validateHostMessage } from '../core/protocol';
import type { TrialSpec } from '../core/types';
import { chooseBackend } from './backend';
import { runTraining } from './loop';
import { validateTrialSpec } from './validateSpec';
import { toTrialError } from './errors';
import { LIFELINE_ENV, watchLifeline } from './lifeline';

let stopped = false;
let started = false;
let batchSizeRequest: { batchSize: number; learningRate?: number } | undefined;

function send(msg: TrainerToHost): void {
  if (process.send && process.connected) process.send(msg);
}

/** Sends the last message, then exits once IPC has flushed it. */
function finish(msg: TrainerToHost, code: number): void {
  if (process.send && process.connected) process.send(msg, () => process.exit(code));
  else process.exit(code);
}

async function train(spec: TrialSpec, backendReady: Promise<unknown>): Promise<void> {
  const problems = validateTrialSpec(spec);
  if (problems.length) return finish({ v: 1, type: 'error', error: { kind: 'config', message: `invalid trial "${spec.id}": ${problems.join('; ')}` } }, 1);
  await backendReady;
  const summary = await runTraining(spec, {
    send,
    isStopped: () => stopped,
    takeBatchSizeRequest: () => {
      const r = batchSizeRequest;
      batchSizeRequest = undefined;
      return r;
    },
  });
  finish({ v: 1, type: 'done', steps: summary.steps, samples: summary.samples, wallSeconds: summary.wallSeconds }, 0);
}

function main(): void {
  if (!process.send) {
    console.error('batch-tuner trainer: start me with child_process.fork (I talk over IPC); use `batch-tuner train <config>` from a terminal.');
    process.exit(2);
  }
  tf.enableProdMode(); // skips per-op NaN checks and tfjs's console banners
  const ready = chooseBackend(process.env.BATCH_TUNER_BACKEND).then(
    (b) => send({ v: 1, type: 'ready', pid: process.pid, backend: b.backend, backendReason: b.reason }),
    (e: unknown) => finish({ v: 1, type: 'error', error: { kind: 'crash', message: String(e instanceof Error ? e.message : e) } }, 1),
  );
  process.on('message', (raw: unknown) => {
    const r = validateHostMessage(raw);
    if (!r.ok) {
      send({ v: 1, type: 'log', level: 'warn', message: `ignored a malformed host message: ${r.error}` });
      return;
    }
    const msg = r.value;
    if (msg.type === 'stop') {
      stopped = true;
      if (!started) finish({ v: 1, type: 'done', steps: 0, samples: 0, wallSeconds: 0 }, 0);
    } else if (msg.type === 'setBatchSize') {
      batchSizeRequest = { batchSize: Math.round(msg.batchSize), learningRate: msg.learningRate };
    } else if (msg.type === 'start') {
      if (started) {
        send({ v: 1, type: 'log', level: 'warn', message: 'ignored a second "start": one trial per process' });
        return;
      }
      started = true;
      train(msg.trial, ready).catch((e: unknown) => finish({ v: 1, type: 'error', error: toTrialError(e) }, 1));
    }
  });
  // The host went away (IPC closed, or the lifeline pipe read EOF): nobody is listening, stop at once.
  process.on('disconnect', () => process.exit(0));
  const lifelineProblem = watchLifeline(process.env[LIFELINE_ENV], () => process.exit(0));
  if (lifelineProblem) send({ v: 1, type: 'log', level: 'warn', message: lifelineProblem });
  process.on('uncaughtException', (e) => finish({ v: 1, type: 'error', error: toTrialError(e) }, 1));
  process.on('unhandledRejection', (e) => finish({ v: 1, type: 'error', error: toTrialError(e) }, 1));
}

main();
