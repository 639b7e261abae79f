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

export function uplotAssets(): UplotAssets {
  if (cached) return cached;
  if (typeof __BATCH_TUNER_UPLOT_JS__ === 'string' && typeof __BATCH_TUNER_UPLOT_CSS__ === 'string') {
    cached = { js: __BATCH_TUNER_UPLOT_JS__, css: __BATCH_TUNER_UPLOT_CSS__ };
  } else {
    const dir = join(dirname(require.resolve('uplot/package.json')), 'dist');
    cached = { js: readFileSync(join(dir, 'uPlot.iife.min.js'), 'utf8'), css: readFileSync(join(dir, 'uPlot.min.css'), 'utf8') };
  }
  return cached;
}
