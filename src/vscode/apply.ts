// Apply: writes a batch size (and learning rate, schedule) into a config as one WorkspaceEdit
// built from the config module's minimal TextEdits, so comments and formatting stay and Undo
// reverts it in one step.
import * as vscode from 'vscode';
import type { BatchScheduleSpec } from '../core/types';
import type { ConfigChange } from '../core/config';
import type { TextEdit } from '../core/config/types';
import { configModule } from './coreModules';
import { isTrainingConfigDocument } from './diagnostics';
import { errorMessage, type Ctx } from './ctx';

export interface ApplyChanges {
  batchSize: number;
  learningRate?: number;
  schedule?: BatchScheduleSpec;
}

export interface ApplyResult {
  applied: boolean;
  /** Why nothing was applied. */
  reason?: string;
  /** The document's text after the edit. */
  text?: string;
}

export async function applyToConfig(ctx: Ctx, uri: vscode.Uri, changes: ApplyChanges, options: { save?: boolean } = {}): Promise<ApplyResult> {
  if (!Number.isInteger(changes.batchSize) || changes.batchSize < 1) {
    return fail(ctx, `batch size must be a positive integer (got ${changes.batchSize})`);
  }
  let document: vscode.TextDocument;
  try {
    document = await vscode.workspace.openTextDocument(uri);
  } catch (err) {
    return fail(ctx, `cannot open ${uri.fsPath}: ${errorMessage(err)}`);
  }
  const { applyConfigEdits, findBatchSizeSites, primaryBatchSizeSite, detectFormat } = await configModule();
  const text = document.getText();
  const rel = vscode.workspace.asRelativePath(uri);
  const site = primaryBatchSizeSite(findBatchSizeSites(text, document.fileName));
  if (!site) return fail(ctx, `${rel} has no batch-size key to set (looked for batch_size, per_device_train_batch_size, train_batch_size, ...): add one first`);
  const format = detectFormat(document.fileName, text);
  const ours = (format === 'yaml' || format === 'json') && (await isTrainingConfigDocument(document));
  const edits: ConfigChange[] = [{ site: site.batchSize, value: changes.batchSize }];
  if (changes.learningRate !== undefined) {
    if (site.learningRate) edits.push({ site: site.learningRate, value: changes.learningRate });
    else if (ours) edits.push({ path: ['optimizer', 'learning_rate'], value: changes.learningRate });
    else ctx.log.warn(`${rel}: no learning-rate key next to ${site.batchSize.key}; only the batch size was written`);
  }
  if (changes.schedule) {
    if (ours) edits.push({ path: ['batch_schedule'], value: changes.schedule });
    else return fail(ctx, `${rel}: a batch-size schedule can only be written into a Batch Tuner training config (YAML/JSON)`);
  }
  let result: { text: string; edits: TextEdit[] };
  try {
    result = applyConfigEdits(text, format, edits);
  } catch (err) {
    return fail(ctx, `cannot write the batch size into ${rel}: ${errorMessage(err)}`);
  }
  if (result.text === text) {
    return { applied: false, reason: `${rel} already has batch size ${changes.batchSize}${changes.learningRate !== undefined ? ` and learning rate ${changes.learningRate}` : ''}`, text };
  }
  const workspaceEdit = new vscode.WorkspaceEdit();
  for (const e of result.edits) {
    workspaceEdit.replace(uri, new vscode.Range(document.positionAt(e.offset), document.positionAt(e.offset + e.length)), e.newText);
  }
  const ok = await vscode.workspace.applyEdit(workspaceEdit);
  if (!ok) return fail(ctx, `VS Code refused the edit to ${rel} (is the file read-only?)`);
  if (options.save) await document.save();
  const what = [`batch size ${changes.batchSize}`, changes.learningRate !== undefined ? `learning rate ${changes.learningRate}` : '', changes.schedule ? `a ${changes.schedule.kind} schedule` : '']
    .filter(Boolean)
    .join(', ');
  ctx.log.info(`applied ${what} to ${uri.fsPath} (${result.edits.length} edit(s))`);
  return { applied: true, text: document.getText() };
}

function fail(ctx: Ctx, reason: string): ApplyResult {
  ctx.log.warn(`apply: ${reason}`);
  return { applied: false, reason };
}
