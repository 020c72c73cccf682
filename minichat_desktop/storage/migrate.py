"""Bring a shop database's schema to the version this program knows (Alembic).

At start the app compares the file's ``alembic_version`` with :data:`HEAD_REVISION`, read with
plain ``sqlite3``; only when they differ does it import Alembic, back the file up (SQLite backup
API, into ``backups/``) and upgrade. A file made by a newer MiniChat is refused rather than
damaged.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from minichat_desktop import paths
from minichat_desktop.errors import EnvironmentProblem, UserError

if TYPE_CHECKING:
    from alembic.config import Config

    from minichat_desktop.domain.sql import UnitOfWork

    class Database(UnitOfWork, Protocol):
        """What upgrading needs of :class:`minichat_desktop.storage.db.Database` (which
        imports this module: a protocol keeps the two acyclic)."""

        path: Path

        def backup_to(self, target: Path) -> Path: ...


log = logging.getLogger(__name__)

MIGRATIONS_DIR = paths.project_root() / "migrations"

# The newest migration in MIGRATIONS_DIR, so that opening an up-to-date file need not import
# Alembic and scan the migration scripts (about 0.2 s). A test checks it against Alembic's head:
# update it with every new migration.
HEAD_REVISION = "0015"


def _config(migrations: Path) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(migrations))
    return cfg


@functools.cache
def known_revisions(migrations: Path = MIGRATIONS_DIR) -> tuple[str, frozenset[str]]:
    """(head revision, every revision) of the migrations shipped with this program."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(_config(migrations))
    heads = script.get_heads()
    if len(heads) != 1:
        raise RuntimeError(f"migrations must have one head, found {heads}")
    return heads[0], frozenset(rev.revision for rev in script.walk_revisions())


def current_revision(path: Path) -> str | None:
    """The revision stamped in the file, or None for a new or empty database."""
    if not path.exists():
        return None
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            row = con.execute(
                "SELECT name FROM sqlite_master WHERE type='table' AND name='alembic_version'"
            ).fetchone()
            if row is None:
                return None
            rev = con.execute("SELECT version_num FROM alembic_version").fetchone()
            return rev[0] if rev else None
        finally:
            con.close()
    except sqlite3.DatabaseError as exc:
        raise EnvironmentProblem(
            "env.not_a_database",
            f"{path} is not an SQLite database; restore a backup or choose another data folder",
            path=str(path),
        ) from exc


def upgrade_at_start(
    db: Database, *, backup: bool = True, migrations: Path = MIGRATIONS_DIR
) -> str | None:
    """Upgrade ``db`` to head if needed. Returns the backup's path when one was made.

    Raises :class:`UserError` when the file was made by a newer MiniChat.
    """
    log.info("sqlite %s, database %s", sqlite3.sqlite_version, db.path)
    current = current_revision(db.path)
    if migrations == MIGRATIONS_DIR and current == HEAD_REVISION:
        return None
    head, known = known_revisions(migrations)
    if current == head:
        return None
    if current is not None and current not in known:
        raise UserError(
            "db.too_new",
            f"{db.path} was made by a newer MiniChat (schema {current}); update MiniChat",
            path=str(db.path),
        )
    made = None
    if backup and current is not None:
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S")
        target = paths.backups_dir(db.path.parent) / f"before-upgrade-{current}-{stamp}.sqlite3"
        made = str(db.backup_to(target))
        log.info("backed up %s to %s before upgrading", db.path, target)
    upgrade(db.path, head, migrations)
    from minichat_desktop.domain import shop

    with db.write() as session:
        shop.ensure_defaults(session)
    return made


def upgrade(path: Path, revision: str = "head", migrations: Path = MIGRATIONS_DIR) -> None:
    _run(path, "upgrade", revision, migrations)


def downgrade(path: Path, revision: str, migrations: Path = MIGRATIONS_DIR) -> None:
    _run(path, "downgrade", revision, migrations)


def _run(path: Path, direction: str, revision: str, migrations: Path) -> None:
    from alembic import command
    from sqlalchemy import create_engine

    # A plain connection: foreign keys stay off while batch mode rebuilds tables.
    engine = create_engine(f"sqlite:///{path}")
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("PRAGMA journal_mode = WAL")
        with engine.connect() as conn:
            cfg = _config(migrations)
            cfg.attributes["connection"] = conn
            getattr(command, direction)(cfg, revision)
            conn.commit()
            bad = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if bad:
                raise EnvironmentProblem(
                    "env.migration_broke_keys",
                    f"migrating {path} left broken references: {bad[:5]}",
                    path=str(path),
                )
    finally:
        engine.dispose()
