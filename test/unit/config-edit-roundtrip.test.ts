// Apply round-trips (issue 12), as a property over seeded random configs in YAML, JSON(C), TOML
// and Python (helpers/configGen.ts): writing a batch size and learning rate with withBatchSize —
// what the per-trial copy writes — and with Apply (planApply: the global-batch model, the
// whitelist and its read-back) gives the same text, which changes only those two values. Checked three ways:
// the sites read back with the new values; the text outside the two values' ranges is
// byte-identical; and a real parser (the `yaml` package, jsonc-parser, Python's tomllib and ast)
// reads everything else exactly as before, the new numbers as numbers. Also withGlobalBatch on
// real-world configs with random targets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { parse as parseJsonc, type ParseError } from 'jsonc-parser';
import {
  applyTextEdits,
  ConfigError,
  detectFormat,
  findBatchSizeSites,
  GLOBAL_BATCH_KEYS,
  LEARNING_RATE_KEYS,
  planApply,
  primaryBatchSizeSite,
  withBatchSize,
  withGlobalBatch,
  type BatchSizeSite,
} from '../../src/core/config';
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
  const ranges = [s.batchSize, ...(s.learningRate ? [s.learningRate] : [])]
    .map((k) => [k.valueOffset, k.valueOffset + k.valueLength])
    .sort((a, b) => a[0] - b[0]);
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
  const applied = planApply(before, file, file, { batchSize: bs, ...(lr !== undefined ? { learningRate: lr } : {}) });
  assert.ok(applied.ok, `Apply refused: ${applied.ok ? '' : applied.reason}\n--- (${file})\n${before}`);
  assert.equal(applied.text, after, `Apply and the trial copy write the same text\n--- before (${file})\n${before}`);
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
  const docs = pythonRead(
    'toml',
    cases.flatMap((c) => [c.before, c.after]),
  );
  const byText = new Map(
    cases.flatMap(
      (c, i) =>
        [
          [c.before, docs[2 * i]],
          [c.after, docs[2 * i + 1]],
        ] as const,
    ),
  );
  for (const c of cases) sameDocument(c, (t) => structuredClone(byText.get(t)), 'toml');
});

test(`Python: ${PER_FORMAT} random scripts, only the batch size and lr literals change (read back by ast)`, () => {
  const r = rng(0x4f11);
  const cases: Case[] = [];
  for (let i = 0; i < PER_FORMAT; i++) cases.push(roundTrip(pythonText(r), 'train.py', r));
  const read = pythonRead(
    'python',
    cases.flatMap((c) => [c.before, c.after]),
  ) as Array<{ consts: unknown[]; shape: string }>;
  cases.forEach((c, i) => {
    const [b, a] = [read[2 * i], read[2 * i + 1]];
    const ctx = `\n--- before\n${c.before}\n--- after\n${c.after}`;
    assert.equal(a.shape, b.shape, `the code's shape changed${ctx}`);
    assert.equal(a.consts.length, b.consts.length);
    const changed = a.consts.map((x, k) => k).filter((k) => a.consts[k] !== b.consts[k]);
    for (const k of changed)
      assert.ok(a.consts[k] === c.bs || (c.lr !== undefined && closeTo(a.consts[k], c.lr)), `literal ${k} became ${JSON.stringify(a.consts[k])}${ctx}`);
    assert.ok(changed.length <= 2 && (b.consts.includes(c.bs) || a.consts.includes(c.bs)), `the batch size literal${ctx}`);
  });
});

/** Every leaf path whose value differs between two parsed documents (a key added or removed counts). */
function differingPaths(a: unknown, b: unknown, path: string[] = []): string[][] {
  const isMap = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null;
  if (isMap(a) && isMap(b)) return [...new Set([...Object.keys(a), ...Object.keys(b)])].flatMap((k) => differingPaths(a[k], b[k], [...path, k]));
  return Object.is(a, b) ? [] : [path];
}

