"""An older relay on a SQLite file a newer relay upgraded (a rollback, an old copy of the
program on a restored folder): it refuses to start, changing nothing, in the words the
PostgreSQL store uses (relay/storage.py, SchemaMismatch.check); the CLI exits 2 with them. So
does a file whose schema version no relay writes (it used to end in a ValueError's
traceback)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from relay.cli import main
from relay.storage import SCHEMA_VERSION, SchemaMismatch, Store


def _set_version(folder: Path, value: str) -> list[tuple[str, str]]:
    """Write ``value`` as the folder's schema version; returns the file's layout."""
    Store(folder).close()
    db = sqlite3.connect(folder / "relay.sqlite3")
    db.execute("UPDATE meta SET value=? WHERE key='schema_version'", (value,))
    db.commit()
    db.close()
    return _layout(folder)


def _layout(folder: Path) -> list[tuple[str, str]]:
    db = sqlite3.connect(folder / "relay.sqlite3")
    rows = db.execute("SELECT name, sql FROM sqlite_master ORDER BY name").fetchall()
    rows += db.execute("SELECT key, value FROM meta ORDER BY key").fetchall()
    db.close()
    return [(str(a), str(b)) for a, b in rows]


def test_a_file_a_newer_relay_upgraded_is_refused_and_left_as_it_was(tmp_path: Path) -> None:
    """Schema 6 on a relay that knows 5: SchemaMismatch naming the file, the versions and
    what to do; the file's tables and version are untouched."""
    newer = str(SCHEMA_VERSION + 1)
    before = _set_version(tmp_path, newer)

    with pytest.raises(SchemaMismatch) as refused:
        Store(tmp_path)

    assert str(refused.value) == (
        f"the database at {tmp_path / 'relay.sqlite3'} was upgraded by a newer relay (schema"
        f" {newer}; this relay knows up to {SCHEMA_VERSION}): run that version or newer, or"
        " restore a backup taken before the upgrade"
    )
    assert _layout(tmp_path) == before


def test_the_cli_exits_2_on_a_version_no_relay_writes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``shops list`` on a file whose schema_version is "five": exit 2, the message on
    stderr, nothing on stdout, the file untouched."""
    before = _set_version(tmp_path, "five")

    code = main(["--data-dir", str(tmp_path), "shops", "list"])

    out, err = capsys.readouterr()
    assert (code, out) == (2, "")
    assert err == (
        f"minichat-relay: the database at {tmp_path / 'relay.sqlite3'} has schema_version"
        f" 'five' in its meta table, which no relay writes (this relay knows schema 1 to"
        f" {SCHEMA_VERSION}): it is not a MiniChat relay's database, or it was changed by"
        " hand; check the relay's --store (or --data-dir), or restore a backup of its"
        " database\n"
    )
    assert _layout(tmp_path) == before
