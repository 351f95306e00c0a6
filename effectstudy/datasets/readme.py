"""The README written beside a generated export (columns, planted effects, how to regenerate).

The text is generated, so the numbers in it are the generator's own parameters and the
counts of the files beside it; it cannot drift from the data.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from effectstudy.datasets.parameters import RESPONDER_TYPES, PracticeParameters
from effectstudy.datasets.practice import SyntheticPractice, expected_changes
from effectstudy.datasets.responses import ITEM_SEED

__all__ = ["Counts", "render_readme"]


class Counts:
    """Running counts over the chunks of an export (for the README)."""

    def __init__(self) -> None:
        self.c: dict[str, int] = {}

    def _add(self, key: str, value: int) -> None:
        self.c[key] = self.c.get(key, 0) + int(value)

    def update(self, sp: SyntheticPractice) -> None:
        e, m, s, t = sp.episodes, sp.measurements, sp.satisfaction, sp.truth
        self._add("episodes", len(e))
        self._add("client_ids", e["client_id"].nunique())  # clients never span chunks
        self._add("two_episode_clients", int((e["client_id"].value_counts() == 2).sum()))
        self._add("open", int(e["end_date"].isna().sum()))
        for r, n in e["end_reason"].value_counts().items():
            self._add(f"end_{r}", n)
        self._add("sessions_over_20", int((e["sessions"] > 20).sum()))
        self._add("sessions_under_5", int((e["sessions"] < 5).sum()))
        for col in ("consent_study", "consent_research"):
            v = e[col]
            self._add(f"{col}_yes", int((v == True).sum()))  # noqa: E712 (nullable boolean)
            self._add(f"{col}_no", int((v == False).sum()))  # noqa: E712
            self._add(f"{col}_missing", int(v.isna().sum()))
        self._add("measurements", len(m))
        for o, n in m["occasion"].value_counts().items():
            self._add(f"occ_{o}", n)
        items = m.filter(regex=r"^item_\d+$").to_numpy(dtype=np.float64, na_value=np.nan)
        nmiss = np.isnan(items).sum(axis=1)
        self._add("adm_missing_some", int(((nmiss > 0) & (nmiss <= 18)).sum()))
        self._add("adm_missing_many", int((nmiss > 18).sum()))
        self._add("sat_rows", len(s))
        self._add("sat_issued", int(s["issued"].sum()))
        self._add("sat_returned", int(s["returned"].sum()))
        self._add("sat_graded", int(s["grade"].notna().sum()))
        for rt, n in t["responder_type"].value_counts().items():
            self._add(f"type_{rt}", n)
        for sc, n in t["rom_schedule"].value_counts().items():
            self._add(f"sched_{sc}", n)
        self.c["start_min"] = min(self.c.get("start_min", 10**9), int(
            e["start_date"].min().toordinal()))
        self.c["start_max"] = max(self.c.get("start_max", 0), int(e["start_date"].max().toordinal()))

    def get(self, key: str) -> int:
        return self.c.get(key, 0)


def _pct(a: int, b: int) -> str:
    return f"{100 * a / b:.1f} %" if b else "-"


def _table(df: pd.DataFrame) -> str:
    cols = list(df.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    for row in df.itertuples(index=False):
        lines.append("| " + " | ".join(str(v) for v in row) + " |")
    return "\n".join(lines)


def render_readme(info: dict[str, Any], counts: Counts, command: str,
                  params: PracticeParameters | None = None) -> str:
    """Markdown README for an export with ``info`` (generator meta) and ``counts``.

    Size: a template of about 150 lines, one Markdown section after another; split up, the
    README's text would be scattered over functions that each print a few lines.
    """
    p = params or PracticeParameters()
    c = counts
    n = c.get("episodes")
    ec = expected_changes(p)
    ec_show = ec.assign(
        share=ec["share"].map(lambda v: f"{v:.2f}"),
        latent_improvement=ec["latent_improvement"].map(lambda v: f"{v:+.2f}"),
        expected_pre=ec["expected_pre"].map(lambda v: f"{v:.1f}"),
        expected_post=ec["expected_post"].map(lambda v: f"{v:.1f}"),
        expected_change=ec["expected_change"].map(lambda v: f"{v:+.1f}"),
    )
    groups = pd.DataFrame({
        "diagnosis": [g.name for g in p.diagnoses],
        "share": [f"{g.share:.2f}" for g in p.diagnoses],
        "intake severity (latent)": [f"{g.severity:.2f}" for g in p.diagnoses],
        "responder improvement (latent)": [f"{g.improvement:.2f}" for g in p.diagnoses],
        "specialised share": [f"{g.specialised_share:.2f}" for g in p.diagnoses],
        "treatments": [", ".join(f"{t} {w:.1f}" for t, w in g.treatments) for g in p.diagnoses],
    })
    reasons = pd.DataFrame({
        "responder type": list(RESPONDER_TYPES),
        "share": [f"{p.responder_shares[t]:.2f}" for t in RESPONDER_TYPES],
        "regular / dropout / referral / other": [
            " / ".join(f"{x:.2f}" for x in p.end_reasons[t]) for t in RESPONDER_TYPES],
    })
    from datetime import date

    start_min = date.fromordinal(c.get("start_min")).strftime("%d-%m-%Y")
    start_max = date.fromordinal(c.get("start_max")).strftime("%d-%m-%Y")
    return f"""# Synthetic example data (no real clients)

