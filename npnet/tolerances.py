"""The one tolerance table: ``(rtol, atol)`` per dtype, for values and for gradients (NumPy only).

A comparison passes where ``|actual - expected| <= atol + rtol * |expected|`` element-wise (as numpy.isclose and
torch.testing.assert_close). Checks feed data of order one (standard-normal inputs, 0.01- to 1-scale weights),
so an absolute bound of the same size as the relative one is meaningful.

- float64, values and gradients: 1e-12 both. Twins compute the same formula with different kernels (OpenBLAS
  against MKL/oneDNN, another summation order), so they differ by round-off: a dot product of length K has error
  about sqrt(K) * eps * sum|x_i w_i|, about 1e-14 for K = 784 and order-one data; 1e-12 leaves two orders of
  headroom and is still ten thousand times below any real mistake (a 1.001 scaling is a 1e-3 miss).
- float32: torch.testing.assert_close's defaults for float32 (rtol 1.3e-6, atol 1e-5), unchanged.
- numerical: a central difference with h = 1e-4 against the exact derivative, in float64: truncation error
  h**2 / 6 * |f'''| (about 2e-9 for |f'''| of order one) plus round-off eps * |f| / h (about 1e-12), so
  (rtol 1e-6, atol 1e-7) bounds it with room for third derivatives up to ~50. Functions more curved than that
  (batch norm over a handful of samples) are checked with h = 1e-5, which divides the truncation term by 100.
- numerical-fast: the nets' fast numerical gradient (npnet.numgrad) against the book's loop, which evaluate the same
  perturbed losses in another order. The loop's own round-off decides the bound: each loss is a float64 sum with
  error about eps * |L| (2e-16 * 2.3 for MNIST-sized losses), so one central difference carries about
  2 * eps * |L| / (2h) = 5e-12; the issue's bound, 1e-10 absolute plus 1e-8 relative, leaves twenty times that.
  In float32 both estimates carry the function's round-off, eps32 * |L| / h each (gradient.py), independently: their
  difference stays under 2 * eps32 * |L| / h = 4.8e-3 for the losses up to 2 that the tests assert, so 5e-3.
- float32 numerical (``npnet gradcheck --dtype float32``): the loss itself is rounded to float32, so each central
  difference carries about eps32 * |L| / h of round-off, 2.7e-3 for the initial loss ln(10) = 2.3 at h = 1e-4
  (measured: up to 4.5e-3 on 784-wide nets, batch 3); (rtol 1e-2, atol 1e-2) sits above that. It catches gross
  slips only (a gradient of the wrong sign or scale); float64 is the real check.
- trajectory: whole training runs in float64 compare parameters after 100+ steps; round-off accumulates step by
  step, so a bound of 1e-10 absolute is used (parameters are of order 0.01-1).
- float32 trajectory (``npnet parity``'s 200-step run): torch.testing's float32 defaults, as for single values.
  Round-off grows step by step and, over thousands of steps, chaotically (about 1e-2 after 10,000 SGD steps), so
  this row holds for runs of a few hundred steps only: measured 4.8e-7 after 200 steps of TwoLayerNet 784-30-10.

``npnet.testing`` (the user-facing checks) and the project's own tests read this one table.
"""

from __future__ import annotations

from typing import Any

import numpy as np

TOLERANCES: dict[tuple[str, str], tuple[float, float]] = {
    ("float64", "value"): (1e-12, 1e-12),
    ("float64", "grad"): (1e-12, 1e-12),
    ("float32", "value"): (1.3e-6, 1e-5),
    ("float32", "grad"): (1.3e-6, 1e-5),
    ("float64", "numerical"): (1e-6, 1e-7),
    ("float32", "numerical"): (1e-2, 1e-2),
    ("float64", "numerical-fast"): (1e-8, 1e-10),
    ("float32", "numerical-fast"): (0.0, 5e-3),
    ("float64", "trajectory"): (0.0, 1e-10),
    ("float32", "trajectory"): (1.3e-6, 1e-5),
}


def tolerance(dtype: Any, kind: str = "value") -> tuple[float, float]:
    """``(rtol, atol)`` for comparing arrays of ``dtype``; integer and bool arrays compare exactly."""
    dt = np.dtype(dtype)
    if not np.issubdtype(dt, np.floating):
        return (0.0, 0.0)
    try:
        return TOLERANCES[(dt.name, kind)]
    except KeyError:
        raise KeyError(f"no tolerance for {dt.name} {kind!r}; add a justified row to npnet/tolerances.py") from None
