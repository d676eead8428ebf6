"""``python -m benchmarks``: npnet against the lean NumPy floor and PyTorch, its numerical gradient against the loop.

Prints markdown tables (the ones docs/performance.md shows); ``--plot`` writes the figure, ``--json`` the raw numbers.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from dataclasses import asdict
from typing import Any

from threadpoolctl import threadpool_limits

from benchmarks import environment, memory, numgrad, scaling, training
from npnet.datasets import load_mnist

#: The issue's targets: npnet at most 1.10x the lean floor; the fast numerical gradient at least 50x the loop.
TRAINING_TARGET, NUMGRAD_TARGET = 1.10, 50.0


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a short run (well under a minute): fewer steps")
    parser.add_argument("--iters", type=int, help="training iterations (default 10000, quick 600)")
    parser.add_argument("--repeat", type=int, help="interleaved rounds of every run (default 3, quick 2)")
    parser.add_argument("--threads", type=int, help="BLAS and torch threads (default: the libraries' own)")
    parser.add_argument("--no-torch", action="store_true", help="leave PyTorch out")
    parser.add_argument("--full-loop", action="store_true", help="time the numerical-gradient loop on every entry")
    parser.add_argument("--skip", default="", help="comma-separated sections to skip: training,memory,numgrad,scaling")
    parser.add_argument("--plot", help="write the step-time figure (PNG) here")
    parser.add_argument("--json", help="write every measurement here")
    return parser.parse_args(argv)


def torch_devices(args: argparse.Namespace) -> tuple[Any, list[str]]:
    if args.no_torch:
        return None, []
    try:
        import torch
    except ImportError:
        return None, []
    if args.threads:
        torch.set_num_threads(args.threads)
    return torch, ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


def spread(values: list[float], scale: float = 1.0, digits: int = 2) -> str:
    """``median (min-max)``."""
    low, mid, high = (scale * v for v in (min(values), statistics.median(values), max(values)))
    return f"{mid:.{digits}f} ({low:.{digits}f}-{high:.{digits}f})"


def print_training(
    results: dict[str, dict[str, list[training.TrainingRun]]], peaks: dict[str, float], iters: int
) -> None:
    print(f"\n### Training: 784-50-10, batch 100, lr 0.1, {iters} iterations, accuracy on 70,000 images per epoch\n")
    print("| dtype | contestant | wall s, median (min-max) | CPU s, median | test acc | train acc | peak MB |")
    print("|---|---|---|---|---|---|---|")
    for dtype, by_name in results.items():
        for name, runs in by_name.items():
            peak = peaks.get(f"{dtype} {name}")
            print(
                f"| {dtype} | {name} | {spread([r.seconds for r in runs])} | "
                f"{statistics.median(r.cpu_seconds for r in runs):.2f} | {runs[-1].test_acc:.4f} | "
                f"{runs[-1].train_acc:.4f} | {'n/a' if peak is None else f'{peak:.0f}'} |"
            )
    print("\nRatios of times in the same round, median (min-max) over rounds; wall time, then CPU time:\n")
    names = list(next(iter(results.values())))
    others = [name for name in names if name != "npnet"]
    print("| dtype | clock | " + " | ".join(f"npnet / {name}" for name in others) + " |")
    print("|---|---|" + "---|" * len(others))
    for dtype, by_name in results.items():
        for clock in ("seconds", "cpu_seconds"):
            ratios = [
                spread(
                    [getattr(a, clock) / getattr(b, clock) for a, b in zip(by_name["npnet"], by_name[n], strict=True)]
                )
                for n in others
            ]
            print(f"| {dtype} | {'wall' if clock == 'seconds' else 'CPU'} | " + " | ".join(ratios) + " |")
    for dtype, by_name in results.items():
        pairs = list(zip(by_name["npnet"], by_name["lean"], strict=True))
        wall = statistics.median(a.seconds / b.seconds for a, b in pairs)
        cpu = statistics.median(a.cpu_seconds / b.cpu_seconds for a, b in pairs)
        acc = by_name["npnet"][-1].test_acc
        verdict = "met" if wall <= TRAINING_TARGET else "NOT met"
        print(
            f"\n{dtype}: npnet/lean {wall:.3f} wall, {cpu:.3f} CPU (target <= {TRAINING_TARGET} wall: {verdict}); "
            f"npnet test acc {acc:.4f}"
        )


def print_numgrad(result: numgrad.NumgradResult) -> None:
    print("\n### Numerical gradient: TwoLayerNet 784-100-10, batch 100, float64, all 79,510 parameters\n")
    how = (
        f"timed on {result.loop_entries} entries ({result.loop_seconds:.2f} s) and extrapolated"
        if result.extrapolated
        else "timed on every entry"
    )
    print("| method | seconds | note |\n|---|---|---|")
    print(f"| fast (default) | {spread(result.fast_seconds, digits=3)} | median (min-max) |")
    print(f"| book's loop | {result.loop_total_seconds:.1f} | {how} |")
    verdict = "met" if result.speedup >= NUMGRAD_TARGET and result.outside_bound == 0 else "NOT met"
    print(
        f"\nfast is {result.speedup:.0f}x the loop (target >= {NUMGRAD_TARGET:.0f}x: {verdict}); "
        f"{result.outside_bound} of {result.loop_entries} compared entries outside |fast - loop| <= "
        f"{numgrad.ATOL:g} + {numgrad.RTOL:g} |loop| (worst at {result.worst_fraction_of_bound:.3g} of the bound)"
    )


def print_scaling(sweep: dict[str, list[tuple[int, dict[str, float]]]]) -> None:
    for key, title in (("hidden", "hidden units, batch 100"), ("batch", "batch size, hidden 50")):
        points = sweep[key]
        names = list(points[0][1])
        print(f"\n### One SGD step, float32, microseconds, by {title}\n")
        print(
            f"| {key} | "
            + " | ".join(names)
            + " | npnet / lean | "
            + " | ".join(f"npnet / {n}" for n in names[2:])
            + " |"
        )
        print("|---|" + "---|" * (2 * len(names) - 1))
        for size, times in points:
            ratios = [times["npnet"] / times[name] for name in names[1:]]
            print(
                f"| {size} | "
                + " | ".join(f"{1e6 * times[name]:.0f}" for name in names)
                + " | "
                + " | ".join(f"{r:.2f}" for r in ratios)
                + " |"
            )


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    skip = set(filter(None, args.skip.split(",")))
    iters = args.iters or (600 if args.quick else 10000)
    repeat = args.repeat or (2 if args.quick else 3)
    torch_module, devices = torch_devices(args)
    started = time.perf_counter()
    with threadpool_limits(limits=args.threads):
        out: dict[str, Any] = {"environment": environment.describe(torch_module)}
        print("\n".join(out["environment"]))
        (x_train, t_train), (x_test, t_test) = load_mnist()
        data = (x_train, t_train, x_test, t_test)
        if "training" not in skip:
            results = training.interleaved(data, ["float32", "float64"], iters, repeat, devices)
            peaks = {}
            if "memory" not in skip:
                for dtype, by_name in results.items():
                    for name in by_name:
                        peaks[f"{dtype} {name}"] = memory.measure(name, dtype, 2, args.threads)
            print_training(results, peaks, iters)
            out["training"] = {d: {n: [asdict(r) for r in rs] for n, rs in b.items()} for d, b in results.items()}
            out["peak_mb"] = peaks
        if "numgrad" not in skip:
            result = numgrad.run(None if args.full_loop else (4 if args.quick else 40), 1 if args.quick else 3)
            print_numgrad(result)
            out["numgrad"] = asdict(result) | {"speedup": result.speedup}
        if "scaling" not in skip:
            sweep = scaling.sweep(x_train, t_train, devices, 0.15 if args.quick else 1.0, 3 if args.quick else 5)
            print_scaling(sweep)
            out["scaling"] = sweep
            if args.plot:
                from benchmarks.plot import plot_scaling

                plot_scaling(sweep, args.plot)
                print(f"\nfigure written to {args.plot}")
    print(f"\n(benchmark took {time.perf_counter() - started:.0f} s)")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(out, handle, indent=1)


if __name__ == "__main__":
    main()
