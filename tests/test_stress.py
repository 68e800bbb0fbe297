"""Stress tests: each source lost in turn, ranked by the time the zone survives it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from optimizer.cli import main
from optimizer.sweep.stress import StressOptionError, StressRequest, stress
from tests.cases import write_tables
from tests.workbooks import demand, facility, route

DELTA = [1.1 ** -t for t in range(4)]  # discount factors of p1..p4 at 10 % a year


def _case(folder: Path, stock_t: float = 120) -> Path:
    """One member M needs 100 t of m a year over four one-year periods (discounted at
    10 % a year; a shortfall costs 1000 a tonne). Non-member A mines 100 and refines 60,
    non-member B mines 100 and refines 40; both ship to M at no cost. M's Vault holds
    ``stock_t`` and need keep nothing. Losing A leaves M short of 60 t a year, losing B
    of 40 t; discounting makes the Vault cover the first years in full, so the zone
    lasts stock ÷ net draw: 120 ÷ 60 = 2 years without A, 120 ÷ 40 = 3 without B."""
    tables: dict[str, list[dict[str, Any]]] = {
        "settings": [{"key": "discount_rate", "value": 0.1}],
        "regions": [{"region": "M", "zone_member": "yes"}, {"region": "A", "zone_member": "no"},
                    {"region": "B", "zone_member": "no"}],
        "minerals": [{"mineral": "m", "shortfall_penalty_per_t": 1000}],
        "periods": [{"period": f"p{i}", "years": 1} for i in range(1, 5)],
        "facilities": [facility("a_mine", "A", 100, stage="mine"),
                       facility("a_ref", "A", 60, stage="refine"),
                       facility("b_mine", "B", 100, stage="mine"),
                       facility("b_ref", "B", 40, stage="refine")],
        "routes": [route("A", "M"), route("B", "M")],
        "demand": [demand("M", 100)],
        "stockpiles": [{"stockpile": "vault", "region": "M", "mineral": "m",
                        "capacity_t": stock_t, "initial_t": stock_t, "terminal_min_t": 0}],
    }
    return write_tables(folder / "stress_case.xlsx", tables, headers={"settings": ("key", "value")})


def _ranking(path: Path) -> pd.DataFrame:
    return pd.read_excel(path, sheet_name="stress", engine="openpyxl")


def test_time_to_survive_by_hand(tmp_path: Path) -> None:
    out = tmp_path / "stress.xlsx"
    done = stress(StressRequest(_case(tmp_path), out))
    assert (done.sources, done.solved, done.failed) == (4, 5, 0)  # and the base point
    assert done.first == "mining A m"
    table = _ranking(out)
    assert table["source"].tolist() == ["mining A m", "refining A m", "mining B m",
                                        "refining B m"]
    assert table["survive_periods"].tolist() == [2, 2, 3, 3]
    assert table["survive_years"].tolist() == [2.0, 2.0, 3.0, 3.0]
    assert not table["survives_horizon"].any()
    assert table["recover_periods"].isna().all()  # the loss lasts to the horizon
    # without A: 240 t missing, 120 from the Vault, 60 t short in p3 and p4
    assert table["extra_shortfall_m"].tolist() == pytest.approx([120, 120, 40, 40])
    without_a = 60 * 1000 * (DELTA[2] + DELTA[3])
    without_b = 40 * 1000 * DELTA[3]
    assert table["extra_cost"].tolist() == pytest.approx(
        [without_a, without_a, without_b, without_b], rel=1e-9)
    assert table["carried_by_stock"].tolist() == ["vault (120 t)"] * 4
    assert table["carried_by_route"].tolist() == ["B>M m refined (160 t)"] * 2 + [
        "A>M m refined (240 t)"] * 2
    comparison = pd.read_excel(out, sheet_name="comparison", engine="openpyxl")
    assert comparison["point"].tolist() == ["base", *table["source"]]
    assert comparison["changes"].tolist()[1] == "loses mining A m"


def test_a_window_and_the_recovery(tmp_path: Path) -> None:
    """Lost in p2 and p3 only, with 90 t in the Vault: without A, 60 t of p2's draw
    and 30 of p3's come from stock, 30 t are short in p3 and none in p4 (recovered at
    once); without B the 80 t drawn fit in the Vault, so the zone survives."""
    out = tmp_path / "window.xlsx"
    done = stress(StressRequest(_case(tmp_path, stock_t=90), out, by="route", start="p2",
                                periods=2))
    table = _ranking(out)
    assert done.first == "route A>M m refined"
    assert table["source"].tolist() == ["route A>M m refined", "route B>M m refined"]
    first, second = table.iloc[0], table.iloc[1]
    assert (first["survive_periods"], first["recover_periods"]) == (1, 0)
    assert first["extra_shortfall_m"] == pytest.approx(30)
    assert first["extra_cost"] == pytest.approx(30 * 1000 * DELTA[2], rel=1e-9)
    assert bool(second["survives_horizon"]) and pd.isna(second["survive_periods"])
    assert second["extra_shortfall_m"] == pytest.approx(0, abs=1e-9)


def test_exports_as_sources(tmp_path: Path) -> None:
    done = stress(StressRequest(_case(tmp_path), tmp_path / "exports.xlsx", by="export"))
    table = _ranking(tmp_path / "exports.xlsx")
    assert done.sources == 2
    assert table["source"].tolist() == ["exports A m refined", "exports B m refined"]
    assert table["survive_periods"].tolist() == [2, 3]


def test_bad_options(tmp_path: Path) -> None:
    path = _case(tmp_path)
    with pytest.raises(StressOptionError) as raised:
        stress(StressRequest(path, tmp_path / "o.xlsx", start="p9"))
    assert str(raised.value) == "--from p9: no such period (the periods are p1, p2, p3, p4)"
    with pytest.raises(StressOptionError) as raised:
        stress(StressRequest(path, tmp_path / "o.xlsx", by="facility", periods=1))
    assert str(raised.value) == ("--by facility loses a facility for the whole horizon; "
                                 "--from and --for apply to region, export and route sources")
    with pytest.raises(StressOptionError) as raised:
        stress(StressRequest(path, tmp_path / "o.xlsx", by="country"))
    assert str(raised.value) == "--by country: unknown; choose region, facility, export, route"
    assert not (tmp_path / "o.xlsx").exists()


def test_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path, out = _case(tmp_path), tmp_path / "by_facility.xlsx"
    assert main(["stress", str(path), "--by", "facility", "-o", str(out), "-q"]) == 0
    assert capsys.readouterr().out == (
        f"{out}: 4 sources (5 points solved, 0 not optimal); "
        "the loss of facility a_mine hurts first.\n")
    assert main(["stress", str(path), "--from", "p0", "-o", str(out)]) == 2
    assert capsys.readouterr().err == (
        "--from p0: no such period (the periods are p1, p2, p3, p4)\n")


def test_expansions_kept_or_adapted(tmp_path: Path) -> None:
    """M may build a recycler (capex 100 a t/yr over 4 years, far below the shortfall
    penalty). The input's own plan needs none, so with its expansions kept the loss of
    A still leaves M short from p3; deciding anew, the stress point builds 30 t/yr,
    which with the Vault's 120 t covers the 240 t A would have sent."""
    path = _case(tmp_path)
    tables = pd.read_excel(path, sheet_name=None, engine="openpyxl")
    tables["facilities"] = pd.concat([tables["facilities"], pd.DataFrame([{
        **facility("m_rec", "M", 0), "expandable_t": 100, "capex_per_t": 100,
        "lifetime_years": 4}])], ignore_index=True)
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for name, frame in tables.items():
            frame.to_excel(writer, sheet_name=name, index=False)
    kept = stress(StressRequest(path, tmp_path / "kept.xlsx"))
    adapted = stress(StressRequest(path, tmp_path / "adapted.xlsx", adapt=True))
    assert kept.first == "mining A m" and adapted.first is None
    table = _ranking(tmp_path / "adapted.xlsx")
    assert table["survives_horizon"].all()
    assert table["extra_shortfall_m"].tolist() == pytest.approx([0, 0, 0, 0], abs=1e-9)
    comparison = pd.read_excel(tmp_path / "adapted.xlsx", sheet_name="comparison",
                               engine="openpyxl").set_index("point")
    assert comparison.loc["mining A m", "expansion_spend"] == pytest.approx(30 * 100)


def test_pool_equals_sequential(tmp_path: Path) -> None:
    path = _case(tmp_path)
    one = stress(StressRequest(path, tmp_path / "one.xlsx"))
    two = stress(StressRequest(path, tmp_path / "two.xlsx", workers=2))
    assert (one.solved, two.solved) == (5, 5)
    pd.testing.assert_frame_equal(_ranking(one.workbook), _ranking(two.workbook))
    pd.testing.assert_frame_equal(pd.read_parquet(one.parquet), pd.read_parquet(two.parquet))


def test_dask_local_cluster_equals_sequential(tmp_path: Path) -> None:
    path = _case(tmp_path)
    one = stress(StressRequest(path, tmp_path / "one.xlsx", by="route"))
    dask = stress(StressRequest(path, tmp_path / "dask.xlsx", by="route", workers=2,
                                scheduler="local"))
    assert dask.solved == 3 and dask.first == one.first == "route A>M m refined"
    pd.testing.assert_frame_equal(_ranking(one.workbook), _ranking(dask.workbook))