Everything in this folder is **synthetic**: made by a random generator with a fixed seed.
No real client, therapist or practice is described.  Ids are sequential pseudonyms
(`C0000001`, `E0000001`, therapists `T01` ...); there are no names, no BSN, no addresses.
The SCL-90 item *numbers* are used; no item wording is included.

## How it was made

```
{command}
```

Generator `effectstudy.datasets.generate` version {info["generator_version"]}, seed {info["seed"]},
{info["n_episodes"]} episodes starting {info["start_year"]} to {info["start_year"] + info["years"] - 1},
export date {pd.Timestamp(info["export_date"]).strftime("%d-%m-%Y")}.  `manifest.json` lists the
SHA-256 of each file; `tests/test_datasets.py` regenerates the folder with the command above and
checks that the bytes are identical.  In Python: `effectstudy.datasets.load_example()` reads the
files and returns them with the planted truth per episode (`.truth`, regenerated from the seed).

## Files and format

Dutch export conventions: separator `;`, decimal comma, dates `dd-mm-yyyy`, UTF-8, one header
row with canonical column names, empty field = missing, flags `1`/`0`.

| file | rows | one row per |
|---|---|---|
| `episodes.csv` | {n} | treatment episode |
| `measurements.csv` | {c.get("measurements")} | SCL-90 administration (`instrument` = `scl90_nl`) |
| `satisfaction.csv` | {c.get("sat_rows")} | ended episode (end-of-treatment evaluation form) |

**episodes.csv**: `episode_id`, `client_id`, `start_date` (first session), `end_date` (last
session; empty while the episode is open), `sessions` (sessions held), `diagnosis`
(depression, anxiety, ptsd, burnout, somatic, personality, brain_injury), `care_type`
(basic = GB-GGZ, specialised = S-GGZ), `treatment`, `end_reason` (regular, dropout, referral,
other; empty while open), `therapist`, `birth_year`, `sex`, `consent_study`,
`consent_research` (1 = consent, 0 = declined, empty = not recorded, which counts as no
consent).

**measurements.csv**: `client_id`, `episode_id`, `instrument`, `date`, `session` (session
number at the administration; 1 = intake), `occasion` (pre, interim, post), `item_1` ...
`item_90` (Dutch SCL-90 coding 1-5; empty = item not answered).  The sum of the 90 items is
the total score PSNEUR (90-450).

**satisfaction.csv**: `episode_id`, `issued` (form handed out), `returned`, `grade` (1-10;
empty when not returned or returned without a grade).

## What is in this example

| what | count |
|---|---|
| clients / episodes | {c.get("client_ids")} / {n} |
| clients with two (non-overlapping) episodes | {c.get("two_episode_clients")} |
| start dates | {start_min} to {start_max} |
| open episodes (still running on the export date) | {c.get("open")} |
| end reason regular / dropout / referral / other | {c.get("end_regular")} / {c.get("end_dropout")} / {c.get("end_referral")} / {c.get("end_other")} |
| episodes with more than 20 sessions / fewer than 5 (mostly dropouts) | {c.get("sessions_over_20")} / {c.get("sessions_under_5")} |
| consent to the effect study yes / no / missing | {c.get("consent_study_yes")} / {c.get("consent_study_no")} / {c.get("consent_study_missing")} |
| consent to research storage yes / no / missing | {c.get("consent_research_yes")} / {c.get("consent_research_no")} / {c.get("consent_research_missing")} |
| administrations pre / interim / post | {c.get("occ_pre")} / {c.get("occ_interim")} / {c.get("occ_post")} |
| ROM schedule pre/post only / early interim (session 3-5, sometimes 8-10) / weeks 6, 10, 17 | {c.get("sched_prepost")} / {c.get("sched_early")} / {c.get("sched_weeks")} |
| administrations missing 1-3 items (prorating applies) | {c.get("adm_missing_some")} |
| administrations missing more than 20 % of the items (19-40; too many to prorate) | {c.get("adm_missing_many")} |
| satisfaction forms issued / returned / with a grade | {c.get("sat_issued")} / {c.get("sat_returned")} / {c.get("sat_graded")} ({_pct(c.get("sat_returned"), c.get("sat_issued"))} of issued returned) |
| planted responder / non-responder / deteriorator | {c.get("type_responder")} / {c.get("type_non_responder")} / {c.get("type_deteriorator")} |

