#!/usr/bin/env node
// `npm run sandbox`: Batch Tuner in the offline code-server (a real VS Code in your browser),
// with examples/ open, until Ctrl-C. The extension is loaded from this repository as the
// extension under development, so `npm run watch` in another terminal + "Developer: Reload
// Window" picks up changes.
//   node scripts/sandbox.mjs [--port 8080] [--folder DIR]
// Env BATCH_TUNER_SANDBOX_UNTRUSTED=1 opens the folder in Restricted Mode.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { makeTempDir, repoRoot, startCodeServer, workbenchUrl } from './code-server.mjs';

const { values: options } = parseArgs({ options: { port: { type: 'string' }, folder: { type: 'string' } } });
if (!existsSync(join(repoRoot, 'dist', 'extension.js'))) {
  console.error('[sandbox] dist/extension.js is missing: run `npm run build` first (npm run sandbox does).');
  process.exit(1);
}
// Edits in the sandbox change the real examples/ unless --folder says otherwise: say so.
const folder = resolve(options.folder ?? join(repoRoot, 'examples'));
const state = makeTempDir('batch-tuner-sandbox-');
const server = await startCodeServer({
  workspace: folder,
  trusted: process.env.BATCH_TUNER_SANDBOX_UNTRUSTED !== '1',
  port: options.port ? Number(options.port) : undefined,
  userDataDir: join(state, 'user-data'),
  extensionsDir: join(state, 'extensions'),
  quiet: true,
});
const url = workbenchUrl(server, { folder, extensionDevelopmentPath: repoRoot });
console.log(`
Batch Tuner sandbox (code-server, VS Code with the extension from ${repoRoot})
  folder: ${folder}
  open:   ${url}

Ctrl-C stops it.`);

let stopping = false;
async function shutdown(code) {
  if (stopping) return;
  stopping = true;
  console.log('\n[sandbox] stopping code-server');
  await server.stop();
  const { rmSync } = await import('node:fs');
  rmSync(state, { recursive: true, force: true, maxRetries: 3 });
  process.exit(code);
}
process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));
process.on('SIGHUP', () => void shutdown(0));
server.process.on('exit', (code) => {
  if (stopping) return;
  console.error(`[sandbox] code-server exited (${code}):\n${server.output().slice(-3000)}`);
  void shutdown(1);
});
