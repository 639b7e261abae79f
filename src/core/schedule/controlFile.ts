// Host side of the control file an external training script polls (issue 5's protocol, optional).
// The host names a JSON file in the environment variable BATCH_TUNER_CONTROL and rewrites it
// whenever the schedule changes the batch size:
//   {"v":1,"batch_size":256,"learning_rate":0.002,"seq":3}
// The script re-reads it between steps and applies it when `seq` is higher than the last one it
// applied. Writes are atomic (temp file in the same folder, then rename), so a reader never sees
// half a file. Format: docs/dynamic-batching.md.
import { randomBytes } from 'node:crypto';
import { readFile, rename, unlink, writeFile } from 'node:fs/promises';

export const CONTROL_ENV = 'BATCH_TUNER_CONTROL';
export const CONTROL_VERSION = 1;

export interface ControlCommand {
  batch_size: number;
  learning_rate: number;
  /** Increases with every write; the script applies a command once, when seq exceeds the last applied. */
  seq: number;
}

export type ControlFileContent = ControlCommand & { v: 1 };

export function validateControl(x: unknown): { ok: true; value: ControlFileContent } | { ok: false; error: string } {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) return { ok: false, error: 'control file is not a JSON object' };
  const o = x as Record<string, unknown>;
  if (o.v !== CONTROL_VERSION) return { ok: false, error: `control file version ${String(o.v)} is not supported (expected ${CONTROL_VERSION})` };
  if (typeof o.batch_size !== 'number' || !Number.isInteger(o.batch_size) || o.batch_size < 1)
    return { ok: false, error: `control file: batch_size must be an integer >= 1 (got ${JSON.stringify(o.batch_size)})` };
  if (typeof o.learning_rate !== 'number' || !(o.learning_rate > 0) || !Number.isFinite(o.learning_rate))
    return { ok: false, error: `control file: learning_rate must be a positive number (got ${JSON.stringify(o.learning_rate)})` };
  if (typeof o.seq !== 'number' || !Number.isInteger(o.seq) || o.seq < 0)
    return { ok: false, error: `control file: seq must be an integer >= 0 (got ${JSON.stringify(o.seq)})` };
  return { ok: true, value: { v: 1, batch_size: o.batch_size, learning_rate: o.learning_rate, seq: o.seq } };
}

/** Writes the command atomically: a temp file next to `path`, then rename over it. */
export async function writeControl(path: string, command: ControlCommand): Promise<void> {
  const content: ControlFileContent = { v: 1, batch_size: command.batch_size, learning_rate: command.learning_rate, seq: command.seq };
  const checked = validateControl(content);
  if (!checked.ok) throw new Error(`writeControl(${path}): ${checked.error}`);
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(tmp, JSON.stringify(content) + '\n', 'utf8');
  // On Windows a rename over a file the script has open fails with EPERM/EBUSY for a moment: retry briefly.
  for (let attempt = 0; ; attempt++) {
    try {
      await rename(tmp, path);
      return;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (attempt >= 20 || (code !== 'EPERM' && code !== 'EBUSY' && code !== 'EACCES')) {
        await unlink(tmp).catch(() => undefined);
        throw new Error(`could not write the control file ${path}: ${(err as Error).message}`, { cause: err });
      }
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}

/** Reads the control file; undefined when it does not exist yet. Throws with the file name when it is malformed. */
export async function readControl(path: string): Promise<ControlFileContent | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new Error(`${path}: the control file is not valid JSON (${(err as Error).message})`, { cause: err });
  }
  const checked = validateControl(parsed);
  if (!checked.ok) throw new Error(`${path}: ${checked.error}`);
  return checked.value;
}
