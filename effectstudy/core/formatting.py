"""The one formatter of displayed numbers, percentages, p-values and dates (Dutch and English).

Every display path (``Result.format``, ``_repr_html_``, report tables and scalars, report
texts, plot annotations and the APA text of the student analyses) formats through this
module, so one value shows the same digits everywhere.  Only display strings come from
here; ``results.json`` and the CSV tables keep the full values.

Rules (APA 7, sections 6.36 and 6.40, and its Dutch adaptation):

* numbers are rounded **half up on the decimal value** (the shortest ``repr`` of the
  float), as APA and a reader doing it by hand expect: 0.125 -> 0.13, 2.345 -> 2.35,
  whatever the binary value is (Python's ``f"{0.125:.2f}"`` gives ``0.12``);
* a value that rounds to zero is printed without a sign (never ``-0.00``);
* ``lang="nl"`` writes a decimal comma, ``lang="en"`` a decimal point; the hyphen-minus
  marks negative numbers; no thousands separator;
* p-values have three decimals and no leading zero, ``< .001`` below .001 (``< ,001``
  in Dutch) and ``> .999`` above, never ``.000``;
* missing and non-finite values print as an en dash ``–``;
* one number of decimals per kind of quantity (:data:`KIND_DIGITS`, :func:`quantity`):
  shares as whole percentages, counts and whole degrees of freedom without decimals (a
  Welch df with two), grades with one decimal, p-values in APA form, other statistics with
  two; a table column's kind comes from its name (:func:`column_kind`).

The default language is :data:`DEFAULT_LANG` (``"nl"``, as the params' ``language``
and the reports); every display function uses it as its default.

>>> number(0.125), number(0.125, "en"), number(-0.0049), number(2.5, "en", 0)
('0,13', '0.13', '0,00', '3')
>>> p_value(0.0004), p_value(0.0321, "en"), p_value(0.0321, "en", prefix="p")
('< ,001', '.032', 'p = .032')
>>> percent(0.125), percent(0.125, "en", 1), interval(0.1, 0.25), date("2024-03-05")
('13%', '12.5%', '[0,10; 0,25]', '05-03-2024')
"""

from __future__ import annotations

import datetime as _dt
import math
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

import numpy as np
import pandas as pd

from effectstudy.core.checks import check_int
from effectstudy.core.errors import ArgumentError, ArgumentTypeError

__all__ = ["DEFAULT_LANG", "DIGITS", "MISSING", "Lang", "check_lang", "number", "percent",
           "p_value", "interval", "date", "frame", "is_p_column", "KIND_DIGITS", "column_kind",
           "register_kinds", "quantity"]

Lang = Literal["nl", "en"]

#: the language of every display default (the params' ``language`` default and the reports)
DEFAULT_LANG: Lang = "nl"
#: decimals of a displayed number unless the caller asks for others (APA: statistics with two)
DIGITS = 2
#: how a missing or non-finite value is shown
MISSING = "–"

_DATE_FORMATS = {"nl": "%d-%m-%Y", "en": "%Y-%m-%d"}


def check_lang(lang: object) -> Lang:
    """``lang`` when it is ``"nl"`` or ``"en"``, else an :class:`ArgumentError`.

    >>> check_lang("en")
    'en'
    >>> check_lang("de")
    Traceback (most recent call last):
    ...
    effectstudy.core.errors.ArgumentError: lang: got 'de', expected 'nl' or 'en'
    """
    if lang not in ("nl", "en"):
        raise ArgumentError("lang", lang, "'nl' or 'en'")
    return lang  # type: ignore[return-value]


def _finite(x: object) -> float | None:
    """``x`` as a float, or ``None`` when it is missing, not finite or not a number."""
    if x is None or x is pd.NA or x is pd.NaT or isinstance(x, bool | np.bool_):
        return None
    try:
        v = float(x)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ArgumentTypeError("x", x, "a number (or None/NaN for a missing value)") from None
    return v if math.isfinite(v) else None


