// Number formatting shared by the CLI table and the HTML report.

export function formatBytes(b: number | undefined): string {
  if (b === undefined || !Number.isFinite(b)) return '–';
  if (b >= 1e9) return `${(b / 1e9).toFixed(2)} GB`;
  if (b >= 1e6) return `${(b / 1e6).toFixed(1)} MB`;
  if (b >= 1e3) return `${(b / 1e3).toFixed(0)} kB`;
  return `${Math.round(b)} B`;
}

export function formatSeconds(s: number | undefined): string {
  if (s === undefined || !Number.isFinite(s)) return '–';
  if (s >= 3600) return `${(s / 3600).toFixed(1)} h`;
  if (s >= 120) return `${(s / 60).toFixed(1)} min`;
  return `${s.toFixed(1)} s`;
}

export function formatNumber(x: number | undefined, digits = 3): string {
  if (x === undefined) return '–';
  if (!Number.isFinite(x)) return String(x);
  if (Math.abs(x) >= 1000) return Math.round(x).toLocaleString('en-US');
  return Number(x.toPrecision(digits)).toString();
}

export function formatRate(x: number | undefined): string {
  return x === undefined ? '–' : `${formatNumber(x)}/s`;
}

/** 5.1k, 12k, 1.2M, 840: a count or rate in a narrow column (two or three significant digits). */
export function formatCompact(x: number | undefined): string {
  if (x === undefined) return '–';
  if (typeof x !== 'number' || !Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  if (a >= 1e6) return `${Number((x / 1e6).toPrecision(a >= 1e7 ? 3 : 2))}M`;
  if (a >= 1e3) return `${Number((x / 1e3).toPrecision(a >= 1e4 ? 3 : 2))}k`;
  return Number(x.toPrecision(3)).toString();
}
