// Type guards for untrusted data (webview messages, metrics lines, study files, JSON configs):
// one definition of each, shared by every validator.

/** A plain object (not null, not an array): something whose keys can be read. */
export function isObj(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** A finite number. */
export function isFiniteNumber(x: unknown): x is number {
  return typeof x === 'number' && Number.isFinite(x);
}

/** A finite number > 0. */
export function isPositiveNumber(x: unknown): x is number {
  return isFiniteNumber(x) && x > 0;
}

/** An integer >= 1 (and at most `max`, 2^24 by default: no batch size or step count is larger). */
export function isPositiveInt(x: unknown, max = 1 << 24): x is number {
  return typeof x === 'number' && Number.isInteger(x) && x >= 1 && x <= max;
}
