// Reading and writing checkpoint files. A write goes to a fresh temporary file next to the
// target (exclusive create, random name, never following a link), is flushed to disk, then
// renamed over the target: a reader sees the old file or the new one, never half of one.
import { closeSync, constants, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import { CHECKPOINT_EXTENSION, CheckpointError, decodeCheckpoint, type SavedTensor } from './format';
import { validateCheckpointHeader, type CheckpointHeader } from './header';

export interface LoadedCheckpoint {
  file: string;
  header: CheckpointHeader;
  blobs: Map<string, SavedTensor>;
}

/** `<dir>/ckpt-step-000300.btckpt`: names sort in step order. */
export function periodicCheckpointPath(dir: string, step: number): string {
  return path.join(dir, `ckpt-step-${String(step).padStart(6, '0')}${CHECKPOINT_EXTENSION}`);
}

export function readCheckpointFile(file: string): LoadedCheckpoint {
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const what =
      code === 'ENOENT'
        ? 'no such checkpoint file: check the path (resumeFrom / --resume), or start without resuming'
        : code === 'EISDIR'
          ? 'is a folder: name one checkpoint file in it (e.g. its newest ckpt-step-*' + CHECKPOINT_EXTENSION + ')'
          : `cannot read the checkpoint (${code ?? (e as Error).message}): check its permissions`;
    throw new CheckpointError(`${file}: ${what}`);
  }
  const { header, blobs } = decodeCheckpoint(buf, file);
  const h = validateCheckpointHeader(header);
  if (typeof h === 'string') throw new CheckpointError(`${file}: the checkpoint's header is invalid (${h}); resume from another checkpoint`);
  return { file, header: h, blobs };
}

/** Writes `bytes` to `file` atomically (temp + fsync + rename), creating its folder. */
export function writeFileAtomic(file: string, bytes: Uint8Array): void {
  const dir = path.dirname(file);
  mkdirSync(dir, { recursive: true });
  const tmp = path.join(dir, `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0), 0o644);
  try {
    for (let off = 0; off < bytes.length;) off += writeSync(fd, bytes, off, bytes.length - off);
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, file);
  } catch (e) {
    try {
      closeSync(fd);
    } catch {
      /* already closed */
    }
    rmSync(tmp, { force: true });
    throw e;
  }
}
