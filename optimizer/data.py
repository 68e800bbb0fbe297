"""The validated input: typed, immutable records, the only thing the model sees.

Wildcards are ``None``. The matching rules of MODEL.md §2 are already applied:
routes are expanded to one record per mineral and stage they carry, demand and
prices are resolved per item, shortfall tiers per mineral (with the implicit last
tier), and every default is filled in. Disruptions stay as rows, because every
matching row applies (MODEL.md §3). The sheets of an instrument, which have no field
of their own here, are kept as :class:`Row` records by sheet name
(:meth:`ModelData.records`).
"""

from __future__ import annotations

import types
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

FacilityStage = Literal["mine", "refine", "recycle"]
Product = Literal["concentrate", "refined"]
DisruptionKind = Literal["capacity", "export", "demand", "route", "price"]


@dataclass(frozen=True, slots=True)
class Settings:
    """The ``settings`` sheet, with defaults filled in."""

    currency: str = "USD"
    discount_rate: float = 0.0
    risk_weight: float = 0.0
    cvar_alpha: float = 0.95
    stockpile_budget: float | None = None  # None: unlimited
    expansion_budget: float | None = None  # None: unlimited
    zone_exclusive: bool = False
    time_limit_s: float | None = None
    threads: int | None = None
    max_sheet_rows: int = 200_000  # a longer detail sheet of the results is reduced (§8)


@dataclass(frozen=True, slots=True)
class Region:
    region: str
    zone_member: bool
    name: str
    group: str
    certifies: bool | None = None  # §12; None: as zone_member

    @property
    def certifying(self) -> bool:
        """Whether its facilities make certified product (§12; blank: a zone member)."""
        return self.zone_member if self.certifies is None else self.certifies


@dataclass(frozen=True, slots=True)
class Mineral:
    mineral: str
    shortfall_penalty_per_t: float
    description: str


@dataclass(frozen=True, slots=True)
class Period:
    period: str
    years: float


@dataclass(frozen=True, slots=True)
class Facility:
    facility: str
    region: str
    mineral: str
    stage: FacilityStage
    capacity_t: float
    unit_cost_per_t: float
    yield_: float  # ``yield`` in the workbook (a Python keyword)
    expandable_t: float
    capex_per_t: float
    lifetime_years: float
    online_period: str

    @property
    def committed(self) -> bool:
        """Expandable at no capex: capacity already committed (an announced project, a
        plan's kept expansion) that the model may use from ``online_period``, not an
        expansion the zone finances (docs/model.md §5)."""
        return self.expandable_t > 0 and self.capex_per_t == 0

    @property
    def financed(self) -> bool:
        """Expandable at a capex: an expansion the zone may finance."""
        return self.expandable_t > 0 and self.capex_per_t > 0


@dataclass(frozen=True, slots=True)
class Route:
    """One route for one mineral and stage (a workbook row may expand to several)."""

    origin: str
    destination: str
    mineral: str
    stage: Product
    cost_per_t: float
    capacity_t: float | None  # None: unlimited
    tariff_per_t: float


@dataclass(frozen=True, slots=True)
class Demand:
    """Refined demand of one region, mineral and period (the most specific row)."""

    region: str
    mineral: str
    period: str
    demand_t: float
    certified_share: float = 0.0  # §12: the part only certified product may meet


@dataclass(frozen=True, slots=True)
class Price:
    """Market and floor price of one mineral, stage and period."""

    mineral: str
    stage: Product
    period: str
    market_price_per_t: float
    floor_price_per_t: float | None  # None: no floor


@dataclass(frozen=True, slots=True)
class Stockpile:
    stockpile: str
    region: str
    mineral: str
    stage: Product
    capacity_t: float
    initial_t: float
    min_level_t: float
    terminal_min_t: float
    max_release_t: float | None  # None: unlimited
    max_purchase_t: float | None  # None: unlimited
    holding_cost_per_t: float
    release_needs_disruption: bool
    certified_initial_t: float = 0.0  # §12: the certified part of initial_t


@dataclass(frozen=True, slots=True)
class Offtake:
    facility: str
    start_period: str
    end_period: str
    contract_t: float
    contract_price_per_t: float


@dataclass(frozen=True, slots=True)
class Scenario:
    scenario: str
    probability: float
    description: str


@dataclass(frozen=True, slots=True)
class Disruption:
    """One disruption row; ``None`` in a wildcard column means "all"."""

    scenario: str
    kind: DisruptionKind
    region: str | None
    mineral: str | None
    stage: str | None
    destination: str | None
    start_period: str
    end_period: str
    factor: float


@dataclass(frozen=True, slots=True)
class Tier:
    """A shortfall tier: unmet demand up to ``up_to_share`` of demand costs ``penalty_per_t``."""

    up_to_share: float
    penalty_per_t: float


@dataclass(frozen=True, slots=True)
class Row:
    """One record of an instrument's sheet: its cells by contract column name, read by
    the column's rule with the contract's default filled in (a blank text is ``""``; a
    wildcard, or a blank without a constant default, is ``None``). Read a column as an
    attribute (``row.min_share``) or by name (``row["yield"]``)."""

    values: tuple[tuple[str, Any], ...]

    def __getitem__(self, column: str) -> Any:
        for name, value in self.values:
            if name == column:
                return value
        raise KeyError(column)

    def __getattr__(self, column: str) -> Any:
        if column.startswith("__"):  # copy and pickle ask for protocols a Row lacks
            raise AttributeError(column)
        try:
            return self[column]
        except KeyError:
            raise AttributeError(column) from None

    def as_dict(self) -> dict[str, Any]:
        return dict(self.values)


@dataclass(frozen=True, slots=True)
class ModelData:
    """Everything the model needs from the workbook, validated and resolved."""

    settings: Settings
    regions: tuple[Region, ...]
    minerals: tuple[Mineral, ...]
    periods: tuple[Period, ...]  # in time order
    facilities: tuple[Facility, ...]
    routes: tuple[Route, ...]
    demand: tuple[Demand, ...]
    prices: tuple[Price, ...]
    stockpiles: tuple[Stockpile, ...]
    offtakes: tuple[Offtake, ...]
    scenarios: tuple[Scenario, ...]
    disruptions: tuple[Disruption, ...]
    tiers: Mapping[str, tuple[Tier, ...]]  # by mineral, ascending shares ending at 1
    # the other contract sheets (an instrument's), by name; an absent sheet holds none
    sheets: Mapping[str, tuple[Row, ...]] = field(
        default_factory=lambda: types.MappingProxyType({}))

    def records(self, sheet: str) -> tuple[Row, ...]:
        """The records of an instrument's sheet, in workbook order; none when the sheet
        is absent (an optional sheet may be)."""
        return self.sheets.get(sheet, ())

    def summary(self) -> dict[str, int]:
        """How many of each thing the input holds, for ``optimizer validate``."""
        return {
            "regions": len(self.regions),
            "zone members": sum(r.zone_member for r in self.regions),
            "minerals": len(self.minerals),
            "periods": len(self.periods),
            "facilities": len(self.facilities),
            "routes (by mineral and stage)": len(self.routes),
            "demand entries": len(self.demand),
            "prices": len(self.prices),
            "stockpiles": len(self.stockpiles),
            "offtakes": len(self.offtakes),
            "scenarios": len(self.scenarios),
            "disruptions": len(self.disruptions),
        }
