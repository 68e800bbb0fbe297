"""Safe file handling shared by every writer: atomic replacement and fingerprints.

A file is written to a temporary name beside its target and renamed into place, so
a crash never leaves a half-written file and an existing one is only replaced whole.
Every temporary name carries the writing process's id,
``.<target stem>.<pid>-<8 random characters>.tmp…``: what a killed run leaves behind
is recognised, and removed, by the next run into the folder
(:func:`remove_stale`), while a running process's temporaries are left alone.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def replacing(target: Path) -> Iterator[Path]:
    """A temporary path beside ``target``, renamed onto it if the block succeeds and
    removed if it fails. The folder is created when missing."""
    from optimizer.stopping import checkpoint

    target.parent.mkdir(parents=True, exist_ok=True)
    descriptor, name = tempfile.mkstemp(
        prefix=_prefix(target.stem), suffix=f".tmp{target.suffix}", dir=target.parent
    )
    os.close(descriptor)
    temporary = Path(name)
    try:
        yield temporary
        os.chmod(temporary, _file_mode(target))
        checkpoint()  # a run stopped by a signal replaces nothing
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _file_mode(target: Path) -> int:
    """The existing file's permissions, or what a newly created file would get
    (``mkstemp`` makes files readable by their owner only)."""
    if target.exists():
        return target.stat().st_mode & 0o777
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def detail_folder(workbook: Path) -> Path:
    """The folder of Parquet detail beside a results workbook."""
    return workbook.with_name(f"{workbook.stem}_detail")


def same_file(a: Path, b: Path) -> bool:
    """Whether two paths name the same file (existing or not)."""
    if a.exists() and b.exists():
        return os.path.samefile(a, b)
    return a.resolve() == b.resolve()


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes, in hex."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@contextlib.contextmanager
def replacing_folder(target: Path) -> Iterator[Path]:
    """A temporary folder beside ``target``, moved into its place if the block succeeds
    (an existing ``target`` is replaced, and only once the new one is complete) and
    removed if it fails."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = Path(tempfile.mkdtemp(prefix=_prefix(target.name), suffix=".tmp",
                                      dir=target.parent))
    try:
        yield temporary
        os.chmod(temporary, 0o777 & ~_umask())
        if target.exists():
            old = Path(tempfile.mkdtemp(prefix=_prefix(target.name), suffix=".tmp.old",
                                        dir=target.parent))
            os.replace(target, old / target.name)
            os.replace(temporary, target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(temporary, target)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise


def _umask() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return umask


_STALE = re.compile(r"^\..+\.(?P<pid>\d+)-[a-z0-9_]{8}\.tmp(\..*)?$")


def _prefix(stem: str) -> str:
    """The start of a temporary name: ``.<stem>.<pid>-`` (``mkstemp`` adds 8 random
    characters)."""
    return f".{stem}.{os.getpid()}-"


@contextlib.contextmanager
def work_folder(beside: Path) -> Iterator[Path]:
    """A private temporary folder beside ``beside`` (in its folder, or in the system's
    temporary folder when that does not exist yet), removed with all it holds when
    the block ends, however it ends."""
    place = beside.parent if beside.parent.is_dir() else Path(tempfile.gettempdir())
    folder = Path(tempfile.mkdtemp(prefix=_prefix(beside.stem), suffix=".tmp", dir=place))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def remove_stale(folder: Path) -> list[Path]:
    """Remove the temporaries a killed run left in ``folder``: names of the pattern
    this module writes whose process no longer runs. Returns what was removed."""
    removed: list[Path] = []
    if not folder.is_dir():
        return removed
    for entry in folder.iterdir():
        found = _STALE.match(entry.name)
        if found is None or _running(int(found["pid"])):
            continue
        with contextlib.suppress(OSError):
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
            removed.append(entry)
    return removed


def _running(pid: int) -> bool:
    """Whether a process ``pid`` runs on this machine (ours or another user's)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
