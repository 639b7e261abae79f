// Where trials run (issue 13): this machine, or one Slurm job per trial, and how many
// data-parallel workers each trial has. The settings' names in every layer (CLI flags, the
// config's `tuner:` section, VS Code's batchTuner.*), their checks, and the RunnerSpec they make.
// Precedence is the resolver's (run > config > editor > default), applied in ./index.ts.
import { splitCommandTemplate, CommandTemplateError } from '../runner/commandTemplate';
import { isPositiveInt, isPositiveNumber } from '../guards';
import type { TunerSpec } from '../types';
import { RESOLVE_DEFAULTS } from './defaults';
import { pick, type Layer } from './provenance';
import type { CommandRunnerSpec, Provenance, RunnerSpec, RunLayer, SettingKey, SettingsLayer, SlurmSettings } from './types';

export type RunnerSettingKey = 'runner' | 'worldSize' | SlurmSettingKey;
type SlurmSettingKey =
  'slurmPartition' | 'slurmAccount' | 'slurmGres' | 'slurmTimeLimit' | 'slurmCpusPerTask' | 'slurmExtraArgs' | 'slurmPendingTimeoutSeconds' | 'slurmWorkers';

/** The CLI's flags for these settings. */
export interface RunnerCliArgs {
  runner?: 'local' | 'slurm';
  worldSize?: number;
  slurmPartition?: string;
  slurmAccount?: string;
  slurmGres?: string;
  slurmTimeLimit?: string;
  slurmCpusPerTask?: number;
  /** As typed: split like a command, without a shell. */
  slurmExtraArgs?: string;
  slurmPendingTimeoutSeconds?: number;
  slurmWorkers?: 'srun' | 'command';
}

/** batchTuner.runner and batchTuner.slurm.* as the VS Code host reads them (undefined: not set). */
export interface RunnerEditorValues {
  runner?: string;
  slurmPartition?: string;
  slurmAccount?: string;
  slurmGres?: string;
  slurmTimeLimit?: string;
  slurmCpusPerTask?: number;
  slurmExtraArgs?: string[];
  slurmPendingTimeoutSeconds?: number;
  slurmWorkers?: string;
}

export const RUNNER_CLI_FLAGS: Record<RunnerSettingKey, string> = {
  runner: '--runner',
  worldSize: '--world-size',
  slurmPartition: '--slurm-partition',
  slurmAccount: '--slurm-account',
  slurmGres: '--slurm-gres',
  slurmTimeLimit: '--slurm-time-limit',
  slurmCpusPerTask: '--slurm-cpus-per-task',
  slurmExtraArgs: '--slurm-extra-args',
  slurmPendingTimeoutSeconds: '--slurm-pending-timeout',
  slurmWorkers: '--slurm-workers',
};
/** batchTuner.<name>; world size is a property of the config, not an editor-wide setting. */
export const RUNNER_EDITOR_KEYS: Partial<Record<RunnerSettingKey, string>> = {
  runner: 'runner',
  slurmPartition: 'slurm.partition',
  slurmAccount: 'slurm.account',
  slurmGres: 'slurm.gres',
  slurmTimeLimit: 'slurm.timeLimit',
  slurmCpusPerTask: 'slurm.cpusPerTask',
  slurmExtraArgs: 'slurm.extraArgs',
  slurmPendingTimeoutSeconds: 'slurm.pendingTimeoutSeconds',
  slurmWorkers: 'slurm.workers',
};
/** tuner.<name> (dotted: nested in the tuner section). */
export const RUNNER_CONFIG_KEYS: Record<RunnerSettingKey, string> = {
  runner: 'runner',
  worldSize: 'world_size',
  slurmPartition: 'slurm.partition',
  slurmAccount: 'slurm.account',
  slurmGres: 'slurm.gres',
  slurmTimeLimit: 'slurm.time_limit',
  slurmCpusPerTask: 'slurm.cpus_per_task',
  slurmExtraArgs: 'slurm.extra_args',
  slurmPendingTimeoutSeconds: 'slurm.pending_timeout_seconds',
  slurmWorkers: 'slurm.workers',
};

