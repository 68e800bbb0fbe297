"""The origin rule of US defence buyers (docs/model.md §12): which regions certify, and the
defence share of US NdPr and tungsten demand that only certified product may meet.

DFARS 225.7018 (10 U.S.C. 4872) bars NdFeB magnets and tungsten that were mined, refined,
separated, melted or produced in a covered country (North Korea, China, Russia, Iran)
from defence contracts; from 2027-01-01 every stage counts, which is §12's certified
product. The case certifies the US and its allies (the zone members), the trusted-origin
reading of the rule: DFARS itself also accepts the non-members that are not covered
countries (Chile, Indonesia, Vietnam, Burma, South Africa), under which reading the rule
costs the case nothing (docs/base_case.md). The split of US demand between defence and
the rest is not published, so the shares are planning assumptions (``defence_share_*``),
each with its reasoning.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from base_case.assumptions import assumed
from base_case.figures import Figure, PublicFigures, Record, cited
from base_case.minerals import PERIODS

if TYPE_CHECKING:
    from optimizer.results import Results

# Covered countries with a region of their own; XW (non-attendees and USGS "Other
# countries") holds North Korea's tungsten and anything from Iran.
COVERED = {"CN": "China", "RU": "Russia", "XW": "the rest of world, which holds North Korea "
           "and Iran"}
# The minerals the rule covers in the case, and the assumption that sizes their share.
RULED = {"ndpr": "defence_share_ndpr", "tungsten": "defence_share_tungsten"}


class Defence:
    """The DFARS origin rule: certifying regions and certified shares of US demand."""

    f: PublicFigures
    demand: dict[str, dict[str, Figure]]
    demand_in: Callable[[str, str, str], Figure]  # Supply.demand_in

    def _dfars(self) -> tuple[str, str]:
        return cited([self.f.one("additional.csv", item="dfars_origin_rule")])

    def certifies(self, code: str, member: Figure) -> Figure:
        """Whether ``code``'s facilities make product a US defence buyer trusts: a zone
        member's (``member`` its zone_member cell) do."""
        if member.value == "yes":
            return Figure("yes", "", *self._dfars(), "a zone member (the US and its allies): "
                          "trusted origin under the DFARS 225.7018 rule")
        if code in COVERED:
            return Figure("no", "", *self._dfars(),
                          f"{COVERED[code]}: a covered country under DFARS 225.7018")
        return Figure("no", "", *self._dfars(), "not a zone member: not a covered country, "
                      "so DFARS 225.7018 would accept it, but the case certifies only the "
                      "US and its allies")

    def with_certifies(self, regions: list[Record]) -> list[Record]:
        """The ``regions`` records with their ``certifies`` cell."""
        found = []
        for r in regions:
            member = r["zone_member"]
            assert isinstance(member, Figure), "membership is a figure with its source"
            found.append({**r, "certifies": self.certifies(str(r["region"]), member)})
        return found

    def defence_demand(self) -> list[Record]:
        """US demand of the ruled minerals from the rule's first period on, each period a
        row of its own (more specific than the ``*`` row, which it repeats) with its
        certified share."""
        start = int(self.f.one("additional.csv", item="dfars_origin_rule").number("value"))
        ruled = [p for p in PERIODS if int(p[:4]) >= start]
        return [
            {"region": "US", "mineral": mineral, "period": period,
             "demand_t": self.demand_in(mineral, "US", period),
             "certified_share": assumed(share)}
            for mineral, share in RULED.items() for period in ruled
        ]


# ================================================================ what the rule does


@dataclass(frozen=True, slots=True)
class OriginRule:
    """What docs/base_case.md reports of the rule (and the tests pin), per ruled mineral."""

    certified_demand_t: dict[str, float]  # mineral -> t over the horizon, calm
    premium: dict[str, dict[str, float]]  # mineral -> scenario -> largest US premium, USD/t
    shortfall_t: dict[str, dict[str, float]]  # mineral -> scenario -> certified t unmet


def origin_rule(results: Results) -> OriginRule:
    """The rule's figures, read from the optimizer's ``shortfalls`` and ``prices``."""
    short = results.by_scenario("shortfalls")
    short = short[(short["region"] == "US") & short["mineral"].isin(list(RULED))]
    demand = short[short["scenario"] == "calm"].groupby("mineral", sort=False)[
        "certified_demand_t"].sum()
    unmet = short.groupby(["mineral", "scenario"], sort=False)["certified_shortfall_t"].sum()
    prices = results.by_scenario("prices")
    prices = prices[(prices["region"] == "US") & (prices["stage"] == "refined")
                    & prices["mineral"].isin(list(RULED))]
    premium = prices.groupby(["mineral", "scenario"], sort=False)[
        "certified_premium_per_t"].max()
    scenarios = list(dict.fromkeys(short["scenario"].tolist()))
    return OriginRule(
        certified_demand_t={m: float(demand[m]) for m in RULED},
        premium={m: {s: float(premium[m, s]) for s in scenarios} for m in RULED},
        shortfall_t={m: {s: float(unmet[m, s]) for s in scenarios} for m in RULED},
    )


def origin_rule_markdown(rule: OriginRule) -> list[str]:
    """The rule's table of docs/base_case.md: per ruled mineral and scenario, the largest
    certified premium in the US and the certified demand left unmet."""
    scenarios = list(next(iter(rule.premium.values())))
    out = ["| origin rule, US: largest certified premium (USD/t) / certified demand unmet "
           "(t) | certified demand 2027-2030 (t) | " + " | ".join(scenarios) + " |",
           "|---|---:|" + "---:|" * len(scenarios)]
    for m in RULED:
        out.append(f"| {m} | {rule.certified_demand_t[m]:,.0f} | " + " | ".join(
            f"{rule.premium[m][s]:,.0f} / {rule.shortfall_t[m][s]:,.0f}" for s in scenarios)
            + " |")
    return out
