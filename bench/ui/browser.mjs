// Headless Chromium (Debian's) through playwright-core, with the flags that work on this machine.
import { chromium } from 'playwright-core';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export function launchBrowser() {
  return chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
}

/** Opens the panel or sidebar harness page in a theme and waits for the bundle's `ready`. */
export async function openWebview(browser, origin, { entry = 'panel', theme = 'dark', width = 1400, height = 1000 } = {}) {
  const page = await browser.newPage({ viewport: { width, height } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  await page.goto(`${origin}/${entry}.html?theme=${theme}`);
  await page.waitForFunction(() => window.__posted.some((m) => m.type === 'ready'), null, { timeout: 15000 });
  return { page, errors };
}

/** Delivers host messages to the webview (as VS Code does, through window message events). */
export function send(page, messages) {
  return page.evaluate(
    (ms) => {
      for (const m of ms) window.postMessage(m, '*');
    },
    Array.isArray(messages) ? messages : [messages],
  );
}
