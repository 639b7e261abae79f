// The one resolver (issue 9): see ./types.ts for the contract and the precedence rule.
export type * from './types';
import type { ResolveInput, ResolveResult } from './types';

/** Config + layers -> study options, runner and provenance. Pure apart from `input.readText`. */
export function resolveStudy(input: ResolveInput): ResolveResult {
  void input;
  throw new Error('resolveStudy: not implemented yet (issue 9)');
}
