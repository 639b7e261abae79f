// Memory sizes as people write them: 2GB (decimal, SI) or 2GiB (binary, IEC), or plain bytes.

const UNIT_BYTES: Record<string, number> = {
  '': 1,
  b: 1,
  // Decimal (SI) units: 1 kB = 1000 B (IEC 80000-13).
  k: 1e3, kb: 1e3,
  m: 1e6, mb: 1e6,
  g: 1e9, gb: 1e9,
  t: 1e12, tb: 1e12,
  // Binary (IEC) units: 1 KiB = 1024 B.
  ki: 1024, kib: 1024,
  mi: 1024 ** 2, mib: 1024 ** 2,
  gi: 1024 ** 3, gib: 1024 ** 3,
  ti: 1024 ** 4, tib: 1024 ** 4,
};

/**
 * Bytes in a memory size: a number of bytes, or a string such as "2GB" (2e9), "512MiB"
 * (512 * 2^20), "1.5 G", "4096". Throws with the accepted forms for anything else.
 */
export function parseMemorySize(x: string | number): number {
  if (typeof x === 'number') {
    if (!Number.isFinite(x) || x <= 0) throw new Error(`memory size must be a positive number of bytes (got ${x})`);
    return Math.round(x);
  }
  const m = /^\s*([0-9]+(?:\.[0-9]+)?|\.[0-9]+)\s*([a-zA-Z]*)\s*$/.exec(x);
  const unit = m?.[2].toLowerCase();
  if (!m || unit === undefined || !(unit in UNIT_BYTES)) {
    throw new Error(
      `memory size ${JSON.stringify(x)} is not understood: write bytes or a number with a unit, e.g. "2GB" (2*10^9), "512MiB" (512*2^20), "1.5G"`,
    );
  }
  const bytes = Math.round(parseFloat(m[1]) * UNIT_BYTES[unit]);
  if (bytes <= 0) throw new Error(`memory size must be positive (got ${JSON.stringify(x)})`);
  return bytes;
}
