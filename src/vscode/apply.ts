// Apply: writes a batch size (and learning rate, schedule) into a config as one WorkspaceEdit of
// the minimal text edits core computes (core/config/apply.ts: what may be written, checked and
// read back), so comments and formatting stay and one Undo reverts it.
// Safe against a moving target: the edit is computed from the document at one version with no
// await before it is sent (VS Code then refuses it if the text changed meanwhile, and Apply
// computes it again); and when the config changed since the study that recommended the values,
// the person is asked first (Apply anyway / Cancel).
import * as vscode from 'vscode';
import type { StudyRecord } from '../core/study/types';
import type { ApplyChanges, ApplyPlan } from '../core/config/apply';
import { configModule, studyModule } from './coreModules';
import { errorMessage, type Host } from './ctx';
import type { StudyStore } from './studyStore';

export type { ApplyChanges } from '../core/config/apply';

export interface ApplyResult {
  applied: boolean;
  /** Why nothing was applied. */
  reason?: string;
  /** The document's text after the edit. */
  text?: string;
  /** Where in the config the refusal points (1-based), when it points somewhere. */
  at?: { line: number; column: number; endLine: number; endColumn: number };
}

export interface ApplyOptions {
  save?: boolean;
  /** The study the values come from (its config hash is compared with the text); default: the config's latest; null: none. */
  study?: StudyRecord | null;
  /** When the config changed since that study: ask (default), apply anyway, or cancel. */
  ifConfigChanged?: 'ask' | 'apply' | 'cancel';
}

/** Attempts when the document keeps changing under Apply (each attempt recomputes from the new text). */
const ATTEMPTS = 3;

export async function applyToConfig(host: Host, store: StudyStore, uri: vscode.Uri, changes: ApplyChanges, options: ApplyOptions = {}): Promise<ApplyResult> {
  const { planApply, invalidChange } = await configModule();
  const invalid = invalidChange(changes);
  if (invalid) return fail(host, invalid);
  let document: vscode.TextDocument;
  try {
    document = await vscode.workspace.openTextDocument(uri);
  } catch (err) {
    return fail(host, `cannot open ${uri.fsPath}: ${errorMessage(err)}`);
  }
  const rel = vscode.workspace.asRelativePath(uri);
  const plan = () => planApply(document.getText(), uri.fsPath, rel, changes);
  const first = plan();
  if (!first.ok) return refuse(host, first);
  if (first.text === document.getText())
    return {
      applied: false,
      reason: `${rel} already has batch size ${changes.batchSize}${changes.learningRate !== undefined ? ` and learning rate ${changes.learningRate}` : ''}`,
      text: first.text,
    };
  if (!(await confirmIfChangedSinceStudy(host, store, document, options)))
    return { applied: false, reason: `${rel} changed since the study: nothing was applied` };
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    // From here to applyEdit nothing awaits: the edit matches this version of the text.
    const version = document.version;
    const p = plan();
    if (!p.ok) return refuse(host, p);
    const edit = new vscode.WorkspaceEdit();
    for (const e of p.edits) edit.replace(uri, new vscode.Range(document.positionAt(e.offset), document.positionAt(e.offset + e.length)), e.newText);
    const ok = await vscode.workspace.applyEdit(edit);
    if (ok) return applied(host, document, changes, p, options);
    if (document.version === version) return fail(host, `VS Code refused the edit to ${rel} (is the file read-only?)`);
    host.log.info(`apply: ${rel} changed while the edit was on its way; computing it again from the new text`);
  }
  return fail(host, `${rel} kept changing while Apply ran: nothing was written; try again`);
}

async function applied(
  host: Host,
  document: vscode.TextDocument,
  c: ApplyChanges,
  p: Extract<ApplyPlan, { ok: true }>,
  options: ApplyOptions,
): Promise<ApplyResult> {
  if (options.save) await document.save();
  const what = [
    `batch size ${c.batchSize}`,
    c.learningRate !== undefined ? `learning rate ${c.learningRate}` : '',
    c.schedule ? `a ${c.schedule.kind} schedule` : '',
  ]
    .filter(Boolean)
    .join(', ');
  host.log.info(`applied ${what} to ${document.uri.fsPath} (${p.edits.length} edit(s))`);
  for (const note of p.notes) host.log.info(`apply: ${note}`);
  return { applied: true, text: document.getText() };
}

/**
 * True when the values may be written: the config is as the study saw it (same hash), or there
 * is no study to compare with, or the person chose Apply anyway.
 */
async function confirmIfChangedSinceStudy(host: Host, store: StudyStore, document: vscode.TextDocument, options: ApplyOptions): Promise<boolean> {
  const study = options.study === undefined ? await store.latestStudy(document.uri) : options.study;
  const hash = study?.start.configHash;
  if (!study || !hash) return true;
  const { hashConfigText } = await studyModule();
  if (hashConfigText(document.getText()) === hash) return true;
  const rel = vscode.workspace.asRelativePath(document.uri);
  host.log.warn(`apply: ${rel} changed since the study of ${study.startedAt} (its config hash ${hash} no longer matches)`);
  const decision = options.ifConfigChanged ?? 'ask';
  if (decision !== 'ask') return decision === 'apply';
  const choice = await vscode.window.showWarningMessage(
    `${rel} changed since the study that recommended these values (${new Date(study.startedAt).toLocaleString()}). The recommendation may not hold for the config as it is now.`,
    { modal: true, detail: 'Tune it again to measure the config as it is, or apply the values anyway.' },
    'Apply anyway',
  );
  return choice === 'Apply anyway';
}

function refuse(host: Host, p: Extract<ApplyPlan, { ok: false }>): ApplyResult {
  const d = p.diagnostic;
  return { ...fail(host, p.reason), ...(d ? { at: { line: d.line, column: d.column, endLine: d.endLine, endColumn: d.endColumn } } : {}) };
}

function fail(host: Host, reason: string): ApplyResult {
  host.log.warn(`apply: ${reason}`);
  return { applied: false, reason };
}
