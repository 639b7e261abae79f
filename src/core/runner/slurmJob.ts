// One trial as one Slurm job, started with srun: its output streams back over srun's stdout (the
// metrics records too, so compute nodes need no shared file system for them) and srun's exit is
// the trial's end, so the one TrialProcess supervises it like any command. What srun cannot do is
// end the job when it is killed hard (SIGKILL of its process group leaves the job running), so the
// job is named and commented with its supervisor, and cancelled with scancel: on stop, when the
// trial ends, when this process exits, and by the next start's sweep if this one was SIGKILLed.
import { randomBytes } from 'node:crypto';
import type { SlurmSettings } from '../resolve/types';
import type { TrialSpec } from '../types';
import type { ResolvedCommand } from './commandTemplate';
import type { GlobalBatchSplit } from './externalCommand';
import { LIFELINE_ENV } from './lifeline';
import { FINISHED_STATES, parseScontrolJob, parseSqueue, parseSstatMaxRss, scancel, scancelSync, slurmCall, SQUEUE_FORMAT } from './slurmCommands';
import { explainJobEnd, type JobRecord } from './slurmOutcome';
import type { Outcome } from './trialOutcome';
import type { LaunchControl, TrialLaunch } from './trialLauncher';
import type { ProcessEnd } from './trialProcess';
import { onHostExit } from './trialRegistry';

/** How often squeue is asked about a job while srun waits for it or runs it. */
const POLL_MS = 2000;

export interface SlurmJobOptions {
  spec: TrialSpec;
  command: ResolvedCommand;
  env: NodeJS.ProcessEnv;
  split: GlobalBatchSplit;
  settings: SlurmSettings;
  /** The supervisor, for a later sweep (slurmStale.ts). */
  comment: string;
  signal: AbortSignal;
  pollMs?: number;
}

/** srun's options for a trial: the job's resources, then the user's extra options, ours last (they name the job). */
export function srunArgs(s: SlurmSettings, split: GlobalBatchSplit, name: string, comment: string): string[] {
  const perWorker = s.workers === 'srun';
  const args = [...s.extraArgs, `--job-name=${name}`, `--comment=${comment}`];
  args.push(`--ntasks=${perWorker ? split.worldSize : 1}`, `--cpus-per-task=${perWorker ? s.cpusPerTask : s.cpusPerTask * split.worldSize}`);
  if (s.partition) args.push(`--partition=${s.partition}`);
  if (s.account) args.push(`--account=${s.account}`);
  if (s.gres) args.push(`--gres=${s.gres}`);
  if (s.timeLimit) args.push(`--time=${s.timeLimit}`);
  // One worker failing ends the others (a data-parallel step would wait for it forever).
  args.push('--kill-on-bad-exit=1');
  return args;
}

/** The job's environment: metrics over stdout, threads = CPUs asked for, a rendezvous port of its own. */
export function jobEnvironment(env: NodeJS.ProcessEnv, s: SlurmSettings): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...env, BATCH_TUNER_METRICS: '' };
  out.OMP_NUM_THREADS ??= String(s.cpusPerTask);
  // srun -n N workers find each other at MASTER_PORT on the first node: two trials on one node need two ports.
  if (s.workers === 'srun') out.MASTER_PORT ??= String(20000 + (randomBytes(2).readUInt16BE(0) % 30000));
  return out;
}

export class SlurmJob implements TrialLaunch {
  readonly file = 'env';
  readonly args: string[];
  readonly env: NodeJS.ProcessEnv;
  private readonly name: string;
  private readonly job: JobRecord = { seenStates: [] };
  private ctl?: LaunchControl;
  private timer?: NodeJS.Timeout;
  private polling?: Promise<void>;
  private unregister?: () => void;
  private readonly onAbort = () => void this.cancel();
  private pendingSince = Date.now();
  private peakRss?: number;

  constructor(private readonly o: SlurmJobOptions) {
    this.name = `batch-tuner-${o.spec.id.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 60)}-${process.pid}-${randomBytes(3).toString('hex')}`;
    this.env = jobEnvironment(o.env, o.settings);
    // `env -u`: srun would export the lifeline's fd number to tasks that do not have that fd.
    this.args = ['-u', LIFELINE_ENV, 'srun', ...srunArgs(o.settings, o.split, this.name, o.comment), '--', o.command.file, ...o.command.args];
  }

