// The slurm runner's settings through the one resolver (issue 13): tuner.runner / tuner.slurm.*
// in the config, --runner / --slurm-* flags, batchTuner.runner / batchTuner.slurm.* settings, with
// provenance and the one precedence (run > config > editor > default); the world size from a
// setting or from the config's own global-batch keys; bad values named by layer and key
// (file:line:col in the config); a world size the machine cannot give; srun's argv.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliLayer, editorLayer, resolveStudy, settingsWithProvenance, type ResolvedStudy, type ResolveResult } from '../../src/core/resolve';
import { parseTuneArgs } from '../../src/cli/tuneArgs';
import { jobEnvironment, srunArgs } from '../../src/core/runner/slurmJob';
import { capacityProblem } from '../../src/core/runner/slurmPreflight';
import { parseOwnerComment } from '../../src/core/runner/slurmStale';
import { parseScontrolJob, parseSinfo, parseSqueue, parseSstatMaxRss } from '../../src/core/runner/slurmCommands';
import { explainJobEnd } from '../../src/core/runner/slurmOutcome';
import type { SlurmSettings } from '../../src/core/resolve/types';

const MACHINE = { totalMemoryBytes: 2 ** 34, cpus: 2 };
const CMD = '${python} train.py --config ${config}';

function resolveText(text: string, opts: { cli?: string[]; editor?: Parameters<typeof editorLayer>[0]; name?: string } = {}): ResolveResult {
  const dir = mkdtempSync(join(tmpdir(), 'bt-slurm-settings-'));
  const file = join(dir, opts.name ?? 'config.yaml');
  writeFileSync(file, text);
  const args = opts.cli ? parseTuneArgs([file, ...opts.cli]) : undefined;
  assert.notEqual(args, 'help');
  return resolveStudy({
    file,
    text,
    machine: MACHINE,
    ...(args && args !== 'help' ? { run: cliLayer(args, dir) } : {}),
    ...(opts.editor ? { editor: editorLayer(opts.editor) } : {}),
  });
}

function ok(r: ResolveResult): ResolvedStudy {
  assert.ok(r.ok, r.ok ? '' : r.message);
  return r;
}

test('tuner.runner: slurm with tuner.slurm.* makes a slurm RunnerSpec; remote runner, so --parallel gives no distortion warning', () => {
  const r = ok(
    resolveText(
      `batch_size: 32\nlr: 0.001\ntuner:\n  command: "${CMD}"\n  runner: slurm\n  slurm:\n    partition: gpu\n    account: proj1\n    gres: "gpu:1"\n    time_limit: 30\n    cpus_per_task: 4\n    extra_args: ["--qos=high"]\n    pending_timeout_seconds: 45\n    workers: srun\n`,
    ),
  );
  assert.equal(r.runner.kind, 'slurm');
  assert.ok(r.runner.kind === 'slurm');
  assert.deepEqual(r.runner.slurm, {
    partition: 'gpu',
    account: 'proj1',
    gres: 'gpu:1',
    timeLimit: '30',
    cpusPerTask: 4,
    extraArgs: ['--qos=high'],
    pendingTimeoutSeconds: 45,
    workers: 'srun',
  });
  assert.equal(r.options.remoteRunner, true);
  assert.equal(r.provenance.slurmPartition, 'config');
  assert.equal(r.provenance.runner, 'config');
  const s = settingsWithProvenance(r);
  assert.deepEqual(s.slurmGres, { value: 'gpu:1', source: 'config' });
  assert.deepEqual(s.runner, { value: 'slurm', source: 'config' });
});

test('precedence: --slurm-* flags beat the config, the config beats batchTuner.slurm.*, each with its provenance', () => {
  const text = `batch_size: 32\ntuner:\n  command: "${CMD}"\n  slurm:\n    partition: cfgpart\n    cpus_per_task: 2\n`;
  const r = ok(
    resolveText(text, {
      cli: ['--runner', 'slurm', '--slurm-partition', 'clipart', '--slurm-extra-args', '--qos=low "--comment=x y"'],
      editor: { runner: 'local', slurmPartition: 'edpart', slurmAccount: 'edacct', slurmCpusPerTask: 8, slurmTimeLimit: '1:00:00' },
    }),
  );
  assert.ok(r.runner.kind === 'slurm');
  assert.equal(r.runner.slurm.partition, 'clipart');
  assert.equal(r.runner.slurm.cpusPerTask, 2, 'config over editor');
  assert.equal(r.runner.slurm.account, 'edacct', 'editor when nothing else says');
  assert.equal(r.runner.slurm.timeLimit, '1:00:00');
  assert.deepEqual(r.runner.slurm.extraArgs, ['--qos=low', '--comment=x y'], 'split like a command, quotes kept, no shell');
  assert.deepEqual(
    [r.provenance.runner, r.provenance.slurmPartition, r.provenance.slurmCpusPerTask, r.provenance.slurmAccount, r.provenance.slurmPendingTimeoutSeconds],
    ['cli', 'cli', 'config', 'editor', 'default'],
  );
  const local = ok(resolveText(text, { editor: { runner: 'local' } }));
  assert.equal(local.runner.kind, 'external', 'batchTuner.runner: local');
  assert.equal(local.options.remoteRunner, undefined);
});

