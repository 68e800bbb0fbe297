"""Sweeps: grids, their application and checks, the engine, the cache, the comparison."""

from __future__ import annotations

import dataclasses
import os
import pickle
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from openpyxl import Workbook

from optimizer.cli import main
from optimizer.data import ModelData
from optimizer.sweep import SweepRequest, cache_folder, sweep
from optimizer.sweep.engine import (
    MALLOC_TRIM,
    ONE_THREAD,
    Solving,
    batch_size,
    data_changes,
    local_cluster,
    one_thread_each,
    point_key,
    with_changes,
)
from optimizer.sweep.grid import BASE, Change, Point, parse_target, point_input, read_grid
from optimizer.workbook.problems import InputError, Problems
from optimizer.workbook.reading import read_workbook
from optimizer.workbook.validation import validate
from tests.cases import valid_tables, write_tables
from tests.workbooks import demand, facility


def _grid(path: Path, rows: Sequence[Sequence[Any]]) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "sweep"
    sheet.append(["point", "target", "value"])
    for row in rows:
        sheet.append(list(row))
    book.save(path)
    return path


def _input(folder: Path) -> Path:
    return write_tables(folder / "in.xlsx", valid_tables())


def _cells(path: Path, point: Point, sheet: str) -> list[dict[str, Any]]:
    problems = Problems()
    raw = point_input(read_workbook(path, problems), point, problems)
    assert not problems.errors, problems.errors
    return [dict(r.cells) for r in raw.sheets[sheet].records]


def test_target_forms() -> None:
    setting = parse_target("Stockpile_Budget")
    assert not isinstance(setting, str) and setting.setting == "stockpile_budget"
    assert setting.filters == (("key", "stockpile_budget"),)
    column = parse_target("prices.floor_price_per_t[mineral=Lithium, stage=refined]")
    assert not isinstance(column, str)
    assert (column.sheet, column.column) == ("prices", "floor_price_per_t")
    assert column.filters == (("mineral", "lithium"), ("stage", "refined"))
    whole = parse_target("facilities.capacity_t")
    assert not isinstance(whole, str) and whole.filters == ()


def test_changes_applied(tmp_path: Path) -> None:
    path = _input(tmp_path)
    point = Point("p", (
        Change(2, "stockpile_budget", "*0.5"),
        Change(3, "prices.floor_price_per_t[mineral=lithium,stage=refined]", "+500"),
        Change(4, "facilities.capacity_t[facility=US-Li-ref]", 7000),
        Change(5, "disruptions.end_period[scenario=ga_ban]", 2027),
        Change(6, "risk_weight", 0.25),
    ))
    settings = {r["key"]: r["value"] for r in _cells(path, point, "settings")}
    assert settings["stockpile_budget"] == 2.5e8
    assert settings["risk_weight"] == 0.25  # absent from the input: added
    prices = _cells(path, point, "prices")
    assert [r["floor_price_per_t"] for r in prices] == [12500, None]
    capacity = {r["facility"]: r["capacity_t"] for r in _cells(path, point, "facilities")}
    assert capacity == {"AU-Li-mine": 90000, "CN-Li-ref": 60000, "US-Li-ref": 7000,
                        "CN-Ga-rec": 600}
    ends = [r.get("end_period") for r in _cells(path, point, "disruptions")]
    assert ends == [2027, 2027]


def test_factorial_crossing(tmp_path: Path) -> None:
    grid = _grid(tmp_path / "g.xlsx", [
        ["x", "stockpile_budget", 1e8], ["x", "stockpile_budget", 2e8],
        ["x", "facilities.capacity_t[facility=US-Li-ref]", "*2"],
        ["x", "facilities.capacity_t[facility=US-Li-ref]", "*3"],
    ])
    points = read_grid(grid, factorial=True)
    assert [p.name for p in points] == ["p1", "p2", "p3", "p4"]
    assert [p.describe() for p in points] == [
        "stockpile_budget = 100000000; facilities.capacity_t[facility=US-Li-ref] = *2",
        "stockpile_budget = 100000000; facilities.capacity_t[facility=US-Li-ref] = *3",
        "stockpile_budget = 200000000; facilities.capacity_t[facility=US-Li-ref] = *2",
        "stockpile_budget = 200000000; facilities.capacity_t[facility=US-Li-ref] = *3",
    ]
    assert [p.name for p in read_grid(grid)] == ["x"]


