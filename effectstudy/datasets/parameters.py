"""The planted parameters of the synthetic practice.

Everything the generator plants is a field here, so tests and documentation read the
same numbers the generator used.  The defaults describe a plausible Dutch outpatient
practice (GB-GGZ and S-GGZ); they are *invented*, not estimated from real data.

Latent scale
------------
Each administration has a latent severity ``theta`` (general population about 0,
outpatients at intake about 1).  Item responses follow a graded response model
(:mod:`effectstudy.datasets.responses`).

Per episode ``i`` in diagnosis group ``g`` and care type ``c``::

    theta_pre_i  = severity_g + specialised_shift * [c = specialised] + sd_between * z_i
    theta_i(s)   = theta_pre_i - improvement_i * log(s) / log(S_i)      (s = 1 .. S_i)
    observed     = theta_i(s) + sd_occasion * e                         (per administration)

``S_i`` is the planned number of sessions; session 1 is the intake, so the trajectory is
linear in ``log(session)`` (the shape used for expected-treatment-response curves by
Finch, Lambert & Schaalje 2001) and reaches ``theta_pre_i - improvement_i`` at the last
planned session.  ``improvement_i`` depends on the episode's planted responder type:
``responder`` = improvement_g * L, ``non_responder`` = 0 exactly (flat trajectory),
``deteriorator`` = -deterioration * L, where ``L = exp(sigma * z - sigma^2 / 2)`` is a
log-normal factor with mean 1 and coefficient of variation ``cv_improvement`` (or
``cv_deterioration``), ``sigma = sqrt(log(1 + cv^2))``.  So every responder improves and
every deteriorator worsens; the type means are exactly ``improvement_g`` and
``-deterioration``.

>>> p = PracticeParameters()
>>> [g.name for g in p.diagnoses]
['depression', 'anxiety', 'ptsd', 'burnout', 'somatic', 'personality', 'brain_injury']
>>> round(sum(p.responder_shares.values()), 10)
1.0
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

__all__ = ["DiagnosisGroup", "PracticeParameters", "RESPONDER_TYPES", "ROM_SCHEDULES"]

RESPONDER_TYPES: tuple[str, ...] = ("responder", "non_responder", "deteriorator")
ROM_SCHEDULES: tuple[str, ...] = ("prepost", "early", "weeks")


@dataclass(frozen=True)
class DiagnosisGroup:
    """One diagnosis group and its planted effects.

    Attributes
    ----------
    name : str
        Group label as it appears in ``episodes.diagnosis``.
    share : float
        Share of episodes in this group.
    severity : float
        Mean latent severity at intake (basic care).
    improvement : float
        Mean latent improvement of *responders* in this group (latent units).
    specialised_share : float
        Share of episodes in specialised care (S-GGZ).
    treatments : tuple of (str, float)
        Treatment labels and their probabilities within the group.
    """

    name: str
    share: float
    severity: float
    improvement: float
    specialised_share: float
    treatments: tuple[tuple[str, float], ...]


def _default_diagnoses() -> tuple[DiagnosisGroup, ...]:
    return (
        DiagnosisGroup("depression", 0.28, 1.10, 0.90, 0.30, (("cbt", 0.6), ("ipt", 0.2), ("act", 0.2))),
        DiagnosisGroup("anxiety", 0.22, 1.00, 1.00, 0.25, (("cbt", 0.8), ("act", 0.2))),
        DiagnosisGroup("ptsd", 0.12, 1.30, 0.90, 0.50, (("emdr", 0.7), ("cbt", 0.3))),
        DiagnosisGroup("burnout", 0.14, 0.90, 0.80, 0.15, (("cbt", 0.5), ("act", 0.5))),
        DiagnosisGroup("somatic", 0.08, 0.80, 0.50, 0.30, (("cbt", 0.6), ("act", 0.4))),
        DiagnosisGroup("personality", 0.10, 1.40, 0.55, 0.70, (("schema", 0.7), ("cbt", 0.3))),
        DiagnosisGroup(
            "brain_injury", 0.06, 0.70, 0.45, 0.50, (("neuropsychological", 0.7), ("act", 0.3))
        ),
    )


@dataclass(frozen=True)
class PracticeParameters:
    """All planted parameters of the synthetic practice (defaults shown in the fields).

    Shares are probabilities per episode unless stated otherwise.  Pass a modified copy
    (``dataclasses.replace``) to :func:`effectstudy.datasets.generate` to plant other values.
    """

    diagnoses: tuple[DiagnosisGroup, ...] = field(default_factory=_default_diagnoses)
    #: latent shift of specialised care over basic care at intake
    specialised_shift: float = 0.25
    #: SD of intake severity between episodes (latent units)
    sd_between: float = 0.55
    #: SD of the occasion-to-occasion fluctuation around the trajectory (latent units)
    sd_occasion: float = 0.20
    #: coefficient of variation of the (log-normal) improvement between responders
    cv_improvement: float = 0.35
    #: mean latent *worsening* of deteriorators and its coefficient of variation
    deterioration: float = 0.40
    cv_deterioration: float = 0.35
    #: planted responder-type shares (sum to 1)
    responder_shares: dict[str, float] = field(
        default_factory=lambda: {"responder": 0.70, "non_responder": 0.22, "deteriorator": 0.08}
    )
    #: end reasons per responder type: (regular, dropout, referral, other)
    end_reasons: dict[str, tuple[float, float, float, float]] = field(
        default_factory=lambda: {
            "responder": (0.85, 0.10, 0.04, 0.01),
            "non_responder": (0.50, 0.25, 0.23, 0.02),
            "deteriorator": (0.40, 0.30, 0.28, 0.02),
        }
    )
    #: mean planned sessions (>= 5) in basic and specialised care; non-/deteriorating
    #: responders plan ``extra_sessions_nonresponse`` more on average
    mean_sessions_basic: float = 9.0
    mean_sessions_specialised: float = 14.0
    extra_sessions_nonresponse: float = 3.0
    #: negative-binomial size parameter of (planned sessions - 5); smaller = wider
    sessions_dispersion: float = 3.0
    max_sessions: int = 40
    #: share of clients with a second (later, non-overlapping) episode
    second_episode_share: float = 0.12
    #: ROM schedule shares: pre/post only, early interim (session 3-5, and 8-10), weeks 6/10/17
    rom_schedules: dict[str, float] = field(
        default_factory=lambda: {"prepost": 0.40, "early": 0.45, "weeks": 0.15}
    )
    #: probability of the second early interim (session 8-10) when the episode is long enough
    mid_interim: float = 0.6
    #: missing administrations
    pre_missing: float = 0.04
    interim_missing: float = 0.10
    #: probability of a post measurement given the end reason (dropouts never have one)
    post_present: dict[str, float] = field(
        default_factory=lambda: {"regular": 0.88, "dropout": 0.0, "referral": 0.50, "other": 0.30}
    )
    #: share of pre / post administrations dated outside the default pairing windows
    #: (pre: -30..+14 days around the start; post: -30..+30 days around the end)
    outside_window: float = 0.02
    #: administrations with 1-3 missing items, and with 19-40 missing items (> 20 %)
    items_missing_few: float = 0.05
    items_missing_many: float = 0.012
    #: consent: P(consent_study = True / False / missing)
    consent_study: tuple[float, float, float] = (0.78, 0.14, 0.08)
    #: consent_research given consent_study True / False / missing: (True, False, missing)
    consent_research: dict[str, tuple[float, float, float]] = field(
        default_factory=lambda: {
            "true": (0.85, 0.10, 0.05),
            "false": (0.05, 0.90, 0.05),
            "missing": (0.10, 0.30, 0.60),
        }
    )
    #: probability that a second episode re-asks consent and gets a fresh answer
    consent_redraw: float = 0.15
    n_therapists: int = 12
    #: satisfaction: P(issued | end reason), P(returned | issued) by end reason, no grade
    satisfaction_issued: dict[str, float] = field(
        default_factory=lambda: {"regular": 0.95, "dropout": 0.40, "referral": 0.85, "other": 0.70}
    )
    satisfaction_returned: dict[str, float] = field(
        default_factory=lambda: {"regular": 0.58, "dropout": 0.25, "referral": 0.45, "other": 0.40}
    )
    satisfaction_no_grade: float = 0.05
    #: grade distributions (grades 1..10) for responders and for the other types
    grades_responder: tuple[float, ...] = (0, 0, 0.005, 0.005, 0.02, 0.05, 0.15, 0.35, 0.30, 0.12)
    grades_other: tuple[float, ...] = (0.01, 0.01, 0.02, 0.04, 0.08, 0.15, 0.30, 0.25, 0.10, 0.04)
    #: days between the end of the last start year and the export (episodes still running
    #: then are open)
    export_lag_days: int = 90

    def group_names(self) -> tuple[str, ...]:
        """Diagnosis group labels in their fixed order."""
        return tuple(g.name for g in self.diagnoses)

    def to_dict(self) -> dict:
        """Plain dict of every parameter (for ``meta`` and JSON)."""
        return asdict(self)