test('bad Slurm values are errors naming the layer and key: file:line:col for the config, the flag, the setting', () => {
  const cfg = resolveText(`batch_size: 32\ntuner:\n  command: "${CMD}"\n  runner: slurm\n  slurm:\n    time_limit: "soon"\n`);
  assert.ok(!cfg.ok);
  assert.match(cfg.message, /config\.yaml:6:17: .*time_limit/);
  const extra = resolveText(`batch_size: 32\ntuner:\n  command: "${CMD}"\n  slurm:\n    extra_args: ["--qos=high", "hostname"]\n`);
  assert.ok(!extra.ok);
  assert.match(extra.message, /config\.yaml:5:\d+: .*extra_args.*srun option/);
  const flag = resolveText(`batch_size: 32\ntuner:\n  command: "${CMD}"\n`, { cli: ['--runner', 'slurm', '--slurm-extra-args', 'rm -rf /'] });
  assert.ok(!flag.ok);
  assert.match(flag.message, /^--slurm-extra-args: must be srun options.*"rm" is not one/);
  const setting = resolveText(`batch_size: 32\ntuner:\n  command: "${CMD}"\n`, { editor: { runner: 'slurm', slurmGres: 'gpu 1; reboot' } });
  assert.ok(!setting.ok);
  assert.match(setting.message, /^setting batchTuner\.slurm\.gres: must be a generic resource/);
  assert.throws(() => parseTuneArgs(['c.yaml', '--runner', 'cloud']), /--runner expects local or slurm \(got "cloud"\)/);
  assert.throws(() => parseTuneArgs(['c.yaml', '--slurm-workers', 'mpi']), /--slurm-workers expects command or srun/);
});

test('the slurm runner needs a command: the built-in trainer runs on this machine only', () => {
  const r = resolveText(
    `model: { type: mlp }\ndata: { source: mnist, train_samples: 500 }\noptimizer: { name: adam, learning_rate: 0.001 }\nbatch_size: 32\ntuner:\n  runner: slurm\n`,
    { name: 'mnist.batch-tuner.yaml' },
  );
  assert.ok(!r.ok);
  assert.match(r.message, /^tuner\.runner: slurm runs your own training command .* add tuner\.command/);
});

test('world size: --world-size, else tuner.world_size, else the DeepSpeed numbers; the current global batch follows it', () => {
  const ds = `train_batch_size: 64\ntrain_micro_batch_size_per_gpu: 16\ngradient_accumulation_steps: 2\nlr: 0.001\ntuner:\n  command: "${CMD}"\n`;
  const derived = ok(resolveText(ds));
  assert.deepEqual(derived.options.parallelism, { worldSize: 2, canAccumulate: true }, '64 = 16 x 2 x 2 workers');
  assert.equal(derived.provenance.worldSize, 'config');
  assert.equal(derived.options.currentBatchSize, 64);
  const hf = ok(
    resolveText(`per_device_train_batch_size: 16\ngradient_accumulation_steps: 2\nlearning_rate: 0.001\ntuner:\n  command: "${CMD}"\n  world_size: 2\n`),
  );
  assert.equal(hf.options.currentBatchSize, 64, 'per-device 16 x 2 accumulation x 2 workers');
  assert.ok(hf.runner.kind === 'external' && hf.runner.worldSize === 2);
  const flag = ok(resolveText(`batch_size: 32\nlr: 0.1\ntuner:\n  command: "${CMD}"\n  world_size: 2\n`, { cli: ['--world-size', '1'] }));
  assert.deepEqual([flag.options.parallelism?.worldSize, flag.provenance.worldSize], [1, 'cli']);
  assert.equal(flag.options.parallelism?.canAccumulate, false, 'a lone batch key has no accumulation to write');
});

