"""The linear program as declarations: blocks of variables and of constraints, in bulk.

Each ``model/`` module declares its variables (keys, bounds) and constraints (keys,
sense, right-hand side, and the matrix entries as row, column and coefficient arrays)
here, whole blocks at a time. Columns and rows are numbered in the order of
declaration, so a block's position is fixed when it is declared and components can
refer to each other's columns by number. :func:`optimizer.solve.highs.compile_program`
assembles the matrices from these blocks; :func:`optimizer.model.concrete.concrete_model`
builds the same program as a Pyomo model.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from optimizer.model.terms import CostIndex

KeyColumns = tuple[Any, ...]  # a block's keys, one array (or pd.Categorical) per part

LESS, GREATER, EQUAL = 1, -1, 0  # a row's sense, as Layout.row_sense has it


@dataclass(frozen=True, slots=True)
class Variables:
    """A block of columns: one per key, with its bounds (±inf where none)."""

    name: str
    start: int
    keys: tuple[Any, ...]
    lower: np.ndarray
    upper: np.ndarray
    doc: str
    key_columns: KeyColumns | None = None  # the keys as arrays, when the module has them

    @property
    def columns(self) -> np.ndarray:
        return np.arange(self.start, self.start + len(self.keys), dtype=np.int64)


@dataclass(frozen=True, slots=True)
class Constraints:
    """A block of rows of one sense: row ``row[i]`` (counted within the block) has
    ``coefficient[i]`` on column ``column[i]``; ``rhs`` holds the right-hand sides."""

    name: str
    start: int
    keys: tuple[Any, ...]
    sense: int
    rhs: np.ndarray
    row: np.ndarray
    column: np.ndarray
    coefficient: np.ndarray
    doc: str
    key_columns: KeyColumns | None = None  # the keys as arrays, when the module has them


@dataclass(slots=True)
class Program:
    """What the components declared, in order, and the objective min c·x + offset."""

    variables: list[Variables] = field(default_factory=list)
    constraints: list[Constraints] = field(default_factory=list)
    cost: np.ndarray = field(default_factory=lambda: np.zeros(0))
    offset: float = 0.0
    costs: CostIndex = field(default_factory=CostIndex.empty)

    @property
    def columns(self) -> int:
        return sum(len(b.keys) for b in self.variables)

    @property
    def rows(self) -> int:
        return sum(len(b.keys) for b in self.constraints)

    def add_variables(self, name: str, keys: Sequence[Any], lower: np.ndarray | float,
                      upper: np.ndarray | float, doc: str,
                      key_columns: KeyColumns | None = None) -> np.ndarray:
        """Declare one column per key; returns their column numbers. ``key_columns``,
        when given, are the same keys as one array per part (see :func:`named`)."""
        shape = (len(keys),)
        block = Variables(
            name, self.columns, tuple(keys),
            np.broadcast_to(np.asarray(lower, dtype=float), shape),
            np.broadcast_to(np.asarray(upper, dtype=float), shape), doc, key_columns,
        )
        self.variables.append(block)
        return block.columns

    def add_constraints(self, name: str, keys: Sequence[Any], sense: int,
                        rhs: np.ndarray | float, row: np.ndarray, column: np.ndarray,
                        coefficient: np.ndarray | float, doc: str | None,
                        key_columns: KeyColumns | None = None) -> None:
        """Declare one row per key; ``row`` counts within this block."""
        row = np.asarray(row, dtype=np.int64)
        self.constraints.append(Constraints(
            name, self.rows, tuple(keys), sense,
            np.broadcast_to(np.asarray(rhs, dtype=float), (len(keys),)),
            row, np.asarray(column, dtype=np.int64),
            np.broadcast_to(np.asarray(coefficient, dtype=float), row.shape),
            doc or "", key_columns,
        ))

    def block(self, name: str) -> Variables:
        """The variable block ``name``, declared earlier: how a component shadows another
        one's columns (certified supply, §12, reads ``ship`` and ``shortfall``)."""
        for block in self.variables:
            if block.name == name:
                return block
        raise KeyError(f"no variable block {name!r} was declared")

    def add_entries(self, name: str, row: np.ndarray, column: np.ndarray,
                    coefficient: np.ndarray | float) -> None:
        """Add matrix entries to the rows of the block ``name``, declared earlier (``row``
        counts within the block): how a hook closes rows that other components add
        terms to after the block was declared (the stock flows of §6.6). The block keeps
        its place, so no row moves."""
        at = next((i for i, b in enumerate(self.constraints) if b.name == name), None)
        if at is None:
            raise KeyError(f"no constraint block {name!r} was declared")
        block = self.constraints[at]
        row = np.asarray(row, dtype=np.int64)
        if len(row) and not (row.min() >= 0 and row.max() < len(block.keys)):
            raise IndexError(f"a row outside the {len(block.keys)} rows of {name}")
        self.constraints[at] = replace(
            block,
            row=np.concatenate([block.row, row]),
            column=np.concatenate([block.column, np.asarray(column, dtype=np.int64)]),
            coefficient=np.concatenate([
                block.coefficient,
                np.broadcast_to(np.asarray(coefficient, dtype=float), row.shape)]),
        )


@contextmanager
def paused_gc() -> Iterator[None]:
    """The cyclic garbage collector off while a build allocates its many small objects
    (keys) that are never cyclic garbage; restored afterwards."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def node_keys(names: Sequence[Any], nodes: Sequence[int]) -> list[tuple[Any, int]]:
    """``(name, node)`` for every name and node, name by name."""
    return [(name, node) for name in names for node in nodes]


def named(codes: np.ndarray, names: Sequence[str]) -> pd.Categorical:
    """Names given by their positions in ``names``: a key column that readers use
    without hashing a string (the results' tables read the positions)."""
    return pd.Categorical.from_codes(np.asarray(codes, dtype=np.int64),
                                     categories=pd.Index(list(names), dtype=object))


def node_key_columns(names: Sequence[str], nodes: int) -> KeyColumns:
    """The columns of :func:`node_keys`: each name ``nodes`` times, and the nodes."""
    return (named(np.repeat(np.arange(len(names)), nodes), names),
            np.tile(np.arange(nodes, dtype=np.int64), len(names)))