Dropouts and open episodes have no post measurement.

## Planted effects (what analyses should recover)

Each administration has a latent severity `theta`; the 90 item codes follow a graded response
model (discriminations 1.2-2.4, four ordered thresholds per item; fixed synthetic item
parameters, `ITEM_SEED = {ITEM_SEED}`), so the expected item sum at `theta` is
`E[S | theta] = 90 + sum_j sum_k 1 / (1 + exp(-a_j (theta - b_jk)))`.

Per episode: intake severity `theta_pre = severity_group + {p.specialised_shift} * specialised +
{p.sd_between} * z`; trajectory `theta(s) = theta_pre - improvement * log(s) / log(S)` for
session `s = 1 .. S` (S = planned sessions; linear in log(session), as in expected-treatment-
response curves); each administration adds occasion noise SD {p.sd_occasion}.  Improvement:
responders the group improvement times a log-normal factor with mean 1 and coefficient of
variation {p.cv_improvement} (so every responder improves); **non-responders exactly 0** (flat
trajectory, also at interim measurements); deteriorators -{p.deterioration} times a log-normal
factor (mean 1, CV {p.cv_deterioration}).  The post measurement is taken at the last planned
session.  The occasion noise is a real change of state, not measurement error of the items, so
the test-retest reliability of the total score is lower than its internal consistency
(Cronbach's alpha about 0.97 at intake): a reliable change index based on alpha flags some
flat (non-responding) trajectories as changed, as it would in practice.

Diagnosis groups:

{_table(groups)}

Responder types and end reasons (dropouts stop at a random earlier session and have no post
measurement; post present for regular ends with p = {p.post_present["regular"]}, referral
{p.post_present["referral"]}, other {p.post_present["other"]}):

{_table(reasons)}

Expected item sums (PSNEUR) at intake and at the end, and the expected change (post minus
pre; negative = improvement), computed analytically from the model above (Gauss-Hermite
quadrature over the latent normal distributions; no scoring code involved).  `all` is the
planted mixture of the three types.  Selection changes the mix among episodes that have a
post measurement (non-responders and deteriorators drop out more), so compare completers per
responder type, or re-weight to the planted shares.

{_table(ec_show)}

In a sample of {n} episodes the observed group means scatter around these values by sampling
error (the SD of an individual change is about 25-35 points); the tests check the recovery on
larger generated samples.

Planned sessions: 5 + a negative binomial count (size {p.sessions_dispersion}), mean
{p.mean_sessions_basic:g} in basic and {p.mean_sessions_specialised:g} in specialised care, plus
{p.extra_sessions_nonresponse:g} on average for non-responders and deteriorators, at most
{p.max_sessions}.  Session rhythm: weekly for the first 6-9 sessions (now and then a week
skipped), then every 2-3 weeks, then 1-2 follow-up sessions 4-8 weeks apart.

Other planted rates: second episode per client {p.second_episode_share}; pre missing
{p.pre_missing}; interim missing {p.interim_missing}; pre/post dated outside the default
pairing windows (pre -30..+14 days of the start, post +-30 days of the end)
{p.outside_window}; administrations with 1-3 missing items {p.items_missing_few}, with 19-40
missing items {p.items_missing_many}; consent to the study yes/no/missing
{" / ".join(str(x) for x in p.consent_study)}; satisfaction issued after a regular end
{p.satisfaction_issued["regular"]}, returned {p.satisfaction_returned["regular"]}, no grade on a
returned form {p.satisfaction_no_grade}.  All parameters: `effectstudy.datasets.PracticeParameters`.
"""
