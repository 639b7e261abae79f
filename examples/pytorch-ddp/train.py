"""Data-parallel MNIST with PyTorch DistributedDataParallel: an MLP 784-128-10 trained with Adam on
the 10,000 real digits Batch Tuner ships (dist/data/mnist.bin). gloo on CPU, NCCL when CUDA is there.

Start it any of these ways (each worker one process):
  torchrun --standalone --nproc-per-node 2 train.py          (torch 2.x)
  python -m batch_tuner.torchrun --standalone --nproc-per-node 2 train.py   (the same, ending with Batch Tuner)
  srun -n 2 python train.py                                  (SLURM_PROCID / SLURM_NTASKS)
  MASTER_ADDR=127.0.0.1 MASTER_PORT=29517 WORLD_SIZE=2 RANK=0|1 python train.py
  python train.py                                            (one process)

The batch is three numbers: global batch = micro-batch x accumulation steps x workers. Each comes
from the command line, else Batch Tuner's environment (BATCH_TUNER_BATCH_SIZE = the global batch,
BATCH_TUNER_ACCUMULATION_STEPS, BATCH_TUNER_MICRO_BATCH_SIZE, BATCH_TUNER_WORLD_SIZE), else the
config. Rank 0 reports for all: loss averaged over workers, samples of the global batch, the
largest peak memory of any worker, and the gradient noise scale's statistics from each worker's
gradient before the all-reduce (b = per-worker batch) against the all-reduced one (B = global
batch; McCandlish et al. 2018, appendix A)."""

import argparse
import contextlib
import math
import os

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel

try:
    from batch_tuner import DistributedGradStats, GradNoiseMeter, Reporter, apply_learning_rate, device_memory_bytes, poll_control
    from batch_tuner.config import read_config
    from batch_tuner.datasets import default_mnist_path, load_mnist
    from batch_tuner.distributed import init_distributed, max_over_workers, shutdown
except ImportError:
    raise SystemExit("the batch_tuner package is missing: `pip install <Batch Tuner>/python` "
                     "(Batch Tuner puts it on PYTHONPATH for the trials it runs)")

HERE = os.path.dirname(os.path.abspath(__file__))


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", default=os.path.join(HERE, "config.yaml"))
    ap.add_argument("--batch-size", type=int, help="global batch: samples per optimizer step over all workers")
    ap.add_argument("--accumulation-steps", type=int)
    ap.add_argument("--micro-batch-size", type=int, help="per worker and micro-batch")
    ap.add_argument("--world-size", type=int, help="workers expected (checked against the launcher's)")
    ap.add_argument("--lr", type=float)
    ap.add_argument("--max-steps", type=int)
    ap.add_argument("--seed", type=int)
    return ap.parse_args()


def first(*values):
    return next((v for v in values if v is not None), None)


def batch_plan(args, rep, cfg, world):
    """(global, accumulation, micro) with global = micro x accumulation x world, or SystemExit
    naming what is inconsistent."""
    expected = first(args.world_size, rep.world_size)
    if expected is not None and expected != world:
        raise SystemExit("this run has %d worker(s) but %d were asked for (--world-size / BATCH_TUNER_WORLD_SIZE): start it "
                         "with `torchrun --nproc-per-node %d` or `srun -n %d`" % (world, expected, expected, expected))
    # The config in DeepSpeed's names (train_batch_size = micro x accumulation x workers) or ours.
    accum = int(first(args.accumulation_steps, rep.accumulation_steps, cfg.get("gradient_accumulation_steps"), cfg.get("accumulation_steps"), 1))
    global_batch = first(args.batch_size, rep.batch_size)
    micro = first(args.micro_batch_size, rep.micro_batch_size)
    if global_batch is None and micro is None:  # nothing given for this run: the config's own pair
        global_batch = first(cfg.get("train_batch_size"), cfg.get("batch_size"))
        micro = first(cfg.get("train_micro_batch_size_per_gpu"), cfg.get("micro_batch_size"))
    if global_batch is None and micro is None:
        global_batch = 64
    if micro is None:
        micro = int(global_batch) // (accum * world)
    if global_batch is None:
        global_batch = int(micro) * accum * world
    if micro < 1 or int(micro) * accum * world != int(global_batch):
        raise SystemExit("batch %s is not micro-batch %s x accumulation %d x %d worker(s): make train_batch_size a multiple of "
                         "gradient_accumulation_steps x workers (%s: train_batch_size, train_micro_batch_size_per_gpu, "
                         "gradient_accumulation_steps)" % (global_batch, micro, accum, world, args.config))
    return int(global_batch), accum, int(micro)


def global_indices(step_seed, n, global_batch):
    """The step's global batch: the same on every worker (a generator seeded by the step)."""
    g = torch.Generator().manual_seed(step_seed)
    return torch.randint(0, n, (global_batch,), generator=g)


