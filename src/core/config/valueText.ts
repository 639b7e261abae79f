// Values written into a config as text: YAML scalars, flow and block mappings, and JSON at a given
// indentation. Split from ./edit.ts, which decides where edits go; this file only spells the values.
import { isObj } from '../guards';
import { formatConfigNumber } from './numberFormat';

export function yamlScalar(v: unknown): string {
  if (typeof v === 'number') return formatConfigNumber(v);
  if (typeof v === 'boolean' || v === null) return String(v);
  if (typeof v === 'string') return yamlString(v);
  // Mappings and lists are yamlFlow's and do not get here; JSON is YAML for anything else that does.
  return yamlString(typeof v === 'bigint' || v === undefined ? String(v) : JSON.stringify(v));
}

/** A string as YAML reads it back: plain when nothing in it is syntax, else double-quoted (JSON escapes are YAML escapes). */
export function yamlString(s: string): string {
  const plainSafe = /^[A-Za-z_][\w./-]*$/.test(s) && !/^(true|false|null|yes|no|on|off|y|n|~)$/i.test(s);
  return plainSafe ? s : JSON.stringify(s);
}

/** Keys are quoted like values: a key is never YAML syntax (a newline, `: `, `#` in it cannot add keys). */
export const yamlKey = yamlString;

export function yamlFlow(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(yamlFlow).join(', ')}]`;
  if (isObj(v))
    return `{ ${Object.entries(v)
      .map(([k, x]) => `${yamlKey(k)}: ${yamlFlow(x)}`)
      .join(', ')} }`;
  return yamlScalar(v);
}

/** `key: value` lines (block style) at `indent`, nested mappings one unit deeper. */
export function yamlLines(obj: Record<string, unknown>, indent: string, unit: string, eol: string): string[] {
  const lines: string[] = [];
  for (const [k, v] of Object.entries(obj)) {
    if (v === undefined) continue;
    if (isObj(v) && Object.keys(v).length > 0) {
      lines.push(`${indent}${yamlKey(k)}:`);
      lines.push(...yamlLines(v, indent + unit, unit, eol));
    } else lines.push(`${indent}${yamlKey(k)}: ${yamlFlow(v)}`);
  }
  return lines;
}

export function jsonValue(v: unknown, indent: string, unit: string, eol: string, multiline: boolean): string {
  if (typeof v === 'number') return formatConfigNumber(v);
  if (Array.isArray(v)) return `[${v.map((x) => jsonValue(x, indent, unit, eol, false)).join(', ')}]`;
  if (isObj(v)) {
    const entries = Object.entries(v).filter(([, x]) => x !== undefined);
    if (!multiline) return `{ ${entries.map(([k, x]) => `${JSON.stringify(k)}: ${jsonValue(x, indent, unit, eol, false)}`).join(', ')} }`;
    const inner = entries.map(([k, x]) => `${indent}${unit}${JSON.stringify(k)}: ${jsonValue(x, indent + unit, unit, eol, true)}`);
    return `{${eol}${inner.join(`,${eol}`)}${eol}${indent}}`;
  }
  return JSON.stringify(v);
}

// ---------------------------------------------------------------------------------------------
// Path changes: a patch tree walked against the source tree.
