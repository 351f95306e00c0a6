r"""Scoring questionnaire administrations with a registered key.

T-scores of the results: :mod:`effectstudy.instruments.tscores`.

:func:`score` turns raw item codes (canonical measurements: one row per administration,
``item_1`` ... ``item_N``) into long scale scores, one row per administration and scale.
It works on the whole item matrix at once: items are keyed (reverse items
:math:`x' = x_{min} + x_{max} - x`), and every scale's sum, number of answered items and
(for the SCL-90-R PST/PSDI) number and sum of items above the lowest code are matrix
products of the administrations x items matrix with an items x scales indicator matrix.

Rules (per scale, with :math:`n` items, :math:`m` of them answered, :math:`S` the sum of
the answered keyed items):

- ``sum``: :math:`S` when complete; prorated :math:`S \cdot n / m` with :math:`n - m \le`
  ``max_missing`` (``method: prorate``).
- ``mean``: :math:`S / m` (SCL-90-R dimensions and GSI: "sum of item scores / number of
  items answered"; CORE-OM domains).
- ``positive_count``: number of answered items above the lowest code, prorated like a sum
  (SCL-90-R PST).
- ``positive_mean``: sum of the items above the lowest code divided by their number
  (SCL-90-R PSDI = sum / PST on the 0-4 coding); undefined (missing, reason ``undefined``)
  when no item is above the lowest code.
- ``multiplier`` scales the result (CORE-OM clinical score = mean x 10; DASS-21 x 2).

With ``method: impute_scale_mean_rounded`` (OQ-45) each missing item is first replaced by
the mean of the answered keyed items of its subscale, rounded half up, and the scales are
then plain sums of the completed matrix (OQ-45 scoring sheet, see the instrument file).
With more than ``max_missing`` items missing the score is missing with reason
``too_many_missing``; with more than the instrument's ``max_missing_total`` missing items in
the administration every scale is missing with reason ``too_many_missing_total``.

An item code outside the instrument's range, or not a whole number, is a
:class:`~effectstudy.core.errors.DataError` naming the row, client, date, item and value: it is
never turned into a missing value.

References
----------
Derogatis, L. R. (1994). *SCL-90-R: Administration, scoring and procedures manual* (3rd ed.);
index definitions as summarised at cps.nova.edu/~cpphelp/SCL-90-R.html.
Arrindell, W. A., & Ettema, J. H. M. (2003). *SCL-90: Herziene handleiding*. Lisse: Swets & Zeitlinger.
The key of each instrument and its sources are in ``effectstudy/instruments/<id>.yaml``.

Examples
--------
>>> import pandas as pd
>>> import effectstudy as es
>>> m = pd.DataFrame({"client_id": ["a", "b"], "date": pd.to_datetime(["2024-01-08", "2024-01-09"]),
...                   **{f"item_{i}": [2.0, 3.0] for i in range(1, 10)}})
>>> m.loc[1, "item_9"] = float("nan")
>>> res = es.score(m, instrument="phq9")
>>> res.scores[["client_id", "scale", "score", "n_answered", "prorated"]]
  client_id  scale  score  n_answered  prorated
0         a  total   18.0           9     False
1         b  total   27.0           8      True
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from effectstudy.core.checks import check_choice
from effectstudy.core.errors import (
    ArgumentError,
    ArgumentTypeError,
    DataError,
    ProvisionalKeyWarning,
)
from effectstudy.core.formatting import DEFAULT_LANG, DIGITS, Lang
from effectstudy.core.labels import label
from effectstudy.core.labels import register as _register_labels
from effectstudy.core.results import Result, base_meta
from effectstudy.core.schema import (
    item_columns,
    item_number,
    score_column,
    score_columns,
    score_scale,
)
from effectstudy.instruments import Instrument, resolve, scale_names
from effectstudy.instruments.items import (
    check_codes,
    instrument_rows,
    item_matrix_columns,
    numeric_block,
)
from effectstudy.instruments.registry import no_key_message

__all__ = ["score", "ScoreResult", "KEY_COLUMNS", "REASONS", "EXPORT_REASON", "is_score_only", "resolve_scales"]

#: measurement columns copied to the scores, in this order, when present
KEY_COLUMNS: tuple[str, ...] = ("client_id", "episode_id", "instrument", "date", "session", "occasion")
#: key columns of a few distinct values, categorical in the long scores (:func:`_repeated_keys`)
LABEL_KEYS: tuple[str, ...] = ("instrument", "occasion")
#: reasons a scale score is missing
REASONS: tuple[str, ...] = ("too_many_missing", "too_many_missing_total", "undefined")
#: reason of a missing score in a score-only export (the export had no value)
EXPORT_REASON = "not_in_export"

_register_labels(
    {
        "scale": {"nl": "Schaal", "en": "Scale"},
        "score": {"nl": "Score", "en": "Score"},
        "n_answered": {"nl": "n beantwoord", "en": "n answered"},
        "prorated": {"nl": "Naar rato", "en": "Prorated"},
        "reason": {"nl": "Reden", "en": "Reason"},
        "n_prorated": {"nl": "n naar rato", "en": "n prorated"},
        "n_missing": {"nl": "n ontbrekend", "en": "n missing"},
        "mean": {"nl": "Gem.", "en": "Mean"},
        "sd": {"nl": "SD", "en": "SD"},
        "t_score": {"nl": "T-score", "en": "T-score"},
        "too_many_missing": {"nl": "te veel ontbrekende items", "en": "too many missing items"},
        "too_many_missing_total": {"nl": "te veel ontbrekende items (totaal)", "en": "too many missing items (total)"},
        "undefined": {"nl": "niet gedefinieerd", "en": "undefined"},
        "not_in_export": {"nl": "geen score in de export", "en": "no score in the export"},
    }
)

#: administrations per block: each temporary of a block is 16,384 x 90 items x 8 B = 12 MB, so
#: the allocator reuses them instead of mapping fresh pages for every block (131,072 rows,
#: 94 MB temporaries, scored 200,000 episodes 2-3x slower: benchmarks/bench_scoring.py)
_CHUNK = 16_384


# ============================================================================ result
@dataclass(frozen=True, repr=False)
class ScoreResult(Result):
    """Scale scores of all administrations of one instrument.

    ``scores`` is long: the measurement's key columns (``client_id``, ``episode_id``,
    ``instrument``, ``date``, ``session``, ``occasion`` where present), then ``scale``,
    ``score``, ``n_answered``, ``prorated`` and ``reason`` (why a score is missing;
    empty otherwise).  ``instrument``, ``occasion``, ``scale`` and ``reason`` are categorical.  Rows are in measurement order, scales in key order within each
    administration.  ``meta`` has the instrument id, version, key status and source, and
    counts of prorated and missing scores.
    """

    scores: pd.DataFrame = field(default_factory=pd.DataFrame)

    title = "Scores"

    def format(self, lang: Lang = DEFAULT_LANG, digits: int = DIGITS) -> pd.DataFrame:
        """As :meth:`Result.format`, with each scale named as the registry names it in ``lang``
        (``Psychoneuroticisme (PSNEUR)``; a scale the registry does not know keeps its code)."""
        out = super().format(lang=lang, digits=digits)
        col = label("scale", lang)
        if col in out and self.meta.get("instrument"):
            names = scale_names(self.meta["instrument"], lang)
            out[col] = [names.get(str(s), s) for s in out[col]]
        return out

    def summary(self) -> pd.DataFrame:
        """Per scale: ``n`` scored, ``n_prorated``, ``n_missing``, ``mean``, ``sd`` (ddof 1)."""
        s = self.scores
        names = list(self.meta.get("scales", []))
        if s.empty:
            return pd.DataFrame(
                {"scale": names, "n": 0, "n_prorated": 0, "n_missing": 0, "mean": np.nan, "sd": np.nan}
            )
        codes = pd.Categorical(s["scale"], categories=names).codes
        k = len(names)
        v = s["score"].to_numpy(dtype=float)
        ok = ~np.isnan(v)
        n = np.bincount(codes[ok], minlength=k)
        total = np.bincount(codes[ok], weights=v[ok], minlength=k)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = total / n
            dev = v[ok] - mean[codes[ok]]
            var = np.bincount(codes[ok], weights=dev * dev, minlength=k) / (n - 1)
        return pd.DataFrame(
            {
                "scale": names,
                "n": n,
                # unknown (<NA>) for scores taken from a score-only export
                "n_prorated": (np.bincount(codes[s["prorated"].to_numpy(dtype=bool)], minlength=k)
                               if self.meta.get("scored_by") != "export" else pd.array([pd.NA] * k, dtype="Int64")),
                "n_missing": np.bincount(codes[~ok], minlength=k),
                "mean": mean,
                "sd": np.sqrt(var),
            }
        )

    def wide(self, value: str = "score") -> pd.DataFrame:
        """One row per administration: the key columns and one column per scale.

        >>> import pandas as pd, effectstudy as es
        >>> m = pd.DataFrame({"client_id": ["a"], **{f"item_{i}": [1.0] for i in range(1, 22)}})
        >>> es.score(m, instrument="dass21").wide().iloc[0, 2:].tolist()
        [7.0, 7.0, 7.0, 14.0, 14.0, 14.0]
        """
        check_choice("value", value, ("score", "n_answered", "prorated", "reason"))
        names = list(self.meta["scales"])
        k = len(names)
        s = self.scores
        if len(s) % max(k, 1) or (len(s) and list(s["scale"].iloc[:k]) != names):
            raise ArgumentError("scores", "modified table", "the scores as returned by es.score")
        n = len(s) // max(k, 1)
        keys = [c for c in KEY_COLUMNS if c in s.columns]
        out = s[keys].iloc[::k].reset_index(drop=True) if k else s[keys]
        vals = s[value].to_numpy().reshape(n, k)
        for j, name in enumerate(names):
            out[name] = vals[:, j]
        return out


# ============================================================================ helpers
def resolve_scales(inst: Instrument, scales: Sequence[str] | str | None) -> list[str]:
    """The scales of ``inst`` named by ``scales`` (all of them for ``None``, one for a str): each a
    scale of the instrument, at most once; else an :class:`ArgumentError` naming the scale."""
    if scales is None:
        return list(inst.scales)
    if isinstance(scales, str):
        scales = [scales]
    names = list(scales)
    if not names:
        raise ArgumentError("scales", scales, f"at least one of {list(inst.scales)}")
    for n in names:
        if n not in inst.scales:
            raise ArgumentError("scales", n, f"one of {list(inst.scales)} for instrument {inst.id}")
    if len(set(names)) != len(names):
        raise ArgumentError("scales", names, "each scale at most once")
    return names


@dataclass(frozen=True)
class _Plan:
    """What scoring the scales ``names`` from the item columns ``cols`` needs, as arrays.

    ``WT`` is the scales x items indicator matrix (C-contiguous), ``nc`` the number of
    items per scale as a column; rule masks ``m_sum`` ... select scales (rows).
    """

    WT: np.ndarray
    nc: np.ndarray
    maxmiss: np.ndarray
    mult: np.ndarray
    m_sum: np.ndarray
    m_mean: np.ndarray
    m_pc: np.ndarray
    m_pm: np.ndarray
    need_pos: bool
    impute: bool
    groups: list[list[int]]
    scored_cols: np.ndarray
    rev_cols: np.ndarray
    lo: float
    hi: float
    max_missing_total: int | None


def _plan(inst: Instrument, names: list[str], cols: list[str]) -> _Plan:
    """Indicator matrix, rule masks and missing-item rules of ``names`` over ``cols``."""
    k = len(names)
    col_item = np.array([item_number(c) for c in cols])
    pos_of = {int(i): j for j, i in enumerate(col_item)}
    W = np.zeros((len(cols), k), dtype=np.float64)
    for s_j, name in enumerate(names):
        W[[pos_of[i] for i in inst.scales[name].items], s_j] = 1.0
    rules = np.array([inst.scales[nm].rule for nm in names])
    # Work in items x administrations orientation: pandas keeps a float block column-major, so
    # x.T is contiguous and W.T @ x.T is the fast BLAS orientation for these skinny products.
    return _Plan(
        WT=np.ascontiguousarray(W.T),
        nc=W.sum(axis=0)[:, None],
        maxmiss=np.array([inst.scales[nm].max_missing for nm in names], dtype=np.float64),
        mult=np.array([inst.scales[nm].multiplier for nm in names], dtype=np.float64),
        m_sum=rules == "sum", m_mean=rules == "mean",
        m_pc=rules == "positive_count", m_pm=rules == "positive_mean",
        need_pos=bool(np.isin(rules, ["positive_count", "positive_mean"]).any()),
        impute=inst.missing.method == "impute_scale_mean_rounded",
        groups=[[pos_of[i] for i in inst.scales[g].items] for g in inst.missing.impute_within],
        scored_cols=np.array([pos_of[i] for i in inst.scored_items]),
        rev_cols=np.array([pos_of[i] for i in inst.reverse_items if i in pos_of], dtype=int),
        lo=float(inst.item_min), hi=float(inst.item_max),
        max_missing_total=inst.missing.max_missing_total,
    )


def _score_block(x: np.ndarray, p: _Plan) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Scale scores, items answered and missing reasons (codes into :data:`REASONS`, -1 = a
    score) of a block of administrations; ``x`` (administrations x items, raw codes) is
    overwritten.  Each is scales x administrations."""
    WT, nc, lo, hi = p.WT, p.nc, p.lo, p.hi
    xt = x.T
    missing = np.isnan(xt)
    n_ans = nc - WT @ missing.astype(np.float64)  # exact small integers
    if p.rev_cols.size:
        xt[p.rev_cols] = (lo + hi) - xt[p.rev_cols]
    if p.impute:
        for g in p.groups:
            xg = xt[g]
            cnt = (~missing[g]).sum(axis=0)
            with np.errstate(invalid="ignore", divide="ignore"):
                fill = np.floor(np.nansum(xg, axis=0) / cnt + 0.5)  # round half up
            xt[g] = np.where(missing[g], fill[None, :], xg)
        still = np.isnan(xt)
        unfilled = WT @ still.astype(np.float64)
        np.copyto(xt, 0.0, where=still)
        base = nc - unfilled  # items holding a value after imputation
        eff_n = np.broadcast_to(nc, base.shape)
    else:
        np.copyto(xt, 0.0, where=missing)
        base = eff_n = n_ans
    sums = WT @ xt
    m_sum, m_mean, m_pc, m_pm = p.m_sum, p.m_mean, p.m_pc, p.m_pm
    with np.errstate(invalid="ignore", divide="ignore"):
        res = np.empty_like(sums)
        res[m_sum] = sums[m_sum] * (nc[m_sum] / eff_n[m_sum])
        res[m_mean] = sums[m_mean] / eff_n[m_mean]
        if p.need_pos:
            # items above the lowest code; missing cells hold 0 <= lowest code, so never count
            pcount = WT @ (xt > lo).astype(np.float64)
            # answered items not above the lowest code are exactly at it
            psum = sums - lo * (base - pcount)
            res[m_pc] = pcount[m_pc] * (nc[m_pc] / eff_n[m_pc])
            res[m_pm] = psum[m_pm] / pcount[m_pm]
    res *= p.mult[:, None]
    reason = np.full(res.shape, -1, dtype=np.int8)
    if p.need_pos:
        reason[np.isnan(res) & m_pm[:, None]] = 2  # PSDI with no item above the lowest code
    too_many = (nc - n_ans) > p.maxmiss[:, None]
    if p.impute:
        too_many |= unfilled > 0
    reason[too_many] = 0
    if p.max_missing_total is not None:
        miss_total = missing[p.scored_cols].sum(axis=0)
        reason[:, miss_total > p.max_missing_total] = 1
    res[reason >= 0] = np.nan
    return res, n_ans, reason


