"""Data-parallel set-up for a training script, however its workers were started: torchrun
(RANK/WORLD_SIZE/LOCAL_RANK/MASTER_*), `srun -n N` (SLURM_PROCID/SLURM_NTASKS/SLURM_LOCALID), or
the standard environment by hand (MASTER_ADDR, MASTER_PORT, RANK, WORLD_SIZE). gloo on CPU, NCCL
when CUDA is there. torch is imported when these are called."""

import os
from dataclasses import dataclass


@dataclass
class DistributedContext:
    rank: int
    world_size: int
    local_rank: int
    backend: str
    device: str
    launcher: str

    @property
    def is_main(self):
        return self.rank == 0


def _int_env(*names):
    for name in names:
        value = os.environ.get(name)
        if value not in (None, "") and value.isdigit():
            return int(value)
    return None


def _slurm_master():
    # srun gives every task the node list; the first node hosts rank 0.
    nodes = os.environ.get("SLURM_STEP_NODELIST") or os.environ.get("SLURM_JOB_NODELIST") or ""
    first = nodes.split(",")[0]
    if "[" in first:  # node[01-04] -> node01
        head, rest = first.split("[", 1)
        first = head + rest.split("-")[0].split(",")[0].rstrip("]")
    return first or "127.0.0.1"


def detect_launch():
    """(rank, world_size, local_rank, launcher) from the environment; (0, 1, 0, "single") when alone."""
    if os.environ.get("WORLD_SIZE") and os.environ.get("RANK"):
        launcher = "torchrun" if os.environ.get("TORCHELASTIC_RUN_ID") else "env"
        local = _int_env("LOCAL_RANK")
        return _int_env("RANK"), _int_env("WORLD_SIZE"), local if local is not None else _int_env("RANK"), launcher
    ntasks = _int_env("SLURM_STEP_NUM_TASKS", "SLURM_NTASKS")
    if ntasks and ntasks > 1 and _int_env("SLURM_PROCID") is not None:
        local = _int_env("SLURM_LOCALID")
        return _int_env("SLURM_PROCID"), ntasks, local if local is not None else 0, "srun"
    return 0, 1, 0, "single"


DEFAULT_MASTER_PORT = 29517
# Ports derived from a Slurm job id: 10000-29999, below Linux's ephemeral range (32768-60999), so a
# port the kernel handed to some client is unlikely to be taken.
_SLURM_PORT_BASE, _SLURM_PORT_SPAN = 10000, 20000


def master_port(env=None, default=DEFAULT_MASTER_PORT):
    """The port rank 0 listens on: $MASTER_PORT when set; else, inside a Slurm job, one derived from
    SLURM_JOB_ID (10000 + id mod 20000), so two jobs sharing a node do not both take `default`;
    else `default`."""
    env = os.environ if env is None else env
    port = env.get("MASTER_PORT")
    if port:
        return int(port)
    job = env.get("SLURM_JOB_ID", "")
    return _SLURM_PORT_BASE + int(job) % _SLURM_PORT_SPAN if job.isdigit() else default


def init_distributed(backend=None, port=None, timeout_seconds=120):
    """Joins the process group when started as one of several workers; returns a
    DistributedContext (world_size 1 and nothing initialised when alone). Fills in MASTER_ADDR
    (under srun the step's first node, else 127.0.0.1) and MASTER_PORT (`port` when given, else
    master_port(): one per Slurm job) when they are not set."""
    import datetime

    import torch
    import torch.distributed as dist

    rank, world, local_rank, launcher = detect_launch()
    cuda = torch.cuda.is_available()
    backend = backend or ("nccl" if cuda else "gloo")
    device = "cuda:%d" % (local_rank % max(1, torch.cuda.device_count())) if cuda else "cpu"
    if cuda:
        torch.cuda.set_device(device)
    if world > 1 and not dist.is_initialized():
        os.environ.setdefault("MASTER_ADDR", _slurm_master() if launcher == "srun" else "127.0.0.1")
        os.environ.setdefault("MASTER_PORT", str(port if port is not None else master_port()))
        os.environ["RANK"], os.environ["WORLD_SIZE"] = str(rank), str(world)
        dist.init_process_group(backend, rank=rank, world_size=world, timeout=datetime.timedelta(seconds=timeout_seconds))
    return DistributedContext(rank, world, local_rank, backend, device, launcher)


def max_over_workers(value, device="cpu"):
    """The largest of a number over all workers (e.g. peak memory per device); the value itself when alone."""
    import torch
    import torch.distributed as dist

    if not (dist.is_available() and dist.is_initialized()):
        return value
    # Every worker must join the all-reduce, also one with nothing to say (None -> -1).
    t = torch.tensor([-1.0 if value is None else float(value)], dtype=torch.float64, device=device)
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    return None if t.item() < 0 else int(t.item())


def shutdown():
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()
