// Memory sizes as people write them, with one meaning everywhere (CLI, config, settings, panel):
// "2GB" = 2*10^9 bytes (decimal, SI), "2GiB" = 2*2^30 bytes (binary, IEC), plain bytes, or "80%"
// of physical memory. No Node imports: the webview may use this file too.

const UNIT_BYTES: Record<string, number> = {
  '': 1,
  b: 1,
  // Decimal (SI) units: 1 kB = 1000 B (IEC 80000-13).
  k: 1e3,
  kb: 1e3,
  m: 1e6,
  mb: 1e6,
  g: 1e9,
  gb: 1e9,
  t: 1e12,
  tb: 1e12,
  // Binary (IEC) units: 1 KiB = 1024 B.
  ki: 1024,
  kib: 1024,
  mi: 1024 ** 2,
  mib: 1024 ** 2,
  gi: 1024 ** 3,
  gib: 1024 ** 3,
  ti: 1024 ** 4,
  tib: 1024 ** 4,
};

/** A memory size as written: absolute bytes, or a share of the machine's physical memory. */
export type MemorySize = { bytes: number } | { percentOfPhysical: number };

const ACCEPTED = 'write bytes, a number with a unit, or a share of physical memory, e.g. "2GB" (2*10^9), "512MiB" (512*2^20), "1.5G", "80%"';

/** Reads a memory size without converting a percentage (that needs the machine): throws with the accepted forms. */
export function readMemorySize(x: string | number): MemorySize {
  if (typeof x === 'number') {
    if (!Number.isFinite(x) || x <= 0) throw new Error(`memory size must be a positive number of bytes (got ${x})`);
    return { bytes: Math.round(x) };
  }
  const percent = /^\s*([0-9]+(?:\.[0-9]+)?)\s*%\s*$/.exec(x);
  if (percent) {
    const p = Number(percent[1]);
    if (!(p > 0 && p <= 100)) throw new Error(`memory size ${JSON.stringify(x)} must be a share of physical memory above 0% and at most 100%`);
    return { percentOfPhysical: p };
  }
  const m = /^\s*([0-9]+(?:\.[0-9]+)?|\.[0-9]+)\s*([a-zA-Z]*)\s*$/.exec(x);
  const unit = m?.[2].toLowerCase();
  if (!m || unit === undefined || !(unit in UNIT_BYTES)) throw new Error(`memory size ${JSON.stringify(x)} is not understood: ${ACCEPTED}`);
  const bytes = Math.round(parseFloat(m[1]) * UNIT_BYTES[unit]);
  if (bytes <= 0) throw new Error(`memory size must be positive (got ${JSON.stringify(x)})`);
  return { bytes };
}

/**
 * Bytes in a memory size: a number of bytes, or a string such as "2GB" (2e9), "512MiB"
 * (512 * 2^20), "1.5 G", "4096", or "80%" of `totalMemoryBytes` (required for a percentage).
 * Throws with the accepted forms for anything else.
 */
export function parseMemorySize(x: string | number, totalMemoryBytes?: number): number {
  const size = readMemorySize(x);
  if ('bytes' in size) return size.bytes;
  if (totalMemoryBytes === undefined || !(totalMemoryBytes > 0)) {
    throw new Error(`memory size ${JSON.stringify(x)} is a share of physical memory, which is not known here: give bytes or a size such as "8GB"`);
  }
  return Math.floor((totalMemoryBytes * size.percentOfPhysical) / 100);
}
