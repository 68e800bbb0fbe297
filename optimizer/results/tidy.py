"""Tidy numbers: what the results show, free of solver noise (MODEL.md §8).

Applied once, to every table :func:`optimizer.results.collect` makes, before anything
reads or writes them: money rounds to whole units of the currency, any other number
closer to 0 than :data:`NOISE` is 0, and −0 is 0. Blanks (NaN) stay blank; text, whole
numbers and yes/no are left alone. Which numbers are money comes from the results
contract: a column in the ``MONEY`` format, or, in a column whose unit is
``see unit``, a row whose own ``unit`` is the currency (summary figures, headlines,
chart points, budget rows of the sensitivity sheet).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimizer.results.contract import MONEY, TEXT, ResultSheet, unit_text

NOISE = 1e-6  # a result closer to 0 than this (t, t/yr, per t, days, share) is noise
SEE_UNIT = "see unit"


def tidy_values(values: np.ndarray, money: np.ndarray | bool) -> np.ndarray:
    """``values`` tidied: money (where ``money``) to whole units, the rest with noise
    as 0; −0 as 0 and NaN kept."""
    quiet = np.where(np.abs(values) < NOISE, 0.0, values)
    tidied: np.ndarray = np.where(money, np.round(values), quiet) + 0.0  # + 0.0: −0 → 0
    return tidied


def tidy(frame: pd.DataFrame, sheet: ResultSheet, currency: str) -> pd.DataFrame:
    """``frame`` (a table of ``sheet``, in any of its forms) with every number tidied;
    columns the sheet does not declare (helpers, ``node``) are left as they are."""
    declared = {c.name: c for c in sheet.columns}
    changed: dict[str, np.ndarray | pd.Series] = {}
    for name in frame.columns:
        column = declared.get(str(name))
        if column is None:
            continue
        if column.unit == SEE_UNIT and "unit" in frame.columns:
            money: np.ndarray | bool = (frame["unit"] == unit_text("{currency}", currency)) \
                .to_numpy(dtype=bool)
        else:
            money = column.number_format == MONEY
        values = frame[name]
        if pd.api.types.is_float_dtype(values.dtype):
            changed[str(name)] = tidy_values(values.to_numpy(dtype=float), money)
        elif values.dtype == object and column.number_format != TEXT:  # not names
            changed[str(name)] = _tidy_objects(values, money)
    return frame.assign(**changed) if changed else frame


def _tidy_objects(values: pd.Series, money: np.ndarray | bool) -> pd.Series:
    """A column of mixed cells (a summary's values): only its floats are tidied."""
    is_money = np.broadcast_to(np.asarray(money, dtype=bool), (len(values),))
    cells = [
        float(tidy_values(np.array([v]), bool(m))[0]) if isinstance(v, float) else v
        for v, m in zip(values.tolist(), is_money.tolist(), strict=True)
    ]
    return pd.Series(cells, index=values.index, dtype=object)
