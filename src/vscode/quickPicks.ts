// The prompts a command shows when it was run without context (from the command palette).
import * as vscode from 'vscode';
import type { StudyListEntry } from '../core/study/types';
import { studyEntryText, studyStatusText } from '../core/headline';
import { ConfigCatalog } from './configCatalog';
import type { Ctx } from './ctx';

/** The active editor's config when it has a batch-size key, else a pick among the workspace's configs. */
export async function configFromContextOrPick(ctx: Ctx, uri?: vscode.Uri): Promise<vscode.Uri | undefined> {
  if (uri instanceof vscode.Uri) return uri;
  const editor = vscode.window.activeTextEditor;
  if (editor && ctx.catalog.matchesGlobs(editor.document) && (await ctx.catalog.sitesIn(editor.document)).length > 0) return editor.document.uri;
  return pickConfig(ctx);
}

export async function pickConfig(ctx: Ctx): Promise<vscode.Uri | undefined> {
  const pick = vscode.window.createQuickPick<vscode.QuickPickItem & { uri: vscode.Uri }>();
  pick.title = 'Batch Tuner: Pick a Training Config';
  pick.placeholder = 'Configs with a batch-size key in this workspace';
  pick.busy = true;
  pick.matchOnDescription = true;
  // Listen before searching: the person may dismiss the pick while the workspace is searched.
  const chosen = new Promise<vscode.Uri | undefined>((resolve) => {
    pick.onDidAccept(() => {
      resolve(pick.selectedItems[0]?.uri);
      pick.hide();
    });
    pick.onDidHide(() => {
      resolve(undefined);
      pick.dispose();
    });
  });
  pick.show();
  void ctx.catalog.discover().then((entries) => {
    pick.busy = false;
    pick.items = entries.map((e) => {
      const bs = e.sites[0]?.batchSize;
      return {
        label: `$(file) ${ConfigCatalog.label(e.uri)}`,
        description: bs ? `${bs.key} = ${Number.isNaN(bs.value) ? '?' : bs.value}` : undefined,
        detail: e.sites.length > 1 ? `${e.sites.length} batch-size keys` : undefined,
        uri: e.uri,
      };
    });
    if (entries.length === 0) pick.placeholder = 'No training config with a batch-size key was found (see the batchTuner.configGlobs setting)';
  });
  return chosen;
}

/** A batch size: powers of two around the current value, or a custom one (validated). */
export async function pickBatchSize(current: number | undefined, datasetSize: number | undefined): Promise<number | undefined> {
  const max = Math.max(2, Math.min(datasetSize ?? 1 << 16, 1 << 16));
  const items: Array<vscode.QuickPickItem & { value?: number }> = [];
  for (let b = 1; b <= max; b *= 2) {
    items.push({ label: String(b), value: b, description: b === current ? 'current' : undefined, picked: b === current });
  }
  items.push({ label: '$(edit) Custom…', description: 'Type any batch size' });
  const chosen = await vscode.window.showQuickPick(items, {
    title: 'Batch Tuner: Train with Batch Size',
    placeHolder: current ? `The config uses ${current}` : 'Batch size to train with',
  });
  if (!chosen) return undefined;
  if (chosen.value !== undefined) return chosen.value;
  const typed = await vscode.window.showInputBox({
    title: 'Batch Tuner: Custom Batch Size',
    prompt: `A whole number from 1 to ${datasetSize ?? 'the dataset size'}`,
    value: current ? String(current) : '',
    validateInput: (text) => validateBatchSizeInput(text, datasetSize),
  });
  return typed === undefined ? undefined : Number(typed.trim());
}

export function validateBatchSizeInput(text: string, datasetSize?: number): string | undefined {
  const t = text.trim();
  if (!/^\d+$/.test(t)) return `"${text}" is not a whole number: type a batch size such as 64`;
  const n = Number(t);
  if (n < 1) return 'The batch size must be at least 1';
  if (datasetSize && n > datasetSize) return `The batch size cannot exceed the ${datasetSize} training samples`;
  return undefined;
}

export async function pickStudy(studies: StudyListEntry[]): Promise<StudyListEntry | undefined> {
  if (studies.length === 0) {
    void vscode.window.showInformationMessage('Batch Tuner: no stored study yet. Run "Batch Tuner: Tune Batch Size for This Config" first.');
    return undefined;
  }
  const chosen = await vscode.window.showQuickPick(
    studies.map((s) => ({
      label: `$(history) ${vscode.workspace.asRelativePath(s.configPath)}`,
      description: `${new Date(s.startedAt).toLocaleString()} · ${studyStatusText(s.status).label}`,
      detail: s.recommendedBatchSize !== undefined ? `${studyEntryText(s)} · ${s.trials} trials` : studyEntryText(s),
      study: s,
    })),
    { title: 'Batch Tuner: Open Study', placeHolder: 'Stored studies, newest first', matchOnDescription: true },
  );
  return chosen?.study;
}