export function runnerCliLayer(a: RunnerCliArgs): Partial<SettingsLayer> {
  return {
    runner: a.runner,
    worldSize: a.worldSize,
    slurmPartition: a.slurmPartition,
    slurmAccount: a.slurmAccount,
    slurmGres: a.slurmGres,
    slurmTimeLimit: a.slurmTimeLimit,
    slurmCpusPerTask: a.slurmCpusPerTask,
    slurmExtraArgs: a.slurmExtraArgs,
    slurmPendingTimeoutSeconds: a.slurmPendingTimeoutSeconds,
    slurmWorkers: a.slurmWorkers,
  };
}

export function runnerEditorLayer(v: RunnerEditorValues): Partial<SettingsLayer> {
  const text = (s: string | undefined) => (s === undefined || s.trim() === '' ? undefined : s.trim());
  const list = v.slurmExtraArgs?.filter((x) => x.trim() !== '');
  return {
    runner: text(v.runner) as SettingsLayer['runner'],
    slurmPartition: text(v.slurmPartition),
    slurmAccount: text(v.slurmAccount),
    slurmGres: text(v.slurmGres),
    slurmTimeLimit: text(v.slurmTimeLimit),
    slurmCpusPerTask: v.slurmCpusPerTask,
    slurmExtraArgs: list && list.length > 0 ? list : undefined,
    slurmPendingTimeoutSeconds: v.slurmPendingTimeoutSeconds,
    slurmWorkers: text(v.slurmWorkers) as SettingsLayer['slurmWorkers'],
  };
}

export function runnerConfigLayer(t: TunerSpec): Partial<SettingsLayer> {
  const s = t.slurm ?? {};
  return {
    runner: t.runner,
    worldSize: t.world_size,
    slurmPartition: s.partition,
    slurmAccount: s.account,
    slurmGres: s.gres,
    // A bare number is minutes, as srun --time reads it.
    slurmTimeLimit: typeof s.time_limit === 'number' ? String(s.time_limit) : s.time_limit,
    slurmCpusPerTask: s.cpus_per_task,
    slurmExtraArgs: s.extra_args,
    slurmPendingTimeoutSeconds: s.pending_timeout_seconds,
    slurmWorkers: s.workers,
  };
}

// ---------------------------------------------------------------------------------------------
// Checks: each returns what is wrong in words that follow the setting's name.

const got = (v: unknown) => `(got ${JSON.stringify(v)})`;
const SLURM_NAME = /^[A-Za-z0-9_.,+-]+$/;
const GRES = /^[A-Za-z0-9_.,:=/+-]+$/;
// srun --time: minutes, minutes:seconds, hours:minutes:seconds, days-hours, days-hours:minutes, days-hours:minutes:seconds.
const TIME_LIMIT = /^(\d+(:\d{1,2}){0,2}|\d+-\d+(:\d{1,2}){0,2}|unlimited|infinite)$/i;

/** The extra srun arguments as a list, or why they cannot be used. */
export function extraArgsList(v: unknown): string[] | { error: string } {
  let list: unknown = v;
  if (typeof v === 'string') {
    try {
      list = splitCommandTemplate(v);
    } catch (e) {
      return { error: e instanceof CommandTemplateError ? e.message : String(e) };
    }
  }
  if (!Array.isArray(list) || !list.every((x) => typeof x === 'string' && x !== ''))
    return { error: `must be a list of srun options such as ["--qos=high"] ${got(v)}` };
  // Each must be an option: a bare word would end srun's options and become the program it runs.
  const bare = (list as string[]).find((x) => !x.startsWith('-'));
  if (bare !== undefined)
    return { error: `must be srun options, each starting with "-" and its value joined with "=" (e.g. "--qos=high"); "${bare}" is not one` };
  return list as string[];
}

