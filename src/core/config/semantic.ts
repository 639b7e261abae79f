// Checks the schema cannot express: relations between values and files that must exist.
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { readMemorySize } from './memorySize';
import type { SchemaProblem } from './schemaErrors';
import { isObj } from '../guards';
import { accumulationSplitProblem } from './globalBatchMath';

const isInt = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x);

export interface SemanticProblem extends SchemaProblem {
  severity: 'error' | 'warning';
}

/** Resolves a path written in a config against the config's folder. */
export function resolveConfigPath(configFile: string, p: string): string {
  return isAbsolute(p) ? p : resolve(dirname(resolve(configFile)), p);
}

export function semanticProblems(config: unknown, file: string, checkFiles = true): SemanticProblem[] {
  const out: SemanticProblem[] = [];
  const err = (path: string[], message: string, at: 'key' | 'value' = 'value') => out.push({ path, at, message, severity: 'error' });
  const warn = (path: string[], message: string, at: 'key' | 'value' = 'value') => out.push({ path, at, message, severity: 'warning' });
  if (!isObj(config)) return out;
  const { model, data, tuner } = config;

  if (isObj(data)) {
    if (data.source === 'csv' && typeof data.path === 'string' && checkFiles) {
      const abs = resolveConfigPath(file, data.path);
      if (!existsSync(abs)) err(['data', 'path'], `CSV file not found: ${abs} (paths are relative to the config's folder); fix data.path`);
    }
    if (data.source === 'mnist' && isInt(data.train_samples) && isInt(data.test_samples) && data.train_samples + data.test_samples > 10000)
      err(
        ['data', 'test_samples'],
        `data.train_samples + data.test_samples must be <= 10000, the MNIST digits bundled (got ${data.train_samples + data.test_samples})`,
      );
    if (data.source === 'synthetic' && data.task === 'classification' && typeof data.noise === 'number' && data.noise > 1)
      err(['data', 'noise'], `data.noise is the fraction of flipped labels for classification and must be <= 1 (got ${data.noise})`);
  }
  if (isObj(model)) {
    if (model.type === 'layers' && typeof model.path === 'string' && checkFiles) {
      const abs = resolveConfigPath(file, model.path);
      if (!existsSync(abs)) err(['model', 'path'], `model file not found: ${abs} (paths are relative to the config's folder); fix model.path`);
    }
    if (model.type === 'cnn' && isObj(data) && data.source !== 'mnist')
      err(['model', 'type'], `model type \`cnn\` needs image data (data.source \`mnist\`); use \`mlp\` or \`linear\` for ${String(data.source)} data`);
  }
  const split = accumulationSplitProblem(config);
  if (split) err(split.path, split.message);
  if (isInt(config.steps) && isInt(config.epochs))
    warn(['epochs'], 'both `steps` and `epochs` are given: `steps` wins and `epochs` is ignored; remove one', 'key');

  if (isObj(tuner)) {
    const { min_batch_size: min, max_batch_size: max } = tuner;
    if (isInt(min) && isInt(max) && min > max)
      err(['tuner', 'min_batch_size'], `tuner.min_batch_size (${min}) must be <= tuner.max_batch_size (${max}); swap them or lower the minimum`);
    if (Array.isArray(tuner.candidates) && (isInt(min) || isInt(max))) {
      tuner.candidates.forEach((c, i) => {
        if (isInt(c) && ((isInt(min) && c < min) || (isInt(max) && c > max)))
          warn(['tuner', 'candidates', String(i)], `candidate ${c} is outside tuner.min_batch_size..max_batch_size and will be tried anyway`);
      });
    }
    if (typeof tuner.memory_limit === 'string') {
      try {
        readMemorySize(tuner.memory_limit);
      } catch (e) {
        err(['tuner', 'memory_limit'], `tuner.${(e as Error).message}`);
      }
    }
  }
  return out;
}
