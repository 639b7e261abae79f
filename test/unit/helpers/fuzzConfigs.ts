// Config texts for fuzz-config.test.ts, per format: mutations of the repository's real configs,
// deep nesting in every style the format has, long flat files, and random token soup.
import type { ConfigFormat } from '../../../src/core/config';
import { MAX_CONFIG_NESTING } from '../../../src/core/config/limits';
import { mutate, seedFiles, type Rng } from './fuzz';

/** Tokens that carry each format's structure (what mutations insert and soup is made of). */
export const TOKENS: Record<ConfigFormat, readonly string[]> = {
  yaml: [
    '- ',
    ': ',
    '? ',
    '[',
    ']',
    '{',
    '}',
    ',',
    '&a ',
    '*a',
    '!!str ',
    '!!binary ',
    '|',
    '>-',
    '#',
    '---\n',
    '...\n',
    '%YAML 1.2\n',
    "'",
    '"',
    '\n  ',
    '\t',
    'batch_size: 64\n',
    'lr: 1e-3',
    '<<: *a',
    'model:\n  type: mlp\n',
  ],
  json: ['{', '}', '[', ']', ',', ':', '"', '"batch_size": 32', '"lr": 0.1', '//', '/*', '*/', 'true', 'null', '1e999', '-0', '\\"', '\\u00', '\n'],
  toml: [
    '[',
    ']',
    '[[',
    ']]',
    '{',
    '}',
    '=',
    '.',
    ',',
    '"',
    "'",
    '"""',
    "'''",
    '#',
    '\n',
    'batch_size = 8',
    'lr = 1e-3',
    'inf',
    'nan',
    '0x1F',
    '1979-05-27T07:32:00Z',
    'a.b.c',
  ],
  python: [
    '(',
    ')',
    '[',
    ']',
    '{',
    '}',
    ',',
    ':',
    '=',
    'batch_size=32',
    'lr=0.1',
    "'--batch-size'",
    'default=16',
    'add_argument(',
    'def f():\n    ',
    'class A:\n',
    '"""',
    "'''",
    'f"',
    'r"',
    '#',
    '\\\n',
    '\n',
    '    ',
    'lambda',
    '0x1_0',
    '1e-3j',
  ],
};

const NAMES = [
  'batch_size',
  'per_device_train_batch_size',
  'train_micro_batch_size_per_gpu',
  'gradient_accumulation_steps',
  'lr',
  'learning_rate',
  'devices',
  'num_nodes',
  'optimizer',
  'model',
  'data',
  'x',
];

/** One level of nesting, repeated `d` times around `inner`, in one of the format's styles. */
export function deep(format: ConfigFormat, d: number, r: Rng): string {
  const styles: Record<ConfigFormat, Array<() => string>> = {
    yaml: [
      () => 'batch_size: ' + '['.repeat(d) + ']'.repeat(d),
      () => 'x: ' + '{a: '.repeat(d) + '1' + '}'.repeat(d),
      () => '- '.repeat(d) + 'batch_size: 1',
      () => '? '.repeat(d) + 'a',
      () => 'a: ' + '['.repeat(d), // never closed
      () => Array.from({ length: Math.min(d, 400) }, (_, i) => ' '.repeat(i) + 'k:').join('\n') + ' 1',
      () => 'a: &a [1]\n' + 'b: [*a, '.repeat(d) + ']'.repeat(d),
    ],
    json: [
      () => '['.repeat(d) + ']'.repeat(d),
      () => '{"a":'.repeat(d) + '1' + '}'.repeat(d),
      () => '{"batch_size": 1, "x": ' + '[{"a":'.repeat(d),
      () => '/*[*/' + '[//\n'.repeat(d) + ']'.repeat(d),
    ],
    toml: [
      () => 'a = ' + '['.repeat(d) + ']'.repeat(d),
      () => 'a = ' + '{b = '.repeat(d) + '1' + '}'.repeat(d),
      () => 'lr = 1\n' + 'a.'.repeat(d) + 'batch_size = 1\n',
      () => '[' + 'a.'.repeat(d) + 'b]\nbatch_size = 2\n',
      () => 'a = [' + '"x", ['.repeat(d),
    ],
    python: [
      () => '('.repeat(d) + 'batch_size=1' + ')'.repeat(d),
      () => 'f(' + 'g(batch_size=1, '.repeat(d),
      () => 'p.add_argument('.repeat(d),
      () => 'f(' + 'batch_size=1, lr=2, '.repeat(d) + ')',
      () => 'd = {' + '"batch_size": 1, '.repeat(d) + '}',
      () => Array.from({ length: Math.min(d, 300) }, (_, i) => ' '.repeat(i) + 'def f():').join('\n') + '\n' + ' '.repeat(300) + 'batch_size = 1\n',
      () => 'x = """' + '\\'.repeat(d),
    ],
  };
  return r.pick(styles[format])();
}

