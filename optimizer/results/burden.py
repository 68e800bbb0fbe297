"""Who pays (the ``burden`` results sheet): money each member region, and the zone,
pays under the plan, per scenario and in expectation.

Pure: every amount is a table by region and node from the accounting
(:mod:`optimizer.results.accounting`: border payments, take-or-pay payments, capex)
or from the complete detail tables (price-gap support, stockpile spending), then
discounted along each scenario's path (Σ_t δ_t × amount) by the accounting's path
product; ``expected`` is Σ_s p_s × the scenario's figure. The columns are defined
once, in :mod:`optimizer.results.contract`.

Border adjustments, take-or-pay payments and capex split cost components of the
objective (the zone's border adjustments are those paid on routes into members, the
``summary``'s expected_cost − zone_net_cost; its contract payments are contract_cost;
its capex is capex). Price-gap support and stockpile spending lie outside the objective.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from optimizer.model.derive import PRODUCT_OF_STAGE
from optimizer.pipeline import Outcome
from optimizer.results.accounting import TINY, Accounts

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


def burden(outcome: Outcome, accounts: Accounts,
           detail: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """The ``burden`` sheet: ``expected`` rows first, then each scenario's; within
    each, the member regions in input order, then ``zone``."""
    data = outcome.data
    regions = [r.region for r in data.regions]
    members = [r.region for r in data.regions if r.zone_member]
    by_node = pd.concat([
        accounts.border_by_region.drop(columns="mineral"),
        _price_gap_support(detail["production"], detail["prices"]),
        _stockpile_spending(detail["stockpiles"]),
        accounts.contract_payments_by_region,
    ], ignore_index=True)
    by_node["region"] = by_node["region"].astype(object)
    wide = by_node.pivot_table(index="node", columns="region", values=list(AMOUNTS[:5]),
                               aggfunc="sum", fill_value=0.0, observed=True)
    wide = wide.reindex(pd.RangeIndex(len(outcome.derived.tree.nodes), name="node"),
                        fill_value=0.0)
    along = accounts.along_paths(wide) if wide.shape[1] else pd.DataFrame(
        index=pd.Index(accounts.tree.scenarios, name="scenario"))
    # scenario × region × amount, then the members' rows and the zone's
    money = np.zeros((len(accounts.tree.scenarios), len(regions), len(AMOUNTS)))
    for key, column in along.items():
        name, region = str(key[0]), str(key[1])  # type: ignore[index]  # (amount, region)
        money[:, regions.index(region), AMOUNTS.index(name)] = column.to_numpy()
    capex = accounts.capex_by_region
    for where, amount in capex.items():
        money[:, regions.index(str(where)), AMOUNTS.index("capex")] = float(amount)
    member = [regions.index(r) for r in members]
    wide_zone = np.array([a in ZONE_WIDE for a in AMOUNTS])
    zone = np.where(wide_zone, money.sum(axis=1), money[:, member].sum(axis=1))
    rows = []
    for i, s in enumerate(data.scenarios):
        rows += [[s.scenario, regions[r], *money[i, r].tolist()] for r in member]
        rows.append([s.scenario, ZONE, *zone[i].tolist()])
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


def _price_gap_support(production: pd.DataFrame, prices: pd.DataFrame) -> pd.DataFrame:
    """Price-gap support, defined once: the prices sheet's floor_gap_per_t (floor −
    market price, :func:`optimizer.results.tables.floor_gap`) × the region's own output
    of that mineral and product, by region and node, undiscounted. Non-member regions
    are summed too but never shown."""
    keys = ["region", "mineral", "stage", "node"]
    made = production.assign(
        stage=production["stage"].astype(object).map(PRODUCT_OF_STAGE),
        region=production["region"].astype(object), mineral=production["mineral"].astype(object),
    ).groupby(keys, sort=False)["output_t"].sum()
    gap = prices["floor_gap_per_t"]
    gaps = prices.assign(gap=gap)[gap.fillna(0.0) > 0].astype(
        {"region": object, "mineral": object, "stage": object}).set_index(keys)["gap"]
    output = made.reindex(gaps.index, fill_value=0.0)
    support = (gaps * output).groupby(level=["region", "node"], sort=False).sum()
    return support.rename("price_gap_support").reset_index()


def _stockpile_spending(stockpiles: pd.DataFrame) -> pd.DataFrame:
    """Purchases × market price of the stockpiles in each region, by node."""
    spend = stockpiles.assign(region=stockpiles["region"].astype(object)).groupby(
        ["region", "node"], sort=False)["spend"].sum()
    return spend.rename("stockpile_spending").reset_index().astype(
        {"node": np.int64})
