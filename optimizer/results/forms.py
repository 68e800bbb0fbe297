"""Detail sheets that always fit (MODEL.md §8): the first form that fits, per sheet.

A detail sheet keeps only the rows with something to read. If those rows, one per
index, period and scenario, would pass ``max_sheet_rows``, the sheet is written per
tree node (``node`` and ``scenarios`` in place of ``scenario``); if that still does
not fit, as probability-weighted expected values per index and period; and should
even that not fit, as the expected rows with the largest amounts, in the table's
order. ``read_me`` says which form each sheet took and why. The complete tables are
the node-form tables of :mod:`optimizer.results.tables`, written to Parquet by
:mod:`optimizer.report.parquet` whenever a sheet was reduced.

Expected values per period: a quantity (tonnes, money) is Σ_n π_n × its value over
the period's nodes (the node probabilities of a period add up to 1); a price, a gap or
a number of days is the probability-weighted mean over the nodes where it is not
blank; a share is recomputed from the expected quantities it divides.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from optimizer.model import components
from optimizer.model.component import table_columns
from optimizer.results.contract import (
    FORM_EXPECTED,
    FORM_LARGEST,
    FORM_NODE,
    FORM_SCENARIO,
    RESULT_SHEETS_BY_NAME,
    ResultSheet,
)
from optimizer.results.tables import DETAIL_KEYS, share
from optimizer.results.tree import Tree

Reading = Callable[[pd.DataFrame], np.ndarray]


def _any(*columns: str) -> Reading:
    """Rows where any of ``columns`` is not 0."""
    return lambda frame: np.logical_or.reduce(
        [frame[c].fillna(0.0).to_numpy() != 0 for c in columns])


def _prices_to_read(frame: pd.DataFrame) -> np.ndarray:
    """§8: price rows where the region has demand for the mineral, a floor applies, or
    something flows in (the ``_demand`` and ``_inflow`` helper columns)."""
    return ((frame["_demand"].to_numpy() > 0) | frame["floor_price_per_t"].notna().to_numpy()
            | (frame["_inflow"].to_numpy() > 0))


TO_READ: dict[str, Reading] = {
    "production": _any("output_t"),
    "flows": _any("flow_t"),
    "stockpiles": _any("level_t", "purchase_t", "release_t"),
    "shortfalls": _any("shortfall_t"),
    "prices": _prices_to_read,
    "dependence": _any("from_members_t", "from_non_members_t"),
}
# The amount by which rows rank when only the largest can be shown.
SIZE: dict[str, Callable[[pd.DataFrame], np.ndarray]] = {
    "production": lambda f: f["output_t"].abs().to_numpy(),
    "flows": lambda f: f["flow_t"].abs().to_numpy(),
    "stockpiles": lambda f: (f["level_t"].abs() + f["purchase_t"].abs()
                             + f["release_t"].abs()).to_numpy(),
    "shortfalls": lambda f: f["shortfall_t"].abs().to_numpy(),
    "prices": lambda f: f["floor_gap_per_t"].fillna(0.0).to_numpy()
    + f["marginal_price_per_t"].abs().fillna(0.0).to_numpy() * 1e-12,
    "dependence": lambda f: (f["from_members_t"] + f["from_non_members_t"]).to_numpy(),
}
# Expected values per period: quantities summed with probabilities, means, and shares
# recomputed from expected quantities (numerator, denominator).
QUANTITIES: dict[str, tuple[str, ...]] = {
    "production": ("output_t", "contract_take_t", "capacity_t"),
    "flows": ("flow_t",),
    "stockpiles": ("level_t", "purchase_t", "release_t", "spend"),
    "shortfalls": ("demand_t", "shortfall_t"),
    "prices": (),
    "dependence": ("from_members_t", "from_non_members_t"),
}
MEANS: dict[str, tuple[str, ...]] = {
    "production": (),
    "flows": ("cost_per_t", "border_adjustment_per_t"),
    "stockpiles": ("cover_days",),
    "shortfalls": (),
    "prices": ("marginal_price_per_t", "market_price_per_t", "floor_price_per_t",
               "floor_gap_per_t", "floor_gap_share", "marginal_below_floor_per_t"),
    "dependence": (),
}


def quantities(name: str) -> tuple[str, ...]:
    """The quantities of detail sheet ``name``: its own, then those the components add."""
    return (*QUANTITIES[name], *(q for c in table_columns(components(), name)
                                 for q in c.quantities))


def means(name: str) -> tuple[str, ...]:
    """The means of detail sheet ``name``: its own, then those the components add."""
    return (*MEANS[name], *(m for c in table_columns(components(), name) for m in c.means))


SHARES: dict[str, tuple[tuple[str, str, str], ...]] = {
    "production": (("utilisation", "output_t", "capacity_t"),),
    "shortfalls": (("share", "shortfall_t", "demand_t"),),
    "dependence": (("non_member_share", "from_non_members_t", "from_members_t+"),),
}


@dataclass(frozen=True)
class SheetForm:
    """A detail sheet as it will be written."""

    sheet: ResultSheet  # its declaration in this form
    form: str  # one of FORMS
    frame: pd.DataFrame  # exactly the form's columns
    complete_rows: int  # rows per scenario of the complete table, zeros included
    readable_rows: int  # rows per scenario with something to read
    node_rows: int  # node rows with something to read
    note: str  # what read_me says of the form

    @property
    def reduced(self) -> bool:
        """Whether the sheet is not the per-scenario form."""
        return self.form != FORM_SCENARIO


def detail_form(name: str, table: pd.DataFrame, tree: Tree, max_rows: int,
                parquet: str) -> SheetForm:
    """The first form of detail sheet ``name`` that fits in ``max_rows``.

    ``table`` is the complete node-form table (with the ``_demand`` and ``_inflow``
    helper columns for ``prices``); ``parquet`` names the file that holds it, for the
    note.
    """
    declared = RESULT_SHEETS_BY_NAME[name]
    nodes = table["node"].to_numpy(dtype=np.int64)
    through = tree.scenario_count(nodes)
    readable = TO_READ[name](table)
    per_scenario, node_rows = int(through[readable].sum()), int(readable.sum())
    complete = int(through.sum())
    counts = dict(complete_rows=complete, readable_rows=per_scenario, node_rows=node_rows)
    what = (f"{per_scenario:,} rows per scenario with something to read (of {complete:,} "
            "with zeros)")
    if per_scenario <= max_rows:
        frame = tree.by_scenario(table[readable])
        return SheetForm(declared, FORM_SCENARIO, _conform(frame, declared), **counts,
                         note=f"Written per scenario: the {what}.")
    where = f"The complete table, one row per index and node: {parquet}."
    too_many = f"The {what} would pass max_sheet_rows ({max_rows:,})"
    if node_rows <= max_rows:
        sheet = declared.in_form(FORM_NODE)
        frame = table[readable].assign(
            scenarios=tree.nodes["scenarios"].to_numpy()[nodes[readable]])
        return SheetForm(sheet, FORM_NODE, _conform(frame, sheet), **counts, note=(
            f"Written per tree node (node and scenarios in place of scenario). {too_many}; "
            f"these are the {node_rows:,} node rows with something to read. {where}"))
    sheet = declared.in_form(FORM_EXPECTED)
    expected = expected_values(name, table, tree)
    expected = expected[TO_READ[name](expected)]
    if len(expected) <= max_rows:
        return SheetForm(sheet, FORM_EXPECTED, _conform(expected, sheet), **counts, note=(
            f"Written as expected values per period (probability-weighted over the "
            f"scenarios; see below for each column). {too_many}, and so would its "
            f"{node_rows:,} node rows; these are the {len(expected):,} expected rows with "
            f"something to read. {where}"))
    largest = np.sort(np.argsort(-SIZE[name](expected), kind="stable")[:max_rows])
    return SheetForm(sheet, FORM_LARGEST, _conform(expected.iloc[largest], sheet), **counts,
                     note=(
        f"Written as the {max_rows:,} largest of {len(expected):,} expected rows per period "
        f"(probability-weighted over the scenarios), in the table's order. {too_many}, and "
        f"so would its {node_rows:,} node rows and its expected rows. {where}"))


def expected_values(name: str, table: pd.DataFrame, tree: Tree) -> pd.DataFrame:
    """Probability-weighted expected values per index and period (see the module)."""
    # the index, the period, and what the index names (a facility's region, …)
    keys = [*DETAIL_KEYS[name], "period", *(
        c for c in table.columns if c not in DETAIL_KEYS[name] and c not in ("period", "node")
        and not pd.api.types.is_numeric_dtype(table[c].dtype))]
    probability = tree.probability[table["node"].to_numpy(dtype=np.int64)]
    work = table[keys].copy()
    for column in quantities(name):
        work[column] = table[column].to_numpy(dtype=float) * probability
    for column in means(name):
        values = table[column].to_numpy(dtype=float)
        present = ~np.isnan(values) & (probability > 0)
        work[column] = np.where(present, values * probability, 0.0)
        work[f"_weight_{column}"] = np.where(present, probability, 0.0)
    if name == "prices":
        for helper in ("_demand", "_inflow"):
            work[helper] = table[helper].to_numpy(dtype=float) * probability
    if name == "production":  # blank where the facility has no contract in any node
        work["_contracted"] = table["contract_take_t"].notna().to_numpy()
        work["contract_take_t"] = np.nan_to_num(work["contract_take_t"].to_numpy())
    grouped = work.groupby(keys, sort=True, observed=True).sum().reset_index()
    for column in means(name):
        weight = grouped.pop(f"_weight_{column}").to_numpy()
        grouped[column] = np.where(weight > 0, grouped[column].to_numpy()
                                   / np.where(weight > 0, weight, 1.0), np.nan)
    if name == "production":
        contracted = grouped.pop("_contracted").to_numpy() > 0
        grouped["contract_take_t"] = np.where(contracted, grouped["contract_take_t"], np.nan)
    for column, part, whole in SHARES.get(name, ()):
        denominator = grouped[whole].to_numpy() if not whole.endswith("+") else \
            grouped[whole[:-1]].to_numpy() + grouped[part].to_numpy()
        grouped[column] = share(grouped[part].to_numpy(), denominator)
    return grouped


def _conform(frame: pd.DataFrame, sheet: ResultSheet) -> pd.DataFrame:
    """``frame`` in exactly the sheet's columns, in their order."""
    return frame[list(sheet.column_names)].reset_index(drop=True)


def expected_note(name: str) -> Mapping[str, str]:
    """How each column of an expected-values sheet was computed, for read_me."""
    notes = {c: "Expected value: Σ over the period's nodes of probability × value."
             for c in quantities(name)}
    notes.update({c: "Probability-weighted mean over the period's nodes where it is not "
                  "blank." for c in means(name)})
    notes.update({c: f"Recomputed from the expected {p} and {w.rstrip('+')}."
                  for c, p, w in SHARES.get(name, ())})
    return notes