def sync_control(rep, ctx, stop, command, device):
    """Rank 0's decisions (stop; a plan's new batch size and lr) for every worker, in one all-reduce."""
    t = torch.zeros(3, dtype=torch.float64, device=device)
    if ctx.is_main:
        t[0] = 1.0 if stop else 0.0
        if command and "batch_size" in command:
            t[1] = command["batch_size"]
            t[2] = command.get("learning_rate", 0.0)
    if ctx.world_size > 1:
        dist.all_reduce(t)
    return bool(t[0] > 0), (int(t[1]) if t[1] > 0 else None), (float(t[2]) if t[2] > 0 else None)


def main():
    args = parse_args()
    cfg = read_config(args.config)
    ctx = init_distributed()
    rep = Reporter()  # every worker reads the settings; only rank 0 writes
    global_batch, accum, micro = batch_plan(args, rep, cfg, ctx.world_size)
    lr = float(first(args.lr, cfg.get("lr"), 1e-3))
    max_steps = int(first(args.max_steps, cfg.get("max_steps"), 200))
    seed = int(first(args.seed, cfg.get("seed"), 0))
    torch.set_num_threads(max(1, int(os.environ.get("OMP_NUM_THREADS", "1"))))
    torch.manual_seed(seed)  # the same initial weights on every worker
    x, y = load_mnist(default_mnist_path(HERE))
    n_train = int(cfg.get("train_samples", 8000))
    x_train, y_train, x_val, y_val = x[:n_train], y[:n_train], x[n_train:], y[n_train:]

    device = torch.device(ctx.device)
    model = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10)).to(device)
    grads = meter = None
    if ctx.world_size > 1:
        model = DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None)
        grads = DistributedGradStats(model, per_worker_batch=micro * accum).attach()
    elif accum > 1:
        meter = GradNoiseMeter(model.parameters(), accum)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    rep.start(backend="pytorch %s %s x%d (%s)" % (torch.__version__, ctx.backend, ctx.world_size, ctx.launcher), device=str(device),
              batch_size=global_batch, world_size=ctx.world_size, accumulation_steps=accum, micro_batch_size=micro)

    samples, step = 0, 0
    with rep.guard():
        for step in range(1, max_steps + 1):
            idx = global_indices(seed * 1_000_003 + step, n_train, global_batch)
            mine = idx[ctx.rank * micro * accum:(ctx.rank + 1) * micro * accum]  # this worker's share
            loss = train_step(model, opt, grads, meter, x_train[mine].to(device), y_train[mine].to(device), accum, ctx.world_size)
            stats = grads.stats() if grads else (meter.stats() if meter else {})
            if grads:
                grads.reset()
            samples += global_batch
            memory = max_over_workers(device_memory_bytes(), device=device)
            rep.step(step, samples=samples, loss=loss, batch_size=global_batch, lr=opt.param_groups[0]["lr"],
                     epoch=samples / n_train, memory_bytes=memory, **stats)
            stop, new_batch, new_lr = sync_control(rep, ctx, rep.should_stop(step) or not math.isfinite(loss), poll_control() if ctx.is_main else None, device)
            if new_batch:
                global_batch, accum, micro = batch_plan(argparse.Namespace(**{**vars(args), "batch_size": new_batch, "micro_batch_size": None}), rep, cfg, ctx.world_size)
                if grads:
                    grads.per_worker_batch = micro * accum
            if new_lr:
                apply_learning_rate(opt, new_lr)
            if stop:
                break
        evaluate(rep, model, x_val.to(device), y_val.to(device), step)
    rep.done()
    shutdown()


def train_step(model, opt, grads, meter, xb, yb, accum, world):
    """One optimizer step: `accum` micro-batches, the gradient all-reduced only on the last
    (no_sync before it). Returns the loss averaged over all workers."""
    opt.zero_grad()
    if meter:
        meter.begin()
    total = 0.0
    for j, (xm, ym) in enumerate(zip(xb.chunk(accum), yb.chunk(accum))):
        sync = j == accum - 1 or world == 1
        with (contextlib.nullcontext() if sync else model.no_sync()):
            loss = F.cross_entropy(model(xm), ym) / accum
            loss.backward()
        total += loss.item()
        if meter:
            meter.accumulate(scale=1.0 / accum, micro_batch_size=len(xm))
    opt.step()
    if world > 1:
        t = torch.tensor([total], dtype=torch.float64, device=xb.device)
        dist.all_reduce(t)
        total = float(t) / world
    return total


def evaluate(rep, model, x_val, y_val, step):
    if len(x_val) == 0 or not rep.enabled:
        return
    net = model.module if isinstance(model, DistributedDataParallel) else model  # rank 0 alone: no collective
    with torch.no_grad():
        logits = net(x_val)
        rep.eval(F.cross_entropy(logits, y_val).item(), step=step, val_accuracy=(logits.argmax(1) == y_val).float().mean().item())


if __name__ == "__main__":
    main()
