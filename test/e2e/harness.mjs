// Helpers for browser-driven UI tests of the extension in a real VS Code (offline
// code-server + headless Chromium through playwright-core). A test file:
//
//   import { test, after } from 'node:test';
//   import { startVSCode } from './harness.mjs';
//   const vsc = await startVSCode();            // temp workspace = test/fixtures/workspace + examples/
//   after(() => vsc.stop());                    // always: ends code-server, its extension host, Chromium
//   test('panel opens', async () => {
//     await vsc.openFile('examples/mnist-mlp.yaml');
//     await vsc.clickCodeLens('Tune batch size');
//     const frame = await vsc.webviewFrame('#start');
//     await frame.click('#start');
//     await vsc.screenshot('panel-running');
//   });
//
// Run all with `node test/e2e/run.mjs` (a file prints `N passed, N failed`, or uses node:test,
// or just exits 0/1), one with `node test/e2e/x.e2e.mjs`. HEADFUL=1 shows the
// browser (needs a display). Screenshots go to test-results/screenshots/.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { launchChromium, makeTempDir, prepareWorkspace, quietSettings, repoRoot, startCodeServer, workbenchUrl } from '../../scripts/code-server.mjs';

export { repoRoot };
export const screenshotDir = join(repoRoot, 'test-results', 'screenshots');

/**
 * Built-in colour themes (checked in code-server 4.139.1) and the class the workbench element
 * gets for each. The high-contrast themes did not switch through settings.json there; other
 * names are passed through unchecked.
 */
export const THEMES = {
  light: { name: 'Default Light Modern', label: 'Light Modern', cls: 'vs' },
  dark: { name: 'Default Dark Modern', label: 'Dark Modern', cls: 'vs-dark' },
};

/**
 * Starts code-server with the extension under development and opens the workbench in Chromium.
 * Options:
 *   files        { 'relative/path': 'contents' } written into the workspace after the fixtures
 *   fixture      folder copied as the workspace (default test/fixtures/workspace); examples/ is added
 *   trusted      default true; false opens the folder in Restricted Mode
 *   settings     user settings (merged over quiet defaults), e.g. { 'workbench.colorTheme': '...' }
 *   env          environment for code-server and the extension host
 *   extensionPath  default: this repository (needs `npm run build`)
 *   viewport     default 1400x900
 * Returns a session: { page, browser, server, workspace, userDataDir, url, stop(), and the helpers below bound to it }.
 */
export async function startVSCode({
  files = {},
  fixture,
  trusted = true,
  settings = {},
  env = {},
  extensionPath = repoRoot,
  viewport = { width: 1400, height: 900 },
  log = () => undefined,
} = {}) {
  const tmp = makeTempDir('batch-tuner-e2e-');
  const workspace = prepareWorkspace(tmp, fixture ? { fixture } : {});
  for (const [path, contents] of Object.entries(files)) {
    mkdirSync(join(workspace, path, '..'), { recursive: true });
    writeFileSync(join(workspace, path), contents);
  }
  let server;
  let browser;
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await browser?.close().catch(() => undefined);
    await server?.stop().catch(() => undefined);
    rmSync(tmp, { recursive: true, force: true, maxRetries: 3 });
  };
  const onSignal = () => stop().finally(() => process.exit(130));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const userDataDir = join(tmp, 'user-data');
    server = await startCodeServer({
      workspace,
      trusted,
      settings,
      env,
      userDataDir,
      extensionsDir: join(tmp, 'extensions'),
      log,
    });
    browser = await launchChromium();
    const page = await browser.newPage({ viewport });
    const url = workbenchUrl(server, { folder: workspace, extensionDevelopmentPath: resolve(extensionPath) });
    await page.goto(url);
    await waitForWorkbench(page);
    const session = {
      page,
      browser,
      server,
      workspace,
      userDataDir,
      url,
      stop,
      openFile: (path, options) => openFile(page, path, options),
      runCommand: (title, options) => runCommand(page, title, options),
      clickCodeLens: (text, options) => clickCodeLens(page, text, options),
      webviewFrame: (selector, options) => webviewFrame(page, selector, options),
      screenshot: (name, options) => screenshot(page, name, options),
      setColorTheme: (theme) => setColorTheme(session, theme),
      updateSettings: (values) => updateSettings(session, values),
      waitForNotification: (text, options) => waitForNotification(page, text, options),
    };
    return session;
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Waits until the workbench has restored (editors, views, the extension host started). */
export async function waitForWorkbench(page, { timeout = 90_000 } = {}) {
  await page.waitForSelector('.monaco-workbench', { timeout });
  // The smoke-test driver (enabled by code-server's --vscode-option) knows when restore is done.
  await page.waitForFunction(() => Boolean(window.driver), undefined, { timeout });
  await page.evaluate(() => window.driver.whenWorkbenchRestored());
  await page.waitForSelector('.statusbar', { timeout });
}

