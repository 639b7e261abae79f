// Mocha entry of the integration suite, loaded by VS Code as `extensionTestsPath` — in the
// offline code-server (test/integration/run-code-server.mjs) or in a desktop VS Code
// downloaded by @vscode/test-electron (test/integration/run-electron.mjs).
//
// Loads every compiled *.test.js next to this file (tdd UI: suite/test) and reports each
// test and, last, `N passed, N failed`, through testLog() (./log.ts): the extension host's
// console and the file the code-server runner streams to the terminal.
//
// Trust: tests whose full title contains `[untrusted]` run only when
// BATCH_TUNER_TEST_UNTRUSTED=1 (the launch with a Restricted Mode workspace); every other
// test runs only in the trusted launch. BATCH_TUNER_TEST_GREP narrows either further.
import { readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { inspect } from 'node:util';
import type MochaType from 'mocha';
import { testLog } from './log';

// mocha 12 is an ES module package; its CommonJS build is bundled into this file so the
// suite runs in any extension host (require(esm) needs Node >= 20.19).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const Mocha: typeof MochaType = require('mocha/lib/mocha.cjs');

export const UNTRUSTED_TAG = '[untrusted]';

const writeLine = testLog;

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.test.js'))
    .map((entry) => join(entry.parentPath ?? (entry as unknown as { path: string }).path, entry.name))
    .sort();
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Spec-like reporter that writes through writeLine and counts passes and failures. */
function createReporter(counts: { passed: number; failed: number }) {
  const { EVENT_SUITE_BEGIN, EVENT_SUITE_END, EVENT_TEST_PASS, EVENT_TEST_FAIL, EVENT_TEST_PENDING, EVENT_RUN_END } = Mocha.Runner.constants;
  return class IntegrationReporter extends Mocha.reporters.Base {
    constructor(runner: MochaType.Runner, options?: MochaType.MochaOptions) {
      super(runner, options);
      let depth = 0;
      const failures: Array<{ title: string; error: unknown }> = [];
      const indent = () => '  '.repeat(depth);
      runner.on(EVENT_SUITE_BEGIN, (suite: MochaType.Suite) => {
        if (suite.root) return;
        writeLine(`${indent()}${suite.title}`);
        depth++;
      });
      runner.on(EVENT_SUITE_END, (suite: MochaType.Suite) => {
        if (!suite.root) depth--;
      });
      runner.on(EVENT_TEST_PASS, (test: MochaType.Test) => {
        counts.passed++;
        writeLine(`${indent()}✓ ${test.title} (${test.duration ?? 0} ms)`);
      });
      runner.on(EVENT_TEST_FAIL, (test: MochaType.Test, error: unknown) => {
        counts.failed++;
        failures.push({ title: test.fullTitle(), error });
        writeLine(`${indent()}✗ ${counts.failed}) ${test.title}`);
      });
      runner.on(EVENT_TEST_PENDING, (test: MochaType.Test) => {
        writeLine(`${indent()}- ${test.title} (pending)`);
      });
      runner.once(EVENT_RUN_END, () => {
        failures.forEach(({ title, error }, i) => {
          writeLine('');
          writeLine(`${i + 1}) ${title}`);
          const text = error instanceof Error ? (error.stack ?? error.message) : inspect(error);
          for (const line of text.split('\n')) writeLine(`   ${line}`);
        });
        writeLine('');
        writeLine(`${counts.passed} passed, ${counts.failed} failed`);
      });
    }
  };
}

export async function run(): Promise<void> {
  const untrusted = process.env.BATCH_TUNER_TEST_UNTRUSTED === '1';
  const mocha = new Mocha({
    ui: 'tdd',
    color: false,
    // Real training runs in a child process: generous, but a hang still ends.
    timeout: 120_000,
    slow: 5_000,
  });
  const counts = { passed: 0, failed: 0 };
  mocha.reporter(createReporter(counts));
  const files = testFiles(__dirname);
  const extra = process.env.BATCH_TUNER_TEST_GREP;
  writeLine(
    `Batch Tuner integration suite (${untrusted ? 'untrusted workspace' : 'trusted workspace'}): ${files.length} test files${extra ? `, grep "${extra}"` : ''}`,
  );
  // The test files are CommonJS bundles, loaded here one by one (as Mocha's loadFiles does) so
  // the selection below sees every test, and a file that throws while loading becomes one
  // failing test instead of taking the whole suite down.
  for (const file of files) {
    mocha.suite.emit('pre-require', globalThis, file, mocha);
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- a test bundle by path, loaded synchronously as Mocha's loadFiles does
      mocha.suite.emit('require', require(file), file, mocha);
    } catch (error) {
      const title = `${basename(file)} loads ${UNTRUSTED_TAG}`;
      const fail = () => {
        throw error;
      };
      // Tagged and untagged, so the failure shows in both launches.
      mocha.suite.addTest(new Mocha.Test(title, fail));
      mocha.suite.addTest(new Mocha.Test(`${basename(file)} loads`, fail));
    }
    mocha.suite.emit('post-require', globalThis, file, mocha);
  }
  const tagged = new RegExp(escapeRegExp(UNTRUSTED_TAG));
  const wanted = extra ? new RegExp(extra) : undefined;
  pruneTests(mocha.suite, (title) => tagged.test(title) === untrusted && (!wanted || wanted.test(title)));

  const failures = await new Promise<number>((resolve) => mocha.run(resolve));
  if (failures > 0 || counts.failed > 0) {
    throw new Error(`${counts.failed || failures} integration test(s) failed`);
  }
  if (counts.passed === 0) {
    throw new Error('No integration test ran: check the suite build (dist-test/integration/suite/*.test.js) and the grep.');
  }
}

/** Keeps the tests whose full title passes `keep`, and the suites that still hold one. Returns the count kept. */
function pruneTests(suite: MochaType.Suite, keep: (title: string) => boolean): number {
  suite.tests = suite.tests.filter((test) => keep(test.fullTitle()));
  suite.suites = suite.suites.filter((child) => pruneTests(child, keep) > 0);
  return suite.tests.length + suite.suites.length;
}
