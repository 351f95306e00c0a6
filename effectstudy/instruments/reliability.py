r"""Reliability from the data: Cronbach's alpha of a scale with Feldt's confidence interval.

For studies without a published reliability for their population, the internal consistency
of a scale is estimated on the intake administrations and can be passed to the reliable
change functions (``reliability=result`` or ``result.estimate``).

.. math::

    \alpha = \frac{k}{k-1}\left(1 - \frac{\sum_i s_i^2}{s_X^2}\right)

with :math:`k` items, :math:`s_i^2` the item variances and :math:`s_X^2` the variance of the
item sum (Cronbach 1951), computed on the *keyed* items (reverse items mirrored) of the
administrations that answered every item of the scale (listwise deletion; the number left
out is in ``meta``).  The :math:`100(1-a)\%` interval is Feldt's F-based one
(Feldt, Woodruff & Salih 1987), as reported by ``psych::alpha`` (Feldt bounds) in R and
``pingouin.cronbach_alpha``:

.. math::

    \left[\,1 - (1-\alpha) F_{1-a/2}(n-1, (n-1)(k-1)),\;
    1 - (1-\alpha) F_{a/2}(n-1, (n-1)(k-1))\,\right]

References
----------
Cronbach, L. J. (1951). Coefficient alpha and the internal structure of tests.
*Psychometrika, 16*, 297-334.
Feldt, L. S., Woodruff, D. J., & Salih, F. A. (1987). Statistical inference for coefficient
alpha. *Applied Psychological Measurement, 11*\ (1), 93-103.
Revelle, W. psych: Procedures for Psychological, Psychometric, and Personality Research
(``alpha``; checked against version 2.2.9 in ``tests/reference/reliability_psych_alpha.R``).

Examples
--------
>>> import numpy as np, pandas as pd, effectstudy as es
>>> rng = np.random.default_rng(0)
>>> latent = rng.normal(size=200)
>>> items = np.clip(np.round(2 + latent[:, None] + rng.normal(size=(200, 7))), 0, 3)
>>> m = pd.DataFrame({"client_id": [f"c{i}" for i in range(200)], "occasion": "pre",
...                   **{f"item_{i + 1}": items[:, i] for i in range(7)}})
>>> r = es.reliability(m, instrument="gad7", scale="total")
>>> round(r.estimate, 3), r.n, r.n_items
(0.851, 200, 7)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from effectstudy.core.checks import check_ci
from effectstudy.core.errors import ArgumentError, ArgumentTypeError, DataError
from effectstudy.core.results import Result, base_meta
from effectstudy.core.schema import item_column, non_item_columns
from effectstudy.instruments import Instrument, resolve
from effectstudy.instruments.items import (
    check_codes,
    instrument_rows,
    item_matrix_columns,
    keyed_items,
    numeric_block,
)
from effectstudy.instruments.registry import no_key_message
from effectstudy.instruments.scoring import is_score_only

__all__ = ["reliability", "cronbach_alpha", "feldt_ci", "ReliabilityResult"]


def cronbach_alpha(items: np.ndarray) -> float:
    r"""Cronbach's alpha of a complete ``n x k`` item matrix (rows = respondents).

    >>> round(cronbach_alpha(np.array([[1, 2, 2], [2, 3, 3], [3, 3, 4], [4, 5, 4.0]])), 6)
    0.948529
    """
    x = np.asarray(items, dtype=float)
    if x.ndim != 2 or x.shape[1] < 2 or x.shape[0] < 2:
        raise ArgumentError("items", x.shape, "an n x k matrix with n >= 2 respondents and k >= 2 items")
    if np.isnan(x).any():
        raise ArgumentError("items", "matrix with NaN", "complete rows (drop incomplete administrations first)")
    k = x.shape[1]
    item_var = x.var(axis=0, ddof=1).sum()
    total_var = x.sum(axis=1).var(ddof=1)
    if total_var == 0:
        raise ArgumentError("items", "constant sum scores", "variation in the scale's sum score")
    return float(k / (k - 1) * (1.0 - item_var / total_var))


def feldt_ci(alpha: float, n: int, k: int, ci: float = 0.95) -> tuple[float, float]:
    r"""Feldt's confidence interval for coefficient alpha (Feldt, Woodruff & Salih 1987).

    >>> [round(v, 4) for v in feldt_ci(0.8, 100, 10)]
    [0.736, 0.8537]
    """
    ci = check_ci(ci)
    a = 1.0 - ci
    df1, df2 = n - 1, (n - 1) * (k - 1)
    low = 1.0 - (1.0 - alpha) * stats.f.ppf(1.0 - a / 2.0, df1, df2)
    high = 1.0 - (1.0 - alpha) * stats.f.ppf(a / 2.0, df1, df2)
    return float(low), float(high)


@dataclass(frozen=True, repr=False)
class ReliabilityResult(Result):
    """Cronbach's alpha of one scale with its Feldt interval.

    ``estimate`` is usable wherever a reliability number is expected (``float(result)``
    gives it too); ``meta`` records the instrument, scale, which administrations were used
    and how many were left out.
    """

    estimate: float = float("nan")
    ci_low: float = float("nan")
    ci_high: float = float("nan")
    n: int = 0
    n_items: int = 0

    title = "Reliability (Cronbach's alpha)"

    def __float__(self) -> float:
        return float(self.estimate)

    def summary(self) -> pd.DataFrame:
        """One row: instrument, scale, estimate, ci_low, ci_high, ci_level, n, n_items, method."""
        return pd.DataFrame(
            [
                {
                    "instrument": self.meta.get("instrument"),
                    "scale": self.meta.get("scale"),
                    "estimate": self.estimate,
                    "ci_low": self.ci_low,
                    "ci_high": self.ci_high,
                    "ci_level": self.meta.get("ci_level"),
                    "n": self.n,
                    "n_items": self.n_items,
                    "method": self.meta.get("method"),
                }
            ]
        )


def _intake_rows(df: pd.DataFrame, occasion: str) -> tuple[pd.DataFrame, str]:
    if occasion == "all":
        return df, "all administrations"
    if occasion != "first" and "occasion" in df.columns:
        return df[(df["occasion"] == occasion).fillna(False).to_numpy(dtype=bool)], f"occasion == {occasion!r}"
    if occasion not in ("pre", "first"):
        raise ArgumentError("occasion", occasion, "'pre', 'first' or 'all' (there is no occasion column)")
    if "client_id" not in df.columns:
        raise DataError(
            "cannot find the first administration per client without this column "
            "(give a client_id column, or an occasion column)",
            column="client_id",
        )
    order = df.sort_values([c for c in ("client_id", "date") if c in df.columns], kind="stable")
    first = order.drop_duplicates("client_id", keep="first")
    why = "first administration per client" + (" (no occasion column)" if occasion == "pre" else "")
    return first, why


def reliability(
    measurements: pd.DataFrame,
    *,
    instrument: str | Instrument,
    scale: str | None = None,
    occasion: str = "pre",
    ci: float = 0.95,
    rows: np.ndarray | None = None,
) -> ReliabilityResult:
    """Cronbach's alpha (Feldt CI) of ``scale`` on the intake administrations.

    Parameters
    ----------
    measurements : DataFrame
        Canonical measurements with item columns (raw codes; they are range-checked and
        keyed exactly as in :func:`effectstudy.score`).
    instrument : str or Instrument
        Registry id or user instrument.
    scale : str, optional
        Scale name (default: the instrument's default scale).  Only ``sum`` and ``mean``
        scales have an alpha.
    occasion : {"pre", "first", "all"} or str
        Which administrations: rows whose ``occasion`` equals this value (default
        ``"pre"``); without an ``occasion`` column, or with ``"first"``, the first
        administration per client by date; ``"all"`` uses every administration.
    ci : float
        Confidence level of Feldt's interval.
    rows : ndarray, optional
        Use only these rows (positions, or a boolean mask): the result of
        ``reliability(measurements.iloc[rows], ...)`` without copying the item matrix of the
        selection (only the intake rows' items of the scale are read).

    Raises
    ------
    DataError
        Fewer than 2 complete administrations, constant sum scores, or out-of-range codes.
    """
    if not isinstance(measurements, pd.DataFrame):
        raise ArgumentTypeError("measurements", measurements, "a pandas DataFrame of canonical measurements")
    ci = check_ci(ci)
    inst = resolve(instrument)
    sc = inst.scale(scale)
    if sc.rule not in ("sum", "mean"):
        raise ArgumentError("scale", sc.name, f"a sum or mean scale (alpha is not defined for rule {sc.rule!r})")
    df, sel, n_other = instrument_rows(measurements, inst, rows)
    n_original = len(df) + n_other
    if is_score_only(measurements):  # the columns decide (df may lack the item columns)
        raise DataError(
            f"Cronbach's alpha of {inst.id} {sc.name} needs the item answers, and these measurements came "
            "scored (a score-only export: scale scores, no items); use a published reliability "
            "(reliable_change.reliability: registry, or a number)",
            expected="measurements with item columns item_1 ... item_N",
        )
    if inst.scale_level:
        raise DataError(no_key_message(inst, f"Cronbach's alpha of {sc.name}"),
                        expected="a filled-in item key, or a published reliability "
                                 "(reliable_change.reliability: a number)")
    item_matrix_columns(df, inst, measurements.columns)
    cols = [item_column(i) for i in sc.items]
    if sel is None:  # only the scale's items travel with the intake rows (not the whole item matrix)
        intake, selection = _intake_rows(df[non_item_columns(df.columns) + cols], occasion)
        x = numeric_block(intake, cols)
    else:  # the intake rows chosen on the other columns, then only their items read
        at = "__position__"  # not a canonical column: the rows' positions through the selection
        intake, selection = _intake_rows(df[non_item_columns(df.columns)].assign(**{at: np.arange(len(df))}), occasion)
        x = sel.items(cols, intake[at].to_numpy())
    check_codes(x, inst, intake, cols, 0)
    x = keyed_items(x, inst, cols)
    complete = ~np.isnan(x).any(axis=1)
    xc = x[complete]
    n, k = xc.shape
    if n < 2:
        raise DataError(
            f"too few complete administrations of {inst.id} {sc.name} ({selection}) for Cronbach's alpha",
            value=n,
            expected="at least 2 administrations that answered every item of the scale",
        )
    if xc.sum(axis=1).var(ddof=1) == 0:
        raise DataError(
            f"{inst.id} {sc.name}: every complete administration ({selection}) has the same sum score",
            value=float(xc.sum(axis=1)[0]),
            expected="variation in the scale's sum score",
        )
    est = cronbach_alpha(xc)
    low, high = feldt_ci(est, n, k, ci)
    exclusions = {}
    if n_other:
        exclusions["other_instrument"] = n_other
    if len(df) - len(intake):
        exclusions["not_intake"] = len(df) - len(intake)
    if int((~complete).sum()):
        exclusions["incomplete_items"] = int((~complete).sum())
    meta = base_meta(
        "cronbach_alpha",
        instrument=inst.id,
        instrument_version=inst.version,
        key_status=inst.status,
        scale_status=sc.status,
        source=inst.origin,
        scale=sc.name,
        items=list(sc.items),
        reverse_items=list(sc.reverse),
        selection=selection,
        ci_level=ci,
        ci_method="feldt",
        missing="listwise (administrations with any missing item of the scale left out)",
        n_original=n_original,
        n_used=n,
        exclusions=exclusions,
        reference="Cronbach (1951); Feldt, Woodruff & Salih (1987) Appl Psychol Meas 11:93-103",
    )
    return ReliabilityResult(meta=meta, estimate=est, ci_low=low, ci_high=high, n=n, n_items=k)


