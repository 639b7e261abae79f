// A training command template (`${python} train.py --config ${config} --max-steps ${steps}`)
// parsed into argv WITHOUT a shell: quotes and escapes are honoured the way a POSIX shell
// reads them, and placeholders are substituted per argument, so a value with spaces (a path
// like "/home/me/My Models/cfg.yaml") stays one argument and nothing in it is interpreted.
// The opt-in shell mode passes values out of band (shellTemplate.ts). What is displayed or stored
// is the template as written: expanded values (a ${env:TOKEN}) only reach the spawned process.
import { shellScriptFor, UnsafePlaceholderError, type PlaceholderRef } from './shellTemplate';

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
  'config',
  'batchSize',
  'learningRate',
  'steps',
  'seed',
  'workspaceFolder',
  'python',
  'trialId',
  'metrics',
  'checkpoint',
  'resume',
  'worldSize',
  'accumulationSteps',
  'microBatchSize',
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
  constructor(
    message: string,
    readonly template: string,
    readonly column?: number,
  ) {
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
      if (end < 0)
        throw new CommandTemplateError(`unterminated single quote at column ${i + 1} of the command "${template}": add the closing '`, template, i + 1);
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
      if (!closed)
        throw new CommandTemplateError(`unterminated double quote at column ${i + 1} of the command "${template}": add the closing "`, template, i + 1);
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

/**
 * The environment variable that carries each placeholder's value too (externalCommand.ts sets
 * them; command-template.test checks they agree): what to write where a placeholder cannot go.
 */
export const PLACEHOLDER_ENV: Readonly<Partial<Record<keyof PlaceholderValues, string>>> = {
  config: 'BATCH_TUNER_CONFIG',
  batchSize: 'BATCH_TUNER_BATCH_SIZE',
  learningRate: 'BATCH_TUNER_LEARNING_RATE',
  steps: 'BATCH_TUNER_STEPS',
  seed: 'BATCH_TUNER_SEED',
  python: 'BATCH_TUNER_PYTHON',
  trialId: 'BATCH_TUNER_TRIAL_ID',
  metrics: 'BATCH_TUNER_METRICS',
  checkpoint: 'BATCH_TUNER_CHECKPOINT',
  resume: 'BATCH_TUNER_RESUME',
  worldSize: 'BATCH_TUNER_WORLD_SIZE',
  accumulationSteps: 'BATCH_TUNER_ACCUMULATION_STEPS',
  microBatchSize: 'BATCH_TUNER_MICRO_BATCH_SIZE',
};

/** One placeholder's value; unknown names are an error naming the known ones, as is a value this trial lacks. */
function placeholderValue(p: PlaceholderRef, values: PlaceholderValues, env: NodeJS.ProcessEnv, text: string): string {
  if (p.name === 'env' && p.envName) return env[p.envName] ?? '';
  if (!(PLACEHOLDERS as readonly string[]).includes(p.name)) {
    throw new CommandTemplateError(
      `unknown placeholder ${p.whole} in the command "${text}": use one of ${PLACEHOLDERS.map((x) => '${' + x + '}').join(', ')} or \${env:NAME}`,
      text,
    );
  }
  const value = values[p.name as keyof PlaceholderValues];
  if (value === undefined) {
    throw new CommandTemplateError(`the command uses ${p.whole} but this trial has no ${p.name}: remove it from the command or set it`, text);
  }
  return String(value);
}

function envNameOf(p: PlaceholderRef): string | undefined {
  return p.name === 'env' ? p.envName : PLACEHOLDER_ENV[p.name as keyof PlaceholderValues];
}

/** Replaces ${name} (and ${env:NAME}) in one argument (argv mode: the result is one argv entry, never shell text). */
export function substitutePlaceholders(text: string, values: PlaceholderValues, env: NodeJS.ProcessEnv = process.env): string {
  return text.replace(PLACEHOLDER_RE, (whole, name: string, envName: string | undefined) =>
    placeholderValue({ whole, name, ...(envName !== undefined ? { envName } : {}) }, values, env, text),
  );
}

export interface ResolvedCommand {
  /** The program to run (argv[0]). */
  file: string;
  args: string[];
  /** True when `file` is a shell given the whole command line (opt-in). */
  shell: boolean;
  /**
   * The command for messages, logs, study files and reports: the template as written, its
   * placeholders unexpanded, so that a `${env:TOKEN}` never lands in a log or a committed study.
   * The expanded command (file, args) is only spawned.
   */
  display: string;
  /** The program for "not found" messages: argv[0], unless a ${env:...} placeholder made it (then as written). */
  program: string;
}

/**
 * Builds the command for one trial. Without a shell: argv, placeholders substituted per word.
 * With `shell: true`: the template goes to /bin/sh with each placeholder replaced by a reference to
 * a positional parameter holding its value (shellTemplate.ts), never by the value itself.
 */
export function resolveCommand(template: string, values: PlaceholderValues, opts: { shell?: boolean; env?: NodeJS.ProcessEnv } = {}): ResolvedCommand {
  if (!template.trim())
    throw new CommandTemplateError('the training command is empty: set tuner.command in the config or batchTuner.command in the settings', template);
  const env = opts.env ?? process.env;
  const display = template.trim();
  if (opts.shell) return shellCommand(template, values, env);
  const words = splitCommandTemplate(template);
  const argv = words.map((w) => substitutePlaceholders(w, values, env));
  if (argv.length === 0 || argv[0] === '') throw new CommandTemplateError(`the command "${template}" names no program`, template);
  const program = /\$\{env:/.test(words[0]) ? words[0] : argv[0];
  return { file: argv[0], args: argv.slice(1), shell: false, display, program };
}

/**
 * Why a template cannot run, checked once before any trial (the resolver, the command prompt) with
 * EXAMPLE_PLACEHOLDER_VALUES: an unclosed quote, no program, an unknown placeholder, or in shell
 * mode a placeholder where no value can be passed safely (inside backquotes, $((…)), after a
 * here-document). The words a trial would fail with; undefined when the template can run.
 */
export function commandTemplateProblem(template: string, shell: boolean): string | undefined {
  try {
    resolveCommand(template, EXAMPLE_PLACEHOLDER_VALUES, { shell, env: {} });
    return undefined;
  } catch (e) {
    if (e instanceof CommandTemplateError) return e.message;
    throw e;
  }
}

function shellCommand(template: string, values: PlaceholderValues, env: NodeJS.ProcessEnv): ResolvedCommand {
  const valueOf = (p: PlaceholderRef) => placeholderValue(p, values, env, template);
  const display = template.trim();
  if (process.platform === 'win32') {
    const comspec = process.env.ComSpec ?? 'cmd.exe';
    return { file: comspec, args: ['/d', '/s', '/c', windowsShellLine(template, valueOf)], shell: true, display, program: comspec };
  }
  try {
    const { script, params } = shellScriptFor(template, valueOf, envNameOf);
    return { file: '/bin/sh', args: ['-c', script, 'sh', ...params], shell: true, display, program: '/bin/sh' };
  } catch (e) {
    if (e instanceof UnsafePlaceholderError) throw new CommandTemplateError(`tuner.shell is on and ${e.message}`, template);
    throw e;
  }
}

/** Characters cmd.exe never interprets (no %, ^, &, |, <, >, ", !, parentheses). */
const CMD_SAFE = /^[A-Za-z0-9_\-.,:\\/=+@~ ]*$/;

/**
 * cmd.exe has no positional parameters and expands %VAR% even inside quotes, so a value is spliced
 * only when it holds nothing cmd.exe interprets; otherwise the template is refused. (Untested here:
 * no Windows machine; see docs/process-supervision.md.)
 */
function windowsShellLine(template: string, valueOf: (p: PlaceholderRef) => string): string {
  return template.replace(PLACEHOLDER_RE, (whole, name: string, envName: string | undefined) => {
    const value = valueOf({ whole, name, ...(envName !== undefined ? { envName } : {}) });
    if (!CMD_SAFE.test(value)) {
      throw new CommandTemplateError(
        `tuner.shell is on and the value of ${whole} holds characters cmd.exe would interpret (such as % ^ & | < > " ! or parentheses): turn tuner.shell off so values are passed as separate arguments`,
        template,
      );
    }
    return value;
  });
}
