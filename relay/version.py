"""The relay's version and the table layouts it knows, for ``minichat-relay --version``, the
``minichat_relay_build_info`` metric and the start-up log line: what an operator checks after
an upgrade, and what a refusal such as "upgraded by a newer relay (schema 4; this relay knows
up to 3)" is compared with."""

from __future__ import annotations

from importlib import metadata

from relay.storage import SCHEMA_VERSION

DIST_NAME = "minichat"  # the distribution the relay is installed from (pyproject.toml)


def version() -> str:
    """The installed package's version ("unknown" when run from files not installed)."""
    try:
        return metadata.version(DIST_NAME)
    except metadata.PackageNotFoundError:
        return "unknown"


def sqlite_schema() -> int:
    """The SQLite table layout this relay brings its file to."""
    return SCHEMA_VERSION


def postgresql_schema() -> int | None:
    """The PostgreSQL table layout this relay brings a database to (None without psycopg,
    which only the shared store needs)."""
    try:
        from relay import pg_schema
    except ImportError:
        return None
    return pg_schema.newest()


def describe(postgresql: bool = True) -> str:
    """``minichat-relay 1.2.3 (tables: SQLite schema 5, PostgreSQL schema 3)`` (without the
    PostgreSQL layout when not ``postgresql``: working it out loads psycopg)."""
    pg = postgresql_schema() if postgresql else None
    tables = f"SQLite schema {SCHEMA_VERSION}" + (f", PostgreSQL schema {pg}" if pg else "")
    return f"minichat-relay {version()} (tables: {tables})"
