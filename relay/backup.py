"""Backing up a relay's SQLite store and restoring a backup (``minichat-relay backup`` and
``minichat-relay restore``; docs/deploy.md, Backups).

``backup`` copies the database with SQLite's online backup API: one consistent snapshot,
the ``-wal`` file's commits included, taken while the relay serves (a file copy would miss
what is still in the ``-wal`` file, or be torn). The copy goes to a new file, never over
one; it is written beside its final name, checked (``quick_check``), made a single file
(rollback journal, no ``-wal``) and only then renamed into place, so a backup that exists is
whole.

``restore`` puts a backup in place of the database while no relay serves the folder (it takes
the serve lock, relay/serve_lock.py). The backup is copied in and checked first: a relay
database, not made by a newer relay, and, when it holds LINE or Facebook credentials, sealed
with this relay's key (``--forget-credentials`` drops them instead). The database it replaces
is kept beside it, renamed, never deleted; its ``-wal`` and ``-shm`` files go (a ``-wal`` left
behind would be replayed onto the restored file). The relay upgrades an older backup's tables
when it starts.

On PostgreSQL, ``pg_dump`` and ``pg_restore`` do this.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from relay.serve_lock import NotStopped, take_stopped
from relay.storage import (
    SCHEMA_VERSION,
    StoreError,
    has_table,
    key_opens,
    key_source,
    sealed_in,
)

DB_NAME = "relay.sqlite3"
BACKUP_NAME = re.compile(r"relay-(\d{8}T\d{6}Z)(?:-(\d+))?\.sqlite3")  # what backup() names
BUSY_SECONDS = 30.0  # how long a copy waits for a writer's lock (the relay's commits are short)


class BackupError(Exception):
    """What went wrong, where, and what to do about it (for the operator)."""


@dataclass(frozen=True)
class Summary:
    """What a backup holds."""

    path: Path
    size: int  # bytes on disk
    schema: int  # the relay's table layout (relay/storage.py SCHEMA_VERSION)
    shops: int
    messages: int  # history rows: every conversation's messages the relay keeps


def _stamp(now: datetime) -> str:
    return now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def backup(data_dir: Path, dest: Path, now: datetime | None = None) -> Summary:
    """Copy the relay database of ``data_dir`` to ``dest``: a new file, or a folder, where
    the file is ``relay-<UTC time>.sqlite3``."""
    src = data_dir / DB_NAME
    if not src.is_file():
        raise BackupError(
            f"no relay database in {data_dir} ({DB_NAME} is not there): check --data-dir"
            " (or $MINICHAT_RELAY_DATA_DIR)"
        )
    if dest.is_dir():
        dest = _new_name(dest, _stamp(now or datetime.now(UTC)))
    if dest.exists() or dest.is_symlink():
        raise BackupError(f"{dest} exists: a backup never overwrites a file; give a new name")
    if not dest.parent.is_dir():
        raise BackupError(f"the folder {dest.parent} does not exist: create it first")
    partial = dest.with_name(dest.name + ".partial")
    try:
        _remove(partial)
        _copy(src, partial)
        summary = _summary(partial)
        _sync(partial)
        os.replace(partial, dest)
        _sync(dest.parent)
    except (OSError, sqlite3.Error) as exc:
        raise BackupError(f"cannot write the backup {dest}: {_why(exc)}") from exc
    finally:
        _remove(partial)
    return Summary(dest, dest.stat().st_size, summary.schema, summary.shops, summary.messages)


def _new_name(folder: Path, stamp: str) -> Path:
    """``relay-<stamp>.sqlite3`` in ``folder``, or ``relay-<stamp>-2.sqlite3``… when taken."""
    path, n = folder / f"relay-{stamp}.sqlite3", 1
    while path.exists() or path.is_symlink():
        n += 1
        path = folder / f"relay-{stamp}-{n}.sqlite3"
    return path


def prune(folder: Path, keep: int, made: Path) -> list[Path]:
    """Keep the backup just ``made`` and the newest ``keep`` - 1 others that :func:`backup`
    named in ``folder`` (``relay-<UTC time>[-n].sqlite3``; no other file is touched), delete
    the rest; returns those deleted."""
    found: list[tuple[tuple[str, int], Path]] = []
    for path in folder.iterdir():
        m = BACKUP_NAME.fullmatch(path.name)
        if m is not None and path.is_file() and path != made:
            found.append(((m.group(1), int(m.group(2) or 1)), path))
    found.sort()
    gone = [path for _, path in found[: max(0, len(found) - (keep - 1))]]
    for path in gone:
        try:
            path.unlink()
        except OSError as exc:
            raise BackupError(f"cannot delete the old backup {path}: {_why(exc)}") from exc
    return gone


def backup_to(data_dir: Path, out: BinaryIO) -> Summary:
    """:func:`backup` written to ``out`` (``backup -``: standard output, e.g. out of a
    container), through a file in the data folder that is removed afterwards."""
    temp = data_dir / f".backup-{os.getpid()}.sqlite3"
    _remove(temp)
    try:
        made = backup(data_dir, temp)
        with temp.open("rb") as f:
            shutil.copyfileobj(f, out, 1 << 20)
        out.flush()
    except OSError as exc:
        raise BackupError(f"cannot write the backup to standard output: {_why(exc)}") from exc
    finally:
        _remove(temp)
    return made


def restore_from(
    data_dir: Path, inp: BinaryIO, *, forget_credentials: bool = False
) -> tuple[Summary, Path | None]:
    """:func:`restore` of a backup read from ``inp`` (``restore -``: standard input, e.g.
    into a container), through a file in the data folder that is removed afterwards."""
    temp = data_dir / f".restore-{os.getpid()}.sqlite3"
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        _remove(temp)
        with os.fdopen(os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as f:
            shutil.copyfileobj(inp, f, 1 << 20)
    except OSError as exc:
        _remove(temp)
        raise BackupError(f"cannot read the backup from standard input: {_why(exc)}") from exc
    try:
        return restore(
            data_dir, temp, forget_credentials=forget_credentials, named="the backup given"
        )
    finally:
        _remove(temp)


def restore(
    data_dir: Path,
    src: Path,
    *,
    forget_credentials: bool = False,
    now: datetime | None = None,
    named: str | None = None,
) -> tuple[Summary, Path | None]:
    """Put the backup ``src`` (``named`` so in messages) in place of the relay database of
    ``data_dir`` (no relay may serve it meanwhile). Returns what was restored and where the
    database it replaced was kept (None: there was none)."""
    _readable_backup(src, named or str(src))
    try:
        lock = take_stopped(data_dir, "restore")
    except NotStopped as exc:
        raise BackupError(str(exc)) from exc
    incoming = data_dir / (DB_NAME + ".restoring")
    try:
        _remove(incoming)
        shown = Path(named) if named else src
        try:
            _copy(src, incoming)
        except sqlite3.DatabaseError as exc:
            raise BackupError(f"{shown} is not a relay backup: {_why(exc)}") from exc
        summary = _summary(incoming, shown)
        _check_key(incoming, shown, data_dir, forget_credentials)
        _sync(incoming)
        aside = _put_aside(data_dir, now or datetime.now(UTC))
        try:
            os.replace(incoming, data_dir / DB_NAME)
        except OSError:
            if aside is not None:  # the database goes back where it was, as it was
                os.replace(aside, data_dir / DB_NAME)
            raise
        _owned_like(data_dir, data_dir / DB_NAME, lock.path)
        _sync(data_dir)
    except (OSError, sqlite3.Error) as exc:
        raise BackupError(f"cannot restore {named or src} into {data_dir}: {_why(exc)}") from exc
    finally:
        _remove(incoming)
        lock.release()
    final = data_dir / DB_NAME
    restored = Summary(final, final.stat().st_size, summary.schema, summary.shops, summary.messages)
    return restored, aside


def _readable_backup(src: Path, named: str) -> None:
    """Refuse ``src`` early, in words that say what to do: missing, unreadable by this user
    (a root-owned copy), or not a SQLite database at all."""
    try:
        with src.open("rb") as f:
            head = f.read(16)
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError) as exc:
        raise BackupError(f"{named} is not a file: give the path of a backup") from exc
    except PermissionError as exc:
        raise BackupError(
            f"cannot read {named}: permission denied; give it to the relay's user (chown), or"
            " run restore as root"
        ) from exc
    except OSError as exc:
        raise BackupError(f"cannot read {named}: {_why(exc)}") from exc
    if head != b"SQLite format 3\x00":
        raise BackupError(f"{named} is not a relay backup: it is not a SQLite database")


def _copy(src: Path, dest: Path) -> None:
    """SQLite's online backup of ``src`` into the new file ``dest``, made one checked file."""
    source = sqlite3.connect(src, timeout=BUSY_SECONDS)
    try:
        # (made first, readable by its owner only: it holds the shoppers' messages)
        os.close(os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        target = sqlite3.connect(dest)
        try:
            source.backup(target)  # (all pages in one step: one read transaction, one snapshot)
            target.execute("PRAGMA journal_mode=DELETE")
            check = [str(r[0]) for r in target.execute("PRAGMA quick_check")]
            if check != ["ok"]:
                raise BackupError(f"the copy of {src} failed SQLite's check: {check[0]}")
        finally:
            target.close()
    finally:
        source.close()


def _summary(path: Path, named: Path | None = None) -> Summary:
    """What the database at ``path`` (a copy of ``named``) holds; refuses one that is not a
    relay's or that a newer relay made."""
    db = sqlite3.connect(path)
    try:
        tables = {str(r[0]) for r in db.execute("SELECT name FROM sqlite_master")}
        if not {"meta", "shops", "history"} <= tables:
            raise BackupError(f"{named or path} is not a relay database (it has no relay tables)")
        row = db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        try:
            schema = int(row[0]) if row else SCHEMA_VERSION
        except ValueError:
            raise BackupError(
                f"{named or path}: its schema version {row[0]!r} is not a number"
            ) from None
        if schema > SCHEMA_VERSION:
            raise BackupError(
                f"{named or path} was made by a newer relay (its tables are version {schema};"
                f" this relay knows up to {SCHEMA_VERSION}): restore it with that version or"
                " newer"
            )
        shops = int(db.execute("SELECT COUNT(*) FROM shops").fetchone()[0])
        messages = int(db.execute("SELECT COUNT(*) FROM history").fetchone()[0])
    finally:
        db.close()
    return Summary(path, path.stat().st_size, schema, shops, messages)


def _check_key(path: Path, src: Path, data_dir: Path, forget: bool) -> None:
    """Refuse a backup whose sealed credentials this relay's key cannot open (restoring it
    would leave LINE and Facebook unable to send), unless they are to be forgotten."""
    db = sqlite3.connect(path)
    try:
        if forget:
            db.execute("UPDATE shops SET line_secret=NULL, line_token=NULL")
            if has_table(db, "meta_accounts"):
                db.execute("DELETE FROM meta_accounts")
            db.commit()
            return
        sealed = sealed_in(db)
    finally:
        db.close()
    if not sealed:
        return
    try:
        opens = key_opens(data_dir, sealed)
    except StoreError as exc:
        raise BackupError(str(exc)) from exc
    fix = (
        "put the key that went with the backup in place first, or restore without the"
        " credentials (--forget-credentials) and set them again (shops line, shops meta)"
    )
    if opens is None:
        raise BackupError(
            f"{src} holds LINE or Facebook credentials sealed with a relay key, and this relay"
            f" has none yet ({key_source(data_dir)}): {fix}"
        )
    if not opens:
        raise BackupError(
            f"{src} holds LINE or Facebook credentials sealed with another key than this"
            f" relay's ({key_source(data_dir)}): {fix}"
        )


def _put_aside(data_dir: Path, now: datetime) -> Path | None:
    """Rename the database in place (its ``-wal`` written into it first) to
    ``relay.sqlite3.before-restore-<UTC time>``, and remove its ``-wal`` and ``-shm``."""
    current = data_dir / DB_NAME
    aside = None
    if current.exists():
        db = sqlite3.connect(current, timeout=BUSY_SECONDS)
        try:
            busy = db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
        finally:
            db.close()
        if busy:
            raise BackupError(
                f"the database in {data_dir} is in use (a `shops` command?): try again once"
                " it is done"
            )
        aside = data_dir / f"{DB_NAME}.before-restore-{_stamp(now)}"
        n = 1
        while aside.exists():
            n += 1
            aside = data_dir / f"{DB_NAME}.before-restore-{_stamp(now)}-{n}"
        os.replace(current, aside)
    for suffix in ("-wal", "-shm", "-journal"):
        _remove(data_dir / (DB_NAME + suffix))
    return aside


def _owned_like(folder: Path, *paths: Path) -> None:
    """Run as root (an administrator restoring), give the files made the folder's owner: the
    relay's own user, who could not open a file only root may read."""
    if os.name == "nt" or os.geteuid() != 0:
        return
    owner = folder.stat()
    for path in paths:
        if path.exists() and path.stat().st_uid != owner.st_uid:
            os.chown(path, owner.st_uid, owner.st_gid)


def _remove(path: Path) -> None:
    for p in (path, path.with_name(path.name + "-journal")):
        with contextlib.suppress(FileNotFoundError):
            p.unlink()


def _sync(path: Path) -> None:
    """Flush a file, or a folder's entries (a rename), to the disk (not on Windows, whose
    folders cannot be opened; its renames are flushed with the file system's journal)."""
    if path.is_dir() and os.name == "nt":
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _why(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__
