"""Gradient statistics for the gradient noise scale (McCandlish et al. 2018, "An Empirical Model of
Large-Batch Training", appendix A), at no extra compute.

The estimator needs, for one step, two gradient norms measured at two batch sizes b < B:
  E|g_b|^2 = |G|^2 + tr(Sigma)/b   and   E|g_B|^2 = |G|^2 + tr(Sigma)/B,
so a step record carries grad_sq_norm = |g_B|^2, micro_grad_sq_norm = the mean of |g_b|^2 over
the step's small batches, and micro_batch_size = b (B is the step's batch size). Batch Tuner solves
for |G|^2 and tr(Sigma) across steps. The small batches come free from

  - gradient accumulation: each micro-batch's own gradient (GradNoiseMeter, explicit calls;
    AccumulationGradStats, autograd hooks, for framework callbacks);
  - data parallelism: each worker's gradient before the all-reduce (DistributedGradStats, a DDP
    communication hook), b = the per-worker batch, B = the global batch.

torch is imported only when these are used.
"""


class GradNoiseMeter:
    """Micro-batch statistics for a hand-written accumulation loop.

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
        self.begin()

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


class AccumulationGradStats:
    """Micro-batch statistics read by autograd hooks, for loops you don't write (the Hugging Face
    Trainer, Lightning): each parameter's gradient increment per backward pass is that micro-batch's
    contribution. Assumes the framework weighs the k micro-batches of a step equally (loss / k, as
    Lightning and the HF Trainer do for equal micro-batches; with per-token normalisation the
    weights follow the token counts and the statistic is approximate).

    Needs torch >= 2.1 (Tensor.register_post_accumulate_grad_hook); `available` says whether the
    hooks are in. Costs one copy of the gradients while attached.

    Per step: reset() before the first micro-batch; stats(grad_sq_norm, micro_batch_size) once all
    micro-batches are in, with |g_B|^2 taken before clipping (a framework's grad-norm, or
    total_sq_norm() before clipping). In a single process only: under DDP the last micro-batch's
    increment mixes local and all-reduced gradients.
    """

    def __init__(self, parameters):
        import torch

        self.params = [p for p in parameters if p.requires_grad]
        self._snap = {}
        self._sq = None
        self._count = 0
        self._first = self.params[0] if self.params else None
        self._handles = []
        self.available = hasattr(torch.Tensor, "register_post_accumulate_grad_hook") and bool(self.params)
        if self.available:
            self._handles = [p.register_post_accumulate_grad_hook(self._hook) for p in self.params]

    def _hook(self, p):
        import torch

        with torch.no_grad():
            g = p.grad.detach()
            prev = self._snap.get(p)
            delta = g if prev is None else g - prev
            sq = (delta.float() ** 2).sum()  # stays on the device: no sync per parameter
            self._sq = sq if self._sq is None else self._sq + sq
            self._snap[p] = g.clone()
        if p is self._first:
            self._count += 1

    def reset(self):
        self._snap = {}
        self._sq = None
        self._count = 0

    @property
    def micro_batches(self):
        return self._count

    def total_sq_norm(self):
        """|sum of the step's increments|^2: the accumulated gradient's squared norm, as the hooks saw it."""
        return float(sum(float((g.float() ** 2).sum()) for g in self._snap.values()))

    def stats(self, micro_batch_size, grad_sq_norm=None):
        """{} unless >= 2 micro-batches were seen. Each micro-batch's own mean gradient is k x its
        increment, so mean_b |g_b|^2 = k x sum_b |increment_b|^2."""
        k = self._count
        if k < 2 or self._sq is None:
            return {}
        total = self.total_sq_norm() if grad_sq_norm is None else float(grad_sq_norm)
        return {"grad_sq_norm": total, "micro_grad_sq_norm": k * float(self._sq), "micro_batch_size": micro_batch_size}

    def close(self):
        for h in self._handles:
            h.remove()
        self._handles = []
        self._snap = {}


class DistributedGradStats:
    """Per-worker vs all-reduced gradient norms for a DistributedDataParallel model.

    attach() installs a DDP communication hook that adds up |local bucket|^2 before the default
    all-reduce (mean over workers). After backward, stats() all-reduces the local sums (one scalar)
    and returns grad_sq_norm = |all-reduced gradient|^2 (B = the global batch), micro_grad_sq_norm
    = the mean over workers of |local gradient|^2 (b = the per-worker batch: micro-batch x
    accumulation steps). Call reset() after each optimizer step. Hooks that run only on the
    synchronising backward (no_sync for the others) see the accumulated local gradient.
    """

    def __init__(self, ddp_model, per_worker_batch):
        self.model = ddp_model
        self.per_worker_batch = per_worker_batch
        self._local = None

    def attach(self):
        from torch.distributed.algorithms.ddp_comm_hooks import default_hooks

        def hook(state, bucket):
            buf = bucket.buffer()
            sq = (buf.detach().float() ** 2).sum()  # before the all-reduce divides and sums in place
            state._local = sq if state._local is None else state._local + sq
            return default_hooks.allreduce_hook(None, bucket)

        self.model.register_comm_hook(self, hook)
        return self

    def reset(self):
        self._local = None

    def stats(self):
        import torch
        import torch.distributed as dist

        params = [p for p in self.model.parameters() if p.grad is not None]
        if self._local is None or not params:
            return {}
        world = dist.get_world_size()
        local = self._local.detach().reshape(1).to(params[0].device, torch.float64)
        dist.all_reduce(local)  # sum over workers
        total = sum((p.grad.detach().double() ** 2).sum() for p in params)
        return {"grad_sq_norm": float(total), "micro_grad_sq_norm": float(local) / world, "micro_batch_size": self.per_worker_batch}
