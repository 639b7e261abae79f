// A real study file to read back, mutate or render: runStudy with the simulated runner.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runStudy, type StudyOptions, type StudyOutcome } from '../../../src/core/study';
import type { TrainingConfig } from '../../../src/core/types';
import { simulatedRunner } from './simulatedRunner';

const config: TrainingConfig = {
  model: { type: 'linear' },
  data: { source: 'synthetic', task: 'regression' },
  optimizer: { name: 'adam', learning_rate: 0.001 },
  batch_size: 32,
};

export function studyOptions(over: Partial<StudyOptions> = {}): StudyOptions {
  return {
    configPath: '/tmp/x/train.yaml',
    config,
    configText: 'batch_size: 32\n',
    currentBatchSize: 32,
    currentLearningRate: 0.001,
    optimizer: 'adam',
    datasetSize: 8000,
    budgetSeconds: 30,
    minBatchSize: 8,
    maxBatchSize: 256,
    seed: 1,
    startupSecondsGuess: 0.01,
    outDir: mkdtempSync(join(tmpdir(), 'bt-study-file-')),
    ...over,
  };
}

/** A completed study on disk (its file is `outcome.studyFile`). */
export async function writtenStudy(over: Partial<StudyOptions> = {}): Promise<StudyOutcome & { studyFile: string }> {
  const outcome = await runStudy(studyOptions(over), simulatedRunner());
  if (!outcome.studyFile) throw new Error(`the study was not saved: ${outcome.reason ?? outcome.status}`);
  return outcome as StudyOutcome & { studyFile: string };
}
