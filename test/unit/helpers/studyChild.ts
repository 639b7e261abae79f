// Starts studyWriterChild.ts in a process of its own: bundled once per test file with esbuild
// (plain `node` then starts it in ~50 ms, where tsx would take a second per process).
import { buildSync } from 'esbuild';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

let bundle: string | undefined;

export function studyChildBundle(): string {
  if (bundle) return bundle;
  const out = path.join(mkdtempSync(path.join(tmpdir(), 'bt-study-child-')), 'child.cjs');
  buildSync({
    entryPoints: [path.join(__dirname, 'studyWriterChild.ts')],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    outfile: out,
    logLevel: 'warning',
  });
  bundle = out;
  return out;
}

export interface StudyChild {
  child: ChildProcess;
  /** What follows `ready` once the child printed it (lines mode: the study file); '' if it exited first. */
  ready: Promise<string>;
  /** Everything it printed, and how it ended. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
}

export function startStudyChild(args: string[]): StudyChild {
  const child = spawn(process.execPath, [studyChildBundle(), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let onReady: (file: string) => void = () => undefined;
  const ready = new Promise<string>((resolve) => (onReady = resolve));
  child.stdout?.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
    const m = /^ready ?(.*)$/m.exec(stdout);
    if (m) onReady(m[1]);
  });
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  void exited.then(() => onReady(''));
  return { child, ready, exited };
}
