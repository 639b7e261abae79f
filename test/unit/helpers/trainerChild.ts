// Talks to the real trainer child (dist/trainer.js) over its IPC protocol, the way the host does,
// and collects every message (checkpoint messages included, which the runner may not forward yet).
import { fork, type ChildProcess } from 'node:child_process';
import { validateTrainerMessage, type TrainerToHost } from '../../../src/core/protocol';
import type { CheckpointInfo, EvalMetrics, StepMetrics, TrialError, TrialSpec } from '../../../src/core/types';
import { ensureTrainerBundle } from '../../fixtures/trainer/helpers';

export interface ChildRun {
  steps: StepMetrics[];
  evals: EvalMetrics[];
  checkpoints: CheckpointInfo[];
  logs: Array<{ level: string; message: string }>;
  error?: TrialError;
  done?: { steps: number; samples: number };
  exitCode: number | null;
  stderr: string;
}

export interface ChildOptions {
  env?: NodeJS.ProcessEnv;
  /** Called with each valid message (e.g. to send `stop`). */
  onMessage?(m: TrainerToHost, child: ChildProcess): void;
  timeoutMs?: number;
}

/** Runs one trial in a forked trainer and resolves when the process has exited. */
export function runTrainerChild(spec: TrialSpec, opts: ChildOptions = {}): Promise<ChildRun> {
  const bundle = ensureTrainerBundle();
  const child = fork(bundle, [], { execArgv: [], env: { ...process.env, ...opts.env }, stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
  const out: ChildRun = { steps: [], evals: [], checkpoints: [], logs: [], exitCode: null, stderr: '' };
  const malformed: string[] = [];
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    out.stderr += d;
  });
  child.on('message', (raw) => {
    const r = validateTrainerMessage(raw);
    if (!r.ok) {
      malformed.push(`${JSON.stringify(raw)} (${r.error})`);
      return;
    }
    const m = r.value;
    if (m.type === 'step') out.steps.push(m.metrics);
    else if (m.type === 'eval') out.evals.push(m.metrics);
    else if (m.type === 'checkpoint') out.checkpoints.push(m.checkpoint);
    else if (m.type === 'log') out.logs.push({ level: m.level, message: m.message });
    else if (m.type === 'error') out.error = m.error;
    else if (m.type === 'done') out.done = { steps: m.steps, samples: m.samples };
    opts.onMessage?.(m, child);
  });
  child.send({ v: 1, type: 'start', trial: spec });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`trainer child did not finish in ${opts.timeoutMs ?? 120_000} ms`));
    }, opts.timeoutMs ?? 120_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      out.exitCode = code;
      if (malformed.length) reject(new Error(`the trainer sent malformed messages: ${malformed.join('; ')}`));
      else resolve(out);
    });
  });
}

export const losses = (r: ChildRun) => r.steps.map((s) => s.loss);
