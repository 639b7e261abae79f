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
import type { Provenance, ResolveFailure, ResolveInput, ResolveResult, ResolvedStudy, SettingKey } from './types';
import { RESOLVE_DEFAULTS, defaultMaxBatchSize, defaultMinBatchSize, defaultOutDir } from './defaults';
import { classifyConfig, failure, noCommandFailure } from './classify';
import { LineIndex, makeDiagnostic } from '../config/diagnostics';
import { factsOfExternalConfig, factsOfTrainingConfig, type ConfigFacts } from './configFacts';
import { commandFailure, layerFailure } from './checks';
import { absoluteOutDir, settingName } from './layers';
import { pick, type Layer, type Picked } from './provenance';
import { runnerSpecOf } from './runnerSettings';
import { currentGlobalBatch, globalBatchFacts, worldSizeFailure, type GlobalBatchFacts } from './worldSize';
import { configHorizonSamples, horizonInSamples, readHorizon } from './horizon';

export { RESOLVE_DEFAULTS, defaultOutDir } from './defaults';
export { cliLayer, editorLayer, panelLayer, panelSettingsOf, configLayer, type CliSettingArgs, type EditorSettingValues } from './layers';
export { isOurTrainingFormat } from './classify';
export { guessOptimizer } from './configFacts';
export { describeSettings, settingsWithProvenance, STUDY_SETTINGS_SHOWN, TRAIN_SETTINGS_SHOWN } from './provenance';

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
  const batch: GlobalBatchFacts | ResolveFailure = c.kind === 'ours' ? { canAccumulate: true } : globalBatchFacts(input.file, input.text, c.format);
  if ('ok' in batch) return batch;
  // The world size the file's own numbers state stands for the config when its tuner section says none.
  if (facts.layer.worldSize === undefined && batch.world !== undefined) facts.layer.worldSize = batch.world;
  const layers: Layer[] = [
    ...(input.run ? [{ source: input.run.source, values: input.run }] : []),
    { source: 'config', values: facts.layer },
    ...(input.editor ? [{ source: 'editor' as const, values: input.editor }] : []),
  ];
  const bad = layerFailure(layers, input.file, input.text, c.entries) ?? commandFailure(layers, input.file, input.text, c.entries);
  if (bad) return bad;
  const command = pick(layers, 'command');
  if (c.kind === 'foreign' && !command) return noCommandFailure(input.file, input.text, c.ourProblems);
  const world = orDefault(pick(layers, 'worldSize'), RESOLVE_DEFAULTS.worldSize);
  const current = currentGlobalBatch(batch, world.value);
  if (current !== undefined) facts.currentBatchSize = current;
  const { options, provenance } = studyOptions(input, layers, facts, c.kind === 'ours');
  const timeout = orDefault(pick(layers, 'trialTimeoutSeconds'), RESOLVE_DEFAULTS.trialTimeoutSeconds);
  provenance.trialTimeoutSeconds = timeout.source;
  provenance.worldSize = world.source;
  if (command) provenance.command = command.source;
  const runner = runnerSpecOf(layers, command?.value, timeout.value * 1000, world.value, provenance);
  const problem =
    runnerFailure(layers, input, command !== undefined) ??
    worldSizeFailure(world, runner, batch, { file: input.file, text: input.text, cpus: input.machine.cpus });
  if (problem) return problem;
  if (runner.kind === 'slurm') options.remoteRunner = true;
  options.parallelism = { worldSize: world.value, canAccumulate: batch.canAccumulate };
  const run = input.run;
  const batchSize = run?.batchSize ?? facts.currentBatchSize;
  const learningRate =
    run?.learningRate ?? scaleLearningRate(facts.currentLearningRate, facts.currentBatchSize, batchSize, options.lrRule ?? defaultLrRule(facts.optimizer));
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
function studyOptions(
  input: ResolveInput,
  layers: readonly Layer[],
  facts: ConfigFacts,
  ours: boolean,
): { options: StudyOptions; provenance: Partial<Record<SettingKey, Provenance>> } {
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

/** The slurm runner needs a command: the built-in trainer runs only on this machine. */
function runnerFailure(layers: readonly Layer[], input: ResolveInput, hasCommand: boolean): ResolveFailure | undefined {
  const kind = pick(layers, 'runner');
  if (kind?.value !== 'slurm' || hasCommand) return undefined;
  const message = `${settingName(kind.source, 'runner')}: slurm runs your own training command as one Slurm job per trial, and this config has none (the built-in trainer runs on this machine only): add tuner.command, e.g. "\${python} train.py --config \${config}"`;
  return failure('invalid-setting', [makeDiagnostic(new LineIndex(input.text), input.file, 0, 0, message)], message);
}

/** The run's length in samples: --horizon / tuner.horizon, else the config's own steps or epochs (derived). */
function horizonOf(layers: readonly Layer[], facts: ConfigFacts, ours: boolean): Picked<number> | undefined {
  const set = pick(layers, 'horizon');
  const h = set ? readHorizon(set.value) : undefined;
  if (set && h && typeof h !== 'string') return { value: horizonInSamples(h, facts.currentBatchSize, facts.datasetSize.value), source: set.source };
  const d = configHorizonSamples({
    config: facts.config,
    ...(facts.steps !== undefined ? { steps: facts.steps } : {}),
    batchSize: facts.currentBatchSize,
    datasetSize: facts.datasetSize.value,
    ours,
  });
  return d !== undefined ? { value: d, source: 'derived' } : undefined;
}
