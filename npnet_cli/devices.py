"""``--device``: the torch device of the twins, checked before anything trains.

A device torch cannot use here (``mps`` off a Mac, ``xpu`` without the build, ``meta``, a typo) is refused in one
line naming the flag, as is ``--device`` together with ``--no-oracle`` (there is no twin to place).
"""

from __future__ import annotations

import argparse
from typing import Any


def twin_device(args: argparse.Namespace, dtype: Any = "float64") -> Any:
    """The device the twins will run on (``None``: the oracle's default), after a small computation on it.

    The probe builds a ``dtype`` tensor there, multiplies it and copies the result back to NumPy, which is what the
    twins do; any failure becomes a ``ValueError`` starting ``--device NAME:``.
    """
    if args.no_oracle:
        if args.device is not None:
            raise ValueError(f"--device {args.device}: the twin's device, but --no-oracle turns the twin off")
        return None
    if args.device is None:
        return None
    import torch

    from oracle.convert import default_device, torch_dtype

    try:
        device = default_device(args.device)
    except ValueError as error:
        raise ValueError(f"--device {args.device}: {str(error).removeprefix('device: ')}") from None
    try:
        probe = torch.ones((2, 2), dtype=torch_dtype(dtype), device=device)
        (probe @ probe).cpu().numpy()
    except Exception as error:  # torch raises RuntimeError, TypeError, AssertionError, NotImplementedError...
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise ValueError(f"--device {args.device}: torch {torch.__version__} cannot compute there ({reason})") from None
    return device
