// Every command, as a table of named factories (the shape of rust-analyzer's
// editors/code/src/commands.ts): each takes the context and returns the command's function;
// registerCommands() registers the table in one loop, with one error handler. Each command
// accepts arguments (a config Uri, a batch size, options) so CodeLens, menus and tests can run it
// without prompts, and prompts when run bare from the palette.
import * as vscode from 'vscode';
import { applyToConfig, type ApplyResult } from './apply';
import { configWithRecommendation, optionsArgument, recommendationFor, studyFromArgument, uriFromArgument } from './commandArgs';
import { activeConfigOf, errorMessage, type Ctx } from './ctx';
import { exportStudyReport, type ExportResult } from './report';
import { configFromContextOrPick, pickBatchSize, pickConfig, pickStudy } from './quickPicks';
import { trainConfig, tuneConfig, type TrainOptions, type TuneOptions } from './runs';
import { previewConfig } from './studyConfig';
import type { SessionResult } from './studyService';

export type Cmd = (...args: unknown[]) => unknown;
type Factory = (ctx: Ctx) => Cmd;

export interface ApplyCommandOptions {
  batchSize?: number;
  learningRate?: number;
  /** Also write the recommended learning rate (default: ask). */
  includeLearningRate?: boolean;
  /** When the config changed since the study: ask (default), apply, or cancel. */
  ifConfigChanged?: 'ask' | 'apply' | 'cancel';
}

export function openPanel(ctx: Ctx): Cmd {
  return async (arg?: unknown) => {
    ctx.panels.show(uriFromArgument(arg) ?? activeConfigOf(ctx.catalog));
    return { opened: true, config: ctx.panels.config?.fsPath };
  };
}

export function tune(ctx: Ctx): Cmd {
  return async (arg?: unknown, options?: unknown): Promise<SessionResult | undefined> => {
    const uri = await configFromContextOrPick(ctx, uriFromArgument(arg));
    if (!uri) return undefined;
    const opts = optionsArgument<TuneOptions>(options);
    if (opts.notify !== false) ctx.panels.show(uri);
    return tuneConfig(ctx, ctx.studies, uri, opts);
  };
}

export function train(ctx: Ctx): Cmd {
  return async (arg?: unknown, batchSizeArg?: unknown, options?: unknown): Promise<SessionResult | undefined> => {
    const uri = await configFromContextOrPick(ctx, uriFromArgument(arg));
    if (!uri) return undefined;
    const batchSize = typeof batchSizeArg === 'number' ? batchSizeArg : await askBatchSize(uri);
    if (batchSize === undefined) return undefined;
    const opts = optionsArgument<TrainOptions>(options);
    if (opts.notify !== false) ctx.panels.show(uri);
    return trainConfig(ctx, ctx.studies, uri, batchSize, opts);
  };
}

/** "Train with Batch Size…" bare: a pick around the config's batch size, up to its training set when known. */
async function askBatchSize(uri: vscode.Uri): Promise<number | undefined> {
  let current: number | undefined;
  let datasetSize: number | undefined;
  try {
    const { result } = await previewConfig(uri);
    if (result.ok) {
      current = result.options.currentBatchSize;
      // An assumed size (nothing in the config says) is no bound for the picker.
      if (result.provenance.datasetSize !== 'default') datasetSize = result.options.datasetSize;
    }
  } catch {
    // An unreadable config: the pick without its values; the run then says what is wrong.
  }
  return pickBatchSize(current, datasetSize);
}

export function stop(ctx: Ctx): Cmd {
  return () => {
    const stopped = ctx.studies.stop();
    if (!stopped) void vscode.window.setStatusBarMessage('Batch Tuner: nothing is running', 3000);
    return { stopped };
  };
}

export function applyRecommendation(ctx: Ctx): Cmd {
  return async (arg?: unknown, options?: unknown): Promise<ApplyResult | undefined> => {
    const opts = optionsArgument<ApplyCommandOptions>(options);
    const uri = uriFromArgument(arg) ?? (await configWithRecommendation(ctx));
    if (!uri) return undefined;
    const values =
      opts.batchSize !== undefined
        ? { batchSize: opts.batchSize, learningRate: opts.learningRate }
        : await recommendedValues(ctx, uri, opts.includeLearningRate);
    if (!values) return undefined;
    if ('applied' in values) return values;
    // Values given by the caller are not a study's: no study to compare the config with.
    const result = await applyToConfig(ctx, ctx.store, uri, values, {
      ...(opts.batchSize !== undefined ? { study: null } : {}),
      ...(opts.ifConfigChanged ? { ifConfigChanged: opts.ifConfigChanged } : {}),
    });
    if (result.applied) {
      void vscode.window.showTextDocument(uri, { preview: false, preserveFocus: true });
      ctx.panels.post({ type: 'applied', batchSize: values.batchSize, learningRate: values.learningRate });
    } else if (result.at) {
      const { line, column, endLine, endColumn } = result.at;
      void vscode.window
        .showErrorMessage(`Batch Tuner: ${result.reason}`, 'Open Config')
        .then((c) => c && vscode.window.showTextDocument(uri, { selection: new vscode.Range(line - 1, column - 1, endLine - 1, endColumn - 1) }));
    } else if (result.reason) void vscode.window.showInformationMessage(`Batch Tuner: ${result.reason}`);
    return result;
  };
}