def _repeated_keys(df: pd.DataFrame, keys: list[str], take: np.ndarray) -> pd.DataFrame:
    """The key columns of ``df`` repeated by ``take`` (one row per scale of each administration).

    ``instrument`` and ``occasion`` (:data:`LABEL_KEYS`: a handful of values) become categorical:
    their codes are repeated, not the text (two text columns of 18M rows, 0.6 GB, at 1,000,000
    episodes).  The ids, the date and the session keep their dtypes.
    """
    if not keys:
        return pd.DataFrame(index=pd.RangeIndex(len(take)))
    plain = [c for c in keys if c not in LABEL_KEYS]
    out = df[plain].take(take).reset_index(drop=True)
    for c in keys:
        if c in LABEL_KEYS:
            cat = df[c] if isinstance(df[c].dtype, pd.CategoricalDtype) else df[c].astype("category")
            out[c] = pd.Categorical.from_codes(cat.cat.codes.to_numpy().take(take), dtype=cat.dtype)
    return out[keys]


def _long_scores(df: pd.DataFrame, inst: Instrument, names: list[str], score_out: np.ndarray,
                 nans_out: np.ndarray, reason_out: np.ndarray, n_items: np.ndarray) -> pd.DataFrame:
    """The long output: administration-major, scales in key order."""
    n, k = score_out.shape
    keys = [c for c in KEY_COLUMNS if c in df.columns]
    take = np.repeat(np.arange(n), k)
    out = _repeated_keys(df, keys, take)
    if "instrument" not in out.columns:
        out.insert(
            min(2, len(out.columns)), "instrument",
            pd.Categorical.from_codes(np.zeros(n * k, dtype=np.int8), categories=[inst.id]),
        )
    out["scale"] = pd.Categorical.from_codes(np.tile(np.arange(k, dtype=np.int16), n), categories=names)
    flat_score = score_out.ravel()
    flat_n = nans_out.ravel()
    flat_reason = reason_out.ravel()
    out["score"] = flat_score
    out["n_answered"] = flat_n.astype(np.int32)
    out["prorated"] = (flat_n < np.tile(n_items, n)) & ~np.isnan(flat_score)
    out["reason"] = pd.Categorical.from_codes(flat_reason, categories=list(REASONS))
    return out


