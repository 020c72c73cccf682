"""The shop database: one SQLite file, opened safely, migrated at start, backed up properly.

- WAL journal, foreign keys on, ``synchronous=FULL`` (orders and payments must survive a power
  cut), a busy timeout so a second process waits instead of failing.
- One writer: every write transaction starts with ``BEGIN IMMEDIATE`` on the single writer
  connection, so writers queue up (also across processes) instead of deadlocking half-way.
- Migrations run at start after a backup made with SQLite's backup API (never a file copy).
- Every committed unit of work says what it changed: the tables it wrote, seen on the writer
  connection's statements and :class:`~minichat_desktop.domain.sql.DriverConnection`'s, are
  left in ``session.info[CHANGED]`` for whoever ran it and passed to every subscriber
  (:meth:`Database.subscribe`) — screens refresh and the relay link wakes from that, so no
  caller has to remember to say it.

Opening is cheap on purpose: the schema check reads the file's revision with plain ``sqlite3``,
and SQLAlchemy (about 0.3 s to import) is loaded only when the first session or engine is
asked for, so the app can draw its window meanwhile.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import sqlite3
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from minichat_desktop import paths
from minichat_desktop.domain.sql import WRITTEN_KEY, table_written
from minichat_desktop.errors import EnvironmentProblem, UserError
from minichat_desktop.files import atomic_write

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.exc import OperationalError
    from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 10_000
# session.info key of the tables a committed unit of work changed (a frozenset[str]).
CHANGED = "minichat.changed"


def _configure(dbapi_conn: sqlite3.Connection, *, readonly: bool) -> None:
    # Let SQLAlchemy's "begin" hook (below) issue BEGIN itself.
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    cur.execute("PRAGMA foreign_keys = ON")
    if not readonly:
        cur.execute("PRAGMA journal_mode = WAL")
    cur.execute("PRAGMA synchronous = FULL")
    cur.execute("PRAGMA temp_store = MEMORY")
    cur.execute("PRAGMA cache_size = -32000")
    cur.close()


def _make_engine(url: str, *, writer: bool) -> Engine:
    from sqlalchemy import create_engine, event
    from sqlalchemy.pool import QueuePool

    engine = create_engine(
        url,
        poolclass=QueuePool,
        pool_size=1 if writer else 4,
        max_overflow=0,
        pool_timeout=60,
        connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000},
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: sqlite3.Connection, _rec: Any) -> None:
        _configure(dbapi_conn, readonly=not writer)

    begin = "BEGIN IMMEDIATE" if writer else "BEGIN"

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Straight on the driver: SQLAlchemy's execute path costs ~0.1 ms per unit of work.
        conn.connection.driver_connection.execute(begin)

    return engine


class Database:
    """An open shop database: a writer engine (one connection) and a reader engine.

    Use :meth:`write` for a unit of work that changes data (committed on success, rolled back on
    any exception) and :meth:`read` for queries.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        # The tables written by the unit of work running on this thread (None outside one).
        self._tracking = threading.local()
        self._subscribers: list[Callable[[frozenset[str]], None]] = []
        # Made on first use (see the module docstring); _engines_lock guards that.
        self._engines_lock = threading.Lock()
        self._writer: Engine | None = None
        self._reader: Engine | None = None
        self._write_sessions: sessionmaker[Session] | None = None
        self._read_sessions: sessionmaker[Session] | None = None

    def _engines(self) -> tuple[sessionmaker[Session], sessionmaker[Session]]:
        """The writer and reader session factories, creating the engines the first time."""
        with self._engines_lock:
            if self._write_sessions is None or self._read_sessions is None:
                from sqlalchemy import event
                from sqlalchemy.orm import sessionmaker

                url = f"sqlite:///{self.path}"
                self._writer = _make_engine(url, writer=True)
                event.listen(self._writer, "before_cursor_execute", self._saw_statement)
                self._reader = _make_engine(url, writer=False)
                self._write_sessions = sessionmaker(self._writer, expire_on_commit=False)
                self._read_sessions = sessionmaker(self._reader, expire_on_commit=False)
            return self._write_sessions, self._read_sessions

    @property
    def writer(self) -> Engine:
        """The engine of the single writer connection."""
        self._engines()
        assert self._writer is not None
        return self._writer

    @property
    def reader(self) -> Engine:
        """The engine of the reader connections."""
        self._engines()
        assert self._reader is not None
        return self._reader

    @classmethod
    def open(cls, folder: Path, *, migrate: bool = True, backup: bool = True) -> Database:
        """Open (creating if needed) the database in ``folder`` and bring its schema to head.

        Raises :class:`EnvironmentProblem` when the folder cannot be written or the file is not a
        database, and :class:`UserError` when the file is newer than this program.
        """
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise EnvironmentProblem(
                "env.data_dir",
                f"cannot create the data folder {folder}: {exc.strerror}",
                path=str(folder),
            ) from exc
        db = cls(paths.database_path(folder))
        if migrate:
            from minichat_desktop.storage import migrate as migrations

            migrations.upgrade_at_start(db, backup=backup)
        return db

    def subscribe(self, callback: Callable[[frozenset[str]], None]) -> Callable[[], None]:
        """Call ``callback(tables)`` after every unit of work that changed something, on the
        thread that committed it (hand it on to your own thread). Returns the unsubscribe
        function. A callback's exception is logged, never passed to the writer."""
        self._subscribers.append(callback)
        return lambda: self._subscribers.remove(callback)

    def _saw_statement(
        self, _conn: Any, _cursor: Any, statement: str, *_args: Any, **_kw: Any
    ) -> None:
        tables = getattr(self._tracking, "tables", None)
        if tables is not None:
            table = table_written(statement)
            if table is not None:
                tables.add(table)

    @contextlib.contextmanager
    def write(self) -> Iterator[Session]:
        """A unit of work: commits when the block ends normally, rolls back on any exception.
        After the commit, ``session.info[CHANGED]`` holds the tables it changed."""
        from sqlalchemy.exc import OperationalError

        write_sessions, _ = self._engines()
        with self._lock, write_sessions() as session:
            self._tracking.tables = set()
            try:
                yield session
                session.commit()
            except (OperationalError, sqlite3.OperationalError) as exc:
                # sqlite3's own errors come from DriverConnection's statements.
                session.rollback()
                raise _environment_problem(exc, self.path) from exc
            except BaseException:
                session.rollback()
                raise
            finally:
                tables = self._tracking.tables | session.info.pop(WRITTEN_KEY, set())
                self._tracking.tables = None
            changed = frozenset(tables)
            session.info[CHANGED] = changed
        if changed:
            self._tell(changed)

    def _tell(self, changed: frozenset[str]) -> None:
        for callback in list(self._subscribers):
            try:
                callback(changed)
            except Exception:
                log.exception("a change subscriber failed on %s", sorted(changed))

    @contextlib.contextmanager
    def read(self) -> Iterator[Session]:
        """A read-only session on a consistent snapshot."""
        _, read_sessions = self._engines()
        with read_sessions() as session:
            try:
                yield session
            finally:
                session.rollback()

    @contextlib.contextmanager
    def peek(self) -> Iterator[sqlite3.Connection]:
        """A plain ``sqlite3`` connection for a few reads made before SQLAlchemy is loaded
        (the window's first paint, see ``inbox_reads``); queries only, closed after the
        block. Raises :class:`EnvironmentProblem` when the file cannot be read."""
        try:
            conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000)
        except sqlite3.OperationalError as exc:
            raise _environment_problem(exc, self.path) from exc
        try:
            conn.execute("PRAGMA query_only = ON")
            yield conn
        except sqlite3.DatabaseError as exc:  # locked, busy, "not a database"…
            raise _environment_problem(exc, self.path) from exc
        finally:
            conn.close()

    def backup_to(self, target: Path) -> Path:
        """Copy the live database to ``target`` with SQLite's backup API (consistent while in
        use), written beside it and renamed into place: a file already at ``target`` is
        replaced only by a complete backup. Raises :class:`EnvironmentProblem` if the target
        cannot be written."""
        target = target.expanduser().resolve()
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            with atomic_write(target) as tmp:
                src = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000)
                try:
                    dst = sqlite3.connect(tmp)
                    try:
                        src.backup(dst)
                    finally:
                        dst.close()
                finally:
                    src.close()
        except (OSError, sqlite3.Error) as exc:
            raise EnvironmentProblem(
                "env.backup_failed", f"cannot write the backup {target}: {exc}", path=str(target)
            ) from exc
        return target

    def checkpoint(self, busy_ms: int = 1000) -> bool:
        """Fold the WAL into the database file and truncate it (``wal_checkpoint(TRUNCATE)``
        on the writer), for quitting after the last write. True when done; False (logged)
        when a reader elsewhere kept it from finishing within ``busy_ms`` — the WAL is then
        folded in on the next open, nothing is lost."""
        if self._writer is None:
            return True  # nothing was opened, so nothing written
        raw = self._writer.raw_connection()
        try:
            conn = raw.driver_connection
            assert conn is not None
            conn.execute(f"PRAGMA busy_timeout = {busy_ms}")
            busy, _, _ = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        except sqlite3.Error as exc:
            log.info("database %s: WAL not checkpointed: %s", self.path, exc)
            return False
        finally:
            raw.close()
        if busy:
            log.info("database %s: WAL checkpoint not finished (a reader is open)", self.path)
        return not busy

    def dispose(self) -> None:
        with self._engines_lock:
            for engine in (self._writer, self._reader):
                if engine is not None:
                    engine.dispose()


