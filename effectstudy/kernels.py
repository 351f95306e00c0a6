r"""Array kernels shared by the analyses: pure NumPy, vectorised, no DataFrames.

>>> round(float(s_diff(10.0, 0.84)), 6)
5.656854
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["sem", "s_diff"]


def sem(sd: ArrayLike, reliability: ArrayLike) -> np.ndarray:
    r"""Standard error of measurement, :math:`SE = s\sqrt{1 - r_{xx}}` (Jacobson & Truax 1991)."""
    return np.asarray(sd, dtype=float) * np.sqrt(1.0 - np.asarray(reliability, dtype=float))


def s_diff(sd: ArrayLike, reliability: ArrayLike) -> np.ndarray:
    r"""Standard error of the difference, :math:`S_{diff} = \sqrt{2 SE^2} = s\sqrt{2(1-r_{xx})}`.

    References
    ----------
    Jacobson, N. S., & Truax, P. (1991). Clinical significance: A statistical approach to
    defining meaningful change in psychotherapy research. *Journal of Consulting and
    Clinical Psychology, 59*(1), 12-19. https://doi.org/10.1037/0022-006X.59.1.12
    """
    return np.sqrt(2.0) * sem(sd, reliability)
