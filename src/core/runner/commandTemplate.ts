// A training command template (`${python} train.py --config ${config} --max-steps ${steps}`)
// parsed into argv WITHOUT a shell: quotes and escapes are honoured the way a POSIX shell
// reads them, and placeholders are substituted per argument, so a value with spaces (a path
// like "/home/me/My Models/cfg.yaml") stays one argument and nothing in it is interpreted.

/** The values a template may name. */
export interface PlaceholderValues {
  config: string;
  batchSize: number;
  learningRate: number;
  steps?: number;
  seed: number;
  workspaceFolder?: string;
  python: string;
  trialId?: string;
  metrics?: string;
  /** Where the trial saves its state when it ends or is asked (issue 11). */
  checkpoint?: string;
  /** A saved state to start from; the empty string when there is none. */
  resume?: string;
  /** Data-parallel workers. */
  worldSize?: number;
  /** Micro-batches accumulated per optimizer step. */
  accumulationSteps?: number;
  /** Samples per micro-batch per worker: batchSize / (accumulationSteps x worldSize). */
  microBatchSize?: number;
}

export const PLACEHOLDERS: ReadonlyArray<keyof PlaceholderValues> = [
  'config', 'batchSize', 'learningRate', 'steps', 'seed', 'workspaceFolder', 'python', 'trialId', 'metrics',
  'checkpoint', 'resume', 'worldSize', 'accumulationSteps', 'microBatchSize',
];

/**
 * A value for every placeholder, for checking a template before any trial exists (the command
 * prompt's validation): a template valid with these names only placeholders a trial can fill.
 */
export const EXAMPLE_PLACEHOLDER_VALUES: Readonly<Required<PlaceholderValues>> = {
  config: 'config.yaml',
  batchSize: 32,
  learningRate: 0.001,
  steps: 100,
  seed: 0,
  workspaceFolder: '.',
  python: 'python3',
  trialId: 'trial',
  metrics: 'metrics.jsonl',
  checkpoint: 'checkpoint.pt',
  resume: '',
  worldSize: 1,
  accumulationSteps: 1,
  microBatchSize: 32,
};

export class CommandTemplateError extends Error {
  constructor(message: string, readonly template: string, readonly column?: number) {
    super(message);
    this.name = 'CommandTemplateError';
  }
}

/**
 * Splits a template into words. Single quotes keep everything literally; double quotes keep
 * spaces and allow \" and \\; outside quotes a backslash escapes only whitespace, quotes,
 * a backslash or `$` — so Windows paths like C:\Python\python.exe survive unquoted.
 */
export function splitCommandTemplate(template: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let i = 0;
  const n = template.length;
  while (i < n) {
    const c = template[i];
    if (c === "'") {
      const end = template.indexOf("'", i + 1);
      if (end < 0) throw new CommandTemplateError(`unterminated single quote at column ${i + 1} of the command "${template}": add the closing '`, template, i + 1);
      word += template.slice(i + 1, end);
      inWord = true;
      i = end + 1;
    } else if (c === '"') {
      let j = i + 1;
      let closed = false;
      while (j < n) {
        const d = template[j];
        if (d === '\\' && j + 1 < n && (template[j + 1] === '"' || template[j + 1] === '\\' || template[j + 1] === '$')) {
          word += template[j + 1];
          j += 2;
        } else if (d === '"') {
          closed = true;
          j++;
          break;
        } else {
          word += d;
          j++;
        }
      }
      if (!closed) throw new CommandTemplateError(`unterminated double quote at column ${i + 1} of the command "${template}": add the closing "`, template, i + 1);
      inWord = true;
      i = j;
    } else if (c === '\\' && i + 1 < n && /[\s'"\\$]/.test(template[i + 1])) {
      word += template[i + 1];
      inWord = true;
      i += 2;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
      i++;
    } else {
      word += c;
      inWord = true;
      i++;
    }
  }
  if (inWord) words.push(word);
  return words;
}

const PLACEHOLDER_RE = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::([A-Za-z_][A-Za-z0-9_]*))?\}/g;

/** Replaces ${name} (and ${env:NAME}) in one argument. Unknown names are an error naming the known ones. */
export function substitutePlaceholders(text: string, values: PlaceholderValues, env: NodeJS.ProcessEnv = process.env, quote?: (s: string) => string): string {
  return text.replace(PLACEHOLDER_RE, (whole, name: string, envName: string | undefined) => {
    if (name === 'env' && envName) return quoteIf(env[envName] ?? '', quote);
    if (!(PLACEHOLDERS as readonly string[]).includes(name)) {
      throw new CommandTemplateError(
        `unknown placeholder ${whole} in the command "${text}": use one of ${PLACEHOLDERS.map((p) => '${' + p + '}').join(', ')} or \${env:NAME}`,
        text,
      );
    }
    const value = values[name as keyof PlaceholderValues];
    if (value === undefined) {
      throw new CommandTemplateError(`the command uses ${whole} but this trial has no ${name}: remove it from the command or set it`, text);
    }
    return quoteIf(String(value), quote);
  });
}

function quoteIf(s: string, quote?: (s: string) => string): string {
  return quote ? quote(s) : s;
}

/** POSIX single-quoting, for the opt-in shell mode (values must not be re-interpreted by the shell). */
export function shellQuote(s: string): string {
  if (/^[A-Za-z0-9_./:=@%+,-]+$/.test(s)) return s;
  if (process.platform === 'win32') return `"${s.replace(/"/g, '""')}"`;
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

export interface ResolvedCommand {
  /** The program to run (argv[0]). */
  file: string;
  args: string[];
  /** True when `file` is a shell given the whole command line (opt-in). */
  shell: boolean;
  /** The command as a person would type it (for messages and logs). */
  display: string;
}

/**
 * Builds the command for one trial. Without a shell: argv, placeholders substituted per word.
 * With `shell: true`: the template goes to the shell with each substituted value quoted.
 */
export function resolveCommand(template: string, values: PlaceholderValues, opts: { shell?: boolean; env?: NodeJS.ProcessEnv } = {}): ResolvedCommand {
  if (!template.trim()) throw new CommandTemplateError('the training command is empty: set tuner.command in the config or batchTuner.command in the settings', template);
  if (opts.shell) {
    const line = substitutePlaceholders(template, values, opts.env, shellQuote);
    const isWin = process.platform === 'win32';
    return { file: isWin ? process.env.ComSpec ?? 'cmd.exe' : '/bin/sh', args: isWin ? ['/d', '/s', '/c', line] : ['-c', line], shell: true, display: line };
  }
  const words = splitCommandTemplate(template).map((w) => substitutePlaceholders(w, values, opts.env));
  if (words.length === 0 || words[0] === '') throw new CommandTemplateError(`the command "${template}" names no program`, template);
  return { file: words[0], args: words.slice(1), shell: false, display: words.map(shellQuote).join(' ') };
}
