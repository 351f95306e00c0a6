"""Seeded random streams for the synthetic practice, built on uniform draws only.

Every random quantity is derived from ``Generator.random`` (PCG64 uniform doubles)
through an explicit inverse CDF.  NEP 19 promises bit-stable streams only for the legacy
``RandomState``, not for ``Generator`` methods; a uniform double is the plainest function
of the PCG64 bit stream and so the least likely to change, while the distribution
algorithms (normal, binomial, ...) are the parts NumPy has changed in the past.  If a
future NumPy does change it, the example-regeneration test in ``tests/test_datasets.py``
fails and says so.

Streams are keyed by ``(block, part)`` through :class:`numpy.random.SeedSequence`
``spawn_key``: block ``b`` of the practice always draws from the same streams, however
the blocks are grouped into chunks.  That is what makes the output independent of the
chunk size.

>>> d = Draw(2025, block=0, part=1)
>>> d.integers(3, 5, 4).tolist()
[5, 4, 4, 3]
>>> Draw(2025, block=0, part=1).integers(3, 5, 4).tolist()  # same stream, same draws
[5, 4, 4, 3]
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtri

__all__ = ["Draw"]


class Draw:
    """Random variates of one ``(seed, block, part)`` stream, all from uniforms.

    Parameters
    ----------
    seed : int
        The user's seed (entropy of the :class:`~numpy.random.SeedSequence`).
    block : int
        Index of the block of episodes this stream belongs to.
    part : int
        Which part of the generator draws from it (structure, episodes, items, ...).
    """

    def __init__(self, seed: int, *, block: int, part: int) -> None:
        ss = np.random.SeedSequence(entropy=int(seed), spawn_key=(int(block), int(part)))
        self._rng = np.random.Generator(np.random.PCG64(ss))

    def uniform(self, n: int | tuple[int, ...], dtype: type = np.float64) -> np.ndarray:
        """Uniform draws on [0, 1)."""
        return self._rng.random(n, dtype=dtype)

    def normal(self, n: int, mean: np.ndarray | float = 0.0, sd: np.ndarray | float = 1.0) -> np.ndarray:
        """Normal draws by the inverse CDF, ``mean + sd * Phi^{-1}(u)``; u is kept off 0."""
        u = self._rng.random(n)
        u = np.clip(u, 1e-12, 1 - 1e-12)
        return mean + sd * ndtri(u)

    def integers(self, low: np.ndarray | int, high: np.ndarray | int, n: int) -> np.ndarray:
        """Integers uniform on ``low .. high`` inclusive (bounds may be arrays)."""
        u = self._rng.random(n)
        low = np.asarray(low, dtype=np.int64)
        high = np.asarray(high, dtype=np.int64)
        return low + np.floor(u * (high - low + 1)).astype(np.int64)

    def choice(self, p: np.ndarray, n: int) -> np.ndarray:
        """Category indices with probabilities ``p``.

        ``p`` is either one probability vector (shape ``(k,)``) or one vector per draw
        (shape ``(n, k)``); rows are normalised.
        """
        p = np.asarray(p, dtype=np.float64)
        u = self._rng.random(n)
        if p.ndim == 1:
            cum = np.cumsum(p / p.sum())
            return np.minimum(np.searchsorted(cum, u, side="right"), len(p) - 1)
        cum = np.cumsum(p / p.sum(axis=1, keepdims=True), axis=1)
        return np.minimum((u[:, None] >= cum).sum(axis=1), p.shape[1] - 1)

    def bernoulli(self, p: np.ndarray | float, n: int) -> np.ndarray:
        """Boolean draws, ``True`` with probability ``p`` (scalar or per draw)."""
        return self._rng.random(n) < p
