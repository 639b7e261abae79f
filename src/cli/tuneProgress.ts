// `batch-tuner tune`'s progress on stderr: a bar for the study and one for the running trial on
// a terminal, plain lines otherwise (CI logs), one line per finished trial either way.
import { MultiBar, Presets, type SingleBar } from 'cli-progress';
import type { StudyEvent } from '../core/study';
import { formatBytes, formatNumber } from '../core/report';

/** Progress on stderr: cli-progress bars on a terminal, plain lines otherwise (CI logs). */
export class TuneProgress {
  private readonly tty = process.stderr.isTTY === true;
  private multi?: MultiBar;
  private overall?: SingleBar;
  private trial?: SingleBar;
  private trialSeconds = 1;

  constructor(private readonly budget: number) {}

  on(e: StudyEvent): void {
    switch (e.type) {
      case 'plan':
        this.line(`plan: ${e.plan.summary}`);
        if (this.tty) {
          this.multi = new MultiBar(
            { stream: process.stderr, clearOnComplete: false, hideCursor: true, format: ' {bar} {percentage}% | {label}', barsize: 30 },
            Presets.shades_classic,
          );
          this.overall = this.multi.create(100, 0, { label: `study (${Math.round(this.budget)} s budget)` });
        }
        break;
      case 'warning':
        this.line(`warning: ${e.message}`);
        break;
      case 'phase':
        this.line(`[${e.phase}] ${e.message}`);
        this.overall?.update(Math.round(e.progress * 100), { label: `study: ${e.phase}` });
        break;
      case 'trial-start':
        this.trialSeconds = e.maxSeconds ?? 1;
        if (this.multi) {
          if (this.trial) this.multi.remove(this.trial);
          this.trial = this.multi.create(100, 0, { label: `${e.trialId} (batch ${e.batchSize}, lr ${formatNumber(e.learningRate, 3)}): starting` });
        }
        break;
      case 'step':
        // The trial's own clock against its time limit.
        this.trial?.update(Math.min(100, Math.round((100 * e.metrics.time) / this.trialSeconds)), {
          label: `${e.trialId}: step ${e.metrics.step}, loss ${formatNumber(e.metrics.loss, 3)}`,
        });
        break;
      case 'progress':
        this.overall?.update(Math.round(e.progress * 100), { label: `study: ${e.phase} · ${Math.round(e.elapsedSeconds)} of ${Math.round(this.budget)} s` });
        break;
      case 'trial-end': {
        const t = e.trial;
        this.trial?.update(100);
        this.line(
          `  ${t.id}: ${t.status}${t.samplesPerSecond !== undefined ? `, ${formatNumber(t.samplesPerSecond)} samples/s` : ''}${t.peakMemoryBytes !== undefined ? `, peak ${formatBytes(t.peakMemoryBytes)}` : ''}${t.finalValLoss !== undefined ? `, val loss ${formatNumber(t.finalValLoss, 4)}` : ''}${t.error ? ` (${t.error.message})` : ''}`,
        );
        break;
      }
      case 'noise-scale':
        this.line(
          `  B_noise ≈ ${formatNumber(e.estimate.value)} (90% interval ${formatNumber(e.estimate.low)}–${formatNumber(e.estimate.high)}), ${e.estimate.source === 'loss-curves' ? 'fitted to loss curves' : 'measured from gradient statistics'}`,
        );
        break;
      case 'done':
        this.overall?.update(100);
        this.multi?.stop();
        break;
      default:
        break;
    }
  }

  private line(s: string): void {
    if (this.multi) this.multi.log(s + '\n');
    else process.stderr.write(s + '\n');
  }
}
