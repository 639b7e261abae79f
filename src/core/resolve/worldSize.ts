// The data-parallel side of a study (issue 13): how many workers a trial has, what the config's
// own global-batch keys say (DeepSpeed's three numbers state it; Lightning's devices x num_nodes),
// whether Apply can write gradient accumulation there, the current global batch, and a world size
// the runner cannot give or the file contradicts, as an error that names the setting.
import { availableParallelism } from 'node:os';
import type { ConfigFormat } from '../config/types';
import { readGlobalBatch, type GlobalBatchReading } from '../config/globalBatch';
import { LineIndex, makeDiagnostic } from '../config/diagnostics';
import { failure, oneLine } from './classify';
import { settingName } from './layers';
import type { Picked } from './provenance';
import type { ResolveFailure, RunnerSpec } from './types';

export interface GlobalBatchFacts {
  reading?: GlobalBatchReading;
  /** Workers the file itself states (DeepSpeed's numbers, Lightning's devices x num_nodes). */
  world?: number;
  /** The file has a key for accumulation (or a family that takes one): a global batch beyond memory can be reached by accumulating. */
  canAccumulate: boolean;
}

/** What a user's own config says about its global batch; a failure (file:line:col) when its numbers disagree. */
export function globalBatchFacts(file: string, text: string, format: ConfigFormat): GlobalBatchFacts | ResolveFailure {
  let reading: GlobalBatchReading | undefined;
  try {
    reading = readGlobalBatch(text, format, file);
  } catch {
    // A text the reader cannot parse was already accepted by the config reader: nothing to add.
    return { canAccumulate: false };
  }
  if (!reading) return { canAccumulate: false };
  const errors = reading.problems.filter((p) => p.severity === 'error');
  if (errors.length > 0)
    return failure(
      'invalid-config',
      errors,
      `${oneLine(errors[0])} (Batch Tuner keeps ${familyNumbers(reading)} consistent and will not tune a file whose numbers disagree)`,
    );
  const stated = reading.worldFrom === 'config' || reading.worldFrom === 'derived' ? reading.world : undefined;
  return { reading, ...(stated !== undefined ? { world: stated } : {}), canAccumulate: reading.family !== 'plain' };
}

function familyNumbers(r: GlobalBatchReading): string {
  return r.family === 'deepspeed'
    ? 'train_batch_size = train_micro_batch_size_per_gpu x gradient_accumulation_steps x GPUs'
    : 'global batch = micro-batch x accumulation x workers';
}

/**
 * The global batch the config trains with now at `world` workers: the file's stated global batch,
 * else its per-device batch x accumulation x workers (a lone batch key is per worker).
 */
export function currentGlobalBatch(facts: GlobalBatchFacts, world: number): number | undefined {
  const r = facts.reading;
  if (!r) return undefined;
  if (r.sites.global && r.global !== undefined) return r.global;
  return r.micro !== undefined && r.accumulation !== undefined ? r.micro * r.accumulation * world : undefined;
}

/** Why `world` workers cannot run: the built-in trainer, this machine's cores, or the file's devices. */
export function worldSizeFailure(
  world: Picked<number>,
  runner: RunnerSpec,
  facts: GlobalBatchFacts,
  where: { file: string; text: string; cpus?: number },
): ResolveFailure | undefined {
  const name = world.source === 'derived' ? 'the world size' : settingName(world.source, 'worldSize');
  const fail = (message: string, offset = 0, length = 0) => {
    const d = makeDiagnostic(new LineIndex(where.text), where.file, offset, length, message);
    return failure('invalid-setting', [d], offset === 0 ? message : oneLine(d));
  };
  if (runner.kind === 'trainer' && world.value > 1)
    return fail(
      `${name}: the built-in trainer runs one process, so it cannot have ${world.value} workers; train with your own command (tuner.command) for data-parallel trials`,
    );
  const r = facts.reading;
  const devices = r?.sites.devices ?? r?.sites.nodes;
  if (r?.family === 'lightning' && r.worldFrom === 'config' && r.world !== world.value && devices)
    return fail(
      `the file runs on devices x num_nodes = ${r.world} workers, but ${name} is ${world.value}: Batch Tuner does not change the hardware a run asks for; change devices/num_nodes, or set the world size to ${r.world}`,
      devices.key.valueOffset,
      devices.key.valueLength,
    );
  if (runner.kind === 'external') {
    const cpus = where.cpus ?? availableParallelism();
    if (world.value > cpus)
      return fail(
        `${name} is ${world.value}, but this machine has ${cpus} CPU core${cpus === 1 ? '' : 's'}: data-parallel workers running on this machine need a core each; lower it to ${cpus} or less, or run the trials on a cluster (tuner.runner: slurm)`,
      );
  }
  return undefined;
}
