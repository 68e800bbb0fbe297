"""Results at any scale (MODEL.md §8): detail sheets that fit, the complete tables in
Parquet, and a solved plan never lost to a failure while writing.

Cases come from the benchmark generator (several scenarios sharing nodes off the
trunk), small enough to solve in a moment; a small ``max_sheet_rows`` forces each form.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from benchmarks.generate import generate_preset
from optimizer import run as run_module
from optimizer.cli import EXIT_ERROR, EXIT_OK, main
from optimizer.pipeline import Outcome, optimize
from optimizer.report import parquet
from optimizer.results import Results
from optimizer.results.contract import (
    FORM_EXPECTED,
    FORM_LARGEST,
    FORM_NODE,
    FORM_SCENARIO,
    RESULT_SHEETS_BY_NAME,
)
from optimizer.results.forms import TO_READ, expected_values, quantities
from optimizer.results.tables import DETAIL_KEYS, DETAIL_SHEETS, plain
from optimizer.solve.highs import SolverOptions
from optimizer.workbook.validation import load
from tests.solved import collected, write_workbook

TOLERANCE = 1e-9


@pytest.fixture(scope="module")
def case(tmp_path_factory: pytest.TempPathFactory) -> tuple[Outcome, Path]:
    """The tiny generated case, solved."""
    path = generate_preset(tmp_path_factory.mktemp("case") / "tiny.xlsx", "tiny")
    data, _ = load(path)
    outcome = optimize(data, SolverOptions(ranging=True))
    assert outcome.optimal
    return outcome, path


def _results(case: tuple[Outcome, Path], max_rows: int | None = None,
             folder: str = "tiny_results_detail") -> Results:
    outcome, path = case
    return collected(outcome, path, "sha", 0.0, max_sheet_rows=max_rows) if folder is None \
        else _with_folder(outcome, path, max_rows, folder)


def _with_folder(outcome: Outcome, path: Path, max_rows: int | None, folder: str) -> Results:
    from optimizer.results import Provenance, collect

    return collect(outcome, Provenance(path, "sha", 0.0, folder), max_sheet_rows=max_rows)


def _readable(name: str, results: Results) -> pd.DataFrame:
    """The node rows of a complete table with something to read."""
    from optimizer.results import _with_helpers

    table = _with_helpers(name, results.detail[name], results.detail)
    return results.detail[name][TO_READ[name](table)]


# ---------------------------------------------------------------- the cascade


def test_every_sheet_fits_as_it_is_when_rows_allow(case: tuple[Outcome, Path]) -> None:
    results = _results(case)
    for name in DETAIL_SHEETS:
        form = results.forms[name]
        assert form.form == FORM_SCENARIO
        assert form.note.startswith("Written per scenario: the ")
        assert list(form.frame.columns) == list(RESULT_SHEETS_BY_NAME[name].column_names)
        # the rows with something to read, each under every scenario through its node
        readable = _readable(name, results)
        assert len(form.frame) == results.tree.scenario_count(
            readable["node"].to_numpy()).sum() == form.readable_rows
    assert not results.writes_detail


def test_a_sheet_too_long_per_scenario_is_written_per_node(
    case: tuple[Outcome, Path]
) -> None:
    flows = _results(case).forms["flows"]
    limit = flows.node_rows  # the node rows fit exactly; per scenario they do not
    assert flows.readable_rows > limit
    results = _results(case, max_rows=limit)
    form = results.forms["flows"]
    assert form.form == FORM_NODE
    assert list(form.frame.columns) == [
        "origin", "destination", "mineral", "stage", "period", "node", "scenarios",
        "flow_t", "cost_per_t", "border_adjustment_per_t"]
    assert len(form.frame) == limit
    assert form.note == (
        f"Written per tree node (node and scenarios in place of scenario). The "
        f"{flows.readable_rows:,} rows per scenario with something to read (of "
        f"{flows.complete_rows:,} with zeros) would pass max_sheet_rows ({limit:,}); these "
        f"are the {limit:,} node rows with something to read. The complete table, one row "
        "per index and node: tiny_results_detail/flows.parquet.")
    assert results.writes_detail
    read_me = results.sheets["read_me"]
    row = read_me[(read_me["sheet"] == "flows") & (read_me["column"] == "")]
    assert form.note in row["meaning"].iloc[0]


def test_a_sheet_too_long_per_node_is_written_as_expected_values(
    case: tuple[Outcome, Path]
) -> None:
    flows = _results(case).forms["flows"]
    expected = expected_values("flows", _results(case).detail["flows"], _results(case).tree)
    expected = expected[expected["flow_t"] != 0]
    limit = len(expected)  # the expected rows fit exactly; the node rows do not
    assert flows.node_rows > limit
    form = _results(case, max_rows=limit).forms["flows"]
    assert form.form == FORM_EXPECTED
    assert "scenario" not in form.frame.columns and "node" not in form.frame.columns
    assert len(form.frame) == limit
    assert form.note.startswith("Written as expected values per period")
    smaller = _results(case, max_rows=limit - 1).forms["flows"]
    assert smaller.form == FORM_LARGEST
    assert len(smaller.frame) == limit - 1
    # the largest rows, in the table's order
    assert smaller.frame["flow_t"].min() >= form.frame["flow_t"].nsmallest(2).iloc[-1] - 1e-12


# ---------------------------------------------------------------- reduced sheets lose nothing


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_reduced_sheets_lose_nothing(tmp_path: Path, seed: int) -> None:
    """Per node: exactly the non-zero node rows, values equal. Expected: every quantity
    is Σ_n π_n × the node values, recomputed here from the complete table."""
    path = generate_preset(tmp_path / "case.xlsx", "tiny", seed=seed, scenarios=6)
    data, _ = load(path)
    outcome = optimize(data, SolverOptions())
    complete = _with_folder(outcome, path, None, "x")
    probability = {n.id: n.probability for n in outcome.derived.tree.nodes}
    for name in DETAIL_SHEETS:
        readable = _readable(name, complete)
        node_form = _with_folder(outcome, path, max(1, len(readable)), "x").forms[name]
        # exactly the node rows fit: per node unless every row sits on one scenario's node
        expected_form = FORM_NODE if node_form.readable_rows > len(readable) else FORM_SCENARIO
        assert node_form.form == expected_form, name
        if node_form.form == FORM_NODE:
            columns = [c for c in node_form.frame.columns if c != "scenarios"]
            pd.testing.assert_frame_equal(
                node_form.frame[columns].reset_index(drop=True),
                readable[columns].reset_index(drop=True), check_categorical=False)
        shown = _with_folder(outcome, path, 1, "x").forms[name]
        assert shown.form in (FORM_EXPECTED, FORM_LARGEST)
        table = complete.detail[name]
        weights = table["node"].map(probability)
        keys = [*DETAIL_KEYS[name], "period"]
        for quantity in quantities(name):
            by_hand = (table[quantity].fillna(0.0) * weights).groupby(
                [table[k].astype(object) for k in keys], sort=False).sum()
            sheet = shown.frame.astype({k: object for k in keys}).set_index(keys)[quantity]
            assert np.allclose(sheet.fillna(0.0).to_numpy(),
                               by_hand.reindex(sheet.index).to_numpy(), atol=1e-9)
            # nothing with an amount is missing from the expected rows (bar the largest cut)
            if shown.form == FORM_EXPECTED:
                missing = by_hand[~by_hand.index.isin(sheet.index)]
                assert (missing.abs() < TOLERANCE).all()


# ---------------------------------------------------------------- Parquet


def test_parquet_round_trip_and_per_scenario_join(
    case: tuple[Outcome, Path], tmp_path: Path
) -> None:
    results = _results(case)
    folder = parquet.write(results, tmp_path / "r_detail")
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [f"{n}.parquet" for n in DETAIL_SHEETS] + ["nodes.parquet", "paths.parquet"])
    paths = parquet.read(folder, "paths")
    for name in DETAIL_SHEETS:
        back = parquet.read(folder, name)
        pd.testing.assert_frame_equal(plain(back), plain(results.detail[name]))
        # one join with the paths gives the per-scenario table MODEL.md §8 declares
        joined = back.drop(columns="period").merge(paths, on="node")
        joined = joined.astype({c: object for c in joined.columns
                                if isinstance(joined[c].dtype, pd.CategoricalDtype)})
        declared = list(RESULT_SHEETS_BY_NAME[name].column_names)
        expected = results.by_scenario(name)
        key = [c for c in declared if expected[c].dtype == object]
        left = joined[declared].sort_values(key, kind="stable").reset_index(drop=True)
        right = expected.sort_values(key, kind="stable").reset_index(drop=True)
        pd.testing.assert_frame_equal(left, right, check_dtype=False)
    nodes = parquet.read(folder, "nodes")
    assert list(nodes.columns)[:4] == ["node", "period", "probability", "parent"]
    by_period = nodes.groupby("period", observed=True)["probability"].sum()
    assert np.allclose(by_period.to_numpy(), 1.0)


def test_the_run_writes_the_detail_folder_when_a_sheet_is_reduced(
    case: tuple[Outcome, Path], tmp_path: Path
) -> None:
    _, path = case
    output = tmp_path / "out.xlsx"
    assert main(["run", str(path), "-o", str(output), "-q"]) == EXIT_OK
    assert not (tmp_path / "out_detail").exists()  # everything fitted
    assert main(["run", str(path), "-o", str(output), "-q", "--detail"]) == EXIT_OK
    assert (tmp_path / "out_detail" / "flows.parquet").is_file()
    summary = pd.read_excel(output, sheet_name="summary", engine="openpyxl").set_index(
        "figure")["value"]
    assert summary["detail_folder"] == "out_detail"


# ---------------------------------------------------------------- never lose a solve


def _one_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[-1]


def test_a_directory_in_the_way_keeps_the_solution_and_report_writes_it(
    case: tuple[Outcome, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, path = case
    output = tmp_path / "results.xlsx"
    output.mkdir()  # a folder where the workbook should go
    capsys.readouterr()
    assert main(["run", str(path), "-o", str(output), "-q"]) == EXIT_ERROR
    said = capsys.readouterr().err
    kept = tmp_path / "results_solution"
    assert _one_line(said) == (
        f"The plan was solved, but its results could not be written (IsADirectoryError: "
        f"[Errno 21] Is a directory: '{_temporary(said)}' -> '{output}'). The solution is "
        f"kept in {kept}: `optimizer report {kept} -o {output}` writes the results from it "
        "without solving again.")
    assert "Traceback" not in said
    log = (tmp_path / "results.failed.log").read_text(encoding="utf-8")
    assert "writing the results failed" in log and "IsADirectoryError" in log
    assert sorted(p.name for p in kept.iterdir()) == [
        "columns.parquet", "input.xlsx", "rows.parquet", "solution.json"]
    output.rmdir()
    assert main(["report", str(kept), "-o", str(output), "-q"]) == EXIT_OK
    direct = tmp_path / "direct.xlsx"
    assert main(["run", str(path), "-o", str(direct), "-q"]) == EXIT_OK
    _same_results(output, direct)


def _temporary(said: str) -> str:
    return said.split("Is a directory: '")[1].split("'")[0]


def test_a_read_only_folder_keeps_the_solution_in_the_working_folder(
    case: tuple[Outcome, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, path = case
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(stat.S_IRUSR | stat.S_IXUSR)
    if os.geteuid() == 0:  # root writes into read-only folders, but not into /proc
        locked = Path("/proc/optimizer-results")
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    # A folder that cannot be written is refused before solving; this is the folder
    # failing after the check (taken away, or made read-only, during the solve).
    monkeypatch.setattr(run_module, "check_files", lambda request, output: None)
    try:
        assert main(["run", str(path), "-o", str(locked / "r.xlsx"), "-q"]) == EXIT_ERROR
    finally:
        (tmp_path / "locked").chmod(stat.S_IRWXU)
    assert (work / "r_solution" / "solution.json").is_file()
    log = (work / "r_solution" / "run.log").read_text(encoding="utf-8")
    assert f"could not keep the solution in {locked}" in log


def test_a_failing_writer_keeps_the_solution(
    case: tuple[Outcome, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Any failure after the solve (here the disk filling up inside the writer)."""
    from optimizer.report import xlsx

    def full(*args: object, **kwargs: object) -> Path:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(xlsx, "write", full)
    _, path = case
    output = tmp_path / "r.xlsx"
    capsys.readouterr()
    assert main(["run", str(path), "-o", str(output), "-q"]) == EXIT_ERROR
    assert "(OSError: [Errno 28] No space left on device). The solution is kept in" in \
        capsys.readouterr().err
    assert not output.exists()
    assert (tmp_path / "r_solution" / "input.xlsx").read_bytes() == path.read_bytes()


