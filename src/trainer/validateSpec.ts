// Checks the TrialSpec the host sent before any work starts; problems become an `error`
// message of kind 'config' that names the field and what to do.
import type { TrialSpec } from '../core/types';
import { isObj, isPositiveInt } from '../core/guards';

// One argument only: Array.every passes the index, which isPositiveInt would take as its maximum.
const isPosInt = (x: unknown) => isPositiveInt(x);

export function validateTrialSpec(spec: TrialSpec): string[] {
  const problems: string[] = [];
  const c = spec.config as unknown as Record<string, unknown>;
  const model = c.model,
    data = c.data,
    opt = c.optimizer;
  if (!isObj(model) || !['mlp', 'cnn', 'linear', 'layers'].includes(String(model.type)))
    problems.push(`model.type must be one of mlp, cnn, linear, layers (got ${JSON.stringify(isObj(model) ? model.type : model)})`);
  else if (model.type === 'layers' && typeof model.path !== 'string')
    problems.push('model.path must name a TF.js Layers model.json when model.type is "layers"');
  else if (model.type === 'mlp' && model.hidden !== undefined && !(Array.isArray(model.hidden) && model.hidden.every(isPosInt)))
    problems.push('model.hidden must be a list of positive integers, e.g. [128, 64]');
  else if (model.type === 'cnn' && model.filters !== undefined && !(Array.isArray(model.filters) && model.filters.every(isPosInt)))
    problems.push('model.filters must be a list of positive integers, e.g. [8, 16]');
  if (!isObj(data) || !['mnist', 'csv', 'synthetic'].includes(String(data.source)))
    problems.push(`data.source must be one of mnist, csv, synthetic (got ${JSON.stringify(isObj(data) ? data.source : data)})`);
  else if (data.source === 'csv' && (typeof data.path !== 'string' || typeof data.label !== 'string'))
    problems.push('data.path and data.label are required for data.source "csv"');
  else if (data.source === 'synthetic' && data.task !== 'classification' && data.task !== 'regression')
    problems.push('data.task must be "classification" or "regression" for data.source "synthetic"');
  if (!isObj(opt) || !['sgd', 'momentum', 'adam'].includes(String(opt.name)))
    problems.push(`optimizer.name must be one of sgd, momentum, adam (got ${JSON.stringify(isObj(opt) ? opt.name : opt)})`);
  if (c.loss !== undefined && c.loss !== 'cross_entropy' && c.loss !== 'mse')
    problems.push(`loss must be "cross_entropy" or "mse" (got ${JSON.stringify(c.loss)})`);
  if (!isPosInt(spec.batchSize)) problems.push(`batchSize must be a positive integer (got ${String(spec.batchSize)})`);
  if (!(spec.learningRate > 0)) problems.push(`learningRate must be > 0 (got ${spec.learningRate})`);
  if (spec.maxSteps !== undefined && !isPosInt(spec.maxSteps)) problems.push(`maxSteps must be a positive integer (got ${String(spec.maxSteps)})`);
  if (spec.maxSeconds !== undefined && !(spec.maxSeconds > 0)) problems.push(`maxSeconds must be > 0 (got ${spec.maxSeconds})`);
  if (spec.microBatches !== undefined && !(Number.isInteger(spec.microBatches) && spec.microBatches >= 0))
    problems.push(`microBatches must be an integer >= 0 (got ${spec.microBatches})`);
  if (spec.microBatches !== undefined && spec.microBatches > spec.batchSize)
    problems.push(`microBatches (${spec.microBatches}) cannot exceed batchSize (${spec.batchSize})`);
  if (spec.evalEvery !== undefined && !(Number.isInteger(spec.evalEvery) && spec.evalEvery >= 0))
    problems.push(`evalEvery must be an integer >= 0 (got ${spec.evalEvery})`);
  return [...problems, ...parallelismProblems(spec), ...checkpointProblems(spec)];
}

/** Accumulation splits the global batch into equal micro-batches; the built-in trainer is one worker. */
function parallelismProblems(spec: TrialSpec): string[] {
  const k = spec.accumulationSteps,
    problems: string[] = [];
  if (k !== undefined && !isPosInt(k)) problems.push(`accumulationSteps must be a positive integer (got ${String(k)})`);
  else if (k !== undefined && isPosInt(spec.batchSize) && spec.batchSize % k !== 0) {
    const lower = spec.batchSize - (spec.batchSize % k);
    problems.push(
      `batchSize ${spec.batchSize} is not divisible by accumulationSteps ${k} (micro-batches must be equal): use a batch size that is a multiple of ${k} (e.g. ${lower > 0 ? `${lower} or ` : ''}${lower + k}) or other accumulation steps`,
    );
  }
  if (spec.worldSize !== undefined && spec.worldSize !== 1)
    problems.push(
      `worldSize ${spec.worldSize}: the built-in trainer runs one worker; use worldSize 1 (or gradient accumulation), or an external training script for data-parallel training`,
    );
  return problems;
}

function checkpointProblems(spec: TrialSpec): string[] {
  const problems: string[] = [];
  if (spec.checkpointEvery !== undefined && !isPosInt(spec.checkpointEvery))
    problems.push(`checkpointEvery must be a positive integer (got ${String(spec.checkpointEvery)})`);
  else if (spec.checkpointEvery !== undefined && !spec.checkpointDir)
    problems.push('checkpointEvery needs checkpointDir: the folder the periodic checkpoints go to');
  for (const k of ['checkpointDir', 'checkpointPath', 'resumeFrom'] as const) {
    const v = spec[k];
    if (v !== undefined && (typeof v !== 'string' || v.trim() === '' || v.includes('\0'))) problems.push(`${k} must be a file path (got ${JSON.stringify(v)})`);
  }
  return problems;
}
