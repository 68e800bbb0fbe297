"""benchmarks/: the case generator, the independent reference LP and the benchmark runner.

The reference LP (``benchmarks/reference.py``) is assembled without Pyomo or any of
``optimizer.model`` and ``optimizer.solve.highs``; its optimum equalling the pipeline's on the
committed cases and on generated ones of several shapes is the check that the model
formulates MODEL.md §5–§7 as written. No test here asserts a time.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from python_calamine import CalamineWorkbook

from benchmarks.generate import PRESETS, Knobs, generate, generate_preset, tables, tree_nodes
from benchmarks.reference import agrees, reference_of
from benchmarks.run import HIGHS_MARKER, parse_log
from optimizer.pipeline import optimize
from optimizer.solve.highs import SolverOptions
from optimizer.workbook.validation import load

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"


def _contents(path: Path) -> dict[str, list[list[Any]]]:
    workbook = CalamineWorkbook.from_path(str(path))
    return {name: workbook.get_sheet_by_name(name).to_python() for name in workbook.sheet_names}


# ---------------------------------------------------------------- generator


def test_the_generator_is_deterministic(tmp_path: Path) -> None:
    first = generate_preset(tmp_path / "a.xlsx", "tiny", seed=4)
    again = generate_preset(tmp_path / "b.xlsx", "tiny", seed=4)
    other = generate_preset(tmp_path / "c.xlsx", "tiny", seed=5)
    assert _contents(first) == _contents(again)
    assert first.read_bytes() == again.read_bytes()  # no clock in the file either
    assert _contents(first) != _contents(other)


def test_a_generated_case_is_valid_and_has_every_ingredient(tmp_path: Path) -> None:
    knobs = PRESETS["tiny"]
    data, warnings = load(generate_preset(tmp_path / "tiny.xlsx", "tiny"))
    assert warnings == []
    assert abs(sum(s.probability for s in data.scenarios) - 1.0) < 1e-12
    assert any(r.zone_member for r in data.regions) and not all(
        r.zone_member for r in data.regions)
    assert {f.stage for f in data.facilities} == {"mine", "refine", "recycle"}
    assert any(f.expandable_t > 0 for f in data.facilities)
    assert data.offtakes
    assert any(s.release_needs_disruption for s in data.stockpiles)
    assert any(s.terminal_min_t > s.initial_t for s in data.stockpiles)
    assert {"capacity", "export", "route", "price"} <= {d.kind for d in data.disruptions}
    assert any(p.floor_price_per_t is not None for p in data.prices)
    assert data.settings.stockpile_budget is not None
    assert data.settings.expansion_budget is not None
    assert any(len(tiers) > 1 for tiers in data.tiers.values())
    # demand grows: the last period asks for more than the first
    first, last = data.periods[0].period, data.periods[-1].period
    demand = {(d.region, d.mineral, d.period): d.demand_t for d in data.demand}
    assert all(demand[r, m, last] > demand[r, m, first] for r, m, p in demand if p == first)
    # the tree has shared nodes off the trunk: fewer nodes than scenarios × periods
    outcome = optimize(data, SolverOptions())
    assert len(outcome.derived.tree.nodes) == tree_nodes(knobs)
    assert len(outcome.derived.tree.nodes) < knobs.scenarios * knobs.periods
    assert outcome.solution.status == "optimal"
    # and the plan uses the instruments
    assert sum(outcome.values("build").values()) > 0
    assert sum(outcome.values("release").values()) > 0
    assert sum(outcome.values("purchase").values()) > 0
    assert sum(outcome.values("contract_take").values()) > 0
    assert sum(outcome.values("shortfall").values()) > 0


def test_preset_knobs_are_what_the_project_quotes() -> None:
    assert (PRESETS["275k"].regions, PRESETS["275k"].minerals, PRESETS["275k"].periods,
            PRESETS["275k"].scenarios) == (24, 8, 16, 24)
    assert (PRESETS["1m"].regions, PRESETS["1m"].minerals, PRESETS["1m"].periods,
            PRESETS["1m"].scenarios) == (28, 10, 20, 40)
    assert abs(tree_nodes(PRESETS["1m"]) - 289) <= 10


def test_tables_refuse_a_case_too_small_to_make_sense() -> None:
    with pytest.raises(ValueError, match="at least"):
        tables(Knobs(regions=1))


# ---------------------------------------------------------------- reference


def _assert_agrees(path: Path) -> None:
    data, _ = load(path)
    reference = reference_of(data)
    outcome = optimize(data, SolverOptions())
    assert outcome.solution.status == "optimal"
    assert reference.objective is not None, reference.status
    assert agrees(reference.objective, outcome.solution.objective), (
        reference.objective, outcome.solution.objective)


@pytest.mark.parametrize("name", ["example.xlsx", "base_case.xlsx"])
def test_the_reference_agrees_on_the_committed_cases(name: str) -> None:
    _assert_agrees(DATA / name)


@pytest.mark.parametrize("knobs", [
    {},
    {"risk_weight": 0.4, "seed": 1},
    {"zone_exclusive": True, "seed": 2},
    {"risk_weight": 1.0, "zone_exclusive": True, "member_share": 0.3, "seed": 3},
    {"regions": 5, "minerals": 2, "periods": 3, "scenarios": 7, "families": 3,
     "diverge_after": 1, "seed": 4},
    {"scenarios": 1, "routes_per_region": 1, "seed": 5},
], ids=["default", "cvar", "zone-exclusive", "cvar-only-exclusive", "bushy", "one-scenario"])
def test_the_reference_agrees_on_generated_cases(tmp_path: Path, knobs: dict[str, Any]) -> None:
    _assert_agrees(generate(tmp_path / "case.xlsx", **knobs))


def test_agreement_is_relative() -> None:
    assert agrees(1e12, 1e12 * (1 + 5e-8))
    assert not agrees(1e12, 1e12 * (1 + 5e-7))
    assert agrees(0.0, 1e-9)
    assert not agrees(None, 1.0)


# ---------------------------------------------------------------- runner


def test_the_log_is_parsed_whatever_its_stages() -> None:
    text = "\n".join([
        "2026-01-01 10:00:00,001 optimizer.timing INFO read        0.250 s",
        "2026-01-01 10:00:01,001 optimizer.timing INFO build (fast)   1.072 s",
        "2026-01-01 10:00:02,001 optimizer.pipeline INFO 1,234 variables, 56 constraints: Optimal",
        "2026-01-01 10:00:03,001 optimizer.timing INFO value of information 12 s",
        "2026-01-01 10:00:03,001 optimizer.run INFO results written to out.xlsx",
        "",
        HIGHS_MARKER,
        "LP has 56 rows; 1234 cols; 4000 nonzeros",
        "Presolve reductions: rows 50(-6); columns 1200(-34); nonzeros 3900(-100) ",
        "Objective value     :  1.2345678901e+09",
        "HiGHS run time      :          0.55",
    ])
    log = parse_log(text)
    assert log.stages == {"read": 0.25, "build (fast)": 1.072, "value of information": 12.0}
    assert (log.variables, log.constraints, log.nonzeros) == (1234, 56, 4000)
    assert (log.presolved_rows, log.presolved_columns) == (50, 1200)
    assert log.highs_seconds == 0.55
    assert log.highs_objective == 1.2345678901e9


def test_the_benchmark_runs_the_tiny_case() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--sizes", "tiny"],
        cwd=ROOT, capture_output=True, text=True, check=False, timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split()[-1] == "tiny"  # one column per size
    rows = {line.rsplit(maxsplit=1)[0].strip(): line.rsplit(maxsplit=1)[1]
            for line in lines[1:] if line.strip()}
    for expected in ("variables", "constraints", "nonzeros", "presolved columns", "tree nodes",
                     "HiGHS run time (s)", "wall (s)", "wall / HiGHS", "peak RSS (MB)",
                     "reference assembly (s)", "(wall - solve) / ref. assembly",
                     "objective", "reference objective"):
        assert rows.get(expected, "-") != "-", expected
    assert any(name.endswith("(s)") and name not in ("wall (s)", "generate (s)")
               for name in rows)  # the stages of the log
    assert rows["tree nodes"] == str(tree_nodes(PRESETS["tiny"]))
    assert rows["objective check"] == "ok"
    # presolve leaves most of the model: the case is not trivial
    variables = int(rows["variables"].replace(",", ""))
    assert int(rows["presolved columns"].replace(",", "")) > 0.5 * variables


def test_the_spelling_benchmark_finds_every_slip() -> None:
    """benchmarks/spelling.py asserts the index finds the near match of every mistyped
    name before it times anything; here on a few names, once."""
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "spelling.py"), "--names", "200",
         "--repeats", "1"],
        cwd=ROOT, capture_output=True, text=True, check=False, timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines()[0] == "200 names, 200 mistyped references"
