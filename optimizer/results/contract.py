"""The results workbook contract of MODEL.md §8, declared once.

Every results sheet, column, summary figure and kind of chart is described here, and
only here: :mod:`optimizer.results` and :mod:`optimizer.charts` build their tables in
these columns, :mod:`optimizer.report` takes number formats, highlights, links, widths
and the charts' look from them, and the ``read_me`` sheet is generated from their
meanings and units. ``{currency}`` in a unit stands for the workbook's currency (USD by
default).
"""

from __future__ import annotations

from dataclasses import dataclass

from optimizer.model import COSTS

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
SCIENTIFIC = "0.00E+00"
BY_FIGURE = "by figure"  # the format of each summary row's own figure
BY_KIND = "by kind"  # the format of each chart_data row's kind of chart

# What read_me adds to the meaning of a column that report.py marks.
HIGHLIGHT_NOTE = " Cells above 0 are highlighted in red."
DATA_BAR_NOTE = " A red data bar shows the share against 100%."
LINK_NOTE = " Each sheet name links to that sheet."


@dataclass(frozen=True, slots=True)
class ResultColumn:
    """One column of a results sheet."""

    name: str
    meaning: str
    unit: str = ""
    number_format: str = TEXT
    wrap: bool = False  # long text: wrapped, in a capped width
    highlight_positive: bool = False  # conditional format: cells > 0 filled red
    data_bar: bool = False  # conditional format: a bar from 0 to 1 (shares)
    links_to_sheet: bool = False  # cells naming a written sheet link to it

    @property
    def read_me_meaning(self) -> str:
        """The meaning, with what the marks on the column show."""
        return (self.meaning + (HIGHLIGHT_NOTE if self.highlight_positive else "")
                + (DATA_BAR_NOTE if self.data_bar else "")
                + (LINK_NOTE if self.links_to_sheet else ""))


@dataclass(frozen=True, slots=True)
class ResultSheet:
    """One results sheet: what a row is, and its columns in order."""

    name: str
    row: str  # "one row per ..."
    meaning: str
    columns: tuple[ResultColumn, ...]  # none: a sheet of charts, not a table

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def in_form(self, form: str) -> ResultSheet:
        """The sheet as written in ``form``: per node, ``node`` and ``scenarios`` take the
        place of ``scenario``; as expected values, ``scenario`` is left out."""
        if form == FORM_SCENARIO or "scenario" not in self.column_names:
            return self
        columns: list[ResultColumn] = []
        for column in self.columns:
            if column.name != "scenario":
                columns.append(column)
            elif form == FORM_NODE:
                columns += [NODE_COLUMN, SCENARIOS_COLUMN]
        row = self.row.replace(" and scenario", " and tree node") if form == FORM_NODE \
            else self.row.replace(", period and scenario",
                                  " and period (expected over the scenarios)")
        return ResultSheet(self.name, row, self.meaning, tuple(columns))

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
# The cost components of MODEL.md §7 and what each sums, as the model's components
# declare them (optimizer.model.component.Cost), in the order the results show them.
COMPONENT_MEANINGS: dict[str, str] = {cost.name: cost.meaning for cost in COSTS}
_NUMBER_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
                 "ten", "eleven", "twelve")
_COMPONENT_COUNT = _NUMBER_WORDS[len(COSTS)] if len(COSTS) < len(_NUMBER_WORDS) \
    else str(len(COSTS))


def _component_columns() -> tuple[ResultColumn, ...]:
    return tuple(
        ResultColumn(name, f"Discounted along the scenario's path: {meaning}.", "{currency}",
                     MONEY)
        for name, meaning in COMPONENT_MEANINGS.items()
    )