def _key_meta(inst: Instrument, names: list[str]) -> dict[str, Any]:
    """The instrument and key part of a :class:`ScoreResult`'s ``meta`` (items scored or not)."""
    return {
        "instrument": inst.id,
        "instrument_name": inst.name,
        "instrument_version": inst.version,
        "key_status": inst.status,
        "key_status_reason": inst.status_reason,
        "scale_status": {nm: inst.scales[nm].status for nm in names},
        "provisional_scales": [nm for nm in names if inst.scales[nm].status == "provisional"],
        "source": inst.origin,
        "overrides_shipped": inst.overrides_shipped,
        "scales": names,
    }


def _score_meta(inst: Instrument, names: list[str], out: pd.DataFrame, reason_out: np.ndarray,
                n_original: int, n_other: int) -> dict[str, Any]:
    """``meta`` of a :class:`ScoreResult`: key, rules, counts of prorated and missing scores."""
    n, k = reason_out.shape
    prorated_by = out["prorated"].to_numpy().reshape(n, k).sum(axis=0) if n else np.zeros(k, int)
    missing_by: dict[str, dict[str, int]] = {}
    counts_total = {r: 0 for r in REASONS}
    for j, name in enumerate(names):
        cnt = np.bincount(reason_out[:, j][reason_out[:, j] >= 0], minlength=len(REASONS))
        missing_by[name] = {r: int(c) for r, c in zip(REASONS, cnt, strict=True) if c}
        for r, c in zip(REASONS, cnt, strict=True):
            counts_total[r] += int(c)
    return base_meta(
        "score",
        **_key_meta(inst, names),
        item_range=[inst.item_min, inst.item_max],
        reverse_items=list(inst.reverse_items),
        missing_rule={
            "method": inst.missing.method,
            "max_missing": {nm: inst.scales[nm].max_missing for nm in names},
            "max_missing_total": inst.missing.max_missing_total,
            "source": inst.missing.source,
        },
        n_original=n_original,
        n_used=n,
        n_administrations=n,
        exclusions={"other_instrument": n_other} if n_other else {},
        n_scores=int(n * k),
        n_prorated=int(prorated_by.sum()),
        n_prorated_by_scale={nm: int(c) for nm, c in zip(names, prorated_by, strict=True)},
        n_missing={r: c for r, c in counts_total.items() if c},
        n_missing_by_scale=missing_by,
    )


