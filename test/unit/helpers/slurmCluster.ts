// A real one-node Slurm cluster on localhost for the slurm runner's tests (RECIPES.md section 5):
// Debian's slurmctld + slurmd + munge, installed with apt-get when missing (root only), a private
// munged (own key and socket) and a config in a temp folder with free ports of its own, so it
// never meets another cluster or test. proctrack/linuxproc and task/affinity (each job's tasks
// pinned to the cores it was given) need no cgroups. Everything it starts is stopped by pid.
// Without root or packages, `skip` says what to install: the tests are then not run, never passed.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

const DAEMONS = ['/usr/sbin/munged', '/usr/sbin/slurmctld', '/usr/sbin/slurmd'];
const CLIENTS = ['srun', 'sinfo', 'squeue', 'scancel', 'scontrol'];
const PACKAGES = 'slurmctld slurmd slurm-client munge';

export interface SlurmCluster {
  dir: string;
  /** The environment for everything that talks to this cluster (SLURM_CONF). */
  env: NodeJS.ProcessEnv;
  node: string;
  cpus: number;
  partition: string;
  /** Stops every daemon by pid (after cancelling every job) and removes the folder. Idempotent. */
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function onPath(p: string): boolean {
  return spawnSync('sh', ['-c', 'command -v "$1"', 'sh', p], { stdio: 'ignore' }).status === 0;
}

function missing(): string[] {
  return [...DAEMONS.filter((d) => !existsSync(d)), ...CLIENTS.filter((c) => !onPath(c))];
}

/** Installs the packages when root and they are missing; undefined when ready, else why not. */
export function slurmSkipReason(): string | undefined {
  if (process.platform !== 'linux') return 'not run: the Slurm tests need Linux';
  if (missing().length === 0) return process.getuid?.() === 0 ? undefined : 'not run: starting munged, slurmctld and slurmd needs root';
  if (process.getuid?.() !== 0)
    return `not run: Slurm is not installed (${missing().join(', ')} missing) and only root can install it: apt-get install -y ${PACKAGES}`;
  const r = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', ...PACKAGES.split(' ')], {
    encoding: 'utf8',
    timeout: 300_000,
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (r.status !== 0 || missing().length > 0)
    return `not run: apt-get install -y ${PACKAGES} failed (${(r.stderr || r.error?.message || '').trim().split('\n').pop()}); install them by hand`;
  return undefined;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

function readPid(file: string): number | undefined {
  try {
    const n = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(n) && n > 1 ? n : undefined;
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function endPid(pid: number | undefined): Promise<void> {
  if (pid === undefined || !alive(pid)) return;
  process.kill(pid, 'SIGTERM');
  for (let i = 0; i < 100 && alive(pid); i++) await sleep(100);
  if (alive(pid)) process.kill(pid, 'SIGKILL');
}

function slurmConf(dir: string, node: string, n: number, ports: [number, number], taskPlugin: string): string {
  return `ClusterName=bt${randomBytes(3).toString('hex')}
SlurmctldHost=${node}(127.0.0.1)
SlurmUser=root
SlurmdUser=root
SlurmctldPort=${ports[0]}
SlurmdPort=${ports[1]}
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=${join(dir, 'munge', 'munge.sock')}
StateSaveLocation=${join(dir, 'state')}
SlurmdSpoolDir=${join(dir, 'spool')}
SlurmctldPidFile=${join(dir, 'slurmctld.pid')}
SlurmdPidFile=${join(dir, 'slurmd.pid')}
ProctrackType=proctrack/linuxproc
TaskPlugin=${taskPlugin}
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MpiDefault=none
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/linux
JobAcctGatherFrequency=1
JobCompType=jobcomp/none
KillWait=2
MinJobAge=300
SchedulerParameters=sched_interval=2
SlurmctldLogFile=${join(dir, 'log', 'slurmctld.log')}
SlurmdLogFile=${join(dir, 'log', 'slurmd.log')}
NodeName=${node} NodeAddr=127.0.0.1 CPUs=${n} RealMemory=1000 State=UNKNOWN
PartitionName=debug Nodes=${node} Default=YES MaxTime=INFINITE State=UP
`;
}

async function startMunge(dir: string): Promise<void> {
  const m = join(dir, 'munge');
  mkdirSync(m, { mode: 0o755 });
  chmodSync(m, 0o755); // munged wants its socket folder searchable by all
  writeFileSync(join(m, 'munge.key'), randomBytes(1024), { mode: 0o400 });
  execFileSync(
    '/usr/sbin/munged',
    [
      `--socket=${join(m, 'munge.sock')}`,
      `--key-file=${join(m, 'munge.key')}`,
      `--log-file=${join(m, 'munged.log')}`,
      `--pid-file=${join(m, 'munged.pid')}`,
      `--seed-file=${join(m, 'munged.seed')}`,
    ],
    { stdio: 'pipe', timeout: 20_000 },
  );
}

async function waitIdle(env: NodeJS.ProcessEnv, seconds: number): Promise<boolean> {
  for (let i = 0; i < seconds * 4; i++) {
    const r = spawnSync('sinfo', ['-h', '-o', '%T'], { env, encoding: 'utf8', timeout: 10_000 });
    if (r.status === 0 && /^idle/m.test(r.stdout)) return true;
    await sleep(250);
  }
  return false;
}

/** Starts munged, slurmctld and slurmd on localhost. Throws (after stopping what started) when they do not come up. */
export async function startSlurmCluster(): Promise<SlurmCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'bt-slurm-'));
  chmodSync(dir, 0o755);
  for (const d of ['state', 'spool', 'log']) mkdirSync(join(dir, d));
  const node = hostname().split('.')[0];
  const n = cpus().length;
  const conf = join(dir, 'slurm.conf');
  const env: NodeJS.ProcessEnv = { ...process.env, SLURM_CONF: conf };
  let stopped = false;
  const cluster: SlurmCluster = {
    dir,
    env,
    node,
    cpus: n,
    partition: 'debug',
    stop: async () => {
      if (stopped) return;
      stopped = true;
      spawnSync('scancel', ['--me'], { env, stdio: 'ignore', timeout: 10_000 });
      await sleep(existsSync(join(dir, 'slurmd.pid')) ? 1000 : 0);
      await endPid(readPid(join(dir, 'slurmd.pid')));
      await endPid(readPid(join(dir, 'slurmctld.pid')));
      await endPid(readPid(join(dir, 'munge', 'munged.pid')));
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await startMunge(dir);
    const ports: [number, number] = [await freePort(), await freePort()];
    // task/affinity pins each job's tasks to its cores; where the sandbox refuses it, task/none.
    for (const plugin of ['task/affinity', 'task/none']) {
      writeFileSync(conf, slurmConf(dir, node, n, ports, plugin));
      execFileSync('/usr/sbin/slurmctld', ['-f', conf], { env, stdio: 'pipe', timeout: 20_000 });
      execFileSync('/usr/sbin/slurmd', ['-f', conf], { env, stdio: 'pipe', timeout: 20_000 });
      if (await waitIdle(env, 30)) return cluster;
      await endPid(readPid(join(dir, 'slurmd.pid')));
      await endPid(readPid(join(dir, 'slurmctld.pid')));
    }
    throw new Error(`the Slurm node never became idle; see ${join(dir, 'log')}`);
  } catch (e) {
    const logs = ['slurmctld.log', 'slurmd.log']
      .map((f) => join(dir, 'log', f))
      .filter(existsSync)
      .map((f) => readFileSync(f, 'utf8').split('\n').slice(-8).join('\n'));
    await cluster.stop();
    throw new Error(`${e instanceof Error ? e.message : String(e)}\n${logs.join('\n')}`, { cause: e });
  }
}

/** squeue for this cluster: `%i|%j|%T|%C|%N` lines of every job. */
export function queue(env: NodeJS.ProcessEnv): Array<{ id: string; name: string; state: string; cpus: number; nodes: string }> {
  const r = spawnSync('squeue', ['-h', '-o', '%i|%j|%T|%C|%N'], { env, encoding: 'utf8', timeout: 10_000 });
  return (r.stdout ?? '')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => {
      const [id, name, state, c, nodes] = l.trim().split('|');
      return { id, name, state, cpus: Number(c), nodes };
    });
}

/** The cores a running job was given (`scontrol -d show job`: CPU_IDs=0-1), or undefined. */
export function jobCpuIds(env: NodeJS.ProcessEnv, id: string): string | undefined {
  const r = spawnSync('scontrol', ['-d', 'show', 'job', id], { env, encoding: 'utf8', timeout: 10_000 });
  return /CPU_IDs=(\S+)/.exec(r.stdout ?? '')?.[1];
}

/** JobState of a job the controller still remembers (MinJobAge), or undefined. */
export function jobState(env: NodeJS.ProcessEnv, id: string): string | undefined {
  const r = spawnSync('scontrol', ['show', 'job', '-o', id], { env, encoding: 'utf8', timeout: 10_000 });
  return /JobState=(\S+)/.exec(r.stdout ?? '')?.[1];
}

/** Watches the queue every `ms` until stopped: the most jobs seen RUNNING at once, and the cores of each. */
export function watchQueue(env: NodeJS.ProcessEnv, ms = 300): { stop(): { maxRunning: number; cores: Map<string, string>; concurrent: string[][] } } {
  let maxRunning = 0;
  const cores = new Map<string, string>();
  const concurrent: string[][] = [];
  const timer = setInterval(() => {
    const running = queue(env).filter((j) => j.state === 'RUNNING' && j.name.startsWith('batch-tuner-'));
    maxRunning = Math.max(maxRunning, running.length);
    if (running.length > 1) concurrent.push(running.map((j) => j.id));
    for (const j of running)
      if (!cores.has(j.id)) {
        const c = jobCpuIds(env, j.id);
        if (c) cores.set(j.id, c);
      }
  }, ms);
  return { stop: () => (clearInterval(timer), { maxRunning, cores, concurrent }) };
}
