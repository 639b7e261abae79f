// Which syntax a config or script is written in: by extension, else by sniffing the text.
import type { ConfigFormat, FormatOrFileName } from './types';

const BY_EXTENSION: Record<string, ConfigFormat> = {
  '.yaml': 'yaml',
  '.yml': 'yaml',
  '.json': 'json',
  '.jsonc': 'json',
  '.json5': 'json',
  '.toml': 'toml',
  '.py': 'python',
  '.pyw': 'python',
};

const FORMATS: readonly string[] = ['yaml', 'json', 'toml', 'python'];
/** How much of a text without a known extension is looked at to tell its format. */
const SNIFF_CHARS = 64 * 1024;

export function isConfigFormat(x: string): x is ConfigFormat {
  return FORMATS.includes(x);
}

function extensionOf(fileName: string): string {
  const base = fileName.replace(/^.*[\\/]/, '');
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(dot).toLowerCase() : '';
}

/** True for .jsonc and well-known JSON-with-comments files (VS Code's own settings, tsconfig). */
export function allowsJsonComments(fileName: string): boolean {
  const base = fileName.replace(/^.*[\\/]/, '').toLowerCase();
  return base.endsWith('.jsonc') || base.endsWith('.json5') || /^(tsconfig|jsconfig)(\..*)?\.json$/.test(base);
}

export function detectFormat(fileName: string, text?: string): ConfigFormat {
  const byExt = BY_EXTENSION[extensionOf(fileName)];
  if (byExt) return byExt;
  if (text === undefined) return 'yaml';
  // The head is enough to tell, and the text may be anything (a data file, megabytes long).
  const t = text.slice(0, SNIFF_CHARS).replace(/^\uFEFF/, '');
  const firstCode =
    t
      .split('\n')
      .map((l) => l.trim())
      .find((l) => l !== '' && !l.startsWith('#') && !l.startsWith('//')) ?? '';
  // A TOML table header ([tool.x]) also starts with a bracket; JSON arrays have commas or quotes.
  if (/^\[\[?\s*[A-Za-z0-9_-]+(\s*\.\s*[A-Za-z0-9_-]+)*\s*\]\]?\s*(#.*)?$/.test(firstCode)) return 'toml';
  if (/^[{[]/.test(t.trimStart())) return 'json';
  if (/^#!.*python/.test(t) || /^(import |from \S+ import |def |class )/m.test(t)) return 'python';
  if (/^\[[^\]]+\]\s*$/.test(firstCode) || /^[A-Za-z0-9_."-]+\s*=\s*\S/.test(firstCode)) return 'toml';
  return 'yaml';
}

/** A format given directly, or the one a file name implies. */
export function resolveFormat(formatOrFileName: FormatOrFileName, text?: string): ConfigFormat {
  return isConfigFormat(formatOrFileName) ? formatOrFileName : detectFormat(formatOrFileName, text);
}