def test_report_refuses_a_folder_without_a_kept_solution(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert main(["report", str(tmp_path)]) == 2
    assert capsys.readouterr().err.strip() == (
        f"{tmp_path}: holds no kept solution (no solution.json and input.xlsx); give the "
        "folder a failed run named")


def _same_results(a: Path, b: Path) -> None:
    """Two results workbooks hold the same tables (bar timings and file names)."""
    first = pd.read_excel(a, sheet_name=None, engine="openpyxl")
    second = pd.read_excel(b, sheet_name=None, engine="openpyxl")
    assert first.keys() == second.keys()
    for name in first:
        x, y = first[name], second[name]
        if name == "summary":
            varying = ["solve_seconds", "total_seconds", "input_file"]
            x, y = (f[~f["figure"].isin(varying)].reset_index(drop=True) for f in (x, y))
        pd.testing.assert_frame_equal(x, y, obj=name)


# ---------------------------------------------------------------- the written workbook


def test_written_detail_sheets_are_the_rows_with_something_to_read(
    case: tuple[Outcome, Path], tmp_path: Path
) -> None:
    results = _results(case)
    path = write_workbook(results, tmp_path / "r.xlsx")
    written = pd.read_excel(path, sheet_name=None, engine="openpyxl",
                            dtype={"period": str, "scenarios": str})
    for name in DETAIL_SHEETS:
        frame = results.forms[name].frame
        back = written[name]
        assert list(back.columns) == list(frame.columns)
        assert len(back) == len(frame)
        numbers = [c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c])]
        assert np.allclose(back[numbers].to_numpy(dtype=float),
                           frame[numbers].to_numpy(dtype=float), equal_nan=True, rtol=1e-15)


def test_the_sensitivity_sheet_keeps_the_largest_duals_when_too_long(
    case: tuple[Outcome, Path]
) -> None:
    complete = _results(case).sheets["sensitivity"]
    limit = len(complete) // 2
    assert limit > 10
    results = _results(case, max_rows=limit)
    sheet = results.sheets["sensitivity"]
    assert len(sheet) == limit
    assert sheet["dual"].abs().min() >= complete["dual"].abs().nlargest(limit).min()
    read_me = results.sheets["read_me"]
    row = read_me[(read_me["sheet"] == "sensitivity") & (read_me["column"] == "")]
    assert row["meaning"].iloc[0].endswith(
        f"{len(complete):,} limits bind, more than max_sheet_rows ({limit:,}): these are the "
        f"{limit:,} whose duals are largest in size, in the sheet's order.")