def _half_up(x: float, digits: int) -> Decimal:
    # the shortest repr is the decimal value the reader sees: 0.125 -> 0.13, 0.0495 -> 0.050
    return Decimal(repr(x)).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)


def _decimal_text(d: Decimal, digits: int, lang: Lang, leading_zero: bool) -> str:
    if d == 0:
        d = abs(d)  # never "-0,00"
    s = f"{d:.{digits}f}"
    if not leading_zero:
        if s.startswith("0."):
            s = s[1:]
        elif s.startswith("-0."):
            s = "-" + s[2:]
    return s.replace(".", ",") if lang == "nl" else s


def _checked(x: object, lang: Lang, digits: object) -> tuple[float | None, int]:
    """The arguments of :func:`number` and :func:`percent`, checked: ``x`` as a finite float
    (``None`` when missing) and ``digits`` as an ``int``."""
    check_lang(lang)
    whole = check_int(digits, "digits", 0, "a whole number >= 0")
    return _finite(x), whole


def number(x: object, lang: Lang = DEFAULT_LANG, digits: int = DIGITS, *,
           leading_zero: bool = True) -> str:
    """A number with ``digits`` decimals, rounded half up, in the decimal style of ``lang``.

    Parameters
    ----------
    x : float, int or None
        The value; ``None``, NaN and infinities print as ``"–"``.
    lang : {"nl", "en"}
        ``"nl"`` writes a decimal comma, ``"en"`` a decimal point.
    digits : int
        Decimals (>= 0).
    leading_zero : bool
        ``False`` for quantities that cannot exceed 1 in absolute value (APA: correlations,
        proportions, partial eta squared): ``.45``.

    Returns
    -------
    str

    Raises
    ------
    ArgumentError
        ``lang`` is not ``"nl"``/``"en"`` or ``digits`` is below 0.
    ArgumentTypeError
        ``x`` is not a number, or ``digits`` is not a whole number.

    Examples
    --------
    >>> number(0.125), number(0.135, "en"), number(2.345, "en"), number(-2.345, "en")
    ('0,13', '0.14', '2.35', '-2.35')
    >>> number(-0.004, "en"), number(-0.456, "en", leading_zero=False), number(None)
    ('0.00', '-.46', '–')
    >>> number(1234.5, "nl", 1), number(12.5, "en", 0), number(float("inf"))
    ('1234,5', '13', '–')
    """
    v, digits = _checked(x, lang, digits)
    if v is None:
        return MISSING
    return _decimal_text(_half_up(v, digits), digits, lang, leading_zero)


def percent(x: object, lang: Lang = DEFAULT_LANG, digits: int = 0, *,
            proportion: bool = True) -> str:
    """A percentage: ``"13%"``; ``proportion=False`` when ``x`` is already in percent.

    The decimal point is shifted exactly (0.125 -> 12.5, not ``0.125 * 100``) before the
    half-up rounding of :func:`number`.

    >>> percent(0.125), percent(0.125, "en", 1), percent(0.0049, "nl", 1), percent(None)
    ('13%', '12.5%', '0,5%', '–')
    >>> percent(56, proportion=False), percent(56.25, "nl", 1, proportion=False)
    ('56%', '56,3%')
    """
    v, digits = _checked(x, lang, digits)
    if v is None:
        return MISSING
    d = Decimal(repr(v)).scaleb(2) if proportion else Decimal(repr(v))
    d = d.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    return _decimal_text(d, digits, lang, True) + "%"


