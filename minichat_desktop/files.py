"""Writing a whole file so that nobody ever sees half of it.

:func:`atomic_write` is the one way the app writes a file whole (exports, reports, backups,
PDFs, pictures it keeps): the content goes to a temporary file beside the target, is flushed
to disk and renamed onto the target in one step. A reader sees the old file or the new one,
never a mix, and a failed or cancelled write leaves neither a file nor a temporary behind.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from minichat_desktop.errors import EnvironmentProblem

__all__ = ["atomic_write", "atomic_write_bytes"]


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike[str], *, problem: str | None = None) -> Iterator[Path]:
    """Yield a temporary path in the folder of ``path`` for the block to write; when the block
    ends normally the file is fsynced and renamed onto ``path`` (an existing file is replaced
    atomically).

    The temporary path does not exist yet: the block creates it (any writer that takes a path
    will do). Its name is unique per call, so two threads or processes writing the same target
    do not trip over each other; the last rename wins. If anything goes wrong — an exception
    in the block (including cancellation), or the flush or rename failing — the temporary file
    is removed and ``path`` is left as it was; the exception propagates.

    An :class:`OSError` propagates as it is, unless ``problem`` names an error code: then it
    becomes :class:`EnvironmentProblem` ``problem`` ("cannot write <path>: <reason>",
    ``path`` in the params), chained to the OS error.
    """
    target = Path(path)
    tmp = target.with_name(f".{target.name}.{os.urandom(6).hex()}.part")
    try:
        yield tmp
        _fsync(tmp)
        os.replace(tmp, target)
        _fsync_folder(target.parent)
    except OSError as exc:
        if problem is None:
            raise
        raise EnvironmentProblem(
            problem, f"cannot write {target}: {exc.strerror or exc}", path=str(target)
        ) from exc
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()


def atomic_write_bytes(
    path: str | os.PathLike[str], data: bytes, *, problem: str | None = None
) -> None:
    """Write ``data`` as the whole of ``path`` through :func:`atomic_write` (same errors)."""
    with atomic_write(path, problem=problem) as tmp:
        tmp.write_bytes(data)


def _fsync(path: Path) -> None:
    # Opened for writing: Windows cannot flush a handle opened read-only.
    fd = os.open(path, os.O_RDWR | getattr(os, "O_BINARY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable where the OS allows it (POSIX); best effort."""
    if os.name != "posix":
        return
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