/** The recommendation's batch size, and its learning rate when wanted (asked when not said); a result when there is none. */
async function recommendedValues(
  ctx: Ctx,
  uri: vscode.Uri,
  includeLearningRate: boolean | undefined,
): Promise<{ batchSize: number; learningRate?: number } | ApplyResult | undefined> {
  const rec = await recommendationFor(ctx, uri);
  if (!rec) {
    const rel = vscode.workspace.asRelativePath(uri);
    void vscode.window
      .showInformationMessage(`Batch Tuner: no recommendation for ${rel} yet. Tune it first.`, 'Tune')
      .then((c) => c && vscode.commands.executeCommand('batchTuner.tune', uri));
    return { applied: false, reason: 'no recommendation for this config yet' };
  }
  let withLr = includeLearningRate;
  if (withLr === undefined) {
    const both = `Batch size ${rec.batchSize} and learning rate ${rec.learningRate.toPrecision(3)}`;
    const choice = await vscode.window.showQuickPick([both, `Batch size ${rec.batchSize} only`], {
      title: 'Batch Tuner: Apply Recommendation',
      placeHolder: `The learning rate was scaled by the ${rec.evidence.lrRule} rule from ${rec.current.learningRate}`,
    });
    if (!choice) return undefined;
    withLr = choice === both;
  }
  return { batchSize: rec.batchSize, ...(withLr ? { learningRate: rec.learningRate } : {}) };
}

export function showOutput(ctx: Ctx): Cmd {
  return () => {
    ctx.log.show(true);
    return { shown: true };
  };
}

export function exportReport(ctx: Ctx): Cmd {
  return async (arg?: unknown, options?: unknown): Promise<ExportResult | undefined> => {
    const opts = optionsArgument<{ file: string; studyFile: string }>(options);
    let studyFile = opts.studyFile ?? studyFromArgument(arg)?.file;
    if (!studyFile) {
      const studies = await ctx.store.listStudies(uriFromArgument(arg));
      studyFile = (studies.length === 1 ? studies[0] : await pickStudy(studies))?.file;
    }
    if (!studyFile) return undefined;
    return exportStudyReport(ctx, ctx.store, studyFile, opts.file);
  };
}

export function openStudy(ctx: Ctx): Cmd {
  return async (arg?: unknown, options?: unknown) => {
    const opts = optionsArgument<{ studyFile: string }>(options);
    let entry = studyFromArgument(arg);
    let file = opts.studyFile ?? entry?.file;
    if (!file) {
      entry = await pickStudy(await ctx.store.listStudies(uriFromArgument(arg)));
      file = entry?.file;
    }
    if (!file) return undefined;
    const configPath = entry?.configPath ?? (await ctx.store.readStudy(file)).start.configPath;
    ctx.panels.show(vscode.Uri.file(configPath), file);
    return { opened: true, studyFile: file };
  };
}

export function refreshConfigs(ctx: Ctx): Cmd {
  return () => {
    ctx.catalog.refresh();
    return { refreshed: true };
  };
}

export function openExample(ctx: Ctx): Cmd {
  return async () => {
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
  };
}

/** For the webviews: pick a config when the panel was opened without one. */
export function pickConfigForPanel(ctx: Ctx): Cmd {
  return () => pickConfig(ctx);
}

export const COMMANDS: Readonly<Record<string, Factory>> = {
  'batchTuner.openPanel': openPanel,
  'batchTuner.tune': tune,
  'batchTuner.train': train,
  'batchTuner.stop': stop,
  'batchTuner.applyRecommendation': applyRecommendation,
  'batchTuner.showOutput': showOutput,
  'batchTuner.exportReport': exportReport,
  'batchTuner.openStudy': openStudy,
  'batchTuner.refreshConfigs': refreshConfigs,
  'batchTuner.openExample': openExample,
  'batchTuner.internal.pickConfig': pickConfigForPanel,
};

/** Registers every command of the table; a command that throws is logged and shown, never silent. */
export function registerCommands(ctx: Ctx): void {
  for (const [id, factory] of Object.entries(COMMANDS)) {
    const cmd = factory(ctx);
    ctx.push(
      vscode.commands.registerCommand(id, async (...args: unknown[]) => {
        try {
          return await cmd(...args);
        } catch (err) {
          ctx.log.error(`${id} failed: ${errorMessage(err)}`);
          void vscode.window.showErrorMessage(`Batch Tuner: ${errorMessage(err)}`, 'Show Output').then((c) => c && ctx.log.show());
          return undefined;
        }
      }),
    );
  }
}
