// One installer at a time, across processes and clones (code-server in scripts/code-server.mjs,
// the Python test environment in scripts/setup-python.mjs): a directory lock — mkdir is atomic —
// with its owner's pid inside. A second installer waits for the first instead of doing the work
// twice; a lock whose owner is gone (no such process) or that is older than `staleMs` (an owner
// that hangs) is taken over.
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The lock's owner is gone: its pid names no live process, or the lock is older than staleMs. */
export function isStaleLock(lock, staleMs) {
  try {
    const pid = Number(readFileSync(join(lock, 'pid'), 'utf8'));
    if (pid > 0) process.kill(pid, 0);
  } catch (error) {
    if (error.code === 'ESRCH') return true;
    // No pid file yet (its owner is between mkdir and writing it) or EPERM (alive, another user): by age.
  }
  try {
    return Date.now() - statSync(lock).mtimeMs > staleMs;
  } catch {
    return false; // released meanwhile
  }
}

/**
 * Holds the directory lock `lock` and returns its release function; while another live process
 * holds it, says `waiting` through `log` every `pollMs` and waits.
 */
export async function acquireLock(lock, { staleMs, log = console.log, waiting = 'another process holds the lock; waiting…', pollMs = 5000 }) {
  const release = () => rmSync(lock, { recursive: true, force: true });
  for (;;) {
    try {
      mkdirSync(lock);
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
      if (isStaleLock(lock, staleMs)) {
        release(); // an installer that died
        continue;
      }
      log(waiting);
      await sleep(pollMs);
      continue;
    }
    try {
      writeFileSync(join(lock, 'pid'), String(process.pid));
    } catch (error) {
      release(); // a lock nobody could tell is ours would block the others until it is stale
      throw error;
    }
    return release;
  }
}
