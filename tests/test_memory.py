"""The memory guard (issue 15, item 8): a case whose estimated peak memory passes the
memory available is refused before the build, with the estimate, in one sentence.
Writing the results without a solve (rank 0 of progressive hedging, ``optimizer
report``) has an estimate of its own (issue 12)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from benchmarks.generate import PRESETS, Knobs, generate_preset, tables, write
from optimizer import memory
from optimizer.cli import main
from optimizer.files import file_sha256
from optimizer.model.derive import derive
from optimizer.pipeline import optimize
from optimizer.report.solution import keep
from optimizer.solve.highs import SolverOptions
from optimizer.workbook.validation import load
from tests.cases import valid_tables, write_tables


def test_node_entities_are_counted_per_tree_node(tmp_path: Path) -> None:
    data, _ = load(write_tables(tmp_path / "case.xlsx", valid_tables()))
    # 7 nodes: 2026 shared, then calm, ga_ban and li_dump apart in 2027 and 2028;
    # per node 4 facilities + 4 routes (the "*" route is two) + 2 stockpiles
    # + 2 × 3 regions × 2 minerals = 22
    found = memory.estimate(derive(data))
    assert (found.nodes, found.node_entities) == (7, 154)
    assert found.bytes == memory.BASE_BYTES + 154 * memory.BYTES_PER_NODE_ENTITY


def test_a_case_too_large_for_the_memory_available_is_refused_in_one_sentence(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    source = write_tables(tmp_path / "case.xlsx", valid_tables())
    monkeypatch.setenv(memory.MEMORY_VARIABLE, str(100_000_000))  # 95 MB
    assert main(["run", str(source), "-o", str(tmp_path / "r.xlsx"), "-q"]) == 2
    # 220 MiB + 154 × 3,000 bytes, in MB
    message = ("This case needs about 220 MB of memory (7 tree nodes, 154 node entities), "
               "more than the 95 MB available: use fewer scenarios or periods, or a "
               "machine with more memory.")
    assert capsys.readouterr().err == message + "\n"
    assert message in (tmp_path / "r.failed.log").read_text(encoding="utf-8")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["case.xlsx", "r.failed.log"]


def test_the_memory_available_is_read_from_the_system() -> None:
    available = memory.available_bytes()
    assert available is not None and available > 0


def test_writing_the_results_alone_has_a_rate_of_its_own(tmp_path: Path) -> None:
    data, _ = load(write_tables(tmp_path / "case.xlsx", valid_tables()))
    found = memory.estimate_results(derive(data))
    assert (found.nodes, found.node_entities) == (7, 154)
    # 300 MiB + 154 × 2,100 bytes
    assert found.bytes == 300 * 2**20 + 323_400


@pytest.mark.parametrize(("knobs", "entities", "measured"), [
    # benchmarks/rank0.py: rank 0's work after PH, 400 scenarios of the preset tiny
    # (10 families, seed 0): peaks of 510 and 534 MiB
    (dataclasses.replace(PRESETS["tiny"], scenarios=400, families=10), 151_235,
     534 * 2**20),
    # docs/performance.md: `optimizer report` on the 4.9M-variable case, 3.46 GB
    (Knobs(regions=32, minerals=12, periods=24, scenarios=140, families=25,
           routes_per_region=4), 4_894_692, int(3.46 * 2**30)),
])
def test_the_results_estimate_is_below_the_whole_run_s_and_above_the_measured_peak(
        tmp_path: Path, knobs: Knobs, entities: int, measured: int) -> None:
    data, _ = load(write(tmp_path / "case.xlsx", tables(knobs)))
    derived = derive(data)
    results, whole = memory.estimate_results(derived), memory.estimate(derived)
    assert results.node_entities == whole.node_entities == entities
    assert measured < results.bytes < whole.bytes


def test_the_results_estimate_passes_the_whole_run_s_only_on_small_cases(
        tmp_path: Path) -> None:
    # its base holds Pyomo and mpi-sppy: 80 MiB more than the whole run's, made up by
    # 900 bytes less per node entity above 93,207 node entities
    data, _ = load(generate_preset(tmp_path / "case.xlsx", "tiny", seed=0, scenarios=200,
                                   families=10))
    derived = derive(data)
    assert memory.node_entities(derived) == 76_735
    assert memory.estimate_results(derived).bytes > memory.estimate(derived).bytes


def _kept(folder: Path) -> Path:
    """The hand case solved and its solution kept, as a run whose writing failed keeps
    it."""
    case = write_tables(folder / "case.xlsx", valid_tables())
    data, _ = load(case)
    outcome = optimize(data, SolverOptions())
    return keep(outcome.solution, case, folder / "r_solution", {
        "input_file": str(case), "input_sha256": file_sha256(case),
        "variables": outcome.lp.size[0], "constraints": outcome.lp.size[1],
        "results": str(folder / "r.xlsx")})


def test_report_is_refused_by_the_results_estimate_in_one_sentence(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    kept = _kept(tmp_path)
    # 238 MB: a whole run's 220 MB would pass, writing the results needs more
    monkeypatch.setenv(memory.MEMORY_VARIABLE, str(250_000_000))
    assert main(["report", str(kept), "-o", str(tmp_path / "r.xlsx"), "-q"]) == 2
    # 300 MiB + 154 × 2,100 bytes, in MB
    assert capsys.readouterr().err == (
        "Writing this case's results from its solution, without solving it, needs about "
        "300 MB of memory (7 tree nodes, 154 node entities), more than the 238 MB "
        "available: use fewer scenarios or periods, or a machine with more memory.\n")
    assert not (tmp_path / "r.xlsx").exists()
    monkeypatch.setenv(memory.MEMORY_VARIABLE, str(320_000_000))
    assert main(["report", str(kept), "-o", str(tmp_path / "r.xlsx"), "-q"]) == 0
    assert (tmp_path / "r.xlsx").is_file()
