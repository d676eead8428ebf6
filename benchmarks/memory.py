"""Peak memory of one training run, each contestant in a fresh process (``python -m benchmarks.memory NAME DTYPE N``).

A thread samples the process's resident set every millisecond while the run lasts; the figure is the peak minus
the resident set just before the run (data loaded, weights built), so it counts what training itself allocates:
copies of the data, activations, gradients, and for PyTorch its own allocator's cache. On CUDA the device's
``max_memory_allocated`` is reported instead.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

import numpy as np

from benchmarks.training import contestants
from npnet.datasets import load_mnist


def resident_bytes() -> int:
    """The resident set of this process (Linux ``/proc/self/statm``)."""
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class PeakSampler(threading.Thread):
    """Samples :func:`resident_bytes` until stopped and keeps the largest value."""

    def __init__(self, interval: float = 0.001) -> None:
        super().__init__(daemon=True)
        self.interval, self.peak, self.running = interval, resident_bytes(), True

    def run(self) -> None:
        while self.running:
            self.peak = max(self.peak, resident_bytes())
            time.sleep(self.interval)

    def stop(self) -> int:
        self.running = False
        self.join()
        return max(self.peak, resident_bytes())


def peak_in_this_process(name: str, dtype: str, iters: int) -> float:
    """Peak MB allocated by one run of contestant ``name``."""
    (x_train, t_train), (x_test, t_test) = load_mnist()
    device = name.removeprefix("torch ") if name.startswith("torch") else "cpu"
    run = contestants([device] if name.startswith("torch") else [])[name]
    if device.startswith("cuda"):
        import torch

        torch.cuda.reset_peak_memory_stats()
        run((x_train, t_train, x_test, t_test), np.dtype(dtype), iters, 0)
        return torch.cuda.max_memory_allocated() / 2**20
    if name.startswith("torch"):
        import torch  # loaded before the baseline, like numpy

        torch.zeros(1)
    baseline = resident_bytes()
    sampler = PeakSampler()
    sampler.start()
    run((x_train, t_train, x_test, t_test), np.dtype(dtype), iters, 0)
    return (sampler.stop() - baseline) / 2**20


def measure(name: str, dtype: str, iters: int, threads: int | None = None) -> float:
    """:func:`peak_in_this_process` in a fresh interpreter (so no run inherits another's freed memory)."""
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.memory", name, dtype, str(iters), str(threads or 0)],
        capture_output=True,
        text=True,
        check=True,
    )
    return float(out.stdout.split()[-1])


if __name__ == "__main__":
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=int(sys.argv[4]) or None):
        print(f"{peak_in_this_process(sys.argv[1], sys.argv[2], int(sys.argv[3])):.1f}")
