// The report in a real browser (headless Chromium through playwright-core): under its own CSP the
// charts draw (our inline scripts and styles are admitted by hash, nothing is refused), and a study
// whose every string is a payload runs none of them. Skipped where no Chromium is installed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { buildCharts, renderStudyReport } from '../../src/core/report';
import { readStudy } from '../../src/core/study';
import type { StudyRecord } from '../../src/core/study/types';
import { plannedRecommendation, recordOf } from './helpers/handmadeStudy';
import { poisonedStudyFile } from './helpers/reportPayloads';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

interface PageFacts {
  canvases: number;
  charts: number;
  pwned: unknown;
  title: string;
  scripts: number;
  handlers: string[];
  messages: string[];
}

async function open(browser: Browser, record: StudyRecord): Promise<PageFacts> {
  const file = join(mkdtempSync(join(tmpdir(), 'bt-report-browser-')), 'report.html');
  writeFileSync(file, renderStudyReport(record));
  const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  const messages: string[] = [];
  page.on('console', (m) => messages.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => messages.push(`pageerror: ${String(e)}`));
  // Any request but the file itself would be the report reaching out.
  page.on('request', (r) => r.url() !== pathToFileURL(file).href && messages.push(`request: ${r.url()}`));
  await page.goto(pathToFileURL(file).href);
  await page.waitForLoadState('load');
  const facts = await page.evaluate(() => ({
    canvases: document.querySelectorAll('figure.chart canvas').length,
    charts: document.querySelectorAll('figure.chart').length,
    pwned: (window as unknown as { __pwned?: unknown }).__pwned,
    title: document.title,
    scripts: document.scripts.length,
    handlers: [...document.querySelectorAll('*')].flatMap((el) =>
      [...el.attributes].filter((a) => /^on/i.test(a.name) || /^javascript:/i.test(a.value)).map((a) => `${el.tagName} ${a.name}`),
    ),
  }));
  await page.close();
  return { ...facts, messages };
}

test(
  'the report in Chromium: charts draw under the CSP; a payload study runs nothing',
  { skip: !existsSync(CHROMIUM) && `no Chromium at ${CHROMIUM}`, timeout: 120_000 },
  async () => {
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
    try {
      const record = recordOf(plannedRecommendation());
      const good = await open(browser, record);
      assert.deepEqual(good.messages, [], 'no CSP refusal, no error, no request');
      assert.equal(good.charts, buildCharts(record).length);
      assert.equal(good.canvases, good.charts, 'every chart drew its canvas');

      const evil = await open(browser, readStudy(poisonedStudyFile()));
      assert.equal(evil.pwned, undefined, 'no payload ran');
      assert.ok(!evil.title.includes('PWNED'));
      assert.equal(evil.scripts, 3, 'only the report’s own script elements');
      assert.deepEqual(evil.handlers, [], 'no event-handler or javascript: attribute');
      assert.deepEqual(
        evil.messages.filter((m) => /refused|request:|pageerror/i.test(m)),
        [],
      );
      assert.equal(evil.canvases, evil.charts, 'the charts still draw');
    } finally {
      await browser.close();
    }
  },
);
