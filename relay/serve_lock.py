"""One serving relay per SQLite data folder.

A relay on SQLite is its folder's only writer: its shops' stream and conversation counters are
written behind, and the ids of stored messages are looked up in memory (docs/adr/0012). A second
``serve`` on the same folder would hand out seqs and cseqs the first has already given, and
store a message twice. So ``serve`` holds an OS lock on ``<data>/relay.lock`` while it runs and
a second one waits a little (the first may be draining after SIGTERM), then stops with an error
naming the folder and the process that holds it. The OS drops the lock when its holder ends,
however it ends (kill -9 included): there is never a stale lock to clean up.

``shops …`` commands do not take it: they change shop rows, which the serving relay reads
afresh. Several processes go on one PostgreSQL store (``--store``), where the folder holds
only the key and every process may share it.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

LOCK_NAME = "relay.lock"
_LOCKED_BYTE = 1 << 20  # Windows locks a byte range: one past the pid, so the pid stays readable


class FolderBusy(Exception):
    """Another process serves this folder; ``holder`` is its pid as it wrote it ("" unknown)."""

    def __init__(self, folder: Path, holder: str) -> None:
        self.folder = folder
        self.holder = holder
        who = f"process {holder}" if holder else "another process"
        super().__init__(
            f"another relay ({who}) is serving {folder}: one relay process per data folder."
            " Stop it first, give this one its own --data-dir, or run several processes on one"
            " --store postgresql://… (docs/deploy.md)"
        )


class NotStopped(Exception):
    """A command that needs the folder's relay stopped found one serving it."""


def take_stopped(folder: Path, then: str) -> ServeLock:
    """The serve lock of ``folder`` for a command that needs its relay stopped (``then``:
    what to do once it is, for the message), taken at once or never: raises NotStopped
    saying who serves it, or that the folder cannot be used."""
    lock = ServeLock(folder)
    try:
        lock.take(wait=0)
    except OSError as exc:
        raise NotStopped(f"cannot use the data folder {folder}: {exc.strerror or exc}") from exc
    except FolderBusy as exc:
        who = f"process {exc.holder}" if exc.holder else "another process"
        raise NotStopped(
            f"a relay ({who}) is serving {folder}: stop it first (systemctl stop"
            f" minichat-relay, or docker compose stop), then {then}"
        ) from exc
    return lock


class ServeLock:
    """The lock a serving relay holds on its data folder for as long as it runs."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.path = folder / LOCK_NAME
        self._fd: int | None = None

    def take(
        self,
        wait: float = 10.0,
        waiting: Callable[[str], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        """Take the lock, trying for up to ``wait`` seconds; ``waiting(holder)`` is called once
        if the first try fails. Raises :class:`FolderBusy` when it stays held, and OSError
        when the folder or the file cannot be made."""
        self.folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        deadline = clock() + wait
        told = False
        try:
            while not _try_lock(fd):
                holder = self.holder()
                if clock() >= deadline:
                    raise FolderBusy(self.folder, holder)
                if not told and waiting is not None:
                    waiting(holder)
                told = True
                sleep(0.1)
            os.ftruncate(fd, 0)
            os.lseek(fd, 0, os.SEEK_SET)
            os.write(fd, f"{os.getpid()}\n".encode())
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd

    def holder(self) -> str:
        """The pid the holder wrote ("" when unreadable or not written yet)."""
        try:
            text = self.path.read_text(encoding="ascii", errors="replace").strip()
        except OSError:
            return ""
        return text if text.isdigit() else ""

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            with contextlib.suppress(OSError):
                _unlock(fd)
            os.close(fd)


if sys.platform == "win32":
    import msvcrt

    def _try_lock(fd: int) -> bool:
        os.lseek(fd, _LOCKED_BYTE, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)  # a byte past the end may be locked
        except OSError:
            return False
        return True

    def _unlock(fd: int) -> None:
        os.lseek(fd, _LOCKED_BYTE, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # two opens conflict in one process too
        except BlockingIOError:
            return False
        return True

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)