@pytest.mark.parametrize(("workers", "scheduler"), [(1, None), (2, None), (2, "local")])
def test_bad_grid_every_point_told(tmp_path: Path, workers: int, scheduler: str | None) -> None:
    """The same messages, in the same order, whether the parent, the pool's workers or
    Dask's check the points; nothing is solved or written."""
    grid = _grid(tmp_path / "g.xlsx", [
        ["a", "stockpile_budgetx", 1],
        ["b", "prices.floorx[mineral=lithium]", "*1.2"],
        ["c", "facilities.capacity_t[facility=nowhere]", "+500"],
        ["d", "facilities.capacity_t[facility=US-Li-ref]", "-10000"],
        ["e", "regions.name[region=US]", "*2"],
        ["f", "pricex.floor_price_per_t", 1],
        ["g", "discount_rate", "abc"],
    ])
    with pytest.raises(InputError) as raised:
        sweep(SweepRequest(_input(tmp_path), grid, tmp_path / "out.xlsx", workers=workers,
                           scheduler=scheduler))
    assert [str(p) for p in raised.value.errors] == [
        "sweep, row 2, target: point a: not a settings key nor sheet.column[filter] — "
        "did you mean stockpile_budget? (stockpile_budgetx)",
        "sweep, row 3, target: point b: sheet prices has no column 'floorx' "
        "(prices.floorx[mineral=lithium])",
        "sweep, row 4, target: point c: the filter matches no row of sheet facilities "
        "(facilities.capacity_t[facility=nowhere])",
        "facilities, row 4, capacity_t: point d: must be ≥ 0 (-5000)",
        "sweep, row 6, value: point e: a relative change needs a number in the input "
        "(*2 of United States)",
        "sweep, row 7, target: point f: no sheet 'pricex' in the input contract — did "
        "you mean prices? (pricex.floor_price_per_t)",
        "settings, row 3, value: point g: discount_rate: expected a number (abc)",
    ]
    assert not (tmp_path / "out.xlsx").exists()
    assert not cache_folder(tmp_path / "out.xlsx").exists()


def test_bad_grid_rows(tmp_path: Path) -> None:
    grid = _grid(tmp_path / "g.xlsx", [["base", "stockpile_budget", 1], ["a", None, 2]])
    with pytest.raises(InputError) as raised:
        read_grid(grid)
    assert [str(p) for p in raised.value.errors] == [
        "sweep, row 2, point: 'base' is the unchanged input; name the point otherwise (base)",
        "sweep, row 3, target: a value is required",
    ]


def _budget_case(folder: Path) -> Path:
    """One member M, two one-year periods, no discounting. A recycler makes 10 t of m a
    period at 5 a tonne; M needs nothing in p1 and 20 t in p2; a shortfall costs 1000 a
    tonne. The Vault may buy in p1 at the market price 50 and release in p2, within the
    budget B. Each tonne bought saves 1000 − 5 = 995, and at most 10 t can be made
    in p1, so the optimum is 10 050 − 995 × min(10, B / 50), with a kink at B = 500."""
    tables: dict[str, list[dict[str, Any]]] = {
        "settings": [{"key": "stockpile_budget", "value": 100}],
        "regions": [{"region": "M", "zone_member": "yes"}],
        "minerals": [{"mineral": "m", "shortfall_penalty_per_t": 1000}],
        "periods": [{"period": "p1", "years": 1}, {"period": "p2", "years": 1}],
        "facilities": [facility("f", "M", 10, 5)],
        "demand": [demand("M", 20, period="p2")],
        "prices": [{"mineral": "m", "stage": "refined", "market_price_per_t": 50}],
        "stockpiles": [{"stockpile": "vault", "region": "M", "mineral": "m",
                        "capacity_t": 100}],
    }
    return write_tables(folder / "budget.xlsx", tables, headers={"settings": ("key", "value")})


