// Seeded random training configs in YAML, JSON(C), TOML and Python for the Apply round-trip
// property test: comments everywhere, odd spacing, nesting, flow and block styles, quoted strings
// with the format's syntax characters in them, and exactly one batch-size key (with a
// learning-rate key beside it most of the time) somewhere in the tree.

export type Rand = () => number;

/** mulberry32: small, seeded, good enough to spread test cases. */
export function rng(seed: number): Rand {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
const int = (r: Rand, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));

// None of these is a batch-size, learning-rate or optimizer key.
const KEYS = [
  'name',
  'epochs',
  'seed',
  'dropout',
  'warmup',
  'path',
  'note',
  'hidden',
  'layers',
  'weight_decay',
  'eval_batch_size',
  'num_workers',
  'shuffle',
  'tags',
  'output_dir',
  'max_steps',
  'momentum',
  'gamma',
  'project',
  'comment',
  'run',
  'logging',
  'trainer',
  'schedule',
];
const BATCH_KEYS = ['batch_size', 'per_device_train_batch_size', 'train_batch_size', 'batchSize', 'micro_batch_size'];
const LR_KEYS = ['learning_rate', 'lr', 'learningRate', 'base_lr'];
const STRINGS = [
  'resnet',
  'a b',
  'x # not a comment',
  'k: v',
  "it's",
  'say "hi"',
  'naïve – ünïcode',
  '日本語',
  '😀',
  '',
  '{a}',
  '[1, 2]',
  '- item',
  'true',
  'null',
  '#',
  'C:\\path\\x',
  'tab\there',
  '100',
  '1e-3',
];
const COMMENTS = ['note', 'batch_size: 999', 'lr = 5', 'fits a 16 GB GPU', '"quoted"', "it's", 'ünïcode ✓', '#', ''];

export type Scalar = number | string | boolean | null;
export type Tree =
  { kind: 'map'; entries: Array<[string, Tree]>; flow: boolean } | { kind: 'seq'; items: Scalar[]; flow: boolean } | { kind: 'scalar'; value: Scalar };

function scalar(r: Rand, strings = true): Scalar {
  const k = r();
  if (k < 0.3) return int(r, 0, 5000);
  if (k < 0.45) return pick(r, [0.5, 0.25, 3.75, 1e-3, 0.9, 12.5]);
  if (k < 0.55) return r() < 0.5;
  if (k < 0.6 && strings) return null;
  return strings ? pick(r, STRINGS) : int(r, 0, 9);
}

/** A random tree (no nulls where the format has none), then one batch-size key (and maybe an lr key) in one of its mappings. */
export function randomTree(
  r: Rand,
  opts: { nulls: boolean; flowMaps: boolean; maxDepth: number },
): { tree: Tree & { kind: 'map' }; batchKey: string; lrKey?: string } {
  const maps: Array<Tree & { kind: 'map' }> = [];
  const map = (depth: number, flow: boolean): Tree & { kind: 'map' } => {
    const m: Tree & { kind: 'map' } = { kind: 'map', entries: [], flow };
    maps.push(m);
    const used = new Set<string>();
    for (let n = int(r, flow ? 1 : 1, flow ? 3 : 5); n > 0; n--) {
      const key = pick(r, KEYS);
      if (used.has(key)) continue;
      used.add(key);
      const k = r();
      let v: Tree;
      if (!flow && depth < opts.maxDepth && k < 0.25) v = map(depth + 1, opts.flowMaps && r() < 0.3);
      else if (!flow && k < 0.35) v = { kind: 'seq', items: Array.from({ length: int(r, 0, 3) }, () => scalar(r, opts.nulls) ?? 0), flow: r() < 0.6 };
      else {
        const s = scalar(r, opts.nulls);
        v = { kind: 'scalar', value: s === null && !opts.nulls ? 0 : s };
      }
      m.entries.push([key, v]);
    }
    return m;
  };
  const tree = map(0, false);
  const home = pick(r, maps);
  const batchKey = pick(r, BATCH_KEYS);
  home.entries.splice(int(r, 0, home.entries.length), 0, [batchKey, { kind: 'scalar', value: int(r, 1, 4096) }]);
  if (r() < 0.75) {
    const lrKey = pick(r, LR_KEYS);
    home.entries.splice(int(r, 0, home.entries.length), 0, [lrKey, { kind: 'scalar', value: pick(r, [0.1, 0.001, 3e-4, 1e-5, 0.05, 2.5e-5, 1]) }]);
    return { tree, batchKey, lrKey };
  }
  return { tree, batchKey };
}

