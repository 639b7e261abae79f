"""Batch Tuner reporter: lets any training script tell Batch Tuner what it measured.

Stdlib only; copy this one file next to your script (Batch Tuner also puts its folder on
PYTHONPATH for the trials it starts). Outside Batch Tuner every call is a cheap no-op, so the
script runs unchanged by hand.

    from batch_tuner import Reporter
    rep = Reporter()                       # reads BATCH_TUNER_* from the environment
    batch_size = rep.batch_size or 32      # the batch size this trial should use
    with rep.guard():                      # an out-of-memory error becomes an `oom` event
        for step in range(1, steps + 1):
            loss = train_step(...)
            rep.step(step, samples=step * batch_size, loss=loss)
            if rep.should_stop(step):
                break
    rep.done()

Protocol (docs/metrics-protocol.md): one JSON object per line, {"v": 1, "type": "step", ...},
appended to $BATCH_TUNER_METRICS, or printed on stdout as `batch-tuner: {...}`.
"""

import contextlib
import json
import math
import os
import sys
import time

PROTOCOL_VERSION = 1
STDOUT_PREFIX = "batch-tuner: "

__all__ = ["Reporter", "GradNoiseMeter", "cuda_peak_memory", "poll_control", "is_out_of_memory"]


def _env_number(name, kind=float):
    value = os.environ.get(name)
    if value is None or value == "":
        return None
    try:
        return kind(value)
    except ValueError:
        try:
            return kind(float(value))
        except ValueError:
            return None


def _plain(value):
    """A JSON-safe number: tensors and numpy scalars become floats; NaN/inf become None."""
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, str):
        return value
    try:
        f = float(value)
    except (TypeError, ValueError):
        return str(value)
    return f if math.isfinite(f) else None


def is_out_of_memory(exc):
    """True for torch.cuda.OutOfMemoryError, MemoryError and RuntimeErrors that say 'out of memory'."""
    if isinstance(exc, MemoryError):
        return True
    name = type(exc).__name__
    if name in ("OutOfMemoryError", "OutOfMemory"):
        return True
    return isinstance(exc, RuntimeError) and "out of memory" in str(exc).lower()


