"""Memory a trial used: the CUDA allocator's peak when CUDA is in use, else the process's peak RSS.
Standard library only; torch is looked up in sys.modules, never imported here."""

import sys

try:
    import resource
except ImportError:  # Windows
    resource = None


def cuda_peak_memory(reset=False):
    """Peak CUDA memory allocated by this process in bytes (torch.cuda.max_memory_allocated), or
    None without CUDA."""
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


def peak_rss_bytes():
    """This process's peak resident set size in bytes (getrusage ru_maxrss), or None where unknown."""
    if resource is None:
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Linux reports kilobytes, macOS bytes.
    return int(peak) if sys.platform == "darwin" else int(peak) * 1024


def device_memory_bytes(rss=True):
    """Memory for a step record: CUDA peak when CUDA is in use, else (rss=True) the peak RSS."""
    peak = cuda_peak_memory()
    if peak is not None or not rss:
        return peak
    return peak_rss_bytes()
