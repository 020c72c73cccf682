"""The data folder's lock: the running app holds it, so a second app and ``minichat restore``
know the folder is in use.

An OS-level lock on ``<data folder>/minichat.lock`` (``flock`` on Linux and macOS, ``msvcrt``
byte locking on Windows): the OS drops it when the holder ends however it ends — a killed app
leaves no stale lock, whatever the file still says. The file itself stays; only the lock counts.
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path
from types import TracebackType

LOCK_FILENAME = "minichat.lock"


class FolderLock:
    """The lock of one data folder. :meth:`acquire` never waits: False when another process
    (or another :class:`FolderLock` in this one) holds it."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.path = folder / LOCK_FILENAME
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> bool:
        """Take the lock if it is free. Raises :class:`OSError` when the folder or the lock file
        cannot be made (read-only disk, no permission)."""
        if self._fd is not None:
            return True
        self.folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            _lock(fd)
        except OSError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is None:
            return
        with contextlib.suppress(OSError):
            _unlock(fd)
        os.close(fd)

    def __enter__(self) -> FolderLock:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()


def in_use(folder: Path) -> bool:
    """Whether a process holds ``folder``'s lock now (a running app)."""
    if not (folder / LOCK_FILENAME).exists():
        return False
    probe = FolderLock(folder)
    try:
        return not probe.acquire()
    finally:
        probe.release()


if sys.platform == "win32":
    import msvcrt

    def _lock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)  # the first byte (it may lie past the end)

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _lock(fd: int) -> None:
        # flock (not fcntl's POSIX locks): two opens of the file conflict even in one process.
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)
