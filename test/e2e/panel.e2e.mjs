#!/usr/bin/env node
// The tuner panel end to end, through the real (offline) VS Code that code-server serves, in
// headless Chromium: open examples/mnist-mlp.yaml, click the "Tune batch size" CodeLens, the
// panel opens; stop the study the lens started, move the sliders (batch size; a 20 s budget),
// start a short study, see the charts receive points and the recommendation appear, Apply it
// and find the file changed; the sidebar live view shows the same recommendation. Screenshots
// of the panel in dark and light theme go to test-results/ (the dark one is copied to
// media/screenshot-panel.png). Prints "N passed, N failed".
//   node test/e2e/panel.e2e.mjs        (needs `npm run build`)
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, startVSCode } from './harness.mjs';

const CONFIG = 'examples/mnist-mlp.yaml';
const results = [];
let vsc;
let frame;

async function step(name, fn) {
  const t0 = Date.now();
  try {
    await fn();
    results.push({ name, ok: true });
    console.log(`ok   ${name} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    return true;
  } catch (err) {
    results.push({ name, ok: false });
    await vsc?.page.screenshot({ path: join(outDir, `e2e-failure-${results.length}.png`) }).catch(() => undefined);
    console.log(`FAIL ${name}: ${err?.stack ?? err}`);
    return false;
  }
}

function assert(cond, message) {
  if (!cond) throw new Error(message);
}

/** The panel's state as the page shows it (read inside the webview frame). */
const panelState = () =>
  frame.evaluate(() => ({
    running: !document.querySelector('[data-testid="stop"]')?.hasAttribute('disabled'),
    chartsWithPoints: document.querySelectorAll('.chart:not([hidden]):not(.chart-is-empty)').length,
    // Shown charts: the critical-batch-size chart stays hidden until a study measures it.
    charts: document.querySelectorAll('.chart:not([hidden])').length,
    headline: document.querySelector('.rec-headline')?.textContent ?? null,
    basisTags: document.querySelectorAll('.rec-card .basis-tag').length,
    recommendation: document.querySelector('[data-testid="rec-batch-size"]')?.textContent ?? null,
    trials: document.querySelectorAll('.trial-table tbody tr:not(:has(.empty-row))').length,
    error: document.querySelector('.error-banner:not([hidden]) .error-text')?.textContent ?? null,
    phase: document.querySelector('.phase')?.textContent ?? '',
  }));

async function waitFor(what, predicate, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    last = await panelState();
    if (predicate(last)) return last;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`timed out waiting for ${what}; panel: ${JSON.stringify(last)}`);
}

const outDir = join(repoRoot, 'test-results');
mkdirSync(outDir, { recursive: true });

/** Gives the panel the whole editor area, so the screenshot shows the wide layout. */
async function maximizePanel() {
  try {
    await vsc.runCommand('View: Toggle Maximize Editor Group', { timeout: 8000 });
  } catch {
    await vsc.page.keyboard.press('Escape');
  }
  await vsc.page.waitForTimeout(1500);
}

/** Screenshot of the panel alone (its webview iframe in the workbench). */
async function panelScreenshot(name) {
  const path = join(outDir, `${name}.png`);
  const iframes = vsc.page.locator('iframe.webview');
  const n = await iframes.count();
  // The panel's webview is the widest visible one (the sidebar view is narrow).
  let best;
  let bestWidth = 0;
  for (let i = 0; i < n; i++) {
    const box = await iframes.nth(i).boundingBox();
    if (box && box.width > bestWidth) {
      best = iframes.nth(i);
      bestWidth = box.width;
    }
  }
  if (best) await best.screenshot({ path });
  else await vsc.page.screenshot({ path });
  return path;
}

try {
  const started = await step('VS Code starts with the extension', async () => {
    vsc = await startVSCode({ viewport: { width: 1600, height: 1000 }, settings: { 'workbench.colorTheme': 'Default Dark Modern' } });
  });
  if (!started) throw new Error('no VS Code');

  await step('CodeLens "Tune batch size" opens the tuner panel', async () => {
    await vsc.openFile(CONFIG);
    await vsc.clickCodeLens('Tune batch size');
    frame = await vsc.webviewFrame('[data-testid="start"]', { timeout: 60_000 });
    const s = await waitFor('the panel to render its charts', (p) => p.charts === 6, 30_000);
    assert(s.charts === 6, 'six charts');
  });

  await step('the study the lens started can be stopped from the panel', async () => {
    await waitFor('the study to be running', (p) => p.running, 60_000);
    await frame.locator('[data-testid="stop"]').click();
    await waitFor('the study to stop', (p) => !p.running, 60_000);
  });

  await step('the batch-size slider moves on a log2 scale and the exact field follows', async () => {
    const slider = frame.getByLabel('Batch size', { exact: true });
    const field = frame.getByRole('textbox', { name: 'Batch size, exact' });
    const before = Number(await field.inputValue());
    await slider.focus();
    await slider.press('ArrowRight');
    await slider.press('ArrowRight');
    const after = Number(await field.inputValue());
    // Two half-octave steps up from 32: 48, then 64.
    assert(after === before * 2, `batch size ${before} -> ${after}, expected ${before * 2}`);
    const text = await slider.getAttribute('aria-valuetext');
    assert(/mini-batch/.test(text ?? ''), `aria-valuetext "${text}"`);
  });

  await step('a short study (20 s budget) streams points into the charts and recommends', async () => {
    const budget = frame.getByLabel('Time budget', { exact: true });
    await budget.focus();
    await budget.press('Home');
    await budget.press('ArrowRight');
    await budget.press('ArrowRight');
    const value = await frame.getByRole('textbox', { name: 'Time budget in seconds' }).inputValue();
    assert(value === '20', `budget field shows ${value}`);
    await frame.locator('[data-testid="start"]').click();
    await waitFor('the study to run', (p) => p.running, 60_000);
    const live = await waitFor('points in the live charts', (p) => p.chartsWithPoints >= 3, 120_000);
    assert(live.chartsWithPoints >= 3, 'loss and memory charts have points');
    const done = await waitFor('the recommendation', (p) => p.recommendation !== null && !p.running, 300_000);
    assert(Number(done.recommendation) >= 1, `recommended ${done.recommendation}`);
    assert(done.trials >= 2, `${done.trials} trials listed`);
    assert(done.chartsWithPoints >= 5, `${done.chartsWithPoints} charts with points`);
    // The one headline, with a tag on each number: a speed-up only with its basis, or what was assumed.
    console.log(`     headline: ${done.headline}`);
    assert(/(Recommended|Keep) \d+/.test(done.headline ?? ''), `headline "${done.headline}"`);
    assert(
      /faster (measured|fitted)|about as fast|the speed|no speed-up given|^\W*Keep/.test(done.headline ?? '') || !/faster/.test(done.headline ?? ''),
      `a speed-up without its basis: "${done.headline}"`,
    );
    assert(done.basisTags >= 3, `${done.basisTags} basis tags on the card`);
  });

  await step('screenshot of the panel in the dark theme', async () => {
    await maximizePanel();
    const dark = await panelScreenshot('panel-dark');
    mkdirSync(join(repoRoot, 'media'), { recursive: true });
    copyFileSync(dark, join(repoRoot, 'media', 'screenshot-panel.png'));
    // The lower half: throughput, goodput with the pick, batch size and noise scale, the trials.
    await frame.evaluate(() => document.querySelector('.charts .chart-cell:nth-child(3)')?.scrollIntoView());
    await vsc.page.waitForTimeout(500);
    await panelScreenshot('panel-dark-charts');
    await frame.evaluate(() => window.scrollTo(0, 0));
  });

  await step('Apply writes the recommended batch size into the config', async () => {
    let { recommendation } = await panelState();
    if (recommendation === '32') {
      // The pick is the config's own batch size: apply an alternative so the file must change.
      const alt = frame.locator('[data-testid^="apply-alt-"]:not([data-testid="apply-alt-32"])').first();
      recommendation = (await alt.getAttribute('data-testid')).replace('apply-alt-', '');
      await alt.click();
    } else {
      await frame.locator('.rec-actions vscode-button').click();
    }
    await frame.locator('.rec-status', { hasText: 'Applied' }).waitFor({ timeout: 30_000 });
    // The edit is made in the editor; wait until it is on disk (Apply saves) or visible in the editor.
    const file = join(vsc.workspace, CONFIG);
    const deadline = Date.now() + 15_000;
    let onDisk = '';
    while (Date.now() < deadline) {
      onDisk = readFileSync(file, 'utf8');
      if (new RegExp(`^batch_size: ${recommendation}\\b`, 'm').test(onDisk)) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    const inEditor = await vsc.page.locator('.editor-instance .view-lines').first().innerText();
    assert(
      new RegExp(`^batch_size: ${recommendation}\\b`, 'm').test(onDisk) || inEditor.includes(`batch_size: ${recommendation}`),
      `batch_size ${recommendation} neither on disk nor in the editor`,
    );
    assert(onDisk.includes('# one hidden layer of 128 units'), 'comments kept');
  });
  await step('the sidebar live view shows the study and the recommendation', async () => {
    const { recommendation } = await panelState();
    await vsc.page.locator('.activitybar .action-item a[aria-label*="Batch Tuner"], .activitybar .action-item[aria-label*="Batch Tuner"]').first().click();
    const sidebar = await vsc.webviewFrame('[data-testid="open-panel"]', { timeout: 60_000 });
    const shown = await sidebar.locator('[data-testid="rec-batch-size"]').textContent({ timeout: 30_000 });
    assert(shown === recommendation, `sidebar recommends ${shown}, panel ${recommendation}`);
    const tune = sidebar.locator('[data-testid="tune"]');
    assert(!(await tune.evaluate((el) => el.hasAttribute('disabled'))), 'Tune this config is enabled when idle');
    const box = await vsc.page.locator('.part.sidebar').boundingBox();
    if (box) await vsc.page.screenshot({ path: join(outDir, 'sidebar-dark.png'), clip: box });
  });

  await step('the panel follows a switch to the light theme (screenshot)', async () => {
    const before = await frame.evaluate(() => getComputedStyle(document.body).backgroundColor);
    // Through the colour-theme picker, as a person would.
    const page = vsc.page;
    await page.keyboard.press('F1');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ state: 'visible' });
    await input.fill('>Preferences: Color Theme');
    await page
      .locator('.quick-input-list .monaco-list-row', { hasText: /^Preferences: Color Theme/ })
      .first()
      .click();
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Light Modern' }).first().waitFor();
    await input.fill('Light Modern');
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Light Modern' }).first().waitFor();
    await page.keyboard.press('Enter');
    await page.waitForSelector('.monaco-workbench.vs', { timeout: 30_000 });
    await page.waitForTimeout(1500);
    const after = await frame.evaluate(() => ({ bg: getComputedStyle(document.body).backgroundColor, cls: document.body.className }));
    assert(/vscode-light/.test(after.cls), `body class ${after.cls}`);
    assert(after.bg !== before, `background stayed ${before}`);
    await panelScreenshot('panel-light');
  });
} finally {
  await vsc?.stop();
}

const passed = results.filter((r) => r.ok).length;
const failed = results.length - passed;
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
