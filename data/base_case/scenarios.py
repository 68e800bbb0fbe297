"""The disruption scenarios, their disruptions and the shortfall tiers."""

from __future__ import annotations

import re

from base_case.assumptions import ASSUMPTIONS, A, assumed, tidy
from base_case.figures import Figure, PublicFigures, Record, cited
from base_case.geography import REGIONS
from base_case.minerals import FIRST, LAST, MINERALS

SCENARIOS: tuple[tuple[str, str], ...] = (
    ("calm", "Today's policy and nothing more: the DRC cobalt export quota for 2026 and 2027 "
             "and China's export licensing of gallium, germanium, graphite (flake and "
             "spherical), antimony, tungsten and Dy/Tb, as in force; every other scenario "
             "departs from it."),
    ("china_rare_earth_controls",
     "China's October 2025 rare-earth package returns when its suspension expires "
     "(2026-11-10): from 2027H1 to 2028H2 exports of NdPr and Dy/Tb (concentrate and oxide) "
     "fall to 30% of capacity and Dy/Tb prices rise 50%."),
    ("china_gggs_ban",
     "When the suspension of the US-specific ban lapses (2026-11-27), China bans exports of "
     "gallium, germanium, graphite (flake and spherical) and antimony to every zone member, "
     "2027H1 to 2028H2."),
    ("drc_cobalt_quota",
     "The DRC extends its cobalt export quota (96,600 t/yr incl. 9,600 t for reserves, in "
     "force for 2026 and 2027) to the end of 2029."),
    ("indonesia_nickel",
     "Indonesia restricts exports of refined nickel and intermediates to half of capacity, "
     "2027H2 to 2029H1 (ore exports are banned since 2020 in every scenario)."),
    ("price_dumping",
     "Targeted dumping, 2028H1 to 2029H2: the refined prices of NdPr, lithium, flake and "
     "spherical graphite and nickel, the markets whose 2023-2025 collapses were blamed on "
     "overcapacity, fall to 60% of their 2025 level, below the zone's floors."),
    ("strait_closure",
     "A blockade of the sea lanes off China's coast closes every route out of China for "
     "2028H1 (the `route` kind): nothing China makes reaches other regions."),
    ("south_africa_pgm_outage",
     "A major outage of South Africa's PGM mines (power rationing or flooding) halves their "
     "capacity, 2027H1 to 2027H2."),
    ("defence_surge",
     "A defence surge, 2027H1 to 2028H2: US demand for the munitions and magnet minerals "
     "(antimony, tungsten, NdPr, Dy/Tb, gallium, germanium) rises by half."),
    ("combined_escalation",
     "Escalation: the rare-earth controls from 2027H1, the Ga/Ge/graphite/Sb ban from "
     "2027H1, the DRC quota extended from 2028H1 and the Indonesian restriction from "
     "2028H1, all to the end of the horizon."),
)

