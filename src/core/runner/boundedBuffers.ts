// Bounded buffers for what a trial writes: a flood of output must not grow memory without bound.
import { MAX_LINE_CHARS } from './metricsProtocol';

/** Splits a byte/char stream into lines (\n, \r\n or \r), capping each line's length. */
export class LineSplitter {
  private partial = '';
  private overlong = false;
  constructor(
    private readonly onLine: (line: string, truncated: boolean) => void,
    private readonly maxChars = MAX_LINE_CHARS,
  ) {}

  push(chunk: string): void {
    let from = 0;
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk.charCodeAt(i);
      if (c === 10 || c === 13) {
        this.append(chunk.slice(from, i));
        this.emit();
        from = i + 1;
      }
    }
    this.append(chunk.slice(from));
  }

  /** Emits a final line without a newline (the process ended mid-line). */
  flush(): void {
    if (this.partial || this.overlong) this.emit();
  }

  private append(s: string): void {
    if (this.overlong || !s) return;
    const room = this.maxChars - this.partial.length;
    if (s.length > room) {
      this.partial += s.slice(0, room);
      this.overlong = true;
    } else this.partial += s;
  }

  private emit(): void {
    const line = this.partial;
    const truncated = this.overlong;
    this.partial = '';
    this.overlong = false;
    if (line || truncated) this.onLine(line, truncated);
  }
}

/** The last N lines (each capped), for the error report's stderr tail. */
export class TailBuffer {
  private lines: string[] = [];
  constructor(
    private readonly maxLines = 40,
    private readonly maxLineChars = 2000,
  ) {}
  push(line: string): void {
    this.lines.push(line.length > this.maxLineChars ? `${line.slice(0, this.maxLineChars)}…` : line);
    if (this.lines.length > this.maxLines) this.lines.splice(0, this.lines.length - this.maxLines);
  }
  text(): string {
    return this.lines.join('\n');
  }
  get length(): number {
    return this.lines.length;
  }
}

/**
 * Keeps at most `cap` items: past the cap, every other kept item is dropped and only every
 * 2nd, 4th, ... new item is kept, so a long run keeps an evenly thinned history.
 */
export class BoundedHistory<T> {
  private items: Array<{ index: number; item: T }> = [];
  private stride = 1;
  private seen = 0;
  constructor(private readonly cap = 5000) {}
  push(item: T): void {
    const index = this.seen++;
    if (index % this.stride !== 0) return;
    this.items.push({ index, item });
    if (this.items.length >= this.cap) {
      // Keep every item whose arrival index is a multiple of the doubled stride: even spacing.
      this.stride *= 2;
      this.items = this.items.filter((x) => x.index % this.stride === 0);
    }
  }
  values(): T[] {
    return this.items.map((x) => x.item);
  }
}

/** Counts malformed lines and keeps a few examples, for one warning instead of thousands. */
export class MalformedCounter {
  count = 0;
  readonly examples: string[] = [];
  add(source: string, reason: string): void {
    this.count++;
    if (this.examples.length < 3) this.examples.push(`${source}: ${reason}`);
  }
  warning(): string | undefined {
    if (this.count === 0) return undefined;
    return `${this.count} malformed metrics line(s) ignored, e.g. ${this.examples.join('; ')}`;
  }
}
