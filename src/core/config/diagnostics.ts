// Diagnostics with exact positions, and the error a caller throws when a config is unusable.
import type { ConfigDiagnostic } from './types';

/** 0-based offset -> 1-based line/column, by binary search over line starts. */
export class LineIndex {
  private readonly starts: number[] = [0];
  constructor(readonly text: string) {
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) this.starts.push(i + 1);
  }
  /** 0-based line and character of an offset. */
  position(offset: number): { line: number; character: number } {
    const o = Math.max(0, Math.min(offset, this.text.length));
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid] <= o) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo, character: o - this.starts[lo] };
  }
  lineStart(line: number): number {
    return this.starts[Math.max(0, Math.min(line, this.starts.length - 1))];
  }
}

export function makeDiagnostic(
  index: LineIndex,
  file: string,
  offset: number,
  length: number,
  message: string,
  severity: 'error' | 'warning' = 'error',
): ConfigDiagnostic {
  const start = index.position(offset);
  const end = index.position(offset + Math.max(0, length));
  return {
    file,
    line: start.line + 1,
    column: start.character + 1,
    endLine: end.line + 1,
    endColumn: end.character + 1,
    offset,
    length: Math.max(0, length),
    severity,
    message,
  };
}

/** `file:line:col: error: message`, the form compilers print and terminals make clickable. */
export function formatDiagnostic(d: ConfigDiagnostic): string {
  return `${d.file}:${d.line}:${d.column}: ${d.severity}: ${d.message}`;
}

/** Thrown by loadTrainingConfig when a config has errors; `.message` lists them one per line. */
export class ConfigError extends Error {
  readonly diagnostics: ConfigDiagnostic[];
  constructor(diagnostics: ConfigDiagnostic[]) {
    super(diagnostics.map(formatDiagnostic).join('\n'));
    this.name = 'ConfigError';
    this.diagnostics = diagnostics;
  }
}
