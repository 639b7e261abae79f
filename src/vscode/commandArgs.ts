// What a command is about when it runs: its arguments (a CodeLens/menu Uri, a tree node, options
// from a test), else the active editor, else a stored study with a recommendation.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { StudyListEntry } from '../core/study/types';
import type { Recommendation } from '../core/types';
import { activeConfigOf, type Ctx } from './ctx';
import { pickStudy } from './quickPicks';

/** A tree node, a CodeLens/menu Uri, an absolute path, or nothing: the config a command is about. */
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

/** A stored study from a sidebar node. */
export function studyFromArgument(arg: unknown): StudyListEntry | undefined {
  const o = arg as { kind?: unknown; entry?: StudyListEntry } | undefined;
  return o && typeof o === 'object' && o.kind === 'study' && o.entry ? o.entry : undefined;
}

/** An options argument as an object (anything else: no options). */
export function optionsArgument<T extends object>(arg: unknown): Partial<T> {
  return typeof arg === 'object' && arg !== null ? arg : {};
}

/** The recommendation for a config: the running study's, else the latest stored one's. */
export async function recommendationFor(ctx: Ctx, uri: vscode.Uri): Promise<Recommendation | undefined> {
  const running = ctx.studies.running;
  if (running?.recommendation && running.configUri.toString() === uri.toString()) return running.recommendation;
  return (await ctx.store.latestStudy(uri))?.recommendation;
}

/** The active config when it has a recommendation, else a pick among studies with one. */
export async function configWithRecommendation(ctx: Ctx): Promise<vscode.Uri | undefined> {
  const active = activeConfigOf(ctx.catalog);
  if (active && (await recommendationFor(ctx, active))) return active;
  const withRec = (await ctx.store.listStudies()).filter((s) => s.recommendedBatchSize !== undefined);
  const seen = new Set<string>();
  const unique = withRec.filter((s) => !seen.has(s.configPath) && seen.add(s.configPath));
  if (unique.length === 1) return vscode.Uri.file(unique[0].configPath);
  const chosen = await pickStudy(unique);
  return chosen ? vscode.Uri.file(chosen.configPath) : active;
}
