"""Code lists applied to canonical tables: a value outside its column's list is ``uncoded_value``.

Validation calls :func:`apply_codes` once per table (in :func:`effectstudy.data.io.read_table` and
:func:`effectstudy.data.io.read_study`, right after typing).  For every column with a code list
(:func:`effectstudy.core.codes.effective_codes`):

- a value that matches a code ignoring case becomes the declared code;
- any other value is set to missing **in the canonical frame** (the raw file is never modified),
  so it cannot become a group label or an exported field; the row itself is still used;
- each such cell is a problem with rule ``uncoded_value`` and severity ``warning`` **without the
  value** (its ``value`` is ``(not shown)``): it may be free text (a name, a phone number;
  privacy reference VAL-5 and SEC-P5), so
  the message says where it is and how to declare a code, never what it is;
- :func:`uncoded_counts` counts them per table and column for the data flow.

Columns the schema fixes (``care_type``, ``end_reason``: kind ``category``) are checked by the
reader already (``not_allowed``); columns without a code list (declared ``free_text``, or
``therapist`` by default) are left as they are here and refused where they could reach an output
(:func:`effectstudy.core.codes.require_codes`).

>>> import numpy as np, pandas as pd
>>> eps = pd.DataFrame({"diagnosis": pd.Series(["depression", "Anxiety", "depressie mw. X"], dtype="str")})
>>> coded, problems = apply_codes(eps, "episodes", file="episodes.csv", lines=np.array([2, 3, 4]))
>>> coded["diagnosis"].tolist()
['depression', 'anxiety', nan]
>>> problems[["row", "column", "value", "rule", "severity"]].to_dict("records")
[{'row': 4, 'column': 'diagnosis', 'value': '(niet getoond: vrije tekst)', 'rule': 'uncoded_value', 'severity': 'warning'}]
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from effectstudy.core.codes import CODABLE_COLUMNS, CodeList, effective_codes
from effectstudy.core.schema import TABLES
from effectstudy.data.validate import HIDDEN, concat_problems, problems_frame

__all__ = ["UNCODED_RULE", "NOT_SHOWN", "apply_codes", "uncoded_counts"]

#: the problem rule (and flow reason) of a value outside its column's code list
UNCODED_RULE = "uncoded_value"
#: what the problem's ``value`` shows instead of the value (validation hides free text; only
#: ``effectstudy validate --show-identifiers`` shows it, for the practice's data manager)
NOT_SHOWN = HIDDEN["free_text"]


def _expected(cl: CodeList) -> str:
    shown = ", ".join(cl.codes[:12]) + (", ..." if len(cl.codes) > 12 else "")
    return (f"a code of {cl.column} ({shown}); the value is not shown because it may be free text "
            f"(a name, a phone number). The value is left out of groups and exports. If it is a valid "
            f"category, declare it as a code under data.codes.{cl.column} in the params")


def apply_codes(
    df: pd.DataFrame,
    table: str,
    *,
    file: str,
    lines: np.ndarray,
    codes: Mapping[str, CodeList | None] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Map the coded columns of ``df`` onto their code lists; uncoded values become missing.

    Parameters
    ----------
    df : DataFrame
        A typed canonical table (one row per source line, in the order of ``lines``).
    table : {"episodes", "measurements", "satisfaction"}
        Which table ``df`` is.
    file : str
        File name for the problems.
    lines : ndarray
        Source line (or record) number of each row.
    codes : mapping, optional
        :func:`effectstudy.core.codes.effective_codes` (default: the package's lists).

    Returns
    -------
    (DataFrame, DataFrame)
        A copy of ``df`` with coded values (only when something changed; else ``df`` itself) and
        the ``uncoded_value`` problems (severity ``warning``, column named, value ``(not shown)``).
    """
    codes = effective_codes() if codes is None else codes
    spec = TABLES[table]
    lines = np.asarray(lines, dtype=np.int64)
    out, problems = df, []
    for col, home in CODABLE_COLUMNS.items():
        cl = codes.get(col)
        if home != table or cl is None or col not in df.columns or spec.column(col).kind != "str":
            continue
        coded, uncoded = cl.match(df[col])
        if out is df:
            out = df.copy(deep=False)  # copy-on-write: the other columns are not copied
        out[col] = coded
        if uncoded.any():
            problems.append(problems_frame(file, lines[uncoded], col, df[col][uncoded].to_numpy(dtype=object), UNCODED_RULE, _expected(cl), "warning"))
    return out, concat_problems(problems)


def uncoded_counts(problems: pd.DataFrame, files: Mapping[str, str]) -> pd.DataFrame:
    """Cells set to missing per table and column: ``table``, ``column``, ``n`` (``uncoded_value``).

    ``files`` maps table -> file name (:attr:`ValidationReport.files`).
    """
    p = problems[problems["rule"] == UNCODED_RULE] if len(problems) else problems
    table_of = {f: t for t, f in files.items()}
    if not len(p):
        return pd.DataFrame({"table": pd.Series([], dtype="str"), "column": pd.Series([], dtype="str"),
                             "n": pd.Series([], dtype="int64")})
    g = p.groupby(["file", "column"], sort=False).size().rename("n").reset_index()
    g.insert(0, "table", g["file"].map(table_of).fillna(g["file"]))
    return g[["table", "column", "n"]].astype({"table": "str", "column": "str", "n": "int64"})
