// A small decoder kit for untrusted JSON (study files): each decoder checks one shape and returns
// a fresh value holding only the fields that shape has, or throws DecodeError naming the path.
// `obj<T>` takes one decoder per key of T, checked by the compiler against T itself, so a field
// added to a type without a decoder does not compile: the TypeScript type stays the one source
// of truth and this is its runtime check.
import { isObj } from '../guards';

export class DecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DecodeError';
  }
}

/** Decodes `x` (found at `path`, e.g. `recommendation.band.low`) or throws DecodeError. */
export type Decoder<T> = (x: unknown, path: string) => T;

/** One decoder per key of T (optional keys take `opt(...)`). */
export type Shape<T> = { [K in keyof T]-?: Decoder<T[K]> };

/** A value for an error message, cut short (never throws: decoded values are plain JSON). */
function show(x: unknown): string {
  const text =
    typeof x === 'string'
      ? JSON.stringify(x)
      : typeof x === 'number' || typeof x === 'boolean' || x === null
        ? String(x)
        : Array.isArray(x)
          ? 'a list'
          : isObj(x)
            ? 'an object'
            : 'nothing';
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

export function fail(path: string, what: string, x: unknown): never {
  throw new DecodeError(`${path} must be ${what} (got ${show(x)})`);
}

/** JSON has no NaN or Infinity: the writer stores them as strings (studyFile.ts), restored here. */
const NON_FINITE: Record<string, number> = { NaN: NaN, Infinity: Infinity, '-Infinity': -Infinity };

export const num: Decoder<number> = (x, path) => {
  if (typeof x === 'number') return x;
  if (typeof x === 'string' && x in NON_FINITE) return NON_FINITE[x];
  return fail(path, 'a number', x);
};

/** A batch size or another count: an integer >= 1 (at most 2^31, far above any batch). */
export const posInt: Decoder<number> = (x, path) =>
  typeof x === 'number' && Number.isInteger(x) && x >= 1 && x <= 2 ** 31 ? x : fail(path, 'an integer >= 1', x);

export const str: Decoder<string> = (x, path) => (typeof x === 'string' ? x : fail(path, 'a string', x));

export const bool: Decoder<boolean> = (x, path) => (typeof x === 'boolean' ? x : fail(path, 'true or false', x));

/** One of a fixed set of strings. */
export function oneOf<const T extends string>(values: readonly T[]): Decoder<T> {
  return (x, path) => ((values as readonly unknown[]).includes(x) ? (x as T) : fail(path, `one of ${values.join(', ')}`, x));
}

/** Absent (undefined; null too, which JSON writes for nothing) or T. */
export function opt<T>(d: Decoder<T>): Decoder<T | undefined> {
  return (x, path) => (x === undefined || x === null ? undefined : d(x, path));
}

/** null is a value here (an exit code of a process killed by a signal). */
export function nullable<T>(d: Decoder<T>): Decoder<T | null> {
  return (x, path) => (x === null ? null : d(x, path));
}

export function arr<T>(d: Decoder<T>): Decoder<T[]> {
  return (x, path) => (Array.isArray(x) ? x.map((item, i) => d(item, `${path}[${i}]`)) : fail(path, 'a list', x));
}

export function pair<T>(d: Decoder<T>): Decoder<[T, T]> {
  return (x, path) => (Array.isArray(x) && x.length === 2 ? [d(x[0], `${path}[0]`), d(x[1], `${path}[1]`)] : fail(path, 'a list of two', x));
}

/** An object with exactly the keys of T (others dropped; absent optional keys stay absent). */
export function obj<T>(shape: Shape<T>): Decoder<T> {
  const keys = Object.keys(shape) as Array<keyof T & string>;
  return (x, path) => {
    if (!isObj(x)) return fail(path, 'an object', x);
    const out: Partial<T> = {};
    for (const key of keys) {
      const v = shape[key](x[key], `${path}.${key}`);
      if (v !== undefined) out[key] = v;
    }
    return out as T;
  };
}