test('a world size this machine cannot give names the setting; the built-in trainer has one process; Lightning devices must agree', () => {
  const many = resolveText(`batch_size: 32\ntuner:\n  command: "${CMD}"\n  world_size: 8\n`);
  assert.ok(!many.ok);
  assert.match(many.message, /^tuner\.world_size is 8, but this machine has 2 CPU cores: .*tuner\.runner: slurm/);
  const flag = resolveText(`batch_size: 32\ntuner:\n  command: "${CMD}"\n`, { cli: ['--world-size', '3'] });
  assert.ok(!flag.ok);
  assert.match(flag.message, /^--world-size is 3, but this machine has 2 CPU cores/);
  const onSlurm = resolveText(`batch_size: 32\ntuner:\n  command: "${CMD}"\n  world_size: 8\n  runner: slurm\n`);
  assert.ok(onSlurm.ok, 'the cluster, not this machine, is asked (before the first job)');
  const builtin = resolveText(
    `model: { type: mlp }\ndata: { source: mnist, train_samples: 500 }\noptimizer: { name: adam, learning_rate: 0.001 }\nbatch_size: 32\ntuner:\n  world_size: 2\n`,
    { name: 'm.batch-tuner.yaml' },
  );
  assert.ok(!builtin.ok);
  assert.match(builtin.message, /tuner\.world_size: the built-in trainer runs one process/);
  const pl = resolveText(`batch_size: 32\naccumulate_grad_batches: 2\ndevices: 2\nlr: 0.001\ntuner:\n  command: "${CMD}"\n`, { cli: ['--world-size', '1'] });
  assert.ok(!pl.ok);
  assert.match(pl.message, /config\.yaml:3:10: the file runs on devices x num_nodes = 2 workers, but --world-size is 1/);
});

test("inconsistent DeepSpeed numbers in the user's file stop tune before any trial, at file:line:col", () => {
  const r = resolveText(`train_batch_size: 100\ntrain_micro_batch_size_per_gpu: 16\ngradient_accumulation_steps: 2\ntuner:\n  command: "${CMD}"\n`);
  assert.ok(!r.ok);
  assert.equal(r.reason, 'invalid-config');
  assert.match(r.message, /config\.yaml:1:19: .*train_batch_size/);
  assert.match(r.message, /will not tune a file whose numbers disagree/);
});

const S: SlurmSettings = {
  cpusPerTask: 2,
  extraArgs: ['--qos=high'],
  pendingTimeoutSeconds: 60,
  workers: 'command',
  partition: 'gpu',
  gres: 'gpu:2',
  timeLimit: '10',
};

test("srun's argv: the user's options first, ours last; `command` puts every worker in one task, `srun` one task per worker", () => {
  const split = { worldSize: 2, accumulationSteps: 1, microBatchSize: 16 };
  assert.deepEqual(srunArgs(S, split, 'n', 'c'), [
    '--qos=high',
    '--job-name=n',
    '--comment=c',
    '--ntasks=1',
    '--cpus-per-task=4',
    '--partition=gpu',
    '--gres=gpu:2',
    '--time=10',
    '--kill-on-bad-exit=1',
  ]);
  const per = srunArgs({ ...S, workers: 'srun' }, split, 'n', 'c');
  assert.ok(per.includes('--ntasks=2') && per.includes('--cpus-per-task=2'));
  const env = jobEnvironment({ PATH: '/bin', BATCH_TUNER_METRICS: '/tmp/m.jsonl' }, { ...S, workers: 'srun' });
  assert.equal(env.BATCH_TUNER_METRICS, '', 'metrics over stdout: no shared file system needed');
  assert.equal(env.OMP_NUM_THREADS, '2');
  assert.ok(Number(env.MASTER_PORT) >= 20000 && Number(env.MASTER_PORT) < 50000);
  assert.equal(jobEnvironment({ OMP_NUM_THREADS: '1' }, S).OMP_NUM_THREADS, '1', "the user's own setting stands");
});

