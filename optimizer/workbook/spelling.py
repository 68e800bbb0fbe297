"""Near misses: the known name a mistyped one was meant to be.

A name nearly matches a known one when they differ only in case or in the separators
between words (``Unit Cost per t``), by one or two edits (a letter added, dropped,
changed, or two neighbours swapped; one edit for names of four letters or fewer), as
singular and plural (``facility``), or when one is the other cut at a word boundary
(``capacity`` for ``capacity_t``, ``unit_cost`` for ``unit_cost_per_t``). Validation
uses it to tell a slip, which is an error with "did you mean", from a name that matches
nothing, which is at most a warning.

Names the planner makes up (regions, minerals, facilities, scenarios, periods) are
often codes built of short parts, where one letter or digit makes another name
altogether (``CN`` and ``CA``, ``2026`` and ``2029``, ``US-Li-mine`` and
``AU-Li-mine``). For them (``codes=True``) a near miss differs only in case or
separators, or by one edit within one word of four letters or more (``Chna`` for
``China``, ``AU-Li-mien`` for ``AU-Li-mine``), digits aside.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable

MAX_EDITS = 2
SHORT = 4  # names of at most this many letters are allowed one edit only
_SEPARATORS = re.compile(r"[\s_\-.]+")
_DIGITS = re.compile(r"\d")


def _plain(name: str) -> str:
    """Lower case, words joined by one underscore."""
    return _SEPARATORS.sub("_", name.strip().casefold()).strip("_")


def edits(a: str, b: str, limit: int = MAX_EDITS) -> int:
    """Edits (insert, delete, substitute, swap of neighbours) turning ``a`` into ``b``;
    any number above ``limit`` is returned as ``limit + 1``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    before: list[int] | None = None
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, start=1):
        current = [i] + [0] * len(b)
        for j, y in enumerate(b, start=1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1,
                             previous[j - 1] + (x != y))
            if before is not None and i > 1 and j > 1 and x == b[j - 2] and a[i - 2] == y:
                current[j] = min(current[j], before[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        before, previous = previous, current
    return min(previous[-1], limit + 1)


def _singular(name: str) -> str:
    """``name`` with a plural ending of its last word taken off (``facilities`` ->
    ``facility``, ``shortfall_tiers`` -> ``shortfall_tier``)."""
    if name.endswith("ies"):
        return name[:-3] + "y"
    return name[:-1] if name.endswith("s") else name


def _cut_at_word(short: str, long: str) -> bool:
    """Whether ``short`` is ``long`` cut at a word boundary, at either end."""
    if len(short) < SHORT or len(short) >= len(long):
        return False
    return (long.startswith(short) and long[len(short)] == "_") or (
        long.endswith(short) and long[-len(short) - 1] == "_"
    )


def _closeness(name: str, known: str, codes: bool = False) -> int | None:
    """How close ``name`` is to ``known`` (lower is closer), ``None`` when not a near
    miss: 0 case or separators only, 1–2 edits (codes: 1, the one slip allowed), 2
    singular for plural, 3 cut at a word boundary."""
    a, b = _plain(name), _plain(known)
    if not a:
        return None
    if a == b:
        return 0
    if codes:
        return 1 if _one_word_slip(a, b) else None
    limit = 1 if min(len(a), len(b)) <= SHORT else MAX_EDITS
    distance = edits(a, b, limit)
    if distance <= limit:
        return distance
    if _singular(a) == _singular(b):
        return MAX_EDITS
    if _cut_at_word(a, b) or _cut_at_word(b, a):
        return MAX_EDITS + 1
    return None


def _one_word_slip(a: str, b: str) -> bool:
    """Whether two plain codes differ by one edit, not of a digit, within one word of at
    least :data:`SHORT` letters, every other word alike."""
    words_a, words_b = a.split("_"), b.split("_")
    if len(words_a) != len(words_b):
        return False
    differ = [(x, y) for x, y in zip(words_a, words_b, strict=True) if x != y]
    if len(differ) != 1:
        return False
    return _word_slip(*differ[0])


def _word_slip(x: str, y: str) -> bool:
    """Whether two words of at least :data:`SHORT` letters are one edit apart, not of a
    digit."""
    return (min(len(x), len(y)) >= SHORT and one_edit(x, y)
            and _DIGITS.sub("", x) != _DIGITS.sub("", y))


def one_edit(x: str, y: str) -> bool:
    """``edits(x, y) == 1``, in time linear in the words' length."""
    if len(x) > len(y):
        x, y = y, x
    if len(y) - len(x) > 1 or x == y:
        return False
    start = 0
    while start < len(x) and x[start] == y[start]:
        start += 1
    if len(x) < len(y):  # a letter added
        return x[start:] == y[start + 1:]
    if x[start + 1:] == y[start + 1:]:  # a letter changed
        return True
    return (start + 1 < len(x) and x[start] == y[start + 1] and x[start + 1] == y[start]
            and x[start + 2:] == y[start + 2:])  # neighbours swapped


def suggest(name: str, known: Iterable[str], codes: bool = False) -> str | None:
    """The known name ``name`` nearly matches, the closest (the first listed of equally
    close ones); ``None`` when it nearly matches none, or is itself known. ``codes``:
    the names are the planner's identifiers (see above)."""
    best: tuple[int, str] | None = None
    for candidate in known:
        if candidate == name:
            return None
        closeness = _closeness(name, candidate, codes)
        if closeness is not None and (best is None or closeness < best[0]):
            best = (closeness, candidate)
    return None if best is None else best[1]


def did_you_mean(name: str, known: Iterable[str], codes: bool = False) -> str:
    """`` — did you mean X?`` for the near match of ``name``, or nothing."""
    match = suggest(name, known, codes)
    return "" if match is None else f" — did you mean {match}?"


class Codes:
    """The planner's names of one kind (``codes=True`` above), indexed so that finding
    the near match of a name costs time in proportion to the names it could be, not to
    all of them: a sheet of thousands of facilities, every reference to it mistyped,
    must not keep validation waiting."""

    def __init__(self, names: Iterable[str]) -> None:
        self._plain: dict[str, str] = {}
        # (words, position of the slip, the other words, length of the slipped word)
        self._slips: dict[tuple[int, int, tuple[str, ...], int], list[tuple[str, str]]] = (
            defaultdict(list))
        self._seen: dict[str, str | None] = {}
        for name in sorted(names):
            plain = _plain(name)
            self._plain.setdefault(plain, name)
            words = plain.split("_")
            for position, word in enumerate(words):
                if len(word) >= SHORT:
                    others = tuple(words[:position] + words[position + 1:])
                    self._slips[(len(words), position, others, len(word))].append((word, name))

    def suggest(self, name: str) -> str | None:
        """As :func:`suggest` with ``codes=True`` over the indexed names."""
        if name not in self._seen:
            self._seen[name] = self._find(name)
        return self._seen[name]

    def did_you_mean(self, name: str) -> str:
        """`` — did you mean X?`` for the near match of ``name``, or nothing."""
        match = self.suggest(name)
        return "" if match is None else f" — did you mean {match}?"

    def _find(self, name: str) -> str | None:
        plain = _plain(name)
        if not plain:
            return None
        exact = self._plain.get(plain)
        if exact is not None:
            return None if exact == name else exact
        words = plain.split("_")
        found: list[str] = []
        for position, word in enumerate(words):
            others = tuple(words[:position] + words[position + 1:])
            for length in (len(word) - 1, len(word), len(word) + 1):
                for candidate, original in self._slips.get(
                        (len(words), position, others, length), ()):
                    if _word_slip(word, candidate):
                        found.append(original)
        return min(found) if found else None
