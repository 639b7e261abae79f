// Every command, registered in one place. Each accepts arguments (a config Uri, a batch size,
// options) so CodeLens, menus and tests can run it without prompts, and prompts when run bare.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { StudyListEntry } from '../core/study/types';
import type { Recommendation } from '../core/types';
import { applyToConfig, type ApplyResult } from './apply';
import { errorMessage, type Ctx } from './ctx';
import { exportStudyReport, type ExportResult } from './report';
import { configFromContextOrPick, pickBatchSize, pickConfig, pickStudy } from './quickPicks';
import { datasetSizeOf, type SessionResult, type TrainOptions, type TuneOptions } from './studyService';
import { configModule } from './coreModules';

export interface ApplyOptions {
  batchSize?: number;
  learningRate?: number;
  /** Also write the recommended learning rate (default: ask; true when batchSize is given without prompts). */
  includeLearningRate?: boolean;
}

/** A tree node, a CodeLens/menu Uri, or nothing: the config a command is about. */
export function uriFromArgument(arg: unknown): vscode.Uri | undefined {
  if (arg instanceof vscode.Uri) return arg;
  if (typeof arg === 'string' && arg !== '') return path.isAbsolute(arg) ? vscode.Uri.file(arg) : undefined;
  if (typeof arg !== 'object' || arg === null) return undefined;
  const o = arg as { uri?: unknown; configUri?: unknown; entry?: { configPath?: unknown }; session?: { configUri?: unknown } };
  if (o.uri instanceof vscode.Uri) return o.uri;
  if (o.configUri instanceof vscode.Uri) return o.configUri;
  if (o.session?.configUri instanceof vscode.Uri) return o.session.configUri;
  if (typeof o.entry?.configPath === 'string') return vscode.Uri.file(o.entry.configPath);
  return undefined;
}

function studyFromArgument(arg: unknown): StudyListEntry | undefined {
  const o = arg as { kind?: unknown; entry?: StudyListEntry } | undefined;
  return o && typeof o === 'object' && o.kind === 'study' && o.entry ? o.entry : undefined;
}