def p_value(p: object, lang: Lang = DEFAULT_LANG, *, alpha: float = 0.05, prefix: str = "") -> str:
    """A p-value as APA 7 prints it: ``.032``, ``< .001``, ``> .999``, never ``.000``.

    Three decimals without a leading zero.  A p-value just below ``alpha`` that would round
    up to it (.0495 -> .050) gets as many decimals as it takes to stay below ``alpha``
    (``.0495``, ``.04999``; beyond six decimals ``< .050``), so that the text never
    contradicts the significance decision.

    Parameters
    ----------
    p : float or None
        The p-value; missing prints as ``"–"``.
    lang : {"nl", "en"}
        Decimal comma (``"nl"``) or point (``"en"``).
    alpha : float
        The significance level the text must not contradict.
    prefix : str
        Text before the relation: ``"p"`` gives ``"p = .032"``/``"p < .001"``; the empty
        default gives the table form ``".032"``/``"< .001"``.

    Examples
    --------
    >>> p_value(0.0004), p_value(0.0004, "en"), p_value(0.0321, "en", prefix="p")
    ('< ,001', '< .001', 'p = .032')
    >>> p_value(0.0495, "en"), p_value(0.0505, "en"), p_value(0.9996, "en"), p_value(None, prefix="p")
    ('.0495', '.051', '> .999', 'p = –')
    """
    check_lang(lang)
    head = f"{prefix} " if prefix else ""
    v = _finite(p)
    if v is None:
        return f"{head}= {MISSING}" if prefix else MISSING
    if v < 0.001:
        return f"{head}< " + number(0.001, lang, 3, leading_zero=False)
    if _half_up(v, 3) >= 1:
        return f"{head}> " + number(0.999, lang, 3, leading_zero=False)
    digits = 3
    while v < alpha and float(_half_up(v, digits)) >= alpha:
        if digits == 6:
            return f"{head}< " + number(alpha, lang, 3, leading_zero=False)
        digits += 1
    return (f"{head}= " if prefix else "") + number(v, lang, digits, leading_zero=False)


def interval(low: object, high: object, lang: Lang = DEFAULT_LANG, digits: int = DIGITS) -> str:
    """A confidence interval ``[low, high]``; Dutch separates the limits with a semicolon.

    >>> interval(148.525, 156.74), interval(148.525, 156.74, "en"), interval(None, 1.0, "en")
    ('[148,53; 156,74]', '[148.53, 156.74]', '[–, 1.00]')
    """
    sep = "; " if check_lang(lang) == "nl" else ", "
    return f"[{number(low, lang, digits)}{sep}{number(high, lang, digits)}]"


def date(d: object, lang: Lang = DEFAULT_LANG) -> str:
    """A date as the reader of ``lang`` writes it: ``05-03-2024`` (nl), ``2024-03-05`` (en, ISO).

    >>> date("2024-03-05"), date(pd.Timestamp("2024-03-05"), "en"), date(None)
    ('05-03-2024', '2024-03-05', '–')
    """
    check_lang(lang)
    if d is None or d is pd.NaT or (isinstance(d, float) and math.isnan(d)):
        return MISSING
    if not isinstance(d, str | _dt.date | np.datetime64 | pd.Timestamp):
        raise ArgumentTypeError("d", d, "a date (date, Timestamp or ISO text 'YYYY-MM-DD')")
    try:
        ts = pd.Timestamp(d)
    except ValueError:
        raise ArgumentError("d", d, "a date (ISO text 'YYYY-MM-DD')") from None
    return MISSING if ts is pd.NaT else ts.strftime(_DATE_FORMATS[lang])


def is_p_column(name: object) -> bool:
    """True for a column of p-values: ``p``, ``p_value``, ``p_adjusted`` ...

    >>> is_p_column("p"), is_p_column("p_adjusted"), is_p_column("pre"), is_p_column("pct_recovered")
    (True, True, False, False)
    """
    return isinstance(name, str) and (name == "p" or name.startswith("p_"))


#: decimals of a displayed quantity per kind: the one rounding rule of every display path
#: (tables, texts, plots).  ``share``: a proportion shown as a percentage (``percent``);
#: ``count``: a whole number (a non-whole one, e.g. a Wilcoxon V of tied ranks, with one
#: decimal); ``df``: degrees of freedom, whole or (Welch, Satterthwaite, Rubin) two decimals;
#: ``grade``: a satisfaction grade (1-10) and its mean, SD and median; ``p``: APA
#: (:func:`p_value`); ``statistic``: everything else (APA: two decimals).
KIND_DIGITS: dict[str, int] = {"statistic": DIGITS, "share": 0, "count": 1, "df": 2, "grade": 1, "p": 3}

