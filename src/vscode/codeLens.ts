// CodeLens above each batch-size key of a training config: Tune, Try batch size…, and once a
// study exists, its recommendation with Apply.
import * as vscode from 'vscode';
import type { Recommendation } from '../core/types';
import type { Ctx } from './ctx';

export const CONFIG_LANGUAGES = ['yaml', 'json', 'jsonc', 'toml', 'python'];

export class BatchSizeCodeLensProvider implements vscode.CodeLensProvider {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changed.event;

  constructor(private readonly ctx: Ctx) {}

  refresh(): void {
    this.changed.fire();
  }

  async provideCodeLenses(document: vscode.TextDocument, token: vscode.CancellationToken): Promise<vscode.CodeLens[]> {
    if (!this.ctx.settings(document.uri).codeLensEnabled || !this.ctx.catalog.matchesGlobs(document)) return [];
    const sites = await this.ctx.catalog.sitesIn(document);
    if (sites.length === 0 || token.isCancellationRequested) return [];
    const study = document.uri.scheme === 'file' ? await this.ctx.studies.latestStudy(document.uri) : undefined;
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
    return lenses;
  }
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
  ctx.push(ctx.studies.onDidChangeStudies(() => provider.refresh()));
  ctx.push(
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('batchTuner.codeLens') || e.affectsConfiguration('batchTuner.configGlobs') || e.affectsConfiguration('batchTuner.studyDirectory')) provider.refresh();
    }),
  );
  return provider;
}
