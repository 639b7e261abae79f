"""The reporter: writes the metrics protocol's records (docs/metrics-protocol.md) for Batch Tuner.

Standard library only. Outside Batch Tuner every call is a cheap no-op, so a script runs
unchanged by hand.
"""

import contextlib
import json
import math
import os
import sys
import time

from . import lifeline
from .memory import device_memory_bytes

PROTOCOL_VERSION = 1
STDOUT_PREFIX = "batch-tuner: "


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


def _env_path(name):
    value = os.environ.get(name)
    return value if value else None  # "" (e.g. ${resume} with nothing to resume) means none


def process_rank():
    """This process's data-parallel rank: RANK (torchrun, the standard environment), else
    SLURM_PROCID (srun -n N), else 0."""
    for name in ("RANK", "SLURM_PROCID"):
        value = os.environ.get(name)
        if value not in (None, "") and value.isdigit():
            return int(value)
    return 0


def _plain(value):
    """A JSON-safe value: tensors and numpy scalars become numbers; NaN/inf become None."""
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, bool) or value is None or isinstance(value, (int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    try:
        f = float(value)
    except (TypeError, ValueError):
        return str(value)
    return f if math.isfinite(f) else None


def is_out_of_memory(exc):
    """True for torch.cuda.OutOfMemoryError, MemoryError and RuntimeErrors that say 'out of memory'."""
    if isinstance(exc, MemoryError):
        return True
    if type(exc).__name__ in ("OutOfMemoryError", "OutOfMemory"):
        return True
    text = str(exc).lower()
    # torch's CPU allocator says "DefaultCPUAllocator: can't allocate memory".
    return isinstance(exc, RuntimeError) and ("out of memory" in text or "can't allocate memory" in text)


def oom_message(exc):
    text = str(exc).strip()
    return "%s: %s" % (type(exc).__name__, text.splitlines()[0] if text else "out of memory")


class Reporter:
    """Writes metrics records for Batch Tuner.

    Active when Batch Tuner started the script (BATCH_TUNER_METRICS or BATCH_TUNER_TRIAL_ID is
    set), or when asked with enabled=True / BATCH_TUNER_STDOUT=1 (then it prints the stdout form).
    In a data-parallel run only rank 0 writes (rank from RANK or SLURM_PROCID; `rank=` overrides).
    The trial's settings are attributes (None when not set): batch_size (the global batch),
    learning_rate, steps, seed, micro_batches, max_seconds, eval_every, world_size,
    accumulation_steps, micro_batch_size, checkpoint_path, resume_path, config, trial_id.
    """

    def __init__(self, metrics_path=None, enabled=None, stream=None, rank=None):
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
        self.world_size = _env_number("BATCH_TUNER_WORLD_SIZE", int)
        self.accumulation_steps = _env_number("BATCH_TUNER_ACCUMULATION_STEPS", int)
        self.micro_batch_size = _env_number("BATCH_TUNER_MICRO_BATCH_SIZE", int)
        self.checkpoint_path = _env_path("BATCH_TUNER_CHECKPOINT")
        self.resume_path = _env_path("BATCH_TUNER_RESUME")
        self.rank = process_rank() if rank is None else int(rank)
        if enabled is None:
            enabled = bool(self.metrics_path or self.trial_id or env.get("BATCH_TUNER_STDOUT") == "1")
        self.enabled = bool(enabled) and self.rank == 0
        self._stream = stream
        self._fd = None
        self._t0 = time.perf_counter()
        self._t_training = None  # when the first step came: BATCH_TUNER_MAX_SECONDS counts from there
        self._started = False
        self._last_step = 0
        self._samples = 0
        lifeline.watch()  # BATCH_TUNER_LIFELINE_FD: end this trial when Batch Tuner is gone

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

    @property
    def last_step(self):
        return self._last_step

    @property
    def samples(self):
        return self._samples

    def start(self, **fields):
        """Optional: says the script is up (backend, device, ...). step() sends it if you don't."""
        self._started = True
        fields.setdefault("batch_size", self.batch_size)
        fields.setdefault("lr", self.learning_rate)
        self._write({"type": "start", "pid": os.getpid(), "time": self.elapsed(), **fields})

    def step(self, step, samples=None, loss=None, **optional):
        """One optimizer step. `samples`: training samples seen so far, all workers (default:
        the last count + the steps since x batch size).

        Optional fields: val_loss, val_accuracy, grad_sq_norm, micro_grad_sq_norm, micro_batch_size,
        memory_bytes, batch_size, lr, epoch (anything else is ignored by Batch Tuner).
        """
        self._training_started()  # on every worker, also those that do not write
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

    def checkpoint(self, path, step, samples):
        """A checkpoint the script wrote (the state after `step` optimizer steps and `samples` samples)."""
        self._write({"type": "checkpoint", "path": os.path.abspath(path), "step": int(step), "samples": int(samples)})

    def log(self, message, level="info"):
        """A line for Batch Tuner's output channel (level: info, warn, error)."""
        self._write({"type": "log", "level": level, "message": str(message)})

    def oom(self, message=None, **extra):
        """Out of memory at this batch size: Batch Tuner takes it as the memory ceiling."""
        extra.setdefault("memory_bytes", device_memory_bytes(rss=False))
        self._write({"type": "oom", "message": message, "batch_size": self.batch_size, **extra})

    def done(self, **extra):
        self._write({"type": "done", "steps": self._last_step, "samples": self._samples, "time": self.elapsed(), **extra})
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def _training_started(self):
        if self._t_training is None:
            self._t_training = time.perf_counter()

    def should_stop(self, step):
        """True once the trial's step limit (BATCH_TUNER_STEPS) or time limit (BATCH_TUNER_MAX_SECONDS)
        is reached. The time counts from the first step (reported with step(), or asked about here),
        not from the Reporter's creation: importing, starting workers, joining a process group and
        loading data are start-up, and a trial that spent its budget there would train for one step."""
        if self.steps is not None and step >= self.steps:
            return True
        if self.max_seconds is None:
            return False
        self._training_started()
        return time.perf_counter() - self._t_training >= self.max_seconds

    # -- out of memory -----------------------------------------------------------------------

    def report_oom(self, exc):
        """Writes `oom` and `done` for an out-of-memory exception; False (nothing written) for any other."""
        if not self.enabled or not is_out_of_memory(exc):
            return False
        self.oom(message=oom_message(exc))
        self.done(status="oom")
        return True

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
        if exc is None or not self.reporter.report_oom(exc):
            return False
        sys.stdout.flush()
        sys.stderr.write("batch-tuner: out of memory at batch size %s; reported to Batch Tuner\n" % self.reporter.batch_size)
        raise SystemExit(self.exit_code)
