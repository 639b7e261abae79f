// Seeded generators and a timing harness for the fuzz tests (test/unit/fuzz-*.test.ts): every
// input is reproducible from the seed and its index, every exception is collected (not thrown),
// and each input is timed. An input slower than the bound is re-run twice and judged by its
// fastest run, so a GC pause or a busy machine is not mistaken for a super-linear input.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { seededRandom } from '../../../src/core/tuner';

export interface Rng {
  next(): number;
  int(n: number): number;
  pick<T>(items: readonly T[]): T;
  chance(p: number): boolean;
}

export function rng(seed: number): Rng {
  const r = seededRandom(seed);
  const int = (n: number) => Math.floor(r() * n);
  return { next: r, int, pick: (items) => items[int(items.length)], chance: (p) => r() < p };
}

export interface FuzzReport {
  inputs: number;
  failures: Array<{ label: string; error: string }>;
  slowestMs: number;
  slowestLabel: string;
  totalMs: number;
  /** Median and 99th percentile of the per-input times, ms. */
  p50Ms: number;
  p99Ms: number;
}

/** Generous: a linear parser takes well under 1 ms on these inputs; a super-linear one, seconds. */
export const PER_INPUT_BOUND_MS = 50;

function timed(fn: () => void): { ms: number; error?: unknown } {
  const t = performance.now();
  try {
    fn();
    return { ms: performance.now() - t };
  } catch (error) {
    return { ms: performance.now() - t, error };
  }
}

/** Runs `handle` on each input; collects exceptions and the slowest input (re-timed when over the bound). */
export function fuzz<T>(inputs: Iterable<{ label: string; input: T }>, handle: (input: T) => void): FuzzReport {
  const report: FuzzReport = { inputs: 0, failures: [], slowestMs: 0, slowestLabel: '', totalMs: 0, p50Ms: 0, p99Ms: 0 };
  const times: number[] = [];
  const started = performance.now();
  for (const { label, input } of inputs) {
    report.inputs++;
    let run = timed(() => handle(input));
    for (let retry = 0; retry < 2 && run.ms > PER_INPUT_BOUND_MS && !run.error; retry++) {
      const again = timed(() => handle(input));
      if (again.ms < run.ms) run = again;
    }
    if (run.error)
      report.failures.push({ label, error: run.error instanceof Error ? `${run.error.name}: ${run.error.message}`.slice(0, 300) : typeof run.error });
    times.push(run.ms);
    if (run.ms > report.slowestMs) {
      report.slowestMs = run.ms;
      report.slowestLabel = label;
    }
  }
  report.totalMs = performance.now() - started;
  times.sort((a, b) => a - b);
  report.p50Ms = times[Math.floor(times.length / 2)] ?? 0;
  report.p99Ms = times[Math.floor(times.length * 0.99)] ?? 0;
  return report;
}

export function summary(name: string, r: FuzzReport): string {
  const ms = (x: number) => `${x.toFixed(2)} ms`;
  return `${name}: ${r.inputs} inputs in ${(r.totalMs / 1000).toFixed(1)} s, ${r.failures.length} exceptions, median ${ms(r.p50Ms)}, p99 ${ms(r.p99Ms)}, slowest ${ms(r.slowestMs)} (${r.slowestLabel})`;
}

/** Characters that matter to one format or another, and some that matter to none. */
const ODD = [
  '\u0000',
  '\u0007',
  '\t',
  '\r',
  '\n',
  '\r\n',
  '\u00a0',
  '\u2028',
  '\ufeff',
  '\ufffd',
  '\ud800',
  '\udfff',
  '\u{1f600}',
  '\\',
  '\\u',
  '\\x',
  '"',
  "'",
  '`',
];

/** A random mutation of `text`: tokens inserted, ranges deleted, repeated (deep nesting) or scrambled. */
export function mutate(text: string, r: Rng, tokens: readonly string[]): string {
  let t = text;
  const ops = 1 + r.int(4);
  for (let k = 0; k < ops; k++) {
    const at = r.int(t.length + 1);
    const len = r.int(Math.min(40, t.length - at) + 1);
    switch (r.int(8)) {
      case 0:
        t = t.slice(0, at) + r.pick(tokens) + t.slice(at);
        break;
      case 1:
        t = t.slice(0, at) + t.slice(at + len);
        break;
      case 2:
        t = t.slice(0, at) + t.slice(at, at + len).repeat(2 + r.int(30)) + t.slice(at);
        break;
      case 3:
        t = t.slice(0, at) + r.pick(ODD) + t.slice(at);
        break;
      case 4:
        t = t.slice(0, at); // a file cut short
        break;
      case 5:
        t = t.slice(0, at) + String.fromCharCode(r.int(0x3000)) + t.slice(at + 1);
        break;
      case 6: {
        // Deep or long: one token repeated hundreds to thousands of times.
        t = t.slice(0, at) + r.pick(tokens).repeat(100 + r.int(900)) + t.slice(at);
        break;
      }
      default: {
        const other = r.int(t.length + 1);
        t = t.slice(0, Math.min(at, other)) + t.slice(Math.max(at, other)) + t.slice(Math.min(at, other), Math.max(at, other));
      }
    }
  }
  return t;
}

/** Text files under `dirs` (relative to the repo) whose names end with one of `exts`. */
export function seedFiles(root: string, dirs: string[], exts: string[]): Array<{ name: string; text: string }> {
  const out: Array<{ name: string; text: string }> = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (exts.some((e) => name.endsWith(e)) && statSync(p).size < 200_000) out.push({ name: relative(root, p), text: readFileSync(p, 'utf8') });
    }
  };
  for (const d of dirs) walk(join(root, d));
  return out.sort((a, b) => a.name.localeCompare(b.name));
}
