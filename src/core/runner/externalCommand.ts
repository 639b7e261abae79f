// What a user's own training command is given for one trial: the values of its placeholders and
// the same values as BATCH_TUNER_* environment variables (docs/metrics-protocol.md), and where the
// program it names is, so that "not found" is said before anything is started.
import { accessSync, constants as fsConstants, existsSync, statSync } from 'node:fs';
import { delimiter, dirname, isAbsolute, join, resolve } from 'node:path';
import type { TrialSpec } from '../types';
import { isPositiveInt } from '../guards';
import type { PlaceholderValues } from './commandTemplate';
import { CONTROL_ENV } from './scheduleDriver';

/**
 * The interpreter behind ${python}: the configured one (batchTuner.pythonPath), else env
 * BATCH_TUNER_PYTHON (for the CLI), else /usr/bin/python3 when present, else `python3`.
 */
export function defaultPython(pythonPath?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (pythonPath && pythonPath.trim()) return pythonPath.trim();
  if (env.BATCH_TUNER_PYTHON?.trim()) return env.BATCH_TUNER_PYTHON.trim();
  if (process.platform === 'win32') return 'python';
  return existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
}

/**
 * The folder that makes `import batch_tuner` work (python/ next to dist/ or src/), whether the
 * reporter is the single file python/batch_tuner.py or the package python/batch_tuner/.
 */
export function findReporterDir(): string | undefined {
  let dir = __dirname;
  for (let i = 0; i < 6; i++) {
    const py = join(dir, 'python');
    if (existsSync(join(py, 'batch_tuner.py')) || existsSync(join(py, 'batch_tuner', '__init__.py'))) return py;
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return undefined;
}

export interface GlobalBatchSplit {
  worldSize: number;
  accumulationSteps: number;
  /** Samples per micro-batch on one worker: batchSize / (accumulationSteps x worldSize). */
  microBatchSize: number;
}

/** The trial's global batch split over workers and accumulation steps, or why it cannot be. */
export function globalBatchSplit(spec: TrialSpec): GlobalBatchSplit | { error: string } {
  const worldSize = spec.worldSize ?? 1;
  const accumulationSteps = spec.accumulationSteps ?? 1;
  if (!isPositiveInt(worldSize)) return { error: `the trial's worldSize must be an integer >= 1 (got ${String(worldSize)})` };
  if (!isPositiveInt(accumulationSteps)) return { error: `the trial's accumulationSteps must be an integer >= 1 (got ${String(accumulationSteps)})` };
  const parts = worldSize * accumulationSteps;
  if (spec.batchSize % parts !== 0) {
    return {
      error: `batch size ${spec.batchSize} does not split into ${accumulationSteps} accumulation step(s) x ${worldSize} worker(s): choose a batch size that is a multiple of ${parts}`,
    };
  }
  return { worldSize, accumulationSteps, microBatchSize: spec.batchSize / parts };
}

export interface TrialFiles {
  /** The trial's copy of the config. */
  config: string;
  metrics: string;
  /** Where ${checkpoint} points: TrialSpec.checkpointPath, else a scratch file in the trial's temp folder. */
  checkpoint: string;
  /** The schedule's control file, when the trial has a schedule. */
  control?: string;
}

export function placeholderValues(spec: TrialSpec, files: TrialFiles, split: GlobalBatchSplit, python: string, workspaceFolder?: string): PlaceholderValues {
  return {
    config: files.config,
    batchSize: spec.batchSize,
    learningRate: spec.learningRate,
    steps: spec.maxSteps,
    seed: spec.seed,
    workspaceFolder,
    python,
    trialId: spec.id,
    metrics: files.metrics,
    checkpoint: files.checkpoint,
    resume: spec.resumeFrom ?? '',
    ...split,
  };
}

/** The script's environment: the base, plus every value as BATCH_TUNER_*. */
export function trialEnvironment(base: NodeJS.ProcessEnv, spec: TrialSpec, files: TrialFiles, split: GlobalBatchSplit, python: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...base,
    BATCH_TUNER_CONFIG: files.config,
    BATCH_TUNER_BATCH_SIZE: String(spec.batchSize),
    BATCH_TUNER_LEARNING_RATE: String(spec.learningRate),
    BATCH_TUNER_SEED: String(spec.seed),
    BATCH_TUNER_METRICS: files.metrics,
    BATCH_TUNER_TRIAL_ID: spec.id,
    BATCH_TUNER_PYTHON: python,
    BATCH_TUNER_CHECKPOINT: files.checkpoint,
    BATCH_TUNER_RESUME: spec.resumeFrom ?? '',
    BATCH_TUNER_WORLD_SIZE: String(split.worldSize),
    BATCH_TUNER_ACCUMULATION_STEPS: String(split.accumulationSteps),
    BATCH_TUNER_MICRO_BATCH_SIZE: String(split.microBatchSize),
    // Python block-buffers a piped stdout: without this, log lines arrive in bursts at exit.
    PYTHONUNBUFFERED: '1',
  };
  const optional: Array<[string, number | undefined]> = [
    ['BATCH_TUNER_STEPS', spec.maxSteps],
    ['BATCH_TUNER_MAX_SECONDS', spec.maxSeconds],
    ['BATCH_TUNER_MICRO_BATCHES', spec.microBatches],
    ['BATCH_TUNER_EVAL_EVERY', spec.evalEvery],
  ];
  // An inherited value belongs to some other run.
  for (const [key, value] of optional) env[key] = value === undefined ? undefined : String(value);
  env[CONTROL_ENV] = files.control;
  const reporterDir = findReporterDir();
  if (reporterDir) env.PYTHONPATH = base.PYTHONPATH ? `${base.PYTHONPATH}${delimiter}${reporterDir}` : reporterDir;
  return Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined));
}

/**
 * Where `program` is, as the shell would find it (a path is taken relative to `cwd`, a bare name
 * is looked up on PATH), or the error that starting it would give: ENOENT, EACCES.
 */
export function findProgram(program: string, cwd: string, env: NodeJS.ProcessEnv): { path: string } | { error: NodeJS.ErrnoException } {
  const fail = (code: 'ENOENT' | 'EACCES'): { error: NodeJS.ErrnoException } => ({ error: Object.assign(new Error(`${code} ${program}`), { code }) });
  const executable = (p: string): 'ok' | 'ENOENT' | 'EACCES' => {
    try {
      if (!statSync(p).isFile()) return 'EACCES';
      accessSync(p, fsConstants.X_OK);
      return 'ok';
    } catch (e) {
      return (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'ENOENT' : 'EACCES';
    }
  };
  if (process.platform === 'win32') return { path: program }; // PATHEXT and friends: let spawn decide
  if (program.includes('/')) {
    const p = isAbsolute(program) ? program : resolve(cwd, program);
    const r = executable(p);
    return r === 'ok' ? { path: p } : fail(r);
  }
  let denied = false;
  for (const dir of (env.PATH ?? '/usr/local/bin:/usr/bin:/bin').split(delimiter)) {
    if (!dir) continue;
    const r = executable(join(dir, program));
    if (r === 'ok') return { path: join(dir, program) };
    if (r === 'EACCES') denied = true;
  }
  return fail(denied ? 'EACCES' : 'ENOENT');
}
