// `batch-tuner tune <config>`: resolves the study (core/resolve: flags > the config's tuner section
// > defaults), runs it (profile -> noise scale -> convergence -> recommend) within the budget with
// progress on stderr, then prints the table and the recommendation (or one JSON object with
// --json), and optionally writes the HTML report.
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { createRunner } from '../core/runner';
import { readStudy, runStudy, type StudyOutcome } from '../core/study';
import { formatSeconds, renderStudyReport } from '../core/report';
import { describeSettings, STUDY_SETTINGS_SHOWN, type ResolvedStudy } from '../core/resolve';
import { UsageError } from './args';
import { parseTuneArgs, TUNE_USAGE, type TuneArgs } from './tuneArgs';
import { ConfigProblem, resolveForCli } from './resolveConfig';
import { TuneProgress } from './tuneProgress';
import { exitCodeAfter, stopOnSignals } from './stopSignals';
import { sweepAtStart } from './sweepAtStart';
import { formatOutcomeTable, formatRecommendation, jsonSafe, outcomeJson } from './tuneOutput';

export { TUNE_USAGE } from './tuneArgs';

/**
 * Parsed flags and the resolved study, or the exit status after printing what went wrong. What an
 * earlier, killed run left behind is swept first (sweepAtStart).
 */
async function setUp(args: string[]): Promise<{ a: TuneArgs; study: ResolvedStudy } | number> {
  try {
    const a = parseTuneArgs(args);
    if (a === 'help') {
      console.log(TUNE_USAGE);
      return 0;
    }
    await sweepAtStart(a.config);
    return { a, study: resolveForCli(a.config, a) };
  } catch (e) {
    if (!(e instanceof UsageError || e instanceof ConfigProblem)) throw e;
    console.error(`batch-tuner tune: ${e.message}`);
    if (e instanceof UsageError && /missing <config>|unknown option|expects|takes no value/.test(e.message)) console.error(`\n${TUNE_USAGE}`);
    return 2;
  }
}

function header(study: ResolvedStudy): string {
  const o = study.options;
  const where = path.relative(process.cwd(), o.configPath) || o.configPath;
  const lines = [
    `Tuning ${where} (current batch ${o.currentBatchSize}, lr ${o.currentLearningRate}${study.kind === 'external' ? ', your own training command' : ''})`,
    `settings: ${describeSettings(study, STUDY_SETTINGS_SHOWN)}`,
    ...study.notes.map((n) => `note: ${n}`),
  ];
  return lines.join('\n') + '\n';
}

/** Runs the study with SIGINT, SIGTERM and SIGHUP as Stop (twice: quit at once); the exit status a stop gives, if one did. */
async function runStoppable(study: ResolvedStudy, progress: TuneProgress, force: boolean): Promise<{ outcome: StudyOutcome; stopCode?: number }> {
  const stop = stopOnSignals((line) => process.stderr.write(`${line}\n`));
  try {
    const options = force ? { ...study.options, force: true } : study.options;
    const outcome = await runStudy(options, createRunner(study.runner), (e) => progress.on(e), stop.signal);
    return { outcome, ...(stop.stoppedBy() ? { stopCode: exitCodeAfter(stop, 0) } : {}) };
  } finally {
    await stop.release();
  }
}

function printOutcome(a: TuneArgs, study: ResolvedStudy, outcome: StudyOutcome): void {
  if (a.report && outcome.studyFile) {
    writeFileSync(a.report, renderStudyReport(readStudy(outcome.studyFile)));
    process.stderr.write(`report: ${path.resolve(a.report)}\n`);
  }
  if (a.json) {
    process.stdout.write(JSON.stringify(outcomeJson(outcome, study), jsonSafe) + '\n');
  } else if (outcome.recommendation) {
    process.stdout.write(`\n${formatOutcomeTable(outcome)}\n\n${formatRecommendation(outcome)}\n`);
    process.stdout.write(`\nstudy: ${outcome.studyFile ?? '(not saved)'} (${formatSeconds(outcome.elapsedSeconds)})\n`);
  }
}

export async function runTuneCommand(args: string[]): Promise<number> {
  const set = await setUp(args);
  if (typeof set === 'number') return set;
  const { a, study } = set;
  if (!a.json) process.stderr.write(header(study));
  const { outcome, stopCode } = await runStoppable(study, new TuneProgress(study.options.budgetSeconds ?? 0), a.force);
  printOutcome(a, study, outcome);
  if (stopCode !== undefined) {
    if (outcome.studyFile) process.stderr.write(`study saved as ${outcome.status} in ${outcome.studyFile}\n`);
    return stopCode;
  }
  if (outcome.status === 'failed') {
    console.error(
      `batch-tuner tune: the study failed: ${outcome.reason ?? 'unknown reason'}${outcome.studyFile ? `\n(study saved as failed in ${outcome.studyFile})` : ''}`,
    );
    return 1;
  }
  if (outcome.status === 'stopped') return 130;
  return 0;
}