/** A random tree of keys and values written in the format (batch-size names among the keys). */
export function randomDoc(format: ConfigFormat, r: Rng): string {
  const scalar = () => r.pick(['1', '64', '-3', '1e-3', '0.0', 'true', 'null', '"auto"', "'x'", '[1, 2]', 'inf', 'nan']);
  const lines: string[] = [];
  const n = 1 + r.int(30);
  for (let i = 0; i < n; i++) {
    const key = r.pick(NAMES);
    const depth = r.int(4);
    if (format === 'yaml') lines.push('  '.repeat(depth) + `${key}: ${r.chance(0.3) ? '' : scalar()}`);
    else if (format === 'toml') lines.push(r.chance(0.2) ? `[${Array.from({ length: depth + 1 }, () => r.pick(NAMES)).join('.')}]` : `${key} = ${scalar()}`);
    else if (format === 'python')
      lines.push(
        '    '.repeat(depth) + r.pick([`${key} = ${scalar()}`, `f(${key}=${scalar()})`, `p.add_argument('--${key}', default=${scalar()})`, `def ${key}():`]),
      );
    else lines.push(`"${key}": ${r.chance(0.3) ? '{' : scalar()}${r.chance(0.2) ? '}' : ''},`);
  }
  return format === 'json' ? `{${lines.join('\n')}}` : lines.join('\n') + '\n';
}

/** Token soup: structure without sense. */
export function soup(format: ConfigFormat, r: Rng): string {
  return Array.from({ length: 1 + r.int(200) }, () => r.pick(TOKENS[format])).join(r.chance(0.5) ? '' : ' ');
}

const EXT: Record<ConfigFormat, string[]> = { yaml: ['.yaml', '.yml'], json: ['.json', '.jsonc'], toml: ['.toml'], python: ['.py'] };

/**
 * `count` texts of `format`: 70% mutations of the repository's configs of that format (examples/,
 * test/fixtures/), 10% nesting at, just past and far past the limit, 10% random documents, 10% soup.
 */
export function* configInputs(root: string, format: ConfigFormat, count: number, r: Rng): Generator<{ label: string; input: string }> {
  const seeds = seedFiles(root, ['examples', 'test/fixtures'], EXT[format]);
  if (seeds.length === 0) throw new Error(`no seed files for ${format}`);
  // At most 4 KiB each (a config is a few): per-input times then compare; the size limit and the
  // worst shapes at it have a test of their own.
  const cut = (text: string) => text.slice(0, MAX_FUZZ_CHARS);
  for (let i = 0; i < count; i++) {
    const kind = r.int(10);
    const seed = r.pick(seeds);
    if (kind < 7) yield { label: `${format} #${i}: mutation of ${seed.name}`, input: cut(mutate(seed.text, r, TOKENS[format])) };
    else if (kind === 7) {
      const d = r.pick([MAX_CONFIG_NESTING, MAX_CONFIG_NESTING + 1, 10 + r.int(200), 1000 + r.int(2000)]);
      yield { label: `${format} #${i}: nesting ${d}`, input: cut(deep(format, d, r)) };
    } else if (kind === 8) yield { label: `${format} #${i}: random document`, input: randomDoc(format, r) };
    else yield { label: `${format} #${i}: token soup`, input: soup(format, r) };
  }
}

export const MAX_FUZZ_CHARS = 4 * 1024;
