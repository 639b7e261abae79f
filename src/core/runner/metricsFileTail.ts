// Follows the metrics file a script appends to: fs.watch for promptness, polling as the fallback
// (network filesystems, missed events). Reads are asynchronous, in bounded chunks, and yield to the
// event loop between chunks and after a bounded amount per wake-up, so a script writing as fast
// as it can never starves the host (the extension host's UI, the CLI's signal handlers).
import { watch, type FSWatcher } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { StringDecoder } from 'node:string_decoder';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';

const CHUNK_BYTES = 64 * 1024;
/** Read at most this much per wake-up; the rest on the next turn of the event loop. */
const BYTES_PER_WAKE = 1024 * 1024;

export class MetricsFileTail {
  private offset = 0;
  private handle?: FileHandle;
  private watcher?: FSWatcher;
  private timer?: NodeJS.Timeout;
  private reading?: Promise<void>;
  private pending = false;
  private stopped = false;
  private readonly decoder = new StringDecoder('utf8');
  private readonly buf = Buffer.alloc(CHUNK_BYTES);

  constructor(
    private readonly file: string,
    private readonly onText: (text: string) => void,
    private readonly pollMs = 200,
  ) {}

  start(): void {
    try {
      this.watcher = watch(this.file, () => this.wake());
      this.watcher.on('error', () => undefined);
    } catch {
      // Polling alone still works.
    }
    this.timer = setInterval(() => this.wake(), this.pollMs);
    this.timer.unref();
    this.wake();
  }

  /** Reads what was appended since the last read (one read at a time; a wake during a read queues one more). */
  private wake(): void {
    if (this.stopped && !this.reading) return;
    if (this.reading) {
      this.pending = true;
      return;
    }
    this.reading = this.readSome(BYTES_PER_WAKE)
      .catch(() => false)
      .then((more) => {
        this.reading = undefined;
        if ((more || this.pending) && !this.stopped) {
          this.pending = false;
          setImmediate(() => this.wake());
        }
      });
  }

  /** Reads up to `limit` bytes in chunks; true when it stopped at the limit with more to read. */
  private async readSome(limit: number): Promise<boolean> {
    if (!this.handle) {
      try {
        this.handle = await open(this.file, 'r');
      } catch {
        return false; // not created yet
      }
    }
    let read = 0;
    while (read < limit) {
      const { bytesRead } = await this.handle.read(this.buf, 0, CHUNK_BYTES, this.offset);
      if (bytesRead <= 0) return false;
      this.offset += bytesRead;
      read += bytesRead;
      this.onText(this.decoder.write(this.buf.subarray(0, bytesRead)));
      await yieldToEventLoop();
    }
    return true;
  }

  /** Stops following; reads whatever the script wrote before it ended (still in chunks, still yielding). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.watcher?.close();
    if (this.timer) clearInterval(this.timer);
    await this.reading;
    try {
      while (await this.readSome(BYTES_PER_WAKE));
    } catch {
      // The file went away: what was read is what there is.
    }
    const rest = this.decoder.end();
    if (rest) this.onText(rest);
    await this.handle?.close().catch(() => undefined);
    this.handle = undefined;
  }
}
