// JSON Schema validation (ajv) turned into one readable message per problem, each anchored
// to the offending key or value. ajv reports every failed keyword, including the if/then
// branches and duplicated type errors; people need one line saying what to change.
import Ajv, { type ValidateFunction } from 'ajv';
import schemaJson from '../../../schemas/training-config.schema.json';
import { closestKey } from './suggest';

/** A schema problem before it is given a source position. */
export interface SchemaProblem {
  path: string[];
  /** Point at the key (unknown / misplaced key, missing child) or the value (wrong value). */
  at: 'key' | 'value';
  message: string;
}

interface SchemaNode {
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  minItems?: number;
  uniqueItems?: boolean;
  pattern?: string;
  patternErrorMessage?: string;
  items?: SchemaNode;
  properties?: Record<string, SchemaNode | boolean>;
  required?: string[];
  $ref?: string;
  allOf?: Array<{ if?: SchemaNode; then?: SchemaNode }>;
}

export const trainingConfigSchema = schemaJson as unknown as SchemaNode & { definitions: Record<string, SchemaNode> };

let compiled: ValidateFunction | undefined;
function validator(): ValidateFunction {
  // strict: false because the schema carries VS Code's editor keywords (defaultSnippets, patternErrorMessage).
  compiled ??= new Ajv({ allErrors: true, verbose: true, strict: false }).compile(trainingConfigSchema);
  return compiled;
}

/** The key that picks a variant in each object kind (model.type, data.source, ...). */
const DISCRIMINATOR: Record<string, string> = { model: 'type', data: 'source', optimizer: 'name', batch_schedule: 'kind' };

/** The schema definition describing the object at `path` (only the top-level objects are named). */
function definitionAt(path: string[]): SchemaNode | undefined {
  if (path.length === 0) return trainingConfigSchema;
  if (path.length === 1) return trainingConfigSchema.definitions[path[0]];
  return undefined;
}

/** Keys allowed in the object at `path`, narrowed to its variant (e.g. model type mlp). */
export function allowedKeys(path: string[], obj: unknown): string[] {
  const def = definitionAt(path);
  if (!def?.properties) return [];
  const all = Object.keys(def.properties);
  const variant = variantBranch(path, obj);
  if (!variant) return all;
  return all.filter((k) => variant.properties?.[k] !== false);
}

function variantBranch(path: string[], obj: unknown): SchemaNode | undefined {
  const def = definitionAt(path);
  const disc = path.length === 1 ? DISCRIMINATOR[path[0]] : undefined;
  if (!def || !disc || typeof obj !== 'object' || obj === null) return undefined;
  const v = (obj as Record<string, unknown>)[disc];
  return def.allOf?.find((b) => {
    const cond = b.if?.properties?.[disc];
    return typeof cond === 'object' && cond.const === v;
  })?.then;
}

export function label(path: string[]): string {
  if (path.length === 0) return 'the config';
  return path.reduce((s, p) => (/^\d+$/.test(p) ? `${s}[${p}]` : s ? `${s}.${p}` : p), '');
}

const TYPE_WORDS: Record<string, [string, string]> = {
  integer: ['an integer', 'integers'],
  number: ['a number', 'numbers'],
  string: ['a string', 'strings'],
  boolean: ['true or false', 'booleans'],
  array: ['a list', 'lists'],
  object: ['a mapping of keys', 'mappings'],
  null: ['null', 'nulls'],
};

function bounds(s: SchemaNode): string[] {
  const b: string[] = [];
  if (s.minimum !== undefined) b.push(`>= ${s.minimum}`);
  if (s.exclusiveMinimum !== undefined) b.push(`> ${s.exclusiveMinimum}`);
  if (s.maximum !== undefined) b.push(`<= ${s.maximum}`);
  if (s.exclusiveMaximum !== undefined) b.push(`< ${s.exclusiveMaximum}`);
  return b;
}

