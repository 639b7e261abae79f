// Colours for the canvas charts, read from VS Code's theme variables (a canvas cannot use CSS
// variables directly), and a notification when the theme changes (VS Code swaps the body class
// vscode-light / vscode-dark / vscode-high-contrast[-light] and the variables on <html>).
import { readableColor } from './color';

export interface ChartTheme {
  kind: 'light' | 'dark' | 'high-contrast' | 'high-contrast-light';
  foreground: string;
  muted: string;
  grid: string;
  border: string;
  background: string;
  fontFamily: string;
  fontSize: number;
  /** Series colours, from the --vscode-charts-* variables. */
  palette: string[];
  highlight: string;
}

function cssVar(name: string, fallback: string): string {
  const v = getComputedStyle(document.documentElement).getPropertyValue(name).trim() || getComputedStyle(document.body).getPropertyValue(name).trim();
  return v || fallback;
}

export function themeKind(): ChartTheme['kind'] {
  const c = document.body.classList;
  if (c.contains('vscode-high-contrast-light')) return 'high-contrast-light';
  if (c.contains('vscode-high-contrast')) return 'high-contrast';
  if (c.contains('vscode-light')) return 'light';
  return 'dark';
}

export function readChartTheme(): ChartTheme {
  const kind = themeKind();
  const light = kind === 'light' || kind === 'high-contrast-light';
  const foreground = cssVar('--vscode-foreground', light ? '#616161' : '#cccccc');
  const contrastBorder = cssVar('--vscode-contrastBorder', '');
  const background = cssVar('--vscode-editor-background', light ? '#ffffff' : '#1e1e1e');
  const series = (name: string, fallback: string) => readableColor(cssVar(name, fallback), background, foreground);
  return {
    kind,
    foreground,
    muted: cssVar('--vscode-descriptionForeground', foreground),
    // Grid lines: the chart-lines colour VS Code's own charts use, else a faint widget border.
    grid: cssVar('--vscode-charts-lines', light ? 'rgba(0,0,0,0.12)' : 'rgba(255,255,255,0.12)'),
    border: contrastBorder || cssVar('--vscode-panel-border', light ? '#e5e5e5' : '#2b2b2b'),
    background,
    fontFamily: cssVar('--vscode-font-family', 'system-ui, sans-serif'),
    fontSize: parseFloat(cssVar('--vscode-font-size', '13')) || 13,
    palette: [
      series('--vscode-charts-blue', '#3794ff'),
      series('--vscode-charts-orange', '#d18616'),
      series('--vscode-charts-green', '#89d185'),
      series('--vscode-charts-purple', '#b180d7'),
      series('--vscode-charts-red', '#f14c4c'),
      series('--vscode-charts-yellow', '#cca700'),
    ],
    highlight: readableColor(cssVar('--vscode-charts-foreground', foreground), background, foreground),
  };
}

/** Colour and dash for the i-th series: the palette cycles, later cycles dashed so lines stay distinguishable. */
export function seriesStyle(theme: Pick<ChartTheme, 'palette'>, index: number): { color: string; dash?: number[] } {
  const n = theme.palette.length;
  const cycle = Math.floor(index / n);
  const dashes: (number[] | undefined)[] = [undefined, [6, 3], [2, 2], [8, 3, 2, 3]];
  return { color: theme.palette[index % n], dash: dashes[cycle % dashes.length] };
}

/** Calls `onChange` when VS Code switches theme (body class or the variables on <html> change). */
export function onThemeChange(onChange: () => void): () => void {
  let last = document.body.className + '|' + (document.documentElement.getAttribute('style') ?? '');
  const check = () => {
    const now = document.body.className + '|' + (document.documentElement.getAttribute('style') ?? '');
    if (now !== last) {
      last = now;
      onChange();
    }
  };
  const observer = new MutationObserver(check);
  observer.observe(document.body, { attributes: true, attributeFilter: ['class'] });
  observer.observe(document.documentElement, { attributes: true, attributeFilter: ['style', 'class'] });
  return () => observer.disconnect();
}
