// Export Study Report: writes a stored study as a Markdown report next to the study (or where the
// person chooses) and opens it.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { StudyRecord } from '../core/study/types';
import { errorMessage, type Ctx } from './ctx';

export interface ExportResult {
  file?: string;
  error?: string;
}

export async function exportStudyReport(ctx: Ctx, studyFile: string, target?: string): Promise<ExportResult> {
  let record: StudyRecord;
  try {
    record = await ctx.studies.readStudy(studyFile);
  } catch (err) {
    const error = `cannot read the study ${studyFile}: ${errorMessage(err)}`;
    void vscode.window.showErrorMessage(`Batch Tuner: ${error}`);
    return { error };
  }
  let file = target;
  if (!file) {
    const suggested = vscode.Uri.file(studyFile.replace(/\.study\.jsonl$|\.jsonl$/, '') + '.report.md');
    const chosen = await vscode.window.showSaveDialog({ defaultUri: suggested, filters: { Markdown: ['md'] }, title: 'Batch Tuner: Export Study Report' });
    if (!chosen) return {};
    file = chosen.fsPath;
  }
  const uri = vscode.Uri.file(file);
  await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(studyReportMarkdown(record)));
  ctx.log.info(`exported the study ${record.id} to ${file}`);
  if (!target) await vscode.commands.executeCommand('markdown.showPreview', uri).then(undefined, () => vscode.window.showTextDocument(uri));
  return { file };
}

const fmt = (x: number | undefined, digits = 3) => (x === undefined || !Number.isFinite(x) ? '—' : x.toPrecision(digits));
const mib = (x: number | undefined) => (x === undefined ? '—' : `${(x / 2 ** 20).toFixed(1)} MiB`);

/** The study as Markdown: the pick and why, alternatives, every candidate's evidence, every trial. */
export function studyReportMarkdown(r: StudyRecord): string {
  const lines: string[] = [];
  const rec = r.recommendation;
  lines.push(`# Batch size study: ${path.basename(r.start.configPath)}`, '');
  lines.push(`- Config: \`${r.start.configPath}\``, `- Started: ${r.startedAt}${r.endedAt ? `, ended ${r.endedAt}` : ''} (${r.status}${r.reason ? `: ${r.reason}` : ''})`);
  lines.push(`- Current: batch size ${r.start.currentBatchSize}, learning rate ${r.start.currentLearningRate} (${r.start.optimizer}), ${r.start.datasetSize} training samples`);
  lines.push(`- Settings: batch sizes ${r.start.settings.minBatchSize}–${r.start.settings.maxBatchSize}, budget ${r.start.settings.budgetSeconds} s, lr rule ${r.start.settings.lrRule}${r.start.settings.memoryLimitBytes ? `, memory limit ${mib(r.start.settings.memoryLimitBytes)}` : ''}`, '');
  if (rec) {
    lines.push('## Recommendation', '');
    lines.push(`**Batch size ${rec.batchSize}**, learning rate ${fmt(rec.learningRate)} — predicted **${rec.speedupVsCurrent.toFixed(2)}x** faster to the target loss than ${rec.current.batchSize}.`, '');
    if (rec.noiseScale) lines.push(`Gradient noise scale B_noise ≈ ${Math.round(rec.noiseScale.value)} (interval ${Math.round(rec.noiseScale.low)}–${Math.round(rec.noiseScale.high)}; McCandlish et al. 2018).`, '');
    const alt = rec.alternatives;
    const rows = [
      ['Largest that fits', alt.largestThatFits],
      ['Highest throughput', alt.maxThroughput],
      ['Most sample-efficient', alt.mostSampleEfficient],
    ] as const;
    lines.push('| Alternative | Batch size | Learning rate | Samples/s | Predicted time to target | Why |', '|---|---|---|---|---|---|');
    for (const [name, c] of rows) if (c) lines.push(`| ${name} | ${c.batchSize} | ${fmt(c.learningRate)} | ${fmt(c.samplesPerSecond, 4)} | ${fmt(c.predictedTimeToTarget)} s | ${c.reason} |`);
    lines.push('', '### Candidates', '', '| Batch size | Status | Samples/s | Peak memory | Fits | Goodput | Predicted time | Measured loss |', '|---|---|---|---|---|---|---|---|');
    for (const c of rec.candidates)
      lines.push(`| ${c.batchSize} | ${c.status} | ${fmt(c.samplesPerSecond, 4)} | ${mib(c.peakMemoryBytes)} | ${c.fits ? 'yes' : 'no'} | ${fmt(c.goodput)} | ${fmt(c.predictedTimeToTarget)} | ${fmt(c.measuredLoss)}${c.measuredLossSpread ? ` ± ${fmt(c.measuredLossSpread, 2)}` : ''} |`);
    if (rec.evidence.notes.length > 0) lines.push('', '### Notes', '', ...rec.evidence.notes.map((n) => `- ${n}`));
    if (rec.schedule) lines.push('', '### Batch-size schedule', '', `${rec.schedule.description}${rec.schedule.speedupVsBestFixed ? ` (predicted ${rec.schedule.speedupVsBestFixed.toFixed(2)}x faster than the best fixed size)` : ''}`);
    lines.push('');
  } else {
    lines.push('No recommendation was made.', '');
  }
  lines.push('## Trials', '', '| Trial | Phase | Batch size | Learning rate | Status | Samples/s | Peak memory | Final loss | Wall time |', '|---|---|---|---|---|---|---|---|---|');
  for (const t of r.trials)
    lines.push(`| ${t.id} | ${t.phase} | ${t.batchSize} | ${fmt(t.learningRate)} | ${t.status}${t.error ? ` (${t.error.message.replace(/\|/g, '\\|').slice(0, 80)})` : ''} | ${fmt(t.samplesPerSecond, 4)} | ${mib(t.peakMemoryBytes)} | ${fmt(t.finalLoss)} | ${t.wallSeconds.toFixed(1)} s |`);
  if (r.warnings.length > 0) lines.push('', '## Warnings', '', ...r.warnings.map((w) => `- ${w}`));
  lines.push('', `_Study file: \`${r.file}\`_`, '');
  return lines.join('\n');
}
