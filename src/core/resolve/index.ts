// The one resolver (issue 9): see ./types.ts for the contract and the precedence rule
// (run > config > editor > default, for every setting). The CLI (`tune`, `train`) and the VS Code
// host (panel, CodeLens, sidebar, "Train once") all turn a config into a study here.
export type * from './types';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { LrRule } from '../types';
import type { StudyOptions } from '../study/types';
import { parseMemorySize } from '../config/memorySize';
import { defaultLrRule, scaleLearningRate } from '../tuner/lrScaling';
import type { Provenance, ResolveInput, ResolveResult, ResolvedStudy, RunnerSpec, SettingKey } from './types';
import { RESOLVE_DEFAULTS, defaultMaxBatchSize, defaultMinBatchSize, defaultOutDir } from './defaults';
import { classifyConfig, noCommandFailure } from './classify';
import { factsOfExternalConfig, factsOfTrainingConfig, type ConfigFacts } from './configFacts';
import { layerFailure } from './checks';
import { absoluteOutDir } from './layers';
import { pick, type Layer, type Picked } from './provenance';
import { configHorizonSamples, horizonInSamples, readHorizon } from './horizon';

export { RESOLVE_DEFAULTS, defaultOutDir } from './defaults';
export { cliLayer, editorLayer, panelLayer, panelSettingsOf, configLayer, type CliSettingArgs, type EditorSettingValues } from './layers';
export { isOurTrainingFormat } from './classify';
export { guessOptimizer } from './configFacts';
export { describeSettings, settingsWithProvenance } from './provenance';

