"""A planner's usual slips on data/example.xlsx: caught as warnings with the likely
correction, carried into the results workbook (``warnings`` sheet, the summary's count,
the first headline), refused with ``--strict`` (exit 2).

Each slip is one cell of the committed example changed as a planner would change it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from openpyxl.worksheet.worksheet import Worksheet

from optimizer.cli import main
from optimizer.results.contract import MONEY, RESULT_SHEETS_BY_NAME, ROW_FORMATS
from optimizer.results.tidy import NOISE, tidy_values
from optimizer.workbook.contract import (
    BUDGET_TYPICAL,
    SETTINGS_BY_KEY,
    Bound,
    Slip,
    Typical,
)
from optimizer.workbook.problems import InputError
from optimizer.workbook.validation import load
from tests.committed import DATA

EXAMPLE = DATA / "example.xlsx"
Change = Callable[[openpyxl.Workbook], None]

DISCOUNT_5 = ("settings, row 3, value: discount_rate 5 is unusual (typically in [0, 0.3]) "
              "— did you mean 0.05?")
FACTOR_42 = ("disruptions, row 5, factor: factor 42 is unusual for an export row (typically "
             "in [0, 1]): an export cap above 1 does nothing — did you mean 0.42?")
PASTED_TWICE = ("disruptions, row 6: identical to row 4: both apply and their factors "
                "multiply (price × 1.5 × 1.5 = × 2.25); delete one if it was pasted twice")
BUDGET_IN_MILLIONS = ("settings, row 6, value: stockpile_budget 11670 is unusual (typically "
                      "0 or ≥ 1000000): money is in USD, not millions — did you mean "
                      "11670000000?")


def _discount_rate_5(workbook: openpyxl.Workbook) -> None:
    _cell(workbook["settings"], "discount_rate", 5)


def _export_factor_42(workbook: openpyxl.Workbook) -> None:
    sheet = workbook["disruptions"]
    assert (sheet["B5"].value, sheet["D5"].value, sheet["I5"].value) == (
        "export", "cobalt", 0.42)
    sheet["I5"] = 42


def _price_row_pasted_twice(workbook: openpyxl.Workbook) -> None:
    sheet = workbook["disruptions"]
    assert (sheet["B4"].value, sheet["D4"].value, sheet["I4"].value) == ("price", "ndpr", 1.5)
    sheet.append([cell.value for cell in sheet[4]])  # becomes row 6


def _budget_in_millions(workbook: openpyxl.Workbook) -> None:
    _cell(workbook["settings"], "stockpile_budget", 11670)


def _cell(sheet: Worksheet, key: str, value: object) -> None:
    for row in sheet.iter_rows(min_row=2):
        if row[0].value == key:
            row[1].value = value
            return
    raise AssertionError(f"no {key} row")


def _slipped(folder: Path, *changes: Change) -> Path:
    workbook = openpyxl.load_workbook(EXAMPLE)
    for change in changes:
        change(workbook)
    path = folder / "slipped.xlsx"
    workbook.save(path)
    return path


def _warnings(capsys: pytest.CaptureFixture[str]) -> list[str]:
    """The warning lines printed after ``N warning(s):``."""
    lines = capsys.readouterr().err.splitlines()
    start = next(i for i, line in enumerate(lines) if line.endswith("warning(s):"))
    count = int(lines[start].split()[0])
    return lines[start + 1: start + 1 + count]


@pytest.mark.parametrize(("change", "expected"), [
    (_discount_rate_5, DISCOUNT_5),
    (_export_factor_42, FACTOR_42),
    (_price_row_pasted_twice, PASTED_TWICE),
    (_budget_in_millions, BUDGET_IN_MILLIONS),
], ids=["discount_rate-5", "export-factor-42", "pasted-twice", "budget-in-millions"])
def test_each_slip_is_one_exact_warning(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                        change: Change, expected: str) -> None:
    path = _slipped(tmp_path, change)
    capsys.readouterr()
    assert main(["validate", str(path)]) == 0
    assert _warnings(capsys) == [expected]


@pytest.mark.parametrize("change", [_discount_rate_5, _export_factor_42,
                                    _price_row_pasted_twice, _budget_in_millions])
def test_strict_refuses_each_slip_before_solving(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str],
                                                 change: Change) -> None:
    path = _slipped(tmp_path, change)
    capsys.readouterr()
    results = tmp_path / "r.xlsx"
    assert main(["run", str(path), "--strict", "-q", "-o", str(results)]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert lines[0] == "1 problem(s) in the input (--strict: warnings count as problems):"
    assert not results.exists() and not (tmp_path / "r.failed.log").exists()
    assert main(["validate", str(path), "--strict"]) == 2


def test_the_committed_example_passes_strict(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(EXAMPLE), "--strict"]) == 0


@pytest.fixture(scope="module")
def slipped_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, Path]:
    """The example with three slips at once, run: still solved (exit 0)."""
    folder = tmp_path_factory.mktemp("slips")
    path = _slipped(folder, _discount_rate_5, _export_factor_42, _price_row_pasted_twice)
    results = folder / "slipped_results.xlsx"
    return main(["run", str(path), "-q", "-o", str(results)]), results


def _sheet(results: Path, name: str) -> pd.DataFrame:
    return pd.read_excel(results, sheet_name=name, engine="openpyxl")


def test_warnings_sheet_lists_each_slip_where_it_is(slipped_run: tuple[int, Path]) -> None:
    status, results = slipped_run
    assert status == 0
    warnings = _sheet(results, "warnings")
    assert list(warnings.columns) == list(RESULT_SHEETS_BY_NAME["warnings"].column_names)
    rows = [(s, int(r), "" if pd.isna(c) else c, m) for s, r, c, m in
            warnings.itertuples(index=False)]
    assert rows == [
        ("settings", 3, "value", DISCOUNT_5.split(": ", 1)[1]),
        ("disruptions", 5, "factor", FACTOR_42.split(": ", 1)[1]),
        ("disruptions", 6, "", PASTED_TWICE.split(": ", 1)[1]),
    ]


def test_summary_counts_the_warnings_and_the_first_headline_says_so(
        slipped_run: tuple[int, Path]) -> None:
    _, results = slipped_run
    summary = _sheet(results, "summary").set_index("figure")
    assert summary.loc["warnings", "value"] == 3
    assert summary.loc["warnings", "unit"] == "count"
    first = _sheet(results, "headlines").iloc[0]
    assert (first["number"], first["headline"], first["figure"], first["sheet"]) == (
        1, "3 warnings on the input; see the warnings sheet.", 3, "warnings")


def test_identical_rows_still_multiply(slipped_run: tuple[int, Path]) -> None:
    """MODEL.md §11: the pasted price row applies twice, 69,000 × 1.5 × 1.5 = 155,250 USD/t
    for NdPr in the two periods of the ban, the warning notwithstanding."""
    _, results = slipped_run
    prices = _sheet(results, "prices")
    ndpr = prices[(prices["mineral"] == "ndpr") & (prices["stage"] == "refined")
                  & (prices["scenario"] == "china_ban")].set_index(["region", "period"])
    market = ndpr["market_price_per_t"].groupby(level="period").unique()
    assert {int(str(p)): list(v) for p, v in market.items()} == {
        2026: [69000], 2027: [155250], 2028: [155250], 2029: [69000]}


def test_no_warnings_no_sheet_and_a_count_of_0(tmp_path: Path) -> None:
    results = tmp_path / "example_results.xlsx"
    assert main(["run", str(EXAMPLE), "-q", "-o", str(results)]) == 0
    assert "warnings" not in openpyxl.load_workbook(results, read_only=True).sheetnames
    assert _sheet(results, "summary").set_index("figure").loc["warnings", "value"] == 0
    assert not _sheet(results, "headlines")["headline"].str.contains("warning").any()


def test_budget_in_millions_warns_then_is_infeasible(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A slip explained only by infeasibility before: the message now ends with the
    warning, and the budget in USD it most likely meant."""
    path = _slipped(tmp_path, _budget_in_millions)
    capsys.readouterr()
    assert main(["run", str(path), "-q", "-o", str(tmp_path / "r.xlsx")]) == 3
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith("No plan satisfies every constraint")
    assert err[-2:] == ["1 warning(s) on the input may explain it:", BUDGET_IN_MILLIONS]
    assert BUDGET_IN_MILLIONS in (tmp_path / "r.failed.log").read_text(encoding="utf-8")


