// A study writer in its own process, for the tests that kill one (study-file-kill) or race two
// (study-file-lock). Bundled by studyChild.ts and started with plain node (fast to start).
//   study <outDir> <configPath> <msPerTrial> [force]   runStudy with the simulated runner, each trial
//                                                    taking msPerTrial; prints `ready` once the study-start
//                                                    line is on disk, then `done <status> <file> [lockedBy <pid>]`
//   lines <outDir> <seed>                             StudyWriter appending lines of 100 B to 4 MB
//                                                    until killed; prints `ready <studyFile>`
import { runStudy, StudyWriter, type StudyOptions } from '../../../src/core/study';
import { seededRandom } from '../../../src/core/tuner';
import type { TrainingConfig, TrialRunner } from '../../../src/core/types';
import { simulatedRunner } from './simulatedRunner';

const config: TrainingConfig = {
  model: { type: 'linear' },
  data: { source: 'synthetic', task: 'regression' },
  optimizer: { name: 'adam', learning_rate: 0.001 },
  batch_size: 32,
};

async function study(outDir: string, configPath: string, msPerTrial: number, force: boolean): Promise<void> {
  const sim = simulatedRunner();
  const runner: TrialRunner = async (spec, callbacks, signal) => {
    await new Promise((r) => setTimeout(r, msPerTrial));
    return sim(spec, callbacks, signal);
  };
  const options: StudyOptions = {
    configPath,
    config,
    configText: 'batch_size: 32\n',
    currentBatchSize: 32,
    currentLearningRate: 0.001,
    optimizer: 'adam',
    datasetSize: 8000,
    budgetSeconds: 20,
    minBatchSize: 16,
    maxBatchSize: 128,
    seed: 1,
    startupSecondsGuess: 0.01,
    outDir,
    force,
  };
  let ready = false;
  const out = await runStudy(options, runner, (e) => {
    if (!ready && e.type === 'plan') {
      ready = true;
      process.stdout.write('ready\n');
    }
  });
  process.stdout.write(`done ${out.status} ${out.studyFile ?? ''} ${out.lockedBy ? `lockedBy ${out.lockedBy.pid}` : ''}\n${out.reason ?? ''}\n`);
}

function lines(outDir: string, seed: number): void {
  const rand = seededRandom(seed);
  const w = new StudyWriter(outDir, `kill-${process.pid}`);
  const time = new Date().toISOString();
  w.append({
    v: 1,
    type: 'study-start',
    id: `kill-${process.pid}`,
    time,
    configPath: '/tmp/x/train.yaml',
    currentBatchSize: 32,
    currentLearningRate: 0.001,
    optimizer: 'adam',
    datasetSize: 8000,
    writer: { pid: process.pid },
    settings: { budgetSeconds: 60, minBatchSize: 8, maxBatchSize: 256, lrRule: 'sqrt', parallel: 1, seed: 1 },
  });
  process.stdout.write(`ready ${w.file}\n`);
  for (let i = 0; ; i++) {
    // Mostly small lines, now and then a multi-megabyte one: a kill can land inside its write.
    const size = rand() < 0.2 ? Math.floor(rand() * 4e6) : Math.floor(rand() * 2000);
    w.append({ v: 1, type: 'warning', time, message: `line ${i} ` + 'x'.repeat(size) });
  }
}

const [mode, ...args] = process.argv.slice(2);
if (mode === 'study') void study(args[0], args[1], Number(args[2]), args[3] === 'force');
else if (mode === 'lines') lines(args[0], Number(args[1]));
else throw new Error(`unknown mode ${mode}`);
