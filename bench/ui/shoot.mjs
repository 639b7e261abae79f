// Dev check: renders the panel and the sidebar in dark and light themes from fixture messages
// and saves screenshots to test-results/ui/ (look at them). Usage: node bench/ui/shoot.mjs
import { mkdirSync } from 'node:fs';
import { launchBrowser, openWebview, send } from './browser.mjs';
import { startServer } from './server.mjs';
import { initMessage, studyMessages } from './fixtures.mjs';

const out = 'test-results/ui';
mkdirSync(out, { recursive: true });
const server = await startServer();
const browser = await launchBrowser();
let failed = false;
try {
  for (const theme of ['dark', 'light']) {
    for (const entry of ['panel', 'sidebar']) {
      const size = entry === 'panel' ? { width: 1400, height: 1000 } : { width: 320, height: 600 };
      const { page, errors } = await openWebview(browser, server.origin, { entry, theme, ...size });
      await page.screenshot({ path: `${out}/${entry}-${theme}-empty.png` });
      await send(page, studyMessages());
      await page.waitForTimeout(400);
      await page.screenshot({ path: `${out}/${entry}-${theme}.png`, fullPage: entry === 'panel' });
      const violations = await page.evaluate(() => window.__violations);
      const posted = await page.evaluate(() => window.__posted.map((m) => m.type));
      console.log(`${entry} ${theme}: errors=${JSON.stringify(errors)} csp=${JSON.stringify(violations)} posted=${JSON.stringify(posted)}`);
      if (errors.length || violations.length) failed = true;
      await page.close();
    }
  }
  // Untrusted state.
  const { page } = await openWebview(browser, server.origin, { entry: 'panel', theme: 'dark', width: 1000, height: 700 });
  await send(page, initMessage({ trusted: false }));
  await page.waitForTimeout(200);
  await page.screenshot({ path: `${out}/panel-untrusted.png` });
} finally {
  await browser.close();
  await server.close();
}
process.exit(failed ? 1 : 0);
