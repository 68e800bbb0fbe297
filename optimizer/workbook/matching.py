"""The most-specific-row rule of MODEL.md §2 "Matching".

Rows carry a key whose wildcard positions may be ``None`` ("all"). For an item (a
key with every position filled) the matching rows are those whose every filled
position equals the item's; the winner is the one with the most filled positions.
Two equally specific winners for the same item are a conflict.

Lookup tries each way of blanking the wildcard positions of the item (at most 2^d
dictionary look-ups for d wildcard columns), so resolution costs time in proportion
to the number of items, not items times rows.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

Key = tuple[str | None, ...]


@dataclass(frozen=True, slots=True)
class Conflict:
    """Rows ``first`` and ``second`` (indices) tie as most specific for ``item``."""

    first: int
    second: int
    item: tuple[str, ...]


def _masks(wildcard_positions: Sequence[int]) -> list[tuple[int, ...]]:
    """Subsets of the wildcard positions to blank, fewest first (most specific first)."""
    masks: list[tuple[int, ...]] = []
    for size in range(len(wildcard_positions) + 1):
        masks.extend(itertools.combinations(wildcard_positions, size))
    return masks


def items_of(keys: Iterable[Key], domains: Sequence[Sequence[str]]) -> Iterator[tuple[str, ...]]:
    """Every item some row matches, each once, in a stable order."""
    seen: set[tuple[str, ...]] = set()
    for key in keys:
        choices = [domains[i] if value is None else (value,) for i, value in enumerate(key)]
        for item in itertools.product(*choices):
            if item not in seen:
                seen.add(item)
                yield item


def resolve(
    keys: Sequence[Key],
    domains: Sequence[Sequence[str]],
    wildcard_positions: Sequence[int],
) -> tuple[dict[tuple[str, ...], int], list[Conflict]]:
    """Map each item that some row matches to its most specific row.

    ``keys[i]`` is row i's key (unique); ``domains[p]`` lists every value position p
    can take. Returns the winners by item and the conflicts, one per pair of rows.
    """
    index = {key: row for row, key in enumerate(keys)}
    masks = _masks(wildcard_positions)
    winners: dict[tuple[str, ...], int] = {}
    conflicts: dict[tuple[int, int], Conflict] = {}
    for item in items_of(keys, domains):
        best_size: int | None = None
        best: list[int] = []
        for mask in masks:
            if best_size is not None and len(mask) > best_size:
                break
            probe = tuple(None if p in mask else v for p, v in enumerate(item))
            row = index.get(probe)
            if row is not None:
                best_size = len(mask)
                best.append(row)
        if not best:
            continue
        winners[item] = min(best)
        for first, second in itertools.combinations(sorted(best), 2):
            conflicts.setdefault((first, second), Conflict(first, second, item))
    return winners, list(conflicts.values())
