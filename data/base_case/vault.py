"""Project Vault stockpiles and the defence NdPr offtake."""

from __future__ import annotations

from collections.abc import Callable

from base_case.assumptions import A, assumed, tidy
from base_case.figures import Figure, PublicFigures, Record, Row, cited
from base_case.minerals import FIRST, LAST, MINERALS


class Vault:
    """Project Vault stockpiles and offtakes."""

    f: PublicFigures
    price: dict[str, Figure]
    refine: dict[str, dict[str, tuple[float, list[Row], str]]]
    recycle: dict[str, dict[str, tuple[float, list[Row], str]]]
    demand: dict[str, dict[str, Figure]]
    demand_in: Callable[[str, str, str], Figure]  # Supply.demand_in

    def cover_days(self, mineral: str) -> tuple[float, str, str]:
        """Days of US demand the Vault holds of a mineral: the published 60-day target ×
        a multiple by criticality, China's share of world refined output (the case's own
        refinery table); the multiple's assumption name and the words."""
        days = self.f.one("stockpile.csv", item="Target cover").number("value")
        refined = {**{r: v for r, (v, _, _) in self.refine[mineral].items()}}
        for region, (value, _, _) in self.recycle[mineral].items():
            refined[region] = refined.get(region, 0.0) + value
        share = refined.get("CN", 0.0) / sum(refined.values())
        name = ("vault_cover_high" if share >= A("vault_high_share") else
                "vault_cover_mid" if share >= A("vault_mid_share") else "vault_cover_low")
        return days * A(name), name, (
            f"China refines {share:.0%} of world output: {days:g}-day target × {A(name):g} "
            f"({name})")

    def stockpiles(self) -> list[Record]:
        vault = self.f.one("stockpile.csv", item="Target cover")
        records = []
        for spec in MINERALS:
            m = spec.mineral
            us = self.demand_in(m, "US", FIRST)  # 2026's demand
            days, name, why = self.cover_days(m)
            cover = tidy(float(us.value) * days / 365)
            size = Figure(cover, "t", f"planning assumption: {name}; {cited([vault])[0]}",
                          cited([vault])[1],
                          f"{days:g} days ({why}) × US demand {us.value} t/yr ÷ 365 "
                          f"(US demand: {us.derivation})")
            records.append({
                "stockpile": f"vault-{m}", "region": "US", "mineral": m, "stage": "refined",
                "capacity_t": size,
                "initial_t": Figure(0, "t", "definition: a new reserve", "",
                                    "Project Vault announced 2026-02-02 starts empty"),
                "terminal_min_t": Figure(cover, "t", size.source, size.url,
                                         f"the {days:g}-day cover is reached by the end of "
                                         "2030"),
                "max_purchase_t": assumed(
                    "vault_fill_years", tidy(cover / A("vault_fill_years")), "t/yr",
                    f"capacity {cover} t ÷ vault_fill_years {A('vault_fill_years'):g}"),
                "holding_cost_per_t": assumed(
                    "holding_cost_share", tidy(A("holding_cost_share") * self.market(m)),
                    "USD/t/yr", f"{A('holding_cost_share')} × market price "
                    f"{self.price[m].value} USD/t"),
                "release_needs_disruption": Figure(
                    "yes", "", *cited([vault]),
                    "an emergency reserve: releases only while a disruption of the mineral "
                    "is active"),
            })
        return records

    def offtakes(self) -> list[Record]:
        floor = self.f.one("additional.csv", item="ndpr_floor_price")
        us_row = self.f.one("refinery_production.csv", mineral="rare_earths",
                            country="United States", year="2025")
        contract = tidy(us_row.number("tonnes") * A("ndpr_share_of_reo"))
        return [{
            "facility": "US-ndpr-refine", "start_period": FIRST, "end_period": LAST,
            "contract_t": Figure(contract, "t/yr", *cited([us_row, floor]),
                                 f"all US NdPr output is covered (floor on volumes 'sold or "
                                 f"stockpiled'): US compounds 2025e {us_row['tonnes']} t REO × "
                                 "ndpr_share_of_reo"),
            "contract_price_per_t": Figure(floor.number("value") * 1000, "USD/t",
                                           *cited([floor]), "the 110 USD/kg floor, per t"),
        }]
