// CodeLens above each batch-size key of a training config: Tune, Try batch size…, once a study
// exists its recommendation with Apply, and, where the config states a family of batch keys
// (DeepSpeed, Hugging Face, Lightning, ours with accumulation), the global batch they make.
import * as vscode from 'vscode';
import { basisSummary, headlineParts, parallelismText, recommendationHeadline, warmupPlan, warmupPlanChanges } from '../core/headline';
import type { Recommendation } from '../core/types';
import { applyToConfig } from './apply';
import type { GlobalBatchInfo } from './configCatalog';
import { resolveModule } from './coreModules';
import { errorMessage, type Ctx } from './ctx';
import { readEditorBehaviour } from './settings';

/** Applies a recommendation's warm-up plan (its first stage and batch_schedule) to a built-in trainer config. */
export const APPLY_PLAN_COMMAND = 'batchTuner.internal.applyPlan';

export const CONFIG_LANGUAGES = ['yaml', 'json', 'jsonc', 'toml', 'python'];

export class BatchSizeCodeLensProvider implements vscode.CodeLensProvider {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changed.event;

  constructor(private readonly ctx: Ctx) {}

  refresh(): void {
    this.changed.fire();
  }

  async provideCodeLenses(document: vscode.TextDocument, token: vscode.CancellationToken): Promise<vscode.CodeLens[]> {
    if (!readEditorBehaviour(document.uri).codeLensEnabled || !this.ctx.catalog.matchesGlobs(document)) return [];
    const sites = await this.ctx.catalog.sitesIn(document);
    if (sites.length === 0 || token.isCancellationRequested) return [];
    const study = document.uri.scheme === 'file' ? await this.ctx.store.latestStudy(document.uri) : undefined;
    const globalBatch = globalBatchLens(await this.ctx.catalog.globalBatchIn(document));
    const running = this.ctx.studies.running;
    const busy = running !== undefined;
    // A plan's batch_schedule can be written into our own training format only (the built-in trainer).
    const planWritable =
      study?.recommendation?.plan?.schedule !== undefined && (await resolveModule()).isOurTrainingFormat(document.fileName, document.getText());
    const lenses: vscode.CodeLens[] = [];
    for (const site of sites) {
      const m = site.batchSize;
      const range = new vscode.Range(m.line, m.character, m.line, m.character + m.keyLength);
      const args = [document.uri];
      if (busy && running.configUri.toString() === document.uri.toString()) {
        lenses.push(
          new vscode.CodeLens(range, {
            title: `$(sync~spin) ${running.kind === 'tune' ? 'Tuning' : 'Training'}: ${running.phase}… Stop`,
            command: 'batchTuner.stop',
            tooltip: 'Stop the running study',
          }),
        );
      } else {
        lenses.push(
          new vscode.CodeLens(range, {
            title: '$(beaker) Tune batch size',
            command: 'batchTuner.tune',
            arguments: args,
            tooltip: 'Measure throughput, memory and convergence at several batch sizes and recommend one',
          }),
        );
        lenses.push(
          new vscode.CodeLens(range, {
            title: 'Try batch size…',
            command: 'batchTuner.train',
            arguments: args,
            tooltip: 'Train once at a batch size you pick, with live charts',
          }),
        );
      }
      const rec = study?.recommendation;
      if (rec) lenses.push(new vscode.CodeLens(range, recommendationCommand(rec, m.value, document.uri, planWritable)));
    }
    if (globalBatch) lenses.push(globalBatch);
    return lenses;
  }
}

/**
 * "global 256 = 32 x 4 acc x 2 workers" above the key Apply edits (train_batch_size, else the
 * micro-batch key), for a config with a family of batch keys; a lone batch-size key gets none.
 */
function globalBatchLens(info: GlobalBatchInfo | undefined): vscode.CodeLens | undefined {
  const r = info?.reading;
  if (!info || !r || r.family === 'plain' || (r.family === 'batch-tuner' && !r.sites.micro && !r.sites.accumulation)) return undefined;
  const key = (r.sites.global ?? r.sites.micro)?.key;
  if (!key) return undefined;
  const range = new vscode.Range(key.line, key.character, key.line, key.character + key.keyLength);
  return new vscode.CodeLens(range, {
    title: info.label,
    command: '',
    tooltip: 'Samples per optimizer step: micro-batch x gradient-accumulation steps x data-parallel workers. Apply keeps them consistent.',
  });
}