#: columns whose kind their name does not tell (modules add theirs with :func:`register_kinds`)
_KINDS: dict[str, str] = {
    "k": "count", "episodes": "count", "clients": "count", "grade_min": "count", "grade_max": "count",
    "wilcoxon_v": "count", "window_start": "count", "window_end": "count", "time_from": "count",
    "time_to": "count", "graded_share": "share", "response_rate": "share",
    "rate": "share", "proportion": "share",
}
_SHARE_PREFIXES = ("share", "proportion_", "pct_share")
_CI_SUFFIXES = ("ci_low", "ci_high")


def register_kinds(kinds: dict[str, str]) -> None:
    """Declare the kind (a key of :data:`KIND_DIGITS`) of columns whose name does not tell it.

    >>> register_kinds({"recovered_share": "share"}); column_kind("recovered_share")
    'share'
    >>> register_kinds({"x": "colour"})
    Traceback (most recent call last):
    ...
    effectstudy.core.errors.ArgumentError: kinds: got 'colour', expected one of ['count', 'df', 'grade', 'p', 'share', 'statistic']
    """
    for kind in kinds.values():
        if kind not in KIND_DIGITS:
            raise ArgumentError("kinds", kind, f"one of {sorted(KIND_DIGITS)}")
    _KINDS.update(kinds)


def column_kind(name: object, previous: str | None = None) -> str:
    """The kind of quantity a column holds, from its name (a key of :data:`KIND_DIGITS`).

    ``p``, ``p_*`` and ``*_p``: p-values; ``n``, ``n_*``, ``k``: counts; ``df``, ``df_*``:
    degrees of freedom; ``share*``, ``proportion*``, ``rate``: shares; ``grade_*``: grades;
    a confidence limit (``ci_low``, ``*_ci_high`` ...) takes the kind of the column before it
    (``previous``): the interval of a share is a share.

    >>> [column_kind(c) for c in ("p", "wilcoxon_p", "n_used", "df", "share_beyond", "grade_mean", "t")]
    ['p', 'p', 'count', 'df', 'share', 'grade', 'statistic']
    >>> column_kind("ci_low", previous="share"), column_kind("regular_ci_high", previous="share")
    ('share', 'share')
    >>> column_kind("ci_low", previous="p"), column_kind("share_within_ci_low")
    ('statistic', 'share')
    """
    if not isinstance(name, str):
        return "statistic"
    if name in _KINDS:
        return _KINDS[name]
    if name.endswith(_CI_SUFFIXES):
        if previous in ("share", "grade", "statistic"):
            return previous
        return "share" if name.startswith(_SHARE_PREFIXES) else "statistic"
    if is_p_column(name) or name.endswith("_p"):
        return "p"
    if name == "n" or name.startswith("n_"):
        return "count"
    if name == "df" or name.startswith("df_"):
        return "df"
    if name.startswith(_SHARE_PREFIXES) or name.endswith(("_share", "_rate")):
        return "share"
    if name.startswith("grade"):
        return "grade"
    return "statistic"


