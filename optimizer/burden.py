"""Who pays (the ``burden`` results sheet): money each member region, and the zone,
pays under the plan, per scenario and in expectation.

Pure: built from the outcome and the results tables already computed (``flows``,
``production``, ``prices``, ``stockpiles``), so each figure agrees with the sheet a
planner would check it on. Amounts are discounted as the objective discounts them:
along a scenario's path Σ_t δ_t × amount; ``expected`` is Σ_s p_s × the scenario's
figure. The columns are defined once, in :mod:`optimizer.results_contract`.

Border adjustments, take-or-pay payments and capex split cost components of the
objective (the zone's border adjustments are those paid on routes into members, the
``summary``'s expected_cost − zone_net_cost; its contract payments are contract_cost;
its capex is capex). Price-gap support and stockpile spending lie outside the objective.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping

import numpy as np
import pandas as pd

from optimizer.derive import PRODUCT_OF_STAGE
from optimizer.model.terms import COST_COMPONENTS, FIRST_STAGE_NODE
from optimizer.pipeline import Outcome

EXPECTED = "expected"  # the scenario column's probability-weighted rows
ZONE = "zone"  # the region column's whole-zone rows
AMOUNTS: tuple[str, ...] = (
    "border_tariff",
    "border_floor_gap",
    "price_gap_support",
    "stockpile_spending",
    "contract_payments",
    "capex",
)
# Market payments count for members only; the zone's own instruments (offtakes,
# expansions, stockpiles) count for the zone wherever they sit.
ZONE_WIDE: frozenset[str] = frozenset({"stockpile_spending", "contract_payments", "capex"})

TINY = 1e-9  # as the other sheets: smaller amounts are solver noise, shown as 0

Amounts = defaultdict[tuple[str, str, str], float]  # (scenario, region, amount) -> money


def burden(outcome: Outcome, sheets: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """The ``burden`` sheet: ``expected`` rows first, then each scenario's; within
    each, the member regions in input order, then ``zone``."""
    data, derived = outcome.data, outcome.derived
    discount = {p.period: derived.discount[i] for i, p in enumerate(data.periods)}
    amounts: Amounts = defaultdict(float)
    _border(outcome, sheets["flows"], discount, amounts)
    _price_gap_support(sheets["production"], sheets["prices"], discount, amounts)
    stock = sheets["stockpiles"]
    for region, scenario, period, spend in zip(
        *(stock[c].tolist() for c in ("region", "scenario", "period", "spend")), strict=True
    ):
        amounts[scenario, region, "stockpile_spending"] += discount[period] * spend
    for region, amount, money in _first_stage_and_contracts(outcome):
        for s in data.scenarios:
            amounts[s.scenario, region, amount] += money

    members = [r.region for r in data.regions if r.zone_member]
    regions = [r.region for r in data.regions]
    rows = []
    for s in data.scenarios:
        for region in members:
            rows.append({"scenario": s.scenario, "region": region,
                         **{a: amounts[s.scenario, region, a] for a in AMOUNTS}})
        rows.append({"scenario": s.scenario, "region": ZONE, **{
            a: sum(amounts[s.scenario, r, a] for r in (regions if a in ZONE_WIDE else members))
            for a in AMOUNTS
        }})
    frame = pd.DataFrame(rows, columns=["scenario", "region", *AMOUNTS])
    probability = frame["scenario"].map({s.scenario: s.probability for s in data.scenarios})
    expected = (
        frame[list(AMOUNTS)].mul(probability, axis=0).groupby(frame["region"], sort=False).sum()
        .reset_index().assign(scenario=EXPECTED)
    )
    frame = pd.concat([expected[frame.columns], frame], ignore_index=True)
    paid = frame[list(AMOUNTS)]
    frame[list(AMOUNTS)] = paid.where(paid.abs() >= TINY, 0.0)  # solver noise, and −0
    frame["total"] = frame[list(AMOUNTS)].sum(axis=1)
    return frame


def _border(outcome: Outcome, flows: pd.DataFrame, discount: Mapping[str, float],
            amounts: Amounts) -> None:
    """Tariffs and floor gaps on shipments into each member region, discounted."""
    member = outcome.derived.zone_member
    tariff = {(r.origin, r.destination, r.mineral, r.stage): r.tariff_per_t
              for r in outcome.data.routes}
    columns = ("origin", "destination", "mineral", "stage", "period", "scenario", "flow_t",
               "border_adjustment_per_t")
    for origin, destination, mineral, stage, period, scenario, flow, adjustment in zip(
        *(flows[c].tolist() for c in columns), strict=True
    ):
        if not member[destination]:
            continue
        weight = discount[period] * flow
        charged = tariff[origin, destination, mineral, stage]
        amounts[scenario, destination, "border_tariff"] += weight * charged
        amounts[scenario, destination, "border_floor_gap"] += weight * (adjustment - charged)


def _price_gap_support(production: pd.DataFrame, prices: pd.DataFrame,
                       discount: Mapping[str, float], amounts: Amounts) -> None:
    """price_gap × the region's own output of that mineral and product, discounted.

    Non-member regions are summed too but never shown (members only)."""
    keys = ["region", "mineral", "stage", "period", "scenario"]
    made = production.assign(stage=production["stage"].map(PRODUCT_OF_STAGE)).groupby(
        keys, sort=False)["output_t"].sum()
    gaps = prices[prices["price_gap"].fillna(0.0) > 0].set_index(keys)["price_gap"]
    output = made.reindex(gaps.index, fill_value=0.0)
    for (region, _, _, period, scenario), gap, tonnes in zip(
        gaps.index.tolist(), gaps.tolist(), output.tolist(), strict=True
    ):
        amounts[scenario, region, "price_gap_support"] += discount[period] * gap * tonnes


def _first_stage_and_contracts(outcome: Outcome) -> list[tuple[str, str, float]]:
    """(region, amount, money) of take-or-pay payments and capex: the same discounted
    figure in every scenario, by the region of the facility."""
    derived = outcome.derived
    region = {f.facility: f.region for f in outcome.data.facilities}
    found: list[tuple[str, str, float]] = []
    for (facility, period), payment in derived.contract_payment.items():
        money = derived.discount[period] * derived.years[period] * payment
        found.append((region[facility], "contract_payments", money))
    costs, values, layout = outcome.lp.costs, outcome.solution.values, outcome.lp.layout
    assert values is not None, "the burden needs an optimal solution"
    capex = COST_COMPONENTS.index("capex")
    chosen = np.nonzero((costs.node == FIRST_STAGE_NODE) & (costs.component == capex))[0]
    for i in chosen.tolist():
        _, facility = layout.locate_column(int(costs.column[i]))
        found.append((region[facility], "capex",
                      float(costs.coefficient[i] * values[costs.column[i]])))
    return found

