"""Every check of MODEL.md §2 and §11: a workbook that breaks exactly one rule, and the
exact report ``optimizer validate`` prints for it (exit status 2).

Each case is a mutation of the small valid case of :mod:`tests.cases`; a record at
index i of a sheet is on Excel row i + 2. The whole error list is compared, so a
stray extra error fails the test as surely as a missing one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from optimizer.cli import main
from optimizer.workbook.contract import SHEETS
from tests.cases import Tables, valid_tables

Writer = Callable[..., Path]  # the ``write`` fixture
Validator = Callable[[Path], tuple[int, list[str]]]  # the ``validate_cli`` fixture

Headers = Mapping[str, Sequence[str]]
Mutation = Callable[[Tables], Headers | None]


# ---------------------------------------------------------------- mutations


def set_cell(sheet: str, index: int, **cells: Any) -> Mutation:
    """Set cells of record ``index`` of ``sheet`` (``None`` blanks a cell)."""

    def mutate(tables: Tables) -> None:
        tables[sheet][index].update(cells)

    return mutate


def add_row(sheet: str, **cells: Any) -> Mutation:
    """Append a record to ``sheet``."""

    def mutate(tables: Tables) -> None:
        tables[sheet].append(dict(cells))

    return mutate


def drop_sheet(sheet: str) -> Mutation:
    def mutate(tables: Tables) -> None:
        del tables[sheet]

    return mutate


def drop_column(sheet: str, column: str) -> Mutation:
    def mutate(tables: Tables) -> None:
        for record in tables[sheet]:
            record.pop(column, None)

    return mutate


def header_only(sheet: str) -> Mutation:
    """Keep the header of ``sheet`` and none of its records."""

    def mutate(tables: Tables) -> Headers:
        columns = list(dict.fromkeys(c for r in tables[sheet] for c in r))
        tables[sheet] = []
        return {sheet: columns}

    return mutate


def both(*mutations: Mutation) -> Mutation:
    """Apply several mutations in turn."""

    def mutate(tables: Tables) -> Headers | None:
        headers: dict[str, Sequence[str]] = {}
        for mutation in mutations:
            headers.update(mutation(tables) or {})
        return headers or None

    return mutate


def case(mutation: Mutation, *errors: str, id: str) -> Any:
    """A mutation and the exact error lines it must give (none: the workbook stays valid)."""
    return pytest.param(mutation, list(errors), id=id)


# ---------------------------------------------------------------- the cases

PRESENCE = [
    case(drop_sheet("facilities"), "facilities: required sheet is missing",
         id="required-sheet-missing"),
    case(drop_sheet("settings"), "settings: required sheet is missing",
         id="settings-sheet-missing"),
    case(header_only("demand"), "demand: sheet has no records; at least one is required",
         id="required-sheet-header-only"),
    case(drop_column("facilities", "region"),
         "facilities, row 1, region: required column is missing", id="required-column-missing"),
    case(drop_column("demand", "demand_t"),
         "demand, row 1, demand_t: required column is missing",
         id="needed-column-missing-though-cells-may-be-blank"),
    case(drop_column("settings", "value"), "settings, row 1, value: required column is missing",
         id="settings-value-column-missing"),
    case(set_cell("minerals", 1, shortfall_penalty_per_t=None),
         "minerals, row 3, shortfall_penalty_per_t: a value is required",
         id="required-cell-blank"),
    case(set_cell("facilities", 2, stage="  "),
         "facilities, row 4, stage: a value is required", id="required-cell-only-blanks"),
    case(set_cell("disruptions", 0, factor=None),
         "disruptions, row 2, factor: a value is required", id="factor-blank"),
    case(set_cell("scenarios", 1, probability=None),
         "scenarios, row 3, probability: a value is required", id="probability-blank"),
    case(set_cell("shortfall_tiers", 0, penalty_per_t=None),
         "shortfall_tiers, row 2, penalty_per_t: a value is required",
         id="tier-penalty-blank"),
    case(set_cell("offtakes", 0, contract_price_per_t=None),
         "offtakes, row 2, contract_price_per_t: a value is required",
         id="contract-price-blank"),
]

UNIQUE_KEYS = [
    case(add_row("regions", region="US", zone_member="yes"),
         "regions, row 5, region: duplicate key: row 2 has the same region (region=US)",
         id="key-repeated"),
    case(add_row("periods", period="2027", years=1),
         "periods, row 5, period: duplicate key: row 3 has the same period (period=2027)",
         id="key-repeated-text-vs-number"),
    case(add_row("routes", origin="AU", destination="CN", mineral="lithium",
                 stage="concentrate", cost_per_t=70),
         "routes, row 5, origin: duplicate key: row 2 has the same origin, destination, "
         "mineral and stage (origin=AU, destination=CN, mineral=lithium, stage=concentrate)",
         id="route-key-repeated"),
    case(add_row("stockpiles", stockpile="vault-Li", region="US", mineral="lithium",
                 capacity_t=1),
         "stockpiles, row 4, stockpile: duplicate key: row 2 has the same stockpile "
         "(stockpile=vault-Li)", id="stockpile-key-repeated"),
]

REFERENCES = [
    case(set_cell("facilities", 0, region="FR"),
         "facilities, row 2, region: no region of that name on the regions sheet (FR)",
         id="unknown-region"),
    case(set_cell("facilities", 1, mineral="cobalt"),
         "facilities, row 3, mineral: no mineral of that name on the minerals sheet (cobalt)",
         id="unknown-mineral"),
    case(set_cell("facilities", 2, online_period=2030),
         "facilities, row 4, online_period: no period of that name on the periods sheet (2030)",
         id="unknown-period"),
    case(set_cell("demand", 1, period="2029"),
         "demand, row 3, period: no period of that name on the periods sheet (2029)",
         id="unknown-period-in-wildcard-column"),
    case(set_cell("offtakes", 0, facility="US-Li-mine"),
         "offtakes, row 2, facility: no facility of that name on the facilities sheet "
         "(US-Li-mine)", id="unknown-facility"),
    case(set_cell("disruptions", 0, scenario="war"),
         "disruptions, row 2, scenario: no scenario of that name on the scenarios sheet (war)",
         id="unknown-scenario"),
    case(both(drop_sheet("scenarios"), set_cell("disruptions", 1, scenario="base")),
         "disruptions, row 2, scenario: no scenario of that name; without scenarios the only "
         "scenario is 'base' (ga_ban)", id="scenario-without-scenarios-sheet"),
    case(header_only("scenarios"),
         "disruptions, row 2, scenario: no scenario of that name; without scenarios the only "
         "scenario is 'base' (ga_ban)",
         "disruptions, row 3, scenario: no scenario of that name; without scenarios the only "
         "scenario is 'base' (li_dump)", id="scenario-with-empty-scenarios-sheet"),
    case(set_cell("disruptions", 0, destination="JP"),
         "disruptions, row 2, destination: no region of that name on the regions sheet (JP)",
         id="unknown-destination"),
    case(set_cell("shortfall_tiers", 0, mineral="cobalt"),
         "shortfall_tiers, row 2, mineral: no mineral of that name on the minerals sheet "
         "(cobalt)", id="unknown-tier-mineral"),
    case(set_cell("regions", 0, region=" US "), id="reference-trimmed-is-found"),
]

NUMBERS = [
    case(set_cell("facilities", 1, capacity_t=-5),
         "facilities, row 3, capacity_t: must be ≥ 0 (-5)", id="capacity-negative"),
    case(set_cell("facilities", 0, unit_cost_per_t=-0.5),
         "facilities, row 2, unit_cost_per_t: must be ≥ 0 (-0.5)", id="money-negative"),
    case(set_cell("minerals", 0, shortfall_penalty_per_t=-1),
         "minerals, row 2, shortfall_penalty_per_t: must be ≥ 0 (-1)", id="penalty-negative"),
    case(set_cell("routes", 2, tariff_per_t=-50),
         "routes, row 4, tariff_per_t: must be ≥ 0 (-50)", id="tariff-negative"),
    case(set_cell("routes", 0, capacity_t=-1),
         "routes, row 2, capacity_t: must be ≥ 0 (-1)", id="route-capacity-negative"),
    case(set_cell("demand", 3, demand_t=-30000),
         "demand, row 5, demand_t: must be ≥ 0 (-30000)", id="demand-negative"),
    case(set_cell("prices", 0, floor_price_per_t=-1),
         "prices, row 2, floor_price_per_t: must be ≥ 0 (-1)", id="floor-negative"),
    case(set_cell("stockpiles", 0, max_release_t=-4000),
         "stockpiles, row 2, max_release_t: must be ≥ 0 (-4000)", id="limit-negative"),
    case(set_cell("offtakes", 0, contract_t=-3000),
         "offtakes, row 2, contract_t: must be ≥ 0 (-3000)", id="contract-negative"),
    case(set_cell("shortfall_tiers", 1, penalty_per_t=-1),
         "shortfall_tiers, row 3, penalty_per_t: must be ≥ 0 (-1)", id="tier-penalty-negative"),
    case(set_cell("periods", 1, years=0), "periods, row 3, years: must be > 0 (0)",
         id="years-zero"),
    case(set_cell("facilities", 2, lifetime_years=-20),
         "facilities, row 4, lifetime_years: must be > 0 (-20)", id="lifetime-negative"),
    case(set_cell("facilities", 1, **{"yield": 0}),
         "facilities, row 3, yield: must be in (0, 1] (0)", id="yield-zero"),
    case(set_cell("facilities", 1, **{"yield": 1.5}),
         "facilities, row 3, yield: must be in (0, 1] (1.5)", id="yield-above-one"),
    case(set_cell("disruptions", 1, factor=-0.6),
         "disruptions, row 3, factor: must be ≥ 0 (-0.6)", id="factor-negative"),
    case(set_cell("scenarios", 0, probability=1.2),
         "scenarios, row 2, probability: must be in [0, 1] (1.2)", id="probability-above-one"),
    case(set_cell("shortfall_tiers", 0, up_to_share=0),
         "shortfall_tiers, row 2, up_to_share: must be in (0, 1] (0)", id="share-zero"),
    case(set_cell("facilities", 0, capacity_t="lots"),
         "facilities, row 2, capacity_t: expected a number (lots)", id="text-in-number-column"),
    case(set_cell("stockpiles", 1, capacity_t="1,000"),
         "stockpiles, row 3, capacity_t: expected a number (1,000)",
         id="thousands-separator-in-number-column"),
    case(set_cell("routes", 0, capacity_t="inf"),
         "routes, row 2, capacity_t: expected a finite number (inf)", id="infinite-number"),
    case(set_cell("minerals", 0, shortfall_penalty_per_t=True),
         "minerals, row 2, shortfall_penalty_per_t: expected a number (yes)",
         id="boolean-in-number-column"),
]

CHOICES = [
    case(set_cell("regions", 2, zone_member="maybe"),
         "regions, row 4, zone_member: expected yes or no (maybe)", id="bad-yes-no"),
    case(set_cell("stockpiles", 0, release_needs_disruption="y"),
         "stockpiles, row 2, release_needs_disruption: expected yes or no (y)",
         id="bad-yes-no-abbreviated"),
    case(set_cell("facilities", 0, stage="smelter"),
         "facilities, row 2, stage: expected one of mine, refine, recycle (smelter)",
         id="bad-enumeration"),
    case(set_cell("routes", 0, stage="ore"),
         "routes, row 2, stage: expected one of concentrate, refined (ore)",
         id="bad-enumeration-in-wildcard-column"),
    case(set_cell("facilities", 3, stage=3),
         "facilities, row 5, stage: expected one of mine, refine, recycle (3)",
         id="number-in-enumeration-column"),
    case(set_cell("disruptions", 0, kind="war"),
         "disruptions, row 2, kind: expected one of capacity, export, demand, route, price "
         "(war)", id="bad-disruption-kind"),
]

SETTINGS_SHEET = [
    case(set_cell("settings", 1, value=-1),
         "settings, row 3, value: discount_rate: must be > -1 (-1)",
         id="settings-discount-rate-out-of-range"),
    case(set_cell("settings", 1, value="five percent"),
         "settings, row 3, value: discount_rate: expected a number (five percent)",
         id="settings-text-for-number"),
    case(add_row("settings", key="risk_weight", value=1.5),
         "settings, row 5, value: risk_weight: must be in [0, 1] (1.5)",
         id="settings-risk-weight-out-of-range"),
    case(add_row("settings", key="cvar_alpha", value=1),
         "settings, row 5, value: cvar_alpha: must be in (0, 1) (1)",
         id="settings-cvar-alpha-out-of-range"),
    case(add_row("settings", key="threads", value=2.5),
         "settings, row 5, value: threads: expected a whole number (2.5)",
         id="settings-threads-not-whole"),
    case(add_row("settings", key="threads", value=0),
         "settings, row 5, value: threads: must be ≥ 1 (0)", id="settings-threads-zero"),
    case(add_row("settings", key="time_limit_s", value=0),
         "settings, row 5, value: time_limit_s: must be > 0 (0)", id="settings-time-limit-zero"),
    case(set_cell("settings", 2, value=-5e8),
         "settings, row 4, value: stockpile_budget: must be ≥ 0 (-500000000)",
         id="settings-budget-negative"),
    case(add_row("settings", key="zone_exclusive", value="perhaps"),
         "settings, row 5, value: zone_exclusive: expected yes or no (perhaps)",
         id="settings-bad-yes-no"),
    case(add_row("settings", key="discount_rate", value=0.1),
         "settings, row 5, key: duplicate key: row 3 has the same key (key=discount_rate)",
         id="settings-key-repeated"),
    case(add_row("settings", key="Discount_Rate", value=0.1),
         "settings, row 5, key: duplicate key: row 3 has the same key (key=Discount_Rate)",
         id="settings-key-repeated-in-another-case"),
]

CONDITIONAL = [
    case(set_cell("facilities", 2, capex_per_t=None),
         "facilities, row 4, capex_per_t: required when expandable_t > 0 (expandable_t 20000)",
         id="capex-required-when-expandable"),
    case(set_cell("stockpiles", 1, min_level_t=3),
         "stockpiles, row 3, min_level_t: must not exceed initial_t, which is 2 (3)",
         id="min-level-above-initial"),
    case(set_cell("stockpiles", 0, min_level_t=1),
         "stockpiles, row 2, min_level_t: must not exceed initial_t, which is 0 (1)",
         id="min-level-above-default-initial"),
    case(set_cell("stockpiles", 1, initial_t=11, terminal_min_t=None),
         "stockpiles, row 3, initial_t: must not exceed capacity_t, which is 10 (11)",
         id="initial-above-capacity"),
    case(set_cell("stockpiles", 1, terminal_min_t=12),
         "stockpiles, row 3, terminal_min_t: must not exceed capacity_t, which is 10 (12)",
         id="terminal-above-capacity"),
    case(set_cell("routes", 1, destination="AU"),
         "routes, row 3, destination: must differ from origin (AU)",
         id="origin-equals-destination"),
    case(set_cell("offtakes", 0, start_period=2027, end_period=2026),
         "offtakes, row 2, end_period: comes before start_period 2027 (2026)",
         id="offtake-start-after-end"),
    case(set_cell("disruptions", 1, start_period=2028),
         "disruptions, row 3, end_period: comes before start_period 2028 (2027)",
         id="disruption-start-after-end"),
    case(set_cell("shortfall_tiers", 1, penalty_per_t=5000),
         "shortfall_tiers, row 3, penalty_per_t: must not fall as up_to_share rises; "
         "row 2 has 10000 up to 0.1 (5000)", id="tier-penalty-falls"),
    case(both(set_cell("shortfall_tiers", 0, mineral="gallium"),
              set_cell("shortfall_tiers", 1, mineral="gallium", up_to_share=0.05)),
         "shortfall_tiers, row 2, penalty_per_t: must not fall as up_to_share rises; "
         "row 3 has 60000 up to 0.05 (10000)", id="tier-penalty-falls-rows-out-of-order"),
    case(set_cell("scenarios", 2, probability=0.2),
         "scenarios, probability: probabilities must add up to 1 (they add up to 1.1)",
         id="probabilities-sum-above-one"),
    case(set_cell("scenarios", 2, probability=0.1 - 2e-6),
         "scenarios, probability: probabilities must add up to 1 (they add up to 0.999998)",
         id="probabilities-sum-just-outside-tolerance"),
    case(set_cell("scenarios", 2, probability=0.1 - 5e-7), id="probabilities-sum-within-1e-6"),
]

DISRUPTION_KINDS = [
    case(add_row("disruptions", scenario="ga_ban", kind="capacity", destination="US",
                 start_period=2027, factor=0.5),
         "disruptions, row 4, destination: does not apply to a capacity disruption; leave it "
         "blank (US)", id="destination-on-capacity-row"),
    case(add_row("disruptions", scenario="ga_ban", kind="demand", destination="US",
                 start_period=2027, factor=1.2),
         "disruptions, row 4, destination: does not apply to a demand disruption; leave it "
         "blank (US)", id="destination-on-demand-row"),
    case(set_cell("disruptions", 1, destination="US"),
         "disruptions, row 3, destination: does not apply to a price disruption; leave it "
         "blank (US)", id="destination-on-price-row"),
    case(set_cell("disruptions", 1, region="CN"),
         "disruptions, row 3, region: does not apply to a price disruption; leave it blank (CN)",
         id="region-on-price-row"),
    case(set_cell("disruptions", 1, region="*", destination=" * "),
         id="wildcard-is-not-filled-on-price-row"),
    case(add_row("disruptions", scenario="ga_ban", kind="demand", stage="concentrate",
                 start_period=2027, factor=1.2),
         "disruptions, row 4, stage: a demand disruption's stage must be refined (concentrate)",
         id="demand-stage-not-refined"),
    case(add_row("disruptions", scenario="ga_ban", kind="demand", stage="Refined",
                 start_period=2027, factor=1.2), id="demand-stage-refined-is-fine"),
    case(add_row("disruptions", scenario="ga_ban", kind="capacity", stage="refined",
                 start_period=2027, factor=0.5),
         "disruptions, row 4, stage: a capacity disruption's stage must be mine / refine / "
         "recycle (refined)", id="capacity-stage-not-facility-stage"),
    case(set_cell("disruptions", 0, stage="mine"),
         "disruptions, row 2, stage: an export disruption's stage must be concentrate / "
         "refined (mine)", id="export-stage-not-product"),
    case(add_row("disruptions", scenario="ga_ban", kind="route", stage="recycle",
                 start_period=2027, factor=0),
         "disruptions, row 4, stage: a route disruption's stage must be concentrate / refined "
         "(recycle)", id="route-stage-not-product"),
    case(set_cell("disruptions", 1, stage="refine"),
         "disruptions, row 3, stage: a price disruption's stage must be concentrate / refined "
         "(refine)", id="price-stage-not-product"),
]

MATCHING = [
    case(both(add_row("routes", origin="US", destination="AU", mineral="lithium"),
              add_row("routes", origin="US", destination="AU", stage="refined")),
         "routes, row 6, mineral: row 5 is as specific and matches the same item; make one of "
         "them more specific (origin=US, destination=AU, mineral=lithium, stage=refined)",
         id="routes-two-rows-equally-specific"),
    case(both(add_row("routes", origin="US", destination="AU", mineral="lithium"),
              add_row("routes", origin="US", destination="AU", stage="refined"),
              add_row("routes", origin="US", destination="AU", mineral="lithium",
                      stage="refined")),
         id="routes-tie-broken-by-a-more-specific-row"),
    case(add_row("routes", origin="CN", destination="US", mineral="", stage="refined"),
         "routes, row 5, origin: duplicate key: row 4 has the same origin, destination, "
         "mineral and stage (origin=CN, destination=US, mineral=*, stage=refined)",
         id="routes-blank-and-star-are-the-same-key"),
    case(add_row("demand", region="US", mineral="lithium", demand_t=1),
         "demand, row 6, region: duplicate key: row 2 has the same region, mineral and period "
         "(region=US, mineral=lithium, period=*)", id="demand-blank-and-star-are-the-same-key"),
    case(add_row("demand", region="US", mineral="lithium", period="2028", demand_t=1),
         "demand, row 6, region: duplicate key: row 3 has the same region, mineral and period "
         "(region=US, mineral=lithium, period=2028)", id="demand-two-rows-for-one-period"),
    case(add_row("prices", mineral="gallium", stage="refined", period="*",
                 market_price_per_t=1),
         "prices, row 4, mineral: duplicate key: row 3 has the same mineral, stage and period "
         "(mineral=gallium, stage=refined, period=*)", id="prices-blank-and-star-are-the-same-key"),
    case(add_row("prices", mineral="gallium", stage="Refined", market_price_per_t=1),
         "prices, row 4, mineral: duplicate key: row 3 has the same mineral, stage and period "
         "(mineral=gallium, stage=refined, period=*)", id="prices-enumeration-case-ignored"),
    case(add_row("shortfall_tiers", up_to_share=0.1, penalty_per_t=10000),
         "shortfall_tiers, row 4, mineral: duplicate key: row 2 has the same mineral and "
         "up_to_share (mineral=*, up_to_share=0.1)", id="tiers-blank-and-star-are-the-same-key"),
]

CASES = [
    *PRESENCE, *UNIQUE_KEYS, *REFERENCES, *NUMBERS, *CHOICES, *SETTINGS_SHEET, *CONDITIONAL,
    *DISRUPTION_KINDS, *MATCHING,
]


@pytest.mark.parametrize(("mutation", "expected"), CASES)
def test_each_rule_is_reported_exactly(
    tables: Tables, write: Writer, validate_cli: Validator, mutation: Mutation,
    expected: list[str],
) -> None:
    path = write(tables, mutation(tables))
    status, errors = validate_cli(path)
    assert errors == expected
    assert status == (2 if expected else 0)


@pytest.mark.parametrize("sheet", [s.name for s in SHEETS if s.required])
def test_every_required_sheet_missing(
    tables: Tables, write: Writer, validate_cli: Validator, sheet: str
) -> None:
    del tables[sheet]
    assert validate_cli(write(tables)) == (2, [f"{sheet}: required sheet is missing"])


@pytest.mark.parametrize("sheet", [s.name for s in SHEETS if s.non_empty])
@pytest.mark.parametrize("keep_header", [True, False], ids=["header-only", "wholly-blank"])
def test_every_required_sheet_empty(
    tables: Tables, write: Writer, validate_cli: Validator, sheet: str, keep_header: bool
) -> None:
    headers = {sheet: list(tables[sheet][0])} if keep_header else None
    tables[sheet] = []
    assert validate_cli(write(tables, headers)) == (
        2, [f"{sheet}: sheet has no records; at least one is required"]
    )


@pytest.mark.parametrize(
    ("sheet", "column"),
    [(s.name, c.name) for s in SHEETS for c in s.columns
     if c.must_exist and s.name in valid_tables()],
)
def test_every_required_column_missing(
    tables: Tables, write: Writer, validate_cli: Validator, sheet: str, column: str
) -> None:
    for record in tables[sheet]:
        record.pop(column, None)
    assert validate_cli(write(tables)) == (
        2, [f"{sheet}, row 1, {column}: required column is missing"]
    )


@pytest.mark.parametrize("sheet", [s.name for s in SHEETS if not s.non_empty])
def test_sheets_that_may_be_empty(
    tables: Tables, write: Writer, validate_cli: Validator, sheet: str
) -> None:
    if sheet == "scenarios":
        tables["disruptions"] = []  # they name scenarios that would no longer exist
    tables[sheet] = []
    assert validate_cli(write(tables)) == (0, [])


@pytest.mark.parametrize("sheet", [s.name for s in SHEETS if not s.required])
def test_optional_sheets_may_be_absent(
    tables: Tables, write: Writer, validate_cli: Validator, sheet: str
) -> None:
    if sheet == "scenarios":
        del tables["disruptions"]
    tables.pop(sheet, None)
    assert validate_cli(write(tables)) == (0, [])


def test_unknown_setting_is_a_warning_not_an_error(
    tables: Tables, write: Writer, capsys: pytest.CaptureFixture[str]
) -> None:
    tables["settings"].append({"key": "solver", "value": "cplex"})
    path = write(tables)
    assert main(["validate", str(path)]) == 0
    err = capsys.readouterr().err.splitlines()
    assert err == ["1 warning(s):", "settings, row 5, key: unknown setting; ignored (solver)"]


def test_several_errors_are_all_reported_in_sheet_then_row_order(
    tables: Tables, write: Writer, validate_cli: Validator
) -> None:
    tables["shortfall_tiers"][0]["penalty_per_t"] = -1
    tables["disruptions"][1]["factor"] = "half"
    tables["facilities"][3]["capacity_t"] = -1
    tables["facilities"][0]["stage"] = "quarry"
    tables["facilities"][0]["capacity_t"] = "much"
    tables["regions"][1]["zone_member"] = "sometimes"
    tables["settings"][1]["value"] = -2
    tables["scenarios"][0]["probability"] = 0.5
    status, errors = validate_cli(write(tables))
    assert status == 2
    assert errors == [
        "settings, row 3, value: discount_rate: must be > -1 (-2)",
        "regions, row 3, zone_member: expected yes or no (sometimes)",
        "facilities, row 2, stage: expected one of mine, refine, recycle (quarry)",
        "facilities, row 2, capacity_t: expected a number (much)",
        "facilities, row 5, capacity_t: must be ≥ 0 (-1)",
        "scenarios, probability: probabilities must add up to 1 (they add up to 0.9)",
        "disruptions, row 3, factor: expected a number (half)",
        "shortfall_tiers, row 2, penalty_per_t: must be ≥ 0 (-1)",
    ]


def test_a_mine_with_a_yield_is_a_warning(
    tables: Tables, write: Writer, capsys: pytest.CaptureFixture[str]
) -> None:
    tables["facilities"][0]["yield"] = 0.8
    assert main(["validate", str(write(tables))]) == 0
    assert capsys.readouterr().err.splitlines() == [
        "1 warning(s):",
        "facilities, row 2, yield: yield applies to refineries only; ignored for a mine",
    ]


def test_tiers_ending_below_one_get_a_last_tier_with_a_warning(
    tables: Tables, write: Writer, capsys: pytest.CaptureFixture[str]
) -> None:
    tables["shortfall_tiers"][1]["up_to_share"] = 0.5
    assert main(["validate", str(write(tables))]) == 0
    assert capsys.readouterr().err.splitlines() == [
        "2 warning(s):",
        "shortfall_tiers, row 3, up_to_share: tiers for gallium end below 1; a last tier up "
        "to 1 at 2000000 per t is added (0.5)",
        "shortfall_tiers, row 3, up_to_share: tiers for lithium end below 1; a last tier up "
        "to 1 at 60000 per t is added (0.5)",
    ]
