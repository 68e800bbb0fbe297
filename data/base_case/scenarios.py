"""The disruption scenarios, their disruptions and the shortfall tiers."""

from __future__ import annotations

import re

from base_case.assumptions import ASSUMPTIONS, A, assumed, tidy
from base_case.figures import Figure, PublicFigures, Record, cited
from base_case.geography import REGIONS
from base_case.minerals import FIRST, LAST, MINERALS

SCENARIOS: tuple[tuple[str, str], ...] = (
    ("calm", "No disruption: 2025 trade patterns continue; the DRC cobalt quota does not "
             "bind."),
    ("china_hree_licensing",
     "China tightens licensing of heavy rare earths (Dy, Tb) from 2026H2 to 2028H1: exports "
     "of Dy/Tb concentrate and oxide fall to 30% of capacity and Dy/Tb prices rise 50%."),
    ("china_gggs_ban",
     "When the suspension of the US-specific ban lapses (2026-11-27), China bans exports of "
     "gallium, germanium, graphite and antimony to every zone member, 2027H1 to 2028H2."),
    ("drc_cobalt_quota",
     "The DRC enforces its cobalt export quota (96,600 t/yr incl. 9,600 t for reserves) from "
     "2026H1 and extends it to 2029H2."),
    ("indonesia_nickel",
     "Indonesia restricts exports of refined nickel and intermediates to half of capacity, "
     "2027H2 to 2029H1 (ore exports are banned since 2020 in every scenario)."),
    ("price_dumping",
     "A price-dumping episode, 2028H1 to 2029H2: market prices of every refined mineral fall "
     "to 60% of their 2025 level, below the zone's floors."),
    ("combined_escalation",
     "Escalation: heavy rare-earth licensing from 2026H2, the Ga/Ge/graphite/Sb ban from "
     "2027H1, the DRC quota from 2027H2 and the Indonesian restriction from 2028H1, all to "
     "the end of the horizon."),
)




