"""Stress tests (``optimizer stress``): lose one source at a time; how long does the zone last?

After Simchi-Levi's risk-exposure index. Each source of supply — by default each
region's mining and each region's refining of each mineral where it holds at least
:data:`MIN_SHARE` of the capacity; or each facility, each region's exports of a
mineral and product, each route — is lost in turn, from a chosen period for a chosen
number of periods, in a deterministic case: the input's scenarios give way to one
scenario, ``stress``, whose only disruption is the loss (MODEL.md §3: a ``capacity``,
``export`` or ``route`` row with factor 0; a facility's loss sets its capacity and
expansion to 0 for the whole horizon, as disruptions match facilities by region,
mineral and stage only). The point ``base`` is the same case without the loss.

With the plan's first-stage decisions fixed (the default), every point keeps the
expansions the input's own plan builds: each expandable facility may build up to what
the plan built, at no capex (the money is spent; building is then never worse than
not), and nothing more. With ``adapt`` the expansions are decided anew for each point.

Every point runs on the sweep engine (cache, pool, Dask, warm starts). Per source the
report gives the time to survive (from the loss until the first period in which any
member is short by more than without the loss), the time to recover (from the end of
the loss until no member is short by more than without it), the extra shortfall by
mineral, the extra cost, and the stock and the route that carried the zone most
(the stockpile that released most, the route that shipped most into members, over
the horizon of the point).
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from optimizer.data import Facility, ModelData
from optimizer.pipeline import Outcome, optimize
from optimizer.solve.explain import not_solved_message
from optimizer.solve.highs import SolverOptions
from optimizer.sweep.comparison import comparison, write_parquet, write_workbook
from optimizer.sweep.engine import Cache, Figures, Solving, figures, solve_points
from optimizer.sweep.grid import BASE, Change, Point, Record, point_input
from optimizer.workbook.problems import InputError, NotSolvedError, Problems
from optimizer.workbook.reading import RawWorkbook, read_workbook
from optimizer.workbook.validation import validate

STRESS = "stress"  # the one scenario of every stress point
MIN_SHARE = 0.01  # a region's share of a mineral's mining or refining capacity to count
TOLERANCE_T = 1e-6  # more shortfall than this, in tonnes, is a shortfall
BY = ("region", "facility", "export", "route")
GENERATED_ROW = 0  # a generated change has no row of a grid

# figures only a stress point has: kept as JSON text beside the sweep's figures
PER_PERIOD = "member_shortfall_by_period"
RELEASED = "released_by_stockpile"
SHIPPED = "shipped_into_members_by_route"
_DETAIL = (PER_PERIOD, RELEASED, SHIPPED)


class StressOptionError(ValueError):
    """A stress option that cannot be carried out (a period that does not exist, say)."""


@dataclass(frozen=True, slots=True)
class Source:
    """A source of supply that a stress point loses: its name, and either the
    disruption row of the loss or changes to the input (a facility's loss)."""

    name: str
    mineral: str
    loss: Record | None = None
    changes: tuple[Change, ...] = ()


@dataclass(frozen=True, slots=True)
class StressRequest:
    """What the command line asked for."""

    input_path: Path
    output_path: Path
    by: str = "region"
    start: str | None = None  # the first period lost (None: the first)
    periods: int | None = None  # how many periods (None: to the end of the horizon)
    adapt: bool = False  # decide the expansions anew for each point
    workers: int = 1
    scheduler: str | None = None
    each_results: Path | None = None


@dataclass(frozen=True, slots=True)
class StressResult:
    """What a stress test wrote, and how many points it solved (the rest were cached)."""

    workbook: Path
    parquet: Path
    sources: int
    solved: int
    failed: int
    first: str | None  # the source whose loss hurts first


def window(data: ModelData, start: str | None, periods: int | None) -> tuple[int, int]:
    """The first and last period index lost; raises :class:`StressOptionError` in words."""
    names = [p.period for p in data.periods]
    first = 0 if start is None else _period_index(names, start)
    if periods is not None and periods < 1:
        raise StressOptionError(f"--for {periods}: a loss lasts at least one period")
    last = len(names) - 1 if periods is None else min(len(names) - 1, first + periods - 1)
    return first, last


def _period_index(names: Sequence[str], start: str) -> int:
    if start not in names:
        raise StressOptionError(
            f"--from {start}: no such period (the periods are {', '.join(names)})")
    return names.index(start)


def sources(data: ModelData, by: str, first: int, last: int) -> list[Source]:
    """The sources to lose, in input order: see the module's description."""
    periods = data.periods
    when = {"scenario": STRESS, "start_period": periods[first].period,
            "end_period": periods[last].period, "factor": 0}
    if by == "facility":
        if (first, last) != (0, len(periods) - 1):
            raise StressOptionError(
                "--by facility loses a facility for the whole horizon; "
                "--from and --for apply to region, export and route sources")
        return [Source(f"facility {f.facility}", f.mineral, changes=(
            Change(GENERATED_ROW, f"facilities.capacity_t[facility={f.facility}]", 0),
            Change(GENERATED_ROW, f"facilities.expandable_t[facility={f.facility}]", 0)))
            for f in data.facilities if f.capacity_t > 0]
    if by == "route":
        return [Source(f"route {r.origin}>{r.destination} {r.mineral} {r.stage}", r.mineral,
                       _record(kind="route", region=r.origin, destination=r.destination,
                               mineral=r.mineral, stage=r.stage, **when))
                for r in data.routes]
    if by == "export":
        product = {"mine": "concentrate", "refine": "refined", "recycle": "refined"}
        exporters = dict.fromkeys((r.origin, r.mineral, r.stage) for r in data.routes)
        held = _shares(data, lambda f: (f.mineral, product[f.stage]))
        return [Source(f"exports {region} {mineral} {stage}", mineral, _record(
            kind="export", region=region, mineral=mineral, stage=stage, **when))
            for region, mineral, stage in exporters
            if held.get((region, mineral, stage), 0.0) >= MIN_SHARE]
    if by != "region":
        raise StressOptionError(f"--by {by}: unknown; choose {', '.join(BY)}")
    held = _shares(data, lambda f: (f.mineral, f.stage))
    words = {"mine": "mining", "refine": "refining"}
    return [Source(f"{words[stage]} {region} {mineral}", mineral, _record(
        kind="capacity", region=region, mineral=mineral, stage=stage, **when))
        for (region, mineral, stage), share in held.items()
        if stage in words and share >= MIN_SHARE]


def _shares(data: ModelData, group: Callable[[Facility], tuple[str, str]]) -> dict[
        tuple[str, str, str], float]:
    """Each region's share of its group's capacity_t (``group``: mineral and stage or
    product of a facility), by (region, *group), in input order."""
    total: dict[tuple[str, str], float] = {}
    own: dict[tuple[str, str, str], float] = {}
    for f in data.facilities:
        key = group(f)
        total[key] = total.get(key, 0.0) + f.capacity_t
        own[(f.region, *key)] = own.get((f.region, *key), 0.0) + f.capacity_t
    return {k: (amount / total[k[1:]] if total[k[1:]] > 0 else 0.0) for k, amount in own.items()}


def _record(**cells: object) -> Record:
    return tuple(cells.items())


def fixed_expansions(outcome: Outcome) -> tuple[Change, ...]:
    """The plan's expansions kept: each expandable facility may build up to what the
    plan built, at no capex."""
    built = outcome.values("build")
    return tuple(change for f in outcome.data.facilities if f.expandable_t > 0 for change in (
        Change(GENERATED_ROW, f"facilities.expandable_t[facility={f.facility}]",
               max(0.0, float(built.get(f.facility, 0.0)))),
        Change(GENERATED_ROW, f"facilities.capex_per_t[facility={f.facility}]", 0)))


def stress_points(found: Sequence[Source], kept: tuple[Change, ...]) -> list[Point]:
    """``base`` (no loss) and one point per source, each a deterministic case."""
    scenario: Record = (("scenario", STRESS), ("probability", 1),
                        ("description", "the stress test's one scenario"))

    def point(name: str, source: Source | None) -> Point:
        lost = () if source is None or source.loss is None else (source.loss,)
        return Point(name, (*kept, *(source.changes if source else ())),
                     (("scenarios", (scenario,)), ("disruptions", lost)),
                     note=f"loses {name}" if source else "no loss")

    return [point(BASE, None), *(point(s.name, s) for s in found)]


def stress_figures(outcome: Outcome) -> Figures:
    """A stress point's figures: the sweep's (:func:`figures`), and as JSON text the
    members' shortfall by period, the release by stockpile, and the shipments into
    members by route, each keyed ``mineral|stockpile`` or ``mineral|origin>destination
    mineral stage``."""
    found = figures(outcome)
    if not outcome.optimal:
        return found
    member = outcome.derived.zone_member
    period_of = [n.period for n in outcome.derived.tree.nodes]
    short = [0.0] * len(outcome.data.periods)
    for (region, _, _, node), tonnes in outcome.values("shortfall").items():
        if member[region]:
            short[period_of[node]] += tonnes
    released: dict[str, float] = {}
    mineral_of = {s.stockpile: s.mineral for s in outcome.data.stockpiles}
    for (stockpile, _), tonnes in outcome.values("release").items():
        key = f"{mineral_of[stockpile]}|{stockpile}"
        released[key] = released.get(key, 0.0) + tonnes
    shipped: dict[str, float] = {}
    for (origin, destination, mineral, stage, _), tonnes in outcome.values("ship").items():
        if member[destination] and origin != destination:
            key = f"{mineral}|{origin}>{destination} {mineral} {stage}"
            shipped[key] = shipped.get(key, 0.0) + tonnes
    found[PER_PERIOD] = json.dumps(short)
    found[RELEASED] = json.dumps(released)
    found[SHIPPED] = json.dumps(shipped)
    return found


def ranking(found: Mapping[str, Figures], minerals: Mapping[str, str],
            years: Sequence[float], first: int, last: int) -> pd.DataFrame:
    """One row per source, ranked: the soonest first shortfall first (a source whose
    loss the zone survives to the horizon last), then the most extra shortfall, then
    the most extra cost. ``minerals``: the mineral of each source, whose stock and
    routes are named as carrying the zone."""
    base = found[BASE]
    base_short = json.loads(str(base[PER_PERIOD])) if base.get("status") == "optimal" else None
    rows = []
    for name, figures_ in found.items():
        if name == BASE:
            continue
        row: dict[str, object] = {"source": name, "status": figures_["status"],
                                  "reason": figures_.get("reason", "")}
        if figures_["status"] == "optimal" and base_short is not None:
            row.update(_effects(figures_, base, base_short, years, first, last))
            row["carried_by_stock"] = _most(json.loads(str(figures_[RELEASED])),
                                            minerals[name])
            row["carried_by_route"] = _most(json.loads(str(figures_[SHIPPED])),
                                            minerals[name])
        rows.append(row)
    table = pd.DataFrame(rows)
    if table.empty:
        return table
    order = table.assign(
        _survive=table.get("survive_years", pd.Series(math.inf, index=table.index))
        .fillna(math.inf),
        _short=-table.get("extra_shortfall_t", pd.Series(0.0, index=table.index)).fillna(0),
        _cost=-table.get("extra_cost", pd.Series(0.0, index=table.index)).fillna(0))
    table = table.loc[order.sort_values(["_survive", "_short", "_cost"], kind="stable")
                      .index].reset_index(drop=True)
    table.insert(0, "rank", range(1, len(table) + 1))
    table.attrs["horizon_years"] = float(sum(years[first:]))  # what surviving it means
    return table


def _effects(found: Figures, base: Figures, base_short: Sequence[float],
             years: Sequence[float], first: int, last: int) -> dict[str, object]:
    short = json.loads(str(found[PER_PERIOD]))
    extra = [max(0.0, a - b) for a, b in zip(short, base_short, strict=True)]
    hit = next((t for t in range(first, len(extra)) if extra[t] > TOLERANCE_T), None)
    survive = None if hit is None else hit - first
    recover = None
    if last < len(extra) - 1:
        after = [t for t in range(last + 1, len(extra)) if extra[t] > TOLERANCE_T]
        recover = 0 if not after else max(after) - last
    row: dict[str, object] = {
        "survive_periods": survive,
        "survive_years": None if hit is None else float(sum(years[first:hit])),
        "survives_horizon": hit is None,
        "recover_periods": recover,
        "recover_years": None if recover is None else float(
            sum(years[last + 1:last + 1 + recover])),
        "extra_shortfall_t": float(sum(extra)),
        "extra_cost": float(found["objective"]) - float(base["objective"]),  # type: ignore[arg-type]
    }
    for key, value in found.items():
        if key.startswith("shortfall_"):
            row[f"extra_{key}"] = float(value) - float(base[key])  # type: ignore[arg-type]
    return row


def _most(amounts: Mapping[str, float], mineral: str) -> str:
    """Of the amounts keyed ``mineral|name``, the name of ``mineral`` with the largest,
    and the amount (blank when none of it moved)."""
    mine = {k.partition("|")[2]: v for k, v in amounts.items() if k.partition("|")[0] == mineral}
    if not mine:
        return ""
    name = max(mine, key=lambda k: mine[k])
    return f"{name} ({mine[name]:,.0f} t)" if mine[name] > TOLERANCE_T else ""


def stress(request: StressRequest, on_done: Callable[[str, Figures], None] | None = None,
           on_dashboard: Callable[[str], None] | None = None,
           on_start: Callable[[int], None] | None = None) -> StressResult:
    """Generate, validate and solve the stress points, and write the ranking with the
    comparison workbook and its Parquet. Raises :class:`InputError` for bad input,
    :class:`StressOptionError` for bad options, :class:`NotSolvedError` when the input's
    own plan (whose expansions are kept) has no optimum."""
    problems = Problems()
    raw = read_workbook(request.input_path, problems)
    data = validate(raw, problems) if not problems.errors else None
    if data is None:
        raise InputError(problems.sorted_errors(), problems.sorted_warnings())
    first, last = window(data, request.start, request.periods)
    lost = sources(data, request.by, first, last)
    kept: tuple[Change, ...] = ()
    if not request.adapt:
        logging.disable(logging.INFO)  # the plan's stage timings are not the test's
        try:
            plan = optimize(data, SolverOptions(threads=None))
        finally:
            logging.disable(logging.NOTSET)
        if not plan.optimal:
            raise NotSolvedError("The stress test keeps the plan's expansions, but the plan "
                                 "was not solved: " + not_solved_message(
                                     plan.derived, plan.lp, plan.solution))
        kept = fixed_expansions(plan)
    points = stress_points(lost, kept)
    solving = Solving(measure=stress_figures, each_results=request.each_results,
                      input_path=request.input_path)
    cache = Cache(request.output_path.with_name(f"{request.output_path.stem}_cache"))
    solved: list[str] = []

    def done(name: str, found: Figures) -> None:
        solved.append(name)
        if on_done is not None:
            on_done(name, found)

    found = solve_points(raw, points, workers=request.workers, cache=cache,
                         on_start=on_start, on_done=done, scheduler=request.scheduler,
                         on_dashboard=on_dashboard, solving=solving)
    ranked = ranking(found, {s.name: s.mineral for s in lost}, [p.years for p in data.periods],
                     first, last)
    table = comparison(points[1:], {n: {k: v for k, v in f.items() if k not in _DETAIL}
                                    for n, f in found.items()})
    workbook = write_workbook(table, request.output_path, ranking=ranked)
    parquet = write_parquet(table, request.output_path.with_suffix(".parquet"))
    failed = int((table["status"] != "optimal").sum())
    return StressResult(workbook, parquet, len(lost), len(solved), failed, _first(ranked))


def _first(ranked: pd.DataFrame) -> str | None:
    """The source ranked first, when its loss brings a shortfall within the horizon."""
    if ranked.empty or "survive_years" not in ranked or pd.isna(ranked["survive_years"].iloc[0]):
        return None
    return str(ranked["source"].iloc[0])


def validated_point(raw: RawWorkbook, point: Point) -> ModelData:
    """The model data of a generated point (raises :class:`InputError` if it is not
    valid, which it is whenever the input is)."""
    problems = Problems()
    data = validate(point_input(raw, point, problems), problems)
    if data is None:  # a generated point is valid when its input is; say so if not
        raise InputError(problems.sorted_errors(), [])
    return data
