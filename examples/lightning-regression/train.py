"""Lightning: a small MLP regressing a noisy linear target (generated, so nothing is downloaded).
The one line that connects it to Batch Tuner is `callbacks=[BatchTunerCallback()]`; the training
DataLoader's batch_sampler is batch_tuner.DynamicBatchSampler, so a batch-size plan Batch Tuner
drives through its control file is followed mid-run (a plain DataLoader works too; the plan is
then reported as not applied)."""

import argparse
import os
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

try:
    import lightning as L
except ImportError:
    import pytorch_lightning as L

from batch_tuner import DynamicBatchSampler
from batch_tuner.config import read_config
from batch_tuner.lightning import BatchTunerCallback

HERE = os.path.dirname(os.path.abspath(__file__))


class Regression(L.LightningModule):
    def __init__(self, features, lr):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(features, 64), nn.Tanh(), nn.Linear(64, 1))
        self.lr = lr

    def training_step(self, batch, batch_idx):
        x, y = batch
        return F.mse_loss(self.net(x), y)

    def validation_step(self, batch, batch_idx):
        x, y = batch
        self.log("val_loss", F.mse_loss(self.net(x), y))

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=self.lr, momentum=0.9)


class Pace(L.Callback):
    """Makes each batch wait until `seconds` (config min_step_seconds) have passed since the last
    one: a stand-in for a bigger model in demos and tests, so a plan's changes arrive in time."""

    def __init__(self, seconds):
        self.seconds = seconds
        self.last = None

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx):
        if self.last is not None:
            time.sleep(max(0.0, self.seconds - (time.perf_counter() - self.last)))
        self.last = time.perf_counter()


def data(n, features, noise, seed):
    g = torch.Generator().manual_seed(seed)
    w = torch.randn(features, 1, generator=torch.Generator().manual_seed(1234))
    x = torch.randn(n, features, generator=g)
    return TensorDataset(x, x @ w + noise * torch.randn(n, 1, generator=g))


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--config", default=os.path.join(HERE, "config.yaml"))
    ap.add_argument("--max-steps", type=int)
    ap.add_argument("--seed", type=int)
    args = ap.parse_args()
    cfg = read_config(args.config)
    seed = int(args.seed if args.seed is not None else cfg.get("seed", 0))
    L.seed_everything(seed, verbose=False)
    features, noise = int(cfg.get("features", 16)), float(cfg.get("label_noise", 0.3))
    train = data(int(cfg.get("train_samples", 8192)), features, noise, seed)
    val = data(512, features, 0.0, seed + 1)
    sampler = DynamicBatchSampler(len(train), int(cfg.get("batch_size", 32)), seed=seed)
    trainer = L.Trainer(
        max_steps=int(args.max_steps or cfg.get("max_steps", 200)),
        accumulate_grad_batches=int(cfg.get("accumulate_grad_batches", 1)),
        val_check_interval=int(cfg.get("val_check_interval", 100)), check_val_every_n_epoch=None,  # every N batches, across epochs
        accelerator="auto", devices=1, logger=False, enable_checkpointing=False, enable_progress_bar=False,
        enable_model_summary=False, num_sanity_val_steps=0,
        callbacks=[BatchTunerCallback()] + ([Pace(float(cfg["min_step_seconds"]))] if cfg.get("min_step_seconds") else []),
    )
    trainer.fit(Regression(features, float(cfg.get("lr", 0.01))), DataLoader(train, batch_sampler=sampler),
                DataLoader(val, batch_size=256))


if __name__ == "__main__":
    main()
