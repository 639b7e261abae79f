// Tune and Train from anywhere in VS Code (commands, CodeLens, the panel, the sidebar), the same
// way: the trust gate, one session at a time, the config resolved by the one resolver (asking for
// a training command when a user's config has none), the settings and where each came from in the
// output channel, then the session.
import * as vscode from 'vscode';
import type { RunLayer } from '../core/resolve/types';
import { recommendationHeadline, warmupPlan } from '../core/headline';
import type { BatchScheduleSpec, LrRule, Recommendation, TrialSpec } from '../core/types';
import type { PanelSettings } from '../core/webviewProtocol';
import { resolveModule } from './coreModules';
import type { Host } from './ctx';
import { checkBeforeRun, watchForMissingPackage } from './pythonPackage';
import { resolveForRun } from './studyConfig';
import type { SessionResult, StudyService } from './studyService';
import { ensureTrusted } from './trust';

export interface TuneOptions {
  /** The panel's controls (all of them from the panel; tests and commands may give some): the run layer. */
  settings?: Partial<PanelSettings>;
  /** Show a progress notification with Cancel, and the recommendation at the end (default true). */
  notify?: boolean;
  /** Run even when another study on this config is running (its lock); both are then distorted. */
  force?: boolean;
}

export interface TrainOptions {
  steps?: number;
  maxSeconds?: number;
  schedule?: BatchScheduleSpec;
  /** The panel's learning-rate rule, when Train once comes from the panel. */
  lrRule?: LrRule;
  notify?: boolean;
}

/** What a caller must not do now (untrusted, busy), as the result it returns; undefined when it may run. */
function refusal(studies: StudyService, action: string, log: vscode.LogOutputChannel): SessionResult | undefined {
  const gate = ensureTrusted(action, log);
  if (!gate.allowed) return { status: 'untrusted', reason: gate.message ?? 'untrusted workspace' };
  return studies.running ? studies.busy() : undefined;
}

/** The panel's controls as the run layer; only the ones given are set (the rest: config, settings, defaults). */
async function panelRun(settings: Partial<PanelSettings> | undefined, extra: Partial<RunLayer> = {}): Promise<RunLayer> {
  const { panelLayer } = await resolveModule();
  const layer: RunLayer = { ...panelLayer({ ...settings } as PanelSettings), ...extra, source: 'panel' };
  return Object.fromEntries(Object.entries(layer).filter(([, v]) => v !== undefined)) as unknown as RunLayer;
}

/** Runs a study on a config. Resolves when it ends (never rejects: the result says what happened). */
export async function tuneConfig(host: Host, studies: StudyService, uri: vscode.Uri, options: TuneOptions = {}): Promise<SessionResult> {
  const refused = refusal(studies, 'tune a batch size', host.log);
  if (refused) return refused;
  const r = await resolveForRun(host, uri, await panelRun(options.settings));
  if (!r.ok) return { status: 'invalid-config', reason: r.reason };
  const { describeSettings, STUDY_SETTINGS_SHOWN } = await resolveModule();
  host.log.info(`tuning ${vscode.workspace.asRelativePath(uri)}: ${describeSettings(r.resolved, STUDY_SETTINGS_SHOWN)}`);
  for (const note of r.resolved.notes) host.log.info(`note: ${note}`);
  const notify = options.notify !== false;
  void checkBeforeRun(host, r.resolved.runner, uri);
  const watch = await watchForMissingPackage(host, studies, r.resolved.runner);
  const study = options.force ? { ...r.resolved, options: { ...r.resolved.options, force: true } } : r.resolved;
  const result = await studies.runStudy(uri, study, notify).finally(() => {
    watch.dispose();
  });
  if (notify && result.status === 'completed' && result.recommendation) announce(uri, result.recommendation);
  if (notify && 'lockedBy' in result && result.lockedBy) offerRunAnyway(uri, result.reason ?? 'another study on this config is running', options);
  return result;
}

/** Another study on the config holds its lock: say so, and offer to run both anyway (both are then distorted). */
function offerRunAnyway(uri: vscode.Uri, reason: string, options: TuneOptions): void {
  void vscode.window.showWarningMessage(`Batch Tuner: ${reason}`, 'Run Anyway').then((choice) => {
    if (choice) void vscode.commands.executeCommand('batchTuner.tune', uri, { ...options, force: true });
  });
}

/** Trains once at one batch size (learning rate scaled by the resolved rule), streaming metrics like a study trial. */
export async function trainConfig(host: Host, studies: StudyService, uri: vscode.Uri, batchSize: number, options: TrainOptions = {}): Promise<SessionResult> {
  const refused = refusal(studies, 'train', host.log);
  if (refused) return refused;
  if (!Number.isInteger(batchSize) || batchSize < 1) return { status: 'invalid-config', reason: `batch size must be a positive integer (got ${batchSize})` };
  const run = await panelRun(options.lrRule ? { lrRule: options.lrRule } : undefined, { batchSize, steps: options.steps });
  const r = await resolveForRun(host, uri, run);
  if (!r.ok) return { status: 'invalid-config', reason: r.reason };
  const { describeSettings, TRAIN_SETTINGS_SHOWN } = await resolveModule();
  const t = r.resolved.train;
  host.log.info(
    `training ${vscode.workspace.asRelativePath(uri)} at batch size ${t.batchSize}, learning rate ${t.learningRate}: ${describeSettings(r.resolved, TRAIN_SETTINGS_SHOWN)}`,
  );
  const spec: TrialSpec = {
    id: `train-${t.batchSize}-${Date.now().toString(36)}`,
    configPath: r.resolved.options.configPath,
    config: r.resolved.options.config,
    batchSize: t.batchSize,
    learningRate: t.learningRate,
    seed: t.seed,
    ...(t.steps !== undefined ? { maxSteps: t.steps } : {}),
    ...(options.maxSeconds !== undefined ? { maxSeconds: options.maxSeconds } : {}),
    ...(options.schedule ? { schedule: options.schedule } : {}),
  };
  void checkBeforeRun(host, r.resolved.runner, uri);
  const watch = await watchForMissingPackage(host, studies, r.resolved.runner);
  return studies.runTrial(uri, r.resolved.runner, spec, options.notify !== false).finally(() => {
    watch.dispose();
  });
}

/** The recommendation's headline (the same words as the panel, CodeLens and the CLI), with Apply and Open Panel, when a study started from the UI ends. */
export function announcement(label: string, rec: Recommendation): { text: string; actions: string[] } {
  const plan = warmupPlan(rec);
  const same = rec.batchSize === rec.current.batchSize && !plan;
  const lr = plan ? '' : ` (learning rate ${rec.learningRate.toPrecision(3)})`;
  const undetermined = rec.undetermined?.length ? ` Undetermined: ${rec.undetermined.join(' ')}` : '';
  const text = `Batch Tuner, ${label}: ${recommendationHeadline(rec)}${lr}.${undetermined}`;
  // A warm-up plan is applied from the panel, where its stages are shown (and only into our own format).
  return { text, actions: same || plan ? ['Open Panel'] : ['Apply', 'Open Panel'] };
}

function announce(configUri: vscode.Uri, rec: Recommendation): void {
  const { text, actions } = announcement(vscode.workspace.asRelativePath(configUri), rec);
  void vscode.window.showInformationMessage(text, ...actions).then((choice) => {
    if (choice === 'Apply') void vscode.commands.executeCommand('batchTuner.applyRecommendation', configUri);
    else if (choice === 'Open Panel') void vscode.commands.executeCommand('batchTuner.openPanel', configUri);
  });
}
