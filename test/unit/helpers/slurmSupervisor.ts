// A supervisor in its own process, for the slurm runner's parent-death tests: runs one trial of
// `command` (argv[3]) on `config` (argv[2]) through the slurm runner and prints `READY <srun pid>`
// and the trial's own `pid N` line. Mode (argv[4]): `wait` runs until killed; `exit` calls
// process.exit(0) as soon as the trial runs (the exit hook must then scancel the job).
import { createSlurmRunner } from '../../../src/core/runner/slurm';
import type { TrainingConfig } from '../../../src/core/types';

const [config, command, mode] = process.argv.slice(2);
const run = createSlurmRunner({ command, slurm: { cpusPerTask: 1, extraArgs: [], pendingTimeoutSeconds: 60, workers: 'command' }, hangTimeoutMs: 120_000 });
void run(
  { id: 'orphan', configPath: config, config: {} as TrainingConfig, batchSize: 8, learningRate: 0.1, seed: 0, maxSteps: 100_000 },
  {
    onReady: (info) => process.stdout.write(`READY ${info.pid}\n`),
    onLog: (_level, message) => {
      if (!/^pid \d+/.test(message)) return;
      process.stdout.write(`${message}\n`);
      if (mode === 'exit') process.exit(0);
    },
  },
);
