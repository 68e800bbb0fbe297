"""Pure tables from a solved outcome (MODEL.md §8): what the results workbook, the
Parquet detail and the PDF show, computed once, from arrays.

    Outcome ─ accounting (money) ─ tables (complete detail, by node) ─ forms (what fits)
            ─ summary, scenarios, burden, sensitivity, headlines, charts ─> Results

Every table is tidied once, here (:mod:`optimizer.results.tidy`): money to whole units,
solver noise as 0.

Nothing here writes a file (that is :mod:`optimizer.report`) or reads a modelling
object: values and duals come from the solution by the layout's blocks, money from the
cost index the model compiled. The report sheets (burden, headlines, charts) are built
from the complete tables, never from the reduced sheets.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from optimizer.model.derive import PRODUCTS
from optimizer.pipeline import Outcome
from optimizer.results.accounting import Accounts
from optimizer.results.burden import burden
from optimizer.results.charts import chart_data
from optimizer.results.contract import HEDGING_STATUS, NO_DUALS_NOTE, RESULT_SHEETS_BY_NAME
from optimizer.results.forms import SheetForm, detail_form, expected_note
from optimizer.results.headlines import headlines
from optimizer.results.information import ValueOfInformation
from optimizer.results.keys import positions
from optimizer.results.sensitivity import sensitivity
from optimizer.results.summary import (
    Provenance,
    hedging_figures,
    information_figures,
    read_me,
    scenarios,
    summary,
    value_of_information,
    warnings,
)
from optimizer.results.tables import (
    DETAIL_SHEETS,
    Solved,
    detail_tables,
    expansions,
    plain,
    reported_figures,
)
from optimizer.results.tidy import tidy
from optimizer.results.tree import Tree
from optimizer.stopping import checkpoint

__all__ = ["Provenance", "Results", "collect"]


@dataclass
class Results:
    """Everything one optimal run reports."""

    outcome: Outcome
    accounts: Accounts
    tree: Tree
    detail: dict[str, pd.DataFrame]  # complete detail tables, one row per index and node
    sheets: dict[str, pd.DataFrame]  # every other sheet, in its declared columns
    forms: dict[str, SheetForm] = field(default_factory=dict)  # detail sheets as written
    detail_requested: bool = False  # --detail: the Parquet detail even when all fit

    @property
    def writes_detail(self) -> bool:
        """Whether the complete tables go to Parquet: asked for, or a sheet was reduced."""
        return self.detail_requested or any(f.reduced for f in self.forms.values())

    def by_scenario(self, name: str) -> pd.DataFrame:
        """The complete per-scenario table of a detail sheet (zero rows included), in
        its declared columns: what MODEL.md §8 declares the sheet to be."""
        return self._by_scenario[name]

    @cached_property
    def _by_scenario(self) -> dict[str, pd.DataFrame]:
        return {
            name: plain(self.tree.by_scenario(table)[
                list(RESULT_SHEETS_BY_NAME[name].column_names)])
            for name, table in self.detail.items()
        }

    def complete(self) -> dict[str, pd.DataFrame]:
        """Every sheet complete and per scenario: the detail sheets as
        :meth:`by_scenario`, the others as written."""
        return {**self.sheets, **{name: self.by_scenario(name) for name in DETAIL_SHEETS}}

    def workbook(self) -> dict[str, pd.DataFrame]:
        """Every table as the workbook holds it: detail sheets in their form."""
        return {**self.sheets, **{name: f.frame for name, f in self.forms.items()}}


def collect(
    outcome: Outcome,
    provenance: Provenance,
    information: ValueOfInformation | None = None,
    *,
    detail_requested: bool = False,
    max_sheet_rows: int | None = None,
    policy: pd.DataFrame | None = None,
) -> Results:
    """Every results table of an optimal ``outcome``.

    ``provenance`` is what the outcome cannot know (input, timing, where the Parquet
    detail goes); ``information``, when the run computed it, adds its figures and
    sheet; ``policy``, the policy comparison's sheet when the run computed it
    (:func:`optimizer.sweep.policy.policy_sheet`), is added and read by the headlines;
    ``max_sheet_rows`` overrides the setting. Raises ``ValueError`` unless the outcome
    is optimal.
    """
    solution = outcome.solution
    if not outcome.optimal or solution.values is None or solution.objective is None:
        raise ValueError(f"no results without an optimal solution (status: {solution.status})")
    data, derived = outcome.data, outcome.derived
    settings = data.settings
    accounts = Accounts(derived, outcome.lp, solution.values)
    tree = accounts.tree  # one tree for the money and the tables
    solved = Solved(derived, outcome.lp, solution, tree)
    currency = settings.currency
    detail = {name: tidy(table, RESULT_SHEETS_BY_NAME[name], currency)
              for name, table in detail_tables(solved).items()}
    checkpoint()  # a signal stops the run between the long steps (optimizer.stopping)
    results = Results(outcome, accounts, tree, detail, {}, detail_requested=detail_requested)
    limit = settings.max_sheet_rows if max_sheet_rows is None else max_sheet_rows
    results.forms = {
        name: detail_form(name, _with_helpers(name, table, detail), tree, limit,
                          f"{provenance.detail_folder or '<results>_detail'}/{name}.parquet")
        for name, table in detail.items()
    }
    folder = provenance.detail_folder if results.writes_detail else ""
    sheets: dict[str, pd.DataFrame] = {
        "summary": summary(data, accounts, float(solution.objective), outcome.lp.size,
                           solution.solve_seconds,
                           Provenance(provenance.input_path, provenance.input_sha256,
                                      provenance.total_seconds, folder, provenance.warnings),
                           reported_figures(solved),
                           (solution.max_primal_infeasibility,
                            solution.max_dual_infeasibility)),
        "scenarios": scenarios(data, tree, accounts, detail),
        "expansions": expansions(solved),
    }
    if provenance.warnings:
        sheets["warnings"] = warnings(provenance.warnings)
    results.sheets = sheets  # the report sheets below read it, complete, as it grows
    checkpoint()
    sheets["burden"] = burden(outcome, accounts, detail)
    sheets["sensitivity"], sensitivity_note = _largest_duals(sensitivity(outcome), limit)
    if policy is not None:
        sheets["policy"] = policy
    checkpoint()
    complete = results.complete()
    sheets["headlines"] = headlines(outcome, complete)
    sheets["chart_data"] = chart_data(outcome, complete)
    if solution.bounds is not None:  # progressive hedging: implementable, not optimal
        frame = sheets["summary"]
        frame.loc[frame["figure"] == "status", "value"] = HEDGING_STATUS
        sheets["summary"] = pd.concat(
            [frame, hedging_figures(solution.bounds, settings.currency)], ignore_index=True)
    if information is not None:
        sheets["summary"] = pd.concat(
            [sheets["summary"], information_figures(information, settings.currency)],
            ignore_index=True)
        sheets["value_of_information"] = value_of_information(information)
    notes = {
        name: (form.sheet, form.note, expected_note(name) if form.form in (
            "expected", "largest") else {})
        for name, form in results.forms.items()
    }
    if solution.duals is not None and len(solution.duals) and np.isnan(solution.duals).all():
        sheet, note, columns = notes["prices"]  # an mpi-sppy engine: no duals
        notes["prices"] = (sheet, note, {**columns, "marginal_price_per_t": NO_DUALS_NOTE})
    if sensitivity_note:
        notes["sensitivity"] = (RESULT_SHEETS_BY_NAME["sensitivity"], sensitivity_note, {})
    sheets["read_me"] = read_me(settings.currency, settings.risk_weight, settings.cvar_alpha,
                                notes)
    results.sheets = {name: tidy(conform(name, frame), RESULT_SHEETS_BY_NAME[name], currency)
                      for name, frame in sheets.items()}
    results.forms = {name: dataclasses.replace(form, frame=tidy(form.frame, form.sheet,
                                                                currency))
                     for name, form in results.forms.items()}
    return results


def _largest_duals(frame: pd.DataFrame, limit: int) -> tuple[pd.DataFrame, str]:
    """The sensitivity sheet within ``limit`` rows: when more limits bind, those whose
    duals are largest in size, in the sheet's order; and the note that says so."""
    if len(frame) <= limit:
        return frame, ""
    kept = np.sort(np.argsort(-frame["dual"].abs().to_numpy(), kind="stable")[:limit])
    return frame.iloc[kept].reset_index(drop=True), (
        f"{len(frame):,} limits bind, more than max_sheet_rows ({limit:,}): these are the "
        f"{limit:,} whose duals are largest in size, in the sheet's order.")


