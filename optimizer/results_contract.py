"""The results workbook contract of MODEL.md §8, declared once.

Every results sheet, column and summary figure is described here, and only here:
:mod:`optimizer.results` builds its tables in these columns, :mod:`optimizer.report`
takes number formats and widths from them, and the ``read_me`` sheet is generated
from their meanings and units. ``{currency}`` in a unit stands for the workbook's
currency (USD by default).
"""

from __future__ import annotations

from dataclasses import dataclass

# Excel number formats, one per kind of quantity.
TEXT = "General"
TONNES = "#,##0.00"
MONEY = "#,##0"
PRICE = "#,##0.00"
SHARE = "0.0%"
PROBABILITY = "0.0000"
DAYS = "#,##0.0"
SECONDS = "0.000"
COUNT = "#,##0"
BY_FIGURE = "by figure"  # the format of each summary row's own figure


@dataclass(frozen=True, slots=True)
class ResultColumn:
    """One column of a results sheet."""

    name: str
    meaning: str
    unit: str = ""
    number_format: str = TEXT
    wrap: bool = False  # long text: wrapped, in a capped width


@dataclass(frozen=True, slots=True)
class ResultSheet:
    """One results sheet: what a row is, and its columns in order."""

    name: str
    row: str  # "one row per ..."
    meaning: str
    columns: tuple[ResultColumn, ...]

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> ResultColumn:
        """The column called ``name``."""
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(f"{self.name} has no column {name}")


@dataclass(frozen=True, slots=True)
class Figure:
    """One row of the ``summary`` sheet."""

    name: str
    meaning: str
    unit: str = ""
    number_format: str = TEXT


def unit_text(unit: str, currency: str) -> str:
    """A declared unit with the workbook's currency filled in."""
    return unit.replace("{currency}", currency)


# ---------------------------------------------------------------- shared columns

SCENARIO = ResultColumn(
    "scenario", "Scenario. A node shared by several scenarios repeats under each of them, "
    "so every scenario reads as a complete plan.",
)
PERIOD = ResultColumn("period", "Period, by name.")
REGION = ResultColumn("region", "Region.")
MINERAL = ResultColumn("mineral", "Mineral.")
PRODUCT = ResultColumn("stage", "Product: concentrate or refined.")
FACILITY = ResultColumn("facility", "Facility.")
FACILITY_STAGE = ResultColumn("stage", "Facility stage: mine, refine or recycle.")
PROBABILITY_COLUMN = ResultColumn(
    "probability", "Probability of the scenario, as given.", "", PROBABILITY
)
NON_MEMBER_SHARE = ResultColumn(
    "non_member_share",
    "from_non_members_t ÷ (from_members_t + from_non_members_t); blank when both are 0.",
    "share", SHARE,
)
COMPONENT_MEANINGS: dict[str, str] = {
    "production_cost": "unit cost × (output − contract_take) of every facility",
    "contract_cost": "take-or-pay payments: contract price × contract_t × years, "
                     "paid whether taken or not",
    "transport_cost": "route cost_per_t × shipments",
    "border_adjustment": "border adjustment per t × shipments (tariff, plus the gap "
                         "between floor and market price on routes from non-members "
                         "into members)",
    "holding_cost": "holding_cost_per_t × stock level × years",
    "shortfall_penalty": "tier penalty × unmet demand",
    "capex": "annualised capex × new capacity × years, from online_period to the end of "
             "the horizon (the same in every scenario)",
}


def _component_columns() -> tuple[ResultColumn, ...]:
    return tuple(
        ResultColumn(name, f"Discounted along the scenario's path: {meaning}.", "{currency}",
                     MONEY)
        for name, meaning in COMPONENT_MEANINGS.items()
    )


MARGINAL_PRICE_MEANING = (
    "Marginal price: what one more tonne of the product needed in this region and period "
    "would cost the plan, on this scenario's node. It is the dual of the region's "
    "concentrate or refined balance row ÷ (node probability × δ_t), where δ_t = "
    "(1 + discount_rate)^−(years before the period): in money of the period, undiscounted "
    "and not weighted by probability. Blank where the node's probability is 0."
)
MARGINAL_PRICE_RISK_NOTE = (
    " Risk-adjusted: with risk_weight λ = {risk_weight} > 0 the objective weighs each "
    "scenario by (1 − λ) × its probability plus λ × its weight in the CVaR tail "
    "(α = {cvar_alpha}), so the price is what a planner averse to bad scenarios would "
    "pay at the margin, not an expected market price; it is higher than the expected "
    "marginal cost at nodes in the tail and lower elsewhere."
)

