"""The ``summary``, ``scenarios``, ``read_me`` and value-of-information sheets.

Pure: money from :class:`~optimizer.results.accounting.Accounts`, tonnes from the
node-form detail tables, texts from :mod:`optimizer.results.contract`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from optimizer import __version__
from optimizer.data import ModelData
from optimizer.model import COST_COMPONENTS
from optimizer.results.accounting import Accounts, clean
from optimizer.results.contract import (
    CHART_KINDS,
    CHARTS_SHEET,
    FIGURES,
    HEDGING_FIGURES,
    INFORMATION_FIGURES,
    MARGINAL_PRICE_RISK_NOTE,
    RESULT_SHEETS,
    ResultSheet,
    unit_text,
)
from optimizer.results.tables import share
from optimizer.results.tree import Tree
from optimizer.workbook.problems import Problem

if TYPE_CHECKING:  # information.py solves sub-problems with the pipeline
    from optimizer.results.information import ValueOfInformation
    from optimizer.solve.highs import Bounds


@dataclass(frozen=True)
class Provenance:
    """What the outcome cannot know about its own run."""

    input_path: Path | str
    input_sha256: str
    total_seconds: float
    detail_folder: str = ""  # where the Parquet detail goes, when it is written
    warnings: tuple[Problem, ...] = ()  # the warnings on the input, in their order


def summary(data: ModelData, accounts: Accounts, objective: float, size: tuple[int, int],
            solve_seconds: float, provenance: Provenance,
            reported: Mapping[str, float] | None = None,
            infeasibility: tuple[float, float] = (float("nan"), float("nan")),
            ) -> pd.DataFrame:
    """The ``summary`` sheet: one row per declared figure; ``reported`` holds the
    figures the components report, by name; ``infeasibility`` HiGHS's largest primal
    and dual infeasibilities (blank when unknown)."""
    settings = data.settings
    expected = accounts.expected_costs
    total = float(expected.sum())
    values: dict[str, object] = {
        "status": "optimal",
        "warnings": len(provenance.warnings),
        "objective": objective,
        **{name: float(clean(np.array([expected[name]]))[0]) for name in COST_COMPONENTS},
        "expected_cost": total,
        "zone_net_cost": total - accounts.border_into_zone,
        "cvar": accounts.cvar,
        "risk_weight": settings.risk_weight,
        "cvar_alpha": settings.cvar_alpha,
        "variables": size[0],
        "constraints": size[1],
        "solve_seconds": solve_seconds,
        "max_primal_infeasibility": infeasibility[0],
        "max_dual_infeasibility": infeasibility[1],
        "total_seconds": provenance.total_seconds,
        "input_file": str(provenance.input_path),
        "input_sha256": provenance.input_sha256,
        "version": __version__,
        "detail_folder": provenance.detail_folder,
        "max_sheet_rows": settings.max_sheet_rows,
        **(reported or {}),
    }
    return figures_frame(FIGURES, values, settings.currency)


def figures_frame(figures: tuple, values: Mapping[str, object],  # type: ignore[type-arg]
                  currency: str) -> pd.DataFrame:
    """Rows of figures (name, value, unit, meaning); a value that is not a finite
    number or a text is left blank."""
    shown = [v if not isinstance(v, float) or np.isfinite(v) else np.nan
             for v in (values[f.name] for f in figures)]
    return pd.DataFrame({
        "figure": [f.name for f in figures],
        "value": pd.Series(shown, dtype=object),
        "unit": [unit_text(f.unit, currency) for f in figures],
        "meaning": [f.meaning for f in figures],
    })


def scenarios(data: ModelData, tree: Tree, accounts: Accounts,
              detail: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """The ``scenarios`` sheet: cost, unmet demand and dependence along each path."""
    nodes = len(tree.derived.tree.nodes)
    short = detail["shortfalls"]
    unmet = np.bincount(short["node"].to_numpy(dtype=np.int64),
                        weights=short["shortfall_t"].to_numpy(), minlength=nodes)
    supply = detail["dependence"]
    node = supply["node"].to_numpy(dtype=np.int64)
    inside = np.bincount(node, weights=supply["from_members_t"].to_numpy(), minlength=nodes)
    outside = np.bincount(node, weights=supply["from_non_members_t"].to_numpy(),
                          minlength=nodes)
    on_path = tree.on_path.astype(float)
    along_out, along_in = on_path @ outside, on_path @ inside
    periods = [p.period for p in data.periods]
    leaves = [tree.derived.tree.leaves_trunk(s.scenario) for s in data.scenarios]
    frame = pd.DataFrame({
        "scenario": [s.scenario for s in data.scenarios],
        "description": [s.description for s in data.scenarios],
        "probability": [s.probability for s in data.scenarios],
        "leaves_trunk": [None if t is None else periods[t] for t in leaves],
        "shortfall_t": clean(on_path @ unmet),
        "non_member_share": share(along_out, along_in + along_out),
    })
    costs = accounts.scenario_costs.reset_index(names="scenario")
    return frame.merge(costs, on="scenario", how="left")


def warnings(problems: tuple[Problem, ...]) -> pd.DataFrame:
    """The ``warnings`` sheet: each warning on the input where it is, with its message
    and the value found."""
    return pd.DataFrame({
        "sheet": [p.sheet for p in problems],
        "row": pd.array([p.row for p in problems], dtype="Int64"),
        "column": [p.column or "" for p in problems],
        "message": [p.message if p.found is None else f"{p.message} ({p.found})"
                    for p in problems],
    }, columns=["sheet", "row", "column", "message"])


def information_figures(information: ValueOfInformation, currency: str) -> pd.DataFrame:
    """The summary rows of the value of information (rp, eev, ws, vss, evpi and a note);
    an infinite or uncomputed value is left blank, the note says why."""
    values: dict[str, object] = {
        "rp": information.rp, "eev": information.eev, "ws": information.ws,
        "vss": information.vss, "evpi": information.evpi,
        "information_note": " ".join(information.notes),
    }
    return figures_frame(INFORMATION_FIGURES, values, currency)


def hedging_figures(bounds: Bounds, currency: str) -> pd.DataFrame:
    """The summary rows of progressive hedging's bounds and gap."""
    values: dict[str, object] = {
        "ph_lower_bound": bounds.lower, "ph_upper_bound": bounds.upper,
        "ph_relative_gap": bounds.gap, "ph_iterations": bounds.iterations,
    }
    return figures_frame(HEDGING_FIGURES, values, currency)


