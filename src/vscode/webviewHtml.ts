// The HTML shell of our webviews (the tuner panel and the live sidebar view): a strict Content
// Security Policy with a per-load nonce, no remote content, the bundle's CSS and module script.
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';

export type WebviewBundle = 'panel' | 'sidebar';

/** Webviews may load only the bundle folder and our media. */
export function webviewResourceRoots(extensionUri: vscode.Uri): vscode.Uri[] {
  return [vscode.Uri.joinPath(extensionUri, 'dist', 'webview'), vscode.Uri.joinPath(extensionUri, 'media')];
}

export function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewOptions {
  return { enableScripts: true, enableCommandUris: false, localResourceRoots: webviewResourceRoots(extensionUri) };
}

/**
 * default-src 'none': anything not listed is blocked. Scripts need the nonce; styles come from the
 * bundle (vscode-elements' Lit components use constructable stylesheets, which CSP does not gate,
 * so no 'unsafe-inline'); fonts (codicons) and images only from the extension.
 */
export function contentSecurityPolicy(webview: vscode.Webview, nonce: string): string {
  return [
    `default-src 'none'`,
    `script-src 'nonce-${nonce}'`,
    `style-src ${webview.cspSource} 'nonce-${nonce}'`,
    `font-src ${webview.cspSource}`,
    `img-src ${webview.cspSource} data:`,
    `connect-src 'none'`,
    `form-action 'none'`,
    `base-uri 'none'`,
  ].join('; ');
}

export function webviewHtml(webview: vscode.Webview, extensionUri: vscode.Uri, bundle: WebviewBundle, title: string): string {
  const nonce = randomBytes(18).toString('base64url');
  const dir = vscode.Uri.joinPath(extensionUri, 'dist', 'webview');
  const script = webview.asWebviewUri(vscode.Uri.joinPath(dir, `${bundle}.js`));
  const style = webview.asWebviewUri(vscode.Uri.joinPath(dir, `${bundle}.css`));
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${contentSecurityPolicy(webview, nonce)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>${escapeHtml(title)}</title>
<link rel="stylesheet" id="vscode-codicon-stylesheet" href="${style.toString()}" nonce="${nonce}">
</head>
<body data-bundle="${bundle}">
<div id="app" role="main"></div>
<noscript>Batch Tuner needs scripts enabled in webviews.</noscript>
<script type="module" nonce="${nonce}" src="${script.toString()}"></script>
</body>
</html>`;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