// ---------------------------------------------------------------------------------------------
// YAML

function yamlScalar(r: Rand, v: Scalar): string {
  if (typeof v === 'string') {
    const plain = /^[A-Za-z][A-Za-z0-9 _.-]*$/.test(v) && !/^(true|false|null|yes|no|on|off|y|n)$/i.test(v) && !v.endsWith(' ');
    if (plain && r() < 0.7) return v;
    if (!/[\n\t\\]/.test(v) && r() < 0.5) return `'${v.replace(/'/g, "''")}'`;
    return JSON.stringify(v);
  }
  if (v === null) return pick(r, ['null', '~']);
  return String(v);
}

const yamlComment = (r: Rand) => (r() < 0.25 ? `${' '.repeat(int(r, 1, 3))}# ${pick(r, COMMENTS)}` : '');

function yamlFlowMap(r: Rand, m: Tree & { kind: 'map' }): string {
  const parts = m.entries.map(([k, v]) => `${k}:${' '.repeat(int(r, 1, 2))}${v.kind === 'scalar' ? yamlScalar(r, v.value) : '0'}`);
  return `{${pick(r, ['', ' '])}${parts.join(pick(r, [', ', ',', ' , ']))}${pick(r, ['', ' '])}}`;
}

function yamlMap(r: Rand, m: Tree & { kind: 'map' }, indent: string, unit: string, out: string[]): void {
  for (const [k, v] of m.entries) {
    if (r() < 0.2) out.push(`${pick(r, [indent, '', indent + ' '])}# ${pick(r, COMMENTS)}`);
    if (r() < 0.1) out.push('');
    const sep = `:${' '.repeat(int(r, 1, 4))}`;
    if (v.kind === 'scalar') out.push(`${indent}${k}${sep}${yamlScalar(r, v.value)}${yamlComment(r)}`);
    else if (v.kind === 'map' && v.flow) out.push(`${indent}${k}${sep}${yamlFlowMap(r, v)}${yamlComment(r)}`);
    else if (v.kind === 'map') {
      out.push(`${indent}${k}:${yamlComment(r)}`);
      yamlMap(r, v, indent + unit, unit, out);
    } else if (v.flow || v.items.length === 0) out.push(`${indent}${k}${sep}[${v.items.map((x) => yamlScalar(r, x)).join(', ')}]${yamlComment(r)}`);
    else {
      out.push(`${indent}${k}:`);
      const itemIndent = r() < 0.5 ? indent : indent + unit;
      for (const x of v.items) out.push(`${itemIndent}- ${yamlScalar(r, x)}${yamlComment(r)}`);
    }
  }
}

export function yamlText(r: Rand, tree: Tree & { kind: 'map' }): string {
  const out: string[] = [];
  if (r() < 0.5) out.push(`# ${pick(r, COMMENTS)}`);
  if (r() < 0.2) out.push('---');
  yamlMap(r, tree, '', pick(r, ['  ', '    ', '   ']), out);
  if (r() < 0.3) out.push(`# end`);
  const eol = r() < 0.15 ? '\r\n' : '\n';
  return out.join(eol) + (r() < 0.85 ? eol : '');
}

// ---------------------------------------------------------------------------------------------
// JSON (with comments and trailing commas: JSONC, as VS Code and DeepSpeed users write it)

function jsonValue(r: Rand, v: Tree, indent: string, unit: string, pretty: boolean): string {
  if (v.kind === 'scalar') return JSON.stringify(v.value);
  if (v.kind === 'seq') return `[${v.items.map((x) => JSON.stringify(x)).join(pick(r, [', ', ',']))}]`;
  const inner = indent + unit;
  const members = v.entries.map(([k, x]) => {
    const comment = r() < 0.15 ? `${pretty ? `\n${inner}` : ' '}/* ${pick(r, COMMENTS).replace(/\*\//g, '')} */ ` : '';
    return `${comment}${pretty ? `\n${inner}` : ''}${JSON.stringify(k)}${pick(r, [': ', ':', ' : ', ':   '])}${jsonValue(r, x, inner, unit, pretty && !v.flow)}`;
  });
  const trailing = r() < 0.15 && members.length ? ',' : '';
  const lineComment = pretty && r() < 0.2 ? ` // ${pick(r, COMMENTS)}` : '';
  if (!pretty || v.flow) return `{${members.join(', ')}${trailing}}`;
  return `{${members.join(',')}${trailing}${lineComment}\n${indent}}`;
}