  started(ctl: LaunchControl): void {
    this.ctl = ctl;
    this.pendingSince = Date.now();
    this.unregister = onHostExit(() => scancelSync([`--name=${this.name}`], this.o.env));
    this.o.signal.addEventListener('abort', this.onAbort, { once: true });
    this.schedule(500);
  }

  describe(): string {
    return this.job.id ? `Slurm job ${this.job.id}${this.job.nodes ? ` on ${this.job.nodes}` : ''}` : 'a Slurm job';
  }

  private schedule(ms: number): void {
    this.timer = setTimeout(() => (this.polling = this.poll()), ms);
    this.timer.unref();
  }

  private async poll(): Promise<void> {
    const q = await slurmCall('squeue', ['-h', `--name=${this.name}`, '-o', SQUEUE_FORMAT], this.o.env);
    const j = q.ok ? parseSqueue(q.stdout)[0] : undefined;
    if (j) this.note(j.id, j.state, j.reason, j.nodes);
    if (j?.state === 'PENDING') this.whilePending(j.reason);
    if (j?.state === 'RUNNING') await this.sampleMemory(j.id);
    if (this.timer) this.schedule(this.o.pollMs ?? POLL_MS);
  }

  private note(id: string, state: string, reason?: string, nodes?: string): void {
    this.job.id ??= id;
    this.job.state = state;
    if (reason && reason !== 'None') this.job.reason = reason;
    if (nodes) this.job.nodes = nodes;
    if (!this.job.seenStates.includes(state)) this.job.seenStates.push(state);
  }

  /**
   * The job's resident memory from Slurm's own accounting (sstat; needs a JobAcctGatherType):
   * its processes are not ours to read in /proc, and on a cluster not even on this machine.
   */
  private async sampleMemory(id: string): Promise<void> {
    const s = await slurmCall('sstat', ['-n', '-P', '-a', '-j', id, '-o', 'JobID,MaxRSS'], this.o.env);
    const rss = s.ok ? parseSstatMaxRss(s.stdout) : undefined;
    if (rss !== undefined) this.peakRss = Math.max(this.peakRss ?? 0, rss);
  }

  /** The largest resident memory of any task Slurm measured while the job ran. */
  peakMemoryBytes(): number | undefined {
    return this.peakRss;
  }

  /** A job in the queue is alive, not hung; one that waits too long is cancelled and said so. */
  private whilePending(reason: string): void {
    this.ctl?.alive();
    const waited = (Date.now() - this.pendingSince) / 1000;
    if (waited < this.o.settings.pendingTimeoutSeconds || this.job.pendingTimeout) return;
    this.job.pendingTimeout = { seconds: waited, reason };
    void this.cancel();
    this.ctl?.stop({ kind: 'limit', message: `Slurm job ${this.job.id} was still pending after ${Math.round(waited)} s` });
  }

  private async cancel(): Promise<void> {
    this.job.cancelledByUs = true;
    await scancel(this.job.id ? [this.job.id] : [`--name=${this.name}`], this.o.env);
  }

  async finished(end: ProcessEnd, local: Outcome): Promise<Outcome> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.polling;
    this.o.signal.removeEventListener('abort', this.onAbort);
    await this.settle();
    this.unregister?.();
    return explainJobEnd(this.job, end, local, this.o.settings);
  }

  /** The job's final state; a job still running after srun ended (srun killed hard) is cancelled. */
  private async settle(): Promise<void> {
    if (!this.job.id) {
      // srun ended before squeue ever saw the job (refused at once, or too quick): find it by name.
      const q = await slurmCall('squeue', ['-h', `--name=${this.name}`, '-o', SQUEUE_FORMAT], this.o.env);
      const j = q.ok ? parseSqueue(q.stdout)[0] : undefined;
      if (j) this.note(j.id, j.state, j.reason, j.nodes);
      else await scancel([`--name=${this.name}`], this.o.env);
    }
    if (!this.job.id) return;
    const s = await slurmCall('scontrol', ['show', 'job', '-o', this.job.id], this.o.env);
    const fields = s.ok ? parseScontrolJob(s.stdout) : {};
    if (fields.JobState) this.note(this.job.id, fields.JobState, fields.Reason, fields.NodeList === '(null)' ? undefined : fields.NodeList);
    if (fields.ExitCode) this.job.exitCode = fields.ExitCode;
    if (!this.job.state || !FINISHED_STATES.has(this.job.state)) await scancel([this.job.id], this.o.env);
  }
}