/**
 * The recommendation's headline (core/headline.ts, the same words as the panel and the CLI) with
 * its action: "Recommended 128 · 64–256 within 10% · 1.4x faster (measured) · Apply", a warm-up
 * "Recommended 64 → 256 over the run · 1.3x faster than a fixed 128 (fitted) · Apply", or a
 * confirmation when the key already holds the pick.
 */
export function recommendationTitle(rec: Recommendation, currentValue: number, planWritable = true): string {
  const plan = warmupPlan(rec);
  if (!plan && rec.batchSize === currentValue) {
    const band = headlineParts(rec).band;
    return `$(check) Batch size ${rec.batchSize} is the recommended one${band ? ` · ${band.text}${band.basis === 'assumed' ? ' (assumed)' : ''}` : ''}`;
  }
  return `${recommendationHeadline(rec)} · ${plan && !planWritable ? 'Show plan' : 'Apply'}`;
}

/** What the pick rests on, what is undetermined, the split: the lens's tooltip. */
export function recommendationTooltip(rec: Recommendation): string {
  const lines = [`Batch size ${rec.batchSize}, learning rate ${rec.learningRate.toPrecision(3)}.`, `Rests on: ${basisSummary(rec.basis)}.`];
  const plan = warmupPlan(rec);
  if (plan) lines.push(`Plan: ${plan.description}.`);
  if (rec.parallelism) lines.push(`Split: ${parallelismText(rec.parallelism)}.`);
  for (const u of rec.undetermined ?? []) lines.push(`Undetermined: ${u}`);
  return lines.join('\n');
}

function recommendationCommand(rec: Recommendation, currentValue: number, uri: vscode.Uri, planWritable: boolean): vscode.Command {
  const title = recommendationTitle(rec, currentValue, planWritable);
  const tooltip = recommendationTooltip(rec);
  const plan = warmupPlan(rec);
  if (plan)
    return planWritable
      ? { title, command: APPLY_PLAN_COMMAND, arguments: [uri], tooltip }
      : { title, command: 'batchTuner.openPanel', arguments: [uri], tooltip };
  if (rec.batchSize === currentValue)
    return { title, command: 'batchTuner.openPanel', arguments: [uri], tooltip: `${tooltip}\nOpen the tuner panel with the study` };
  return { title, command: 'batchTuner.applyRecommendation', arguments: [uri], tooltip };
}

/** Writes the latest study's warm-up plan (core/headline.ts warmupPlanChanges: its batch_schedule and first stage). */
async function applyPlan(ctx: Ctx, uri: vscode.Uri): Promise<void> {
  const rec = (await ctx.store.latestStudy(uri))?.recommendation;
  const changes = rec && warmupPlanChanges(rec);
  if (!changes) {
    void vscode.window.showInformationMessage('Batch Tuner: the latest study of this config has no batch-size plan to apply.');
    return;
  }
  const result = await applyToConfig(ctx, ctx.store, uri, changes);
  if (result.applied) ctx.panels.post({ type: 'applied', batchSize: changes.batchSize, learningRate: changes.learningRate });
  else if (result.reason) void vscode.window.showWarningMessage(`Batch Tuner: ${result.reason}`);
}

export function registerCodeLens(ctx: Ctx): BatchSizeCodeLensProvider {
  const provider = new BatchSizeCodeLensProvider(ctx);
  const selector: vscode.DocumentSelector = [
    ...CONFIG_LANGUAGES.flatMap((language) => [
      { language, scheme: 'file' },
      { language, scheme: 'untitled' },
    ]),
    // Without a TOML extension installed, .toml files open as plain text.
    { scheme: 'file', pattern: '**/*.toml' },
  ];
  ctx.push(vscode.languages.registerCodeLensProvider(selector, provider));
  ctx.push(
    vscode.commands.registerCommand(APPLY_PLAN_COMMAND, (uri: unknown) =>
      uri instanceof vscode.Uri
        ? applyPlan(ctx, uri).catch((err: unknown) => {
            ctx.log.error(`apply plan failed: ${errorMessage(err)}`);
            void vscode.window.showErrorMessage(`Batch Tuner: ${errorMessage(err)}`);
          })
        : undefined,
    ),
  );
  ctx.push(
    ctx.studies.onDidEvent((e) => {
      if (e.type === 'started' || e.type === 'ended' || (e.type === 'study' && e.event.type === 'phase')) provider.refresh();
    }),
  );
  ctx.push(ctx.store.onDidChange(() => provider.refresh()));
  ctx.push(
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (
        e.affectsConfiguration('batchTuner.codeLens') ||
        e.affectsConfiguration('batchTuner.configGlobs') ||
        e.affectsConfiguration('batchTuner.studyDirectory')
      )
        provider.refresh();
    }),
  );
  return provider;
}
