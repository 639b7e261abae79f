// At every start the CLI removes what an earlier Batch Tuner left behind when it was SIGKILLed or
// crashed (no cleanup of its own ran then): its trials' temp folders and the per-trial config
// copies next to this config. Only leftovers of processes that are gone are touched (leftovers.ts).
import * as path from 'node:path';
import { sweepStale } from '../core/runner';

/** Sweeps the temp folder and the config's folder; says on stderr what it removed or could not. */
export async function sweepAtStart(configArg: string, cwd = process.cwd()): Promise<void> {
  const report = await sweepStale({ configDirs: [path.dirname(path.resolve(cwd, configArg))] });
  if (report.removed.length) {
    process.stderr.write(`removed ${report.removed.length} leftover(s) of an earlier Batch Tuner run that was killed: ${report.removed.join(', ')}\n`);
  }
  for (const f of report.failed) process.stderr.write(`warning: could not remove the leftover ${f.path} (${f.error}): delete it yourself\n`);
}