FLOOR_GAP_MEANING = (
    "Floor gap: max(0, floor − market price), the market price after price disruptions "
    "(blank counts as 0) — the gap of the border adjustment (docs/model.md §3). A floor binds "
    "where it is above 0. Price-gap support (burden sheet) is this gap × member output. "
    "Blank when there is no floor."
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

# The forms a detail sheet may take when its rows would pass max_sheet_rows (§8).
NODE_COLUMN = ResultColumn(
    "node", "Node of the scenario tree: a period and the scenarios that cannot yet be told "
    "apart then. Its rows hold for each scenario listed in scenarios.", "", COUNT,
)
SCENARIOS_COLUMN = ResultColumn(
    "scenarios", "The scenarios that pass through the node: all of them, a list, or their "
    "count with the first few (the tree's paths are in the Parquet detail, paths.parquet).",
)
FORM_SCENARIO = "scenario"  # one row per index, period and scenario (the declared columns)
FORM_NODE = "node"  # one row per index and tree node: node and scenarios replace scenario
FORM_EXPECTED = "expected"  # probability-weighted expected values per index and period
FORM_LARGEST = "largest"  # the largest expected rows only, when even those do not fit
FORMS = (FORM_SCENARIO, FORM_NODE, FORM_EXPECTED, FORM_LARGEST)

# ---------------------------------------------------------------- summary figures

FIGURES: tuple[Figure, ...] = (
    Figure("status", "Solver status of the run: optimal (no results are written "
           "otherwise), or, with --engine mpisppy-ph, implementable: a plan within "
           "ph_relative_gap of the optimum."),
    Figure("warnings", "Warnings on the input: values allowed but unusual, rows that repeat, "
           "columns or sheets ignored. Each is a row of the warnings sheet; 0 when there "
           "were none.", "count", COUNT),
    Figure("objective", "The objective the solver minimised: (1 − λ) × expected_cost + "
           "λ × cvar, which is expected_cost when risk_weight λ = 0.", "{currency}", MONEY),
    *(
        Figure(cost.name, f"Expected discounted {cost.meaning}: Σ over nodes of probability "
               "× δ_t × cost at the node" + (" (decided once, so not weighted)."
                                            if cost.first_stage else "."), "{currency}", MONEY)
        for cost in COSTS
    ),
    Figure("expected_cost", f"Sum of the {_COMPONENT_COUNT} cost components: the expected "
           "discounted cost Σ_s p_s C_s.", "{currency}", MONEY),
    Figure("zone_net_cost", "expected_cost less the expected discounted border adjustments "
           "paid on routes into member regions: that money stays inside the zone.",
           "{currency}", MONEY),
    Figure("certified_shortfall_t", "Expected unmet certified demand: Σ over nodes of "
           "probability × certified_shortfall_t (docs/model.md §12); part of the unmet demand "
           "that pays the shortfall penalty.", "t", TONNES),
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
    Figure("max_primal_infeasibility", "HiGHS's largest violation of a row or bound by the "
           "solution, in that row's or bound's own unit (tonnes or money); HiGHS's "
           "primal feasibility tolerance is 1e-7.", "", SCIENTIFIC),
    Figure("max_dual_infeasibility", "HiGHS's largest violation of optimality by the "
           "duals (a reduced cost of the wrong sign), in the objective's unit per unit "
           "of the column; HiGHS's dual feasibility tolerance is 1e-7.", "", SCIENTIFIC),
    Figure("total_seconds", "Time of the whole run, reading to results.", "s", SECONDS),
    Figure("input_file", "The input workbook."),
    Figure("input_sha256", "SHA-256 of the input workbook's bytes, to tell which version "
           "of the input these results belong to."),
    Figure("version", "Version of the optimizer."),
    Figure("detail_folder", "The folder of Parquet files beside this workbook that holds "
           "the complete detail tables, one row per index and tree node, zero rows "
           "included, with the tree (nodes.parquet, paths.parquet); blank when none was "
           "written (every detail sheet fitted and --detail was not asked for)."),
    Figure("max_sheet_rows", "The most rows a detail sheet may have before it is written "
           "per node or as expected values (a setting).", "rows", COUNT),
)
FIGURES_BY_NAME: dict[str, Figure] = {f.name: f for f in FIGURES}

# ---------------------------------------------------------------- the planner's report
# burden, headlines and sensitivity: built by optimizer/burden.py, headlines.py and
# sensitivity.py from the other sheets and the solution.

_DISCOUNTED = ("Discounted as the objective is: Σ over the scenario's periods of δ_t × "
               "the amount (expected rows: Σ_s p_s × the scenario's figure).")

BURDEN_SHEET = ResultSheet(
    "burden", "member region (and zone) and scenario (and expected)",
    "Who pays: border adjustments on imports, support that would lift member output to "
    "the floors, stockpile spending, take-or-pay payments and capex, by member region and "
    "for the whole zone. " + _DISCOUNTED + " Border adjustments, contract payments and "
    "capex split cost components of the objective; price-gap support and stockpile "
    "spending lie outside it.",
    (
        ResultColumn("scenario", "Scenario, or expected: the probability-weighted sum "
                     "Σ_s p_s × the scenario's row, as the summary's expected costs."),
        ResultColumn("region", "Member region, or zone: the whole zone. The zone row sums "
                     "the members' border adjustments and price-gap support, and counts "
                     "every stockpile, offtake and expansion wherever it sits (they are the "
                     "zone's instruments), so its contract_payments equal contract_cost and "
                     "its capex equals capex."),
        ResultColumn("border_tariff", "Tariffs (tariff_per_t × shipments) paid on "
                     "shipments into the region, from members and non-members alike.",
                     "{currency}", MONEY),
        ResultColumn("border_floor_gap", "The floor part of the border adjustment: "
                     "max(0, floor − market price) × shipments from non-members into the "
                     "region. border_tariff + border_floor_gap of the zone is the border "
                     "adjustment paid on routes into members (summary: expected_cost − "
                     "zone_net_cost).", "{currency}", MONEY),
        ResultColumn("price_gap_support", "Price-gap support: (floor − market price) × "
                     "member output, i.e. the prices sheet's floor_gap_per_t × the region's "
                     "own output of that mineral and product (mines: concentrate; refineries "
                     "and recyclers: refined): what paying member producers the floor "
                     "instead of the market price would cost. Outside the objective; none "
                     "where no floor binds.",
                     "{currency}", MONEY),
        ResultColumn("stockpile_spending", "purchase_t × market price (spend on the "
                     "stockpiles sheet) of the stockpiles in the region. Outside the "
                     "objective.", "{currency}", MONEY),
        ResultColumn("contract_payments", "Take-or-pay payments (contract price × contract_t "
                     "× years, paid whether taken or not) to facilities in the region; the "
                     "same in every scenario.", "{currency}", MONEY),
        ResultColumn("capex", "Capex of the expansions in the region as the objective "
                     "charges it: annualised capex × new capacity × years from online_period "
                     "on (the expansions sheet shows the overnight capex); the same in every "
                     "scenario.", "{currency}", MONEY),
        ResultColumn("total", "Sum of the six amounts: all the region pays through them. "
                     "Not the plan's cost: production, transport, holding and shortfall "
                     "costs are not split by region, and two amounts lie outside the "
                     "objective.", "{currency}", MONEY),
    ),
)

HEADLINES_SHEET = ResultSheet(
    "headlines", "finding",
    "The findings to read first, as sentences generated from the other sheets; numbers "
    "in sentences are rounded, figure keeps the value as the other sheets hold it (money "
    "in whole units). Stockpiles empty before and after a disruption starts are named "
    "once, not given a cover. Payback of an expansion: its "
    "overnight capex ÷ the expected yearly margin of the new capacity, where the margin "
    "in a period and scenario is the new capacity's share of output (built_t ÷ "
    "(capacity_t + built_t) × output_t) × (marginal price of the facility's product in "
    "its region − unit_cost_per_t − for a refinery, the marginal price of concentrate "
    "there ÷ yield), weighted by probability, summed over the periods from online_period "
    "on and divided by their years; undiscounted; none when that margin is not positive. "
    "Before a disruption: a scenario's periods before it leaves the trunk; during: its "
    "periods with a departure active; non-member shares over them are weighted by "
    "probability and tonnes. The trunk is the calm scenario's path (see leaves_trunk on "
    "the scenarios sheet); a scenario's departures are its disruption rows beyond the "
    "trunk's. Days of cover going in when a disruption starts: cover_days at the end of "
    "the period before the scenario leaves the trunk (in the first period, initial_t ÷ "
    "daily demand), for the stockpiles of the minerals its departures then touch. A floor "
    "binds where the market price, after price disruptions, is below it; its gap is "
    "floor − market price (prices: floor_gap_per_t, also as a share of the floor); "
    "price-gap support is (floor − market price) × member output (burden). The marginal "
    "cost below floor (prices: marginal_below_floor_per_t) compares the floor with the "
    "dual and is no headline's figure. Each headline is one sentence of at most 30 words.",
    (
        ResultColumn("number", "Reading order.", "", COUNT),
        ResultColumn("headline", "The finding in a sentence.", wrap=True),
        ResultColumn("figure", "Its main number, as the other sheets hold it; blank when "
                     "there is none.",
                     "see unit", PRICE),
        ResultColumn("unit", "Unit of figure."),
        ResultColumn("sheet", "The sheet to check it on.", links_to_sheet=True),
    ),
)

SENSITIVITY_SHEET = ResultSheet(
    "sensitivity", "binding limit",
    "What the binding limits are worth, and how far each can move before that changes: "
    "every stockpile and expansion budget (§6.10), facility capacity (§6.1, a row where "
    "new capacity can come online, else the bound on output), route capacity (§6.7) and "
    "zone exclusivity (§6.9) whose dual is not 0, and every member concentrate or refined "
    "balance (§6.3, §6.4) of a mineral and product with a floor where the marginal cost "
    "is below the floor (marginal_below_floor_per_t > 0 on the prices sheet); § numbers "
    "are the sections of docs/model.md. Ranges are HiGHS's ranging of the optimal basis, "
    "each for that right-hand side alone with everything else fixed; where the solution "
    "is degenerate the true range can be wider.",
    (
        ResultColumn("constraint", "The constraint, with its section of docs/model.md."),
        ResultColumn("what", "The limit in plain words: facility, route, region, mineral, "
                     "period and the scenarios that share the node.", wrap=True),
        ResultColumn("dual", "Change in the objective per unit increase of rhs (the dual "
                     "of the row, or the reduced cost of a bound): negative where more room "
                     "lowers the cost (capacities, budgets, routes), positive where a higher "
                     "requirement raises it (balances). In objective units: expected "
                     "discounted cost (blended with CVaR when risk_weight > 0), so a node's "
                     "dual ÷ (node probability × δ_t) is in money of the period, as on the "
                     "prices sheet.", "{currency} per unit", PRICE),
        ResultColumn("rhs", "The right-hand side: the limit as the model holds it (a "
                     "capacity row's is the existing capacity; new capacity adds to it).",
                     "see unit", TONNES),
        ResultColumn("rhs_low", "Lowest rhs at which the dual still holds (never below 0 "
                     "for a capacity, route or budget); blank when there is no such limit, "
                     "or when the run did not range.", "see unit", TONNES),
        ResultColumn("rhs_high", "Highest rhs at which the dual still holds; blank when there "
                     "is no such limit, or when the run did not range.", "see unit",
                     TONNES),
        ResultColumn("unit", "Unit of rhs, rhs_low and rhs_high: t, or the currency for "
                     "budgets."),
    ),
)

# ---------------------------------------------------------------- value of information
# Only with ``optimizer run --value-of-information``: the summary figures below, after the
# others, and the value_of_information sheet, computed by optimizer/information.py.

_RHO = ("the run's objective ρ(C) = (1 − λ) × Σ_s p_s C_s + λ × CVaR_α(C), which is the "
        "expected cost Σ_s p_s C_s when risk_weight λ = 0")
_EV_PLAN = ("the plan for the average situation: the capacity expansion and every decision "
            "in the periods all scenarios share, taken from the optimum of the "
            "expected-value problem (one scenario in which, period by period, every "
            "capacity, route and demand multiplier, market price and export cap is the "
            "probability-weighted mean over the scenarios; a scenario without an export cap "
            "counts as factor 1, and a stockpile may release when it may in some "
            "scenario)")

INFORMATION_FIGURES: tuple[Figure, ...] = (
    Figure("rp", f"Recourse problem: {_RHO}, at this run's plan (the objective).",
           "{currency}", MONEY),
    Figure("eev", f"Expected result of the expected-value solution: {_RHO}, for {_EV_PLAN}, "
           "the rest of each scenario optimised. Blank when that plan cannot be carried "
           "out in every scenario (EEV is then infinite) or was not computed: "
           "information_note says why.", "{currency}", MONEY),
    Figure("ws", "Wait-and-see: ρ applied to the scenarios' own optima, each scenario "
           "solved alone as if known from the start (with λ = 0: Σ_s p_s × its optimum).",
           "{currency}", MONEY),
    Figure("vss", "Value of the stochastic solution: eev − rp, never negative. What "
           "planning over the scenario tree saves against planning for the average.",
           "{currency}", MONEY),
    Figure("evpi", "Expected value of perfect information: rp − ws, never negative. The most "
           "that knowing the scenario in advance would be worth.", "{currency}", MONEY),
    Figure("information_note", "Why eev, ws, vss or evpi is blank, in plain words; empty "
           "when all were computed."),
)
FIGURES_BY_NAME.update({f.name: f for f in INFORMATION_FIGURES})

# Written only by optimizer run --engine mpisppy-ph (optimizer.solve.hedging).
HEDGING_FIGURES: tuple[Figure, ...] = (
    Figure("ph_lower_bound", "Progressive hedging's lower bound on the optimum: the best "
           "of the scenarios solved alone and the Lagrangian bounds of its iterations.",
           "{currency}", MONEY),
    Figure("ph_upper_bound", "Progressive hedging's upper bound: the objective of the plan "
           "reported (the node formulation with the first-stage decisions fixed at "
           "an average of PH's scenario solutions), which is implementable in every "
           "scenario.", "{currency}",
           MONEY),
    Figure("ph_relative_gap", "(ph_upper_bound − ph_lower_bound) / |ph_upper_bound|: the "
           "reported plan's objective is at most this far above the optimum.", "",
           SHARE),
    Figure("ph_iterations", "Progressive hedging iterations run.", "count", COUNT),
)
FIGURES_BY_NAME.update({f.name: f for f in HEDGING_FIGURES})
HEDGING_STATUS = "implementable"
NO_DUALS_NOTE = ("Blank in this run: the mpi-sppy engine that solved it gives no duals of "
                 "the node formulation; run the default engine for marginal prices.")

VALUE_OF_INFORMATION_SHEET = ResultSheet(
    "value_of_information", "scenario",
    "Written only by optimizer run --value-of-information. Each scenario's cost C_s under "
    "three plans: its own optimum, the plan for the average situation and this run's "
    "plan; the summary's rp, eev, ws, vss and evpi weigh them by probability (and CVaR "
    "when risk_weight > 0). A scenario of probability 0 carries no weight in the "
    "objective, so this run's plan for its own periods is feasible but not optimised.",
    (
        SCENARIO,
        PROBABILITY_COLUMN,
        ResultColumn("wait_and_see_cost", "C_s of the scenario solved alone, with "
                     "probability 1, as if known from the start: its own optimum.",
                     "{currency}", MONEY),
        ResultColumn("eev_cost", f"C_s of {_EV_PLAN}, the rest of the scenario optimised. "
                     "Blank when that plan cannot be carried out in every scenario (see "
                     "information_note on the summary).", "{currency}", MONEY),
        ResultColumn("rp_cost", "C_s of this run's plan (total_cost on the scenarios "
                     "sheet).", "{currency}", MONEY),
    ),
)

# ---------------------------------------------------------------- policy comparison
# Only with ``optimizer run --compare-policy``: the case solved again with instruments
# switched off, by optimizer/sweep/policy.py.

POLICY_SHEET = ResultSheet(
    "policy", "run and mineral",
    "Written only by optimizer run --compare-policy. What the policy package (floors, "
    "stockpiles, expansion finance) costs and buys: the case solved again with each "
    "instrument alone switched off and with all of them off (baseline), everything else "
    "as the input has it. Switched off: floors, no price row has a floor; stockpiles, no "
    "stockpile; expansions, every expandable_t with a capex_per_t above 0 is 0 (committed "
    "capacity, expandable at capex 0, stays). Each run's row 'all', then one row "
    "per mineral; every difference is the run's figure − the package's.",
    (
        ResultColumn("run", "package (this run, every instrument in force), "
                     "without_<instrument> (that one alone switched off; only when the case "
                     "has more than one) or baseline (all of them off)."),
        ResultColumn("switched_off", "The instruments switched off in the run."),
        ResultColumn("status", "The run's status; its figures are blank unless optimal."),
        ResultColumn("mineral", "Mineral, or all: every mineral together."),
        ResultColumn("expected_cost", "Σ_s p_s C_s of the run (the summary's "
                     "expected_cost); on 'all' rows only.", "{currency}", MONEY),
        ResultColumn("package_extra_cost", "The package's expected_cost − the run's: what "
                     "the instruments switched off add to the expected cost (border floor "
                     "gaps included, which members' buyers pay to non-member sellers); on "
                     "'all' rows only.", "{currency}", MONEY),
        ResultColumn("expected_shortfall_t", "Expected unmet demand over the horizon, "
                     "Σ_n π_n × shortfall, all regions.", "t", TONNES),
        ResultColumn("shortfall_avoided_t", "The run's expected_shortfall_t − the "
                     "package's: what the instruments switched off avoid.", "t", TONNES),
        ResultColumn("non_member_share", "Σ_n π_n × from_non_members_t ÷ Σ_n π_n × "
                     "(from_members_t + from_non_members_t) over the horizon (the "
                     "dependence sheet's definition); blank on 'all' rows.", "share", SHARE),
        ResultColumn("dependence_reduced", "The run's non_member_share − the package's: "
                     "how much the instruments switched off reduce the dependence on "
                     "non-members, in share points.", "share", SHARE),
    ),
)

# ---------------------------------------------------------------- charts
# The charts sheet holds native Excel charts only; the series they plot are the rows of
# the chart_data sheet, built by optimizer/charts.py and drawn by optimizer/report.py.

MAX_CHARTED_MINERALS = 16  # charts per mineral for at most this many minerals
MAX_SCENARIO_SERIES = 10  # lines or columns for at most this many scenarios
FLOOR_SERIES = "floor price"  # the reference line of a price chart


@dataclass(frozen=True, slots=True)
class ChartKind:
    """One kind of chart on the charts sheet: one chart in all, or one per mineral."""

    name: str
    title: str  # {mineral} and {stage} stand for the chart's own
    chart_type: str  # XlsxWriter's chart type: line, column or bar
    stacked: bool
    category_axis: str
    value_axis: str  # the unit follows in brackets
    unit: str
    number_format: str
    meaning: str


_CHARTED_MINERALS = (
    f"Charted minerals: at most {MAX_CHARTED_MINERALS}, those with the largest expected "
    "demand of member regions valued at market prices (Σ_s p_s × Σ over member regions and "
    "periods of demand_t × the refined market_price_per_t; then tonnes, then input order), "
    "shown in input order."
)
_SHOWN_SCENARIOS = (
    f"Scenarios shown: at most {MAX_SCENARIO_SERIES}, the most probable (ties in input "
    "order), in input order, each in the same colour on every chart."
)

CHART_KINDS: tuple[ChartKind, ...] = (
    ChartKind("cost_breakdown", "Expected cost by component", "bar", False,
              "cost component", "expected discounted cost", "{currency}", MONEY,
              f"The {_COMPONENT_COUNT} expected discounted cost components of the summary, "
              f"{COSTS[0].name} to {COSTS[-1].name}: one bar each."),
    ChartKind("shortfall_share", "Unmet demand by mineral and scenario", "column", False,
              "mineral", "unmet share of demand", "share", SHARE,
              "For each charted mineral and shown scenario: shortfall_t ÷ demand_t of the "
              "shortfalls sheet, each summed over all regions and the scenario's periods; "
              "blank without demand. " + _CHARTED_MINERALS + " " + _SHOWN_SCENARIOS),
    ChartKind("stock_level", "Stock of {mineral} ({stage}) by scenario", "line", False,
              "period", "stock at the end of the period", "t", TONNES,
              "For each charted mineral with a stockpile, per product: level_t of the "
              "stockpiles sheet summed over its stockpiles, one line per shown scenario."),
    ChartKind("supply_by_origin", "Zone supply of {mineral} by origin, expected", "column",
              True, "period", "refined supply to member regions", "t", TONNES,
              "For each charted mineral: from_members_t and from_non_members_t of the "
              "dependence sheet, stacked, each weighted by scenario probability (Σ_s p_s × "
              "the scenario's tonnes): the expected supply, not one scenario's."),
    ChartKind("certified_premium", "Certified premium of {mineral} by scenario", "line",
              False, "period", "certified premium", "{currency}/t", PRICE,
              "For each mineral with certified demand (docs/model.md §12) and shown scenario: "
              "certified_premium_per_t of the prices sheet (refined) averaged over the regions "
              "with certified demand, weighted by their certified_demand_t in the period; "
              "what the origin rule adds to the price of trusted product. " + _SHOWN_SCENARIOS),
    ChartKind("price_against_floor", "Price of {mineral} ({stage}) against its floor", "line",
              False, "period", "price", "{currency}/t", PRICE,
              "For each charted mineral and product with a floor: floor_price_per_t (a dashed "
              f"black line, series '{FLOOR_SERIES}'), and per shown scenario the marginal "
              "price in member regions: marginal_price_per_t of the prices sheet averaged "
              "over member regions, weighted by their demand_t for the mineral in the period "
              "(a plain mean when they have none); blank where no member region has one."),
)
CHART_KINDS_BY_NAME: dict[str, ChartKind] = {k.name: k for k in CHART_KINDS}

CHARTS_SHEET = ResultSheet(
    "charts", "chart",
    "Native Excel charts of the plan, drawn from the chart_data sheet: first the expected "
    "cost by component and unmet demand by mineral and scenario, then a row per charted "
    "mineral with its stock by scenario, its supply by origin and its price against the "
    "floor. Each kind is explained below.",
    (),
)

CHART_DATA_SHEET = ResultSheet(
    "chart_data", "point of a chart series",
    "The numbers the charts sheet plots, chart by chart and series by series, in the "
    "order the charts appear; each chart's series point at their rows here.",
    (
        ResultColumn("chart", "Title of the chart, as on the charts sheet."),
        ResultColumn("kind", "Kind of chart (each explained under the charts sheet)."),
        ResultColumn("mineral", "The chart's mineral; blank for a chart of all minerals."),
        ResultColumn("series", "The series: a scenario, members or non-members, "
                     f"{FLOOR_SERIES} or expected."),
        ResultColumn("category", "Its point on the category axis: a period, a mineral or a "
                     "cost component."),
        ResultColumn("value", "The value plotted; blank where there is none (a gap in a "
                     "line).", "see unit", BY_KIND),
        ResultColumn("unit", "Unit of value."),
    ),
)

WARNINGS_SHEET = ResultSheet(
    "warnings", "warning on the input",
    "Written only when the input raised warnings: what was allowed but looked wrong (a "
    "value outside its typical range, a row that repeats another, a column or sheet "
    "ignored), where it is in the input workbook, and the likely slip. The plan was solved "
    "with the input as given; optimizer run --strict refuses such an input instead.",
    (
        ResultColumn("sheet", "Sheet of the input workbook."),
        ResultColumn("row", "Row as Excel numbers it (the header is row 1); blank for a "
                     "whole sheet or column.", "", COUNT),
        ResultColumn("column", "Column; blank for a whole row or sheet."),
        ResultColumn("message", "What looks wrong, the value found and the likely slip.",
                     wrap=True),
    ),
)

# ---------------------------------------------------------------- sheets

RESULT_SHEETS: tuple[ResultSheet, ...] = (
    ResultSheet(
        "read_me", "column of a results sheet",
        "What every sheet and column of this workbook means.",
        (
            ResultColumn("sheet", "The sheet described.", links_to_sheet=True),
            ResultColumn("column", "The column described (on the charts sheet: a kind of "
                         "chart, as in chart_data's kind column); blank for the sheet itself."),
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
    HEADLINES_SHEET,  # the planner's report
    WARNINGS_SHEET,  # only when the input raised warnings
    ResultSheet(
        "scenarios", "scenario",
        "Each scenario's cost C_s, its components, unmet demand and dependence on "
        "non-members.",
        (
            ResultColumn("scenario", "Scenario."),
            ResultColumn("description", "Its description, from the input."),
            PROBABILITY_COLUMN,
            ResultColumn("leaves_trunk", "First period in which the scenario's path leaves "
                         "the trunk: the calm scenario's path, the tree's most probable one (from "
                         "the most probable first node, each period's most probable child), "
                         "so rows in force in every scenario, such as today's policy, are no "
                         "departure; blank if it never does."),
            ResultColumn("total_cost", "C_s: the sum of the cost components.", "{currency}",
                         MONEY),
            *_component_columns(),
            ResultColumn("shortfall_t", "Unmet demand over the scenario's path, all regions "
                         "and minerals.", "t", TONNES, highlight_positive=True),
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
            ResultColumn("shortfall_t", "Unmet demand, all tiers.", "t", TONNES,
                         highlight_positive=True),
            ResultColumn("share", "shortfall_t ÷ demand_t; blank when demand is 0.", "share",
                         SHARE, highlight_positive=True, data_bar=True),
            ResultColumn("certified_demand_t", "The part of demand_t that only certified "
                         "product may meet: certified_share × demand (docs/model.md §12).", "t",
                         TONNES),
            ResultColumn("certified_shortfall_t", "Unmet certified demand; part of "
                         "shortfall_t (docs/model.md §12).", "t", TONNES, highlight_positive=True),
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
            ResultColumn("floor_gap_per_t", FLOOR_GAP_MEANING, "{currency}/t", PRICE,
                         highlight_positive=True),
            ResultColumn("floor_gap_share", "floor_gap_per_t ÷ floor_price_per_t: the gap "
                         "as a share of the floor, never above 1; blank when there is no "
                         "floor.", "share", SHARE),
            ResultColumn("marginal_below_floor_per_t", "Marginal cost below floor: floor − "
                         "marginal price when positive, else 0; a comparison with the dual, "
                         "not the floor gap (a floor binds on the market price, "
                         "floor_gap_per_t). Blank when there is no floor or no marginal "
                         "price.", "{currency}/t", PRICE),
            ResultColumn("certified_premium_per_t", "What the origin rule adds to the price "
                         "of certified (trusted) product: the certified refined balance's "
                         "dual scaled like marginal_price_per_t; blank where the mineral has "
                         "no certified demand (docs/model.md §12).", "{currency}/t", PRICE),
        ),
    ),
    ResultSheet(
        "expansions", "expandable facility",
        "Capacity expansions: decided once, before the first period, for all scenarios.",
        (
            FACILITY, REGION, MINERAL, FACILITY_STAGE,
            ResultColumn("online_period", "First period the new capacity can run."),
            ResultColumn("committed", "yes where capex_per_t is 0: capacity already "
                         "committed (an announced project) that the plan may use from "
                         "online_period, not an expansion the zone finances; no otherwise."),
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
    CHARTS_SHEET,
    CHART_DATA_SHEET,  # what the charts plot
    BURDEN_SHEET,  # the planner's report
    SENSITIVITY_SHEET,  # the planner's report
    VALUE_OF_INFORMATION_SHEET,  # only with --value-of-information
    POLICY_SHEET,  # only with --compare-policy
)
RESULT_SHEETS_BY_NAME: dict[str, ResultSheet] = {s.name: s for s in RESULT_SHEETS}

# The number format of each row of a column in a BY_... format: the column whose value
# picks it, and the format of each value.
ROW_FORMATS: dict[str, tuple[str, dict[str, str]]] = {
    BY_FIGURE: ("figure", {name: f.number_format for name, f in FIGURES_BY_NAME.items()}),
    BY_KIND: ("kind", {k.name: k.number_format for k in CHART_KINDS}),
}
