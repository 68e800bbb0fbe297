"""The case: every table of the workbook, from the concerns' mixins."""

from __future__ import annotations

from base_case.assumptions import A, assumed, tidy
from base_case.defence import Defence
from base_case.figures import Figure, Record, cited
from base_case.geography import REGIONS
from base_case.minerals import MINERALS, PERIODS
from base_case.scenarios import Scenarios
from base_case.supply import Supply
from base_case.trade import Trade
from base_case.vault import Vault


class Case(Supply, Trade, Vault, Scenarios, Defence):
    """Derives every table of the case from the public figures and the assumptions."""

    # ------------------------------------------------------------ tables

    def regions(self) -> list[Record]:
        return [
            {"region": code, "zone_member": self.geo.membership(code, country),
             "name": name, "group": group}
            for code, country, name, group in REGIONS
        ]

    def members(self) -> set[str]:
        return {str(r["region"]) for r in self.regions()
                if isinstance(r["zone_member"], Figure) and r["zone_member"].value == "yes"}

    def minerals(self) -> list[Record]:
        records = []
        for spec in MINERALS:
            price = self.price[spec.mineral]
            records.append({
                "mineral": spec.mineral,
                "shortfall_penalty_per_t": Figure(
                    tidy(A("shortfall_price_multiple") * self.market(spec.mineral)), "USD/t",
                    "planning assumption: shortfall_price_multiple", price.url,
                    f"{A('shortfall_price_multiple'):g} × market price {price.value} USD/t "
                    f"({price.derivation})"),
                "description": spec.description,
            })
        return records

    def periods(self) -> list[Record]:
        return [{"period": p, "years": Figure(0.5, "years", "definition: half-year periods",
                                              "", "2026H1 to 2030H2, six months each")}
                for p in PERIODS]


    def demand_rows(self) -> list[Record]:
        """One row per region and mineral, all periods; per period where demand grows."""
        order = [r[0] for r in REGIONS]
        return [
            {"region": region, "mineral": spec.mineral, "period": period,
             "demand_t": self.demand_in(spec.mineral, region, period)
             if period != "*" else self.demand[spec.mineral][region]}
            for spec in MINERALS
            for region in sorted(self.demand[spec.mineral], key=order.index)
            for period in (PERIODS if spec.mineral in self.growth else ("*",))
        ]

    def demand_table(self) -> list[Record]:
        """The demand rows, a defence row (:meth:`defence_demand`) replacing the plain row
        of its region, mineral and period, or added where demand is flat."""
        rows = {(r["region"], r["mineral"], r["period"]): r for r in self.demand_rows()}
        rows.update({(r["region"], r["mineral"], r["period"]): r
                     for r in self.defence_demand()})
        return list(rows.values())

    def prices(self) -> list[Record]:
        floor_row = self.f.one("additional.csv", item="ndpr_floor_price")
        records = []
        for spec in MINERALS:
            m = spec.mineral
            market, old = self.price[m], self.price_2024[m]
            if m == "ndpr":
                floor = Figure(floor_row.number("value") * 1000, "USD/t", *cited([floor_row]),
                               f"{floor_row['value']} USD/kg × 1,000 kg/t: the 2025 US defence "
                               "offtake floor for NdPr")
            else:
                higher = max(float(market.value), float(old.value))
                words = (f"floor rule: the higher of the 2024 ({old.value}) and 2025 "
                         f"({market.value}) USD/t prices, the zone's reference price"
                         if old is not market else
                         f"floor rule: the 2025 price ({market.value} USD/t), the only one "
                         "published for this product")
                floor = Figure(higher, "USD/t", f"floor rule; {market.source}", market.url,
                               words)
            records.append({"mineral": m, "stage": "refined", "period": "*",
                            "market_price_per_t": market, "floor_price_per_t": floor})
        return records


    def settings(self) -> list[Record]:
        loan = self.f.one("stockpile.csv", item="EXIM direct loan")
        private = self.f.one("stockpile.csv", item="Private capital")
        return [
            {"key": "currency", "value": "USD"},
            {"key": "discount_rate", "value": assumed("discount_rate")},
            {"key": "risk_weight", "value": Figure(0, "", "definition: expected cost", "",
                                                   "risk-neutral planning (no CVaR term)")},
            {"key": "stockpile_budget", "value": Figure(
                loan.number("value") + private.number("value"), "USD",
                *cited([loan, private]),
                "Project Vault: 10 bn USD EXIM loan + 1.67 bn USD private capital")},
            {"key": "zone_exclusive", "value": "no"},
            {"key": "time_limit_s", "value": assumed("time_limit_s")},
        ]

    def tables(self) -> dict[str, list[Record]]:
        return {
            "settings": self.settings(),
            "regions": self.with_certifies(self.regions()),
            "minerals": self.minerals(),
            "periods": self.periods(),
            "facilities": self.facilities(),
            "routes": self.routes(),
            "demand": self.demand_table(),
            "prices": self.prices(),
            "stockpiles": self.stockpiles(),
            "offtakes": self.offtakes(),
            "scenarios": self.scenarios(),
            "disruptions": self.disruptions(),
            "shortfall_tiers": self.shortfall_tiers(),
        }
