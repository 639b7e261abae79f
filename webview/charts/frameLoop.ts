// Redraws at most once per animation frame and only when something changed, and reports to the
// host when points stamped with `sentAt` reached the screen (the latency benchmark), throttled.

export interface FrameStats {
  /** Milliseconds spent building and drawing the charts in one frame. */
  drawMs: number;
  chartsDrawn: number;
  /** No chart was left for a later frame: everything received so far is on screen. */
  complete: boolean;
}

/** Test/benchmark hook: a page may set `globalThis.__batchTunerFrameHook` to observe frames. */
type FrameHook = (stats: FrameStats) => void;

export class FrameLoop {
  private scheduled = false;
  private oldestUndrawnSentAt: number | undefined;
  /** The oldest points drawn since the last report: the worst latency of the window, not the best. */
  private pending: { sentAt: number; drawnAt: number } | undefined;
  private lastReport = 0;
  private reportTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    /** Draws what changed (within a frame budget); says how many charts it drew and whether some wait for the next frame. */
    private readonly render: () => { drawn: number; pending: boolean },
    private readonly reportDrawn: (sentAt: number, drawnAt: number) => void,
    private readonly reportEveryMs = 500,
  ) {}

  /** Data arrived (stamped `sentAt` by the host when it comes from a metrics message). */
  request(sentAt?: number): void {
    if (sentAt !== undefined && (this.oldestUndrawnSentAt === undefined || sentAt < this.oldestUndrawnSentAt)) this.oldestUndrawnSentAt = sentAt;
    if (this.scheduled) return;
    this.scheduled = true;
    requestAnimationFrame(() => this.frame());
  }

  private frame(): void {
    this.scheduled = false;
    const t0 = performance.now();
    const { drawn, pending } = this.render();
    // Charts left over for the frame budget: draw them next frame.
    if (pending) this.request();
    // uPlot commits its canvas work in a microtask: measure after it, so the time is the real draw.
    queueMicrotask(() => {
      const drawMs = performance.now() - t0;
      const hook = (globalThis as { __batchTunerFrameHook?: FrameHook }).__batchTunerFrameHook;
      if (hook && drawn > 0) hook({ drawMs, chartsDrawn: drawn, complete: !pending });
      // Points count as drawn once every chart showing them has drawn.
      if (!pending && this.oldestUndrawnSentAt !== undefined) {
        const sentAt = this.oldestUndrawnSentAt;
        this.oldestUndrawnSentAt = undefined;
        if (!this.pending || sentAt < this.pending.sentAt) this.pending = { sentAt, drawnAt: Date.now() };
        this.scheduleReport();
      }
    });
  }

  private scheduleReport(): void {
    if (this.reportTimer !== undefined) return;
    const wait = Math.max(0, this.lastReport + this.reportEveryMs - Date.now());
    this.reportTimer = setTimeout(() => {
      this.reportTimer = undefined;
      if (!this.pending) return;
      this.lastReport = Date.now();
      this.reportDrawn(this.pending.sentAt, this.pending.drawnAt);
      this.pending = undefined;
    }, wait);
  }
}
