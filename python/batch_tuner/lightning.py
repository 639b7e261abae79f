"""Batch Tuner for Lightning: one line in your script.

    from batch_tuner.lightning import BatchTunerCallback
    trainer = lightning.Trainer(..., callbacks=[BatchTunerCallback()])

When Batch Tuner runs the script it reports every optimizer step (loss summed over the
accumulated micro-batches as Lightning normalises it, samples over all workers, learning rate,
CUDA peak memory or the process's peak RSS), validation (the `val_loss` / `val_acc` you log), an
out-of-memory error (as the memory ceiling; Lightning's on_exception) and, with
accumulate_grad_batches > 1 in one process, the micro-batch gradient statistics for the noise
scale. It stops training at the trial's step limit. Run by hand, it does nothing.

Following a batch-size plan: Lightning's data loader has a fixed batch size, so a plan is followed
mid-run only when the training DataLoader uses batch_tuner.DynamicBatchSampler
(DataLoader(ds, batch_sampler=DynamicBatchSampler(len(ds), batch_size))): the callback then sets
its per-device batch (the plan's global batch / (accumulation x world size)) and the optimizer's
learning rate after each optimizer step. With any other loader a change is reported as a warning
and not applied.
"""

try:
    from lightning.pytorch import Callback
except ImportError:  # the older package name
    from pytorch_lightning import Callback

from .control import DynamicBatchSampler, apply_learning_rate, poll_control
from .gradients import AccumulationGradStats
from .memory import device_memory_bytes
from .reporter import Reporter

_VAL_LOSS = ("val_loss", "validation_loss", "val/loss")
_VAL_ACC = ("val_acc", "val_accuracy", "val/acc", "val/accuracy")


def _batch_len(batch):
    """Samples in a batch: the first dimension of its first tensor."""
    if hasattr(batch, "shape") and len(batch.shape) > 0:
        return int(batch.shape[0])
    if isinstance(batch, dict):
        batch = list(batch.values())
    if isinstance(batch, (list, tuple)):
        for item in batch:
            n = _batch_len(item)
            if n:
                return n
    return 0


def _metric(metrics, names):
    for name in names:
        if name in metrics:
            return float(metrics[name])
    return None


def _versions():
    import torch

    try:
        import lightning as L
    except ImportError:
        import pytorch_lightning as L
    return "lightning %s / torch %s" % (L.__version__, torch.__version__)


class BatchTunerCallback(Callback):
    def __init__(self, reporter=None, sampler=None):
        self.rep = reporter or Reporter()
        self.sampler = sampler
        self._grads = None
        self._warned_seq = None
        self._grad_sq = None
        self._reset_window()

    def _reset_window(self):
        self._loss = 0.0
        self._window_samples = 0
        self._micro = None

    # -- start / end ---------------------------------------------------------------------------

    def on_train_start(self, trainer, pl_module):
        if not self.rep.enabled:
            return
        self._accum = max(1, int(trainer.accumulate_grad_batches))
        self._world = max(1, int(trainer.world_size))
        self._samples = 0
        self._last_step = trainer.global_step
        if self.sampler is None:
            loader = trainer.train_dataloader
            candidate = getattr(loader, "batch_sampler", None)
            self.sampler = candidate if isinstance(candidate, DynamicBatchSampler) else None
        self.rep.start(backend=_versions(), device=str(pl_module.device))
        if self._accum > 1 and self._world == 1:
            grads = AccumulationGradStats(pl_module.parameters())
            self._grads = grads if grads.available else None
            if not grads.available:
                self.rep.log("gradient statistics need torch >= 2.1 (post-accumulate-grad hooks): the noise scale is not measured", "warn")
        elif self._world > 1:
            self.rep.log("gradient statistics are measured in single-process runs only (this run has %d workers)" % self._world, "warn")

    def on_train_end(self, trainer, pl_module):
        if self._grads is not None:
            self._grads.close()
            self._grads = None
        self.rep.done()

    def on_exception(self, trainer, pl_module, exception):
        self.rep.report_oom(exception)

    # -- steps ---------------------------------------------------------------------------------

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx):
        if self._grads is not None and self._window_samples == 0:
            self._grads.reset()

    def on_before_optimizer_step(self, trainer, pl_module, optimizer):
        # All micro-batches are in and nothing is clipped yet: |g_B|^2 of the whole step.
        if self._grads is not None:
            self._grad_sq = sum(float((p.grad.detach().float() ** 2).sum()) for p in pl_module.parameters() if p.grad is not None)

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
        if not self.rep.enabled:
            return
        loss = outputs.get("loss") if isinstance(outputs, dict) else outputs
        if loss is not None:
            self._loss += float(loss)  # already divided by accumulate_grad_batches: the sum is the step's mean
        n = _batch_len(batch)
        self._micro = n if self._micro is None else self._micro
        self._window_samples += n * self._world
        if trainer.global_step <= self._last_step:
            return  # still accumulating
        self._last_step = trainer.global_step
        self._samples += self._window_samples
        stats = self._grads.stats(self._micro, grad_sq_norm=self._grad_sq) if self._grads is not None else {}
        self._grad_sq = None
        lr = trainer.optimizers[0].param_groups[0]["lr"] if trainer.optimizers else None
        self.rep.step(trainer.global_step, samples=self._samples, loss=self._loss, lr=lr, epoch=trainer.current_epoch,
                      batch_size=self._window_samples, memory_bytes=device_memory_bytes(), **stats)
        self._reset_window()
        if self.rep.should_stop(trainer.global_step):
            trainer.should_stop = True
        self._follow_plan(trainer)

    def _follow_plan(self, trainer):
        command = poll_control()
        if not command or "batch_size" not in command:
            return
        if self.sampler is None:
            if command.get("seq") != self._warned_seq:
                self._warned_seq = command.get("seq")
                self.rep.log("this Lightning run's data loader has a fixed batch size: the plan's change to %d is not applied; "
                             "use batch_tuner.DynamicBatchSampler as the training DataLoader's batch_sampler to follow it"
                             % command["batch_size"], "warn")
            return
        self.sampler.batch_size = max(1, command["batch_size"] // (self._accum * self._world))
        if "learning_rate" in command and trainer.optimizers:
            apply_learning_rate(trainer.optimizers[0], command["learning_rate"])

    # -- validation ----------------------------------------------------------------------------

    def on_validation_end(self, trainer, pl_module):
        if not self.rep.enabled or trainer.sanity_checking:
            return
        val_loss = _metric(trainer.callback_metrics, _VAL_LOSS)
        if val_loss is not None:
            self.rep.eval(val_loss, step=trainer.global_step, val_accuracy=_metric(trainer.callback_metrics, _VAL_ACC))
