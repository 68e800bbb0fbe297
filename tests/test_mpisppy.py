"""The mpi-sppy engines (optimizer.solve.mpisppy): the extensive form mpi-sppy builds from
one Pyomo model per scenario has the node formulation's optimum, and the engine option
without the optional extra is refused in one sentence.

Skipped with the reason printed when mpi-sppy (the ``[mpi]`` extra) is not installed;
the refusal test runs always.
"""

from __future__ import annotations

import dataclasses
import importlib.util
from pathlib import Path

import openpyxl
import pytest

from benchmarks.generate import generate_preset
from optimizer.cli import main
from optimizer.data import ModelData
from optimizer.model.tree import build_tree
from optimizer.pipeline import optimize
from optimizer.solve import mpisppy
from optimizer.solve.highs import SolverOptions
from optimizer.workbook.validation import load

ROOT = Path(__file__).resolve().parent.parent
INSTALLED = all(importlib.util.find_spec(p) is not None for p in ("mpisppy", "mpi4py"))
needs_mpisppy = pytest.mark.skipif(
    not INSTALLED, reason="mpi-sppy and mpi4py not installed: pip install -e '.[mpi]'")


def _node_and_ef(data: ModelData) -> tuple[float, float]:
    node = optimize(data, SolverOptions()).solution.objective
    assert node is not None
    ef = mpisppy.extensive_form(data)
    return node, float(ef.EF_Obj())


@needs_mpisppy
def test_extensive_form_on_a_branching_tree_with_unequal_probabilities(tmp_path: Path) -> None:
    data, _ = load(generate_preset(tmp_path / "tiny.xlsx", "tiny", seed=3))
    tree = build_tree(data)
    # the case is what the test is about: nodes shared off the trunk, unequal probabilities
    assert any(1 < len(n.scenarios) < len(tree.paths) for n in tree.nodes)
    assert len({s.probability for s in data.scenarios}) > 1
    node, ef = _node_and_ef(data)
    assert ef == pytest.approx(node, rel=1e-6)


@needs_mpisppy
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_extensive_form_with_cvar_on_random_small_cases(tmp_path: Path, seed: int) -> None:
    data, _ = load(generate_preset(tmp_path / "tiny.xlsx", "tiny", seed=seed))
    data = dataclasses.replace(data, settings=dataclasses.replace(
        data.settings, risk_weight=0.4, cvar_alpha=0.8))
    node, ef = _node_and_ef(data)
    assert ef == pytest.approx(node, rel=1e-6)


@needs_mpisppy
@pytest.mark.parametrize("case", ["example.xlsx", "base_case.xlsx"])
def test_extensive_form_on_the_committed_cases(case: str) -> None:
    data, _ = load(ROOT / "data" / case)
    node, ef = _node_and_ef(data)
    assert ef == pytest.approx(node, rel=1e-6)


@needs_mpisppy
def test_run_with_the_extensive_form_writes_the_results_without_marginal_prices(
        tmp_path: Path) -> None:
    output = tmp_path / "results.xlsx"
    assert main(["run", str(ROOT / "data" / "example.xlsx"), "--engine", "mpisppy-ef",
                 "-o", str(output), "--quiet"]) == 0
    data, _ = load(ROOT / "data" / "example.xlsx")
    node = optimize(data, SolverOptions()).solution.objective
    book = openpyxl.load_workbook(output, read_only=True)
    summary = {row[0]: row[1] for row in book["summary"].iter_rows(values_only=True)}
    assert summary["objective"] == pytest.approx(node, rel=1e-9)
    prices = list(book["prices"].iter_rows(values_only=True))
    column = prices[0].index("marginal_price_per_t")
    assert len(prices) > 1 and all(row[column] is None for row in prices[1:])
    log = output.with_suffix(".log").read_text(encoding="utf-8")
    assert "the mpisppy-ef engine gives no duals of the node formulation" in log


@pytest.mark.parametrize("engine", ["mpisppy-ef", "mpisppy-ph"])
def test_the_engine_without_the_extra_says_what_to_install(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        engine: str) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name in ("mpisppy", "mpi4py") else real(name, *a))
    status = main(["run", str(ROOT / "data" / "example.xlsx"), "--engine", engine,
                   "-o", str(tmp_path / "r.xlsx")])
    assert status == 1
    assert capsys.readouterr().err.strip() == mpisppy.MISSING
    assert not (tmp_path / "r.xlsx").exists()


def test_an_unknown_engine_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                      ) -> None:
    status = main(["run", str(ROOT / "data" / "example.xlsx"), "--engine", "cplex",
                   "-o", str(tmp_path / "r.xlsx")])
    assert status == 2
    assert capsys.readouterr().err.strip() == (
        "--engine cplex: unknown; choose highs, mpisppy-ef or mpisppy-ph")
