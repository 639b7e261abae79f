// Series colours that stay readable on the theme's background. VS Code's --vscode-charts-*
// colours may carry transparency (e.g. charts.orange follows a translucent minimap colour), which
// over a dark background becomes a dim brown and over white a pale peach: lines drawn with them
// must be opaque and keep a contrast of at least 3:1 (WCAG 2.x, non-text graphics). Pure: unit-tested.

export interface Rgba {
  r: number;
  g: number;
  b: number;
  a: number;
}

/** Parses #rgb, #rgba, #rrggbb, #rrggbbaa, rgb() and rgba(); undefined for anything else. */
export function parseColor(text: string): Rgba | undefined {
  const s = text.trim().toLowerCase();
  let m = /^#([0-9a-f]{3,4}|[0-9a-f]{6}|[0-9a-f]{8})$/.exec(s);
  if (m) {
    let hex = m[1];
    if (hex.length <= 4) hex = [...hex].map((c) => c + c).join('');
    const n = (i: number) => parseInt(hex.slice(i, i + 2), 16);
    return { r: n(0), g: n(2), b: n(4), a: hex.length === 8 ? n(6) / 255 : 1 };
  }
  m = /^rgba?\(\s*([\d.]+)[\s,]+([\d.]+)[\s,]+([\d.]+)(?:[\s,/]+([\d.]+%?))?\s*\)$/.exec(s);
  if (m) {
    const alpha = m[4] === undefined ? 1 : m[4].endsWith('%') ? parseFloat(m[4]) / 100 : parseFloat(m[4]);
    return { r: +m[1], g: +m[2], b: +m[3], a: Math.min(1, Math.max(0, alpha)) };
  }
  return undefined;
}

export function toHex({ r, g, b }: Rgba): string {
  const h = (v: number) =>
    Math.round(Math.min(255, Math.max(0, v)))
      .toString(16)
      .padStart(2, '0');
  return `#${h(r)}${h(g)}${h(b)}`;
}

/** WCAG relative luminance. */
export function luminance({ r, g, b }: Rgba): number {
  const lin = (v: number) => {
    const c = v / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

export function contrastRatio(a: Rgba, b: Rgba): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

const mix = (a: Rgba, b: Rgba, t: number): Rgba => ({ r: a.r + (b.r - a.r) * t, g: a.g + (b.g - a.g) * t, b: a.b + (b.b - a.b) * t, a: 1 });

/**
 * The colour made opaque (its hue at full strength) and, if it still lacks `minContrast`
 * against the background, moved towards the foreground until it has it.
 * Unparseable input comes back unchanged (the browser may still understand it).
 */
export function readableColor(color: string, background: string, foreground: string, minContrast = 3): string {
  const c = parseColor(color);
  const bg = parseColor(background);
  const fg = parseColor(foreground);
  if (!c || !bg || !fg) return color;
  let out: Rgba = { ...c, a: 1 };
  for (let t = 0.1; contrastRatio(out, bg) < minContrast && t <= 1.0001; t += 0.1) out = mix({ ...c, a: 1 }, fg, t);
  return toHex(out);
}
