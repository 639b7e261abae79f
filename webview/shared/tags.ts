// The small tag beside a number that says how it was obtained: measured (read off real trials),
// fitted (a model fitted to them), assumed (a default, never a measurement), extrapolated (a size
// not run, or memory predicted beyond the profiled sizes). One look everywhere in the webviews.
import { BASIS_MEANING, headlineParts, type TaggedText } from '../../src/core/headline';
import type { Recommendation } from '../../src/core/types';
import { codicon, h } from './dom';

export type TagKind = 'measured' | 'fitted' | 'assumed' | 'extrapolated';

const MEANING: Record<TagKind, string> = {
  ...BASIS_MEANING,
  extrapolated: 'extrapolated: predicted for a batch size no trial ran, or beyond the largest one profiled',
};

export function tag(kind: TagKind): HTMLSpanElement {
  return h('span', { class: `basis-tag basis-${kind}`, title: MEANING[kind] }, kind);
}

function tagged(t: TaggedText | undefined, cls: string): HTMLElement | null {
  return t ? h('span', { class: cls }, t.text, ' ', tag(t.basis)) : null;
}

/**
 * The headline as elements, the words of core/headline.ts: the pick (its batch size in a <strong>
 * marked data-testid=rec-batch-size, unless the pick is a warm-up plan), the band, the speed-up or
 * what was assumed, separated by " · ".
 */
export function headlineElement(rec: Recommendation): HTMLElement {
  const p = headlineParts(rec);
  const size = String(rec.batchSize);
  const at = p.pick.endsWith(` ${size}`) ? p.pick.length - size.length : -1;
  const pick =
    at > 0
      ? h('span', { class: 'rec-pick' }, p.pick.slice(0, at), h('strong', { 'data-testid': 'rec-batch-size' }, size))
      : h('span', { class: 'rec-pick' }, h('strong', {}, p.pick));
  const pieces: HTMLElement[] = [pick];
  const band = tagged(p.band, 'rec-band');
  if (band) pieces.push(band);
  const speed = tagged(p.speedup, rec.speedupVsCurrent !== undefined && rec.speedupVsCurrent > 1.05 ? 'rec-speedup good' : 'rec-speedup');
  if (speed) pieces.push(speed);
  if (p.assumption)
    pieces.push(
      h('span', { class: 'rec-assumption', title: 'Nothing resting on an assumption is presented as a measurement' }, codicon('warning'), ` ${p.assumption}`),
    );
  const out = h('div', { class: 'rec-headline' }, codicon('lightbulb'));
  pieces.forEach((piece, i) => out.append(...(i > 0 ? [h('span', { class: 'sep', 'aria-hidden': 'true' }, ' · '), piece] : [piece])));
  return out;
}
