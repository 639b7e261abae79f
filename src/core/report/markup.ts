// Small pieces of the report's markup, all built with the escaping `escaped` tag: tables, the
// measured / fitted / assumed tags, and the headline with its parts styled apart.
import type { Recommendation } from '../types';
import { escaped, type HtmlValue, type SafeHtml } from './escape';
import { headlineParts } from '../headline';

const BASES = new Set(['measured', 'fitted', 'assumed']);

/** A small "measured" / "fitted" / "assumed" tag (class names only from the known three). */
export function basisTag(basis: unknown): SafeHtml {
  const known = typeof basis === 'string' && BASES.has(basis);
  return escaped`<span class="basis ${known ? `basis-${basis}` : 'basis-unknown'}">${known ? basis : 'unknown'}</span>`;
}

export interface Column {
  /** Header text, and an optional second line (units, basis). */
  head: string;
  sub?: string;
  /** Left-aligned text column. */
  text?: boolean;
}

export interface Row {
  cells: HtmlValue[];
  /** Row classes from a fixed set: pick, in-band. */
  pick?: boolean;
  inBand?: boolean;
  /** Per-cell classes (by column index): extrapolated values are shown apart. */
  extrapolated?: readonly number[];
}

/** ` class="a b"` from the names that apply, or nothing. */
function classes(...names: Array<string | false | undefined>): SafeHtml | string {
  const list = names.filter(Boolean).join(' ');
  return list ? escaped` class="${list}"` : '';
}

/** A table; `narrow` ones take the width of their content (a few short columns). */
export function table(columns: readonly Column[], rows: readonly Row[], narrow = false): SafeHtml {
  const th = columns.map((c) => escaped`<th${classes(c.text && 'text')}>${c.head}${c.sub ? escaped`<span class="sub">${c.sub}</span>` : ''}</th>`);
  const tr = rows.map((r) => {
    const tds = r.cells.map((v, i) => escaped`<td${classes(columns[i]?.text && 'text', r.extrapolated?.includes(i) && 'extrapolated')}>${v}</td>`);
    return escaped`<tr${classes(r.pick && 'pick', r.inBand && 'in-band')}>${tds}</tr>`;
  });
  return escaped`<div class="scroll"><table${classes(narrow && 'narrow')}><thead><tr>${th}</tr></thead><tbody>${tr}</tbody></table></div>`;
}

/** Two columns of label and value, for facts about the study. */
export function factTable(rows: ReadonlyArray<readonly [string, HtmlValue]>): SafeHtml {
  return escaped`<table class="facts"><tbody>${rows.map(([k, v]) => escaped`<tr><td>${k}</td><td class="text">${v}</td></tr>`)}</tbody></table>`;
}

/** The shared headline (./headline.ts), its assumption shown apart. */
export function headlineMarkup(rec: Recommendation): SafeHtml {
  const p = headlineParts(rec);
  const sep = escaped`<span class="sep"> · </span>`;
  const parts: SafeHtml[] = [escaped`<span class="pick">${p.pick}</span>`];
  if (p.band) parts.push(escaped`<span class="band">${p.band.basis === 'assumed' ? `${p.band.text} (assumed)` : p.band.text}</span>`);
  if (p.speedup) parts.push(escaped`<span class="speedup">${p.speedup.text} (${p.speedup.basis})</span>`);
  if (p.assumption) parts.push(escaped`<span class="assumption">${p.assumption}</span>`);
  return escaped`<div class="headline" data-testid="headline">${parts.map((x, i) => (i === 0 ? x : escaped`${sep}${x}`))}</div>`;
}