# ---------------------------------------------------------------- the rules themselves


def test_out_of_bound_percentages_get_the_likely_value(tmp_path: Path) -> None:
    """A probability typed as a percentage stays an error, now with the correction."""
    def percent(workbook: openpyxl.Workbook) -> None:
        workbook["scenarios"]["B2"] = 60

    with pytest.raises(InputError) as raised:
        load(_slipped(tmp_path, percent))
    assert [str(p) for p in raised.value.errors] == [
        "scenarios, row 2, probability: must be in [0, 1] — did you mean 0.6? (60)"]


@pytest.mark.parametrize(("key", "value", "warning", "error"), [
    ("cvar_alpha", 0.05, "cvar_alpha 0.05 is unusual (typically in [0.5, 1)): the CVaR then "
     "averages most scenarios, not the worst — did you mean 0.95?", None),
    ("expansion_budget", 1500, "expansion_budget 1500 is unusual (typically 0 or ≥ 1000000): "
     "money is in USD, not millions — did you mean 1500000000?", None),
    ("expansion_budget", 0, None, None),  # no expansion at all: a budget of 0 is plausible
    ("discount_rate", -0.02, "discount_rate -0.02 is unusual (typically in [0, 0.3])", None),
    ("risk_weight", 50, None, "risk_weight: must be in [0, 1] — did you mean 0.5? (50)"),
], ids=["alpha-complement", "budget-in-millions", "budget-0", "negative-rate", "percent-error"])
def test_settings_slips(tmp_path: Path, key: str, value: float, warning: str | None,
                        error: str | None) -> None:
    path = _slipped(tmp_path, lambda workbook: _cell(workbook["settings"], key, value))
    if error is not None:
        with pytest.raises(InputError) as raised:
            load(path)
        assert [p.message + f" ({p.found})" for p in raised.value.errors] == [error]
        return
    _, warnings = load(path)
    assert [p.message for p in warnings] == ([] if warning is None else [warning])


