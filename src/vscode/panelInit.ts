// What the tuner panel (and the sidebar's live view) start from: the config resolved by the one
// resolver — its values, the settings a study would use and which layer set each — plus the
// running or stored study. A config that cannot be resolved (a mistake in it, a bad setting)
// starts from the resolver's own defaults, every one labelled `default`, with the problem.
import * as os from 'node:os';
import * as vscode from 'vscode';
import type { StudyRecord } from '../core/study/types';
import type { ResolvedStudy } from '../core/resolve/types';
import type { Recommendation, TrialSummary } from '../core/types';
import type { PanelInit, PanelProvenance, PanelSettings, PanelStudyInfo } from '../core/webviewProtocol';
import { RESOLVE_DEFAULTS, defaultMaxBatchSize, defaultMinBatchSize } from '../core/resolve/defaults';
import { parseMemorySize } from '../core/config/memorySize';
import { defaultLrRule } from '../core/tuner/lrScaling';
import { ConfigCatalog } from './configCatalog';
import { configModule, resolveModule } from './coreModules';
import { errorMessage } from './ctx';
import { previewConfig } from './studyConfig';
import type { StudyService } from './studyService';
import type { StudyStore } from './studyStore';
import { isWorkspaceTrusted } from './trust';

export interface InitRequest {
  uri: vscode.Uri | undefined;
  /** A stored study to show instead of the config's latest. */
  studyFile?: string;
  /** The panel's controls as the person left them (they win over the resolved settings). */
  settings?: PanelSettings;
}

/** What the config gives the panel: its values and settings, or a problem. */
interface ConfigPart {
  currentBatchSize?: number;
  currentLearningRate?: number;
  datasetSize: number;
  settings: PanelSettings;
  provenance?: PanelProvenance;
  problem?: string;
}

/** The panel's starting state; `problem` says why the config could not be resolved. */
export async function buildPanelInit(studies: StudyService, store: StudyStore, req: InitRequest): Promise<{ init: PanelInit; problem?: string }> {
  const part = req.uri ? await configPart(req.uri) : await defaultsPart(undefined);
  const settings = req.settings ?? part.settings;
  const running = studies.running;
  const ours = running && req.uri && running.configUri.toString() === req.uri.toString() ? running : undefined;
  let trials: TrialSummary[] = ours?.trials ?? [];
  let recommendation: Recommendation | undefined = ours?.recommendation;
  let study: PanelStudyInfo | undefined = ours && ours.kind === 'tune' ? { status: 'running' } : undefined;
  if (!ours && req.uri) {
    const latest: StudyRecord | undefined = req.studyFile ? await store.readStudy(req.studyFile) : await store.latestStudy(req.uri);
    if (latest) {
      trials = latest.trials.map(({ series: _series, ...t }) => t);
      recommendation = latest.recommendation;
      study = {
        status: latest.status,
        startedAt: latest.startedAt,
        ...(latest.endedAt ? { endedAt: latest.endedAt } : {}),
        ...(latest.reason ? { reason: latest.reason } : {}),
      };
    }
    trials = [...trials, ...studies.adHocTrials(req.uri)];
  }
  const init: PanelInit = {
    configPath: req.uri?.fsPath,
    configLabel: req.uri ? ConfigCatalog.label(req.uri) : undefined,
    currentBatchSize: part.currentBatchSize,
    currentLearningRate: part.currentLearningRate,
    datasetSize: part.datasetSize,
    totalMemoryBytes: os.totalmem(),
    settings,
    ...(part.provenance ? { provenance: req.settings ? changedHere(part.provenance, part.settings, req.settings) : part.provenance } : {}),
    trusted: isWorkspaceTrusted(),
    running: running !== undefined,
    trials,
    recommendation,
    ...(study ? { study } : {}),
  };
  return { init, ...(part.problem ? { problem: part.problem } : {}) };
}

async function configPart(uri: vscode.Uri): Promise<ConfigPart> {
  try {
    const { document, result } = await previewConfig(uri);
    if (result.ok) return resolvedPart(result, (await resolveModule()).panelSettingsOf(result));
    const part = await defaultsPart(document.getText(), document.fileName);
    return { ...part, problem: result.message.split(uri.fsPath).join(vscode.workspace.asRelativePath(uri)) };
  } catch (err) {
    const part = await defaultsPart(undefined);
    return { ...part, problem: `cannot read ${vscode.workspace.asRelativePath(uri)}: ${errorMessage(err)}` };
  }
}

function resolvedPart(r: ResolvedStudy, settings: PanelSettings): ConfigPart {
  const o = r.options;
  const p = r.provenance;
  return {
    currentBatchSize: o.currentBatchSize,
    // An assumed learning rate (a user's config without one) is not shown as the config's.
    currentLearningRate: p.currentLearningRate === 'config' ? o.currentLearningRate : undefined,
    datasetSize: o.datasetSize,
    settings,
    provenance: {
      batchSize: p.currentBatchSize,
      minBatchSize: p.minBatchSize,
      maxBatchSize: p.maxBatchSize,
      memoryLimitBytes: p.memoryLimitBytes,
      budgetSeconds: p.budgetSeconds,
      lrRule: p.lrRule,
      datasetSize: p.datasetSize,
    },
  };
}

/** The resolver's defaults (a config that cannot be resolved, or none); the batch size the file shows, when readable. */
async function defaultsPart(text: string | undefined, fileName?: string): Promise<ConfigPart> {
  let current: number | undefined;
  if (text !== undefined && fileName) {
    const { findBatchSizeSites, primaryBatchSizeSite } = await configModule();
    const v = primaryBatchSizeSite(findBatchSizeSites(text, fileName))?.batchSize.value;
    current = v !== undefined && Number.isInteger(v) && v >= 1 ? v : undefined;
  }
  const dataset = RESOLVE_DEFAULTS.unknownDatasetSize;
  const batchSize = current ?? RESOLVE_DEFAULTS.minBatchSize;
  const settings: PanelSettings = {
    batchSize,
    minBatchSize: defaultMinBatchSize(batchSize),
    maxBatchSize: defaultMaxBatchSize(batchSize, dataset),
    memoryLimitBytes: parseMemorySize(RESOLVE_DEFAULTS.memoryLimit, os.totalmem()),
    budgetSeconds: RESOLVE_DEFAULTS.budgetSeconds,
    lrRule: defaultLrRule(RESOLVE_DEFAULTS.optimizer),
  };
  const provenance: PanelProvenance = {
    minBatchSize: 'default',
    maxBatchSize: 'default',
    memoryLimitBytes: 'default',
    budgetSeconds: 'default',
    lrRule: 'default',
    datasetSize: 'default',
  };
  provenance.batchSize = current !== undefined ? 'config' : 'default';
  return { currentBatchSize: current, datasetSize: dataset, settings, provenance };
}

/** A value the person changed in the panel is the panel's; the others keep their layer. */
function changedHere(p: PanelProvenance, resolved: PanelSettings, shown: PanelSettings): PanelProvenance {
  const out: PanelProvenance = { ...p };
  for (const key of ['batchSize', 'minBatchSize', 'maxBatchSize', 'memoryLimitBytes', 'budgetSeconds', 'lrRule'] as const) {
    if (shown[key] !== resolved[key]) out[key] = 'panel';
  }
  return out;
}
