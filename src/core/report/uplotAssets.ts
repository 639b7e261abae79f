// uPlot's JS and CSS, inlined into the report so it opens with no network. The bundles get them
// as build-time constants (scripts/build.mjs `define`), so dist/cli.js works alone; from the
// sources (tests, tsx) they are read from node_modules.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

declare const __BATCH_TUNER_UPLOT_JS__: string | undefined;
declare const __BATCH_TUNER_UPLOT_CSS__: string | undefined;

export interface UplotAssets {
  js: string;
  css: string;
}

let cached: UplotAssets | undefined;

/**
 * uPlot's banner names its home page with a URL; the report promises none (it opens offline and
 * links nowhere), so the banner keeps the name, version and licence without the scheme.
 */
export function withoutUrls(js: string): string {
  return js.replace(/^\/\*!\s*https?:\/\/github\.com\/leeoniya\/uPlot\s*\(v([\d.]+)\)\s*\*\//, '/*! uPlot v$1 (MIT), github.com/leeoniya/uPlot */');
}

export function uplotAssets(): UplotAssets {
  if (cached) return cached;
  if (typeof __BATCH_TUNER_UPLOT_JS__ === 'string' && typeof __BATCH_TUNER_UPLOT_CSS__ === 'string') {
    cached = { js: withoutUrls(__BATCH_TUNER_UPLOT_JS__), css: __BATCH_TUNER_UPLOT_CSS__ };
  } else {
    const dir = join(dirname(require.resolve('uplot/package.json')), 'dist');
    cached = { js: withoutUrls(readFileSync(join(dir, 'uPlot.iife.min.js'), 'utf8')), css: readFileSync(join(dir, 'uPlot.min.css'), 'utf8') };
  }
  return cached;
}
