// CodeLens above each batch-size key of a training config: Tune, Try batch size…, once a study
// exists its recommendation with Apply, and, where the config states a family of batch keys
// (DeepSpeed, Hugging Face, Lightning, ours with accumulation), the global batch they make.
import * as vscode from 'vscode';
import type { Recommendation } from '../core/types';
import type { GlobalBatchInfo } from './configCatalog';
import type { Ctx } from './ctx';
import { readEditorBehaviour } from './settings';

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
    const lenses: vscode.CodeLens[] = [];
    for (const site of sites) {
      const m = site.batchSize;
      const range = new vscode.Range(m.line, m.character, m.line, m.character + m.keyLength);
      const args = [document.uri];
      if (busy && running.configUri.toString() === document.uri.toString()) {
        lenses.push(new vscode.CodeLens(range, { title: `$(sync~spin) ${running.kind === 'tune' ? 'Tuning' : 'Training'}: ${running.phase}… Stop`, command: 'batchTuner.stop', tooltip: 'Stop the running study' }));
      } else {
        lenses.push(new vscode.CodeLens(range, { title: '$(beaker) Tune batch size', command: 'batchTuner.tune', arguments: args, tooltip: 'Measure throughput, memory and convergence at several batch sizes and recommend one' }));
        lenses.push(new vscode.CodeLens(range, { title: 'Try batch size…', command: 'batchTuner.train', arguments: args, tooltip: 'Train once at a batch size you pick, with live charts' }));
      }
      const rec = study?.recommendation;
      if (rec) lenses.push(new vscode.CodeLens(range, recommendationCommand(rec, m.value, document.uri)));
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
  return new vscode.CodeLens(range, { title: info.label, command: '', tooltip: 'Samples per optimizer step: micro-batch x gradient-accumulation steps x data-parallel workers. Apply keeps them consistent.' });
}

/** "Recommended 128 · 2.1x faster · Apply", or a confirmation when the config already has it. */
export function recommendationTitle(rec: Recommendation, currentValue: number): string {
  if (rec.batchSize === currentValue) return `$(check) Batch size ${rec.batchSize} is the recommended one`;
  const speed = rec.speedupVsCurrent;
  const faster = speed === undefined ? ' · rests on an assumption' : Number.isFinite(speed) && speed > 0 ? (speed >= 1.05 ? ` · ${speed.toFixed(1)}x faster` : speed < 0.95 ? ` · ${(1 / speed).toFixed(1)}x slower?` : ' · about as fast') : '';
  return `Recommended ${rec.batchSize}${faster} · Apply`;
}

function recommendationCommand(rec: Recommendation, currentValue: number, uri: vscode.Uri): vscode.Command {
  const title = recommendationTitle(rec, currentValue);
  if (rec.batchSize === currentValue) return { title, command: 'batchTuner.openPanel', arguments: [uri], tooltip: 'Open the tuner panel with the study' };
  return {
    title,
    command: 'batchTuner.applyRecommendation',
    arguments: [uri],
    tooltip: `Set batch size ${rec.batchSize} and learning rate ${rec.learningRate.toPrecision(3)}${rec.speedupVsCurrent !== undefined ? ` (${rec.speedupVsCurrent.toFixed(2)}x faster to the target loss than ${rec.current.batchSize})` : ''}`,
  };
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
    ctx.studies.onDidEvent((e) => {
      if (e.type === 'started' || e.type === 'ended' || (e.type === 'study' && e.event.type === 'phase')) provider.refresh();
    }),
  );
  ctx.push(ctx.store.onDidChange(() => provider.refresh()));
  ctx.push(
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('batchTuner.codeLens') || e.affectsConfiguration('batchTuner.configGlobs') || e.affectsConfiguration('batchTuner.studyDirectory')) provider.refresh();
    }),
  );
  return provider;
}
