// Numbers written back into configs: integers plain, learning rates short and exact-looking.

/**
 * `0.0014142135623730952` -> `0.0014142`; `1e-7` -> `1.0e-7` (a dot in the mantissa so PyYAML,
 * which follows YAML 1.1, reads it as a float and not a string); 128 -> `128`.
 */
export function formatConfigNumber(value: number, significantDigits = 5): string {
  if (!Number.isFinite(value)) throw new Error(`cannot write ${value} into a config: the value must be a finite number`);
  if (Number.isInteger(value) && Math.abs(value) < 1e15) return String(value);
  const short = String(Number(value.toPrecision(significantDigits)));
  const m = /^(-?\d+)(e[-+]\d+)$/.exec(short);
  return m ? `${m[1]}.0${m[2]}` : short;
}
