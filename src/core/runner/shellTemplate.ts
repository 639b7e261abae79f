// Shell mode (`tuner.shell: true`): the template is shell text the person wrote, but a value never
// becomes shell text. Each placeholder is replaced by a reference to a positional parameter and
// the values travel as arguments after the script — `sh -c 'python t.py --bs "${1}"' sh 64` — so
// the shell expands each value once and never reads it as code: a folder named `$(touch X)` stays
// a name. The reference is written for where the placeholder stands: `"${1}"` unquoted, `${1}`
// inside "…", `'"${1}"'` inside '…' (close, expand, reopen). Where no reference is safe (inside
// backquotes, $((…)), the shell's own ${…}, or after a here-document) the template is refused
// with the placeholder and what to write instead. cmd.exe has no positional parameters: there a
// value is spliced only when it holds no character cmd.exe interprets (windowsShellLine).

/** A placeholder occurrence: `${batchSize}` has name 'batchSize'; `${env:HOME}` has name 'env', envName 'HOME'. */
export interface PlaceholderRef {
  whole: string;
  name: string;
  envName?: string;
}

export interface ShellScript {
  /** The text given to `sh -c`. */
  script: string;
  /** $1, $2, ...: the values, in order of first use. */
  params: string[];
}

/** Thrown for a template that cannot be run safely; the caller words it (CommandTemplateError). */
export class UnsafePlaceholderError extends Error {}

const PLACEHOLDER_AT = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::([A-Za-z_][A-Za-z0-9_]*))?\}/y;

type Context = 'top' | 'dq' | 'bq' | 'arith' | 'param';
interface Frame {
  ctx: Context;
  /** Open parentheses inside `$(…)` / `$((…))` (the frame ends at the `)` that closes it). */
  parens: number;
  /** A `$(…)` frame (top-like, ends at its closing parenthesis). */
  sub?: boolean;
}

const WHERE: Record<'bq' | 'arith' | 'param' | 'heredoc', string> = {
  bq: 'inside `…` (backquotes): write $(…) instead of backquotes',
  arith: 'inside $((…)): the shell would evaluate the value as arithmetic',
  param: "inside the shell's own ${…}: write the placeholder outside it",
  heredoc: 'after a here-document (<<): its body is not quoted like a command line',
};

/**
 * Turns a shell-mode template into a script that only references its values. `valueOf` returns a
 * placeholder's value (throwing for unknown or missing ones); `envNameOf` the environment variable
 * that carries the same value, for the error message.
 */
export function shellScriptFor(template: string, valueOf: (p: PlaceholderRef) => string, envNameOf: (p: PlaceholderRef) => string | undefined): ShellScript {
  return new Scanner(template, valueOf, envNameOf).run();
}

class Scanner {
  private readonly params: string[] = [];
  private readonly index = new Map<string, number>();
  private readonly stack: Frame[] = [{ ctx: 'top', parens: 0 }];
  private out = '';
  private heredoc = false;
  private i = 0;

  constructor(
    private readonly t: string,
    private readonly valueOf: (p: PlaceholderRef) => string,
    private readonly envNameOf: (p: PlaceholderRef) => string | undefined,
  ) {}

  run(): ShellScript {
    while (this.i < this.t.length) this.step();
    return { script: this.out, params: this.params };
  }

  private get frame(): Frame {
    return this.stack[this.stack.length - 1];
  }

  private emit(text: string): void {
    this.out += text;
    this.i += text.length;
  }

