"""Raw SQL inside a unit of work, for the few hot paths where SQLAlchemy's own Python costs
more than SQLite's work, and the unit-of-work shape the use cases are run in.

Use cases take an open :class:`~sqlalchemy.orm.Session`; whoever runs them (the application
layer, the CLI, tests) gets one from a :class:`UnitOfWork` — in the app, the shop database of
:mod:`minichat_desktop.storage.db`.
"""

from __future__ import annotations

import functools
import re
import sqlite3
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from sqlalchemy import FromClause
    from sqlalchemy.engine import Dialect
    from sqlalchemy.orm import Session


# The table a data-changing statement writes: ``INSERT [OR x] INTO t``, ``UPDATE [OR x] t``,
# ``DELETE FROM t``, ``REPLACE INTO t`` (leading comments and blanks allowed).
_WRITES = re.compile(
    r"^\s*(?:INSERT(?:\s+OR\s+\w+)?\s+INTO|UPDATE(?:\s+OR\s+\w+)?|DELETE\s+FROM|REPLACE\s+INTO)"
    r"\s+[\"`\[]?(\w+)",
    re.IGNORECASE,
)
# Where a session keeps the tables written through a DriverConnection until its commit.
WRITTEN_KEY = "minichat.written"


def table_written(sql: str) -> str | None:
    """The table a statement changes, or None for a query (or DDL)."""
    m = _WRITES.match(sql)
    return m.group(1).lower() if m else None


class UnitOfWork(Protocol):
    """Where sessions come from: ``write()`` commits when its block ends normally and rolls
    back on any exception; ``read()`` never writes."""

    def write(self) -> AbstractContextManager[Session]: ...

    def read(self) -> AbstractContextManager[Session]: ...


class DriverConnection:
    """The ``sqlite3`` connection under a session's transaction, for the few hot paths (placing
    an order) where SQLAlchemy's own Python — 0.15 ms per Core statement, more for the ORM —
    costs more than SQLite's work.

    Pending ORM changes are flushed first, and statements run in the session's transaction.
    Values are converted by each column type's own bind processor, so rows are stored exactly
    as SQLAlchemy stores them. Errors are plain ``sqlite3`` errors (``Database.write``
    still turns "locked" or "disk full" into :class:`EnvironmentProblem`). ORM objects already
    loaded do not see changes made here: expire them.
    """

    def __init__(self, session: Session) -> None:
        session.flush()
        conn = session.connection()
        self.dialect: Dialect = conn.dialect
        dbapi = conn.connection.driver_connection
        assert isinstance(dbapi, sqlite3.Connection)
        self.dbapi = dbapi
        # What this unit of work changed (read by the database after the commit).
        self.written: set[str] = session.info.setdefault(WRITTEN_KEY, set())

    def execute(self, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()) -> sqlite3.Cursor:
        table = table_written(sql)
        if table is not None:
            self.written.add(table)
        return self.dbapi.execute(sql, params)

    def insert(self, table: FromClause, row: Mapping[str, Any]) -> int:
        """Insert one row (every column but the integer key ``id``); returns its id."""
        sql, names, procs = _insert_plan(table, self.dialect, 1)
        self.written.add(table.name)  # type: ignore[attr-defined]  # a Table (see _insert_plan)
        cur = self.dbapi.execute(sql, _bind(row, names, procs))
        return int(cur.fetchone()[0])

    def insert_all(self, table: FromClause, rows: Sequence[Mapping[str, Any]]) -> list[int]:
        """Insert ``rows`` as one statement, so a failing row (a CHECK, a trigger) leaves none
        stored — no savepoint needed. Returns their ids in the order of ``rows``."""
        if not rows:
            return []
        sql, names, procs = _insert_plan(table, self.dialect, len(rows))
        self.written.add(table.name)  # type: ignore[attr-defined]  # a Table (see _insert_plan)
        cur = self.dbapi.execute(sql, [v for row in rows for v in _bind(row, names, procs)])
        # RETURNING lists rows in no promised order, but one statement gives its rows rising
        # integer keys in the order of its VALUES: sorted, the ids are in the order of rows.
        return sorted(int(r[0]) for r in cur.fetchall())


@functools.lru_cache(maxsize=256)
def _insert_plan(
    table: FromClause, dialect: Dialect, n_rows: int
) -> tuple[str, tuple[str, ...], tuple[tuple[int, Any], ...]]:
    """The INSERT … RETURNING id of ``n_rows`` rows, the column names, and (position, bind
    processor) of the columns whose type converts values."""
    from sqlalchemy import Table

    assert isinstance(table, Table), table
    cols = [c for c in table.columns if c.name != "id"]
    names = tuple(c.name for c in cols)
    # What SQLAlchemy itself applies: the dialect-specific implementation of each type.
    procs = tuple(
        (i, proc)
        for i, c in enumerate(cols)
        if (proc := c.type.dialect_impl(dialect).bind_processor(dialect)) is not None
    )
    values = "(" + ", ".join("?" * len(cols)) + ")"
    sql = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES " + ", ".join([values] * n_rows)
    return sql + " RETURNING id", names, procs


def _bind(
    row: Mapping[str, Any], names: tuple[str, ...], procs: tuple[tuple[int, Any], ...]
) -> list[Any]:
    values = [row[n] for n in names]
    for i, proc in procs:
        values[i] = proc(values[i])
    return values