class Reporter:
    """Writes metrics records for Batch Tuner.

    Active when Batch Tuner started the script (BATCH_TUNER_METRICS or BATCH_TUNER_TRIAL_ID is
    set), or when asked with enabled=True / BATCH_TUNER_STDOUT=1 (then it prints the stdout form).
    The trial's settings are attributes: batch_size, learning_rate, steps, seed, micro_batches,
    max_seconds, config, trial_id (None when not set).
    """

    def __init__(self, metrics_path=None, enabled=None, stream=None):
        env = os.environ
        self.metrics_path = metrics_path or env.get("BATCH_TUNER_METRICS") or None
        self.trial_id = env.get("BATCH_TUNER_TRIAL_ID")
        self.config = env.get("BATCH_TUNER_CONFIG")
        self.batch_size = _env_number("BATCH_TUNER_BATCH_SIZE", int)
        self.learning_rate = _env_number("BATCH_TUNER_LEARNING_RATE", float)
        self.steps = _env_number("BATCH_TUNER_STEPS", int)
        self.seed = _env_number("BATCH_TUNER_SEED", int)
        self.micro_batches = _env_number("BATCH_TUNER_MICRO_BATCHES", int)
        self.max_seconds = _env_number("BATCH_TUNER_MAX_SECONDS", float)
        self.eval_every = _env_number("BATCH_TUNER_EVAL_EVERY", int)
        if enabled is None:
            enabled = bool(self.metrics_path or self.trial_id or env.get("BATCH_TUNER_STDOUT") == "1")
        self.enabled = bool(enabled)
        self._stream = stream
        self._fd = None
        self._t0 = time.perf_counter()
        self._started = False
        self._last_step = 0
        self._samples = 0

    # -- writing -----------------------------------------------------------------------------

    def _write(self, record):
        if not self.enabled:
            return
        record = dict(record)
        record["v"] = PROTOCOL_VERSION
        line = json.dumps({k: _plain(v) for k, v in record.items() if v is not None or k == "loss"}, allow_nan=False)
        if self.metrics_path:
            if self._fd is None:
                self._fd = os.open(self.metrics_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            # One write() per line with O_APPEND: lines from several processes never interleave.
            os.write(self._fd, (line + "\n").encode("utf-8"))
        else:
            stream = self._stream or sys.stdout
            stream.write(STDOUT_PREFIX + line + "\n")
            stream.flush()

    def elapsed(self):
        """Seconds since this reporter was created (the `time` of each record)."""
        return time.perf_counter() - self._t0

    def start(self, **fields):
        """Optional: says the script is up (backend, device, ...). step() sends it if you don't."""
        self._started = True
        fields.setdefault("batch_size", self.batch_size)
        fields.setdefault("lr", self.learning_rate)
        self._write({"type": "start", "pid": os.getpid(), "time": self.elapsed(), **fields})

    def step(self, step, samples=None, loss=None, **optional):
        """One optimizer step. `samples`: training samples seen so far (default: step x batch size).

        Optional fields: val_loss, val_accuracy, grad_sq_norm, micro_grad_sq_norm, micro_batch_size,
        memory_bytes, batch_size, lr, epoch (anything else is ignored by Batch Tuner).
        """
        if not self.enabled:
            return
        if not self._started:
            self.start()
        if loss is None:
            raise ValueError("Reporter.step needs the loss")
        step = int(step)
        if samples is None:
            bs = optional.get("batch_size") or self.batch_size or 0
            samples = self._samples + (step - self._last_step) * bs
        self._last_step, self._samples = step, samples
        record = {"type": "step", "step": step, "samples": samples, "loss": loss, "time": self.elapsed()}
        record.update({k: v for k, v in optional.items() if v is not None})
        self._write(record)

    def eval(self, val_loss, step=None, val_accuracy=None, **extra):
        """A validation result."""
        self._write({"type": "eval", "step": step if step is not None else self._last_step, "samples": self._samples,
                     "val_loss": val_loss, "val_accuracy": val_accuracy, "time": self.elapsed(), **extra})

    def oom(self, message=None, **extra):
        """Out of memory at this batch size: Batch Tuner takes it as the memory ceiling."""
        self._write({"type": "oom", "message": message, "batch_size": self.batch_size, "memory_bytes": cuda_peak_memory(), **extra})

    def done(self, **extra):
        self._write({"type": "done", "steps": self._last_step, "samples": self._samples, "time": self.elapsed(), **extra})
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def should_stop(self, step):
        """True once the trial's step limit (BATCH_TUNER_STEPS) or time limit (BATCH_TUNER_MAX_SECONDS) is reached."""
        if self.steps is not None and step >= self.steps:
            return True
        return self.max_seconds is not None and self.elapsed() >= self.max_seconds

    # -- out of memory -----------------------------------------------------------------------

    def guard(self, exit_code=0):
        """Context manager and decorator: an out-of-memory error inside becomes an `oom` record and
        a clean exit (code `exit_code`), so the tuner treats this batch size as the ceiling instead
        of a crash. Other exceptions pass through. Outside Batch Tuner it changes nothing."""
        return _OomGuard(self, exit_code)


class _OomGuard(contextlib.ContextDecorator):
    def __init__(self, reporter, exit_code):
        self.reporter = reporter
        self.exit_code = exit_code

    def __enter__(self):
        return self.reporter

    def __exit__(self, exc_type, exc, tb):
        if exc is None or not self.reporter.enabled or not is_out_of_memory(exc):
            return False
        self.reporter.oom(message="%s: %s" % (type(exc).__name__, str(exc).strip().splitlines()[0] if str(exc).strip() else "out of memory"))
        self.reporter.done(status="oom")
        sys.stdout.flush()
        sys.stderr.write("batch-tuner: out of memory at batch size %s; reported to Batch Tuner\n" % self.reporter.batch_size)
        raise SystemExit(self.exit_code)


# -- PyTorch helpers (torch is imported only when used) --------------------------------------


def cuda_peak_memory(reset=False):
    """Peak CUDA memory allocated by this process in bytes, or None without CUDA."""
    torch = sys.modules.get("torch")
    if torch is None:
        return None
    try:
        if not torch.cuda.is_available() or not torch.cuda.is_initialized():
            return None
        peak = int(torch.cuda.max_memory_allocated())
        if reset:
            torch.cuda.reset_peak_memory_stats()
        return peak
    except Exception:  # pragma: no cover - a broken CUDA setup must not stop training
        return None


class GradNoiseMeter:
    """Gradient statistics for the noise scale (McCandlish et al. 2018, appendix A), from the
    micro-batches of one step at no extra compute.

    Per step: call begin() after optimizer.zero_grad(); after each micro-batch's backward call
    accumulate(scale=..., micro_batch_size=...), where `scale` is the factor the micro-batch's
    loss was multiplied by (default 1/micro_batches, the usual gradient accumulation, so p.grad
    ends as the mean of the micro-batch gradients); then stats() gives

      grad_sq_norm        |g_B|^2, the squared norm of the mean gradient over the whole batch
                          (the mean of the micro-batch mean gradients);
      micro_grad_sq_norm  the mean over micro-batches of |g_b|^2;
      micro_batch_size    b.

    Pass them to Reporter.step(**meter.stats()).
    """

    def __init__(self, parameters, micro_batches):
        self.params = [p for p in parameters if p.requires_grad]
        self.micro_batches = int(micro_batches)
        if self.micro_batches < 1:
            raise ValueError("GradNoiseMeter needs micro_batches >= 1")
        self._snapshot = None
        self._sum = None
        self._sum_sq = 0.0
        self._count = 0
        self._sizes = []

    def begin(self):
        self._snapshot = None
        self._sum = None
        self._sum_sq = 0.0
        self._count = 0
        self._sizes = []

    def accumulate(self, scale=None, micro_batch_size=None):
        import torch

        scale = (1.0 / self.micro_batches) if scale is None else float(scale)
        with torch.no_grad():
            current = [p.grad.detach().clone() if p.grad is not None else torch.zeros_like(p) for p in self.params]
            prev = self._snapshot or [torch.zeros_like(c) for c in current]
            # This micro-batch's own mean gradient: what its backward added, undone by its loss scale.
            micro = [(c - q) / scale for c, q in zip(current, prev)]
            self._sum_sq += float(sum(float((m.double() ** 2).sum()) for m in micro))
            self._sum = micro if self._sum is None else [s + m for s, m in zip(self._sum, micro)]
            self._snapshot = current
        self._count += 1
        if micro_batch_size is not None:
            self._sizes.append(int(micro_batch_size))

    def stats(self, batch_size=None):
        """The step's statistics, or {} when no micro-batch (or only one) was seen: one alone gives no variance."""
        if self._count < 2 or self._sum is None:
            return {}
        k = self._count
        mean_sq = float(sum(float(((s / k).double() ** 2).sum()) for s in self._sum))
        if self._sizes:
            b = sum(self._sizes) / len(self._sizes)
        elif batch_size:
            b = batch_size / k
        else:
            b = None
        out = {"grad_sq_norm": mean_sq, "micro_grad_sq_norm": self._sum_sq / k}
        if b is not None:
            out["micro_batch_size"] = b
        return out


# -- dynamic batching (issue 6) --------------------------------------------------------------

_control_state = {"seq": None, "stamp": None}


def poll_control(path=None):
    """Reads the control file Batch Tuner rewrites to change a running trial's batch size
    (env BATCH_TUNER_CONTROL: {"v":1,"batch_size":N,"learning_rate":x,"seq":k}; see
    docs/dynamic-batching.md). Returns {"batch_size":..., "learning_rate":..., "seq":...} when
    the file holds a newer `seq` than last seen, else None. Cheap enough to call every step."""
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