class Scenarios:
    """Scenarios, disruptions and shortfall tiers."""

    f: PublicFigures
    price: dict[str, Figure]

    def scenarios(self) -> list[Record]:
        return [{"scenario": name, "probability": assumed(f"p_{name}"),
                 "description": text} for name, text in SCENARIOS]

    def disruptions(self) -> list[Record]:
        controls = self.f.find("export_controls.csv", country="China")
        hree = next(r for r in controls if r["mineral"].startswith("rare_earths (Sm"))
        us_ban = next(r for r in self.f.find("export_controls.csv",
                                             country="China (to United States)")
                      if r["mineral"].startswith("gallium"))
        drc = self.f.one("export_controls.csv", mineral="cobalt")
        ban = self.f.one("additional.csv", item="indonesia_nickel_ore_export_ban")
        members = self.members()

        def hree_rows(scenario: str, end: str) -> list[Record]:
            return [
                {"scenario": scenario, "kind": "export", "region": "CN", "mineral": "dytb",
                 "stage": "*", "destination": "*", "start_period": "2026H2",
                 "end_period": end,
                 "factor": Figure(A("licence_factor"), "share of capacity", *cited([hree]),
                                  "licences for Dy/Tb in force since 2025-04-04; "
                                  "licence_factor (planning assumption) when tightened")},
                {"scenario": scenario, "kind": "price", "mineral": "dytb", "stage": "refined",
                 "start_period": "2026H2", "end_period": end,
                 "factor": assumed("hree_price_factor")},
            ]

        routes = self.routes()

        def gggs_rows(scenario: str, end: str) -> list[Record]:
            rows: list[Record] = []
            for m in ("gallium", "germanium", "graphite", "antimony"):
                # no re-export of Chinese material through other non-members: their exports
                # to anyone stay within what they make themselves (factor 1)
                transit = sorted({
                    str(r["origin"]) for r in routes
                    if r["mineral"] == m and r["stage"] in ("refined", "*")
                    and r["origin"] not in members and r["origin"] != "CN"
                    and r["destination"] in members
                }, key=[x[0] for x in REGIONS].index)
                for region in transit:
                    rows.append({
                        "scenario": scenario, "kind": "export", "region": region,
                        "mineral": m, "stage": "refined", "destination": "*",
                        "start_period": "2027H1", "end_period": end,
                        "factor": Figure(1, "share of capacity",
                                         "definition: rule of origin", "",
                                         "anti-circumvention: while China's ban holds, a "
                                         "non-member exports at most its own refined "
                                         "capacity, so Chinese material cannot be re-exported "
                                         "to the zone through it"),
                    })
                for destination in sorted(set(self.demand[m]) & members,
                                          key=[r[0] for r in REGIONS].index):
                    rows.append({
                        "scenario": scenario, "kind": "export", "region": "CN",
                        "mineral": m, "stage": "*", "destination": destination,
                        "start_period": "2027H1", "end_period": end,
                        "factor": Figure(0, "share of capacity", *cited([us_ban]),
                                         "the US-specific ban (suspended to 2026-11-27) "
                                         "returns and is widened to every zone member"),
                    })
            return rows

        found = re.search(r"up to ([\d,]+) t/yr .* incl\. ([\d,]+) t for national",
                          drc["measure"])
        assert found, "the DRC quota row no longer says 'up to N t/yr ... incl. M t'"
        quota, reserve = (float(x.replace(",", "")) for x in found.groups())

        def drc_rows(scenario: str, start: str, end: str) -> list[Record]:
            exportable = quota - reserve
            capacity = (self.mine["cobalt"]["CD"][0]
                        + self.refine["cobalt"]["CD"][0]) / A("utilisation")
            factor = tidy(exportable / capacity)
            return [{"scenario": scenario, "kind": "export", "region": "CD",
                     "mineral": "cobalt", "stage": "*", "destination": "*",
                     "start_period": start, "end_period": end,
                     "factor": Figure(factor, "share of capacity", *cited([drc]),
                                      f"(quota {quota:,.0f} − {reserve:,.0f} t for national "
                                      "reserves) t/yr ÷ DRC cobalt mine and "
                                      f"refinery capacity {capacity:,.0f} t/yr, the same share "
                                      "for concentrate and refined exports")}]

        def nickel_rows(scenario: str, start: str, end: str) -> list[Record]:
            return [{"scenario": scenario, "kind": "export", "region": "ID",
                     "mineral": "nickel", "stage": "refined", "destination": "*",
                     "start_period": start, "end_period": end,
                     "factor": assumed("indonesia_export_factor", derivation=(
                         f"{ASSUMPTIONS['indonesia_export_factor'].why} Ore: {ban.cite()}"))}]

        dumping: list[Record] = [{
            "scenario": "price_dumping", "kind": "price", "mineral": "*", "stage": "refined",
            "start_period": "2028H1", "end_period": "2029H2",
            "factor": assumed("dumping_price_factor")}]
        return [
            *hree_rows("china_hree_licensing", "2028H1"),
            *gggs_rows("china_gggs_ban", "2028H2"),
            *drc_rows("drc_cobalt_quota", FIRST, "2029H2"),
            *nickel_rows("indonesia_nickel", "2027H2", "2029H1"),
            *dumping,
            *hree_rows("combined_escalation", LAST),
            *gggs_rows("combined_escalation", LAST),
            *drc_rows("combined_escalation", "2027H2", LAST),
            *nickel_rows("combined_escalation", "2028H1", LAST),
        ]

    def shortfall_tiers(self) -> list[Record]:
        records: list[Record] = []
        for spec in MINERALS:
            price = self.price[spec.mineral]
            for share, multiple in ((A("tier1_share"), "tier1_price_multiple"),
                                    (1.0, "shortfall_price_multiple")):
                records.append({
                    "mineral": spec.mineral,
                    "up_to_share": (assumed("tier1_share") if share < 1 else
                                    Figure(1, "share of demand", "definition: last tier", "",
                                           "the rest of demand")),
                    "penalty_per_t": Figure(
                        tidy(A(multiple) * self.market(spec.mineral)), "USD/t",
                        f"planning assumption: {multiple}", price.url,
                        f"{A(multiple):g} × market price {price.value} USD/t"),
                })
        return records