def conform(sheet: str, frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` in exactly the declared columns of ``sheet``, in their order."""
    columns = list(RESULT_SHEETS_BY_NAME[sheet].column_names)
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{sheet}: columns {missing} were not computed")
    return frame[columns].reset_index(drop=True)


def _with_helpers(name: str, table: pd.DataFrame,
                  detail: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """The prices table with what decides whether a row is worth reading (§8): the
    region's demand for the mineral and what flows in, at the node."""
    if name != "prices":
        return table
    regions = list(table["region"].cat.categories)
    minerals = list(table["mineral"].cat.categories)
    nodes = int(max(table["node"].max(), detail["shortfalls"]["node"].max(),
                    detail["flows"]["node"].max(), 0)) + 1 if len(table) else 1
    demand = np.zeros((len(regions), len(minerals), nodes))
    short = detail["shortfalls"]
    np.add.at(demand, (positions(short["region"].array, regions),
                       positions(short["mineral"].array, minerals),
                       short["node"].to_numpy()), short["demand_t"].to_numpy())
    inflow = np.zeros((len(regions), len(minerals), len(PRODUCTS), nodes))
    flows = detail["flows"]
    np.add.at(inflow, (positions(flows["destination"].array, regions),
                       positions(flows["mineral"].array, minerals),
                       positions(flows["stage"].array, PRODUCTS), flows["node"].to_numpy()),
              flows["flow_t"].to_numpy())
    region = positions(table["region"].array, regions)
    mineral = positions(table["mineral"].array, minerals)
    node = table["node"].to_numpy()
    return table.assign(
        _demand=demand[region, mineral, node],
        _inflow=inflow[region, mineral, positions(table["stage"].array, PRODUCTS), node],
    )
