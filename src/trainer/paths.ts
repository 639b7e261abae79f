import { existsSync } from 'node:fs';
import * as path from 'node:path';

/** Walks up from `start` to the folder holding package.json (the repo root when running from src). */
export function findRepoRoot(start: string): string | undefined {
  for (let d = path.resolve(start); ; d = path.dirname(d)) {
    if (existsSync(path.join(d, 'package.json'))) return d;
    if (path.dirname(d) === d) return undefined;
  }
}
