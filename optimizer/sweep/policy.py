"""What the policy instruments cost and buy (``optimizer run --compare-policy``).

The *policy package* is the zone's floors, stockpiles and expansion finance. The case
is solved again, as sweep points of the same input, with instruments switched off:
each alone (``without_floors``, ``without_stockpiles``, ``without_expansions``) and
all at once (``baseline``); an instrument the case does not have is not switched.
Switching off means:

- floors: every price row without a floor (no border floor gap, no price-gap
  support; tariffs stay);
- stockpiles: no stockpile (no purchases, releases or holding; the budget binds
  nothing);
- expansions: every financed facility's ``expandable_t`` set to 0 (no new capacity, no
  capex). Committed capacity (expandable at capex 0, :attr:`optimizer.data.Facility.
  committed`) is not the zone's finance and stays.

Offtakes, tariffs, origin rules, the scenarios and everything else stay as the input
has them. Each run is reduced to the sweep's figures (:func:`optimizer.sweep.engine.
figures`) and, per mineral, the expected non-member share of zone supply over the
horizon; the ``policy`` sheet (:func:`policy_sheet`) sets the package against each.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from optimizer.data import ModelData
from optimizer.pipeline import Outcome, optimize
from optimizer.results.accounting import Accounts
from optimizer.results.tables import Solved, dependence, flows, stockpiles
from optimizer.results.tree import Tree
from optimizer.solve.highs import SolverOptions
from optimizer.sweep.engine import Figures, figures

PACKAGE = "package"  # the run as solved, every instrument in force
BASELINE = "baseline"  # every instrument the case has switched off
ALL = "all"  # the mineral column's row for every mineral together
INSTRUMENTS: tuple[str, ...] = ("floors", "stockpiles", "expansions")

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Variant:
    """A run of the case with ``off`` switched off."""

    name: str
    off: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PolicyComparison:
    """Each run's figures (:func:`run_figures`), the package's first, by run name."""

    variants: tuple[Variant, ...]  # the package first (nothing off)
    found: dict[str, Figures]


def instruments(data: ModelData) -> tuple[str, ...]:
    """The instruments the case has, in :data:`INSTRUMENTS` order."""
    has = {
        "floors": any(p.floor_price_per_t is not None for p in data.prices),
        "stockpiles": bool(data.stockpiles),
        "expansions": any(f.financed for f in data.facilities),
    }
    return tuple(i for i in INSTRUMENTS if has[i])


def variants(data: ModelData) -> tuple[Variant, ...]:
    """The package, each instrument alone switched off (when the case has more than
    one), and the baseline without any; only the package when it has none."""
    present = instruments(data)
    found = [Variant(PACKAGE, ())]
    if len(present) > 1:
        found += [Variant(f"without_{i}", (i,)) for i in present]
    if present:
        found.append(Variant(BASELINE, present))
    return tuple(found)


def switched_off(data: ModelData, off: Sequence[str]) -> ModelData:
    """``data`` with the instruments ``off`` switched off (see the module)."""
    if "floors" in off:
        data = replace(data, prices=tuple(replace(p, floor_price_per_t=None)
                                          for p in data.prices))
    if "stockpiles" in off:
        data = replace(data, stockpiles=())
    if "expansions" in off:
        data = replace(data, facilities=tuple(replace(f, expandable_t=0.0) if f.financed
                                              else f for f in data.facilities))
    return data


def compare_policy(outcome: Outcome, options: SolverOptions,
                   on_done: Callable[[str], None] | None = None) -> PolicyComparison:
    """Solve every variant of ``outcome``'s case but the package (the outcome itself)
    with ``options``, and reduce each to its figures."""
    chosen = variants(outcome.data)
    found = {PACKAGE: run_figures(outcome)}
    for variant in chosen[1:]:
        logging.disable(logging.INFO)  # each run's stage timings are not the run's own
        try:
            solved = optimize(switched_off(outcome.data, variant.off), options)
        finally:
            logging.disable(logging.NOTSET)
        found[variant.name] = run_figures(solved)
        log.info("policy comparison: %s (%s switched off): %s", variant.name,
                 ", ".join(variant.off), found[variant.name]["status"])
        if on_done is not None:
            on_done(variant.name)
    return PolicyComparison(chosen, found)


def run_figures(outcome: Outcome) -> Figures:
    """The sweep's figures of a run, with ``expected_cost`` (Σ of the expected cost
    components, MODEL.md §7) and, per mineral, ``non_member_share_<mineral>``: Σ_n π_n ×
    non-member supply ÷ Σ_n π_n × zone supply over the dependence sheet's rows (NaN
    where the zone gets none)."""
    found = figures(outcome)
    if found["status"] != "optimal":
        return found
    assert outcome.solution.values is not None
    accounts = Accounts(outcome.derived, outcome.lp, outcome.solution.values)
    found["expected_cost"] = float(accounts.expected_costs.sum())
    solved = Solved(outcome.derived, outcome.lp, outcome.solution, Tree(outcome.derived))
    rows = dependence(solved, stockpiles(solved), flows(solved))
    weight = np.array([n.probability for n in outcome.derived.tree.nodes])[
        rows["node"].to_numpy()]
    mineral = rows["mineral"].astype(str).to_numpy()
    outside = pd.Series(weight * rows["from_non_members_t"].to_numpy()).groupby(mineral).sum()
    supply = pd.Series(weight * (rows["from_members_t"] + rows["from_non_members_t"])
                       .to_numpy()).groupby(mineral).sum()
    for m in outcome.data.minerals:
        total = float(supply.get(m.mineral, 0.0))
        found[f"non_member_share_{m.mineral}"] = (
            float(outside.get(m.mineral, 0.0)) / total if total > 0 else np.nan)
    return found


def policy_sheet(comparison: PolicyComparison, minerals: Sequence[str]) -> pd.DataFrame:
    """The ``policy`` sheet: per run, a row for all minerals together (costs and total
    shortfall), then one per mineral (shortfall and dependence); each set against the
    package (columns defined in :mod:`optimizer.results.contract`)."""
    package = comparison.found[PACKAGE]
    rows = []
    for variant in comparison.variants:
        run = comparison.found[variant.name]
        base = {"run": variant.name, "switched_off": ", ".join(variant.off),
                "status": str(run["status"])}
        short = {m: _number(run, f"shortfall_{m}") for m in minerals}
        rows.append({**base, "mineral": ALL, "expected_cost": _number(run, "expected_cost"),
                     "package_extra_cost": _number(package, "expected_cost")
                     - _number(run, "expected_cost"),
                     "expected_shortfall_t": sum(short.values()),
                     "shortfall_avoided_t": sum(short.values()) - sum(
                         _number(package, f"shortfall_{m}") for m in minerals),
                     "non_member_share": np.nan, "dependence_reduced": np.nan})
        for m in minerals:
            share = _number(run, f"non_member_share_{m}")
            rows.append({**base, "mineral": m, "expected_cost": np.nan,
                         "package_extra_cost": np.nan, "expected_shortfall_t": short[m],
                         "shortfall_avoided_t": short[m] - _number(package, f"shortfall_{m}"),
                         "non_member_share": share,
                         "dependence_reduced": share
                         - _number(package, f"non_member_share_{m}")})
    return pd.DataFrame(rows)


def _number(run: Figures, figure: str) -> float:
    """A figure of a run as a number; NaN when the run has none (not optimal)."""
    value = run.get(figure)
    return float(value) if isinstance(value, int | float) else np.nan
