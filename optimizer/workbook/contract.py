"""The input workbook contract of MODEL.md §2, declared once.

Every sheet, column and setting is described here, and only here: reading,
validation, the template, the results' ``read_me`` sheet and the generated
reference in ``docs/workbook.md`` all take what they need from these objects.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass


class Kind(enum.Enum):
    """How a cell is read."""

    TEXT = "text"  # free text, kept as written (trimmed)
    KEY = "key"  # identifier or reference; numbers become text without ``.0``
    NUMBER = "number"
    YESNO = "yes/no"
    ENUM = "choice"


@dataclass(frozen=True, slots=True)
class Bound:
    """An allowed interval for a number; ``None`` on a side means unbounded."""

    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False

    def holds(self, value: float) -> bool:
        """Whether ``value`` lies in the interval."""
        above_low = self.low is None or (value > self.low if self.low_open else value >= self.low)
        below_high = self.high is None or (
            value < self.high if self.high_open else value <= self.high
        )
        return above_low and below_high

    def describe(self) -> str:
        """The interval in words, e.g. ``≥ 0`` or ``in (0, 1]``."""
        if self.low is not None and self.high is not None:
            left = "(" if self.low_open else "["
            right = ")" if self.high_open else "]"
            return f"in {left}{_number(self.low)}, {_number(self.high)}{right}"
        if self.low is not None:
            return f"{'>' if self.low_open else '≥'} {_number(self.low)}"
        if self.high is not None:
            return f"{'<' if self.high_open else '≤'} {_number(self.high)}"
        return "any number"


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


NON_NEGATIVE = Bound(low=0.0)
POSITIVE = Bound(low=0.0, low_open=True)
SHARE = Bound(low=0.0, high=1.0, low_open=True)  # (0, 1]
UNIT_INTERVAL = Bound(low=0.0, high=1.0)  # [0, 1]


class Slip(enum.Enum):
    """A typing slip that puts a value outside its typical range, and its correction."""

    NONE = "none"
    PERCENT = "percent"  # 5 typed for 5 %: the value ÷ 100
    MILLIONS = "millions"  # money typed in millions: the value × 1,000,000
    COMPLEMENT = "complement"  # 0.05 typed for a confidence level of 0.95: 1 − the value

    def correct(self, value: float) -> float | None:
        """What the value most likely meant; ``None`` when there is no correction."""
        if self is Slip.PERCENT:  # 5 or 12.5 read as percentages; 1.5 is no percentage
            return value / 100.0 if value.is_integer() or value >= 10 else None
        if self is Slip.MILLIONS:
            return value * 1e6
        if self is Slip.COMPLEMENT:
            return 1.0 - value
        return None


@dataclass(frozen=True, slots=True)
class Typical:
    """A plausibility range beside a column's hard bound: a value outside it is valid
    but most likely a slip, and gets a warning (an error with ``--strict``).

    ``when`` limits it to records whose column (first) holds one of the values (second),
    e.g. the export, capacity and route rows of ``disruptions``; ``why`` says what a
    value outside it does; ``zero`` accepts 0 as well (a budget of 0 means none)."""

    bound: Bound
    slip: Slip = Slip.NONE
    why: str = ""
    when: tuple[str, tuple[str, ...]] | None = None
    zero: bool = False

    def holds(self, value: float) -> bool:
        """Whether ``value`` is plausible."""
        return (self.zero and value == 0) or self.bound.holds(value)

    def applies(self, values: Mapping[str, object]) -> bool:
        """Whether the range applies to a record with these ``values``."""
        return self.when is None or values.get(self.when[0]) in self.when[1]

    def describe(self) -> str:
        """The range in words, e.g. ``≤ 0.3`` or ``0 or ≥ 1000000``."""
        return ("0 or " if self.zero else "") + self.bound.describe()

    def suggestion(self, value: float, hard: Bound | None) -> float | None:
        """The value the slip most likely stands for, when it is plausible and allowed."""
        corrected = self.slip.correct(value)
        if corrected is None or not self.bound.holds(corrected):
            return None
        if hard is not None and not hard.holds(corrected):
            return None
        return corrected


@dataclass(frozen=True, slots=True)
class Column:
    """One column of an input sheet."""

    name: str
    kind: Kind
    meaning: str
    unit: str = ""
    key: bool = False  # part of the sheet's unique key
    required: bool = False  # every record must fill it (so the column must exist)
    needed: bool = False  # the column must exist, though a cell may be blank
    wildcard: bool = False  # blank or ``*`` means "all"
    default: float | str | bool | None = None  # value of a blank cell
    blank_means: str = ""  # for defaults that are not constants ("first period")
    choices: tuple[str, ...] = ()
    bound: Bound | None = None
    references: str | None = None  # the sheet whose key this column names
    typical: tuple[Typical, ...] = ()  # plausibility ranges (a warning outside them)

    @property
    def must_exist(self) -> bool:
        """Whether a sheet without this column is an error."""
        return self.required or self.needed

    def default_text(self) -> str:
        """The default as the documentation states it (empty when none)."""
        if self.blank_means:
            return self.blank_means
        if self.wildcard:
            return "all"
        if self.default is None:
            return ""
        if isinstance(self.default, bool):
            return "yes" if self.default else "no"
        if isinstance(self.default, float):
            return _number(self.default)
        return str(self.default)

    def rule_text(self) -> str:
        """What a valid cell holds, in words (type, choices, interval); references are
        worded by ``reference.allowed``, which knows the sheet they point at."""
        if self.kind is Kind.ENUM:
            return " / ".join(self.choices)
        if self.kind is Kind.YESNO:
            return "yes / no"
        if self.kind is Kind.NUMBER:
            return f"number {self.bound.describe()}" if self.bound else "number"
        return "text"


@dataclass(frozen=True, slots=True)
class Sheet:
    """One input sheet: its columns in contract order."""

    name: str
    meaning: str
    columns: tuple[Column, ...]
    required: bool = False  # the sheet must be present
    non_empty: bool = False  # ... and hold at least one record
    # columns the template writes for the reader and reading ignores (explanations)
    notes: tuple[str, ...] = ()

    @property
    def keys(self) -> tuple[Column, ...]:
        """The columns of the unique key, in order."""
        return tuple(c for c in self.columns if c.key)

    def column(self, name: str) -> Column:
        """The column called ``name``."""
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(f"{self.name} has no column {name}")

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


@dataclass(frozen=True, slots=True)
class Setting:
    """One key of the ``settings`` sheet."""

    key: str
    kind: Kind
    meaning: str
    unit: str = ""
    default: float | str | bool | None = None
    blank_means: str = ""
    bound: Bound | None = None
    integer: bool = False
    typical: Typical | None = None  # plausibility range (a warning outside it)

    def default_text(self) -> str:
        if self.blank_means:
            return self.blank_means
        if isinstance(self.default, bool):
            return "yes" if self.default else "no"
        if isinstance(self.default, float):
            return _number(self.default)
        return "" if self.default is None else str(self.default)


FACILITY_STAGES = ("mine", "refine", "recycle")
PRODUCTS = ("concentrate", "refined")
DISRUPTION_KINDS = ("capacity", "export", "demand", "route", "price")
WILDCARD = "*"

_MONEY = "USD/t"  # the workbook's currency per tonne; the unit column says USD by default

# A disruption's factor: a share of capacity where more than 1 would add, not take away
# (an export cap above 1 does nothing); a demand or price multiplier of more than 10 is
# most likely a percentage (150 for × 1.5).
FACTOR_TYPICAL: tuple[Typical, ...] = (
    Typical(UNIT_INTERVAL, Slip.PERCENT, "an export cap above 1 does nothing",
            when=("kind", ("export",))),
    Typical(UNIT_INTERVAL, Slip.PERCENT, "a factor above 1 adds capacity",
            when=("kind", ("capacity", "route"))),
    Typical(Bound(high=10.0), Slip.PERCENT, when=("kind", ("demand", "price"))),
)
# A budget is in the currency's units: one below a million is most likely in millions.
BUDGET_TYPICAL = Typical(Bound(low=1e6), Slip.MILLIONS, "money is in USD, not millions",
                         zero=True)

SHEETS: tuple[Sheet, ...] = (
    Sheet(
        "settings",
        "Run-wide settings as key/value pairs (see the settings list).",
        (
            Column("key", Kind.KEY, "Name of the setting.", key=True, required=True),
            Column("value", Kind.TEXT, "Its value; blank means the default.", needed=True),
        ),
        required=True,
        notes=("unit", "meaning", "default", "typical"),
    ),
    Sheet(
        "regions",
        "Countries or groups of countries that produce, trade or consume.",
        (
            Column("region", Kind.KEY, "Identifier of the region.", key=True, required=True),
            Column(
                "zone_member",
                Kind.YESNO,
                "Whether the region belongs to the preferential trade zone.",
                required=True,
            ),
            Column("name", Kind.TEXT, "Full name, for the reports."),
            Column("group", Kind.TEXT, "A grouping for the reports (e.g. continent)."),
            Column("certifies", Kind.YESNO,
                   "Whether its mines, refineries and recyclers make certified product "
                   "(docs/model.md §12).", blank_means="zone_member"),
        ),
        required=True,
        non_empty=True,
    ),
    Sheet(
        "minerals",
        "The minerals modelled, each with its refined product.",
        (
            Column("mineral", Kind.KEY, "Identifier of the mineral.", key=True, required=True),
            Column(
                "shortfall_penalty_per_t",
                Kind.NUMBER,
                "Cost charged per tonne of unmet refined demand (the last shortfall tier).",
                unit=_MONEY,
                required=True,
                bound=NON_NEGATIVE,
            ),
            Column("description", Kind.TEXT, "What the refined product is, and its unit basis."),
        ),
        required=True,
        non_empty=True,
    ),
    Sheet(
        "periods",
        "The planning periods; row order is time order.",
        (
            Column("period", Kind.KEY, "Identifier of the period.", key=True, required=True),
            Column(
                "years",
                Kind.NUMBER,
                "Length of the period.",
                unit="years",
                default=1.0,
                bound=POSITIVE,
                typical=(Typical(Bound(high=50.0),
                                 why="years is the length of the period, not its name"),),
            ),
        ),
        required=True,
        non_empty=True,
    ),
    Sheet(
        "facilities",
        "Mines (make concentrate), refineries (concentrate to refined) and recyclers "
        "(make refined product).",
        (
            Column("facility", Kind.KEY, "Identifier of the facility.", key=True, required=True),
            Column(
                "region", Kind.KEY, "Where it is.", required=True, references="regions"
            ),
            Column(
                "mineral", Kind.KEY, "What it produces.", required=True, references="minerals"
            ),
            Column(
                "stage",
                Kind.ENUM,
                "What it does.",
                required=True,
                choices=FACILITY_STAGES,
            ),
            Column(
                "capacity_t",
                Kind.NUMBER,
                "Existing capacity (refineries: refined output).",
                unit="t/yr",
                default=0.0,
                bound=NON_NEGATIVE,
            ),
            Column(
                "unit_cost_per_t",
                Kind.NUMBER,
                "Operating cost per tonne produced.",
                unit=_MONEY,
                default=0.0,
                bound=NON_NEGATIVE,
            ),
            Column(
                "yield",
                Kind.NUMBER,
                "Refineries only: tonnes of refined product per tonne of concentrate.",
                unit="t/t",
                default=1.0,
                bound=SHARE,
                typical=(Typical(SHARE, Slip.PERCENT),),
            ),
            Column(
                "expandable_t",
                Kind.NUMBER,
                "New capacity that may be financed; at capex_per_t 0, capacity already "
                "committed (an announced project) that the plan may use from online_period.",
                unit="t/yr",
                default=0.0,
                bound=NON_NEGATIVE,
            ),
            Column(
                "capex_per_t",
                Kind.NUMBER,
                "Overnight capital cost per tonne/year of new capacity; required when "
                "expandable_t > 0.",
                unit="USD per t/yr",
                bound=NON_NEGATIVE,
            ),
            Column(
                "lifetime_years",
                Kind.NUMBER,
                "Economic life of new capacity, for the annualised capex.",
                unit="years",
                default=20.0,
                bound=POSITIVE,
            ),
            Column(
                "online_period",
                Kind.KEY,
                "First period in which new capacity produces.",
                blank_means="first period",
                references="periods",
            ),
        ),
        required=True,
        non_empty=True,
    ),
    Sheet(
        "routes",
        "Trade links; a region supplies itself without a route.",
        (
            Column(
                "origin", Kind.KEY, "Exporting region.", key=True, required=True,
                references="regions",
            ),
            Column(
                "destination", Kind.KEY, "Importing region.", key=True, required=True,
                references="regions",
            ),
            Column(
                "mineral", Kind.KEY, "Mineral carried.", key=True, wildcard=True,
                references="minerals",
            ),
            Column(
                "stage", Kind.ENUM, "Product carried.", key=True, wildcard=True,
                choices=PRODUCTS,
            ),
            Column(
                "cost_per_t", Kind.NUMBER, "Transport cost.", unit=_MONEY, default=0.0,
                bound=NON_NEGATIVE,
            ),
            Column(
                "capacity_t", Kind.NUMBER, "Largest shipment, for each mineral and stage.",
                unit="t/yr", blank_means="unlimited", bound=NON_NEGATIVE,
            ),
            Column(
                "tariff_per_t", Kind.NUMBER, "Border tariff paid on shipments.", unit=_MONEY,
                default=0.0, bound=NON_NEGATIVE,
            ),
        ),
    ),
    Sheet(
        "demand",
        "Demand for refined product.",
        (
            Column(
                "region", Kind.KEY, "Consuming region.", key=True, required=True,
                references="regions",
            ),
            Column(
                "mineral", Kind.KEY, "Mineral demanded.", key=True, required=True,
                references="minerals",
            ),
            Column(
                "period", Kind.KEY, "Period.", key=True, wildcard=True, references="periods"
            ),
            Column(
                "demand_t", Kind.NUMBER, "Demand for refined product.", unit="t/yr",
                default=0.0, needed=True, bound=NON_NEGATIVE,
            ),
            Column(
                "certified_share", Kind.NUMBER,
                "Part of the demand that only certified product may meet (docs/model.md §12).",
                unit="share", default=0.0, bound=UNIT_INTERVAL,
                typical=(Typical(UNIT_INTERVAL, Slip.PERCENT),),
            ),
        ),
        required=True,
        non_empty=True,
    ),
    Sheet(
        "prices",
        "Market prices and the zone's reference (floor) prices.",
        (
            Column(
                "mineral", Kind.KEY, "Mineral.", key=True, required=True,
                references="minerals",
            ),
            Column(
                "stage", Kind.ENUM, "Product priced.", key=True, required=True,
                choices=PRODUCTS,
            ),
            Column(
                "period", Kind.KEY, "Period.", key=True, wildcard=True, references="periods"
            ),
            Column(
                "market_price_per_t", Kind.NUMBER, "World market price.", unit=_MONEY,
                required=True, bound=NON_NEGATIVE,
            ),
            Column(
                "floor_price_per_t", Kind.NUMBER,
                "Reference price that imports into the zone may not undercut.",
                unit=_MONEY, blank_means="no floor (0 is a floor)", bound=NON_NEGATIVE,
            ),
        ),
    ),
    Sheet(
        "stockpiles",
        "Strategic stockpiles (Project Vault).",
        (
            Column("stockpile", Kind.KEY, "Identifier of the stockpile.", key=True,
                   required=True),
            Column("region", Kind.KEY, "Where it sits.", required=True, references="regions"),
            Column("mineral", Kind.KEY, "What it holds.", required=True,
                   references="minerals"),
            Column("stage", Kind.ENUM, "Product held.", default="refined", choices=PRODUCTS),
            Column("capacity_t", Kind.NUMBER, "Largest stock level.", unit="t",
                   required=True, bound=NON_NEGATIVE),
            Column("initial_t", Kind.NUMBER, "Stock before the first period.", unit="t",
                   default=0.0, bound=NON_NEGATIVE),
            Column("min_level_t", Kind.NUMBER, "Lowest stock level allowed.", unit="t",
                   default=0.0, bound=NON_NEGATIVE),
            Column("terminal_min_t", Kind.NUMBER,
                   "Lowest stock level at the end of the horizon.", unit="t",
                   blank_means="initial_t", bound=NON_NEGATIVE),
            Column("max_release_t", Kind.NUMBER, "Largest release rate.", unit="t/yr",
                   blank_means="unlimited", bound=NON_NEGATIVE),
            Column("max_purchase_t", Kind.NUMBER, "Largest purchase rate.", unit="t/yr",
                   blank_means="unlimited", bound=NON_NEGATIVE),
            Column("holding_cost_per_t", Kind.NUMBER, "Cost of holding stock.",
                   unit="USD/t/yr", default=0.0, bound=NON_NEGATIVE),
            Column("release_needs_disruption", Kind.YESNO,
                   "Release only while a disruption of this mineral is active.",
                   default=False),
            Column("certified_initial_t", Kind.NUMBER,
                   "Certified part of the stock before the first period (docs/model.md §12); "
                   "at most initial_t.", unit="t", default=0.0, bound=NON_NEGATIVE),
        ),
    ),
    Sheet(
        "offtakes",
        "Long-term take-or-pay offtake agreements with facilities.",
        (
            Column("facility", Kind.KEY, "Facility supplying.", required=True,
                   references="facilities"),
            Column("start_period", Kind.KEY, "First period of the contract.",
                   blank_means="first period", references="periods"),
            Column("end_period", Kind.KEY, "Last period of the contract.",
                   blank_means="last period", references="periods"),
            Column("contract_t", Kind.NUMBER, "Contracted quantity.", unit="t/yr",
                   required=True, bound=NON_NEGATIVE),
            Column("contract_price_per_t", Kind.NUMBER,
                   "Price paid for the contracted quantity, taken or not.", unit=_MONEY,
                   required=True, bound=NON_NEGATIVE),
        ),
    ),
    Sheet(
        "scenarios",
        "Disruption scenarios and their probabilities (absent: one scenario 'base').",
        (
            Column("scenario", Kind.KEY, "Identifier of the scenario.", key=True,
                   required=True),
            Column("probability", Kind.NUMBER, "Probability; all add up to 1.",
                   required=True, bound=UNIT_INTERVAL,
                   typical=(Typical(UNIT_INTERVAL, Slip.PERCENT),)),
            Column("description", Kind.TEXT, "What happens in it."),
        ),
    ),
    Sheet(
        "disruptions",
        "What goes wrong in each scenario, and when.",
        (
            Column("scenario", Kind.KEY, "Scenario it belongs to.", required=True,
                   references="scenarios"),
            Column("kind", Kind.ENUM, "What is disrupted.", required=True,
                   choices=DISRUPTION_KINDS),
            Column("region", Kind.KEY,
                   "Region affected (export, route: origin); not on price rows.",
                   wildcard=True, references="regions"),
            Column("mineral", Kind.KEY, "Mineral affected.", wildcard=True,
                   references="minerals"),
            Column("stage", Kind.ENUM,
                   "Capacity rows: mine / refine / recycle; other kinds: concentrate / "
                   "refined (demand: refined only).",
                   wildcard=True, choices=FACILITY_STAGES + PRODUCTS),
            Column("destination", Kind.KEY, "Export and route rows only: importing region.",
                   wildcard=True, references="regions"),
            Column("start_period", Kind.KEY, "First period it is active.", required=True,
                   references="periods"),
            Column("end_period", Kind.KEY, "Last period it is active.",
                   blank_means="last period", references="periods"),
            Column("factor", Kind.NUMBER,
                   "Multiplier (capacity, demand, route, price) or export cap as a share "
                   "of capacity (export).",
                   required=True, bound=NON_NEGATIVE, typical=FACTOR_TYPICAL),
        ),
    ),
    Sheet(
        "shortfall_tiers",
        "Stepped penalties for unmet demand, by share of demand.",
        (
            Column("mineral", Kind.KEY, "Mineral.", key=True, wildcard=True,
                   references="minerals"),
            Column("up_to_share", Kind.NUMBER,
                   "Upper end of the tier as a share of demand.", key=True, required=True,
                   bound=SHARE, typical=(Typical(SHARE, Slip.PERCENT),)),
            Column("penalty_per_t", Kind.NUMBER, "Penalty per tonne unmet in this tier.",
                   unit=_MONEY, required=True, bound=NON_NEGATIVE),
        ),
    ),
)

SETTINGS: tuple[Setting, ...] = (
    Setting("currency", Kind.TEXT, "Currency of every money figure.", default="USD"),
    Setting("discount_rate", Kind.NUMBER, "Annual discount rate.", unit="1/yr",
            default=0.0, bound=Bound(low=-1.0, low_open=True),
            typical=Typical(Bound(low=0.0, high=0.3), Slip.PERCENT)),
    Setting("risk_weight", Kind.NUMBER,
            "Weight λ of CVaR in the objective (0: expected cost only).",
            default=0.0, bound=UNIT_INTERVAL, typical=Typical(UNIT_INTERVAL, Slip.PERCENT)),
    Setting("cvar_alpha", Kind.NUMBER, "Confidence level α of the CVaR.", default=0.95,
            bound=Bound(low=0.0, high=1.0, low_open=True, high_open=True),
            typical=Typical(Bound(low=0.5, high=1.0, high_open=True), Slip.COMPLEMENT,
                            why="the CVaR then averages most scenarios, not the worst")),
    Setting("stockpile_budget", Kind.NUMBER,
            "Total stockpile purchasing money over the horizon, in every scenario.",
            unit="USD", blank_means="unlimited", bound=NON_NEGATIVE, typical=BUDGET_TYPICAL),
    Setting("expansion_budget", Kind.NUMBER, "Total overnight capex of new capacity.",
            unit="USD", blank_means="unlimited", bound=NON_NEGATIVE, typical=BUDGET_TYPICAL),
    Setting("zone_exclusive", Kind.YESNO,
            "Forbid imports from non-members of products that have a floor.", default=False),
    Setting("time_limit_s", Kind.NUMBER, "Solver time limit (the command line overrides).",
            unit="s", blank_means="none", bound=POSITIVE),
    Setting("threads", Kind.NUMBER, "Solver threads (the command line overrides).",
            blank_means="solver's choice", bound=Bound(low=1.0), integer=True),
    Setting("max_sheet_rows", Kind.NUMBER,
            "Most rows a detail sheet of the results workbook may have; a larger one is "
            "written per tree node, or as expected values per period, with the complete "
            "table in Parquet beside the workbook.", unit="rows", default=200_000,
            bound=Bound(low=1000.0, high=1_048_575.0), integer=True),
)

# Money per tonne that should be of the order of its mineral's market price (a median of
# its prices rows): a value a thousand times off is a warning (likely per kg, or in
# thousands). The mineral is the row's own, or its facility's (offtakes).
PRICE_SCALE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("prices", "market_price_per_t"),
    ("prices", "floor_price_per_t"),
    ("facilities", "unit_cost_per_t"),
    ("offtakes", "contract_price_per_t"),
)

# The hidden sheet of the template that holds the drop-down lists of wildcard columns.
LISTS_SHEET = "lists"

# Sheets that are known but never read by the model: provenance, explanations, and
# the template's drop-down lists.
IGNORED_SHEETS: tuple[str, ...] = ("sources", "read_me", LISTS_SHEET)

# Readers look SHEETS and SHEETS_BY_NAME up when they run (``contract.SHEETS``), not
# when they are imported, so a test can list an instrument's sheet the way adding it
# here does (tests/test_components.py).
SHEETS_BY_NAME: dict[str, Sheet] = {sheet.name: sheet for sheet in SHEETS}
SETTINGS_BY_KEY: dict[str, Setting] = {setting.key: setting for setting in SETTINGS}

YES_WORDS = frozenset({"yes", "true", "1"})
NO_WORDS = frozenset({"no", "false", "0"})

