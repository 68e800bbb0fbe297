"""Demand growth to 2030 (the IEA's stated-policies case, STEPS) and the committed
capacity that meets it.

The case's demand figures stand for 2025. Where the sources give the IEA's
stated-policies growth of a mineral's total demand, demand in year Y is the 2025 figure ×
(1 + r)^(Y − 2025), r the constant yearly rate of the published growth; elsewhere it
stays flat. Existing capacity is fixed (docs/model.md §3), so growth is met by committed
capacity (announced projects, expandable at capex 0, online each January): every
region's mine, refinery and recycling capacity of the mineral grows in step with world
demand once demand passes the world's 2025 refined output (``committed_capacity``).
"""

from __future__ import annotations

from dataclasses import dataclass

from base_case.assumptions import A
from base_case.figures import PublicFigures, Row

BASE_YEAR = 2025  # the year the case's demand and capacity figures stand for


@dataclass(frozen=True, slots=True)
class Growth:
    """A mineral's yearly demand growth and where it comes from."""

    rate: float  # per year
    rows: tuple[Row, ...]  # the public figures it follows from
    words: str  # how
    assumption: str | None = None  # a planning assumption it also rests on

    def factor(self, year: int) -> float:
        """Demand in ``year`` ÷ demand in :data:`BASE_YEAR`."""
        return float((1 + self.rate) ** (year - BASE_YEAR))


def _rate(multiple: float, years: int) -> float:
    """The constant yearly rate that multiplies demand by ``multiple`` in ``years``."""
    return float(multiple ** (1 / years) - 1)


def growth_rates(f: PublicFigures) -> dict[str, Growth]:
    """The minerals whose demand grows, by case mineral. Lithium and the rare earths
    (NdPr, Dy/Tb): the IEA's 2024-2030 growth; spherical (battery) graphite and cobalt:
    the low end of its 2024-2030 range for graphite and cobalt
    (``graphite_cobalt_growth``; the growth is the batteries'; industrial graphite stays
    flat); nickel: its doubling 2024-2040, at a constant rate; copper: 27 Mt in 2024 to
    34 Mt in 2040. The rest stay flat: the sources give no growth of their total
    demand."""
    found: dict[str, Growth] = {}
    for mineral, named in (("lithium", "lithium"), ("ndpr", "rare_earths"),
                           ("dytb", "rare_earths")):
        row = f.one("demand.csv", mineral=named, metric="demand growth 2024->2030")
        found[mineral] = Growth(
            _rate(1 + row.number("value") / 100, 6), (row,),
            f"IEA STEPS {named.replace('_', ' ')} demand +{row['value']}% 2024-2030: "
            f"(1 + {row['value']}%)^(1/6) − 1 a year")
    low, high = (f.one("additional.csv", item=f"graphite_cobalt_demand_growth_2024_2030_{end}")
                 for end in ("low", "high"))
    taken = A("graphite_cobalt_growth")
    for mineral in ("spherical_graphite", "cobalt"):
        found[mineral] = Growth(
            _rate(1 + taken, 6), (low, high),
            f"IEA STEPS graphite and cobalt demand +{low['value']}-{high['value']}% "
            f"2024-2030, the low end taken (graphite_cobalt_growth {taken:g}): "
            f"(1 + {taken:g})^(1/6) − 1 a year", "graphite_cobalt_growth")
    nickel = f.one("demand.csv", mineral="nickel", metric="total demand multiple vs 2024")
    found["nickel"] = Growth(
        _rate(nickel.number("value"), 16), (nickel,),
        f"IEA STEPS (GCMO 2025) nickel demand × {nickel['value']} 2024-2040, at a constant "
        f"rate: {nickel['value']}^(1/16) − 1 a year")
    start, end = (f.one("additional.csv", item=f"copper_demand_{year}_steps")
                  for year in ("2024", "2040"))
    found["copper"] = Growth(
        _rate(end.number("value") / start.number("value"), 16), (start, end),
        f"IEA STEPS (GCMO 2025) copper demand {start.number('value') / 1e6:g} Mt (2024) to "
        f"{end.number('value') / 1e6:g} Mt (2040), at a constant rate: "
        f"({end.number('value') / 1e6:g} / {start.number('value') / 1e6:g})^(1/16) − 1 "
        "a year")
    return found
