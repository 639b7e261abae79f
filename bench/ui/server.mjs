// A static server for the headless webview harness: serves dist/ and bench/ui/ and writes the
// page the way the extension host does (strict CSP with a nonce, module script, bundled CSS),
// so a CSP violation in the bundles shows up here too.
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';

const root = normalize(join(fileURLToPath(import.meta.url), '..', '..', '..'));
const TYPES = { '.js': 'text/javascript', '.css': 'text/css', '.ttf': 'font/ttf', '.map': 'application/json', '.html': 'text/html', '.png': 'image/png' };

function page(entry, origin) {
  const nonce = randomBytes(16).toString('base64');
  const csp = [
    `default-src 'none'`,
    `style-src ${origin} 'nonce-${nonce}'`,
    `font-src ${origin}`,
    `img-src ${origin} data:`,
    `script-src 'nonce-${nonce}'`,
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="${origin}/dist/webview/${entry}.css" nonce="${nonce}">
<script nonce="${nonce}" src="${origin}/bench/ui/stub.js"></script>
<script nonce="${nonce}" src="${origin}/bench/ui/themes.js"></script>
<title>Batch Tuner ${entry}</title></head>
<body><div id="app"></div>
<script nonce="${nonce}" src="${origin}/bench/ui/apply-theme.js"></script>
<script type="module" nonce="${nonce}" src="${origin}/dist/webview/${entry}.js"></script>
</body></html>`;
}

/** Starts the server on a free port; returns its origin and a close function. */
export async function startServer() {
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const origin = `http://${req.headers.host}`;
    const m = /^\/(panel|sidebar)\.html$/.exec(url.pathname);
    if (m) {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(page(m[1], origin));
      return;
    }
    if (url.pathname === '/favicon.ico') {
      res.writeHead(204).end();
      return;
    }
    const file = normalize(join(root, decodeURIComponent(url.pathname)));
    if (!file.startsWith(join(root, 'dist')) && !file.startsWith(join(root, 'bench', 'ui'))) {
      res.writeHead(403).end();
      return;
    }
    try {
      const body = await readFile(file);
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return { origin: `http://127.0.0.1:${port}`, close: () => new Promise((r) => server.close(r)) };
}
