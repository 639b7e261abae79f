// Turns whatever the training code threw into a structured TrialError.
import type { TrialError } from '../core/types';
import { isOutOfMemory } from '../core/runner/oom';

export function toTrialError(e: unknown): TrialError {
  const message = e instanceof Error ? e.message : String(e);
  const kind = (e as { kind?: unknown })?.kind === 'config' ? 'config' : isOutOfMemory(message) ? 'oom' : 'crash';
  return { kind, message: kind === 'oom' ? `out of memory: ${message}` : message };
}