def test_budget_sweep_by_hand(tmp_path: Path) -> None:
    budgets = [0, 100, 250, 500, 800]
    grid = _grid(tmp_path / "g.xlsx", [[f"b{b}", "stockpile_budget", b] for b in budgets])
    done = sweep(SweepRequest(_budget_case(tmp_path), grid, tmp_path / "out.xlsx"))
    table = pd.read_excel(tmp_path / "out.xlsx", sheet_name="comparison", engine="openpyxl")
    assert (done.points, done.solved, done.failed) == (6, 6, 0), table["reason"].tolist()
    objective = dict(zip(table["point"], table["objective"], strict=True))
    assert objective[BASE] == pytest.approx(10050 - 995 * 2)
    for budget in budgets:
        assert objective[f"b{budget}"] == pytest.approx(10050 - 995 * min(10, budget / 50))
    delta = dict(zip(table["point"], table["delta_objective"], strict=True))
    assert delta["b800"] == pytest.approx(-995 * 8)
    shortfall = dict(zip(table["point"], table["shortfall_m"], strict=True))
    assert shortfall["b250"] == pytest.approx(5)
    spend = dict(zip(table["point"], table["vault_spend"], strict=True))
    assert spend["b250"] == pytest.approx(250) and spend["b800"] == pytest.approx(500)
    peak = dict(zip(table["point"], table["peak_stock_t"], strict=True))
    assert peak["b100"] == pytest.approx(2) and peak["b800"] == pytest.approx(10)
    long = pd.read_parquet(tmp_path / "out.parquet")
    assert len(long) == 6 * (len(table.columns) - 6)  # not point, changes, status, reason,
    # swept_target, swept_value
    row = long[(long["point"] == "b500") & (long["figure"] == "objective")]
    assert row["value"].iloc[0] == pytest.approx(10050 - 995 * 10)


def _figures(path: Path) -> pd.DataFrame:
    return pd.read_parquet(path.with_suffix(".parquet"))


def test_pool_equals_sequential(tmp_path: Path) -> None:
    grid = _grid(tmp_path / "g.xlsx", [
        ["half", "stockpile_budget", "*0.5"],
        ["floor", "prices.floor_price_per_t[mineral=lithium]", "*1.2"],
        ["floor", "facilities.capacity_t[facility=US-Li-ref]", "+500"],
        ["short", "facilities.capacity_t[stage=mine]", 1000],
    ])
    path = _input(tmp_path)
    one = sweep(SweepRequest(path, grid, tmp_path / "one.xlsx"))
    two = sweep(SweepRequest(path, grid, tmp_path / "two.xlsx", workers=2))
    assert (one.solved, two.solved) == (4, 4)
    pd.testing.assert_frame_equal(_figures(one.workbook), _figures(two.workbook))


def test_resume_solves_only_new_points(tmp_path: Path) -> None:
    path = _input(tmp_path)
    rows: list[list[Any]] = [["half", "stockpile_budget", "*0.5"], ["none", "stockpile_budget", 0],
            ["more", "facilities.capacity_t[facility=US-Li-ref]", "+500"]]
    out = tmp_path / "out.xlsx"
    first = sweep(SweepRequest(path, _grid(tmp_path / "g1.xlsx", rows[:1]), out))
    assert first.solved == 2  # base and half
    told: list[str] = []
    again = sweep(SweepRequest(path, _grid(tmp_path / "g2.xlsx", rows), out),
                  lambda name, _: told.append(name))
    assert told == ["none", "more"]
    assert (again.points, again.solved) == (4, 2)
    fresh = sweep(SweepRequest(path, tmp_path / "g2.xlsx", tmp_path / "fresh.xlsx"))
    assert fresh.solved == 4
    pd.testing.assert_frame_equal(_figures(out), _figures(fresh.workbook))