  private step(): void {
    const { t, i, frame } = this;
    const p = placeholderAt(t, i);
    if (p) return this.placeholder(p);
    const c = t[i];
    if (c === '\\') return this.emit(t.slice(i, i + 2));
    if (this.opensSubstitution()) return;
    if (frame.ctx === 'dq') {
      if (c === '"') this.stack.pop();
      else if (c === '`') this.stack.push({ ctx: 'bq', parens: 0 });
      return this.emit(c);
    }
    // Unquoted text, $(…), backquotes, $((…)) and ${…}: quotes open here.
    if (c === "'") return this.singleQuoted();
    if (c === '"') this.stack.push({ ctx: 'dq', parens: 0 });
    else if (c === '`') {
      if (frame.ctx === 'bq') this.stack.pop();
      else this.stack.push({ ctx: 'bq', parens: 0 });
    } else if (c === '}' && frame.ctx === 'param') this.stack.pop();
    else if (c === '(' && (frame.sub || frame.ctx === 'arith')) frame.parens++;
    else if (c === ')' && (frame.sub || frame.ctx === 'arith')) return this.closeParen();
    else if (c === '#' && frame.ctx === 'top' && /^$|[\s;&|()]$/.test(t.slice(Math.max(0, i - 1), i))) return this.comment();
    else if (frame.ctx === 'top' && t.startsWith('<<', i)) this.heredoc = true;
    this.emit(c);
  }

  /** `$((`, `$(` and the shell's own `${` open a nested context (ours, `${name}`, were taken before). */
  private opensSubstitution(): boolean {
    const { t, i } = this;
    if (t.startsWith('$((', i)) this.stack.push({ ctx: 'arith', parens: 0 });
    else if (t.startsWith('$(', i)) this.stack.push({ ctx: 'top', parens: 0, sub: true });
    else if (t.startsWith('${', i)) this.stack.push({ ctx: 'param', parens: 0 });
    else return false;
    this.emit(t.slice(i, i + (t.startsWith('$((', i) ? 3 : 2)));
    return true;
  }

  private closeParen(): void {
    const f = this.frame;
    if (f.parens > 0) {
      f.parens--;
      return this.emit(')');
    }
    this.stack.pop();
    if (f.ctx === 'arith' && this.t[this.i + 1] === ')') return this.emit('))');
    this.emit(')');
  }

  /** A comment runs to the end of the line; nothing in it is expanded. */
  private comment(): void {
    const end = this.t.indexOf('\n', this.i);
    this.emit(this.t.slice(this.i, end < 0 ? this.t.length : end));
  }

  private placeholder(p: PlaceholderRef): void {
    const ctx = this.frame.ctx;
    if (ctx !== 'top' && ctx !== 'dq') this.refuse(p, ctx);
    if (this.heredoc) this.refuse(p, 'heredoc');
    const k = this.ref(p);
    this.out += ctx === 'dq' ? `\${${k}}` : `"\${${k}}"`;
    this.i += p.whole.length;
  }

  /** '…' is literal text; a placeholder inside closes the quote, references its value, reopens it. */
  private singleQuoted(): void {
    const { t } = this;
    const end = t.indexOf("'", this.i + 1);
    const stop = end < 0 ? t.length : end;
    let body = '';
    for (let j = this.i + 1; j < stop;) {
      const p = placeholderAt(t, j);
      if (p && j + p.whole.length <= stop) {
        if (this.heredoc) this.refuse(p, 'heredoc');
        body += `'"\${${this.ref(p)}}"'`;
        j += p.whole.length;
      } else body += t[j++];
    }
    this.out += `'${body}${end < 0 ? '' : "'"}`;
    this.i = end < 0 ? t.length : end + 1;
  }

  private ref(p: PlaceholderRef): number {
    let k = this.index.get(p.whole);
    if (k === undefined) {
      this.params.push(this.valueOf(p));
      k = this.params.length;
      this.index.set(p.whole, k);
    }
    return k;
  }

  private refuse(p: PlaceholderRef, where: keyof typeof WHERE): never {
    const env = this.envNameOf(p);
    const instead = env ? `; or write "$${env}" (the same value, from the environment)` : '';
    throw new UnsafePlaceholderError(`${p.whole} cannot be passed safely ${WHERE[where]}${instead}`);
  }
}

function placeholderAt(text: string, i: number): PlaceholderRef | undefined {
  if (text[i] !== '$') return undefined;
  PLACEHOLDER_AT.lastIndex = i;
  const m = PLACEHOLDER_AT.exec(text);
  return m ? { whole: m[0], name: m[1], ...(m[2] !== undefined ? { envName: m[2] } : {}) } : undefined;
}
