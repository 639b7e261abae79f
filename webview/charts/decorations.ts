// What a chart draws besides its lines, on uPlot's canvas: shaded x ranges behind the series (the
// near-optimal band) and vertical error bars in front (the IQR of measured throughput, the
// interval of the critical batch size). Drawn in uPlot's hooks, so they follow zoom and resize.
import type uPlot from 'uplot';

export interface XRange {
  from: number;
  to: number;
  /** A translucent fill (rgba). */
  color: string;
  /** Written at the top of the range. */
  label?: string;
  labelColor?: string;
}

export interface Whisker {
  x: number;
  lo: number;
  hi: number;
  color: string;
}

export interface Decorations {
  xRanges?: XRange[];
  whiskers?: Whisker[];
}

/** Behind the series (uPlot's drawClear hook: after the canvas is cleared). */
export function drawXRanges(u: uPlot, ranges: readonly XRange[], font: string): void {
  if (ranges.length === 0) return;
  const { ctx, bbox } = u;
  ctx.save();
  ctx.beginPath();
  ctx.rect(bbox.left, bbox.top, bbox.width, bbox.height);
  ctx.clip();
  for (const r of ranges) {
    const a = u.valToPos(r.from, 'x', true);
    const b = u.valToPos(r.to, 'x', true);
    if (!Number.isFinite(a) || !Number.isFinite(b)) continue;
    // The part inside the plot: a range may start or end beyond the axis.
    const left = Math.max(bbox.left, Math.min(a, b));
    const right = Math.min(bbox.left + bbox.width, Math.max(a, b));
    if (right <= left) continue;
    ctx.fillStyle = r.color;
    ctx.fillRect(left, bbox.top, Math.max(1, right - left), bbox.height);
    if (r.label) {
      ctx.fillStyle = r.labelColor ?? r.color;
      ctx.font = font;
      ctx.textBaseline = 'top';
      // Centred on the visible part; a part narrower than the text starts it at the part's left edge.
      const fits = ctx.measureText(r.label).width + 4 <= right - left;
      ctx.textAlign = fits ? 'center' : 'left';
      ctx.fillText(r.label, fits ? (left + right) / 2 : left + 2, bbox.top + 4 * devicePixelRatioOf());
    }
  }
  ctx.restore();
}

/** In front of the series (uPlot's draw hook): a vertical bar from lo to hi with caps. */
export function drawWhiskers(u: uPlot, whiskers: readonly Whisker[]): void {
  if (whiskers.length === 0) return;
  const { ctx } = u;
  const px = devicePixelRatioOf();
  const cap = 4 * px;
  ctx.save();
  // uPlot leaves the last series' dash on the context.
  ctx.setLineDash([]);
  ctx.lineWidth = 1.25 * px;
  for (const w of whiskers) {
    const x = u.valToPos(w.x, 'x', true);
    const y0 = u.valToPos(w.lo, 'y', true);
    const y1 = u.valToPos(w.hi, 'y', true);
    if (![x, y0, y1].every(Number.isFinite)) continue;
    ctx.strokeStyle = w.color;
    ctx.beginPath();
    ctx.moveTo(x, y0);
    ctx.lineTo(x, y1);
    ctx.moveTo(x - cap, y0);
    ctx.lineTo(x + cap, y0);
    ctx.moveTo(x - cap, y1);
    ctx.lineTo(x + cap, y1);
    ctx.stroke();
  }
  ctx.restore();
}

function devicePixelRatioOf(): number {
  return typeof devicePixelRatio === 'number' && devicePixelRatio > 0 ? devicePixelRatio : 1;
}

/** `#rrggbb` (or `rgb(...)`) at `alpha`, for fills under lines of the same colour. */
export function withAlpha(color: string, alpha: number): string {
  const hex = /^#([0-9a-f]{6})$/i.exec(color.trim());
  if (hex) {
    const n = parseInt(hex[1], 16);
    return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
  }
  const rgb = /^rgba?\(\s*([\d.]+)[\s,]+([\d.]+)[\s,]+([\d.]+)/i.exec(color.trim());
  return rgb ? `rgba(${rgb[1]}, ${rgb[2]}, ${rgb[3]}, ${alpha})` : color;
}