def test_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    grid = tmp_path / "grid.xlsx"
    assert main(["template", "--grid", str(grid)]) == 0
    assert read_grid(grid) == []
    assert capsys.readouterr().out == f"{grid}: grid template written.\n"
    _grid(grid, [["half", "stockpile_budget", "*0.5"]])
    out = tmp_path / "out.xlsx"
    assert main(["sweep", str(_input(tmp_path)), str(grid), "-o", str(out), "-q"]) == 0
    said = capsys.readouterr().out
    assert said == (f"{out}: 2 points (2 solved, 0 from the cache, 0 not optimal); "
                    f"figures also in {out.with_suffix('.parquet')}.\n")
    _grid(grid, [["half", "stockpile_budget", "*0.5"], ["none", "stockpile_budget", 0]])
    assert main(["sweep", str(tmp_path / "in.xlsx"), str(grid), "-o", str(out)]) == 0
    told = capsys.readouterr().err.splitlines()
    assert told[0] == "1 point(s) to solve"
    assert told[1].startswith("  none: optimal (1/1 done, 0 failed, about 0 s left)")
    assert main(["sweep", str(grid), str(grid), "-o", str(grid)]) == 2


def test_dask_local_cluster_equals_sequential(tmp_path: Path) -> None:
    grid = _grid(tmp_path / "g.xlsx", [
        ["half", "stockpile_budget", "*0.5"],
        ["floor", "prices.floor_price_per_t[mineral=lithium]", "*1.2"],
        ["short", "facilities.capacity_t[stage=mine]", 1000],
    ])
    path = _input(tmp_path)
    one = sweep(SweepRequest(path, grid, tmp_path / "one.xlsx"))
    links: list[str] = []
    dask = sweep(SweepRequest(path, grid, tmp_path / "dask.xlsx", workers=2,
                              scheduler="local"), on_dashboard=links.append)
    assert dask.solved == 4
    assert len(links) == 1 and links[0].startswith("http")
    pd.testing.assert_frame_equal(_figures(one.workbook), _figures(dask.workbook))


def test_local_cluster_workers_allocate_as_pool_workers() -> None:
    """Dask's nanny would set MALLOC_TRIM_THRESHOLD_ in its workers (ten times a pool
    worker's page faults, docs/sweeps.md) and leave its pre-spawn variables in this
    process's environment; the local cluster's workers get one thread of numpy's pools
    and glibc's own allocation, and this process's environment is left as it was."""
    from distributed import Client

    before = dict(os.environ)
    cluster = local_cluster(1)
    try:
        with Client(cluster) as client:  # type: ignore[no-untyped-call]
            found = list(client.run(lambda: (os.environ.get(MALLOC_TRIM),
                                             os.environ.get("OMP_NUM_THREADS"))).values())
    finally:
        cluster.close()
    assert found == [(before.get(MALLOC_TRIM), before.get("OMP_NUM_THREADS", "1"))]
    assert dict(os.environ) == before


def test_infeasible_point_is_a_row_with_its_reason(tmp_path: Path) -> None:
    grid = _grid(tmp_path / "g.xlsx", [
        ["held", "stockpiles.terminal_min_t[stockpile=vault]", 50],
        ["more", "stockpile_budget", 800],
    ])
    done = sweep(SweepRequest(_budget_case(tmp_path), grid, tmp_path / "out.xlsx"))
    assert (done.points, done.solved, done.failed) == (3, 3, 1)
    table = pd.read_excel(tmp_path / "out.xlsx", sheet_name="comparison", engine="openpyxl")
    held = table[table["point"] == "held"].iloc[0]
    assert held["status"] == "infeasible"
    assert "budget" in held["reason"]
    assert pd.isna(held["objective"])
    more = table[table["point"] == "more"].iloc[0]
    assert more["objective"] == pytest.approx(10050 - 995 * 10)