def value_of_information(information: ValueOfInformation) -> pd.DataFrame:
    """The ``value_of_information`` sheet: each scenario's cost under the three plans."""
    return pd.DataFrame(
        [(s.scenario, s.probability, s.wait_and_see_cost, s.eev_cost, s.rp_cost)
         for s in information.scenarios],
        columns=["scenario", "probability", "wait_and_see_cost", "eev_cost", "rp_cost"],
    )


def read_me(currency: str, risk_weight: float, cvar_alpha: float,
            forms: Mapping[str, tuple[ResultSheet, str, Mapping[str, str]]]) -> pd.DataFrame:
    """The ``read_me`` sheet: every sheet and column written, explained.

    ``forms`` gives, for each detail sheet, its declaration as written, the note on the
    form it took, and notes on how its columns were computed in that form.
    """
    rows: list[tuple[str, str, str, str]] = [
        ("read_me", "", "Results of one optimizer run. Money is in "
         f"{currency}; t are tonnes; periods appear by name. A node of the scenario tree "
         "is shared by the scenarios that cannot yet be told apart; its results repeat "
         "under each of them, so every scenario reads as a complete plan. Filter any "
         "table on scenario to read one plan. Detail sheets keep the rows with something "
         "to read; a sheet too long for max_sheet_rows is written per tree node or as "
         "expected values, and the complete tables go to Parquet beside the workbook "
         "(detail_folder on the summary). Each sheet's row says which form it took.", ""),
    ]
    for declared in RESULT_SHEETS:
        sheet, note, column_notes = forms.get(declared.name, (declared, "", {}))
        what = f"One row per {sheet.row}. " if sheet.columns else ""  # charts: no rows
        rows.append((sheet.name, "", what + sheet.meaning + (" " + note if note else ""), ""))
        if sheet is CHARTS_SHEET:
            rows += [(sheet.name, kind.name, kind.meaning, unit_text(kind.unit, currency))
                     for kind in CHART_KINDS]
        for column in sheet.columns:
            meaning = column.read_me_meaning
            if column.name == "marginal_price_per_t" and risk_weight > 0:
                meaning += MARGINAL_PRICE_RISK_NOTE.format(risk_weight=risk_weight,
                                                           cvar_alpha=cvar_alpha)
            if column.name in column_notes:
                meaning += " " + column_notes[column.name]
            rows.append((sheet.name, column.name, meaning, unit_text(column.unit, currency)))
    return pd.DataFrame(rows, columns=["sheet", "column", "meaning", "unit"])
