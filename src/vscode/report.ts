// Export Study Report: renders a stored study with the core report module (one self-contained
// HTML file with its charts, the same the CLI's --report writes) and offers to open it.
import * as vscode from 'vscode';
import type { StudyRecord } from '../core/study/types';
import { reportModule } from './coreModules';
import { errorMessage, type Host } from './ctx';
import type { StudyStore } from './studyStore';

export interface ExportResult {
  file?: string;
  error?: string;
}

export async function exportStudyReport(ctx: Host, store: StudyStore, studyFile: string, target?: string): Promise<ExportResult> {
  let record: StudyRecord;
  let html: string;
  try {
    record = await store.readStudy(studyFile);
    const { renderStudyReport } = await reportModule();
    html = renderStudyReport(record);
  } catch (err) {
    const error = `cannot export the study ${studyFile}: ${errorMessage(err)}`;
    ctx.log.error(error);
    void vscode.window.showErrorMessage(`Batch Tuner: ${error}`);
    return { error };
  }
  let file = target;
  if (!file) {
    const suggested = vscode.Uri.file(studyFile.replace(/\.study\.jsonl$|\.jsonl$/, '') + '.report.html');
    const chosen = await vscode.window.showSaveDialog({
      defaultUri: suggested,
      filters: { 'HTML report': ['html'] },
      title: 'Batch Tuner: Export Study Report',
    });
    if (!chosen) return {};
    file = chosen.fsPath;
  }
  const uri = vscode.Uri.file(file);
  await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(html));
  ctx.log.info(`exported the study ${record.id} to ${file}`);
  if (!target) {
    void vscode.window
      .showInformationMessage(`Batch Tuner: report written to ${vscode.workspace.asRelativePath(uri)}`, 'Open in Browser', 'Reveal in Explorer')
      .then((choice) => {
        if (choice === 'Open in Browser') void vscode.env.openExternal(uri);
        else if (choice === 'Reveal in Explorer') void vscode.commands.executeCommand('revealFileInOS', uri);
      });
  }
  return { file };
}
