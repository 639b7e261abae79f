// Output of the integration suite. VS Code's extension host forwards console.log to the
// workbench (a browser page under code-server), not to a terminal, and does not let it be
// replaced; so lines also go to the file named by BATCH_TUNER_TEST_LOG, which the runner
// streams to its stdout. Tests print measurements (e.g. activation time) with testLog().
import { appendFileSync } from 'node:fs';

export function testLog(line: string): void {
  console.log(line);
  const logFile = process.env.BATCH_TUNER_TEST_LOG;
  if (!logFile) return;
  try {
    appendFileSync(logFile, line + '\n');
  } catch {
    // the runner already removed its temp folder: nobody is listening
  }
}