# ============================================================================ score
def score(
    measurements: pd.DataFrame,
    *,
    instrument: str | Instrument,
    scales: Sequence[str] | str | None = None,
    rows: np.ndarray | None = None,
) -> ScoreResult:
    r"""Score every administration of ``instrument`` in ``measurements``.

    Parameters
    ----------
    measurements : DataFrame
        Canonical measurements: one row per administration, item columns ``item_1`` ...
        ``item_N`` with raw codes (NaN = missing).  When an ``instrument`` column is
        present only its rows equal to the instrument id are scored (the others are
        counted in ``meta["exclusions"]["other_instrument"]``).
    instrument : str or Instrument
        Registry id (``"scl90_nl"``, ``"scl90r"``, ``"oq45"`` ...) or an instrument from
        :func:`effectstudy.instruments.load` (a user file).
    scales : list of str, optional
        Scales to compute (default: all scales of the key, in key order).
    rows : ndarray, optional
        Score only these rows (positions, or a boolean mask): the result of
        ``score(measurements.iloc[rows], ...)`` without copying the item matrix of the
        selection (the items are read block by block from ``measurements``).

    Returns
    -------
    ScoreResult
        ``.scores`` (long), ``.meta``, ``.summary()``, ``.wide()``.

    Raises
    ------
    DataError
        An item code outside the instrument's range or not a whole number (names the row,
        client, date, item and value); a missing item column; values in item columns beyond
        the instrument's items; no rows of the instrument.
    ArgumentError
        Unknown instrument or scale.

    Warns
    -----
    ProvisionalKeyWarning
        When a scale with a ``provisional`` key is scored (its status is in ``meta``).

    Notes
    -----
    Formulas and missing-item rules: see the module docstring and the instrument file.
    The SCL-90-R indices follow Derogatis (1994): GSI = sum / items answered, PST =
    number of items > 0, PSDI = sum / PST.
    """
    if not isinstance(measurements, pd.DataFrame):
        raise ArgumentTypeError("measurements", measurements, "a pandas DataFrame of canonical measurements")
    inst = resolve(instrument)
    names = resolve_scales(inst, scales)
    df, sel, n_other = instrument_rows(measurements, inst, rows)
    n_original = len(df) + n_other
    if is_score_only(measurements):  # the columns decide (df may lack the item columns)
        return _from_export(df, inst, scales, n_original, n_other)
    if inst.scale_level:
        raise DataError(no_key_message(inst, "scoring its item columns"),
                        expected="score-only measurements (values: scores, columns score_<SCALE>) or a filled-in key")
    cols = item_matrix_columns(df, inst, measurements.columns)
    n = len(df)
    k = len(names)
    plan = _plan(inst, names, cols)
    score_out = np.empty((n, k), dtype=np.float64)
    nans_out = np.empty((n, k), dtype=np.int16)
    reason_out = np.empty((n, k), dtype=np.int8)  # every row is written by the block loop
    for a in range(0, n, _CHUNK):
        b = a + _CHUNK  # the slices below stop at n
        # float64 copy of the raw codes
        x = numeric_block(df.iloc[a:b], cols) if sel is None else sel.items(cols, slice(a, b))
        check_codes(x, inst, df, cols, a)
        res, n_ans, reason = _score_block(x, plan)
        score_out[a:b] = res.T
        nans_out[a:b] = n_ans.T
        reason_out[a:b] = reason.T
    out = _long_scores(df, inst, names, score_out, nans_out, reason_out, plan.nc[:, 0])
    meta = _score_meta(inst, names, out, reason_out, n_original, n_other)
    provisional = meta["provisional_scales"]
    if provisional:
        warnings.warn(
            ProvisionalKeyWarning(
                f"{inst.id}: the key of scale(s) {', '.join(provisional)} is provisional: "
                f"{inst.scales[provisional[0]].status_reason or inst.status_reason}"
            ),
            stacklevel=2,
        )
    return ScoreResult(meta=meta, scores=out)


