"""HiGHS options from the command line (``optimizer run --solver-option KEY=VALUE``).

Each option is checked against HiGHS's own before anything is read or solved: HiGHS
says whether it knows the name (``getOptionType``) and whether it takes the value
(``setOptionValue`` on a silent instance of its own, which parses the text by the
option's type and checks its range or list of values). A refusal is one sentence:
an unknown name with the closest names HiGHS knows, a bad value with what the option
takes and HiGHS's own reason when it gives one. Options the optimizer sets itself
are refused with the reason, and those with a flag of their own point to the flag.

The checked options travel as text, ``(name, value)`` pairs in the order given, in
:class:`optimizer.solve.highs.SolverOptions` ``extra``; :mod:`optimizer.solve.highs` sets them
after its own, so a later one of the same name wins.
"""

from __future__ import annotations

import difflib
import os
import re
import tempfile
from collections.abc import Iterable
from pathlib import Path

import highspy

from optimizer.solve.highs import new_highs

# Options the optimizer sets itself, and why they cannot be given.
PINNED: dict[str, str] = {
    "output_flag": "HiGHS's log always goes to the run's log file",
    "log_to_console": "HiGHS's log goes to the run's log file, not to the screen",
    "log_file": "HiGHS's log is appended to the run's own log, beside the results",
    "iis_strategy": "it is set to find the irreducible infeasible subset an "
                    "infeasible run names",
}
# Options with a flag of their own (which also overrides the workbook's setting).
OWN_FLAGS: dict[str, str] = {"time_limit": "--time-limit S", "threads": "--threads N"}

_KINDS = {
    highspy.HighsOptionType.kBool: "true or false",
    highspy.HighsOptionType.kInt: "a whole number",
    highspy.HighsOptionType.kDouble: "a number",
    highspy.HighsOptionType.kString: "text",
}


class SolverOptionError(ValueError):
    """A ``--solver-option`` HiGHS or the optimizer will not take; the message is one
    sentence that names it."""


def checked(texts: Iterable[str]) -> tuple[tuple[str, str], ...]:
    """``KEY=VALUE`` texts as ``(name, value)`` pairs, each checked with HiGHS.

    Raises :class:`SolverOptionError` for the first one that is not a known HiGHS
    option with an acceptable value, or that the optimizer sets itself.
    """
    texts = list(texts)
    if not texts:
        return ()
    highs = _silent_highs()
    heard: list[str] = []  # what HiGHS says about the last value it was given
    highs.cbLogging.subscribe(lambda event: heard.append(str(event.message)))
    return tuple(_check(highs, text, heard) for text in texts)


def _check(highs: highspy.Highs, text: str, heard: list[str]) -> tuple[str, str]:
    name, equals, value = (part.strip() for part in text.partition("="))
    given = f"--solver-option {text}"
    if not equals or not name:
        raise SolverOptionError(f"{given}: expected KEY=VALUE, a HiGHS option and its "
                                "value, such as solver=ipm.")
    status, kind = highs.getOptionType(name)
    if status != highspy.HighsStatus.kOk:
        raise SolverOptionError(f"{given}: HiGHS has no option {name}{_closest(name)}.")
    if name in PINNED:
        raise SolverOptionError(f"{given}: the optimizer sets {name} itself "
                                f"({PINNED[name]}).")
    if name in OWN_FLAGS:
        raise SolverOptionError(f"{given}: {name} has its own flag, {OWN_FLAGS[name]}; "
                                "use that instead.")
    heard.clear()
    if highs.setOptionValue(name, value) != highspy.HighsStatus.kOk:
        reason = _reason(heard)
        raise SolverOptionError(
            f'{given}: HiGHS refuses "{value}" for {name}, which takes '
            f"{_KINDS.get(kind, 'another kind of value')}{f' ({reason})' if reason else ''}.")
    return name, value


def _silent_highs() -> highspy.Highs:
    """A HiGHS instance that prints nothing and tells its messages only to callbacks."""
    highs = new_highs()
    highs.setOptionValue("log_to_console", False)
    return highs


def _reason(messages: list[str]) -> str:
    """HiGHS's messages about a refused value as one clause: without the severity and
    the function name, sentences joined by semicolons."""
    parts = []
    for message in messages:
        text = re.sub(r"^\s*(ERROR|WARNING):\s*", "", message.strip())
        text = re.sub(r"^\w+: ", "", text)  # "checkOptionValue: Value 9 …"
        parts += [_lower_first(p.strip().rstrip(".")) for p in re.split(r"\.\s+", text)
                  if p.strip() and not p.strip().endswith(":")]  # not an empty "Extras:"
    return "; ".join(parts)


def _lower_first(text: str) -> str:
    """``Value 9 …`` as ``value 9 …``; an acronym (``HiGHS``) stays."""
    return text if text[1:2].isupper() else text[:1].lower() + text[1:]


def _closest(name: str) -> str:
    """``; the closest it knows are a, b and c`` (nothing when none is close)."""
    close = difflib.get_close_matches(name, known_names(), n=3, cutoff=0.6)
    if not close:
        return " (its options are listed at https://ergo-code.github.io/HiGHS/stable/options/definitions/)"
    words = close[0] if len(close) == 1 else f"{', '.join(close[:-1])} and {close[-1]}"
    return f"; the closest {'it knows is' if len(close) == 1 else 'it knows are'} {words}"


def known_names() -> list[str]:
    """The option names HiGHS documents (those ``writeOptions`` lists), and the others
    highspy's ``HighsOptions`` exposes, sorted."""
    highs = _silent_highs()
    handle, path = tempfile.mkstemp(prefix="highs-options-", suffix=".txt")
    os.close(handle)
    try:
        highs.writeOptions(path)
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    finally:
        Path(path).unlink(missing_ok=True)
    names = set(re.findall(r"^([a-z_][a-z0-9_]*) = ", text, flags=re.MULTILINE))
    names |= {n for n in dir(highs.getOptions()) if not n.startswith("_")}
    return sorted(n for n in names if highs.getOptionType(n)[0] == highspy.HighsStatus.kOk)
