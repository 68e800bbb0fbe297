"""Index arrays prepared once from the derived data, for every component to share.

Nodes are numbered 0, 1, … in tree order (a node's id is its position), so a
per-node quantity is an array over nodes, and a per-(thing, node) quantity a matrix
with one row per thing in data order. Balances are coded by one integer per region,
mineral and node (:meth:`Indices.balance_code`).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from optimizer.model.derive import Derived


@dataclass(frozen=True, slots=True)
class Indices:
    """The tree as arrays over nodes, and codes for regions and minerals."""

    derived: Derived
    node_ids: list[int]  # 0, 1, …: a node's id is its position
    node: np.ndarray  # int64, the same as an array
    period: np.ndarray  # int64, period index by node
    years: np.ndarray  # years of the node's period
    discount: np.ndarray  # δ_t of the node's period
    probability: np.ndarray
    parent: np.ndarray  # int64, the parent node, −1 for a first-period node
    regions: tuple[str, ...]
    minerals: tuple[str, ...]
    region: Mapping[str, int]
    mineral: Mapping[str, int]

    @classmethod
    def of(cls, derived: Derived) -> Indices:
        nodes = derived.tree.nodes
        period = np.fromiter((n.period for n in nodes), dtype=np.int64, count=len(nodes))
        regions = tuple(r.region for r in derived.data.regions)
        minerals = tuple(m.mineral for m in derived.data.minerals)
        return cls(
            derived=derived,
            node_ids=list(range(len(nodes))),
            node=np.arange(len(nodes), dtype=np.int64),
            period=period,
            years=np.asarray(derived.years, dtype=float)[period],
            discount=np.asarray(derived.discount, dtype=float)[period],
            probability=np.fromiter((n.probability for n in nodes), dtype=float,
                                    count=len(nodes)),
            parent=np.fromiter((-1 if n.parent is None else n.parent for n in nodes),
                               dtype=np.int64, count=len(nodes)),
            regions=regions,
            minerals=minerals,
            region={r: i for i, r in enumerate(regions)},
            mineral={m: i for i, m in enumerate(minerals)},
        )

    @property
    def nodes(self) -> int:
        return len(self.node_ids)

    def balance_code(self, region: np.ndarray, mineral: np.ndarray,
                     node: np.ndarray) -> np.ndarray:
        """One integer per (region, mineral, node), from their codes."""
        code = (np.asarray(region) * len(self.minerals) + mineral) * self.nodes + node
        return np.asarray(code, dtype=np.int64)

    def balance_key(self, code: np.ndarray) -> list[tuple[str, str, int]]:
        """The ``(region, mineral, node)`` keys of balance codes."""
        region, rest = np.divmod(np.asarray(code), len(self.minerals) * self.nodes)
        mineral, node = np.divmod(rest, self.nodes)
        names, kinds = self.regions, self.minerals
        return [(names[r], kinds[m], n) for r, m, n in
                zip(region.tolist(), mineral.tolist(), node.tolist(), strict=True)]

    def balance_columns(self, code: np.ndarray) -> tuple[Any, ...]:
        """The same keys as :meth:`balance_key`, as columns (region, mineral, node)."""
        from optimizer.model.program import named

        region, rest = np.divmod(np.asarray(code, dtype=np.int64), len(self.minerals) * self.nodes)
        mineral, node = np.divmod(rest, self.nodes)
        return (named(region, self.regions), named(mineral, self.minerals), node)

    def codes(self, names: Sequence[str], of: Mapping[str, int]) -> np.ndarray:
        return np.fromiter((of[n] for n in names), dtype=np.int64, count=len(names))

    def by_node(self, things: Sequence[Hashable], values: Mapping[tuple[Any, int], float],
                default: float) -> np.ndarray:
        """A (things, nodes) matrix of ``values[thing, node]``, ``default`` where absent."""
        matrix = np.full((len(things), self.nodes), default, dtype=float)
        if values:
            position = {t: i for i, t in enumerate(things)}
            for (thing, node), value in values.items():
                matrix[position[thing], node] = value
        return matrix