def is_score_only(measurements: pd.DataFrame) -> bool:
    """True for score-only measurements: precomputed ``score_<SCALE>`` columns and no item columns.

    >>> import pandas as pd
    >>> is_score_only(pd.DataFrame({"score_total": [12.0]})), is_score_only(pd.DataFrame({"item_1": [1.0]}))
    (True, False)
    """
    return bool(score_columns(measurements.columns)) and not item_columns(measurements.columns)


def _from_export(df: pd.DataFrame, inst: Instrument, scales: Sequence[str] | str | None,
                 n_original: int, n_other: int) -> ScoreResult:
    """Scores exported already scored (score-only file): taken as they are, in the scores' layout.

    ``n_answered`` and ``prorated`` are unknown (``<NA>``): the items are not in the export, so
    the missing-item rule cannot be applied or checked; a missing exported score has reason
    ``not_in_export``.
    """
    given = {score_scale(c): c for c in score_columns(df.columns)}
    unknown = [g for g in given if g not in inst.scales]
    if unknown:
        raise ArgumentError("measurements", [score_column(g) for g in unknown],
                            f"score columns of scales of {inst.id} ({', '.join(inst.scales)})")
    names = [n for n in inst.scales if n in given] if scales is None else resolve_scales(inst, scales)
    absent = [n for n in names if n not in given]
    if absent:
        raise DataError(f"the score-only measurements have no score of scale(s) {', '.join(absent)} of {inst.id}",
                        value=sorted(given), expected=f"columns {', '.join(score_column(n) for n in absent)}")
    n, k = len(df), len(names)
    keys = [c for c in KEY_COLUMNS if c in df.columns]
    out = _repeated_keys(df, keys, np.repeat(np.arange(n), k))
    if "instrument" not in out.columns:
        out.insert(min(2, len(out.columns)), "instrument",
                   pd.Categorical.from_codes(np.zeros(n * k, dtype=np.int8), categories=[inst.id]))
    out["scale"] = pd.Categorical.from_codes(np.tile(np.arange(k, dtype=np.int16), n), categories=names)
    values = df[[given[nm] for nm in names]].to_numpy(dtype=float, na_value=np.nan).ravel()
    out["score"] = values
    out["n_answered"] = pd.array([pd.NA] * (n * k), dtype="Int32")
    out["prorated"] = pd.array([pd.NA] * (n * k), dtype="boolean")
    missing = np.isnan(values)
    out["reason"] = pd.Categorical.from_codes(np.where(missing, 0, -1).astype(np.int8), categories=[EXPORT_REASON])
    per_scale = missing.reshape(n, k).sum(axis=0) if n else np.zeros(k, int)
    meta = base_meta(
        "score", **_key_meta(inst, names),
        scored_by="export", prorating="unavailable: the export holds scale scores, not items",
        n_original=n_original, n_used=n, n_administrations=n,
        exclusions={"other_instrument": n_other} if n_other else {}, n_scores=int(n * k), n_prorated=None,
        n_missing={EXPORT_REASON: int(missing.sum())} if missing.any() else {},
        n_missing_by_scale={nm: ({EXPORT_REASON: int(c)} if c else {}) for nm, c in zip(names, per_scale, strict=True)},
    )
    return ScoreResult(meta=meta, scores=out)