def quantity(x: object, kind: str, lang: Lang = DEFAULT_LANG, digits: int | None = None) -> str:
    """One value as a quantity of ``kind`` is shown everywhere (:data:`KIND_DIGITS`).

    ``digits`` overrides the decimals of a ``statistic`` only.

    >>> quantity(0.5, "share"), quantity(198.0, "df"), quantity(115.977, "df", "en")
    ('50%', '198', '115.98')
    >>> quantity(7.94, "grade"), quantity(1668.0, "count"), quantity(7.5, "count"), quantity(0.0004, "p")
    ('7,9', '1668', '7,5', '< ,001')
    """
    if kind not in KIND_DIGITS:
        raise ArgumentError("kind", kind, f"one of {sorted(KIND_DIGITS)}")
    if kind == "p":
        return p_value(x, lang)
    if kind == "share":
        return percent(x, lang, KIND_DIGITS["share"])
    if kind in ("count", "df"):
        v = _finite(x)
        if v is not None and v == round(v):
            check_lang(lang)
            return str(int(round(v)))
        return number(x, lang, KIND_DIGITS[kind])
    if kind == "statistic":
        return number(x, lang, DIGITS if digits is None else digits)
    return number(x, lang, KIND_DIGITS[kind])


_YES_NO = {"nl": ("ja", "nee"), "en": ("yes", "no")}


def _column_strings(col: pd.Series, name: object, lang: Lang, digits: int,
                    kind: str = "statistic") -> pd.Series | None:
    """The display strings of one column, or ``None`` when it is shown as it is (text, labels)."""
    values = col.to_numpy(dtype=object)
    if pd.api.types.is_bool_dtype(col.dtype):
        yes, no = _YES_NO[lang]
        texts = [yes if v else no for v in values]
    elif pd.api.types.is_datetime64_any_dtype(col.dtype):
        texts = [date(v, lang) for v in values]
    elif pd.api.types.is_integer_dtype(col.dtype):
        texts = [MISSING if pd.isna(v) else str(int(v)) for v in values]
    elif pd.api.types.is_float_dtype(col.dtype):
        texts = [quantity(v, kind, lang, digits) for v in col.to_numpy(dtype=float)]
    else:
        return None
    return pd.Series(texts, index=col.index, dtype=object)


def frame(df: pd.DataFrame, lang: Lang = DEFAULT_LANG, digits: int = DIGITS) -> pd.DataFrame:
    """A table's values as display strings; column names and text cells are left as they are.

    Each float column is shown as the kind of quantity its name tells (:func:`column_kind`,
    :func:`quantity`): p-values through :func:`p_value`, shares as percentages, counts and
    whole degrees of freedom without decimals, grades with one decimal, other numbers with
    ``digits`` decimals.  ``df.attrs["kinds"]`` (column -> kind, ``"*"`` for every float
    column not named) overrides the names.  Integer columns print without decimals, dates
    through :func:`date`, booleans as ja/nee (yes/no); missing values print as ``"–"``.
    Text and category columns are unchanged (labels are the caller's business:
    :mod:`effectstudy.core.labels`).

    Parameters
    ----------
    df : DataFrame
        The table (not modified).
    lang : {"nl", "en"}
        Decimal comma or point.
    digits : int
        Decimals of numbers other than p-values and counts.

    Returns
    -------
    DataFrame
        A copy with the same index and columns.

    Examples
    --------
    >>> t = pd.DataFrame({"group": ["a", "b"], "n": [12.0, float("nan")],
    ...                   "estimate": [0.125, -0.0049], "p": [0.0004, 0.0321]})
    >>> frame(t)
      group   n estimate       p
    0     a  12     0,13  < ,001
    1     b   –     0,00    ,032
    >>> frame(pd.DataFrame({"proportion": [0.5], "ci_low": [0.25], "df": [198.0], "t": [2.0]}), "en")
      proportion ci_low   df     t
    0        50%    25%  198  2.00
    """
    check_lang(lang)
    if not isinstance(df, pd.DataFrame):
        raise ArgumentTypeError("df", df, "a pandas DataFrame")
    shown = df.copy()
    given = dict(df.attrs.get("kinds", {}))
    previous: str | None = None
    for i in range(shown.shape[1]):
        name = shown.columns[i]
        kind = given.get(name, given.get("*")) if isinstance(name, str) else None
        kind = kind or column_kind(name, previous)
        previous = kind
        texts = _column_strings(shown.iloc[:, i], name, lang, digits, kind)
        if texts is not None:
            shown.isetitem(i, texts)
    return shown
