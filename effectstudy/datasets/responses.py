"""Item responses of the synthetic SCL-90 (Dutch coding 1-5) from a graded response model.

Model (Samejima's graded response model, logistic form)::

    P(X_j >= k + 1 | theta) = 1 / (1 + exp(-a_j * (theta - b_jk))),   k = 1 .. 4
    X_j in {1, ..., 5}

so the expected item sum of the 90 items (the Dutch total score PSNEUR, range 90-450) is::

    E[S | theta] = 90 + sum_j sum_k P(X_j >= k + 1 | theta)

(Samejima F. 1969, *Estimation of latent ability using a response pattern of graded
scores*, Psychometrika Monograph 17; the cumulative-logit form and E[X] = 1 + sum_k P(X >= k+1)
follow from the definition.)  The item parameters are synthetic and fixed (drawn once from
``ITEM_SEED``), the same for every user seed: the generator's instrument does not change
between data sets.  They are *not* estimates of the real SCL-90.

For a latent severity that is normally distributed, ``theta ~ N(m, s^2)``, the expected item
sum ``E[S] = E_theta[E[S | theta]]`` is computed with Gauss-Hermite quadrature
(probabilists' Hermite nodes, 64 points), which is exact to far below 0.01 points here.

>>> a, b = item_parameters()
>>> a.shape, b.shape
((90,), (90, 4))
>>> bool(np.all(np.diff(b, axis=1) > 0))
True
>>> round(float(expected_item_sum(0.0)), 1) < round(float(expected_item_sum(1.0)), 1)
True
"""

from __future__ import annotations

from functools import cache

import numpy as np
from scipy.special import expit, ndtri

__all__ = [
    "N_ITEMS",
    "ITEM_MIN",
    "ITEM_MAX",
    "ITEM_SEED",
    "item_parameters",
    "sample_items",
    "expected_item_sum",
    "expected_item_sum_normal",
    "expected_item_sum_smoothed",
    "GH_NODES",
    "GH_WEIGHTS",
]

N_ITEMS = 90
ITEM_MIN = 1
ITEM_MAX = 5
#: seed of the fixed synthetic item parameters
ITEM_SEED = 90_2003
#: threshold offsets around each item's location (4 thresholds for 5 categories)
_OFFSETS = np.array([-0.5, 0.5, 1.4, 2.3])
_LOCATION = 1.0


@cache
def _items() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(ITEM_SEED)))
    u = rng.random((2, N_ITEMS))
    a = 1.2 + 1.2 * u[0]  # discriminations uniform on [1.2, 2.4)
    loc = _LOCATION + 0.35 * ndtri(np.clip(u[1], 1e-12, 1 - 1e-12))  # item locations
    b = loc[:, None] + _OFFSETS[None, :]
    a.setflags(write=False)
    b.setflags(write=False)
    return a, b


def item_parameters() -> tuple[np.ndarray, np.ndarray]:
    """Discriminations ``a`` (90,) and ordered thresholds ``b`` (90, 4) of the synthetic items.

    Returns read-only arrays; the same for every seed.
    """
    return _items()


