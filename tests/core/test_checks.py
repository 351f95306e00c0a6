"""The shared argument checks (effectstudy.core.checks): accepted values and every message."""

from __future__ import annotations

import sys
import warnings
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from effectstudy.core.checks import (
    check_alpha,
    check_better_is,
    check_choice,
    check_ci,
    check_columns,
    check_reliability,
    choices_text,
    warn_exclusions,
)
from effectstudy.core.errors import ArgumentError, ArgumentTypeError, DataQualityWarning


@pytest.mark.parametrize("ci", [0.95, 0.5, np.float32(0.9), np.float64(0.8)])
def test_check_ci_returns_a_float(ci):
    got = check_ci(ci)
    assert type(got) is float and got == float(ci)


@pytest.mark.parametrize("ci", [0, 1, 95, 1.0, -0.1, True, False, "0.95", None, float("nan")])
def test_check_ci_names_the_argument_and_the_range(ci):
    with pytest.raises(ArgumentError, match=r"ci: got .*, expected a confidence level in \(0, 1\), "
                                            r"e\.g\. 0\.95"):
        check_ci(ci)


def test_check_ci_uses_the_given_name():
    with pytest.raises(ArgumentError, match=r"^level: got 2, expected a confidence level"):
        check_ci(2, name="level")


def test_check_alpha():
    assert check_alpha(0.05) == 0.05 and type(check_alpha(np.float32(0.5))) is float
    for bad in (0, 1, 5, True, "0.05", None):
        with pytest.raises(ArgumentError, match=r"alpha: got .*, expected a number in \(0, 1\), "
                                                r"e\.g\. 0\.05"):
            check_alpha(bad)


def test_check_better_is_gives_the_direction_and_says_where_it_can_come_from():
    assert check_better_is("lower") == -1
    assert check_better_is("higher") == 1
    assert check_better_is(np.str_("higher")) == 1
    with pytest.raises(ArgumentError, match=r"^better_is: got 'Lower', expected 'lower' or "
                                            r"'higher' \(or instrument= and scale= to take it "
                                            r"from the instrument registry\)$"):
        check_better_is("Lower")
    with pytest.raises(ArgumentError, match=r"^better_is: got None, expected 'lower' or "
                                            r"'higher' \(not in meta\)$"):
        check_better_is(None, hint="not in meta")
    with pytest.raises(ArgumentError, match=r"^better_is: got 1, expected 'lower' or 'higher'$"):
        check_better_is(1, hint=None)


def test_check_reliability_takes_a_number_or_a_reliability_result():
    assert check_reliability(0.8) == (0.8, "argument")
    assert check_reliability(np.float32(0.5)) == (0.5, "argument")
    res = SimpleNamespace(estimate=0.9, meta={"method": "cronbach_alpha"})
    assert check_reliability(res) == (0.9, "es.reliability (cronbach_alpha)")
    assert check_reliability(SimpleNamespace(estimate=np.array([0.7])))[0] == 0.7


@pytest.mark.parametrize("value, error, message", [
    ("sample", ArgumentError, r"reliability: got 'sample', expected .*es\.reliability\(\.\.\.\) "
                              r"computed on the items of the pre measurements"),
    ("0.8", ArgumentError, r"reliability: got '0\.8', expected a number in \(0, 1\) or an "
                           r"object with \.estimate"),
    (True, ArgumentTypeError, r"reliability: got bool True, expected a number in \(0, 1\)"),
    (None, ArgumentTypeError, r"reliability: got NoneType None, expected a number in \(0, 1\)"),
    (0, ArgumentError, r"reliability: got 0, expected a number in \(0, 1\]"),
    (1.5, ArgumentError, r"reliability: got 1\.5, expected a number in \(0, 1\]"),
    (float("nan"), ArgumentError, r"reliability: got nan, expected a number in \(0, 1\]"),
    (1.0, ArgumentError, r"reliability: got 1\.0, expected a number below 1: reliability 1 "
                         r"gives a zero standard error"),
])
def test_check_reliability_messages(value, error, message):
    with pytest.raises(error, match=message):
        check_reliability(value)


def test_check_reliability_uses_the_given_name():
    with pytest.raises(ArgumentError, match=r"^reliability_post: got 2"):
        check_reliability(2, "reliability_post")


def test_check_columns():
    df = pd.DataFrame({"id": [1], "t": [0]})
    check_columns(df, subject="id", time="t", group=None)
    with pytest.raises(ArgumentTypeError, match=r"^data: got list \[1\], expected a pandas "
                                                r"DataFrame in long format$"):
        check_columns([1], subject="id")
    with pytest.raises(ArgumentTypeError, match=r"^episodes: got dict \{\}, expected a pandas "
                                                r"DataFrame$"):
        check_columns({}, what="episodes", episode="episode_id")
    with pytest.raises(ArgumentError, match=r"^group: got 'site', expected a column of data; "
                                            r"its columns are \['id', 't'\]$"):
        check_columns(df, subject="id", group="site")
    with pytest.raises(ArgumentError, match=r"^episode: got 'episode_id', expected a column of "
                                            r"episodes; its columns are \['id', 't'\]$"):
        check_columns(df, what="episodes", episode="episode_id")


def test_choices_text_reads_as_a_sentence():
    assert choices_text(["a"]) == "'a'"
    assert choices_text(["a", "b"]) == "'a' or 'b'"
    assert choices_text(["a", "b", "c"]) == "one of 'a', 'b', 'c'"


def test_check_choice():
    assert check_choice("kind", "jt", ("jt", "bars")) == "jt"
    assert check_choice("method", "HA", ("jt", "ha", "en"), ignore_case=True) == "ha"
    with pytest.raises(ArgumentError, match=r"^method: got 'HA', expected one of 'jt', 'ha', 'en'$"):
        check_choice("method", "HA", ("jt", "ha", "en"))
    with pytest.raises(ArgumentError, match=r"^method: got 'XX', expected one of 'jt', 'ha', 'en'$"):
        check_choice("method", "XX", ("jt", "ha", "en"), ignore_case=True)
    with pytest.raises(ArgumentError, match=r"^lang: got None, expected 'nl' or 'en'$"):
        check_choice("lang", None, ("nl", "en"))
    with pytest.raises(ArgumentError, match=r"^occasion: got 1, expected 'pre' \(no occasion "
                                            r"column\)$"):
        check_choice("occasion", 1, ("pre",), hint="no occasion column")


def _verb():
    warn_exclusions(10, 7, {"missing_post": 2, "rows_missing_outcome": 4, "missing_group": 1})


def test_warn_exclusions_counts_subjects_not_rows():
    with pytest.warns(DataQualityWarning, match=r"^3 of 10 subjects excluded: missing_post 2, "
                                                r"missing_group 1$") as rec:
        line = sys._getframe().f_lineno; _verb()  # noqa: E702 - the line of the call
    # stacklevel 2: the warning points at the line that called the verb
    assert (rec[0].filename, rec[0].lineno) == (__file__, line)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warn_exclusions(10, 10, {})
        warn_exclusions(10, 10, {"rows_missing_outcome": 4})
