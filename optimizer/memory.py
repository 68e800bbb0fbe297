"""The memory guard: will the run fit in the memory this machine has left?

Before the model is built, its size is estimated from the derived data: per tree
node, the facilities, routes (by mineral and stage) and stockpiles, and the balances
of each region and mineral; their sum over the nodes is the case's size in
"node entities". A run's peak memory grows in proportion to it (plus what the
program itself takes before reading anything), at :data:`BYTES_PER_NODE_ENTITY`,
measured with ``benchmarks/memory.py`` on generated cases (docs/reliability.md gives
the figures). A case whose estimate passes the memory available (``MemAvailable`` of
``/proc/meminfo``, or less under a cgroup's limit) is refused with one sentence
rather than left to be killed by the system.

Writing the results of a solution found otherwise, without solving the node
formulation (rank 0 of progressive hedging, before PH starts and once it has ended;
``optimizer report`` on a kept solution), is a smaller work with an estimate of its own,
:data:`RESULTS_BYTES_PER_NODE_ENTITY` over :data:`RESULTS_BASE_BYTES`
(:func:`estimate_results`, :func:`check_results`): no HiGHS, but Pyomo and mpi-sppy
loaded on rank 0, measured with ``benchmarks/rank0.py`` and ``benchmarks/memory.py
--results-only`` (docs/scale-out.md, "Memory per rank").

Test hook: ``OPTIMIZER_MEMORY_BYTES=<bytes>`` stands for the memory available.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the command line imports this module: kept light
    from optimizer.data import ModelData
    from optimizer.model.derive import Derived

MEMORY_VARIABLE = "OPTIMIZER_MEMORY_BYTES"
# Calibrated with benchmarks/memory.py (peak resident memory of `optimizer run`,
# docs/reliability.md): the rate about 20 % above the largest bytes per node entity
# that the generated presets take above the program's own footprint (2,591 at 50k
# variables above 180 MiB; peaks vary by some 5 % from run to run, and larger cases
# take fewer, so the estimate errs high there). Trees of many small nodes
# (`--scenarios`) take more at 50 to 200 scenarios (310 MiB at 100, 17 MiB above that
# rate on a 180 MiB base), so the base is 220 MiB: every peak measured is at least 7 %
# below the estimate (peaks vary by some 5 %).
BYTES_PER_NODE_ENTITY = 3_000
BASE_BYTES = 220 * 2**20
# Calibrated with benchmarks/rank0.py (rank 0's work after PH: build and compile, the
# results written from the gathered policy, no HiGHS; peak resident memory of a fresh
# process with Pyomo and mpi-sppy loaded) on generated cases of 20 to 800 scenarios,
# and benchmarks/memory.py --results-only (`optimizer report`): the base is the peak of
# the smallest case, 290 MiB, rounded up; the rate about 15 % above the largest bytes
# per node entity beyond it (1,820, at 200 scenarios; peaks vary by some 5 % from run
# to run). Larger cases take fewer: the results of the 4.9M-variable case took 3.46 GB,
# 700 bytes per node entity, where the estimate errs high (9.9 GB).
RESULTS_BYTES_PER_NODE_ENTITY = 2_100
RESULTS_BASE_BYTES = 300 * 2**20
_CGROUP_FILES = (  # (limit, usage): cgroup v2, then v1
    (Path("/sys/fs/cgroup/memory.max"), Path("/sys/fs/cgroup/memory.current")),
    (Path("/sys/fs/cgroup/memory/memory.limit_in_bytes"),
     Path("/sys/fs/cgroup/memory/memory.usage_in_bytes")),
)
_NO_LIMIT = 2**60  # cgroup v1 writes "no limit" as a number near 2**63


class NotEnoughMemoryError(Exception):
    """The run would need more memory than is available (exit status 2)."""


@dataclass(frozen=True, slots=True)
class Estimate:
    """A case's size and the peak memory a run of it is expected to take."""

    nodes: int
    node_entities: int
    bytes: int


def node_entities(derived: Derived) -> int:
    """Σ over tree nodes of (facilities + routes + stockpiles + 2 × regions × minerals):
    what a node of the LP holds columns and rows for (MODEL.md §5, §6)."""
    return len(derived.tree.nodes) * entities_per_node(derived.data)


def entities_per_node(data: ModelData) -> int:
    """One tree node's entities: facilities + routes + stockpiles + 2 × regions ×
    minerals."""
    return (len(data.facilities) + len(data.routes) + len(data.stockpiles)
            + 2 * len(data.regions) * len(data.minerals))


def estimate(derived: Derived) -> Estimate:
    """The expected peak memory of a run of ``derived``."""
    entities = node_entities(derived)
    return Estimate(len(derived.tree.nodes), entities,
                    BASE_BYTES + BYTES_PER_NODE_ENTITY * entities)


def estimate_results(derived: Derived) -> Estimate:
    """The expected peak memory of writing the results of ``derived`` from a solution
    found otherwise (build and compile, no solve: rank 0 of progressive hedging,
    ``optimizer report``)."""
    entities = node_entities(derived)
    return Estimate(len(derived.tree.nodes), entities,
                    RESULTS_BASE_BYTES + RESULTS_BYTES_PER_NODE_ENTITY * entities)


def available_bytes() -> int | None:
    """The memory this process may still take: ``OPTIMIZER_MEMORY_BYTES`` when set,
    else the least of ``MemAvailable`` and what the cgroup's limit leaves; None when
    neither can be read."""
    override = os.environ.get(MEMORY_VARIABLE)
    if override is not None:
        return int(override)
    found = [value for value in (_mem_available(), _cgroup_left()) if value is not None]
    return min(found) if found else None


def _mem_available() -> int | None:
    try:
        with open("/proc/meminfo", encoding="ascii") as text:
            for line in text:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def _cgroup_left() -> int | None:
    for limit_file, usage_file in _CGROUP_FILES:
        try:
            limit_text = limit_file.read_text(encoding="ascii").strip()
            usage = int(usage_file.read_text(encoding="ascii").strip())
        except (OSError, ValueError):
            continue
        if limit_text == "max" or int(limit_text) >= _NO_LIMIT:
            return None
        return max(int(limit_text) - usage, 0)
    return None


def check(derived: Derived) -> Estimate:
    """Raise :class:`NotEnoughMemoryError` when the estimate of a run passes the memory
    available; the estimate otherwise."""
    return _checked(estimate(derived), "This case needs")


def check_results(derived: Derived) -> Estimate:
    """Raise :class:`NotEnoughMemoryError` when the estimate of writing the results
    without the solve (:func:`estimate_results`) passes the memory available; the
    estimate otherwise."""
    return _checked(estimate_results(derived),
                    "Writing this case's results from its solution, without solving it, "
                    "needs")


def _checked(expected: Estimate, needs: str) -> Estimate:
    """``expected``, or :class:`NotEnoughMemoryError` saying what ``needs`` (the start
    of the sentence) more than is available."""
    available = available_bytes()
    if available is not None and expected.bytes > available:
        raise NotEnoughMemoryError(
            f"{needs} about {_size(expected.bytes)} of memory ({expected.nodes:,} "
            f"tree nodes, {expected.node_entities:,} node entities), more than the "
            f"{_size(available)} available: use fewer scenarios or periods, or a machine "
            "with more memory.")
    return expected


def _size(count: int) -> str:
    """Bytes in MB below 10 GB, in GB above."""
    if count >= 10 * 2**30:
        return f"{count / 2**30:,.0f} GB"
    return f"{count / 2**20:,.0f} MB"
