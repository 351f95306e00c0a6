r"""T-scores of scale scores, so that change can be reported as :math:`\Delta T`.

The Dutch national benchmark (Stichting Benchmark GGZ, later Akwa GGZ) converted every raw
scale score to a T-score before computing the treatment effect, so that instruments share
one metric (de Beurs 2010, *MGv* 65:684-695; de Beurs et al. 2016, *Clin Psychol
Psychother* 23:308-318): :math:`T = 50 + 10 z` with the reference group at M = 50, SD = 10.
A conversion is data, never code: each instrument file may carry named ``t_norms`` per
scale (a linear mean/SD or a published raw -> T table, each with its source and
``status``), and a user may supply the norms of their own reference group.

Rules
-----
- ``linear``: :math:`T = 50 + 10 (x - M) / SD` (a higher T means a higher raw score,
  whatever the scale's direction; the direction stays the scale's ``better_is``).
- ``table``: piecewise-linear interpolation in the raw -> T table.  A raw score outside the
  table is a :class:`~effectstudy.core.errors.DataError` naming the row, scale, value and the
  table's range: it is never clamped to the table's end.
- Every converted score must lie within the scale's possible range (``score_min`` ..
  ``score_max`` of the instrument file); a score outside it is a ``DataError`` too.
- Each row records the norm's name, status and source (``t_norm``, ``t_norm_status``,
  ``t_norm_source``); converting with a ``provisional`` norm warns
  (:class:`~effectstudy.core.errors.ProvisionalKeyWarning`) with the reason.

No public raw -> T conversion of the SQ-48, OQ-45 or BSI benchmark factsheets could be
verified for the shipped files (see ``instruments/README.md``); supply them as a user norm
(a dict here, or ``t_norms`` in a user instrument file) with the status you checked.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from effectstudy.core.errors import (
    ArgumentError,
    ArgumentTypeError,
    DataError,
    ProvisionalKeyWarning,
)
from effectstudy.instruments.registry import Instrument, TNorm, resolve
from effectstudy.instruments.scoring import ScoreResult, resolve_scales

__all__ = ["t_scores", "user_t_norm", "T_NORM_STATUSES"]

#: the statuses a T-norm can have
T_NORM_STATUSES: tuple[str, ...] = ("verified", "provisional", "user_supplied")

_LINEAR_KEYS = {"mean", "sd"}
_TABLE_KEYS = {"raw", "t"}
_COMMON_KEYS = {"source", "name", "status", "status_reason", "population"}


def user_t_norm(norm: dict[str, Any]) -> TNorm:
    """A :class:`~effectstudy.instruments.TNorm` from a user's dict (their own reference group).

    ``{"mean": M, "sd": SD, "source": ...}`` gives a linear norm, ``{"raw": [...], "t":
    [...], "source": ...}`` a table (raw strictly increasing, T not decreasing).  Optional:
    ``name`` (default ``"user"``), ``population``, ``status`` (one of
    :data:`T_NORM_STATUSES`, default ``"user_supplied"``) and ``status_reason`` (required
    for ``"provisional"``).

    >>> user_t_norm({"mean": 10, "sd": 5, "source": "own intake 2024"}).status
    'user_supplied'
    >>> user_t_norm({"raw": [0, 10], "t": [30, 70], "source": "s"}).transform([5.0]).tolist()
    [50.0]
    """
    if not isinstance(norm, dict):
        raise ArgumentTypeError("norm", norm, "a dict(mean=, sd=, source=) or dict(raw=, t=, source=)")
    keys = set(norm)
    linear, table = _LINEAR_KEYS <= keys, _TABLE_KEYS <= keys
    unknown = keys - _LINEAR_KEYS - _TABLE_KEYS - _COMMON_KEYS
    if unknown or "source" not in keys or linear == table or (keys & (_LINEAR_KEYS | _TABLE_KEYS)) - (
        _LINEAR_KEYS if linear else _TABLE_KEYS
    ):
        raise ArgumentError(
            "norm", norm, "a dict with keys mean, sd, source or raw, t, source "
            "(and optionally name, population, status, status_reason)"
        )
    status = norm.get("status", "user_supplied")
    if status not in T_NORM_STATUSES:
        raise ArgumentError("norm", status, f"a status in {list(T_NORM_STATUSES)}")
    reason = norm.get("status_reason")
    if status == "provisional" and not str(reason or "").strip():
        raise ArgumentError("norm", norm, "a status_reason for a provisional norm")
    common = {"population": norm.get("population"), "status": status, "status_reason": reason}
    name, source = str(norm.get("name", "user")), str(norm["source"])
    if linear:
        if not float(norm["sd"]) > 0:
            raise ArgumentError("norm", norm, "a positive sd")
        return TNorm(name, "linear", source, mean=float(norm["mean"]), sd=float(norm["sd"]), **common)
    raw, t = np.asarray(norm["raw"], dtype=float), np.asarray(norm["t"], dtype=float)
    if raw.ndim != 1 or raw.shape != t.shape or len(raw) < 2 or not np.isfinite(raw).all() or not np.isfinite(t).all():
        raise ArgumentError("norm", norm, "raw and t lists of finite numbers, of the same length >= 2")
    if np.any(np.diff(raw) <= 0) or np.any(np.diff(t) < 0):
        raise ArgumentError("norm", norm, "raw scores strictly increasing and T-scores not decreasing")
    return TNorm(name, "table", source, raw=tuple(raw.tolist()), t=tuple(t.tolist()), **common)


def _per_scale(inst: Instrument, norm: str | dict[str, Any], scales: Sequence[str] | str | None) -> dict[str, TNorm]:
    """The T-norm of each scale to convert."""
    if isinstance(norm, dict):
        if scales is None:
            raise ArgumentError("scales", None, "the scale(s) a user-supplied norm applies to")
        tn = user_t_norm(norm)
        return {nm: tn for nm in resolve_scales(inst, scales)}
    if not isinstance(norm, str):
        raise ArgumentTypeError("norm", norm, "a T-norm name (str), dict(mean=, sd=, source=) or dict(raw=, t=, source=)")
    if scales is None:
        names = [nm for nm, s in inst.scales.items() if norm in s.t_norms]
        if not names:
            have = sorted({t for s in inst.scales.values() for t in s.t_norms})
            raise ArgumentError(
                "norm", norm,
                f"one of {have} for {inst.id}" if have else
                f"a dict(mean=, sd=, source=) or dict(raw=, t=, source=): {inst.id} ships no T-norms "
                "(add them in a user YAML)",
            )
    else:
        names = resolve_scales(inst, scales)
        for nm in names:
            if norm not in inst.scales[nm].t_norms:
                raise ArgumentError("norm", norm, f"one of {sorted(inst.scales[nm].t_norms)} for scale {nm}")
    return {nm: inst.scales[nm].t_norms[norm] for nm in names}


def _check_convertible(vals: np.ndarray, index: pd.Index, inst: Instrument, scale: str, tn: TNorm) -> None:
    """A raw score outside the scale's range, or outside a table, is an error (never clamped)."""
    sc = inst.scales[scale]
    lo, hi = sc.score_min, sc.score_max
    # a bound that is NaN (a hand-built Scale without a range) restricts nothing
    bad = ~np.isnan(vals) & ((vals < lo) | (vals > hi))
    expected = f"a score of scale {scale} within its range {lo:g}..{hi:g}"
    if not bad.any() and tn.method == "table":
        bad = ~np.isnan(vals) & ((vals < tn.raw[0]) | (vals > tn.raw[-1]))
        expected = f"a raw score within {tn.raw[0]:g}..{tn.raw[-1]:g}, the table of T-norm {tn.name!r}"
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        raise DataError(
            f"T-score of {inst.id} scale {scale}: {int(bad.sum())} score(s) cannot be converted",
            row=index[k], column="score", value=float(vals[k]), expected=expected,
        )