ZONE_SUPPLY_DEFINITION = (
    "Zone supply of refined product: what reaches the member regions' refined pool. "
    "From members: output of member refineries and recyclers + releases from member "
    "stockpiles of refined product − refined shipments from members to non-members "
    "(never below 0); shipments between members stay inside the zone and are not "
    "counted twice. Equivalently, summed over member regions: own production + imports "
    "from members + stock releases − everything shipped out of the region. From "
    "non-members: refined shipments from non-member regions into member regions. "
    "Purchases into stockpiles are not netted out: the figures say where the product "
    "came from, whatever it was then used for."
)

# ---------------------------------------------------------------- summary figures

FIGURES: tuple[Figure, ...] = (
    Figure("status", "Solver status of the run (always optimal: no results are written "
           "otherwise)."),
    Figure("objective", "The objective the solver minimised: (1 − λ) × expected_cost + "
           "λ × cvar, which is expected_cost when risk_weight λ = 0.", "{currency}", MONEY),
    *(
        Figure(name, f"Expected discounted {meaning}: Σ over nodes of probability × δ_t × "
               "cost at the node" + (" (decided once, so not weighted)." if name == "capex"
                                     else "."), "{currency}", MONEY)
        for name, meaning in COMPONENT_MEANINGS.items()
    ),
    Figure("expected_cost", "Sum of the seven cost components: the expected discounted "
           "cost Σ_s p_s C_s.", "{currency}", MONEY),
    Figure("zone_net_cost", "expected_cost less the expected discounted border adjustments "
           "paid on routes into member regions: that money stays inside the zone.",
           "{currency}", MONEY),
    Figure("cvar", "CVaR at level cvar_alpha of the scenario costs C_s (the expected cost of "
           "the worst 1 − α of probability), computed from the scenarios sheet whatever "
           "the risk_weight.", "{currency}", MONEY),
    Figure("risk_weight", "λ of the settings: the weight of CVaR in the objective.", "",
           PROBABILITY),
    Figure("cvar_alpha", "α of the settings: the CVaR level.", "", PROBABILITY),
    Figure("variables", "Number of variables (columns) of the linear program.", "count",
           COUNT),
    Figure("constraints", "Number of constraints (rows) of the linear program.", "count",
           COUNT),
    Figure("solve_seconds", "Time HiGHS took to solve.", "s", SECONDS),
    Figure("total_seconds", "Time of the whole run, reading to results.", "s", SECONDS),
    Figure("input_file", "The input workbook."),
    Figure("input_sha256", "SHA-256 of the input workbook's bytes, to tell which version "
           "of the input these results belong to."),
    Figure("version", "Version of the optimizer."),
)
FIGURES_BY_NAME: dict[str, Figure] = {f.name: f for f in FIGURES}

# ---------------------------------------------------------------- sheets

