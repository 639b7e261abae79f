// Escaping for the HTML report. Every value that comes from a study file is untrusted (a crafted
// file may put `<script>`, `"onload=`, `</style>` or `javascript:` in any field), so the report is
// built with the `escaped` tag below: every interpolated value is escaped for text and
// double-quoted attribute context unless it is already markup made by this tag; only this module
// makes markup from a string (OWASP XSS Prevention Cheat Sheet, rules 1 and 2). The tag is not
// named `html` so that Prettier leaves the markup, and with it the texts the CSP hashes, alone.

/** Markup built by `escaped` (or trusted constants wrapped by `trusted`): inserted as is. */
export class SafeHtml {
  private constructor(readonly markup: string) {}
  /** @internal Only for this module's `escaped` and `trusted`. */
  static of(markup: string): SafeHtml {
    return new SafeHtml(markup);
  }
  toString(): string {
    return this.markup;
  }
}

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' };

/** Text or double-quoted attribute value: & < > " ' ` become entities. */
export function escapeHtml(x: unknown): string {
  return String(x).replace(/[&<>"'`]/g, (c) => ENTITIES[c]);
}

/** What may be interpolated: values (escaped), markup from `escaped` (kept), and lists of either (joined). */
export type HtmlValue = SafeHtml | string | number | boolean | null | undefined | readonly HtmlValue[];

function render(v: HtmlValue): string {
  if (v instanceof SafeHtml) return v.markup;
  if (v === null || v === undefined || v === false) return '';
  if (Array.isArray(v)) return (v as readonly HtmlValue[]).map(render).join('');
  return escapeHtml(v);
}

/** Tagged template: the literal parts are markup, every `${value}` is escaped (see HtmlValue). */
export function escaped(strings: TemplateStringsArray, ...values: HtmlValue[]): SafeHtml {
  let out = strings[0];
  for (let i = 0; i < values.length; i++) out += render(values[i]) + strings[i + 1];
  return SafeHtml.of(out);
}

/** Markup written in this codebase (CSS, the chart script, uPlot): never a study's value. */
export function trusted(markup: string): SafeHtml {
  return SafeHtml.of(markup);
}

/**
 * JSON to place inside `<script type="application/json">`: `<` is written as \u003c (so neither
 * `</script` nor `<!--` can appear), `>` and `&` likewise, and U+2028/2029 escaped (HTML spec,
 * "Restrictions for contents of script elements").
 */
export function scriptJson(x: unknown): string {
  return JSON.stringify(x)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/**
 * Inline script text written by us or a library (uPlot): a `</script` or `<!--` inside it would end
 * or confuse the element, so it is broken up in a way JavaScript reads the same in strings, regexes
 * and comments (`<\/script`, `<\!--`).
 */
export function scriptText(js: string): string {
  return js.replace(/<\/script/gi, '<\\/script').replace(/<!--/g, '<\\!--');
}

/** CSS written by us or a library: `</style` would end the element. */
export function styleText(css: string): string {
  return css.replace(/<\/style/gi, '<\\/style');
}