def _floor_case(folder: Path) -> Path:
    """Member M needs 100 t of m in one year: its recycler makes up to 30 t at 50 a
    tonne; non-member N's makes 100 t at 1 and ships free, but pays the border
    adjustment floor − market = 60 − 10 = 50 a tonne (MODEL.md §3). M's own 30 t are
    cheaper (50 < 51), N sends 70: the non-member share is 0.7, and the price-gap
    support of M's output (60 − 10) × 30 = 1500. With the floor at 40, N costs 31 and
    sends all 100 t: share 1, support 0."""
    tables: dict[str, list[dict[str, Any]]] = {
        "settings": [],
        "regions": [{"region": "M", "zone_member": "yes"}, {"region": "N", "zone_member": "no"}],
        "minerals": [{"mineral": "m", "shortfall_penalty_per_t": 1000}],
        "periods": [{"period": "p1", "years": 1}],
        "facilities": [facility("own", "M", 30, 50), facility("their", "N", 100, 1)],
        "routes": [{"origin": "N", "destination": "M", "mineral": "m", "stage": "refined"}],
        "demand": [demand("M", 100)],
        "prices": [{"mineral": "m", "stage": "refined", "market_price_per_t": 10,
                    "floor_price_per_t": 60}],
    }
    return write_tables(folder / "floor.xlsx", tables, headers={"settings": ("key", "value")})


def test_dependence_support_and_charts_against_the_swept_value(tmp_path: Path) -> None:
    grid = _grid(tmp_path / "g.xlsx", [["f40", "prices.floor_price_per_t[mineral=m]", 40],
                                       ["f70", "prices.floor_price_per_t[mineral=m]", 70]])
    out = tmp_path / "out.xlsx"
    sweep(SweepRequest(_floor_case(tmp_path), grid, out))
    table = pd.read_excel(out, sheet_name="comparison", engine="openpyxl").set_index("point")
    assert table["non_member_share_m"].to_dict() == pytest.approx(
        {"base": 0.7, "f40": 1.0, "f70": 0.7})
    # at 70 the gap is 60: M still makes its 30 t (50 < 61), supported by 60 × 30
    assert table["price_gap_support"].to_dict() == pytest.approx(
        {"base": 1500, "f40": 0, "f70": 1800}, abs=1e-9)
    assert table.loc["f40", "delta_non_member_share_m"] == pytest.approx(0.3)
    assert table.loc["f70", "delta_price_gap_support"] == pytest.approx(300)
    assert table["swept_value"].to_dict() == pytest.approx(
        {"base": float("nan"), "f40": 40.0, "f70": 70.0}, nan_ok=True)
    assert set(table["swept_target"].dropna()) == {"prices.floor_price_per_t[mineral=m]"}
    with zipfile.ZipFile(out) as book:
        charts = [book.read(n).decode() for n in book.namelist()
                  if n.startswith("xl/charts/chart")]
    plotted = [c for c in table.columns if c.startswith(
        ("objective", "cost_", "shortfall_", "non_member_share_", "price_gap_support",
         "peak_stock_t", "vault_spend", "expansion_spend"))]
    assert len(charts) == len(plotted) + 1  # and the frontier
    assert sum("non_member_share_m against prices.floor_price_per_t[mineral=m]" in c
               for c in charts) == 1
    assert sum("cost against expected shortfall" in c for c in charts) == 1


