// The report's Content-Security-Policy: nothing remote, nothing but the page's own inline script and
// style elements, each allowed by the SHA-256 of its text (CSP Level 3, "hash-source"). A hash
// rather than a nonce because the report is a static file: a nonce written into it is no secret,
// while a hash admits exactly the text we wrote. So a `<script>` or `<style>` smuggled in through
// a study's value would not run even if escaping failed; `style` attributes are blocked too.
import { createHash } from 'node:crypto';

export function cspHash(text: string): string {
  return `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
}

/** The policy for a page whose only active content is these inline scripts and styles. */
export function contentSecurityPolicy(scripts: readonly string[], styles: readonly string[]): string {
  return [
    "default-src 'none'",
    `script-src ${scripts.map(cspHash).join(' ')}`,
    `style-src ${styles.map(cspHash).join(' ')}`,
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
}