def sample_items(theta: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Draw item codes 1..5 for each administration.

    Parameters
    ----------
    theta : ndarray, shape (n,)
        Latent severity of each administration.
    u : ndarray, shape (n, 90)
        Uniform draws on [0, 1), one per administration and item.

    Returns
    -------
    ndarray of int8, shape (n, 90)
        ``X = 1 + #{k : u < P(X >= k + 1 | theta)}``; because the cumulative probabilities
        decrease in k this is an exact draw from the graded response model.
    """
    a, b = _items()
    theta = np.asarray(theta, dtype=np.float64)
    # float64 throughout: a last-bit difference in expit between platforms can only flip a
    # code when u lies within ~1e-16 of a probability, so regenerated data stay identical
    p = expit(a[None, :, None] * (theta[:, None, None] - b[None]))
    codes = (np.asarray(u, dtype=np.float64)[:, :, None] < p).sum(axis=2, dtype=np.int8)
    codes += np.int8(ITEM_MIN)
    return codes


def expected_item_sum(theta: np.ndarray | float) -> np.ndarray:
    """``E[S | theta]``: expected sum of the 90 item codes at latent severity ``theta``.

    >>> float(expected_item_sum(-50.0)), float(expected_item_sum(50.0))
    (90.0, 450.0)
    """
    a, b = _items()
    theta = np.asarray(theta, dtype=np.float64)
    flat = theta.reshape(-1)
    out = np.empty(flat.shape, dtype=np.float64)
    step = 4096
    for start in range(0, flat.size, step):  # bounded memory: 4096 x 90 x 4 at a time
        t = flat[start : start + step]
        out[start : start + step] = N_ITEMS * ITEM_MIN + expit(
            a[None, :, None] * (t[:, None, None] - b[None])
        ).sum(axis=(1, 2))
    return out.reshape(theta.shape)


#: 64-point Gauss-Hermite quadrature for expectations over a normal latent trait:
#: probabilists' Hermite nodes ``x_q`` and weights ``w_q`` normalised to sum to 1, so that
#: ``E[f(theta)] = sum_q w_q f(mean + sd * x_q)`` for ``theta ~ N(mean, sd^2)``
GH_NODES, GH_WEIGHTS = np.polynomial.hermite_e.hermegauss(64)
GH_WEIGHTS = GH_WEIGHTS / GH_WEIGHTS.sum()


def expected_item_sum_normal(mean: np.ndarray | float, sd: np.ndarray | float) -> np.ndarray:
    """``E[S]`` when ``theta ~ N(mean, sd^2)``, by 64-point Gauss-Hermite quadrature.

    ``E[S] = sum_q w_q * E[S | mean + sd * x_q]`` with probabilists' Hermite nodes ``x_q``
    and weights ``w_q`` normalised to 1.

    >>> round(float(expected_item_sum_normal(1.0, 0.0)), 6) == round(float(expected_item_sum(1.0)), 6)
    True
    """
    mean = np.asarray(mean, dtype=np.float64)
    sd = np.asarray(sd, dtype=np.float64)
    mean, sd = np.broadcast_arrays(mean, sd)
    nodes = mean[..., None] + sd[..., None] * GH_NODES
    return (expected_item_sum(nodes) * GH_WEIGHTS).sum(axis=-1)


_GRID_LO, _GRID_HI, _GRID_STEP = -8.0, 10.0, 0.005


@cache
def _smoothed_grid(sd: float) -> np.ndarray:
    grid = np.arange(_GRID_LO, _GRID_HI + _GRID_STEP / 2, _GRID_STEP)
    return expected_item_sum_normal(grid, sd)


def expected_item_sum_smoothed(theta: np.ndarray | float, sd: float) -> np.ndarray:
    """Fast ``E[S]`` for ``theta_latent ~ N(theta, sd^2)`` with one ``sd`` for all values.

    Linear interpolation in a table of :func:`expected_item_sum_normal` on a grid of step
    0.005 over [-8, 10] (clipped outside; the curve is flat there).  The interpolation
    error is at most ``h^2 / 8 * max|E''|``, below 0.001 points for these items.

    >>> x = np.array([-0.3, 0.77, 2.1234])
    >>> bool(np.allclose(expected_item_sum_smoothed(x, 0.2), expected_item_sum_normal(x, 0.2), atol=1e-3))
    True
    """
    grid = _smoothed_grid(float(sd))
    pos = (np.clip(np.asarray(theta, dtype=np.float64), _GRID_LO, _GRID_HI) - _GRID_LO) / _GRID_STEP
    i = np.minimum(np.floor(pos).astype(np.int64), grid.size - 2)
    f = pos - i
    return grid[i] * (1 - f) + grid[i + 1] * f
