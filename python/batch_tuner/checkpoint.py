"""A run's full state in one file, to resume it exactly (issue 11): model, optimizer, scheduler,
the Python / NumPy / torch (CPU and CUDA) random states, step, samples, and `extra` (e.g. the data
order and its position). Written atomically (temp file in the same folder, fsync, rename), read
with torch.load(weights_only=True) where torch has it, so a crafted file cannot run code.

    save_checkpoint(path, model, opt, sched, step=step, samples=samples, extra={...}, reporter=rep)
    state = load_checkpoint(path, model, opt, sched)   # -> {"step", "samples", "extra"}

A file that is missing, truncated, corrupt, not a Batch Tuner checkpoint, or another model's
state raises CheckpointError naming the file and what to do.
"""

import os
import random
import sys
import tempfile

FORMAT = "batch-tuner-checkpoint"
VERSION = 1


class CheckpointError(Exception):
    """A checkpoint that cannot be used; the message names the file and what to do."""


def _unwrap(model):
    # DistributedDataParallel / DataParallel keep the real model in .module; save that, so a
    # checkpoint from a data-parallel run loads into a plain model and back.
    return model.module if hasattr(model, "module") and type(model).__name__ in ("DistributedDataParallel", "DataParallel") else model


def _rng_state():
    import torch

    state = {"python": list(random.getstate()[1]), "python_version": random.getstate()[0],
             "python_gauss": random.getstate()[2], "torch": torch.get_rng_state()}
    numpy = sys.modules.get("numpy")
    if numpy is not None:
        kind, keys, pos, has_gauss, gauss = numpy.random.get_state()
        state["numpy"] = {"kind": kind, "keys": torch.from_numpy(keys.astype("int64")), "pos": int(pos),
                          "has_gauss": int(has_gauss), "gauss": float(gauss)}
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def _restore_rng(state):
    import torch

    random.setstate((state["python_version"], tuple(state["python"]), state["python_gauss"]))
    torch.set_rng_state(state["torch"])
    numpy = sys.modules.get("numpy")
    if numpy is not None and "numpy" in state:
        n = state["numpy"]
        numpy.random.set_state((n["kind"], n["keys"].numpy().astype("uint32"), n["pos"], n["has_gauss"], n["gauss"]))
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def _shapes(state_dict):
    return {k: list(v.shape) for k, v in state_dict.items() if hasattr(v, "shape")}


def save_checkpoint(path, model, optimizer, scheduler=None, step=0, samples=0, extra=None, reporter=None):
    """Writes the run's state to `path` atomically and returns {"path", "step", "samples"}; with a
    `reporter`, also sends the metrics protocol's `checkpoint` record. `extra`: plain values and
    tensors only (dicts, lists, numbers, strings), so the file loads with weights_only=True."""
    import torch

    path = os.path.abspath(path)
    folder = os.path.dirname(path)
    os.makedirs(folder, exist_ok=True)
    model_state = _unwrap(model).state_dict()
    state = {
        "format": FORMAT,
        "version": VERSION,
        "model": model_state,
        "shapes": _shapes(model_state),
        "optimizer": optimizer.state_dict() if optimizer is not None else None,
        "scheduler": scheduler.state_dict() if scheduler is not None else None,
        "rng": _rng_state(),
        "step": int(step),
        "samples": int(samples),
        "extra": extra if extra is not None else {},
    }
    fd, tmp = tempfile.mkstemp(prefix=".%s." % os.path.basename(path), suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(state, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)  # readers see the old file or the whole new one, never half
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    info = {"path": path, "step": int(step), "samples": int(samples)}
    if reporter is not None:
        reporter.checkpoint(**info)
    return info


def _read(path):
    import torch

    if not os.path.isfile(path):
        raise CheckpointError("checkpoint %s does not exist: check the path (--resume / ${resume}), or start without one" % path)
    try:
        try:
            return torch.load(path, map_location="cpu", weights_only=True)
        except TypeError:  # torch older than 1.13: no weights_only
            return torch.load(path, map_location="cpu")
    except Exception as e:
        detail = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        if "weights only" in str(e).lower() or "weights_only" in str(e):
            raise CheckpointError("checkpoint %s holds objects a safe load refuses (%s): it was not written by "
                                  "batch_tuner.save_checkpoint; use a checkpoint Batch Tuner wrote" % (path, detail)) from None
        raise CheckpointError("checkpoint %s is truncated or corrupt (%s: %s): delete it and resume from another "
                              "checkpoint, or start over" % (path, type(e).__name__, detail)) from None


def _check_model(path, saved, model_state):
    want, have = _shapes(model_state), saved.get("shapes") or _shapes(saved["model"])
    missing = sorted(set(want) - set(have))
    unexpected = sorted(set(have) - set(want))
    mismatched = ["%s %s here vs %s in the file" % (k, want[k], have[k]) for k in sorted(set(want) & set(have)) if want[k] != have[k]]
    if missing or unexpected or mismatched:
        parts = []
        if missing:
            parts.append("missing %s" % ", ".join(missing[:5]) + (" (+%d more)" % (len(missing) - 5) if len(missing) > 5 else ""))
        if unexpected:
            parts.append("unexpected %s" % ", ".join(unexpected[:5]) + (" (+%d more)" % (len(unexpected) - 5) if len(unexpected) > 5 else ""))
        if mismatched:
            parts.append("shapes differ: %s" % "; ".join(mismatched[:3]))
        raise CheckpointError("checkpoint %s holds another model's state (%s): resume with a checkpoint of this model "
                              "and config, or start without --resume" % (path, "; ".join(parts)))


def load_checkpoint(path, model, optimizer=None, scheduler=None, restore_rng=True):
    """Restores what save_checkpoint wrote into `model` / `optimizer` / `scheduler` (and the random
    states) and returns {"step", "samples", "extra"}. Raises CheckpointError naming the file when it
    cannot."""
    path = os.path.abspath(path)
    saved = _read(path)
    if not isinstance(saved, dict) or saved.get("format") != FORMAT:
        raise CheckpointError("%s is not a Batch Tuner checkpoint (no %r marker): resume from a file written by "
                              "batch_tuner.save_checkpoint" % (path, FORMAT))
    if saved.get("version") != VERSION:
        raise CheckpointError("checkpoint %s has version %r; this batch_tuner reads version %d: update batch_tuner"
                              % (path, saved.get("version"), VERSION))
    target = _unwrap(model)
    _check_model(path, saved, target.state_dict())
    target.load_state_dict(saved["model"])
    try:
        if optimizer is not None and saved.get("optimizer") is not None:
            optimizer.load_state_dict(saved["optimizer"])
        if scheduler is not None and saved.get("scheduler") is not None:
            scheduler.load_state_dict(saved["scheduler"])
    except (ValueError, KeyError, RuntimeError) as e:
        raise CheckpointError("checkpoint %s: its optimizer/scheduler state does not fit this run (%s): resume with "
                              "the same optimizer settings, or start over" % (path, e)) from None
    if restore_rng and saved.get("rng"):
        _restore_rng(saved["rng"])
    return {"step": int(saved.get("step", 0)), "samples": int(saved.get("samples", 0)), "extra": saved.get("extra") or {}}