export function jsonText(r: Rand, tree: Tree & { kind: 'map' }): string {
  const pretty = r() < 0.8;
  const head = r() < 0.3 ? `// ${pick(r, COMMENTS)}\n` : '';
  return `${head}${jsonValue(r, tree, '', pick(r, ['  ', '    ', '\t']), pretty)}${r() < 0.8 ? '\n' : ''}`;
}

// ---------------------------------------------------------------------------------------------
// TOML

function tomlScalar(r: Rand, v: Scalar): string {
  if (typeof v === 'string') return !/['\n\t\\]/.test(v) && r() < 0.4 ? `'${v}'` : JSON.stringify(v);
  if (typeof v === 'number' && !Number.isInteger(v)) return String(v).includes('e') || String(v).includes('.') ? String(v) : `${v}.0`;
  return String(v);
}

function tomlValue(r: Rand, v: Tree): string {
  if (v.kind === 'scalar') return tomlScalar(r, v.value);
  if (v.kind === 'seq') return `[${v.items.map((x) => tomlScalar(r, x)).join(pick(r, [', ', ',']))}]`;
  return `{ ${v.entries.map(([k, x]) => `${k} = ${x.kind === 'scalar' ? tomlScalar(r, x.value) : '0'}`).join(', ')} }`;
}

/** TOML: the root's scalars first, then each nested block mapping as a [table] (flow ones inline). */
export function tomlText(r: Rand, tree: Tree & { kind: 'map' }): string {
  const out: string[] = [];
  if (r() < 0.5) out.push(`# ${pick(r, COMMENTS)}`);
  const table = (m: Tree & { kind: 'map' }, path: string[]) => {
    const sub: Array<[string, Tree & { kind: 'map' }]> = [];
    if (path.length) out.push('', `${pick(r, ['', ' '])}[${path.join('.')}]${yamlComment(r)}`);
    for (const [k, v] of m.entries) {
      if (v.kind === 'map' && !v.flow) {
        sub.push([k, v]);
        continue;
      }
      if (r() < 0.15) out.push(`# ${pick(r, COMMENTS)}`);
      out.push(`${k}${' '.repeat(int(r, 1, 3))}=${' '.repeat(int(r, 1, 3))}${tomlValue(r, v)}${yamlComment(r)}`);
    }
    for (const [k, v] of sub) table(v, [...path, k]);
  };
  table(tree, []);
  return out.join('\n') + '\n';
}

// ---------------------------------------------------------------------------------------------
// Python

const PY_NOISE = [
  'import os',
  'import torch  # noqa: F401',
  '"""Train a model.\n\nbatch_size = 999 is documented here, not set.\n"""',
  '# batch_size = 7',
  'NAME = "x # not a comment"',
  "TAGS = ['a', 'b']",
  'EPOCHS = 3',
  'def helper(x):\n    return x * 2  # lr = 5 in a comment',
  "s = 'batch_size=5 inside a string'",
  'WEIGHT_DECAY = 1e-4',
];

/** A script with one batch-size site in one of the forms people write, and the lr beside it. */
export function pythonText(r: Rand): string {
  const bs = int(r, 1, 4096);
  const lr = pick(r, ['0.1', '1e-3', '3e-4', '0.05', '2.5e-5']);
  const sp = () => ' '.repeat(int(r, 0, 2));
  const withLr = r() < 0.75;
  const forms = [
    () => [`batch_size${sp()}=${sp()}${bs}${yamlComment(r)}`, ...(withLr ? [`lr = ${lr}`] : [])],
    () => [`BATCH_SIZE: int = ${bs}`, ...(withLr ? [`LEARNING_RATE: float = ${lr}${yamlComment(r)}`] : [])],
    () => [`config = dict(batch_size=${bs},${sp()}${withLr ? `lr=${lr}, ` : ''}name="run")`],
    () => [`cfg = {"batch_size": ${bs}${withLr ? `, "learning_rate": ${lr}` : ''}, "note": "a: b"}`],
    () => [
      'import argparse',
      'parser = argparse.ArgumentParser()',
      `parser.add_argument("--batch-size", type=int, default=${bs}, help="per step")`,
      ...(withLr ? [`parser.add_argument('--lr', type=float, default=${lr})`] : []),
    ],
    () => [`loader = DataLoader(ds, batch_size=${bs}, shuffle=True)${yamlComment(r)}`],
  ];
  const lines: string[] = [];
  const noise = () => {
    for (let n = int(r, 0, 3); n > 0; n--) lines.push(pick(r, PY_NOISE));
  };
  noise();
  lines.push(...pick(r, forms)());
  noise();
  return lines.join('\n') + '\n';
}
