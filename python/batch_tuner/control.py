"""Following a batch-size plan: the control file Batch Tuner rewrites (env BATCH_TUNER_CONTROL,
{"v":1,"batch_size":N,"learning_rate":x,"seq":k}; docs/dynamic-batching.md), and a batch sampler
whose batch size can change between batches. Standard library only."""

import json
import os
import random

_control_state = {"seq": None, "stamp": None}


def poll_control(path=None):
    """Returns {"batch_size":..., "learning_rate":..., "seq":...} when the control file holds a
    newer `seq` than last seen, else None. Cheap enough to call every step."""
    path = path or os.environ.get("BATCH_TUNER_CONTROL")
    if not path:
        return None
    try:
        st = os.stat(path)
    except OSError:
        return None
    # The host replaces the file (rename): a new inode or size shows a rewrite even where mtime is coarse.
    stamp = (st.st_mtime_ns, st.st_ino, st.st_size)
    if stamp == _control_state["stamp"]:
        return None
    try:
        with open(path, "r", encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, ValueError):
        # The host replaces the file atomically; a half-read means try again next step.
        return None
    _control_state["stamp"] = stamp
    if not isinstance(data, dict) or data.get("v", 1) != 1:
        return None
    seq = data.get("seq")
    if seq is not None and _control_state["seq"] is not None and seq <= _control_state["seq"]:
        return None
    _control_state["seq"] = seq
    out = {"seq": seq}
    if isinstance(data.get("batch_size"), (int, float)):
        out["batch_size"] = int(data["batch_size"])
    if isinstance(data.get("learning_rate"), (int, float)):
        out["learning_rate"] = float(data["learning_rate"])
    return out if len(out) > 1 else None


def apply_learning_rate(optimizer, lr):
    """Sets every parameter group's learning rate (a plan's co-scaled lr)."""
    for group in optimizer.param_groups:
        group["lr"] = lr


class DynamicBatchSampler:
    """A batch sampler (DataLoader(dataset, batch_sampler=...)) whose `batch_size` may change
    between batches: each batch takes the next `batch_size` indices of the epoch's permutation.
    Batch Tuner's Lightning callback sets it when the plan changes. With num_workers > 0 the
    DataLoader fetches a few batches ahead (prefetch_factor x num_workers), so a change lands
    that many batches later."""

    def __init__(self, dataset_size, batch_size, shuffle=True, seed=0, drop_last=False):
        if int(batch_size) < 1:
            raise ValueError("DynamicBatchSampler: batch_size must be >= 1 (got %r)" % (batch_size,))
        self.dataset_size = int(dataset_size)
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.seed = seed
        self.drop_last = drop_last
        self.epoch = 0

    def set_epoch(self, epoch):
        self.epoch = epoch

    def __iter__(self):
        order = list(range(self.dataset_size))
        if self.shuffle:
            random.Random(self.seed + self.epoch).shuffle(order)
        cursor = 0
        while cursor < len(order):
            size = max(1, int(self.batch_size))
            batch = order[cursor:cursor + size]
            if len(batch) < size and self.drop_last:
                return
            cursor += size
            yield batch
        self.epoch += 1

    def __len__(self):
        # At the current size: a framework reads it once for progress and step counts.
        n, b = self.dataset_size, max(1, self.batch_size)
        return n // b if self.drop_last else (n + b - 1) // b
