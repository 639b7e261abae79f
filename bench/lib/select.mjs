// `--tasks a,b` on a benchmark's command line: run only those of its tasks (a full benchmark takes
// about an hour on a 2-core machine; one task is a quarter of it). An unknown name is an error
// that lists the known ones. Without the flag, every task.
export function selectTasks(tasks, argv = process.argv) {
  const at = argv.indexOf('--tasks');
  if (at < 0) return tasks;
  const names = (argv[at + 1] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const known = tasks.map((t) => t.name);
  const unknown = names.filter((n) => !known.includes(n));
  if (names.length === 0 || unknown.length > 0) {
    process.stderr.write(`--tasks expects a comma-separated list of ${known.join(', ')}${unknown.length ? ` (unknown: ${unknown.join(', ')})` : ''}\n`);
    process.exit(2);
  }
  return tasks.filter((t) => names.includes(t.name));
}
