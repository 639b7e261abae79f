// Command-line arguments through node:util parseArgs, with the messages a person can act on:
// each flag's value is checked by its own reader ("--budget expects a positive number (got ...)"),
// and parseArgs' own errors are reworded the same way. Usage errors exit with status 2.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { readMemorySize } from '../core/config/memorySize';
import { LR_RULES } from '../core/tuner/lrScaling';
import type { LrRule } from '../core/types';

export class UsageError extends Error {}

type Options = NonNullable<ParseArgsConfig['options']>;
/** Checks one flag's value (undefined: the flag was given without one) and converts it. */
export type Reader<T> = (value: string | undefined) => T;

const shown = (v: string | undefined) => (v === undefined ? 'nothing' : JSON.stringify(v));

export function positiveNumber(flag: string, integer: boolean, example = ''): Reader<number> {
  return (v) => {
    const n = Number(v);
    if (v === undefined || v.trim() === '' || !Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n)))
      throw new UsageError(`${flag} expects a positive ${integer ? 'integer' : 'number'}${example} (got ${shown(v)})`);
    return n;
  };
}

export function seedReader(flag: string): Reader<number> {
  return (v) => {
    const n = Number(v);
    if (v === undefined || v.trim() === '' || !Number.isInteger(n) || n < 0)
      throw new UsageError(`${flag} expects an integer >= 0 (got ${JSON.stringify(v ?? '')})`);
    return n;
  };
}

export function nonEmpty(message: string): Reader<string> {
  return (v) => {
    if (!v) throw new UsageError(message);
    return v;
  };
}

export function oneOf<T extends string>(flag: string, allowed: readonly T[]): Reader<T> {
  return (v) => {
    if (!(allowed as readonly string[]).includes(v ?? '')) {
      const list = `${allowed.slice(0, -1).join(', ')} or ${allowed[allowed.length - 1]}`;
      throw new UsageError(`${flag} expects ${list} (got ${JSON.stringify(v ?? '')})`);
    }
    return v as T;
  };
}

export const lrRuleReader: Reader<LrRule> = oneOf('--lr-rule', LR_RULES);

/** A memory size as written ("2GB", "512MiB", "80%", bytes): checked here, converted by the resolver. */
export const memoryLimitReader: Reader<string> = (v) => {
  if (v === undefined || v === '') throw new UsageError('--memory-limit expects a size, e.g. 2GB or 536870912');
  try {
    readMemorySize(v);
  } catch (e) {
    throw new UsageError(`--memory-limit: ${(e as Error).message}`);
  }
  return v;
};

/**
 * parseArgs refuses a value that starts with `-` (`--budget -3`) as ambiguous; passing it inline
 * (`--budget=-3`) lets the flag's own reader say what is wrong with it.
 */
function inlineDashValues(args: string[], options: Options): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const name = args[i].startsWith('--') ? args[i].slice(2) : undefined;
    if (name && options[name]?.type === 'string' && i + 1 < args.length && args[i + 1].startsWith('-')) out.push(`${args[i]}=${args[++i]}`);
    else out.push(args[i]);
  }
  return out;
}

/** parseArgs' error for a flag, in the flag's own words. */
function usageErrorOf(e: { code?: string; message: string }, options: Options, readers: Record<string, Reader<unknown>>): Error {
  const flag = /'(-{1,2}[^' <]+)/.exec(e.message)?.[1] ?? '';
  if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return new UsageError(`unknown option ${flag}`);
  if (e.code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') return new UsageError(e.message);
  const name = flag.replace(/^-+/, '');
  if (options[name]?.type === 'boolean') return new UsageError(`${flag} takes no value`);
  try {
    readers[name]?.(undefined);
  } catch (err) {
    return err as Error;
  }
  return new UsageError(`${flag} expects a value`);
}

export interface ParsedCommandLine {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

/** Flags and positionals, or 'help' when -h/--help is anywhere. Throws UsageError. */
export function parseCommandLine(args: string[], options: Options, readers: Record<string, Reader<unknown>>): ParsedCommandLine | 'help' {
  if (args.includes('-h') || args.includes('--help')) return 'help';
  try {
    const r = parseArgs({ args: inlineDashValues(args, options), options, allowPositionals: true, strict: true });
    return { values: r.values as ParsedCommandLine['values'], positionals: r.positionals };
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw usageErrorOf(e as { code?: string; message: string }, options, readers);
  }
}

/** The value of a string flag through its reader, or undefined when the flag is absent. */
export function read<T>(values: ParsedCommandLine['values'], name: string, reader: Reader<T>): T | undefined {
  const v = values[name];
  return v === undefined ? undefined : reader(typeof v === 'string' ? v : undefined);
}