RESULT_SHEETS: tuple[ResultSheet, ...] = (
    ResultSheet(
        "read_me", "column of a results sheet",
        "What every sheet and column of this workbook means.",
        (
            ResultColumn("sheet", "The sheet described."),
            ResultColumn("column", "The column described; blank for the sheet itself."),
            ResultColumn("meaning", "What it means.", wrap=True),
            ResultColumn("unit", "Its unit (t: tonnes; share: a fraction shown as %)."),
        ),
    ),
    ResultSheet(
        "summary", "figure",
        "The run at a glance: status, objective, expected costs by component, risk, size, "
        "timing and provenance.",
        (
            ResultColumn("figure", "Name of the figure."),
            ResultColumn("value", "Its value.", "see unit", BY_FIGURE),
            ResultColumn("unit", "Its unit."),
            ResultColumn("meaning", "What the figure is.", wrap=True),
        ),
    ),
    ResultSheet(
        "scenarios", "scenario",
        "Each scenario's cost C_s, its components, unmet demand and dependence on "
        "non-members.",
        (
            ResultColumn("scenario", "Scenario."),
            ResultColumn("description", "Its description, from the input."),
            PROBABILITY_COLUMN,
            ResultColumn("leaves_trunk", "First period in which the scenario has an active "
                         "disruption and so leaves the trunk; blank if it never does."),
            ResultColumn("total_cost", "C_s: the sum of the cost components.", "{currency}",
                         MONEY),
            *_component_columns(),
            ResultColumn("shortfall_t", "Unmet demand over the scenario's path, all regions "
                         "and minerals.", "t", TONNES),
            ResultColumn(
                "non_member_share",
                "Share of zone supply from non-members over the scenario's path, all "
                "minerals and periods, weighted by tonnes (see the dependence sheet).",
                "share", SHARE,
            ),
        ),
    ),
    ResultSheet(
        "production", "facility, period and scenario",
        "What each mine, refinery and recycler produces, against what it could.",
        (
            FACILITY, PERIOD, SCENARIO, REGION, MINERAL, FACILITY_STAGE,
            ResultColumn("output_t", "Production in the period (refined product for "
                         "refineries and recyclers, concentrate for mines).", "t", TONNES),
            ResultColumn("contract_take_t", "The part of output_t taken under offtake "
                         "contracts (blank where the facility has none in the period).", "t",
                         TONNES),
            ResultColumn("capacity_t", "Available capacity in the period: disruption factor "
                         "× (capacity_t + new capacity from online_period on) × years.", "t",
                         TONNES),
            ResultColumn("utilisation", "output_t ÷ capacity_t; blank when capacity is 0.",
                         "share", SHARE),
        ),
    ),
    ResultSheet(
        "flows", "route, mineral, stage, period and scenario",
        "Shipments on every route, with what a tonne costs.",
        (
            ResultColumn("origin", "Region shipped from."),
            ResultColumn("destination", "Region shipped to."),
            MINERAL, PRODUCT, PERIOD, SCENARIO,
            ResultColumn("flow_t", "Shipment in the period.", "t", TONNES),
            ResultColumn("cost_per_t", "Transport cost of the route.", "{currency}/t", PRICE),
            ResultColumn("border_adjustment_per_t", "Border adjustment: tariff_per_t, plus "
                         "max(0, floor − market price) on routes from a non-member into a "
                         "member.", "{currency}/t", PRICE),
        ),
    ),
    ResultSheet(
        "stockpiles", "stockpile, period and scenario",
        "Stock levels, purchases and releases of the strategic stockpiles.",
        (
            ResultColumn("stockpile", "Stockpile."),
            PERIOD, SCENARIO, REGION, MINERAL, PRODUCT,
            ResultColumn("level_t", "Stock at the end of the period.", "t", TONNES),
            ResultColumn("purchase_t", "Bought into stock in the period.", "t", TONNES),
            ResultColumn("release_t", "Released from stock in the period.", "t", TONNES),
            ResultColumn("spend", "purchase_t × market price (with price disruptions), "
                         "undiscounted.", "{currency}", MONEY),
            ResultColumn("cover_days", "level_t ÷ the region's daily demand for the mineral "
                         "(demand in the period, disruptions included, ÷ (years × 365)); "
                         "blank when the region has no demand for it.", "days", DAYS),
        ),
    ),
    ResultSheet(
        "shortfalls", "region, mineral, period and scenario with demand",
        "Refined demand and how much of it goes unmet.",
        (
            REGION, MINERAL, PERIOD, SCENARIO,
            ResultColumn("demand_t", "Refined demand in the period, disruptions included.",
                         "t", TONNES),
            ResultColumn("shortfall_t", "Unmet demand, all tiers.", "t", TONNES),
            ResultColumn("share", "shortfall_t ÷ demand_t; blank when demand is 0.", "share",
                         SHARE),
        ),
    ),
    ResultSheet(
        "prices", "region, mineral, stage, period and scenario with a balance row",
        "Marginal prices from the balance duals, against market and floor prices.",
        (
            REGION, MINERAL, PRODUCT, PERIOD, SCENARIO,
            ResultColumn("marginal_price_per_t", MARGINAL_PRICE_MEANING, "{currency}/t",
                         PRICE),
            ResultColumn("market_price_per_t", "Market price, with price disruptions; blank "
                         "when the prices sheet has no row for it (the model then uses 0).",
                         "{currency}/t", PRICE),
            ResultColumn("floor_price_per_t", "The zone's floor price; blank when there is "
                         "none.", "{currency}/t", PRICE),
            ResultColumn("price_gap", "floor − marginal price when positive, else 0; blank "
                         "when there is no floor or no marginal price.", "{currency}/t",
                         PRICE),
        ),
    ),
    ResultSheet(
        "expansions", "expandable facility",
        "Capacity expansions: decided once, before the first period, for all scenarios.",
        (
            FACILITY, REGION, MINERAL, FACILITY_STAGE,
            ResultColumn("online_period", "First period the new capacity can run."),
            ResultColumn("expandable_t", "Largest expansion allowed.", "t/yr", TONNES),
            ResultColumn("built_t", "New capacity built.", "t/yr", TONNES),
            ResultColumn("capex", "built_t × capex_per_t: the overnight investment.",
                         "{currency}", MONEY),
            ResultColumn("annualised_cost", "built_t × annualised capex per t: the yearly "
                         "charge from online_period on.", "{currency}/yr", MONEY),
        ),
    ),
    ResultSheet(
        "dependence", "mineral, period and scenario",
        "Where the zone's refined supply comes from. " + ZONE_SUPPLY_DEFINITION,
        (
            MINERAL, PERIOD, SCENARIO,
            ResultColumn("from_members_t", "Zone supply from member sources: member output + "
                         "member stock releases − shipments from members to non-members "
                         "(never below 0).", "t", TONNES),
            ResultColumn("from_non_members_t", "Zone supply from non-members: refined "
                         "shipments from non-member regions into member regions.", "t",
                         TONNES),
            NON_MEMBER_SHARE,
        ),
    ),
)
RESULT_SHEETS_BY_NAME: dict[str, ResultSheet] = {s.name: s for s in RESULT_SHEETS}
