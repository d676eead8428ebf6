"""One way to turn "a seed or a Generator" into a ``numpy.random.Generator``: every random thing in npnet uses it."""

from __future__ import annotations

import numpy as np

SeedLike = int | np.random.Generator | None


def as_generator(rng: SeedLike) -> np.random.Generator:
    """``rng`` itself if it is a Generator, else ``numpy.random.default_rng(rng)``.

    ``None`` gives a fresh, unpredictable generator; pass an int for repeatable results.
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or (isinstance(rng, (int, np.integer)) and not isinstance(rng, bool)):
        return np.random.default_rng(rng)
    raise TypeError(f"rng must be an int seed, a numpy.random.Generator or None, got {type(rng).__name__}")
