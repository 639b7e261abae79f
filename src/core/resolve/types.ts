// The contract of the one resolver (issue 9): config text + the layers that can set something
// -> the study's options, the runner to use, and which layer set each setting. The CLI (`tune`
// and `train`), the panel, CodeLens, the sidebar and "Train once" all go through resolveStudy().
//
// Precedence, one rule for every setting (most specific first):
//   run     the request for this run: CLI flags, or the tuner panel's controls
//   config  the config file itself: its `tuner:` section (`[tool.batch_tuner]` in TOML), its keys
//   editor  VS Code settings `batchTuner.*` that the person set explicitly (a value equal to the
//           contributed default but never set is NOT a layer: it is the default)
//   default the one built-in default (core/resolve/defaults.ts), shown in the UI as "default"
// Memory sizes: "2GB" = 2*10^9 bytes, "2GiB" = 2*2^30 bytes, "80%" = 80% of physical memory,
// everywhere (core/config/memorySize.ts parses all three).
import type { ConfigDiagnostic, ConfigFormat } from '../config/types';
import type { LrRule } from '../types';
import type { StudyOptions } from '../study/types';

/** Where a setting's value came from. `derived`: computed from other settings (e.g. max from the dataset). */
export type Provenance = 'cli' | 'panel' | 'config' | 'editor' | 'default' | 'derived';

/** The settings a layer can give; every field optional. Memory as written ("8GB", "80%", bytes). */
export interface SettingsLayer {
  budgetSeconds?: number;
  minBatchSize?: number;
  maxBatchSize?: number;
  candidates?: number[];
  memoryLimit?: string | number;
  /** `auto` = by optimizer (same as not set). */
  lrRule?: LrRule | 'auto';
  targetLoss?: number;
  /** Trials at a time. */
  parallel?: number;
  seed?: number;
  /** A trial that reports nothing for this long is hung (all runners, built-in included). */
  trialTimeoutSeconds?: number;
  /** External training command template (editor: the matching `batchTuner.commands` entry). */
  command?: string;
  shell?: boolean;
  /** Interpreter behind ${python}. */
  pythonPath?: string;
  /** Where study files go (absolute). */
  outDir?: string;
  /** Workspace folder (for ${workspaceFolder}). */
  workspaceFolder?: string;
  /** Where trials run: this machine, or one Slurm job per trial (issue 13). */
  runner?: RunnerKindSetting;
  /** Data-parallel workers of every trial (default: what the config's global batch says, else 1). */
  worldSize?: number;
  slurmPartition?: string;
  slurmAccount?: string;
  /** As sbatch/srun --gres takes it, e.g. "gpu:1". */
  slurmGres?: string;
  /** As srun --time takes it: "30", "10:00", "1:00:00", "1-0". */
  slurmTimeLimit?: string;
  /** CPUs of each data-parallel worker (srun --cpus-per-task). */
  slurmCpusPerTask?: number;
  /** More srun options, as a list or one string split like a command (no shell). */
  slurmExtraArgs?: string[] | string;
  /** A job still pending after this long is cancelled and its trial reported. */
  slurmPendingTimeoutSeconds?: number;
  /** Who starts the workers of a data-parallel trial: srun (-n worldSize tasks) or the command itself (torchrun). */
  slurmWorkers?: SlurmWorkers;
  /** Length of the real run (issue 11): samples, or "600steps" / "10epochs" (core/resolve/horizon.ts). */
  horizon?: number | string;
}

export type RunnerKindSetting = 'local' | 'slurm';
export type SlurmWorkers = 'srun' | 'command';

/** The request for this run: CLI flags or the panel, labelled so provenance can say which. */
export interface RunLayer extends SettingsLayer {
  source: 'cli' | 'panel';
  /** `train` / "Train once": the batch size to train at (default: the config's). */
  batchSize?: number;
  /** `train`: the learning rate (default: the config's, scaled by the lr rule when batchSize differs). */
  learningRate?: number;
  /** `train`: optimizer steps (default: the config's). */
  steps?: number;
  /** `tune`: checkpoints of the person's earlier run to branch from (absolute paths; --from-checkpoint, the panel's picker). */
  fromCheckpoints?: string[];
}

