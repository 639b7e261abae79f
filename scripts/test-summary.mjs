// Reading test counts out of the output of the runners `npm test` drives (scripts/test.mjs).

/** Counts from node's test runner summary (spec `ℹ pass N`, or TAP `# pass N`); undefined when absent. */
export function nodeTestCounts(output) {
  const pick = (name) => {
    const matches = [...output.matchAll(new RegExp(`^(?:ℹ|#) ${name} (\\d+)\\s*$`, 'gm'))];
    return matches.length ? Number(matches.at(-1)[1]) : undefined;
  };
  const passed = pick('pass');
  const failed = (pick('fail') ?? 0) + (pick('cancelled') ?? 0);
  return passed === undefined ? undefined : { passed, failed };
}

/** Counts from the last `N passed, N failed` line (the Mocha suite, or any script printing one); undefined when absent. */
export function summaryLineCounts(output) {
  const matches = [...output.matchAll(/^(\d+) passed, (\d+) failed\s*$/gm)];
  if (!matches.length) return undefined;
  const last = matches.at(-1);
  return { passed: Number(last[1]), failed: Number(last[2]) };
}

/**
 * A stage's result. Counts come from the tests' own summary; a command that failed without
 * reporting a failing test still counts one failure (so a crash cannot pass unseen), and a
 * command that succeeded without any count counts one pass.
 */
export function stageResult({ code, counts }) {
  let { passed = 0, failed = 0 } = counts ?? {};
  if (code !== 0 && failed === 0) failed = 1;
  if (code === 0 && !counts) passed = Math.max(passed, 1);
  return { ok: code === 0 && failed === 0, passed, failed };
}