export function registerCommands(ctx: Ctx): void {
  const register = (id: string, fn: (...args: unknown[]) => unknown) =>
    ctx.push(
      vscode.commands.registerCommand(id, async (...args: unknown[]) => {
        try {
          return await fn(...args);
        } catch (err) {
          ctx.log.error(`${id} failed: ${errorMessage(err)}`);
          void vscode.window.showErrorMessage(`Batch Tuner: ${errorMessage(err)}`, 'Show Output').then((c) => c && ctx.log.show());
          return undefined;
        }
      }),
    );

  register('batchTuner.openPanel', async (arg?: unknown) => {
    const uri = uriFromArgument(arg) ?? activeConfig(ctx);
    ctx.panels.show(uri);
    return { opened: true, config: ctx.panels.config?.fsPath };
  });

  register('batchTuner.tune', async (arg?: unknown, options?: unknown): Promise<SessionResult | undefined> => {
    const uri = await configFromContextOrPick(ctx, uriFromArgument(arg));
    if (!uri) return undefined;
    const opts = (typeof options === 'object' && options !== null ? options : {}) as TuneOptions;
    if (opts.notify !== false) ctx.panels.show(uri);
    return ctx.studies.tune(uri, opts);
  });

  register('batchTuner.train', async (arg?: unknown, batchSizeArg?: unknown, options?: unknown): Promise<SessionResult | undefined> => {
    const uri = await configFromContextOrPick(ctx, uriFromArgument(arg));
    if (!uri) return undefined;
    let batchSize = typeof batchSizeArg === 'number' ? batchSizeArg : undefined;
    if (batchSize === undefined) {
      const { current, datasetSize } = await currentValues(uri);
      batchSize = await pickBatchSize(current, datasetSize);
      if (batchSize === undefined) return undefined;
    }
    const opts = (typeof options === 'object' && options !== null ? options : {}) as TrainOptions;
    if (opts.notify !== false) ctx.panels.show(uri);
    return ctx.studies.train(uri, batchSize, opts);
  });

  register('batchTuner.stop', () => {
    const stopped = ctx.studies.stop();
    if (!stopped) void vscode.window.setStatusBarMessage('Batch Tuner: nothing is running', 3000);
    return { stopped };
  });

  register('batchTuner.applyRecommendation', async (arg?: unknown, options?: unknown): Promise<ApplyResult | undefined> => {
    const opts = (typeof options === 'object' && options !== null ? options : {}) as ApplyOptions;
    const uri = uriFromArgument(arg) ?? (await configWithRecommendation(ctx));
    if (!uri) return undefined;
    let batchSize = opts.batchSize;
    let learningRate = opts.learningRate;
    if (batchSize === undefined) {
      const rec = await recommendationFor(ctx, uri);
      if (!rec) {
        void vscode.window.showInformationMessage(`Batch Tuner: no recommendation for ${vscode.workspace.asRelativePath(uri)} yet. Tune it first.`, 'Tune').then((c) => c && vscode.commands.executeCommand('batchTuner.tune', uri));
        return { applied: false, reason: 'no recommendation for this config yet' };
      }
      batchSize = rec.batchSize;
      let withLr = opts.includeLearningRate;
      if (withLr === undefined) {
        const both = `Batch size ${rec.batchSize} and learning rate ${rec.learningRate.toPrecision(3)}`;
        const choice = await vscode.window.showQuickPick([both, `Batch size ${rec.batchSize} only`], {
          title: 'Batch Tuner: Apply Recommendation',
          placeHolder: `The learning rate was scaled by the ${rec.evidence.lrRule} rule from ${rec.current.learningRate}`,
        });
        if (!choice) return undefined;
        withLr = choice === both;
      }
      if (withLr) learningRate = rec.learningRate;
    }
    const result = await applyToConfig(ctx, uri, { batchSize, learningRate });
    if (result.applied) {
      void vscode.window.showTextDocument(uri, { preview: false, preserveFocus: true });
      ctx.panels.post({ type: 'applied', batchSize, learningRate });
    } else if (result.reason) void vscode.window.showInformationMessage(`Batch Tuner: ${result.reason}`);
    return result;
  });

  register('batchTuner.showOutput', () => {
    ctx.log.show(true);
    return { shown: true };
  });

  register('batchTuner.exportReport', async (arg?: unknown, options?: unknown): Promise<ExportResult | undefined> => {
    const opts = (typeof options === 'object' && options !== null ? options : {}) as { file?: string; studyFile?: string };
    let studyFile = opts.studyFile ?? studyFromArgument(arg)?.file;
    if (!studyFile) {
      const uri = uriFromArgument(arg);
      const studies = await ctx.studies.listStudies(uri);
      const chosen = studies.length === 1 ? studies[0] : await pickStudy(studies);
      studyFile = chosen?.file;
    }
    if (!studyFile) return undefined;
    return exportStudyReport(ctx, studyFile, opts.file);
  });

  register('batchTuner.openStudy', async (arg?: unknown, options?: unknown) => {
    const opts = (typeof options === 'object' && options !== null ? options : {}) as { studyFile?: string };
    let entry = studyFromArgument(arg);
    let configPath = entry?.configPath;
    let file = opts.studyFile ?? entry?.file;
    if (!file) {
      entry = await pickStudy(await ctx.studies.listStudies(uriFromArgument(arg)));
      file = entry?.file;
      configPath = entry?.configPath;
    }
    if (!file) return undefined;
    if (!configPath) configPath = (await ctx.studies.readStudy(file)).start.configPath;
    ctx.panels.show(vscode.Uri.file(configPath), file);
    return { opened: true, studyFile: file };
  });

  register('batchTuner.refreshConfigs', () => {
    ctx.catalog.refresh();
    return { refreshed: true };
  });

  register('batchTuner.openExample', async () => {
    const inWorkspace = await vscode.workspace.findFiles('**/examples/mnist-mlp.yaml', '**/node_modules/**', 1);
    let uri = inWorkspace[0];
    if (!uri) {
      // The installed extension's folder may be read-only: tune (and Apply to) a copy in our storage.
      const bundled = vscode.Uri.joinPath(ctx.extensionUri, 'examples', 'mnist-mlp.yaml');
      uri = vscode.Uri.joinPath(ctx.globalStorageUri, 'examples', 'mnist-mlp.yaml');
      try {
        await vscode.workspace.fs.stat(uri);
      } catch {
        await vscode.workspace.fs.createDirectory(vscode.Uri.joinPath(ctx.globalStorageUri, 'examples'));
        await vscode.workspace.fs.copy(bundled, uri);
      }
    }
    const editor = await vscode.window.showTextDocument(uri, { preview: false });
    return { opened: editor.document.uri.fsPath };
  });

  // For the webviews: pick a config when the panel was opened without one.
  register('batchTuner.internal.pickConfig', () => pickConfig(ctx));
}

/** The active editor's document when it looks like a training config. */
function activeConfig(ctx: Ctx): vscode.Uri | undefined {
  const d = vscode.window.activeTextEditor?.document;
  return d && d.uri.scheme === 'file' && ctx.catalog.matchesGlobs(d) ? d.uri : undefined;
}

async function currentValues(uri: vscode.Uri): Promise<{ current?: number; datasetSize?: number }> {
  try {
    const document = await vscode.workspace.openTextDocument(uri);
    const { parseTrainingConfig, findBatchSizeSites } = await configModule();
    const config = parseTrainingConfig(document.getText(), document.fileName).config;
    if (config) return { current: config.batch_size, datasetSize: datasetSizeOf(config) };
    const site = findBatchSizeSites(document.getText(), document.fileName)[0];
    return { current: site && Number.isFinite(site.batchSize.value) ? site.batchSize.value : undefined };
  } catch {
    return {};
  }
}

async function recommendationFor(ctx: Ctx, uri: vscode.Uri): Promise<Recommendation | undefined> {
  const running = ctx.studies.running;
  if (running?.recommendation && running.configUri.toString() === uri.toString()) return running.recommendation;
  return (await ctx.studies.latestStudy(uri))?.recommendation;
}

/** The active config when it has a recommendation, else a pick among studies with one. */
async function configWithRecommendation(ctx: Ctx): Promise<vscode.Uri | undefined> {
  const active = activeConfig(ctx);
  if (active && (await recommendationFor(ctx, active))) return active;
  const withRec = (await ctx.studies.listStudies()).filter((s) => s.recommendedBatchSize !== undefined);
  const seen = new Set<string>();
  const unique = withRec.filter((s) => !seen.has(s.configPath) && seen.add(s.configPath));
  if (unique.length === 1) return vscode.Uri.file(unique[0].configPath);
  const chosen = await pickStudy(unique);
  return chosen ? vscode.Uri.file(chosen.configPath) : active;
}
