// Apply round-trips (issue 12), as a property over seeded random configs in YAML, JSON(C), TOML
// and Python (helpers/configGen.ts): writing a batch size and learning rate with withBatchSize —
// what the per-trial copy and Apply write — changes only those two values. Checked three ways:
// the sites read back with the new values; the text outside the two values' ranges is
// byte-identical; and a real parser (the `yaml` package, jsonc-parser, Python's tomllib and ast)
// reads everything else exactly as before, the new numbers as numbers. Also withGlobalBatch on
// real-world configs with random targets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { parse as parseYaml } from 'yaml';
import { parse as parseJsonc, type ParseError } from 'jsonc-parser';
import { findBatchSizeSites, primaryBatchSizeSite, withBatchSize, type BatchSizeSite } from '../../src/core/config';
import { jsonText, pick, pythonText, randomTree, rng, tomlText, yamlText, type Rand } from './helpers/configGen';

const PER_FORMAT = 2500;

interface Case {
  before: string;
  after: string;
  bs: number;
  lr?: number;
  sb: BatchSizeSite;
  sa: BatchSizeSite;
}

const randomLr = (r: Rand) => Number((10 ** (-6 + 6 * r())).toPrecision(1 + Math.floor(r() * 17)));

/** The text with the ranges of the site's values cut out: what must not change. */
function outside(text: string, s: BatchSizeSite): string[] {
  const ranges = [s.batchSize, ...(s.learningRate ? [s.learningRate] : [])].map((k) => [k.valueOffset, k.valueOffset + k.valueLength]).sort((a, b) => a[0] - b[0]);
  const parts: string[] = [];
  let at = 0;
  for (const [from, to] of ranges) {
    parts.push(text.slice(at, from));
    at = to;
  }
  parts.push(text.slice(at));
  return parts;
}

const closeTo = (x: unknown, want: number) => typeof x === 'number' && Math.abs(x - want) <= 5e-5 * want;

/** Writes, then checks what the sites and the bytes say; returns the case for the parser checks. */
function roundTrip(before: string, file: string, r: Rand): Case {
  const sb = primaryBatchSizeSite(findBatchSizeSites(before, file));
  assert.ok(sb, `no site in the generated ${file}:\n${before}`);
  const bs = 1 + Math.floor(r() * 65536);
  const lr = r() < 0.85 ? randomLr(r) : undefined;
  const after = withBatchSize(before, file, bs, lr);
  const sa = primaryBatchSizeSite(findBatchSizeSites(after, file));
  const ctx = `\n--- before (${file})\n${before}\n--- after (bs ${bs}, lr ${lr})\n${after}`;
  assert.ok(sa, `the site is gone${ctx}`);
  assert.equal(sa.batchSize.value, bs, `batch size read back${ctx}`);
  assert.equal(sa.batchSize.key, sb.batchSize.key);
  if (sb.learningRate && lr !== undefined) assert.ok(closeTo(sa.learningRate?.value, lr), `lr read back: ${sa.learningRate?.value}${ctx}`);
  else if (sb.learningRate) assert.equal(sa.learningRate?.value, sb.learningRate.value, `lr unchanged${ctx}`);
  assert.deepEqual(outside(after, sa), outside(before, sb), `bytes outside the two values changed${ctx}`);
  return { before, after, bs, lr, sb, sa };
}

function at(doc: unknown, path: string[]): unknown {
  return path.reduce<unknown>((d, k) => (d as Record<string, unknown> | undefined)?.[k], doc);
}

function setAt(doc: unknown, path: string[], v: unknown): void {
  const parent = at(doc, path.slice(0, -1)) as Record<string, unknown>;
  parent[path[path.length - 1]] = v;
}

/** Everything but the two values parses the same; the two parse as the numbers written. */
function sameDocument(c: Case, read: (text: string) => unknown, label: string): void {
  const b = read(c.before);
  const a = read(c.after);
  const ctx = `\n--- before (${label})\n${c.before}\n--- after\n${c.after}`;
  assert.equal(at(a, c.sa.batchSize.path), c.bs, `batch size parsed${ctx}`);
  setAt(b, c.sb.batchSize.path, c.bs);
  if (c.sb.learningRate) {
    const lr = at(a, c.sa.learningRate!.path);
    if (c.lr !== undefined) assert.ok(closeTo(lr, c.lr), `lr parsed as ${JSON.stringify(lr)}${ctx}`);
    setAt(b, c.sb.learningRate.path, lr);
  }
  assert.deepEqual(a, b, `the rest of the document changed${ctx}`);
}

