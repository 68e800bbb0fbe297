"""What a person reads of the results, as a PDF, through LibreOffice (``--pdf``).

The PDF holds the sheets a person reads: ``read_me``, ``summary``, ``headlines``,
``warnings`` on the input when there are any, ``scenarios``, the charts, ``burden``,
``expansions``, the value of information and the policy comparison when computed, and
each detail sheet short enough to read on paper (at most :data:`PRINTED_DETAIL_ROWS` rows
as written); the rest stay in the workbook, and the run says which. They are written to
a workbook of their own (the charts' numbers
hidden), which LibreOffice renders as Excel would print it (each sheet one page wide,
see :mod:`optimizer.report.xlsx`). It runs headless with a profile of its
own in a temporary folder, so it neither disturbs nor waits for a LibreOffice the
user has open, and it is stopped, with everything it started, after a time limit.
The PDF is written beside its target and renamed into place, like every other file.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from optimizer.files import replacing
from optimizer.report import xlsx
from optimizer.results.contract import CHART_DATA_SHEET

if TYPE_CHECKING:
    from optimizer.results import Results

TIMEOUT_S = 900.0  # a stuck LibreOffice is stopped after this long
PRINTED: tuple[str, ...] = ("read_me", "summary", "headlines", "warnings", "scenarios",
                            "charts", "burden", "expansions", "value_of_information",
                            "policy")
PRINTED_DETAIL_ROWS = 500  # a detail sheet this short (about ten pages) is printed too
PROGRAMS = ("soffice", "libreoffice")
INSTALL_HINT = ("install LibreOffice Calc (on Debian or Ubuntu: apt-get install "
                "libreoffice-calc-nogui) to use --pdf")


class PdfError(Exception):
    """No PDF was written; the message says why, in plain words."""


def find_soffice() -> str | None:
    """The LibreOffice program on the PATH, or None when it is not installed."""
    for name in PROGRAMS:
        found = shutil.which(name)
        if found:
            return found
    return None


def pdf_path(workbook: Path) -> Path:
    """The PDF beside a results workbook: ``<results name>.pdf``."""
    return workbook.with_suffix(".pdf")


def to_pdf(
    workbook: Path, target: Path, *, program: str | None = None, timeout_s: float = TIMEOUT_S
) -> Path:
    """Render ``workbook`` to ``target`` with LibreOffice and return ``target``.

    ``program`` is LibreOffice's ``soffice`` (found on the PATH when not given).
    Raises :class:`PdfError` when LibreOffice is missing, fails or takes longer than
    ``timeout_s`` seconds; ``target`` is then left as it was.
    """
    program = program or find_soffice()
    if program is None:
        raise PdfError(f"LibreOffice is not installed (no soffice command); {INSTALL_HINT}")
    with tempfile.TemporaryDirectory(prefix="optimizer-pdf-") as folder:
        profile, out = Path(folder) / "profile", Path(folder) / "out"
        _convert([
            program, "--headless", "--norestore", "--nolockcheck",
            f"-env:UserInstallation={profile.as_uri()}",
            "--convert-to", "pdf", "--outdir", str(out), str(workbook),
        ], timeout_s)
        produced = out / f"{workbook.stem}.pdf"
        if not produced.is_file():
            raise PdfError(f"LibreOffice wrote no PDF of {workbook}")
        with replacing(target) as temporary:
            shutil.copyfile(produced, temporary)
    return target


def printed(results: Results, target: Path,
            render: Callable[[Path, Path], Path]) -> tuple[Path, str]:
    """Render the sheets a person reads to ``target`` with ``render`` (:func:`to_pdf`);
    returns the PDF and, in words, the sheets left out."""
    workbook = results.workbook()
    forms = {name: form.sheet for name, form in results.forms.items()}
    short = [name for name, form in results.forms.items()
             if len(form.frame) <= PRINTED_DETAIL_ROWS]
    kept = {name: frame for name, frame in workbook.items()
            if name in PRINTED or name in short or name == CHART_DATA_SHEET.name}
    left_out = [f"{name} ({len(frame):,} rows)" for name, frame in workbook.items()
                if name not in kept]
    with tempfile.TemporaryDirectory(prefix="optimizer-print-") as folder:
        copy = Path(folder) / f"{target.stem}.xlsx"
        xlsx.write(kept, copy, forms=forms, hidden=(CHART_DATA_SHEET.name,))
        render(copy, target)
    return target, ", ".join(left_out)


def _convert(command: list[str], timeout_s: float) -> None:
    """Run LibreOffice in a process group of its own, killed whole on time out."""
    try:
        process = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True, errors="replace", start_new_session=True,
        )
    except OSError as error:
        raise PdfError(f"LibreOffice could not be started ({error})") from None
    try:
        _, errors = process.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        _kill(process)
        raise PdfError(f"LibreOffice did not finish within {timeout_s:g} s") from None
    if process.returncode != 0:
        last = errors.strip().splitlines()[-1:] or ["no message"]
        raise PdfError(f"LibreOffice failed (exit status {process.returncode}): {last[0]}")


def _kill(process: subprocess.Popen[str]) -> None:
    """Stop the process and whatever it started (its own process group)."""
    if hasattr(os, "killpg"):
        with contextlib.suppress(ProcessLookupError):  # already gone
            os.killpg(process.pid, signal.SIGKILL)
    else:  # no process groups: the process alone
        process.kill()
    process.communicate()
