// Before the first trial's job: is Slurm there (its client commands on PATH, the controller
// answering), is the partition there and up, and can it give a trial what it asks for (world size x
// CPUs per worker)? Each "no" is one message that names the setting and what to do. It also
// cancels the jobs of supervisors that died on this host (sweepStaleSlurmJobs).
import type { SlurmSettings } from '../resolve/types';
import { findProgram } from './externalCommand';
import { parseSinfo, SINFO_FORMAT, slurmCall, type PartitionInfo } from './slurmCommands';
import { sweepStaleSlurmJobs } from './slurmStale';

const CLIENTS = ['srun', 'sinfo', 'squeue', 'scontrol', 'scancel'];
const LOCAL = 'or run the trials on this machine (tuner.runner: local / --runner local)';

export interface SlurmReady {
  partition: PartitionInfo;
  /** Jobs of dead supervisors that were cancelled. */
  swept: string[];
}

export async function checkSlurm(s: SlurmSettings, worldSize: number, env: NodeJS.ProcessEnv, cwd: string): Promise<SlurmReady | { error: string }> {
  const missing = CLIENTS.filter((p) => 'error' in findProgram(p, cwd, env));
  if (missing.length > 0)
    return {
      error: `Slurm is not reachable (tuner.runner: slurm): ${missing.join(', ')} not found on PATH; install the Slurm client (Debian: apt-get install slurm-client) or load its module, ${LOCAL}`,
    };
  const info = await slurmCall('sinfo', ['-h', '-o', SINFO_FORMAT], env);
  if (!info.ok)
    return {
      error: `Slurm is not reachable (tuner.runner: slurm): sinfo failed: ${info.error}; check that the controller runs (scontrol ping) and that SLURM_CONF names its config${env.SLURM_CONF ? ` (now ${env.SLURM_CONF})` : ''}, ${LOCAL}`,
    };
  const partitions = parseSinfo(info.stdout);
  const partition = choosePartition(partitions, s.partition);
  if ('error' in partition) return partition;
  const fit = capacityProblem(partition, s, worldSize);
  if (fit) return { error: fit };
  return { partition, swept: await sweepStaleSlurmJobs(env) };
}

function choosePartition(all: PartitionInfo[], wanted: string | undefined): PartitionInfo | { error: string } {
  const names = all.map((p) => p.name).join(', ') || 'none';
  if (wanted !== undefined) {
    // srun takes a list ("a,b"): the job goes to whichever starts it first; check the first.
    const first = wanted.split(',')[0];
    const p = all.find((x) => x.name === first);
    if (!p) return { error: `Slurm has no partition "${first}" (tuner.slurm.partition / --slurm-partition): its partitions are ${names}` };
    if (!p.up) return { error: `Slurm partition "${p.name}" is not up (tuner.slurm.partition): a job there would wait forever; choose another of ${names}` };
    return p;
  }
  const p = all.find((x) => x.isDefault) ?? all[0];
  if (!p) return { error: `Slurm has no partition this user can submit to (sinfo lists none): ask the cluster's administrators, ${LOCAL}` };
  if (!p.up) return { error: `Slurm's default partition "${p.name}" is not up: set tuner.slurm.partition to one of ${names}` };
  return p;
}

/**
 * Whether a trial's job can ever start there: `command` puts every worker in one task on one node
 * (world size x CPUs per worker on a node); `srun` runs one task per worker across the nodes.
 */
export function capacityProblem(p: PartitionInfo, s: SlurmSettings, worldSize: number): string | undefined {
  const c = s.cpusPerTask;
  const world = `the world size (tuner.world_size / --world-size) ${worldSize}`;
  const cpus = `tuner.slurm.cpus_per_task ${c}`;
  if (s.workers === 'command' && worldSize * c > p.cpusPerNode)
    return `${world} x ${cpus} = ${worldSize * c} CPUs in one task, but the nodes of partition "${p.name}" have ${p.cpusPerNode}: lower the world size or cpus_per_task, or let srun start one task per worker across nodes (tuner.slurm.workers: srun)`;
  if (c > p.cpusPerNode) return `${cpus} is more than the ${p.cpusPerNode} CPUs of a node in partition "${p.name}": lower it`;
  const total = p.cpusPerNode * p.nodes;
  if (worldSize * c > total)
    return `${world} x ${cpus} = ${worldSize * c} CPUs, but partition "${p.name}" has ${total} in all (${p.nodes} node${p.nodes === 1 ? '' : 's'} x ${p.cpusPerNode}): lower the world size or cpus_per_task`;
  return undefined;
}
