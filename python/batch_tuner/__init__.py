"""Batch Tuner's Python side: lets a training script tell Batch Tuner what it measured.

`pip install batch-tuner` (from the extension's python/ folder: `pip install ./python`); Batch
Tuner also puts this package on PYTHONPATH for the trials it starts. Outside Batch Tuner every
call is a cheap no-op, so the script runs unchanged by hand. The core is standard library only;
torch, transformers and lightning are imported only by the parts that use them.

Plain PyTorch:

    from batch_tuner import Reporter
    rep = Reporter()                       # reads BATCH_TUNER_* from the environment
    batch_size = rep.batch_size or 32      # the batch size this trial should use
    with rep.guard():                      # an out-of-memory error becomes an `oom` record
        for step in range(1, steps + 1):
            loss = train_step(...)
            rep.step(step, samples=step * batch_size, loss=loss)
            if rep.should_stop(step):
                break
    rep.done()

Hugging Face:  Trainer(..., callbacks=[batch_tuner.hf.BatchTunerCallback()])
Lightning:     Trainer(..., callbacks=[batch_tuner.lightning.BatchTunerCallback()])
Checkpoints:   save_checkpoint(path, model, opt, ...) / load_checkpoint(path, model, opt, ...)
Data parallel: init_distributed() (torchrun, srun, or the standard environment), DistributedGradStats

Protocol (docs/metrics-protocol.md): one JSON object per line, {"v": 1, "type": "step", ...},
appended to $BATCH_TUNER_METRICS, or printed on stdout as `batch-tuner: {...}`.
"""

from .checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from .config import read_config
from .control import DynamicBatchSampler, apply_learning_rate, poll_control
from .gradients import AccumulationGradStats, DistributedGradStats, GradNoiseMeter
from .lifeline import watch as watch_lifeline
from .memory import cuda_peak_memory, device_memory_bytes, peak_rss_bytes
from .reporter import PROTOCOL_VERSION, STDOUT_PREFIX, Reporter, is_out_of_memory, process_rank

__version__ = "0.1.0"

__all__ = [
    "Reporter", "GradNoiseMeter", "AccumulationGradStats", "DistributedGradStats", "cuda_peak_memory",
    "device_memory_bytes", "peak_rss_bytes", "poll_control", "apply_learning_rate", "DynamicBatchSampler",
    "is_out_of_memory", "process_rank", "save_checkpoint", "load_checkpoint", "CheckpointError", "watch_lifeline",
    "read_config", "PROTOCOL_VERSION", "STDOUT_PREFIX",
]