def test_a_price_a_thousand_times_off_its_mineral_is_a_warning(tmp_path: Path) -> None:
    """Gallium's unit cost typed per kg: 1/1000 or less of its 580,000 USD/t price."""
    def per_kg(workbook: openpyxl.Workbook) -> None:
        sheet = workbook["facilities"]
        header = [c.value for c in sheet[1]]
        for row in sheet.iter_rows(min_row=2):
            if row[header.index("mineral")].value == "gallium" and \
                    (row[header.index("unit_cost_per_t")].value or 0) > 0:
                row[header.index("unit_cost_per_t")].value = 0.58
                return
        raise AssertionError("no gallium facility with a unit cost")

    path = _slipped(tmp_path, per_kg)
    _, warnings = load(path)
    assert len(warnings) == 1
    assert warnings[0].message == (
        "unit_cost_per_t 0.58 is about 1/1,000,000 of gallium's market price (580000 per t, "
        "the median of its prices rows): is it per tonne, in the workbook's currency?")


def test_slips_and_their_corrections() -> None:
    assert Slip.PERCENT.correct(5.0) == 0.05
    assert Slip.PERCENT.correct(12.5) == 0.125
    assert Slip.PERCENT.correct(1.5) is None  # 1.5 % is no likely percentage
    assert Slip.MILLIONS.correct(11670.0) == 11_670_000_000.0
    assert Slip.COMPLEMENT.correct(0.05) == pytest.approx(0.95)
    assert BUDGET_TYPICAL.holds(0.0) and BUDGET_TYPICAL.holds(1e6)
    assert not BUDGET_TYPICAL.holds(999_999.0)
    # a correction is offered only when it is plausible and allowed
    discount = SETTINGS_BY_KEY["discount_rate"]
    assert discount.typical is not None
    assert discount.typical.suggestion(5.0, discount.bound) == 0.05
    assert discount.typical.suggestion(50.0, discount.bound) is None  # 0.5: still unusual
    assert Typical(Bound(high=10.0), Slip.PERCENT).suggestion(150.0, None) == 1.5


# ---------------------------------------------------------------- tidy numbers


def test_tidy_values() -> None:
    values = np.array([-7.9e-9, 4e-7, -0.0, np.nan, 2.5e-6, 1234.56, -0.4])
    tidied = tidy_values(values, False)
    assert np.array_equal(tidied[[0, 1, 2, 4, 5, 6]], [0.0, 0.0, 0.0, 2.5e-6, 1234.56, -0.4])
    assert np.isnan(tidied[3]) and not np.signbit(tidied[2])
    money = tidy_values(values, True)
    assert np.array_equal(money[[0, 1, 2, 4, 5, 6]], [0.0, 0.0, 0.0, 0.0, 1235.0, 0.0])
    assert not np.signbit(money[6])  # −0.4 rounds to 0, not −0


@pytest.fixture(scope="module")
def example_results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, pd.DataFrame]:
    results = tmp_path_factory.mktemp("example") / "example_results.xlsx"
    assert main(["run", str(EXAMPLE), "-q", "-o", str(results)]) == 0
    return pd.read_excel(results, sheet_name=None, engine="openpyxl")


def test_no_solver_noise_anywhere_in_the_results(
        example_results: dict[str, pd.DataFrame]) -> None:
    """No number of any results sheet lies strictly between 0 and the noise level."""
    checked = 0
    for name, frame in example_results.items():
        for column in frame.columns:
            values = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float)
            size = np.abs(values[~np.isnan(values)])
            assert not ((size > 0) & (size < NOISE)).any(), f"{name}.{column}"
            checked += len(size)
    assert checked > 1000


def test_money_is_in_whole_units(example_results: dict[str, pd.DataFrame]) -> None:
    """Every money column, and every money row of a column whose unit is per row."""
    currency = "USD"
    for name, frame in example_results.items():
        sheet = RESULT_SHEETS_BY_NAME.get(name)
        if sheet is None:
            continue
        for column in sheet.columns:
            if column.name not in frame.columns:
                continue
            if column.number_format == MONEY:
                rows = frame[column.name]
            elif column.number_format in ROW_FORMATS or column.unit == "see unit":
                rows = frame.loc[frame["unit"] == currency, column.name]
            else:
                continue
            values = pd.to_numeric(rows, errors="coerce").dropna().to_numpy(dtype=float)
            assert np.array_equal(values, np.round(values)), f"{name}.{column.name}"
    summary = example_results["summary"].set_index("figure")["value"]
    assert float(summary["objective"]).is_integer()
