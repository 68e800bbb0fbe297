"""Keys of the solution's blocks as positions in the input's own lists.

A block's keys come as columns (:func:`optimizer.solve.highs.key_columns`): names as
categoricals over the input's lists when the model declared them so (then a name's
position is its code, and nothing is hashed), else as plain arrays, looked up once.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from optimizer.data import Route
from optimizer.model.derive import PRODUCTS


def positions(values: Any, names: Sequence[str]) -> np.ndarray:
    """Where each of ``values`` sits in ``names`` (every value must be there)."""
    if isinstance(values, pd.Categorical) and len(values.categories) == len(names) \
            and list(values.categories) == list(names):
        codes: np.ndarray = np.asarray(values.codes, dtype=np.int64)
        return codes
    found = pd.Index(list(names), dtype=object).get_indexer(
        pd.Index(np.asarray(values, dtype=object)))
    if len(found) and found.min() < 0:
        raise ValueError("a key of the solution is not in the input")
    return np.asarray(found, dtype=np.int64)


def route_index(columns: Sequence[Any], routes: Sequence[Route], regions: Sequence[str],
                minerals: Sequence[str]) -> np.ndarray:
    """The route (position in ``routes``) of each ``ship`` key, from its origin,
    destination, mineral and stage columns, by one integer code per route."""
    if not len(routes) or not len(columns[0]):
        return np.zeros(0, dtype=np.int64)

    def code(origin: np.ndarray, destination: np.ndarray, mineral: np.ndarray,
             stage: np.ndarray) -> np.ndarray:
        combined: np.ndarray = ((origin * len(regions) + destination) * len(minerals)
                                + mineral) * len(PRODUCTS) + stage
        return combined

    known = code(positions([r.origin for r in routes], regions),
                 positions([r.destination for r in routes], regions),
                 positions([r.mineral for r in routes], minerals),
                 positions([r.stage for r in routes], PRODUCTS))
    wanted = code(positions(columns[0], regions), positions(columns[1], regions),
                  positions(columns[2], minerals), positions(columns[3], PRODUCTS))
    order = np.argsort(known, kind="stable")
    at = np.searchsorted(known[order], wanted)
    route = order[np.minimum(at, len(order) - 1)]
    if np.any(known[route] != wanted):
        raise ValueError("a shipment of the solution is on no route of the input")
    found: np.ndarray = route
    return found
