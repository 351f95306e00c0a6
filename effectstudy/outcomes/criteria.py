r"""The criteria of reliable change and clinical significance, fixed once and recorded.

Reliable change and recovery rest on four numbers: the reliability :math:`r_{xx}`, the
reference (clinical) mean and SD, and the cut-off; with them
:math:`S_{diff} = SD_{ref}\sqrt{2(1 - r_{xx})}` (Jacobson & Truax 1991).  When they are
computed from each year's own intakes (Cronbach's alpha, this year's mean - 2 SD) the
yardstick moves with the sample and years cannot be compared; alpha also counts only the
item noise, not the occasion-to-occasion fluctuation a test-retest reliability holds, so it
overstates the stability of a score and calls too many changes reliable.

:class:`Criteria` holds the four numbers, :math:`S_{diff}`, and where each came from:

=================  ===============================================================
source             meaning
=================  ===============================================================
``registry``       the instrument registry's norm set (a published value)
``params``         a number in the params file (its citation in ``*_source``)
``reference run``  the ``results.json`` of an earlier run (path and SHA-256 kept)
``sample``         computed from this run's data: **sample-based**, moves per run
=================  ===============================================================

:func:`read_reference_run` takes all four from an earlier run's ``results.json``
(``analysis.reliable_change.criteria: {from: ...}``) and refuses a file without criteria,
with another instrument or scale, or with values rounded for publication.

References
----------
Jacobson, N. S., & Truax, P. (1991). *JCCP, 59*\ (1), 12-19.
https://doi.org/10.1037/0022-006X.59.1.12

>>> c = criteria_record(reliability=0.87, m_reference=212.9, sd_reference=51.3, cutoff=110.3,
...                     sources={}, instrument="scl90_nl", scale="PSNEUR", method="jt")
>>> round(c["s_diff"], 2)
26.16
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from effectstudy.core.errors import ParamsError
from effectstudy.core.files import sha256_file
from effectstudy.core.labels import label, register
from effectstudy.core.results import Result

__all__ = ["Criteria", "CRITERIA_VALUES", "KINDS", "criteria_record", "read_reference_run",
           "publishable_record", "criteria_differences"]

#: the recorded values, in the order a report lists them
CRITERIA_VALUES = ("reliability", "m_reference", "sd_reference", "cutoff", "s_diff")
#: where a value came from
KINDS = ("registry", "params", "reference run", "sample")
#: decimals of a sample-based value in a public report (a statistic of the clients)
PUBLIC_DIGITS = {"reliability": 3, "m_reference": 1, "sd_reference": 1, "cutoff": 1, "s_diff": 2}
#: the record's keys that must agree between runs compared in a trend
COMPARED = ("instrument", "scale", "method", "cutoff_type", *CRITERIA_VALUES)

register({
    "criterion": {"nl": "Criterium", "en": "Criterion"},
    "crit_reliability": {"nl": "betrouwbaarheid", "en": "reliability"},
    "crit_m_reference": {"nl": "referentiegemiddelde", "en": "reference mean"},
    "crit_sd_reference": {"nl": "referentie-SD", "en": "reference SD"},
    "crit_cutoff": {"nl": "afkappunt", "en": "cut-off"},
    "crit_s_diff": {"nl": "standaardfout van het verschil (S-diff)", "en": "standard error of the difference (S-diff)"},
    "kind": {"nl": "Herkomst", "en": "Source"},
    "detail": {"nl": "Toelichting", "en": "Detail"},
    "kind_registry": {"nl": "instrumentregister", "en": "instrument registry"},
    "kind_params": {"nl": "parameterbestand", "en": "parameter file"},
    "kind_reference run": {"nl": "referentierun", "en": "reference run"},
    "kind_sample": {"nl": "steekproefgebaseerd", "en": "sample-based"},
    "kind_derived": {"nl": "afgeleid", "en": "derived"},
})

#: the keys of the explanations below (an unknown kind gets no explanation, never a raw code)
_WHY = {f"why_{g}_{k}" for g in ("reliability", "reference", "cutoff")
        for k in ("registry", "params", "reference_run", "sample")}

#: the criteria table's explanation (``Toelichting`` / ``Detail``) per value and source, in words:
#: ``why_<value>_<kind>`` (kind with ``_`` for a space); the source texts of the record (free text,
#: in the language they were written in) stay in ``meta`` and the provenance, not in the table
register({
    "why_reliability_registry": {"nl": "gepubliceerde betrouwbaarheid uit het instrumentregister",
                                 "en": "published reliability from the instrument registry"},
    "why_reliability_params": {"nl": "opgegeven in het parameterbestand",
                               "en": "given in the parameter file"},
    "why_reliability_reference_run": {"nl": "overgenomen uit een eerdere run",
                                      "en": "taken from an earlier run"},
    "why_reliability_sample": {"nl": "Cronbachs alfa uit de eigen steekproef; verschuift met de steekproef",
                               "en": "Cronbach's alpha from this run's own sample; moves with the sample"},
    "why_reference_registry": {"nl": "klinische normgroep uit het instrumentregister",
                               "en": "clinical norm group from the instrument registry"},
    "why_reference_params": {"nl": "opgegeven in het parameterbestand", "en": "given in the parameter file"},
    "why_reference_reference_run": {"nl": "overgenomen uit een eerdere run", "en": "taken from an earlier run"},
    "why_reference_sample": {"nl": "voormetingen van de eigen steekproef; verschuift met de steekproef",
                             "en": "pre scores of this run's own sample; moves with the sample"},
    "why_cutoff_params": {"nl": "opgegeven in het parameterbestand", "en": "given in the parameter file"},
    "why_cutoff_registry": {"nl": "gepubliceerd afkappunt uit het instrumentregister",
                            "en": "published cut-off from the instrument registry"},
    "why_cutoff_reference_run": {"nl": "overgenomen uit een eerdere run", "en": "taken from an earlier run"},
    "why_cutoff_a": {"nl": "afkappunt a: 2 SD van het referentiegemiddelde, in de richting van herstel",
                     "en": "cut-off a: 2 SD from the reference mean, towards recovery"},
    "why_cutoff_b": {"nl": "afkappunt b: 2 SD van het gemiddelde van de gezonde normgroep, in de richting "
                           "van de klachten",
                     "en": "cut-off b: 2 SD from the mean of the healthy norm group, towards the symptoms"},
    "why_cutoff_c": {"nl": "afkappunt c: het punt tussen de klinische en de gezonde normgroep, gewogen naar "
                           "hun SD's",
                     "en": "cut-off c: the point between the clinical and the healthy norm group, weighted "
                           "by their SDs"},
    "why_cutoff_from": {"nl": "referentiegemiddelde en -SD: {kind}", "en": "reference mean and SD: {kind}"},
    "why_s_diff": {"nl": "referentie-SD × √(2 × (1 − betrouwbaarheid)) (Jacobson & Truax 1991)",
                   "en": "reference SD × √(2 × (1 − reliability)) (Jacobson & Truax 1991)"},
    "why_s_diff_ha": {"nl": "; bij de methode van Hageman & Arrindell gebruikt de betrouwbare-"
                            "veranderingsindex de SD's van de steekproef, deze S_diff legt alleen het afkappunt vast",
                      "en": "; with the Hageman & Arrindell method the reliable change index uses the sample's "
                            "SDs, this S_diff fixes the cut-off only"},
    "why_sample_based": {"nl": "steekproefgebaseerd in die run", "en": "sample-based in that run"},
})


def criteria_record(*, reliability: float, m_reference: float | None, sd_reference: float,
                    cutoff: float | None, sources: dict[str, Any], instrument: str | None,
                    scale: str | None, method: str, cutoff_type: str | None = None) -> dict[str, Any]:
    """One flat, JSON-safe record of the criteria: values, ``S_diff``, kinds and sources.

    ``sources`` holds ``<value>_kind`` (one of :data:`KINDS`), ``<value>_source`` (text),
    and optionally ``reference_run``, ``reference_run_sha256`` and ``sample_based`` (the
    values that were computed from some run's sample, also when read from a reference run).
    """
    rel = float(reliability)
    sd = float(sd_reference)
    rec: dict[str, Any] = {
        "instrument": instrument, "scale": scale, "method": method, "cutoff_type": cutoff_type,
        "reliability": rel, "m_reference": None if m_reference is None else float(m_reference),
        "sd_reference": sd, "cutoff": None if cutoff is None else float(cutoff),
        "s_diff": sd * math.sqrt(2.0 * (1.0 - rel)),
        "s_diff_source": "SD_ref * sqrt(2 * (1 - r_xx)) (Jacobson & Truax 1991)",
    }
    rec.update(sources)  # may refine s_diff_source (method ha)
    rec.setdefault("sample_based", sorted(k for k in CRITERIA_VALUES
                                          if sources.get(f"{k}_kind") == "sample"))
    if ("reliability" in rec["sample_based"] or "sd_reference" in rec["sample_based"]) \
            and "s_diff" not in rec["sample_based"]:
        rec["sample_based"] = sorted({*rec["sample_based"], "s_diff"})
    rec["s_diff_kind"] = "sample" if "s_diff" in rec["sample_based"] else "derived"
    return rec


@dataclass(frozen=True, repr=False)
class Criteria(Result):
    """The criteria a run used: ``meta`` is the :func:`criteria_record`; ``summary()`` one row per value.

    ``summary()`` columns: ``criterion``, ``value``, ``kind`` (``registry``, ``params``,
    ``reference run``, ``sample``; ``S_diff`` is ``derived`` unless a part is
    sample-based), ``source``.  ``format(lang)`` labels sample-based values as such
    (*steekproefgebaseerd* / *sample-based*).
    """

    title = "Criteria"

    def summary(self) -> pd.DataFrame:
        m = self.meta
        return pd.DataFrame([{"criterion": k, "value": m.get(k),
                              "kind": "sample" if k in m.get("sample_based", []) else m.get(f"{k}_kind"),
                              "source": m.get(f"{k}_source")} for k in CRITERIA_VALUES])

    @property
    def sample_based(self) -> list[str]:
        """The values computed from a run's own sample (empty when every value is fixed)."""
        return list(self.meta.get("sample_based", []))

    def value(self, name: str) -> float | None:
        """One recorded value (``reliability``, ``m_reference``, ``sd_reference``, ``cutoff``, ``s_diff``)."""
        return self.meta.get(name)

    def format(self, lang: str = "nl", digits: int = 2) -> pd.DataFrame:  # type: ignore[override]
        from effectstudy.core.formatting import number

        s = self.summary()
        dig = {"reliability": 3, "s_diff": 2}
        rows = []
        for r in s.itertuples(index=False):
            kind = r.kind if r.kind in (*KINDS, "derived") else None
            rows.append({label("criterion", lang): label(f"crit_{r.criterion}", lang),
                         label("value", lang): "–" if r.value is None else number(r.value, lang, dig.get(r.criterion, 1)),
                         label("kind", lang): label(f"kind_{kind}", lang) if kind else "",
                         label("detail", lang): self.explain(r.criterion, lang)})
        return pd.DataFrame(rows)

    def explain(self, name: str, lang: str = "nl") -> str:
        """Where the value ``name`` came from, in words of ``lang`` (the table's *Toelichting*):
        built from the recorded kinds, never from the free-text sources (those stay in ``meta``
        for the provenance).  A ``*_source`` given as ``{nl: ..., en: ...}`` is added in ``lang``.

        >>> c = Criteria(meta=criteria_record(reliability=0.8, m_reference=20.0, sd_reference=5.0,
        ...     cutoff=10.0, sources={"reliability_kind": "sample", "cutoff_kind": "sample",
        ...     "m_reference_kind": "sample", "sd_reference_kind": "sample"}, instrument="x", scale="t",
        ...     method="jt", cutoff_type="a"))
        >>> c.explain("reliability", "nl")
        'Cronbachs alfa uit de eigen steekproef; verschuift met de steekproef'
        >>> c.explain("cutoff", "en")
        'cut-off a: 2 SD from the reference mean, towards recovery (reference mean and SD: sample-based)'
        """
        m = self.meta
        kind = m.get(f"{name}_kind")
        kind = "sample" if name in self.sample_based else kind
        key = kind.replace(" ", "_") if isinstance(kind, str) else ""
        if name == "s_diff":
            text = label("why_s_diff", lang) + (label("why_s_diff_ha", lang) if m.get("method") == "ha" else "")
        elif name == "cutoff" and kind in ("sample", "registry", "params") and m.get("cutoff_type") in ("a", "b", "c"):
            ref = "sample" if "m_reference" in self.sample_based else m.get("m_reference_kind")
            text = label(f"why_cutoff_{m['cutoff_type']}", lang)
            if ref in KINDS:
                text += f" ({label('why_cutoff_from', lang).format(kind=label(f'kind_{ref}', lang))})"
        else:
            group = "reference" if name in ("m_reference", "sd_reference") else name
            text = label(f"why_{group}_{key}", lang) if f"why_{group}_{key}" in _WHY else ""
        if kind == "reference run" and m.get("reference_run"):
            text += f" ({Path(str(m['reference_run'])).name}, SHA-256 {str(m.get('reference_run_sha256'))[:12]})"
            if name in m.get("reference_sample_based", []):
                text += f"; {label('why_sample_based', lang)}"
        own = m.get(f"{name}_source")
        if isinstance(own, dict) and isinstance(own.get(lang), str):  # a source written in both languages
            text += f": {own[lang]}"
        return text

    def text(self, lang: str = "nl") -> str:
        """One sentence for a methods section: every value with its source; sample-based ones named so."""
        from effectstudy.core.formatting import number

        m = self.meta
        nl = lang == "nl"
        parts = []
        for k, dig in (("reliability", 3), ("cutoff", 1), ("s_diff", 2)):
            if m.get(k) is None:
                continue
            kind = "sample" if k in self.sample_based else m.get(f"{k}_kind")
            where = label(f"kind_{kind if kind in KINDS else 'derived'}", lang)
            parts.append(f"{label(f'crit_{k}', lang)} {number(m[k], lang, dig)} ({where})")
        run = m.get("reference_run")
        head = "Criteria"
        tail = ""
        if run:
            tail = (f"; overgenomen uit {run} (SHA-256 {str(m.get('reference_run_sha256'))[:12]})" if nl else
                    f"; taken from {run} (SHA-256 {str(m.get('reference_run_sha256'))[:12]})")
        warn = ""
        if self.sample_based:
            warn = (" Steekproefgebaseerde criteria verschuiven met de steekproef: vergelijk jaren alleen met "
                    "vaste criteria." if nl else
                    " Sample-based criteria move with the sample: compare years only with fixed criteria.")
        return f"{head}: {', '.join(parts)}{tail}.{warn}"


def publishable_record(record: dict[str, Any], *, n: int | None, threshold: int) -> dict[str, Any]:
    """The record as a public report may carry it (SEC-D1): a sample-based value is a statistic
    of the clients, so it is rounded to :data:`PUBLIC_DIGITS` and left out (``None``) when
    fewer than ``threshold`` clients are behind it; fixed values are published as they are.
    ``rounded_for_publication`` says whether anything was rounded."""
    out = {k: v for k, v in record.items() if k != "n_sample"}  # an unrounded count: never published
    rounded = False
    for k in {*record.get("sample_based", []), *record.get("reference_sample_based", [])}:
        if out.get(k) is None:
            continue
        out[k] = None if n is None or n < threshold else round(float(out[k]), PUBLIC_DIGITS[k])
        rounded = True
    out["rounded_for_publication"] = rounded
    return out


def criteria_differences(a: dict[str, Any], b: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    """``(key, a, b)`` for every compared key (:data:`COMPARED`) on which two records differ
    (numbers to 1e-9 relative)."""
    out = []
    for k in COMPARED:
        x, y = a.get(k), b.get(k)
        if isinstance(x, int | float) and isinstance(y, int | float):
            if not math.isclose(float(x), float(y), rel_tol=1e-9, abs_tol=1e-12):
                out.append((k, x, y))
        elif x != y:
            out.append((k, x, y))
    return out


def _record_in(results: Any) -> dict[str, Any] | None:
    """The criteria record of a ``results.json``: ``criteria.meta`` (a shown :class:`Criteria`)
    or ``key_figures.criteria`` (a yearly summary's published figures)."""
    if not isinstance(results, dict):
        return None
    entry = results.get("criteria")
    if isinstance(entry, dict) and isinstance(entry.get("meta"), dict):
        return entry["meta"]
    kf = results.get("key_figures")
    if isinstance(kf, dict) and isinstance(kf.get("criteria"), dict):
        return kf["criteria"]
    return None


def read_reference_run(path: str | Path, *, instrument: str | None, scale: str | None,
                       key: str = "analysis.reliable_change.criteria.from") -> dict[str, Any]:
    """The criteria recorded in an earlier run's ``results.json``, re-sourced as ``reference run``.

    Parameters
    ----------
    path : str or Path
        The earlier run's ``results.json``.
    instrument, scale : str
        This run's instrument and primary scale; the file must record the same.
    key : str
        The params key named in messages.

    Returns
    -------
    dict
        A :func:`criteria_record` whose every kind is ``reference run`` (the values that were
        sample-based there are listed in ``reference_sample_based``: fixed now, but statistics of
        that run's clients, so a public report rounds them), with ``reference_run`` (the path)
        and ``reference_run_sha256``.

    Raises
    ------
    ParamsError
        The file is missing or not JSON, records no criteria, records another instrument or
        scale, misses one of the four values, or holds values rounded for publication.
    """
    p = Path(path)
    if not p.is_file():
        raise ParamsError(f"{key}: file {str(p)!r} does not exist; expected the results.json of an earlier "
                          "run that recorded its criteria (run it first, e.g. `make demo`)")
    try:
        results = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ParamsError(f"{key}: {p}: cannot read it as JSON ({exc}); expected a results.json") from None
    rec = _record_in(results)
    if rec is None:
        raise ParamsError(f"{key}: {p} records no criteria; expected a results.json written by a run that "
                          "shows them (the key 'criteria', or 'key_figures.criteria' of a yearly summary)")
    for what, want in (("instrument", instrument), ("scale", scale)):
        if want is not None and rec.get(what) != want:
            raise ParamsError(f"{key}: {p} records criteria for {what} {rec.get(what)!r}, expected {want!r} "
                              f"(analysis.{'instrument' if what == 'instrument' else 'scales[0]'} of this run)")
    missing = [k for k in ("reliability", "m_reference", "sd_reference", "cutoff") if rec.get(k) is None]
    if missing:
        raise ParamsError(f"{key}: {p} records no value for {', '.join(missing)}; expected all four of "
                          "reliability, m_reference, sd_reference and cutoff")
    if rec.get("rounded_for_publication"):
        raise ParamsError(f"{key}: {p} holds sample-based criteria rounded for publication "
                          f"({', '.join(rec.get('sample_based', []))}); expected the run's internal "
                          "results.json (reports/internal/...), which keeps them unrounded")
    sha = sha256_file(p)
    sources: dict[str, Any] = {"reference_run": str(p), "reference_run_sha256": sha, "sample_based": [],
                               "reference_sample_based": sorted({*rec.get("sample_based", []),
                                                                 *rec.get("reference_sample_based", [])})}
    for k in ("reliability", "m_reference", "sd_reference", "cutoff"):
        sources[f"{k}_kind"] = "reference run"
        sources[f"{k}_source"] = f"reference run {p.name}: {rec.get(f'{k}_kind')}, {rec.get(f'{k}_source')}"
    return criteria_record(reliability=rec["reliability"], m_reference=rec["m_reference"],
                           sd_reference=rec["sd_reference"], cutoff=rec["cutoff"], sources=sources,
                           instrument=rec.get("instrument"), scale=rec.get("scale"),
                           method=rec.get("method", "jt"), cutoff_type=rec.get("cutoff_type"))