def t_scores(
    scores: pd.DataFrame | ScoreResult,
    *,
    instrument: str | Instrument,
    norm: str | dict[str, Any],
    scales: Sequence[str] | str | None = None,
) -> pd.DataFrame:
    r"""T-scores of scale scores, so that change can be reported as :math:`\Delta T`.

    Parameters
    ----------
    scores : DataFrame or ScoreResult
        Long scores as returned by :func:`effectstudy.score` (columns ``scale`` and
        ``score``), or precomputed scale scores in the same layout.
    instrument : str or Instrument
        The instrument whose scales (and T-norms) are used.
    norm : str or dict
        Name of a T-norm in the instrument file (e.g. ``"general_population"`` for the
        CORE-10), or a norm of your own reference group (see :func:`user_t_norm`):
        ``{"mean": M, "sd": SD, "source": "..."}`` or ``{"raw": [...], "t": [...],
        "source": "..."}``; then ``scales`` names the scale(s) it applies to.
    scales : list of str, optional
        Scales to convert (default: every scale of the instrument that has ``norm``).

    Returns
    -------
    DataFrame
        The rows of those scales with ``t_score``, ``t_norm`` (the norm's name),
        ``t_norm_status`` (``verified``, ``provisional`` or ``user_supplied``) and
        ``t_norm_source`` added.  Missing scores stay missing.

    Raises
    ------
    DataError
        A score outside the scale's range or outside a table norm's raw scores (row,
        value and the accepted range in the message).

    Examples
    --------
    >>> import pandas as pd, effectstudy as es
    >>> s = pd.DataFrame({"client_id": ["a", "a"], "scale": ["total", "total"], "score": [19.1, 9.5]})
    >>> es.t_scores(s, instrument="core10", norm="general_population")["t_score"].round(2).tolist()
    [80.0, 60.0]
    """
    if isinstance(scores, ScoreResult):
        scores = scores.scores
    if not isinstance(scores, pd.DataFrame):
        raise ArgumentTypeError("scores", scores, "a scores DataFrame or ScoreResult from es.score")
    for c in ("scale", "score"):
        if c not in scores.columns:
            raise ArgumentError("scores", list(scores.columns), f"a table with columns 'scale' and 'score' (missing {c!r})")
    inst = resolve(instrument)
    per_scale = _per_scale(inst, norm, scales)
    rows = scores
    if "instrument" in rows.columns:
        rows = rows[(rows["instrument"] == inst.id).to_numpy(dtype=bool)]
    scale_col = rows["scale"].astype(str).to_numpy()
    keep = np.isin(scale_col, list(per_scale))
    out = rows.loc[keep].copy()
    sc = scale_col[keep]
    vals = pd.to_numeric(out["score"], errors="coerce").to_numpy(dtype=float)
    not_number = np.isnan(vals) & out["score"].notna().to_numpy()
    if not_number.any():
        k = int(np.flatnonzero(not_number)[0])
        raise DataError("T-score: a score is not a number", row=out.index[k], column="score",
                        value=out["score"].iloc[k], expected="a number (or empty)")
    t = np.full(len(out), np.nan)
    for nm, tn in per_scale.items():
        m = sc == nm
        _check_convertible(vals[m], out.index[m], inst, nm, tn)
        t[m] = tn.transform(vals[m])
    out["t_score"] = t
    for col, attr in (("t_norm", "name"), ("t_norm_status", "status"), ("t_norm_source", "source")):
        out[col] = pd.Series(sc, index=out.index).map({nm: getattr(tn, attr) for nm, tn in per_scale.items()})
    provisional = sorted({nm for nm, tn in per_scale.items() if tn.status == "provisional"})
    if provisional:
        tn = per_scale[provisional[0]]
        warnings.warn(
            ProvisionalKeyWarning(
                f"{inst.id}: the T-norm {tn.name!r} of scale(s) {', '.join(provisional)} is provisional: "
                f"{tn.status_reason}"
            ),
            stacklevel=2,
        )
    return out