function readTextFile(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** Config + layers -> study options, runner and provenance. Pure apart from reading files the config names. */
export function resolveStudy(input: ResolveInput): ResolveResult {
  const c = classifyConfig(input.file, input.text, input.format);
  if (c.kind === 'invalid') return c.failure;
  const facts = c.kind === 'ours' ? factsOfTrainingConfig(c.config, input.file, c.entries, input.readText ?? readTextFile) : factsOfExternalConfig(c.ext);
  const layers: Layer[] = [
    ...(input.run ? [{ source: input.run.source, values: input.run }] : []),
    { source: 'config', values: facts.layer },
    ...(input.editor ? [{ source: 'editor' as const, values: input.editor }] : []),
  ];
  const bad = layerFailure(layers, input.file, input.text, c.entries);
  if (bad) return bad;
  const command = pick(layers, 'command');
  if (c.kind === 'foreign' && !command) return noCommandFailure(input.file, input.text, c.ourProblems);
  const { options, provenance } = studyOptions(input, layers, facts, c.kind === 'ours');
  const timeout = orDefault(pick(layers, 'trialTimeoutSeconds'), RESOLVE_DEFAULTS.trialTimeoutSeconds);
  provenance.trialTimeoutSeconds = timeout.source;
  if (command) provenance.command = command.source;
  const runner = runnerSpec(layers, command?.value, timeout.value * 1000);
  const run = input.run;
  const batchSize = run?.batchSize ?? facts.currentBatchSize;
  const learningRate = run?.learningRate ?? scaleLearningRate(facts.currentLearningRate, facts.currentBatchSize, batchSize, options.lrRule ?? defaultLrRule(facts.optimizer));
  const steps = run?.steps ?? facts.steps;
  const result: ResolvedStudy = {
    ok: true,
    kind: command ? 'external' : 'builtin',
    options,
    runner,
    provenance,
    notes: facts.notes,
    train: { batchSize, learningRate, ...(steps !== undefined ? { steps } : {}), seed: options.seed ?? RESOLVE_DEFAULTS.seed },
  };
  return result;
}

function orDefault<T>(picked: Picked<T> | undefined, value: T, source: Provenance = 'default'): Picked<T> {
  return picked ?? { value, source };
}

/** The study's settings from the layers, each with the layer that set it. */
function studyOptions(input: ResolveInput, layers: readonly Layer[], facts: ConfigFacts, ours: boolean): { options: StudyOptions; provenance: Partial<Record<SettingKey, Provenance>> } {
  const current = facts.currentBatchSize;
  const dataset = facts.datasetSize.value;
  const min = defaultMinBatchSize(current);
  const max = defaultMaxBatchSize(current, dataset);
  const workspaceFolder = pick(layers, 'workspaceFolder')?.value;
  const outDir = pick(layers, 'outDir');
  const memory = orDefault<string | number>(pick(layers, 'memoryLimit'), RESOLVE_DEFAULTS.memoryLimit);
  const s = {
    budgetSeconds: orDefault(pick(layers, 'budgetSeconds'), RESOLVE_DEFAULTS.budgetSeconds),
    minBatchSize: orDefault(pick(layers, 'minBatchSize'), min, min === RESOLVE_DEFAULTS.minBatchSize ? 'default' : 'derived'),
    maxBatchSize: orDefault(pick(layers, 'maxBatchSize'), max, max === RESOLVE_DEFAULTS.maxBatchSize ? 'default' : 'derived'),
    memoryLimitBytes: { value: parseMemorySize(memory.value, input.machine.totalMemoryBytes), source: memory.source },
    lrRule: orDefault<LrRule>(pick(layers, 'lrRule') as Picked<LrRule> | undefined, defaultLrRule(facts.optimizer)),
    parallel: orDefault(pick(layers, 'parallel'), RESOLVE_DEFAULTS.parallel),
    seed: orDefault(pick(layers, 'seed'), RESOLVE_DEFAULTS.seed),
    outDir: outDir
      ? { value: absoluteOutDir(outDir.value, workspaceFolder ?? dirname(input.file)), source: outDir.source }
      : { value: defaultOutDir(input.file, workspaceFolder), source: 'default' as Provenance },
  };
  const candidates = pick(layers, 'candidates');
  const targetLoss = pick(layers, 'targetLoss');
  const fromCheckpoints = pick(layers, 'fromCheckpoints');
  const horizonSamples = horizonOf(layers, facts, ours);
  const provenance: Partial<Record<SettingKey, Provenance>> = { ...facts.provenance };
  for (const [key, p] of Object.entries({ ...s, candidates, targetLoss, horizonSamples, fromCheckpoints })) if (p) provenance[key as SettingKey] = p.source;
  const options: StudyOptions = {
    configPath: resolve(input.file),
    config: facts.config,
    configText: input.text,
    currentBatchSize: current,
    currentLearningRate: facts.currentLearningRate,
    optimizer: facts.optimizer,
    datasetSize: dataset,
    budgetSeconds: s.budgetSeconds.value,
    minBatchSize: s.minBatchSize.value,
    maxBatchSize: s.maxBatchSize.value,
    ...(candidates ? { candidates: [...candidates.value] } : {}),
    memoryLimitBytes: s.memoryLimitBytes.value,
    lrRule: s.lrRule.value,
    ...(targetLoss ? { targetLoss: targetLoss.value } : {}),
    parallel: s.parallel.value,
    seed: s.seed.value,
    outDir: s.outDir.value,
    ...(horizonSamples ? { horizonSamples: horizonSamples.value } : {}),
    ...(fromCheckpoints ? { fromCheckpoints: [...fromCheckpoints.value] } : {}),
  };
  return { options, provenance };
}

/** The run's length in samples: --horizon / tuner.horizon, else the config's own steps or epochs (derived). */
function horizonOf(layers: readonly Layer[], facts: ConfigFacts, ours: boolean): Picked<number> | undefined {
  const set = pick(layers, 'horizon');
  const h = set ? readHorizon(set.value) : undefined;
  if (set && h && typeof h !== 'string') return { value: horizonInSamples(h, facts.currentBatchSize, facts.datasetSize.value), source: set.source };
  const d = configHorizonSamples({ config: facts.config, ...(facts.steps !== undefined ? { steps: facts.steps } : {}), batchSize: facts.currentBatchSize, datasetSize: facts.datasetSize.value, ours });
  return d !== undefined ? { value: d, source: 'derived' } : undefined;
}

function runnerSpec(layers: readonly Layer[], command: string | undefined, hangTimeoutMs: number): RunnerSpec {
  if (!command) return { kind: 'trainer', hangTimeoutMs };
  const pythonPath = pick(layers, 'pythonPath')?.value;
  const workspaceFolder = pick(layers, 'workspaceFolder')?.value;
  return {
    kind: 'external',
    command,
    shell: pick(layers, 'shell')?.value ?? RESOLVE_DEFAULTS.shell,
    ...(pythonPath !== undefined ? { pythonPath } : {}),
    ...(workspaceFolder !== undefined ? { workspaceFolder } : {}),
    hangTimeoutMs,
  };
}