def _outage_case(folder: Path) -> Path:
    """As ``tests/test_information.py``'s paper case: the Vault of 10 t is worth a VSS
    of 515 − 55 = 460; holding at most 5 t, RP = 515 − 46 × 5 = 285 and VSS 230."""
    tables: dict[str, list[dict[str, Any]]] = {
        "settings": [],
        "regions": [{"region": "M", "zone_member": "yes"}],
        "minerals": [{"mineral": "m", "shortfall_penalty_per_t": 100}],
        "periods": [{"period": "p1", "years": 1}, {"period": "p2", "years": 1}],
        "facilities": [facility("f", "M", 20, 1)],
        "demand": [demand("M", 10)],
        "stockpiles": [{"stockpile": "vault", "region": "M", "mineral": "m", "capacity_t": 10,
                        "holding_cost_per_t": 2, "release_needs_disruption": "yes"}],
        "scenarios": [{"scenario": "calm", "probability": 0.5},
                      {"scenario": "outage", "probability": 0.5}],
        "disruptions": [{"scenario": "outage", "kind": "capacity", "start_period": "p2",
                         "factor": 0}],
    }
    return write_tables(folder / "outage.xlsx", tables, headers={"settings": ("key", "value")})


def test_value_of_information_and_each_results(tmp_path: Path) -> None:
    grid = _grid(tmp_path / "g.xlsx", [["small vault", "stockpiles.capacity_t[stockpile=vault]",
                                        5]])
    out, kept = tmp_path / "out.xlsx", tmp_path / "each"
    assert main(["sweep", str(_outage_case(tmp_path)), str(grid), "-o", str(out), "-q",
                 "--value-of-information", "--each-results", str(kept)]) == 0
    table = pd.read_excel(out, sheet_name="comparison", engine="openpyxl").set_index("point")
    assert table["objective"].to_dict() == pytest.approx({"base": 55, "small vault": 285})
    assert table["vss"].to_dict() == pytest.approx({"base": 460, "small vault": 230})
    assert table.loc["small vault", "delta_vss"] == pytest.approx(-230)
    assert sorted(p.name for p in kept.iterdir()) == ["base.xlsx", "small_vault.xlsx"]
    summary = pd.read_excel(kept / "small_vault.xlsx", sheet_name="summary",
                            engine="openpyxl").set_index("figure")["value"]
    assert float(summary["objective"]) == pytest.approx(285)
    assert float(summary["vss"]) == pytest.approx(230)
    (kept / "base.xlsx").unlink()  # a rerun writes a missing workbook again, from the cache
    assert main(["sweep", str(tmp_path / "outage.xlsx"), str(grid), "-o", str(out), "-q",
                 "--value-of-information", "--each-results", str(kept)]) == 0
    assert (kept / "base.xlsx").exists()


def test_price_gap_support_is_the_burden_sheets(tmp_path: Path) -> None:
    """The sweep's own sum is the ``burden`` sheet's expected zone figure, on a case
    with scenarios and a floor above the market."""
    from optimizer.pipeline import optimize
    from optimizer.results.accounting import Accounts
    from optimizer.results.burden import burden
    from optimizer.results.tables import Solved, detail_tables
    from optimizer.solve.highs import SolverOptions
    from optimizer.sweep.engine import price_gap_support
    from optimizer.workbook.validation import load

    data, _ = load(_input(tmp_path))
    outcome = optimize(data, SolverOptions())
    assert outcome.solution.values is not None and len(data.scenarios) > 1
    accounts = Accounts(outcome.derived, outcome.lp, outcome.solution.values)
    solved = Solved(outcome.derived, outcome.lp, outcome.solution, accounts.tree)
    sheet = burden(outcome, accounts, detail_tables(solved))
    zone = sheet[(sheet["scenario"] == "expected") & (sheet["region"] == "zone")]
    expected = float(zone["price_gap_support"].iloc[0])
    assert expected > 0
    assert price_gap_support(solved, [n.probability for n in outcome.derived.tree.nodes]) \
        == pytest.approx(expected, rel=1e-12)


