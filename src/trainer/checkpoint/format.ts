// The checkpoint container: one file holding a JSON header and the raw tensors, with a checksum.
//   bytes 0..5   "BTCKPT"                      (magic)
//   bytes 6..7   uint16 LE format version      (CHECKPOINT_VERSION)
//   bytes 8..11  uint32 LE header length H
//   H bytes      header, UTF-8 JSON (what the run was; `blobs` lists the tensors; `payloadBytes`)
//   0..7 bytes   zero padding to a multiple of 8
//   payload      the tensors' little-endian float32/int32 data, each at an 8-aligned offset
//   32 bytes     SHA-256 of everything before it (a truncated or altered file fails it)
// The format is ours and versioned; nothing from a file is trusted before the checksum passes.
import { createHash } from 'node:crypto';
import { isObj } from '../../core/guards';

export const CHECKPOINT_MAGIC = 'BTCKPT';
export const CHECKPOINT_VERSION = 1;
export const CHECKPOINT_EXTENSION = '.btckpt';
const PREFIX = 12;
const DIGEST = 32;

export type SavedTensorData = Float32Array | Int32Array;

export interface SavedTensor {
  name: string;
  shape: number[];
  data: SavedTensorData;
}

interface BlobEntry {
  name: string;
  dtype: 'float32' | 'int32';
  shape: number[];
  /** Byte offset inside the payload. */
  offset: number;
  /** Elements. */
  length: number;
}

/** A problem with a checkpoint file that the person fixes (another file, another config): a `config` trial error. */
export class CheckpointError extends Error {
  readonly kind = 'config';
}

const align8 = (n: number) => Math.ceil(n / 8) * 8;
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest();

export function encodeCheckpoint(header: Record<string, unknown>, blobs: SavedTensor[]): Buffer {
  let offset = 0;
  const entries: BlobEntry[] = blobs.map((b) => {
    const e: BlobEntry = { name: b.name, dtype: b.data instanceof Int32Array ? 'int32' : 'float32', shape: b.shape, offset, length: b.data.length };
    offset = align8(offset + b.data.byteLength);
    return e;
  });
  const json = Buffer.from(JSON.stringify({ ...header, blobs: entries, payloadBytes: offset }), 'utf8');
  const start = align8(PREFIX + json.length);
  const out = Buffer.alloc(start + offset + DIGEST);
  out.write(CHECKPOINT_MAGIC, 0, 'ascii');
  out.writeUInt16LE(CHECKPOINT_VERSION, 6);
  out.writeUInt32LE(json.length, 8);
  json.copy(out, PREFIX);
  blobs.forEach((b, i) => out.set(new Uint8Array(b.data.buffer, b.data.byteOffset, b.data.byteLength), start + entries[i].offset));
  sha256(out.subarray(0, out.length - DIGEST)).copy(out, out.length - DIGEST);
  return out;
}

export interface DecodedCheckpoint {
  header: Record<string, unknown>;
  blobs: Map<string, SavedTensor>;
}

/** Reads a checkpoint's bytes; every failure is a CheckpointError naming `file` and what to do. */
export function decodeCheckpoint(buf: Buffer, file: string): DecodedCheckpoint {
  const fail = (what: string) => new CheckpointError(`${file}: ${what}`);
  const damaged = (what: string) =>
    fail(
      `${what}; the file is damaged (an interrupted copy or a full disk?): resume from another checkpoint, e.g. an earlier ckpt-step-*${CHECKPOINT_EXTENSION} in the same folder`,
    );
  if (buf.length < 8 || buf.toString('ascii', 0, 6) !== CHECKPOINT_MAGIC)
    return throwIt(fail(`not a Batch Tuner checkpoint (it does not start with "${CHECKPOINT_MAGIC}"); give a ${CHECKPOINT_EXTENSION} file the trainer wrote`));
  const version = buf.readUInt16LE(6);
  if (version !== CHECKPOINT_VERSION)
    return throwIt(
      fail(
        `checkpoint format version ${version}, but this Batch Tuner reads version ${CHECKPOINT_VERSION}${version > CHECKPOINT_VERSION ? ' (written by a newer Batch Tuner: update it)' : ''}`,
      ),
    );
  if (buf.length < PREFIX + DIGEST) return throwIt(damaged(`truncated: ${buf.length} bytes`));
  const headerLength = buf.readUInt32LE(8);
  const header = PREFIX + headerLength <= buf.length ? parseJson(buf.toString('utf8', PREFIX, PREFIX + headerLength)) : undefined;
  const payloadBytes = header?.payloadBytes;
  if (header && typeof payloadBytes === 'number') {
    const expected = align8(PREFIX + headerLength) + payloadBytes + DIGEST;
    if (buf.length < expected) return throwIt(damaged(`truncated: ${buf.length} of ${expected} bytes`));
    if (buf.length > expected) return throwIt(damaged(`${buf.length - expected} unexpected bytes after the end`));
  }
  if (!sha256(buf.subarray(0, buf.length - DIGEST)).equals(buf.subarray(buf.length - DIGEST)))
    return throwIt(damaged(header ? 'checksum mismatch' : 'truncated or corrupt (checksum mismatch)'));
  if (!header || typeof payloadBytes !== 'number') return throwIt(damaged('unreadable header'));
  const start = align8(PREFIX + headerLength);
  const blobs = new Map<string, SavedTensor>();
  for (const e of Array.isArray(header.blobs) ? (header.blobs as unknown[]) : []) {
    const b = readTensor(e, buf.subarray(start, start + payloadBytes));
    if (!b) return throwIt(damaged('a tensor entry in the header is malformed'));
    blobs.set(b.name, b);
  }
  return { header, blobs };
}

function readTensor(e: unknown, payload: Buffer): SavedTensor | undefined {
  const x = e as Partial<BlobEntry> | null;
  if (!x || typeof x.name !== 'string' || !Array.isArray(x.shape) || !x.shape.every((d) => Number.isInteger(d) && d >= 0)) return undefined;
  if (!Number.isInteger(x.offset) || !Number.isInteger(x.length) || x.offset! < 0 || x.length! < 0) return undefined;
  if (x.shape.reduce((a, d) => a * d, 1) !== x.length) return undefined;
  const end = x.offset! + x.length * 4;
  if (end > payload.length || (x.dtype !== 'float32' && x.dtype !== 'int32')) return undefined;
  // Copy into a fresh, aligned buffer: the file's bytes need not be 4-aligned in memory.
  const bytes = new Uint8Array(payload.subarray(x.offset, end));
  const data = x.dtype === 'int32' ? new Int32Array(bytes.buffer) : new Float32Array(bytes.buffer);
  return { name: x.name, shape: x.shape, data };
}

function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(text);
    return isObj(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

function throwIt(e: Error): never {
  throw e;
}