class Recording:
    """The database, remembering what all of its writes changed (for a use case that opens
    several units of work, e.g. a broadcast queued batch by batch, or a backup that tells the
    owner it failed). Everything else — ``path``, ``backup_to``… — is the database's own."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.changed: set[str] = set()

    @contextlib.contextmanager
    def write(self) -> Iterator[Session]:
        with self.db.write() as session:
            yield session
        self.changed |= session.info.get(CHANGED, frozenset())

    def read(self) -> contextlib.AbstractContextManager[Session]:
        return self.db.read()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.db, name)


def _environment_problem(
    exc: OperationalError | sqlite3.DatabaseError, path: Path
) -> EnvironmentProblem:
    orig = getattr(exc, "orig", None)
    msg = str(orig) if orig is not None else str(exc)
    if "locked" in msg or "busy" in msg:
        return EnvironmentProblem(
            "env.db_locked",
            f"the database {path} is busy in another program; try again in a moment",
            path=str(path),
        )
    if "disk" in msg or "full" in msg:
        return EnvironmentProblem(
            "env.disk_full", f"cannot write {path}: the disk is full", path=str(path)
        )
    return EnvironmentProblem("env.db_error", f"database error in {path}: {msg}", path=str(path))


def restore_from(folder: Path, source: Path) -> Path:
    """Replace the database in ``folder`` with the backup ``source``.

    The current database is first backed up to ``backups/before-restore-*.sqlite3``. The source
    must be a readable MiniChat database (checked with ``PRAGMA integrity_check`` and for our
    tables), else :class:`UserError` and nothing changes.
    """
    source = source.expanduser().resolve()
    if not source.is_file():
        raise UserError("restore.missing", f"no backup file at {source}", path=str(source))
    try:
        con = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        try:
            ok = con.execute("PRAGMA integrity_check").fetchone()
            tables = {
                r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")
            }
        finally:
            con.close()
    except sqlite3.DatabaseError as exc:
        raise UserError(
            "restore.not_a_database",
            f"{source} is not a MiniChat backup (not an SQLite database)",
            path=str(source),
        ) from exc
    if not ok or ok[0] != "ok":
        raise UserError(
            "restore.corrupt", f"{source} is damaged (integrity check failed)", path=str(source)
        )
    if not {"alembic_version", "products", "orders"} <= tables:
        raise UserError(
            "restore.not_minichat", f"{source} is not a MiniChat backup", path=str(source)
        )
    folder.mkdir(parents=True, exist_ok=True)
    live = paths.database_path(folder)
    if live.exists():
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S")
        current = Database(live)
        try:
            current.backup_to(paths.backups_dir(folder) / f"before-restore-{stamp}.sqlite3")
        finally:
            current.dispose()
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        dst = sqlite3.connect(live, timeout=BUSY_TIMEOUT_MS / 1000)
        try:
            src.backup(dst)
            dst.execute("PRAGMA journal_mode = WAL")
        finally:
            dst.close()
    finally:
        src.close()
    return live


def check_integrity(db: Database) -> str:
    with db.reader.connect() as conn:
        return str(conn.exec_driver_sql("PRAGMA integrity_check").scalar_one())