export const RUNNER_CHECKS: Record<RunnerSettingKey, (v: unknown) => string | undefined> = {
  runner: (v) => (v === 'local' || v === 'slurm' ? undefined : `must be local or slurm ${got(v)}`),
  worldSize: (v) => (isPositiveInt(v, 65536) ? undefined : `must be a whole number of data-parallel workers >= 1 ${got(v)}`),
  slurmPartition: (v) => (typeof v === 'string' && SLURM_NAME.test(v) ? undefined : `must be a Slurm partition name (letters, digits, _ . , + -) ${got(v)}`),
  slurmAccount: (v) => (typeof v === 'string' && SLURM_NAME.test(v) ? undefined : `must be a Slurm account name ${got(v)}`),
  slurmGres: (v) => (typeof v === 'string' && GRES.test(v) ? undefined : `must be a generic resource as srun --gres takes it, e.g. "gpu:1" ${got(v)}`),
  slurmTimeLimit: (v) =>
    typeof v === 'string' && TIME_LIMIT.test(v.trim())
      ? undefined
      : `must be a time as srun --time takes it: minutes, "MM:SS", "HH:MM:SS" or "D-HH:MM:SS" ${got(v)}`,
  slurmCpusPerTask: (v) => (isPositiveInt(v, 4096) ? undefined : `must be a whole number of CPUs >= 1 ${got(v)}`),
  slurmExtraArgs: (v) => {
    const r = extraArgsList(v);
    return 'error' in r ? r.error : undefined;
  },
  slurmPendingTimeoutSeconds: (v) => (isPositiveNumber(v) ? undefined : `must be a positive number of seconds ${got(v)}`),
  slurmWorkers: (v) =>
    v === 'srun' || v === 'command'
      ? undefined
      : `must be srun (srun -n <world size> starts one task per worker) or command (the command starts its workers, e.g. torchrun) ${got(v)}`,
};

// ---------------------------------------------------------------------------------------------
// The runner the layers ask for.

type Provenances = Partial<Record<SettingKey, Provenance>>;

function slurmSettings(layers: readonly Layer[], provenance: Provenances): SlurmSettings {
  const get = <K extends SlurmSettingKey>(key: K) => {
    const p = pick(layers, key);
    if (p) provenance[key] = p.source;
    return p?.value;
  };
  const extra = get('slurmExtraArgs');
  const extraArgs = extra === undefined ? [] : extraArgsList(extra);
  const cpus = get('slurmCpusPerTask');
  const pending = get('slurmPendingTimeoutSeconds');
  const workers = get('slurmWorkers');
  const s: SlurmSettings = {
    cpusPerTask: cpus ?? RESOLVE_DEFAULTS.slurmCpusPerTask,
    extraArgs: Array.isArray(extraArgs) ? extraArgs : [],
    pendingTimeoutSeconds: pending ?? RESOLVE_DEFAULTS.slurmPendingTimeoutSeconds,
    workers: workers ?? RESOLVE_DEFAULTS.slurmWorkers,
  };
  provenance.slurmCpusPerTask ??= 'default';
  provenance.slurmPendingTimeoutSeconds ??= 'default';
  provenance.slurmWorkers ??= 'default';
  const partition = get('slurmPartition');
  const account = get('slurmAccount');
  const gres = get('slurmGres');
  const time = get('slurmTimeLimit');
  if (partition !== undefined) s.partition = partition;
  if (account !== undefined) s.account = account;
  if (gres !== undefined) s.gres = gres;
  if (time !== undefined) s.timeLimit = time.trim();
  return s;
}

/** The runner: the built-in trainer, the command on this machine, or the command as Slurm jobs. */
export function runnerSpecOf(
  layers: readonly Layer[],
  command: string | undefined,
  hangTimeoutMs: number,
  worldSize: number,
  provenance: Provenances,
): RunnerSpec {
  const kind = pick(layers, 'runner');
  provenance.runner = kind?.source ?? 'default';
  if (!command) return { kind: 'trainer', hangTimeoutMs };
  const pythonPath = pick(layers, 'pythonPath')?.value;
  const workspaceFolder = pick(layers, 'workspaceFolder')?.value;
  const base: CommandRunnerSpec = {
    command,
    shell: pick(layers, 'shell')?.value ?? RESOLVE_DEFAULTS.shell,
    ...(pythonPath !== undefined ? { pythonPath } : {}),
    ...(workspaceFolder !== undefined ? { workspaceFolder } : {}),
    hangTimeoutMs,
    ...(worldSize !== 1 ? { worldSize } : {}),
  };
  if (kind?.value === 'slurm') return { kind: 'slurm', ...base, slurm: slurmSettings(layers, provenance) };
  return { kind: 'external', ...base };
}

/** "the CLI flag", "tuner.…", "setting batchTuner.…" for these settings. */
export function runnerSettingName(source: Provenance, key: keyof RunLayer): string | undefined {
  if (!(key in RUNNER_CLI_FLAGS)) return undefined;
  const k = key as RunnerSettingKey;
  if (source === 'cli') return RUNNER_CLI_FLAGS[k];
  if (source === 'editor') return `setting batchTuner.${RUNNER_EDITOR_KEYS[k] ?? k}`;
  if (source === 'config') return `tuner.${RUNNER_CONFIG_KEYS[k]}`;
  return undefined;
}
