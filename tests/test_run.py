"""`optimizer run`: exit statuses, what is (not) written, infeasibility in words, MPS."""

from __future__ import annotations

from pathlib import Path

import highspy
import openpyxl
import pytest

from optimizer.cli import main
from optimizer.pipeline import optimize
from optimizer.solve.highs import SolverOptions, new_highs
from optimizer.workbook.validation import load
from tests.cases import valid_tables, write_tables


def _infeasible_case(tmp_path: Path) -> Path:
    """The lithium vault must end at 5,000 t but may buy only 1,000 t a year for 3 years."""
    tables = valid_tables()
    tables["stockpiles"][0].update(terminal_min_t=5000, max_purchase_t=1000)
    return write_tables(tmp_path / "short.xlsx", tables)


def test_infeasible_run_exits_3_names_the_constraints_and_keeps_old_results(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = _infeasible_case(tmp_path)
    results = tmp_path / "results.xlsx"
    results.write_bytes(b"earlier results")

    status = main(["run", str(source), "-o", str(results)])

    assert status == 3
    err = capsys.readouterr().err
    assert "the model is infeasible" in err
    assert (
        "stockpile vault-Li: terminal level (terminal_min_t) 5,000 t must be held at the end "
        "of period 2028" in err
    )
    assert (
        "purchases into stockpile vault-Li are capped at 1,000 t (max_purchase_t × years) in "
        "period 2026 (all scenarios) [§6.6 stock]" in err
    )
    assert "Traceback" not in err
    assert results.read_bytes() == b"earlier results"
    log = (tmp_path / "results.failed.log").read_text(encoding="utf-8")
    assert "the model is infeasible" in log
    assert "--- HiGHS log ---" in log
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "results.failed.log", "results.xlsx", "short.xlsx"
    ]


def test_bad_input_run_exits_2_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tables = valid_tables()
    tables["facilities"][0]["capacity_t"] = -5
    source = write_tables(tmp_path / "bad.xlsx", tables)
    before = source.read_bytes()

    status = main(["run", str(source), "-o", str(tmp_path / "r.xlsx")])

    assert status == 2
    assert "facilities, row 2, capacity_t: must be ≥ 0 (-5)" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.xlsx"]
    assert source.read_bytes() == before


def test_results_file_may_not_be_the_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = write_tables(tmp_path / "case.xlsx", valid_tables())
    before = source.read_bytes()
    assert main(["run", str(source), "-o", str(source)]) == 2
    assert "is the input workbook" in capsys.readouterr().err
    assert source.read_bytes() == before


def test_written_model_resolves_to_the_same_objective(tmp_path: Path) -> None:
    """The MPS file holds the LP exactly as solved, objective constant included."""
    source = write_tables(tmp_path / "case.xlsx", valid_tables())
    mps = tmp_path / "case.mps"
    data, _ = load(source)
    outcome = optimize(data, SolverOptions())
    assert outcome.optimal
    from optimizer.solve.highs import names, write_mps

    write_mps(outcome.lp, mps, names(outcome.lp.layout))

    highs = new_highs()
    highs.setOptionValue("output_flag", False)
    assert highs.readModel(str(mps)) == highspy.HighsStatus.kOk
    highs.run()
    assert highs.getModelStatus() == highspy.HighsModelStatus.kOptimal
    objective = highs.getInfo().objective_function_value
    assert objective == pytest.approx(outcome.solution.objective, rel=1e-9)
    assert outcome.lp.offset != 0.0  # the take-or-pay payments make a constant
    text = mps.read_text()
    assert "capacity[US-Li-ref,1]" in text
    assert "refined_balance[US,lithium,0]" in text


def test_run_writes_every_results_sheet_and_a_timed_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without -o the results go to reports/<input name>_results.xlsx, the log beside."""
    source = write_tables(tmp_path / "case.xlsx", valid_tables())
    monkeypatch.chdir(tmp_path)

    assert main(["run", str(source)]) == 0

    results = tmp_path / "reports" / "case_results.xlsx"
    assert f"{Path('reports') / 'case_results.xlsx'}: results written" in capsys.readouterr().out
    workbook = openpyxl.load_workbook(results, read_only=True)
    assert workbook.sheetnames == [
        "read_me", "summary", "headlines", "scenarios", "production", "flows", "stockpiles",
        "shortfalls", "prices", "expansions", "dependence", "charts", "chart_data", "burden",
        "sensitivity",
    ]
    sensitivity = list(workbook["sensitivity"].iter_rows(min_row=2, values_only=True))
    assert sensitivity and all(isinstance(row[4], float | int) for row in sensitivity)  # ranged
    figures = {row[0]: row[1] for row in workbook["summary"].iter_rows(min_row=2,
                                                                        values_only=True)}
    assert figures["status"] == "optimal"
    assert figures["input_file"].endswith("case.xlsx")
    log = (tmp_path / "reports" / "case_results.log").read_text(encoding="utf-8")
    for stage in ("read", "validate", "derive", "build", "compile", "solve", "extract", "write"):
        assert f" {stage} " in log, stage
    assert "Optimal" in log.split("--- HiGHS log ---")[1]