# China's licensing regimes in force (data/sources/export_controls.csv): mineral -> the
# start of the `mineral` column of its row.
LICENSED: dict[str, str] = {
    "gallium": "gallium", "germanium": "germanium", "graphite": "graphite",
    "spherical_graphite": "graphite",
    "antimony": "antimony", "tungsten": "tungsten;", "dytb": "rare_earths (Sm",
}
QUOTA_END = "2027H2"  # the DRC quota is set for 2026 and 2027
# Targeted dumping: the refined markets whose 2023-2025 price collapses were blamed on
# Chinese and Indonesian overcapacity (the NdPr floor's stated purpose).
DUMPED = ("ndpr", "lithium", "graphite", "spherical_graphite", "nickel")
# Minerals of US munitions, magnets and defence electronics (the defence surge).
DEFENCE = ("antimony", "tungsten", "ndpr", "dytb", "gallium", "germanium")


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

        package = next(r for r in controls if r["mineral"].startswith("rare_earths (Ho"))

        def rare_earth_rows(scenario: str, end: str) -> list[Record]:
            start = "2027H1"  # the first half-year after the suspension expires
            rows: list[Record] = [
                {"scenario": scenario, "kind": "export", "region": "CN", "mineral": m,
                 "stage": "*", "destination": "*", "start_period": start, "end_period": end,
                 "factor": Figure(A("licence_factor"), "share of capacity",
                                  f"planning assumption: licence_factor; "
                                  f"{cited([package, hree])[0]}", package.url(),
                                  "the October 2025 package, suspended to 2026-11-10, returns "
                                  "on top of the Dy/Tb licences in force since 2025-04-04; "
                                  "licence_factor (planning assumption)")}
                for m in ("ndpr", "dytb")]
            rows.append({"scenario": scenario, "kind": "price", "mineral": "dytb",
                         "stage": "refined", "start_period": start, "end_period": end,
                         "factor": assumed("hree_price_factor")})
            return rows

        routes = self.routes()

        def gggs_rows(scenario: str, end: str) -> list[Record]:
            rows: list[Record] = []
            for m in ("gallium", "germanium", "graphite", "spherical_graphite", "antimony"):
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

        def policy_rows(scenario: str) -> list[Record]:
            """Today's policy, in every scenario: China's licensing and the DRC quota."""
            rows: list[Record] = []
            for m, prefix in LICENSED.items():
                row = next(r for r in controls if r["mineral"].startswith(prefix))
                rows.append({
                    "scenario": scenario, "kind": "export", "region": "CN", "mineral": m,
                    "stage": "*", "destination": "*", "start_period": FIRST,
                    "end_period": LAST,
                    "factor": Figure(A("licensing_export_factor"), "share of capacity",
                                     f"planning assumption: licensing_export_factor; "
                                     f"{cited([row])[0]}", row.url(),
                                     f"licensing in force since {row['start_date']}: "
                                     + ASSUMPTIONS["licensing_export_factor"].why)})
            return [*rows, *drc_rows(scenario, FIRST, QUOTA_END)]

        dumping: list[Record] = [{
            "scenario": "price_dumping", "kind": "price", "mineral": m, "stage": "refined",
            "start_period": "2028H1", "end_period": "2029H2",
            "factor": assumed("dumping_price_factor")} for m in DUMPED]
        closure: list[Record] = [{
            "scenario": "strait_closure", "kind": "route", "region": "CN", "mineral": "*",
            "stage": "*", "destination": "*", "start_period": "2028H1",
            "end_period": "2028H1", "factor": Figure(
                0, "route capacity multiplier", "definition: a closed route", "",
                "every route out of China closed (factor 0 closes an unlimited route)")}]
        surge: list[Record] = [{
            "scenario": "defence_surge", "kind": "demand", "region": "US", "mineral": m,
            "stage": "refined", "start_period": "2027H1", "end_period": "2028H2",
            "factor": assumed("defence_surge_factor")} for m in DEFENCE]
        outage: list[Record] = [{
            "scenario": "south_africa_pgm_outage", "kind": "capacity", "region": "ZA",
            "mineral": "pgm", "stage": "mine", "start_period": "2027H1",
            "end_period": "2027H2", "factor": assumed("outage_capacity_factor")}]
        return [
            *(row for name, _ in SCENARIOS for row in policy_rows(name)),
            *rare_earth_rows("china_rare_earth_controls", "2028H2"),
            *gggs_rows("china_gggs_ban", "2028H2"),
            *drc_rows("drc_cobalt_quota", "2028H1", "2029H2"),
            *nickel_rows("indonesia_nickel", "2027H2", "2029H1"),
            *dumping,
            *closure,
            *outage,
            *surge,
            *rare_earth_rows("combined_escalation", LAST),
            *gggs_rows("combined_escalation", LAST),
            *drc_rows("combined_escalation", "2028H1", LAST),
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