test('Slurm readers: sinfo partitions, squeue lines, scontrol fields, owner comments, capacity', () => {
  const parts = parseSinfo('debug*|up|2|1\ngpu|up|8|3\ngpu|up|8|1\nold|down|4|2\n');
  assert.deepEqual(
    parts.map((p) => [p.name, p.isDefault, p.up, p.cpusPerNode, p.nodes]),
    [
      ['debug', true, true, 2, 1],
      ['gpu', false, true, 8, 4],
      ['old', false, false, 4, 2],
    ],
  );
  assert.deepEqual(
    parseSqueue('12|PENDING|Resources|\n13|RUNNING|None|n1\nsqueue: error\n').map((j) => j.id),
    ['12', '13'],
  );
  assert.equal(parseScontrolJob('JobId=5 JobName=x JobState=PREEMPTED Reason=None ExitCode=0:15 NodeList=n[1-2]').JobState, 'PREEMPTED');
  assert.deepEqual(parseOwnerComment('batch-tuner:vm:123:1700000000000'), { host: 'vm', pid: 123, startMs: 1700000000000 });
  assert.equal(parseOwnerComment('someone else'), undefined);
  assert.equal(parseSstatMaxRss('12.0|218268K\n12.1|1.5G\n12.batch|\n'), 1.5 * 1024 ** 3, 'the largest step, KiB-based units');
  assert.equal(parseSstatMaxRss(''), undefined);
  assert.match(
    capacityProblem(parts[0], { ...S, cpusPerTask: 1 }, 4) ?? '',
    /world size .* 4 x tuner\.slurm\.cpus_per_task 1 = 4 CPUs in one task, but the nodes of partition "debug" have 2/,
  );
  assert.equal(capacityProblem(parts[1], { ...S, cpusPerTask: 2, workers: 'srun' }, 16), undefined, '16 workers x 2 CPUs over 4 nodes of 8');
  assert.match(capacityProblem(parts[1], { ...S, cpusPerTask: 2, workers: 'srun' }, 17) ?? '', /34 CPUs, but partition "gpu" has 32 in all/);
});

test("a job's end in words: preempted, time limit, its memory, a node failure, cancelled by someone else, refused by srun", () => {
  const end = {
    code: 1,
    signal: null,
    killedByUs: false,
    survivors: [],
    stderrTail: 'srun: error: Unable to allocate resources: Invalid account or account/partition combination specified',
  };
  const local = { status: 'crashed' as const, error: { kind: 'crash' as const, message: 'the training command exited with code 1' } };
  const job = (state: string) => ({ id: '7', state, nodes: 'n1', seenStates: ['RUNNING', state] });
  assert.match(explainJobEnd(job('PREEMPTED'), end, local, S).error!.message, /^Slurm job 7 was preempted on n1 .*tuner\.slurm\.partition/);
  assert.equal(explainJobEnd(job('TIMEOUT'), end, local, S).status, 'timeout');
  assert.match(explainJobEnd(job('TIMEOUT'), end, local, S).error!.message, /time limit \(tuner\.slurm\.time_limit 10\)/);
  assert.equal(explainJobEnd(job('OUT_OF_MEMORY'), end, local, S).status, 'oom');
  assert.match(explainJobEnd(job('NODE_FAIL'), end, local, S).error!.message, /the node of Slurm job 7 on n1 failed/);
  assert.match(explainJobEnd(job('CANCELLED'), end, local, S).error!.message, /cancelled outside Batch Tuner/);
  assert.match(explainJobEnd(job('FAILED'), end, local, S).error!.message, /exited with code 1 \(Slurm job 7 on n1\)$/);
  const refused = explainJobEnd({ seenStates: [] }, end, local, S);
  assert.deepEqual([refused.status, refused.error?.kind], ['failed', 'spawn']);
  assert.match(refused.error!.message, /^Slurm refused the trial's job: Unable to allocate resources: Invalid account.*check tuner\.slurm\.account/);
  const pending = explainJobEnd(
    { id: '9', seenStates: ['PENDING'], pendingTimeout: { seconds: 61, reason: 'Resources' } },
    { ...end, stderrTail: '' },
    local,
    S,
  );
  assert.match(
    pending.error!.message,
    /^Slurm job 9 never started: it was still pending after 61 s \(Slurm's reason: Resources: the nodes are busy.*tuner\.slurm\.pending_timeout_seconds, now 60 s/,
  );
});

test("a trial whose time runs out while its job waits in the queue says so (not 'ran past its time limit')", () => {
  const end = {
    code: 1,
    signal: null,
    killedByUs: true,
    survivors: [],
    reason: { kind: 'limit' as const, message: 'the script ran past BATCH_TUNER_MAX_SECONDS=5 by 30 s and was stopped' },
  };
  const local = { status: 'timeout' as const, error: { kind: 'hang' as const, message: end.reason.message } };
  const r = explainJobEnd({ id: '11', state: 'CANCELLED', reason: 'Priority', seenStates: ['PENDING', 'CANCELLED'] }, end, local, S);
  assert.deepEqual([r.status, r.error?.kind], ['failed', 'spawn']);
  assert.match(r.error!.message, /^Slurm job 11 was still waiting in the queue \(Slurm's reason: Priority\) when the trial's time ran out/);
});
