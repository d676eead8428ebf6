"""What ran the benchmark: CPU, load, NumPy's BLAS (library, kernel, threads, via threadpoolctl), torch."""

from __future__ import annotations

import os
import platform
from typing import Any

import numpy as np


def cpu_model() -> str:
    """The CPU's model name from ``/proc/cpuinfo`` (Linux), else ``platform.processor()``."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def blas_libraries() -> list[dict[str, Any]]:
    """threadpoolctl's view of every BLAS/OpenMP library loaded in this process."""
    from threadpoolctl import threadpool_info

    return threadpool_info()


def describe_blas() -> list[str]:
    """One line per loaded BLAS or OpenMP library: name, version, kernel, threads, file."""
    return [
        f"{lib.get('internal_api')} {lib.get('version') or ''} ({lib.get('user_api')}, kernel "
        f"{lib.get('architecture', 'n/a')}, {lib.get('num_threads')} threads) {os.path.basename(lib['filepath'])}"
        for lib in blas_libraries()
    ]


def describe(torch_module: Any | None) -> list[str]:
    """Lines that say which machine, libraries and thread counts produced the numbers."""
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg()) if hasattr(os, "getloadavg") else "n/a"
    lines = [
        f"CPU: {cpu_model()}, {os.cpu_count()} logical cores; load average {load}",
        f"Python {platform.python_version()}, NumPy {np.__version__}",
        *(f"BLAS: {line}" for line in describe_blas()),
    ]
    if torch_module is not None:
        cuda = torch_module.cuda.get_device_name(0) if torch_module.cuda.is_available() else "no CUDA device"
        lines.append(f"torch {torch_module.__version__}, {torch_module.get_num_threads()} intra-op threads; {cuda}")
    else:
        lines.append("torch not installed: PyTorch columns skipped")
    return lines
