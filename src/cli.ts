// `batch-tuner` command line: a thin dispatcher; each subcommand lives in src/cli/.
import { runTrainCommand } from './cli/train';
import { runTuneCommand } from './cli/tune';

const USAGE = `Usage: batch-tuner <command> [options]

Commands:
  train <config> [--batch-size N] [--steps N] [--lr X] [--seed N]
                 [--checkpoint-every N] [--checkpoint-dir DIR] [--resume FILE]
                 [--json]                                  train once and summarise
  tune  <config> [--budget S] [--min N] [--max N] [--memory-limit 2GB|2GiB|80%]
                 [--lr-rule linear|sqrt|none] [--out DIR] [--parallel N]
                 [--json] [--report report.html]           recommend a batch size

Run 'batch-tuner <command> --help' for a command's options.`;

// After SIGHUP the terminal is gone and a write to it fails (EIO); a reader like `head` may close a
// pipe (EPIPE). Neither may crash the CLI while it is stopping trials and saving the study.
for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'train':
      return runTrainCommand(rest);
    case 'tune':
      return runTuneCommand(rest);
    case undefined:
    case '-h':
    case '--help':
    case 'help':
      console.log(USAGE);
      return command === undefined ? 2 : 0;
    default:
      console.error(`batch-tuner: unknown command "${command}"\n\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`batch-tuner: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
