// The CLI's side of the one resolver: read the config named on the command line, resolve it with
// the flags as the run layer (the working directory is the workspace folder, so the CLI and VS
// Code find the same studies), and turn a failure into what the person reads (exit status 2).
import { readFileSync, statSync } from 'node:fs';
import { totalmem } from 'node:os';
import * as path from 'node:path';
import { formatDiagnostic } from '../core/config/diagnostics';
import { cliLayer, resolveStudy, type CliSettingArgs, type ResolvedStudy, type ResolveFailure } from '../core/resolve';
import { UsageError } from './args';

/** A config that cannot be used as given: `lines` are what to print (file:line:col: error: ...). */
export class ConfigProblem extends Error {
  constructor(readonly lines: string[]) {
    super(lines.join('\n'));
  }
}

/** Every problem of a config we could read, one per line; otherwise the one message (it names the flag or setting). */
function problemLines(f: ResolveFailure): string[] {
  return f.reason === 'invalid-config' && f.errors.length > 0 ? f.errors.map(formatDiagnostic) : [f.message];
}

/** Resolves `configArg` with the CLI flags; throws UsageError (no such file) or ConfigProblem. */
export function resolveForCli(configArg: string, args: CliSettingArgs, cwd = process.cwd()): ResolvedStudy {
  const file = path.resolve(cwd, configArg);
  let text: string;
  try {
    if (!statSync(file).isFile()) throw new UsageError(`${configArg}: is a folder, not a config file: check the path`);
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if (e instanceof UsageError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(code === 'ENOENT' ? `${configArg}: no such file: check the path` : `${configArg}: cannot read the config (${code ?? String(e)})`);
  }
  const r = resolveStudy({ file, text, run: cliLayer(args, cwd), machine: { totalMemoryBytes: totalmem() } });
  if (!r.ok) throw new ConfigProblem(problemLines(r));
  return r;
}