export interface ResolveInput {
  /** Absolute path of the config file. */
  file: string;
  /** Its text (the editor's buffer in VS Code, the file on disk in the CLI). */
  text: string;
  /** Detected from the file name and text when absent. */
  format?: ConfigFormat;
  run?: RunLayer;
  editor?: SettingsLayer;
  /** Facts about this machine the defaults depend on (cpus: what a local data-parallel trial can have; default: this machine's). */
  machine: { totalMemoryBytes: number; cpus?: number };
  /** Reads a file the config names (a CSV, to count its rows); undefined when unreadable. Default: fs. */
  readText?: (absolutePath: string) => string | undefined;
}

export type SettingKey =
  | 'budgetSeconds'
  | 'minBatchSize'
  | 'maxBatchSize'
  | 'candidates'
  | 'memoryLimitBytes'
  | 'lrRule'
  | 'targetLoss'
  | 'parallel'
  | 'seed'
  | 'trialTimeoutSeconds'
  | 'datasetSize'
  | 'optimizer'
  | 'currentBatchSize'
  | 'currentLearningRate'
  | 'command'
  | 'outDir'
  | 'runner'
  | 'worldSize'
  | 'slurmPartition'
  | 'slurmAccount'
  | 'slurmGres'
  | 'slurmTimeLimit'
  | 'slurmCpusPerTask'
  | 'slurmExtraArgs'
  | 'slurmPendingTimeoutSeconds'
  | 'slurmWorkers'
  | 'horizonSamples'
  | 'fromCheckpoints';

/** How each trial becomes a Slurm job (the slurm runner; core/runner/slurm.ts). */
export interface SlurmSettings {
  partition?: string;
  account?: string;
  gres?: string;
  timeLimit?: string;
  /** CPUs per data-parallel worker (default 1). */
  cpusPerTask: number;
  /** More srun options, one argument each (never through a shell). */
  extraArgs: string[];
  pendingTimeoutSeconds: number;
  workers: SlurmWorkers;
}

/** A user's own command: what the external and the slurm runner share. */
export interface CommandRunnerSpec {
  /** The template as written (placeholders unexpanded: this is what is displayed and stored). */
  command: string;
  shell: boolean;
  pythonPath?: string;
  workspaceFolder?: string;
  hangTimeoutMs: number;
  /** Data-parallel workers of a trial whose spec does not say (default 1). */
  worldSize?: number;
}

/** How trials start. createRunner(spec) in core/runner turns it into a TrialRunner. */
export type RunnerSpec =
  | { kind: 'trainer'; hangTimeoutMs: number }
  | ({ kind: 'external' } & CommandRunnerSpec)
  /** Each trial is its own Slurm job (srun), one allocation per trial. */
  | ({ kind: 'slurm'; slurm: SlurmSettings } & CommandRunnerSpec);

export interface ResolvedStudy {
  ok: true;
  /** Batch Tuner's own training format (built-in trainer), or a user's own config run by its command. */
  kind: 'builtin' | 'external';
  options: StudyOptions;
  runner: RunnerSpec;
  /** Which layer set each setting (every key present in `options` has an entry). */
  provenance: Partial<Record<SettingKey, Provenance>>;
  /** Settings that fell back to a default a person may want to know about (e.g. unknown dataset size). */
  notes: string[];
  /** For `train` / "Train once" (from the run layer, else the config): the one trial's values. */
  train: { batchSize: number; learningRate: number; steps?: number; seed: number };
}

export interface ResolveFailure {
  ok: false;
  /** `no-command`: a user's own config without a training command (VS Code asks for one, then resolves again). */
  reason: 'invalid-config' | 'invalid-setting' | 'no-command' | 'unreadable';
  /** Each with file:line:col where the problem is in a file; a setting's problem names the layer and key. */
  errors: ConfigDiagnostic[];
  /** One line a person can act on (the first error, formatted `file:line:col: message`). */
  message: string;
}

export type ResolveResult = ResolvedStudy | ResolveFailure;