/** Python's own readers for the TOML and Python cases: tomllib documents, ast constants and shapes. */
function pythonRead(kind: 'toml' | 'python', texts: string[]): unknown[] {
  const code = `
import ast, json, sys, tomllib
kind, texts = json.load(sys.stdin)
out = []
for t in texts:
    if kind == 'toml':
        out.append(tomllib.loads(t))
    else:
        tree = ast.parse(t)
        consts = [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant)]
        for n in ast.walk(tree):
            if isinstance(n, ast.Constant):
                n.value = None
        out.append({"consts": consts, "shape": ast.dump(tree)})
json.dump(out, sys.stdout)
`;
  const p = spawnSync('/usr/bin/python3', ['-c', code], { input: JSON.stringify([kind, texts]), encoding: 'utf8', maxBuffer: 1 << 28 });
  assert.equal(p.status, 0, p.stderr);
  return JSON.parse(p.stdout) as unknown[];
}

test(`YAML: ${PER_FORMAT} random configs, only the batch size and lr change`, () => {
  const r = rng(0x9a41);
  const readYaml = (t: string) => parseYaml(t, { uniqueKeys: false }) as unknown;
  for (let i = 0; i < PER_FORMAT; i++) {
    const { tree } = randomTree(r, { nulls: true, flowMaps: true, maxDepth: 3 });
    const file = pick(r, ['c.yaml', 'train.yml']);
    sameDocument(roundTrip(yamlText(r, tree), file, r), readYaml, file);
  }
});

test(`JSON(C): ${PER_FORMAT} random configs, only the batch size and lr change`, () => {
  const r = rng(0x15a7);
  const readJson = (t: string) => {
    const errors: ParseError[] = [];
    const v = parseJsonc(t, errors, { allowTrailingComma: true }) as unknown;
    assert.deepEqual(errors, [], t);
    return v;
  };
  for (let i = 0; i < PER_FORMAT; i++) {
    const { tree } = randomTree(r, { nulls: true, flowMaps: true, maxDepth: 3 });
    const file = pick(r, ['ds_config.json', 'run.jsonc']);
    sameDocument(roundTrip(jsonText(r, tree), file, r), readJson, file);
  }
});

test(`TOML: ${PER_FORMAT} random configs, only the batch size and lr change (read back by tomllib)`, () => {
  const r = rng(0x7031);
  const cases: Case[] = [];
  for (let i = 0; i < PER_FORMAT; i++) {
    const { tree } = randomTree(r, { nulls: false, flowMaps: true, maxDepth: 3 });
    cases.push(roundTrip(tomlText(r, tree), 'pyproject.toml', r));
  }
  const docs = pythonRead('toml', cases.flatMap((c) => [c.before, c.after]));
  const byText = new Map(cases.flatMap((c, i) => [[c.before, docs[2 * i]], [c.after, docs[2 * i + 1]]] as const));
  for (const c of cases) sameDocument(c, (t) => structuredClone(byText.get(t)), 'toml');
});

test(`Python: ${PER_FORMAT} random scripts, only the batch size and lr literals change (read back by ast)`, () => {
  const r = rng(0x4f11);
  const cases: Case[] = [];
  for (let i = 0; i < PER_FORMAT; i++) cases.push(roundTrip(pythonText(r), 'train.py', r));
  const read = pythonRead('python', cases.flatMap((c) => [c.before, c.after])) as Array<{ consts: unknown[]; shape: string }>;
  cases.forEach((c, i) => {
    const [b, a] = [read[2 * i], read[2 * i + 1]];
    const ctx = `\n--- before\n${c.before}\n--- after\n${c.after}`;
    assert.equal(a.shape, b.shape, `the code's shape changed${ctx}`);
    assert.equal(a.consts.length, b.consts.length);
    const changed = a.consts.map((x, k) => k).filter((k) => a.consts[k] !== b.consts[k]);
    for (const k of changed) assert.ok(a.consts[k] === c.bs || (c.lr !== undefined && closeTo(a.consts[k], c.lr)), `literal ${k} became ${JSON.stringify(a.consts[k])}${ctx}`);
    assert.ok(changed.length <= 2 && (b.consts.includes(c.bs) || a.consts.includes(c.bs)), `the batch size literal${ctx}`);
  });
});
