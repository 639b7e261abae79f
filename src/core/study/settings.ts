// Study options resolved to the numbers the phases use, and the checks a person can act on.
import type { LrRule } from '../types';
import { defaultLrRule } from '../tuner/lrScaling';
import { powerOfTwoCandidates } from '../tuner/candidates';
import type { StudyOptions } from './types';
import { RESOLVE_DEFAULTS, defaultMaxBatchSize, defaultMinBatchSize } from '../resolve/defaults';

export interface StudySettings {
  budgetSeconds: number;
  minBatchSize: number;
  maxBatchSize: number;
  /** Sorted, unique, always including the current batch size (the reference). */
  candidates: number[];
  memoryLimitBytes?: number;
  memorySafetyMargin: number;
  lrRule: LrRule;
  targetLoss?: number;
  parallel: number;
  seed: number;
  microBatches: number;
  warmupSteps: number;
  startupSecondsGuess: number;
}

/** Fills what the options leave open with the one set of defaults (core/resolve/defaults.ts). */
export function resolveSettings(o: StudyOptions): StudySettings {
  const min = o.minBatchSize ?? defaultMinBatchSize(o.currentBatchSize);
  const max = o.maxBatchSize ?? defaultMaxBatchSize(o.currentBatchSize, o.datasetSize);
  const list = o.candidates && o.candidates.length > 0 ? o.candidates.filter((b) => b >= 1) : powerOfTwoCandidates(min, max);
  const candidates = [...new Set([...list, o.currentBatchSize])].filter((b) => b <= o.datasetSize).sort((a, b) => a - b);
  const s: StudySettings = {
    budgetSeconds: o.budgetSeconds ?? RESOLVE_DEFAULTS.budgetSeconds,
    minBatchSize: min,
    maxBatchSize: max,
    candidates,
    memorySafetyMargin: o.memorySafetyMargin ?? 0.1,
    lrRule: o.lrRule ?? defaultLrRule(o.optimizer),
    parallel: Math.max(1, Math.floor(o.parallel ?? RESOLVE_DEFAULTS.parallel)),
    seed: o.seed ?? RESOLVE_DEFAULTS.seed,
    microBatches: o.microBatches ?? 4,
    warmupSteps: 5,
    startupSecondsGuess: o.startupSecondsGuess ?? 1,
  };
  if (o.memoryLimitBytes !== undefined) s.memoryLimitBytes = o.memoryLimitBytes;
  if (o.targetLoss !== undefined) s.targetLoss = o.targetLoss;
  return s;
}

/** Problems that stop a study before any trial runs, each saying what to change. */
export function settingsErrors(o: StudyOptions, s: StudySettings): string[] {
  const errs: string[] = [];
  if (s.minBatchSize > s.maxBatchSize) errs.push(`min batch size ${s.minBatchSize} is larger than max batch size ${s.maxBatchSize}: swap them or lower --min`);
  if (!Number.isInteger(o.currentBatchSize) || o.currentBatchSize < 1)
    errs.push(`the current batch size must be a positive integer (got ${o.currentBatchSize})`);
  if (!(o.currentLearningRate > 0)) errs.push(`the current learning rate must be positive (got ${o.currentLearningRate})`);
  if (!(s.budgetSeconds > 0)) errs.push(`the budget must be a positive number of seconds (got ${s.budgetSeconds})`);
  if (s.memoryLimitBytes !== undefined && !(s.memoryLimitBytes > 0)) errs.push(`the memory limit must be positive (got ${s.memoryLimitBytes})`);
  if (o.candidates?.some((b) => !Number.isInteger(b) || b < 1)) errs.push('candidate batch sizes must be positive integers');
  if (s.candidates.length === 0) errs.push(`no candidate batch size fits the dataset (${o.datasetSize} samples): lower --min`);
  return errs;
}