/** Opens a workspace file (path relative to the workspace) with Quick Open and waits for its tab. */
export async function openFile(page, path, { timeout = 30_000 } = {}) {
  const name = path.split('/').at(-1);
  await page.keyboard.press('Control+P');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible', timeout });
  await input.fill(path);
  // Wait for the file to be listed before Enter, or Enter picks whatever was first.
  await page.locator('.quick-input-list .monaco-list-row', { hasText: name }).first().waitFor({ timeout });
  await page.keyboard.press('Enter');
  await page.locator(`.tabs-container .tab[data-resource-name="${name}"]`).first().waitFor({ timeout });
  await page.locator('.editor-instance .monaco-editor .view-lines').first().waitFor({ timeout });
}

/**
 * Runs a command from the palette by its title as shown there (e.g. "Batch Tuner: Open Tuner
 * Panel"). The palette lists what was known when it opened; while extensions are still being
 * registered it is reopened until the command shows up.
 */
export async function runCommand(page, title, { timeout = 30_000 } = {}) {
  const deadline = Date.now() + timeout;
  const input = page.locator('.quick-input-widget input');
  const rows = page.locator('.quick-input-list .monaco-list-row');
  // The row whose label is exactly the title ("Batch Tuner: Stop" must not pick "…: Stop All").
  const exact = rows.filter({ has: page.locator('.label-name', { hasText: new RegExp(`^\\s*${escapeRegExp(title)}\\s*$`) }) }).first();
  const partial = rows.filter({ hasText: title }).first();
  for (;;) {
    await page.keyboard.press('F1');
    await input.waitFor({ state: 'visible', timeout: Math.max(1000, deadline - Date.now()) });
    await input.fill(`>${title}`);
    try {
      await partial.waitFor({ timeout: Math.min(4000, Math.max(1000, deadline - Date.now())) });
      break;
    } catch (error) {
      await page.keyboard.press('Escape');
      if (Date.now() > deadline)
        throw new Error(`The command palette has no "${title}" after ${timeout} ms (not contributed, or hidden by its "when" clause?): ${error.message}`, {
          cause: error,
        });
    }
  }
  await ((await exact.count()) > 0 ? exact : partial).click();
}

function escapeRegExp(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Clicks the CodeLens whose text contains `text` in the visible editor. */
export async function clickCodeLens(page, text, { timeout = 30_000 } = {}) {
  const lens = page.locator('.monaco-editor .codelens-decoration a', { hasText: text }).first();
  await lens.waitFor({ state: 'visible', timeout });
  await lens.click();
}

/** Texts of the CodeLenses shown in the visible editor. */
export async function codeLensTexts(page) {
  return page.locator('.monaco-editor .codelens-decoration a').allInnerTexts();
}

/**
 * The frame of a webview (panel or sidebar) that contains `selector`. Webviews are nested
 * iframes (iframe.webview > #active-frame); this searches every frame until one matches.
 */
export async function webviewFrame(page, selector, { timeout = 30_000 } = {}) {
  const deadline = Date.now() + timeout;
  for (;;) {
    for (const frame of page.frames()) {
      if (frame === page.mainFrame()) continue;
      try {
        if (await frame.$(selector)) return frame;
      } catch {
        // a frame navigated away while we looked
      }
    }
    if (Date.now() > deadline) throw new Error(`No webview frame contains "${selector}" after ${timeout} ms: is the panel open and its HTML loaded?`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Saves a PNG to test-results/screenshots/<name>.png and returns its path. */
export async function screenshot(page, name, { fullPage = false } = {}) {
  mkdirSync(screenshotDir, { recursive: true });
  const path = join(screenshotDir, `${name.replace(/[^\w.-]+/g, '-')}.png`);
  await page.screenshot({ path, fullPage });
  return path;
}

/** Merges values into the user settings.json; VS Code picks the change up live. */
export async function updateSettings(session, values) {
  const file = join(session.userDataDir, 'User', 'settings.json');
  let current = { ...quietSettings };
  try {
    current = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    // not written yet: start from the defaults
  }
  writeFileSync(file, JSON.stringify({ ...current, ...values }, null, 2) + '\n');
}

/** Switches the colour theme ('light', 'dark', or a theme name) through user settings, and waits for it. */
export async function setColorTheme(session, theme) {
  const known = THEMES[theme];
  const name = known?.name ?? theme;
  if (!known) {
    await updateSettings(session, { 'workbench.colorTheme': name });
    await session.page.waitForTimeout(1500);
    return;
  }
  const selector = `.monaco-workbench.${known.cls}.vscode-theme-defaults-themes-${theme}_modern-json`;
  await updateSettings(session, { 'workbench.colorTheme': name });
  try {
    await session.page.waitForSelector(selector, { timeout: 8000 });
    return;
  } catch {
    // code-server's settings watcher sometimes misses the write (seen after a palette command);
    // then pick the theme as a person would.
  }
  const page = session.page;
  await runCommand(page, 'Preferences: Color Theme');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible' });
  await input.fill(known.label);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: known.label }).first().waitFor({ timeout: 10_000 });
  await page.keyboard.press('Enter');
  await page.waitForSelector(selector, { timeout: 20_000 });
}

/** Waits for a notification toast containing `text`; returns its locator. */
export async function waitForNotification(page, text, { timeout = 30_000 } = {}) {
  const toast = page.locator('.notification-toast', { hasText: text }).first();
  await toast.waitFor({ state: 'visible', timeout });
  return toast;
}
