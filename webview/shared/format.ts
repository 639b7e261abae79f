// Human-readable numbers for labels, legends and the recommendation card. Pure: unit-tested in node.
import { parseMemorySize } from '../../src/core/config/memorySize';

const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

/** 1536 -> "1.5 KiB"; binary units because memory limits are set against physical RAM. */
export function formatBytes(bytes: number | undefined): string {
  if (bytes === undefined || !Number.isFinite(bytes)) return '–';
  let v = Math.abs(bytes);
  let u = 0;
  while (v >= 1024 && u < BYTE_UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  const digits = u === 0 || v >= 100 ? 0 : v >= 10 ? 1 : 2;
  return `${bytes < 0 ? '-' : ''}${v.toFixed(digits)} ${BYTE_UNITS[u]}`;
}

/** Seconds -> "45 s", "2 min 30 s", "1 h 05 min". */
export function formatDuration(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds)) return '–';
  if (seconds < 10) return `${seconds.toFixed(1)} s`;
  if (seconds < 60) return `${Math.round(seconds)} s`;
  const total = Math.round(seconds);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (h > 0) return `${h} h ${String(m).padStart(2, '0')} min`;
  return s === 0 ? `${m} min` : `${m} min ${s} s`;
}

/** Compact counts: 950 -> "950", 12_300 -> "12.3k", 4_200_000 -> "4.2M". */
export function formatCount(n: number | undefined): string {
  if (n === undefined || !Number.isFinite(n)) return '–';
  const a = Math.abs(n);
  if (a >= 1e9) return `${(n / 1e9).toFixed(a >= 1e10 ? 0 : 1)}G`;
  if (a >= 1e6) return `${(n / 1e6).toFixed(a >= 1e7 ? 0 : 1)}M`;
  if (a >= 1e4) return `${(n / 1e3).toFixed(a >= 1e5 ? 0 : 1)}k`;
  if (a >= 100 || Number.isInteger(n)) return String(Math.round(n));
  return n.toPrecision(3);
}

/** Throughput as "5.9k samples/s". */
export function formatThroughput(samplesPerSecond: number | undefined): string {
  return samplesPerSecond === undefined || !Number.isFinite(samplesPerSecond) ? '–' : `${formatCount(samplesPerSecond)} samples/s`;
}

/** Learning rates span decades: 3 significant digits, exponent form below 1e-3. */
export function formatLearningRate(lr: number | undefined): string {
  if (lr === undefined || !Number.isFinite(lr)) return '–';
  if (lr !== 0 && Math.abs(lr) < 1e-3) return lr.toExponential(2).replace(/\.?0+e/, 'e');
  return String(Number(lr.toPrecision(3)));
}

/** Loss values: 4 significant digits, NaN/Infinity spelled out (a diverged run is a finding). */
export function formatLoss(loss: number | undefined): string {
  if (loss === undefined) return '–';
  if (Number.isNaN(loss)) return 'NaN (diverged)';
  if (!Number.isFinite(loss)) return loss > 0 ? '∞ (diverged)' : '-∞';
  return String(Number(loss.toPrecision(4)));
}

/** Speed-up factor: "2.1×"; "1.0×" means no gain. */
export function formatSpeedup(x: number | undefined): string {
  if (x === undefined || !Number.isFinite(x)) return '–';
  return `${x >= 10 ? x.toFixed(0) : x.toFixed(1)}×`;
}

/**
 * Parses what a person types into bytes with the one meaning used everywhere (core memorySize):
 * "2GB" = 2*10^9, "512 MiB" = 512*2^20, "1073741824", "50%" of `totalBytes`; undefined when unreadable.
 */
export function parseBytes(text: string, totalBytes?: number): number | undefined {
  try {
    return parseMemorySize(text, totalBytes);
  } catch {
    return undefined;
  }
}
