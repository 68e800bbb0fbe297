"""Tiny cases for the model tests, written compactly.

:func:`case` takes only the sheets that matter to a test, fills the other required
sheets with one plain row each, writes the workbook with :func:`tests.cases.write_tables`
and returns the validated model data. :func:`solved` runs it and insists on an optimum.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from optimizer.data import ModelData
from optimizer.pipeline import Outcome, optimize
from optimizer.solve.highs import SolverOptions
from optimizer.workbook.validation import load
from tests.cases import write_tables

Records = Sequence[Mapping[str, Any]]


def case(
    folder: Path,
    *,
    settings: Mapping[str, Any] | None = None,
    regions: Mapping[str, bool] | None = None,
    minerals: Mapping[str, float] | None = None,
    periods: Mapping[str, float] | None = None,
    name: str = "case.xlsx",
    **sheets: Records,
) -> ModelData:
    """The model data of a workbook made of ``sheets`` plus the required ones.

    ``settings`` maps keys to values; ``regions`` maps a region to whether it is a zone
    member (default: one member ``M``); ``minerals`` maps a mineral to its shortfall
    penalty (default: ``m`` at 1e6); ``periods`` maps a period to its years in time
    order (default: one period ``p1`` of one year). ``facilities`` and ``demand`` must
    not be empty, so every test passes them. ``name`` is the workbook's file name in
    ``folder``.
    """
    tables: dict[str, Records] = {
        "settings": [{"key": k, "value": v} for k, v in (settings or {}).items()],
        "regions": [
            {"region": r, "zone_member": "yes" if member else "no"}
            for r, member in (regions or {"M": True}).items()
        ],
        "minerals": [
            {"mineral": m, "shortfall_penalty_per_t": penalty}
            for m, penalty in (minerals or {"m": 1e6}).items()
        ],
        "periods": [{"period": p, "years": y} for p, y in (periods or {"p1": 1.0}).items()],
        "facilities": [],
        "demand": [],
    }
    tables.update(sheets)
    path = write_tables(folder / name, tables, headers={"settings": ("key", "value")})
    data, _ = load(path)
    return data


def solved(data: ModelData) -> Outcome:
    """``optimize`` with default options; fails the test unless the optimum was found."""
    outcome = optimize(data, SolverOptions())
    assert outcome.solution.status == "optimal", outcome.solution.message
    return outcome


def at(outcome: Outcome, scenario: str, period: int) -> int:
    """The node id of ``scenario`` in period index ``period``."""
    return outcome.derived.tree.paths[scenario][period]


def yield_of(value: float) -> dict[str, Any]:
    """The ``yield`` column, which as a Python keyword cannot be passed by name."""
    return {"yield": value}


def facility(name: str, region: str, capacity_t: float, unit_cost_per_t: float = 0.0,
             stage: str = "recycle", mineral: str = "m", **columns: Any) -> dict[str, Any]:
    """A ``facilities`` record (a recycler of ``m`` unless told otherwise)."""
    return {"facility": name, "region": region, "mineral": mineral, "stage": stage,
            "capacity_t": capacity_t, "unit_cost_per_t": unit_cost_per_t, **columns}


def route(origin: str, destination: str, cost_per_t: float = 0.0, stage: str = "refined",
          mineral: str = "m", **columns: Any) -> dict[str, Any]:
    """A ``routes`` record for refined ``m`` unless told otherwise."""
    return {"origin": origin, "destination": destination, "mineral": mineral, "stage": stage,
            "cost_per_t": cost_per_t, **columns}


def demand(region: str, demand_t: float, mineral: str = "m", period: str = "*") -> dict[str, Any]:
    """A ``demand`` record, every period unless told otherwise."""
    return {"region": region, "mineral": mineral, "period": period, "demand_t": demand_t}


def scenarios(**probability: float) -> list[dict[str, Any]]:
    """``scenarios`` records from name=probability pairs, in the order given."""
    return [{"scenario": s, "probability": p} for s, p in probability.items()]