/** "an integer >= 1", "a number > 0 and < 1", "one of `relu`, `tanh`", "a non-empty list of integers >= 1". */
export function describeSchema(s: SchemaNode, plural = false): string {
  if (s.enum) return `one of ${s.enum.map((e) => `\`${String(e)}\``).join(', ')}`;
  const types = Array.isArray(s.type) ? s.type : s.type ? [s.type] : [];
  if (types.includes('string') && s.pattern && types.length > 1) {
    const numeric = types.filter((t) => t !== 'string').map((t) => TYPE_WORDS[t]?.[plural ? 1 : 0] ?? t);
    return `${numeric.join(' or ')} ${bounds(s).join(' and ')} or a size such as "2GB" or "512MiB"`.replace(/\s+/g, ' ');
  }
  const words = types.map((t) => TYPE_WORDS[t]?.[plural ? 1 : 0] ?? t).join(' or ');
  if (types.includes('array')) {
    const of = s.items ? ` of ${describeSchema(s.items, true)}` : '';
    return `${s.minItems ? 'a non-empty list' : 'a list'}${of}${s.uniqueItems ? ' without repeats' : ''}`;
  }
  const b = bounds(s);
  const len = s.minLength ? ' (not empty)' : '';
  return [words, b.join(' and ')].filter(Boolean).join(' ') + len || 'valid';
}

export function renderValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return v.length === 0 ? 'an empty list' : 'a list';
  if (typeof v === 'object') return 'a mapping';
  const s = JSON.stringify(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

function valueAt(root: unknown, path: string[]): unknown {
  let cur = root;
  for (const p of path) {
    if (typeof cur !== 'object' || cur === null) return undefined;
    cur = (cur as Record<string, unknown>)[p];
  }
  return cur;
}

function unknownKeyMessage(path: string[], key: string, parent: unknown, because?: string): string {
  const allowed = allowedKeys(path, parent);
  const where = path.length === 0 ? 'at the top level' : `in ${label(path)}`;
  const suggestion = closestKey(key, allowed);
  if (because) return `\`${key}\` does not apply ${because}; remove it${allowed.length ? ` (keys here: ${allowed.join(', ')})` : ''}`;
  if (suggestion) return `unknown key \`${key}\` ${where} — did you mean \`${suggestion}\`?`;
  return `unknown key \`${key}\` ${where}; known keys: ${allowed.join(', ')}`;
}

function missingMessage(path: string[], key: string): string {
  const def = definitionAt([...path, key]) ?? definitionAt(path)?.properties?.[key];
  const hint = typeof def === 'object' && def.enum ? ` (one of ${def.enum.map((e) => `\`${String(e)}\``).join(', ')})` : '';
  if (path.length === 0) return `missing required key \`${key}\` at the top level${hint}; add it`;
  return `${label(path)} is missing required key \`${key}\`${hint}; add it`;
}

/** One problem per place: ajv's branch noise (`if`, repeated type errors) removed. */
export function schemaProblems(data: unknown): SchemaProblem[] {
  const validate = validator();
  if (validate(data)) return [];
  const out: SchemaProblem[] = [];
  const seen = new Set<string>();
  const add = (p: SchemaProblem) => {
    const id = p.at === 'key' ? `${p.path.join('\u0000')}:${p.message}` : `value:${p.path.join('\u0000')}`;
    if (seen.has(id)) return;
    seen.add(id);
    out.push(p);
  };
  const errors = validate.errors ?? [];
  // A misspelt key also makes the real one "missing": say it once, as the typo.
  const suggested = new Set<string>();
  for (const e of errors) {
    if (e.keyword !== 'additionalProperties') continue;
    const key = String((e.params as { additionalProperty: string }).additionalProperty);
    const path = e.instancePath === '' ? [] : e.instancePath.slice(1).split('/');
    const s = closestKey(key, allowedKeys(path, valueAt(data, path)));
    if (s) suggested.add(`${e.instancePath}/${s}`);
  }
  for (const e of errors) {
    const path =
      e.instancePath === ''
        ? []
        : e.instancePath
            .slice(1)
            .split('/')
            .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
    switch (e.keyword) {
      case 'if':
        break;
      case 'additionalProperties': {
        const key = String((e.params as { additionalProperty: string }).additionalProperty);
        add({ path: [...path, key], at: 'key', message: unknownKeyMessage(path, key, valueAt(data, path)) });
        break;
      }
      case 'false schema': {
        const parentPath = path.slice(0, -1);
        const parent = valueAt(data, parentPath);
        const disc = DISCRIMINATOR[parentPath[0] ?? ''];
        const which = disc && typeof parent === 'object' && parent ? (parent as Record<string, unknown>)[disc] : undefined;
        const because = `to ${label(parentPath)} ${disc} \`${String(which)}\``;
        add({ path, at: 'key', message: unknownKeyMessage(parentPath, path[path.length - 1], parent, because) });
        break;
      }
      case 'required': {
        const key = String((e.params as { missingProperty: string }).missingProperty);
        if (!suggested.has(`${e.instancePath}/${key}`)) add({ path, at: 'key', message: missingMessage(path, key) });
        break;
      }
      default: {
        const s = (e.parentSchema ?? {}) as SchemaNode;
        const got = renderValue(e.data);
        let message: string;
        if (e.keyword === 'pattern' && s.patternErrorMessage) message = `${s.patternErrorMessage} (got ${got})`;
        else if (e.keyword === 'enum' && typeof e.data === 'string') {
          const hint = closestKey(e.data, (s.enum ?? []).map(String));
          message = `${label(path)} must be ${describeSchema(s)} (got ${got})${hint ? ` — did you mean \`${hint}\`?` : ''}`;
        } else if (e.keyword === 'uniqueItems') message = `${label(path)} lists a batch size twice; remove the repeat`;
        else message = `${label(path)} must be ${describeSchema(s)} (got ${got})`;
        add({ path, at: 'value', message });
      }
    }
  }
  return out;
}
