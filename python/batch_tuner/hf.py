"""Batch Tuner for the Hugging Face Trainer: one line in your script.

    from batch_tuner.hf import BatchTunerCallback
    trainer = Trainer(model, args, ..., callbacks=[BatchTunerCallback()])

When Batch Tuner runs the script it reports every optimizer step (the Trainer's own loss, learning
rate, samples = steps x per-device batch x accumulation x world size, CUDA peak memory or the
process's peak RSS), each evaluation (eval_loss, eval_accuracy), an out-of-memory error (as the
memory ceiling) and, with gradient_accumulation_steps > 1 in one process, the micro-batch gradient
statistics for the noise scale. It stops training at the trial's step limit. Run by hand, it does
nothing.

A batch-size plan cannot be followed inside one run: the Trainer builds its data loader (per-device
batch) and its step and learning-rate schedule once when training starts. A change the plan asks
for mid-run is reported as a warning and not applied; apply the recommended numbers to
TrainingArguments for the next run.
"""

import sys

from transformers import TrainerCallback

from .control import poll_control
from .gradients import AccumulationGradStats
from .memory import device_memory_bytes
from .reporter import Reporter


def _versions():
    import torch
    import transformers

    return "transformers %s / torch %s" % (transformers.__version__, torch.__version__)


class BatchTunerCallback(TrainerCallback):
    def __init__(self, reporter=None):
        self.rep = reporter or Reporter()
        self._grads = None
        self._global_batch = None
        self._micro = None
        self._warned_seq = None

    # -- start / end ---------------------------------------------------------------------------

    def on_train_begin(self, args, state, control, model=None, **kwargs):
        if not self.rep.enabled:
            return
        world = max(1, int(getattr(args, "world_size", 1) or 1))
        accum = max(1, int(args.gradient_accumulation_steps))
        self._micro = int(args.per_device_train_batch_size)
        self._global_batch = self._micro * accum * world
        self.rep.start(backend=_versions(), device=str(args.device), batch_size=self._global_batch, lr=args.learning_rate)
        if accum > 1 and world == 1 and model is not None:
            self._grads = AccumulationGradStats(model.parameters())
            if not self._grads.available:
                self.rep.log("gradient statistics need torch >= 2.1 (post-accumulate-grad hooks): the noise scale is not measured", "warn")
                self._grads = None
        elif world > 1:
            self.rep.log("gradient statistics are measured in single-process runs only (this run has %d workers)" % world, "warn")
        _install_oom_hook(self.rep)

    def on_train_end(self, args, state, control, **kwargs):
        if self._grads is not None:
            self._grads.close()
            self._grads = None
        self.rep.done()

    # -- steps ---------------------------------------------------------------------------------

    def on_step_begin(self, args, state, control, **kwargs):
        if self._grads is not None:
            self._grads.reset()

    def on_step_end(self, args, state, control, **kwargs):
        if not self.rep.enabled:
            return control
        # Have the Trainer log every step: its logs carry the step's exact loss (as it averages it)
        # and the gradient norm before clipping, which on_log turns into a step record.
        control.should_log = True
        if self.rep.should_stop(state.global_step):
            control.should_training_stop = True
        self._check_plan(state.global_step)
        return control

    def on_log(self, args, state, control, logs=None, **kwargs):
        if not self.rep.enabled or not logs or "loss" not in logs or state.global_step <= self.rep.last_step:
            return
        stats = self._grads.stats(self._micro) if self._grads is not None else {}
        self.rep.step(
            state.global_step,
            samples=state.global_step * self._global_batch,
            loss=logs["loss"],
            lr=logs.get("learning_rate"),
            epoch=state.epoch,
            batch_size=self._global_batch,
            memory_bytes=device_memory_bytes(),
            **stats,
        )

    def on_evaluate(self, args, state, control, metrics=None, **kwargs):
        if not self.rep.enabled or not metrics or "eval_loss" not in metrics:
            return
        self.rep.eval(metrics["eval_loss"], step=state.global_step, val_accuracy=metrics.get("eval_accuracy"))

    def _check_plan(self, step):
        command = poll_control()
        if command and command.get("batch_size") not in (None, self._global_batch) and command.get("seq") != self._warned_seq:
            self._warned_seq = command.get("seq")
            self.rep.log("the Hugging Face Trainer fixes the batch size when training starts: the plan's change to %d "
                         "after step %d is not applied in this run (this run stays at %d); set per_device_train_batch_size "
                         "/ gradient_accumulation_steps for the next run" % (command["batch_size"], step, self._global_batch), "warn")


def _install_oom_hook(rep):
    """The Trainer has no exception callback: an out-of-memory error that ends the script is
    reported from sys.excepthook (then the usual traceback)."""
    previous = sys.excepthook
    if getattr(previous, "_batch_tuner", False):
        return

    def hook(kind, exc, tb):
        if rep.report_oom(exc):
            sys.stderr.write("batch-tuner: out of memory at batch size %s; reported to Batch Tuner\n" % rep.batch_size)
        previous(kind, exc, tb)

    hook._batch_tuner = True
    sys.excepthook = hook
