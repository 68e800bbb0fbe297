"""Routes between regions and the tariffs on them."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

from base_case.assumptions import ASSUMPTIONS, assumed, tidy
from base_case.figures import Figure, PublicFigures, Record, cited
from base_case.geography import GROUP, REGIONS
from base_case.minerals import MINERALS


class Trade:
    """Routes and their tariffs."""

    f: PublicFigures
    price: dict[str, Figure]
    refine_yield: Callable[[str], float]  # Supply.refine_yield

    def routes(self) -> list[Record]:
        """Concentrate from regions that mine more than their refineries use to regions
        whose refineries need more than their mines give; refined product from regions
        that make more than they use to every other consuming region. One row per pair
        and mineral, ``*`` for the stage where a pair carries both."""
        carried: dict[tuple[str, str], dict[str, set[str]]] = defaultdict(
            lambda: defaultdict(set))
        for spec in MINERALS:
            m = spec.mineral
            yld = self.refine_yield(m)
            mined = self._capacity(m, "mine")
            needed = {r: v / yld for r, v in self._capacity(m, "refine").items()}
            made = self._capacity(m, "refine")
            for region, value in self._capacity(m, "recycle").items():
                made[region] += value
            demand = {r: float(f.value) for r, f in self.demand[m].items()}
            # a miner exports what its existing refineries do not use (new refineries
            # import; they do not strand the mine before they are online)
            existing = {r: v / yld for r, v in self._capacity(m, "refine", False).items()}
            exporters = {r for r in mined if mined[r] > existing.get(r, 0.0)}
            importers = {r for r in needed if needed[r] > mined.get(r, 0.0)}
            if m == "nickel":
                exporters.discard("ID")  # the ore export ban of 2020
            for origin in exporters:
                for destination in importers - {origin}:
                    carried[origin, destination][m].add("concentrate")
            for origin in (r for r in made if made[r] > demand.get(r, 0.0)):
                for destination in set(demand) - {origin}:
                    carried[origin, destination][m].add("refined")
        order = [r[0] for r in REGIONS]
        mineral_order = [m.mineral for m in MINERALS]
        records: list[Record] = []
        for origin, destination in sorted(carried, key=lambda p: (order.index(p[0]),
                                                                  order.index(p[1]))):
            same = GROUP[origin] == GROUP[destination] and GROUP[origin] != "Other"
            name = "freight_same_group" if same else "freight_other_group"
            for m in sorted(carried[origin, destination], key=mineral_order.index):
                stages = carried[origin, destination][m]
                record: Record = {
                    "origin": origin, "destination": destination, "mineral": m,
                    "stage": "*" if len(stages) == 2 else next(iter(stages)),
                    "cost_per_t": assumed(name, derivation=(
                        f"{ASSUMPTIONS[name].why} ({GROUP[origin]} to {GROUP[destination]})")),
                }
                tariff = self._tariff(origin, destination, m)
                if tariff is not None:
                    record["tariff_per_t"] = tariff
                records.append(record)
        return records

    def _tariff(self, origin: str, destination: str, mineral: str) -> Figure | None:
        if (origin, destination) != ("CN", "US"):
            return None
        item = {"cobalt": "section301_cobalt_tungsten_manganese",
                "tungsten": "section301_cobalt_tungsten_manganese",
                "manganese": "section301_cobalt_tungsten_manganese",
                "graphite": "section301_natural_graphite",
                "spherical_graphite": "section301_natural_graphite"}.get(mineral)
        if item is None:
            return None
        row = self.f.one("additional.csv", item=item)
        rate = row.number("value") / 100
        return Figure(tidy(rate * self.market(mineral)), "USD/t", *cited([row]),
                      f"Section 301 tariff {row['value']}% × market price "
                      f"{self.price[mineral].value} USD/t")
