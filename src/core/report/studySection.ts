// The report's frame: the study's title and status (with what `interrupted` or `running` means),
// every trial with its error and stderr tail, the study's settings, and its warnings.
import type { StudyRecord } from '../study/types';
import { escaped, type SafeHtml } from './escape';
import { formatBytes, formatNumber, formatSeconds } from './format';
import { factTable, table } from './markup';

const STATUS_CLASS = new Set(['completed', 'failed', 'stopped', 'running', 'interrupted']);

/** What a status means for the numbers below it (none for a completed study). */
const STATUS_MEANING = new Map<string, string>(
  Object.entries({
    interrupted:
      'The study was interrupted: its process ended without finishing (no end record). What it measured until then is shown; a recommendation, if any, was made before the interruption and may rest on fewer trials than planned.',
    running: 'The study has no end record: it is still running, or its process died. The numbers below are what it had measured when this report was written.',
    stopped: 'The study was stopped before its budget ran out: the numbers below rest on the trials that finished.',
    failed: 'The study failed.',
  }),
);

export function studyName(r: StudyRecord): string {
  const path = String(r.start.configPath);
  return path.split(/[\\/]/).pop() || path;
}

export function studyHeader(r: StudyRecord): SafeHtml {
  const status = String(r.status);
  const cls = STATUS_CLASS.has(status) ? `status-${status}` : 'status-unknown';
  const meaning = STATUS_MEANING.get(status);
  const skipped =
    r.skippedLines > 0
      ? escaped`<div class="banner">${r.skippedLines} line${r.skippedLines === 1 ? '' : 's'} of the study file could not be read and ${r.skippedLines === 1 ? 'was' : 'were'} skipped.</div>`
      : '';
  return escaped`<h1>Batch Tuner study — ${studyName(r)}</h1>
<div class="muted">${r.start.configPath} · started ${r.startedAt}${r.endedAt ? ` · ended ${r.endedAt}` : ''} · <span class="${cls}" data-testid="status">${status}</span>${r.reason ? ` — ${r.reason}` : ''}</div>
${meaning ? escaped`<div class="banner bad" data-testid="status-meaning">${meaning}</div>` : ''}
${skipped}`;
}

function trialStatus(t: StudyRecord['trials'][number]): SafeHtml {
  const e = t.error;
  if (!e) return escaped`${t.status}`;
  const tail = e.stderrTail ? escaped`<details><summary>stderr</summary><pre>${e.stderrTail}</pre></details>` : '';
  return escaped`${t.status}: ${e.message}${tail}`;
}

export function trialsSection(r: StudyRecord): SafeHtml {
  const rows = r.trials.map((t) => ({
    cells: [
      t.id,
      t.phase,
      t.batchSize,
      formatNumber(t.learningRate, 4),
      t.seed,
      trialStatus(t),
      formatNumber(t.samplesPerSecond),
      formatBytes(t.peakMemoryBytes),
      formatNumber(t.finalLoss, 4),
      formatNumber(t.finalValLoss, 4),
      formatSeconds(t.wallSeconds),
      formatSeconds(t.startupSeconds),
    ],
  }));
  const columns = [
    'trial',
    'phase',
    'batch size',
    'learning rate',
    'seed',
    'status',
    'samples/s',
    'peak memory',
    'final loss',
    'final val loss',
    'wall time',
    'start-up',
  ].map((head, i) => ({
    head,
    ...(i === 0 || i === 1 || i === 5 ? { text: true } : {}),
    ...(i >= 6 && i <= 11 ? { sub: 'measured' } : {}),
  }));
  return escaped`<h2>Trials</h2>${table(columns, rows)}`;
}

export function metadataSection(r: StudyRecord): SafeHtml {
  const s = r.start.settings;
  const backends = [...new Set(r.trials.map((t) => t.backend).filter(Boolean))].join(', ') || '–';
  const rows: Array<readonly [string, string]> = [
    ['study', String(r.id)],
    ['config', `${r.start.configPath}${r.start.configHash ? ` (sha256 ${r.start.configHash})` : ''}`],
    ['current', `batch ${r.start.currentBatchSize}, lr ${r.start.currentLearningRate}, ${r.start.optimizer}, ${r.start.datasetSize} training samples`],
    [
      'settings',
      `budget ${s.budgetSeconds} s, batch ${s.minBatchSize}–${s.maxBatchSize}, lr rule ${s.lrRule}, parallel ${s.parallel}, seed ${s.seed}${s.memoryLimitBytes !== undefined ? `, memory limit ${formatBytes(s.memoryLimitBytes)}` : ''}`,
    ],
    ['budget plan', r.plan?.summary ?? '–'],
    ['elapsed', formatSeconds(r.elapsedSeconds)],
    ['backend', backends],
    ['file', String(r.file)],
  ];
  const warnings = r.warnings.length > 0 ? escaped`<h2>Warnings</h2><ul>${r.warnings.map((w) => escaped`<li>${w}</li>`)}</ul>` : '';
  return escaped`<h2>Study</h2>${factTable(rows)}${warnings}`;
}
