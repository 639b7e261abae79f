"""MNIST (the 10,000 real digits shipped as dist/data/mnist.bin) with PyTorch: an MLP
784-128-10 trained with Adam. Runs on its own (`python train.py --config config.yaml`) and as
a Batch Tuner trial, reporting each step through python/batch_tuner.py. Under a batch schedule
it follows the control file Batch Tuner rewrites (BATCH_TUNER_CONTROL, polled between steps):
the next step runs with the new batch size and learning rate, and each step reports both."""

import argparse
import math
import os
import struct
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "python"))  # batch_tuner.py (Batch Tuner also sets PYTHONPATH)
from batch_tuner import GradNoiseMeter, Reporter, cuda_peak_memory, poll_control  # noqa: E402


def read_config(path):
    """The config as a dict: PyYAML when installed, else a reader for flat `key: value` lines."""
    with open(path, "r", encoding="utf-8") as f:
        text = f.read()
    if path.endswith(".json"):
        import json
        return json.loads(text)
    try:
        import yaml
        return yaml.safe_load(text) or {}
    except ImportError:
        out = {}
        for line in text.splitlines():
            if not line or line[0] in " \t#" or ":" not in line:
                continue  # nested sections (tuner:) are Batch Tuner's, not ours
            key, value = line.split(":", 1)
            value = value.split("#", 1)[0].strip().strip("'\"")
            if value:
                try:
                    out[key.strip()] = int(value)
                except ValueError:
                    try:
                        out[key.strip()] = float(value)
                    except ValueError:
                        out[key.strip()] = value
        return out


def load_mnist(path):
    """dist/data/mnist.bin: "BTMNIST1", uint32 count, uint8 rows, cols, pixels, labels (scripts/prepare-mnist.mjs)."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"BTMNIST1":
        raise SystemExit("%s is not a Batch Tuner MNIST file: run `npm run build` to create it" % path)
    (n,) = struct.unpack_from("<I", data, 8)
    rows, cols = data[12], data[13]
    size = rows * cols
    pixels = torch.frombuffer(bytearray(data[14:14 + n * size]), dtype=torch.uint8).reshape(n, size)
    labels = torch.frombuffer(bytearray(data[14 + n * size:14 + n * size + n]), dtype=torch.uint8).long()
    return pixels.float() / 255.0, labels


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--config", default=os.path.join(HERE, "config.yaml"))
    ap.add_argument("--batch-size", type=int)
    ap.add_argument("--lr", type=float)
    ap.add_argument("--max-steps", type=int)
    ap.add_argument("--seed", type=int)
    ap.add_argument("--micro-batches", type=int)
    ap.add_argument("--min-step-seconds", type=float, default=0.0,
                    help="make each step take at least this long (a stand-in for a bigger model in demos and tests)")
    args = ap.parse_args()

    cfg = read_config(args.config)
    rep = Reporter()
    batch_size = int(args.batch_size or cfg.get("batch_size", 32))
    lr = float(args.lr or cfg.get("lr", 1e-3))
    max_steps = int(args.max_steps or cfg.get("max_steps", 300))
    seed = int(args.seed if args.seed is not None else cfg.get("seed", 0))
    micro = int(args.micro_batches or rep.micro_batches or cfg.get("micro_batches", 1))
    micro_wanted = max(1, micro)
    micro = min(micro_wanted, batch_size)
    eval_every = int(rep.eval_every if rep.eval_every is not None else cfg.get("eval_every", 100))
    train_samples = int(cfg.get("train_samples", 8000))

    torch.set_num_threads(1)
    torch.manual_seed(seed)
    mnist = os.environ.get("BATCH_TUNER_MNIST") or os.path.join(HERE, "..", "..", "dist", "data", "mnist.bin")
    if not os.path.exists(mnist):
        raise SystemExit("MNIST data not found at %s: run `npm run build` (or set BATCH_TUNER_MNIST)" % mnist)
    x, y = load_mnist(mnist)
    x_train, y_train = x[:train_samples], y[:train_samples]
    x_val, y_val = x[train_samples:], y[train_samples:]

    model = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    meter = GradNoiseMeter(model.parameters(), micro_wanted) if micro_wanted > 1 else None
    rep.start(backend="pytorch " + torch.__version__, device="cpu")

    def evaluate(step):
        if len(x_val) == 0:
            return
        with torch.no_grad():
            logits = model(x_val)
            val_loss = F.cross_entropy(logits, y_val).item()
            acc = (logits.argmax(1) == y_val).float().mean().item()
        rep.eval(val_loss, step=step, val_accuracy=acc)
        if not rep.enabled:
            print("step %d val_loss %.4f val_accuracy %.3f" % (step, val_loss, acc))

    gen = torch.Generator().manual_seed(seed)
    order, cursor, samples = torch.randperm(len(x_train), generator=gen), 0, 0
    with rep.guard():
        for step in range(1, max_steps + 1):
            t_step = time.perf_counter()
            # A batch schedule run by Batch Tuner: apply its newest command before this step.
            # The data order is one permutation per epoch, so a new size just takes the next
            # batch_size indices from the cursor; Adam's moments carry over, only lr changes.
            command = poll_control()
            if command:
                batch_size = max(1, min(int(command.get("batch_size", batch_size)), len(x_train)))
                rep.batch_size = batch_size  # an out-of-memory report names the size in force
                if "learning_rate" in command:
                    lr = float(command["learning_rate"])
                    for group in opt.param_groups:
                        group["lr"] = lr
                micro = min(micro_wanted, batch_size)
            if cursor + batch_size > len(order):
                order, cursor = torch.randperm(len(x_train), generator=gen), 0
            idx = order[cursor:cursor + batch_size]
            cursor += batch_size
            xb, yb = x_train[idx], y_train[idx]
            opt.zero_grad()
            if meter:
                meter.begin()
            loss_sum = 0.0
            # Gradient accumulation over micro-batches: the summed gradient is the batch mean, and
            # each micro-batch's own gradient gives the noise-scale statistics for free.
            for xm, ym in zip(xb.chunk(micro), yb.chunk(micro)):
                scale = len(xm) / len(xb)
                loss = F.cross_entropy(model(xm), ym) * scale
                loss.backward()
                loss_sum += loss.item()
                if meter:
                    meter.accumulate(scale=scale, micro_batch_size=len(xm))
            opt.step()
            samples += len(xb)
            stats = meter.stats() if meter else {}
            rep.step(step, samples=samples, loss=loss_sum, epoch=samples / len(x_train), batch_size=len(xb), lr=lr,
                     memory_bytes=cuda_peak_memory(), **stats)
            if not rep.enabled and step % 50 == 0:
                print("step %d loss %.4f" % (step, loss_sum))
            if not math.isfinite(loss_sum):
                break
            if eval_every and step % eval_every == 0 and step < max_steps:
                evaluate(step)
            if rep.should_stop(step):
                break
            pause = args.min_step_seconds - (time.perf_counter() - t_step)
            if pause > 0:
                time.sleep(pause)
        evaluate(step)
    rep.done()


if __name__ == "__main__":
    main()
