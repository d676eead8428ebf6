"""Benchmark: the book's 784-50-10 TwoLayerNet, npnet against its PyTorch twin on the CPU, in one process.

Prints times per SGD step and for a full numerical gradient, and every figure as a ratio to the torch twin measured
in the same run, plus which BLAS library and kernel ran (threadpoolctl).
Run: ``python benchmarks/bench_two_layer_net.py``.
Not a test: timings vary by machine; only the ratios in one run are comparable.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import numpy as np
import torch

from npnet.datasets import load_mnist
from npnet.nets import TwoLayerNet
from oracle.nets import TwoLayerNet as TorchTwoLayerNet


def best_of(fn: Callable[[], object], repeat: int, number: int) -> float:
    """Median over ``repeat`` rounds of the mean time of ``number`` calls, in seconds."""
    fn()  # warm-up
    rounds = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        rounds.append((time.perf_counter() - start) / number)
    return statistics.median(rounds)


def blas_report() -> str:
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "threadpoolctl not installed: BLAS kernel unknown"
    return "; ".join(
        f"{i.get('internal_api')} {i.get('version')} ({i.get('architecture')}, "
        f"{i.get('num_threads')} threads) in {i.get('prefix')}"
        for i in threadpool_info()
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    (x_train, t_train), _ = load_mnist()
    x, t = x_train[:100].astype(np.float64), t_train[:100]
    net = TwoLayerNet(784, 50, 10, rng=0)
    twin = TorchTwoLayerNet.from_npnet(net)
    opt = torch.optim.SGD(twin.parameters(), lr=0.1)

    def npnet_step() -> None:
        grads = net.gradient(x, t)
        for k in net.params:
            net.params[k] -= 0.1 * grads[k]

    def torch_step() -> None:
        opt.zero_grad(set_to_none=True)
        objective, _ = twin.objective_and_loss(x, t)
        objective.backward()
        opt.step()

    print(f"BLAS: {blas_report()}")
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; numpy {np.__version__}")
    t_np = best_of(npnet_step, args.repeat, 200)
    t_torch = best_of(torch_step, args.repeat, 200)
    print(
        f"SGD step, batch 100, float64: npnet {t_np * 1e6:8.1f} us | torch twin {t_torch * 1e6:8.1f} us | "
        f"npnet/torch {t_np / t_torch:.2f}"
    )
    small = TwoLayerNet(784, 50, 10, rng=0)
    t_num = best_of(lambda: small.numerical_gradient(x[:3], t[:3]), 1, 1)
    print(f"full numerical gradient (39760 parameters, batch 3): {t_num:.1f} s = {t_num / t_torch:.0f} torch steps")


if __name__ == "__main__":
    main()