test('withGlobalBatch: random targets on real-world configs change only the global-batch keys and the lr, or refuse with a located error', (t) => {
  const dir = resolve(__dirname, '../fixtures/global-batch');
  const files = readdirSync(dir);
  const r = rng(0x61b);
  const NAMES = new Set<string>([...Object.values(GLOBAL_BATCH_KEYS).flatMap((f) => Object.values(f) as string[]), ...LEARNING_RATE_KEYS]);
  const pyCases: Array<{ before: string; after: string; values: number[]; lr?: number; added: boolean }> = [];
  const tomlCases: Array<{ before: string; after: string }> = [];
  let ok = 0;
  let refused = 0;
  for (let i = 0; i < 1200; i++) {
    const file = pick(r, files);
    const before = readFileSync(join(dir, file), 'utf8');
    const target = {
      micro: 1 + Math.floor(r() * 512),
      accumulation: pick(r, [1, 1, 2, 4, 8, 16, 64]),
      ...(r() < 0.5 ? { world: pick(r, [1, 2, 4, 8]) } : {}),
      ...(r() < 0.6 ? { learningRate: randomLr(r) } : {}),
    };
    let out: ReturnType<typeof withGlobalBatch>;
    try {
      out = withGlobalBatch(before, file, target);
    } catch (e) {
      assert.ok(e instanceof ConfigError || (e instanceof Error && /^global batch: /.test(e.message)), `${file} ${JSON.stringify(target)}: ${String(e)}`);
      if (e instanceof ConfigError) assert.match(e.message, new RegExp(`^${file.replace('.', '\\.')}:\\d+:\\d+: error: `));
      refused++;
      continue;
    }
    ok++;
    assert.equal(applyTextEdits(before, out.edits), out.text);
    // Apply asked for the same global batch and split writes the same text: its read-back accepts every such edit.
    const workers = target.world ?? out.reading.world ?? 1;
    const { learningRate } = target;
    const viaApply = planApply(before, file, file, {
      batchSize: target.micro * target.accumulation * workers,
      accumulationSteps: target.accumulation,
      ...(target.world ? { worldSize: target.world } : {}),
      ...(learningRate !== undefined ? { learningRate } : {}),
    });
    assert.ok(
      viaApply.ok && viaApply.text === out.text,
      `${file} ${JSON.stringify(target)}: Apply ${viaApply.ok ? 'wrote another text' : `refused: ${viaApply.reason}`}`,
    );
    for (const e of out.edits)
      if (e.length) assert.match(before.slice(e.offset, e.offset + e.length), /^["']?[\d.eE+-]+["']?$/, `${file}: only values are replaced`);
    const world = out.reading.world ?? 1;
    const values = [target.micro, target.accumulation, target.micro * target.accumulation * world];
    const format = detectFormat(file, before);
    if (format === 'yaml' || format === 'json') {
      const read = (t: string) => (format === 'yaml' ? parseYaml(t) : parseJsonc(t, [], { allowTrailingComma: true })) as unknown;
      for (const p of differingPaths(read(before), read(out.text))) {
        const v = at(read(out.text), p);
        assert.ok(
          NAMES.has(p[p.length - 1]) && (values.includes(v as number) || (target.learningRate !== undefined && closeTo(v, target.learningRate))),
          `${file} ${JSON.stringify(target)}: ${p.join('.')} became ${JSON.stringify(v)}`,
        );
      }
    } else if (format === 'toml') tomlCases.push({ before, after: out.text });
    else
      pyCases.push({ before, after: out.text, values, ...(target.learningRate !== undefined ? { lr: target.learningRate } : {}), added: out.added.length > 0 });
  }
  const toml = pythonRead(
    'toml',
    tomlCases.flatMap((c) => [c.before, c.after]),
  );
  tomlCases.forEach((c, i) => {
    for (const p of differingPaths(toml[2 * i], toml[2 * i + 1])) assert.ok(NAMES.has(p[p.length - 1]), `toml: ${p.join('.')} changed`);
  });
  const py = pythonRead(
    'python',
    pyCases.flatMap((c) => [c.before, c.after]),
  ) as Array<{ consts: unknown[]; shape: string }>;
  pyCases.forEach((c, i) => {
    const [b, a] = [py[2 * i], py[2 * i + 1]];
    if (!c.added) assert.equal(a.shape, b.shape, 'only literals change when no key is added');
    // Literals that are new: position by position, or (a keyword was added, shifting them) those not in the old list.
    const old = [...b.consts];
    const fresh = c.added
      ? a.consts.filter((x) => (old.includes(x) ? (old.splice(old.indexOf(x), 1), false) : true))
      : a.consts.filter((x, k) => x !== b.consts[k]);
    for (const x of fresh)
      assert.ok(c.values.includes(x as number) || (c.lr !== undefined && closeTo(x, c.lr)), `python literal became ${JSON.stringify(x)}\n${c.after}`);
  });
  t.diagnostic(`${ok} written, ${refused} refused with a located error`);
  assert.ok(ok > 300 && refused > 50, `both outcomes are exercised (${ok} written, ${refused} refused)`);
});
