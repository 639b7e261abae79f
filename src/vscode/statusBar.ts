// A status bar item while a study or training run is going: phase and progress; click opens the panel.
import * as vscode from 'vscode';
import type { Ctx } from './ctx';
import type { Session } from './studyService';

export function registerStatusBar(ctx: Ctx): void {
  const item = ctx.push(vscode.window.createStatusBarItem('batchTuner.status', vscode.StatusBarAlignment.Left, 10));
  item.name = 'Batch Tuner';
  item.command = 'batchTuner.openPanel';
  let last = 0;
  const render = (s: Session) => {
    const pct = Math.round(Math.min(1, Math.max(0, s.progress)) * 100);
    const best = s.recommendation ? ` · pick ${s.recommendation.batchSize}` : '';
    item.text = `$(sync~spin) ${s.kind === 'tune' ? 'Tuning' : 'Training'}: ${s.phase} ${pct}%${best}`;
    const tip = new vscode.MarkdownString(
      `**Batch Tuner** — ${s.kind === 'tune' ? 'tuning' : 'training'} \`${s.label}\`\n\n${s.message}\n\n${s.trials.length} trial(s) done. Click to open the tuner panel.`,
    );
    tip.supportThemeIcons = true;
    item.tooltip = tip;
  };
  ctx.push(
    ctx.studies.onDidEvent((e) => {
      if (e.type === 'started') {
        render(e.session);
        item.show();
      } else if (e.type === 'ended') {
        item.hide();
      } else if (e.event.type !== 'step' || Date.now() - last > 500) {
        // Steps arrive hundreds of times a second; repaint at most twice a second for them.
        last = Date.now();
        render(e.session);
      }
    }),
  );
}