def test_cold_equals_warm(tmp_path: Path) -> None:
    """Every point solved from scratch (``--cold``) has the figures of the warm sweep."""
    budgets = [0, 250, 800]
    grid = _grid(tmp_path / "g.xlsx", [[f"b{b}", "stockpile_budget", b] for b in budgets]
                 + [["held", "stockpiles.terminal_min_t[stockpile=vault]", 50]])
    path = _budget_case(tmp_path)
    warm = sweep(SweepRequest(path, grid, tmp_path / "warm.xlsx"))
    cold = sweep(SweepRequest(path, grid, tmp_path / "cold.xlsx", warm=False))
    assert (warm.solved, cold.solved, cold.failed) == (5, 5, 1)
    pd.testing.assert_frame_equal(_figures(warm.workbook), _figures(cold.workbook))


def test_points_travel_as_changed_fields(tmp_path: Path) -> None:
    """A worker is sent the base point's model data once and each point as the fields
    that differ from it; put back, they are the point's own validated model data."""
    path = _input(tmp_path)
    raw = read_workbook(path, Problems())
    base = validate(raw, Problems())
    budget = validate(point_input(raw, Point("half", (
        Change(2, "stockpile_budget", "*0.5"),)), Problems()), Problems())
    floor = validate(point_input(raw, Point("floor", (
        Change(2, "prices.floor_price_per_t[mineral=lithium]", "*1.2"),)), Problems()),
        Problems())
    assert base is not None and budget is not None and floor is not None
    assert list(data_changes(budget, base)) == ["settings"]
    assert list(data_changes(floor, base)) == ["prices"]
    assert data_changes(base, base) == {}
    assert with_changes({}, base) is base  # the base point: its solver's LP is built already
    for data in (budget, floor):
        sent = pickle.loads(pickle.dumps(data_changes(data, base)))
        assert with_changes(sent, base) == data
    whole = pickle.loads(pickle.dumps(data_changes(base)))  # mapping proxies as dicts
    assert len(whole) == len(dataclasses.fields(ModelData))
    assert with_changes(whole) == base


def test_batch_size() -> None:
    """At least four batches a worker, at most 8 points a batch, never empty."""
    assert [batch_size(n, 2) for n in (1, 8, 16, 40, 64, 201, 1000)] == [1, 1, 2, 5, 8, 8, 8]
    assert batch_size(201, 4) == 8 and batch_size(20, 4) == 1


def test_one_thread_each(monkeypatch: pytest.MonkeyPatch) -> None:
    """Workers start with one numpy and OpenMP thread each; a user's own setting stays,
    and the parent's environment is as it was afterwards."""
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.delenv("MKL_NUM_THREADS", raising=False)
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "3")
    with one_thread_each():
        assert [os.environ.get(n) for n in ONE_THREAD] == ["1", "3", "1"]
    assert [os.environ.get(n) for n in ONE_THREAD] == [None, "3", None]


def test_cache_key_tells_warm_from_cold(tmp_path: Path) -> None:
    """A point solved warm may land on another optimal vertex than from scratch: the two
    are kept apart in the cache."""
    data = validate(read_workbook(_input(tmp_path), Problems()), Problems())
    assert data is not None
    assert point_key(data, Solving(warm=True)) != point_key(data, Solving(warm=False))
    assert point_key(data, Solving()) == point_key(data, Solving(warm=True))


def test_base_point_built_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A sequential sweep of the base and one point derives, builds and compiles two
    LPs: the base point's serves its own solve and the warm start."""
    from optimizer.pipeline import prepare
    from optimizer.sweep import engine

    built: list[ModelData] = []

    def counted(data: ModelData, timings: dict[str, float] | None = None) -> Any:
        built.append(data)
        return prepare(data, timings)

    monkeypatch.setattr(engine, "prepare", counted)
    grid = _grid(tmp_path / "g.xlsx", [["half", "stockpile_budget", "*0.5"]])
    done = sweep(SweepRequest(_input(tmp_path), grid, tmp_path / "out.xlsx"))
    assert (done.points, done.solved) == (2, 2)
    assert len(built) == 2 and built[0] != built[1]
