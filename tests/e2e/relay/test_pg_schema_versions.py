"""The PostgreSQL store's schema versions (relay/pg_schema.py) on a real PostgreSQL server: a
new database is made at the newest schema, an older one is upgraded in place at start-up
(once, when two relays start together), a database a newer relay upgraded is refused with a
message the operator can act on (``serve`` exits 2), and a failed upgrade changes nothing.

No upgrade step exists yet (the base, schema 3, has everything the code uses: see
:func:`test_postgresql_has_every_table_column_and_index_of_sqlite_but_the_listed_ones`), so
the upgrades here are test steps handed to the store as its list of steps, as a newer relay's
code would hold them. The PostgreSQL server is Debian's, started once for this module
(tests/support/postgres.py); each test has a database of its own."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import sqlite3
import threading
from pathlib import Path
from typing import Any

import psycopg
import pytest
from support.postgres import PostgresServer
from support.relay_proc import relay_cli
from support.waiting import until

from relay import pg_schema
from relay import protocol as p
from relay.pg_schema import Step
from relay.storage import SchemaMismatch, Store, StoreError
from relay.store_pg import PgStore

# What a newer relay would bring: each step fails if run twice (a column added without IF NOT
# EXISTS, a meta row inserted without ON CONFLICT), so "upgraded once" is checked by the server.
NOTE = Step(
    4,
    "a note on each message (test)",
    "ALTER TABLE history ADD COLUMN test_note TEXT;"
    " INSERT INTO meta(key, value) VALUES('test_step_4', 'ran')",
)
BY_NOTE = Step(
    5,
    "messages found by note (test)",
    "CREATE INDEX history_test_note ON history(shop_id, test_note);"
    " INSERT INTO meta(key, value) VALUES('test_step_5', 'ran')",
)
BROKEN = Step(5, "a step that fails (test)", "ALTER TABLE no_such_table ADD COLUMN x TEXT")


@pytest.fixture(autouse=True)
def _relay_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MINICHAT_RELAY_KEY", "zGcV7GqfM8LqEJmF2vJ8ZtX4Xj0hS0n3wE8m0p3Yq1s=")


def _one(url: str, query: str) -> Any:
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(query).fetchone()
    return None if row is None else row[0]


def _version(url: str) -> str | None:
    value = _one(url, "SELECT value FROM meta WHERE key='schema_version'")
    return None if value is None else str(value)


def _layout(url: str) -> tuple[set[tuple[Any, ...]], set[tuple[Any, ...]]]:
    """Every column (table, name, type, nullable, default) and index (name, definition)."""
    with psycopg.connect(url, autocommit=True) as conn:
        columns = conn.execute(
            "SELECT table_name, column_name, data_type, is_nullable, column_default"
            " FROM information_schema.columns WHERE table_schema='public'"
        ).fetchall()
        indexes = conn.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname='public'"
        ).fetchall()
    return set(columns), set(indexes)


def _where(url: str) -> str:
    """How the store names the database of ``url`` (no user, no password)."""
    return "postgresql://127.0.0.1:" + url.split("@127.0.0.1:", 1)[1]


def _old_database(postgres: PostgresServer, tmp_path: Path) -> tuple[str, str, str]:
    """A database made by a relay of schema 3 (this code with no steps: the base is the
    layout those relays made), with a shop and a shopper message: (url, shop id, token)."""
    url = postgres.new_database()
    old = PgStore(url, tmp_path / "old", schema_steps=())
    shop_id, token = old.add_shop("ร้านเดิม")
    hello = p.Message("m1", p.Text("สวัสดีค่ะ"))
    old.add_shopper_message(shop_id, "widget:s1", hello, p.encode_obj(hello.to_obj()))
    old.commit()
    old.close()
    assert _version(url) == "3"
    return url, shop_id, token


def test_a_new_database_is_made_at_the_newest_schema(
    postgres: PostgresServer, tmp_path: Path
) -> None:
    """This relay's steps (none): schema 3; a relay with two more steps makes schema 5 at
    once, each step run once, the same layout as a schema-3 database upgraded to 5."""
    today = postgres.new_database()
    PgStore(today, tmp_path / "today").close()
    assert (_version(today), pg_schema.newest()) == ("3", 3)

    newer = postgres.new_database()
    PgStore(newer, tmp_path / "newer", schema_steps=(NOTE, BY_NOTE)).close()
    assert _version(newer) == "5"
    assert _one(newer, "SELECT count(*) FROM meta WHERE key LIKE 'test_step_%'") == 2

    PgStore(today, tmp_path / "today", schema_steps=(NOTE, BY_NOTE)).close()
    assert _layout(today) == _layout(newer)


def test_an_older_database_is_upgraded_in_place_with_its_rows(
    postgres: PostgresServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A schema-3 database with a shop and a message, opened by a relay that knows schema 5:
    both steps run in order, schema 5 is recorded, the shop and its message are there; opened
    again, nothing runs twice."""
    url, shop_id, token = _old_database(postgres, tmp_path)
    caplog.set_level(logging.INFO, logger="relay.store_pg")

    store = PgStore(url, tmp_path / "new", schema_steps=(NOTE, BY_NOTE))
    shop = store.shop_by_token(token)
    assert shop is not None and shop.id == shop_id
    assert store.find_message(shop_id, "widget:s1", p.Origin.SHOPPER, "m1") == 1
    store.close()
    assert _version(url) == "5"
    assert _one(url, "SELECT count(*) FROM history WHERE test_note IS NULL") == 1
    where = _where(url)
    upgraded = f"upgraded the tables in {where} from schema 3 to 5"
    assert [r.getMessage() for r in caplog.records] == [upgraded]

    PgStore(url, tmp_path / "new", schema_steps=(NOTE, BY_NOTE)).close()
    assert _one(url, "SELECT count(*) FROM meta WHERE key LIKE 'test_step_%'") == 2
    assert [r.getMessage() for r in caplog.records] == [upgraded]


def _waiting_for_locks(url: str) -> int:
    return int(_one(url, "SELECT count(*) FROM pg_locks WHERE locktype='advisory' AND NOT granted"))


def test_two_relays_starting_at_once_upgrade_it_once(
    postgres: PostgresServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Two relays that know schema 4 start on a schema-3 database together (both held at the
    schema lock until they wait on it side by side): one upgrades, the other then finds schema
    4 and changes nothing; both serve, each sees what the other writes."""
    url, _, _ = _old_database(postgres, tmp_path)
    caplog.set_level(logging.INFO, logger="relay.store_pg")
    opened: dict[str, PgStore | BaseException] = {}

    def start(name: str) -> None:
        try:
            opened[name] = PgStore(url, tmp_path / name, schema_steps=(NOTE,))
        except BaseException as exc:  # (the assertion below shows it)
            opened[name] = exc

    threads = [threading.Thread(target=start, args=(name,)) for name in ("a", "b")]
    try:
        with psycopg.connect(url, autocommit=True) as holder, holder.transaction():
            holder.execute(pg_schema.LOCK)
            for thread in threads:
                thread.start()
            asyncio.run(until(lambda: _waiting_for_locks(url) == 2, timeout=30))
        for thread in threads:
            thread.join(30)
        a, b = opened["a"], opened["b"]
        assert isinstance(a, PgStore) and isinstance(b, PgStore), opened
        assert _version(url) == "4"
        assert _one(url, "SELECT count(*) FROM meta WHERE key='test_step_4'") == 1
        assert [r.getMessage().split(" from ")[1] for r in caplog.records] == ["schema 3 to 4"]
        shop_id, token = a.add_shop("ร้านใหม่")
        a.commit()
        shop = b.shop_by_token(token)
        assert shop is not None and shop.id == shop_id
    finally:
        for thread in threads:
            if thread.ident is not None:  # (started)
                thread.join(30)
        for store in opened.values():
            if isinstance(store, PgStore):
                store.close()


def test_a_relay_refuses_a_database_a_newer_relay_upgraded(
    postgres: PostgresServer, tmp_path: Path
) -> None:
    """A relay that knows schema 3 on a schema-4 database: SchemaMismatch saying what and
    what to do, and the database is left as it was."""
    url, _, token = _old_database(postgres, tmp_path)
    PgStore(url, tmp_path / "newer", schema_steps=(NOTE,)).close()
    before = _layout(url)

    with pytest.raises(SchemaMismatch) as refused:
        PgStore(url, tmp_path / "older")
    where = _where(url)
    assert str(refused.value) == (
        f"the database at {where} was upgraded by a newer relay (schema 4; this relay knows"
        " up to 3): run that version or newer, or restore a backup taken before the upgrade"
    )
    assert (_version(url), _layout(url)) == ("4", before)
    again = PgStore(url, tmp_path / "newer", schema_steps=(NOTE,))
    assert again.shop_by_token(token) is not None
    again.close()


def test_a_failed_step_changes_nothing(postgres: PostgresServer, tmp_path: Path) -> None:
    """Steps 4 (fine) and 5 (fails) on a schema-3 database: StoreError naming the step, and
    not even step 4 stays (one transaction); this relay's own version still starts on it."""
    url, _, token = _old_database(postgres, tmp_path)
    before = _layout(url)

    with pytest.raises(StoreError) as failed:
        PgStore(url, tmp_path / "new", schema_steps=(NOTE, BROKEN))
    assert not isinstance(failed.value, SchemaMismatch)
    assert "to schema 5 (a step that fails (test)): relation" in str(failed.value)
    assert str(failed.value).endswith(
        "nothing was changed: the relay version before this one still runs on it;"
        " report this message"
    )
    assert (_version(url), _layout(url)) == ("3", before)
    store = PgStore(url, tmp_path / "old")
    assert store.shop_by_token(token) is not None
    store.close()


def _like_pg_dump(url: str) -> psycopg.Connection[Any]:
    """A session holding every table of the relay as pg_dump does for its whole run (ACCESS
    SHARE, in its transaction: close it to end the "backup")."""
    conn = psycopg.connect(url)
    conn.execute(f"LOCK TABLE {', '.join(pg_schema.BASE_TABLES)} IN ACCESS SHARE MODE")
    return conn


def test_a_relay_starting_during_a_backup_waits_for_nothing(
    postgres: PostgresServer, tmp_path: Path
) -> None:
    """On a database at this relay's schema, a relay starts while a pg_dump holds every table
    (no DDL, so no table lock: before versions, its CREATE INDEX and ALTER TABLE waited for
    the dump's end and stalled the running relays' writes meanwhile), and a running relay
    writes and commits during the dump too."""
    url, shop_id, _ = _old_database(postgres, tmp_path)
    running = PgStore(url, tmp_path / "a")
    dump = _like_pg_dump(url)
    opened: list[PgStore | BaseException] = []

    def start() -> None:
        try:
            opened.append(PgStore(url, tmp_path / "b"))
        except BaseException as exc:  # (the assertion below shows it)
            opened.append(exc)

    thread = threading.Thread(target=start)
    try:
        thread.start()
        thread.join(30)
        assert len(opened) == 1 and isinstance(opened[0], PgStore), opened
        assert running.add_history(
            shop_id, "widget:s1", p.Origin.SHOP, p.Message("r1", p.Text("ได้ค่ะ"))
        ) == (2, True)
        running.commit()
    finally:
        dump.close()
        thread.join(30)
        for store in (running, *opened):
            if isinstance(store, PgStore):
                store.close()


def test_an_upgrade_during_a_backup_gives_up_and_changes_nothing(
    postgres: PostgresServer, tmp_path: Path
) -> None:
    """An upgrade that meets a table a pg_dump holds waits ``lock_wait`` seconds, then gives
    up with a StoreError saying why and what to do, changing nothing; a relay's write to the
    table it waited for goes on at once, the dump still running; after the dump, it upgrades."""
    url, _, _ = _old_database(postgres, tmp_path)
    before = _layout(url)
    dump = _like_pg_dump(url)
    try:
        with (
            psycopg.connect(url, autocommit=True) as conn,
            pytest.raises(StoreError) as held,
        ):
            pg_schema.prepare(conn, "the test's database", (NOTE,), lock_wait=0.2)
        with psycopg.connect(url, autocommit=True) as writer:  # a relay, the dump still on
            writer.execute("SET lock_timeout TO '10s'")
            wrote = writer.execute(
                "INSERT INTO history(shop_id, conversation, cseq, origin, msg_id, message,"
                " created_at) VALUES('s', 'widget:s9', 1, 'shop', 'r9', '{}', 0)"
            )
            assert wrote.rowcount == 1
    finally:
        dump.close()
    assert str(held.value) == (
        "cannot upgrade the tables in the test's database: another session held them for over"
        " 0.2 s (a pg_dump, or a long transaction); nothing was changed; start the relay again"
        " once it is over"
    )
    assert (_version(url), _layout(url)) == ("3", before)
    PgStore(url, tmp_path / "new", schema_steps=(NOTE,)).close()
    assert _version(url) == "4"


def test_a_schema_3_database_from_before_messenger_gets_metas_tables(
    postgres: PostgresServer, tmp_path: Path
) -> None:
    """A schema-3 database made before Messenger reached PostgreSQL (no Meta tables, no
    lease column on their inbox) gets them at start, as relays always did, and then has the
    layout of a new database."""
    url, _, token = _old_database(postgres, tmp_path)
    meta_tables = pg_schema.BASE_TABLES[pg_schema.BASE_TABLES.index("meta_accounts") :]
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"DROP TABLE {', '.join(meta_tables)}")
    fresh = postgres.new_database()
    PgStore(fresh, tmp_path / "fresh").close()

    store = PgStore(url, tmp_path / "new")
    assert store.shop_by_token(token) is not None
    store.close()
    assert (_version(url), _layout(url)) == ("3", _layout(fresh))


@pytest.mark.parametrize(
    ("value", "told"),
    [
        (
            "4",
            "was upgraded by a newer relay (schema 4; this relay knows up to 3): run that version"
            " or newer, or restore a backup taken before the upgrade",
        ),
        (
            "v3-beta",
            "has schema_version 'v3-beta' in its meta table, which no relay writes (this relay"
            " knows schema 3): it is not a MiniChat relay's database, or it was changed by"
            " hand; check the relay's --store (or --data-dir), or restore a backup of its"
            " database",
        ),
    ],
)
def test_serve_refuses_a_database_it_cannot_run_on_and_exits_2(
    postgres: PostgresServer, tmp_path: Path, value: str, told: str
) -> None:
    """``minichat-relay serve --store`` on a database a newer relay upgraded (or whose version
    is garbage): exit 2, one line on stderr saying what, where and what to do, no traceback,
    and not the password that was in the URL."""
    url, _, _ = _old_database(postgres, tmp_path)
    if value == "4":
        PgStore(url, tmp_path / "newer", schema_steps=(NOTE,)).close()
    else:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("UPDATE meta SET value=%s WHERE key='schema_version'", (value,))
    with_password = url.replace("relay@", "relay:pw-Secret-9731@")

    res = relay_cli(tmp_path / "old", "--store", with_password, "serve", "--port", "0")

    assert res.returncode == 2, res.stderr
    assert res.stdout == ""
    assert res.stderr == f"minichat-relay: the database at {_where(url)} {told}\n"
    assert "pw-Secret-9731" not in res.stderr  # (nor any traceback: the line is all there is)
    assert _version(url) == value


def _sqlite_layout(data_dir: Path) -> tuple[set[str], set[str]]:
    store = Store(data_dir)
    store.close()
    db = sqlite3.connect(data_dir / "relay.sqlite3")
    tables = [
        str(r[0])
        for r in db.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"
        )
    ]
    columns = {f"{t}.{c[1]}" for t in tables for c in db.execute(f"PRAGMA table_info({t})")}
    indexes = {
        str(r[0])
        for r in db.execute("SELECT name FROM sqlite_master WHERE type='index' AND sql NOT NULL")
    }
    db.close()
    return columns, indexes


# What only one of the stores has, and why. A difference not listed here fails the test below:
# a column or index SQLite's store gained is one the PostgreSQL store needs too, as a new step
# in relay/pg_schema.py (or listed here with the reason it does not).
ONLY_SQLITE = {
    # a receipt riding on the row of the message that carried its ack (ADR 0012, SQLite's
    # schema 4): the PostgreSQL store writes receipts on rows of their own
    "history.dfrom",
    "history.dto",
    "history.rfrom",
    "history.rto",
}
ONLY_POSTGRESQL = {
    # where each shop's desktop is connected (another process may hold its socket)
    "desktops.shop_id",
    "desktops.process",
    "desktops.presence",
    # a process's lease on a webhook body it works (another takes it when the lease ends)
    "webhook_inbox.claimed_until",
    "meta_inbox.claimed_until",
    # the order of a shop's LINE requests (SQLite has its rowid)
    "line_batches.n",
    # a message id once per conversation and origin: what drops a resend another process
    # stored (INSERT … ON CONFLICT DO NOTHING); SQLite's one writer keeps ids in memory and
    # dropped it (its schema 5)
    "index history_msg",
}


def test_postgresql_has_every_table_column_and_index_of_sqlite_but_the_listed_ones(
    postgres: PostgresServer, tmp_path: Path
) -> None:
    """The tables a new PostgreSQL database gets have the SQLite store's tables, columns and
    named indexes, but for the differences listed with their reasons."""
    url = postgres.new_database()
    PgStore(url, tmp_path / "pg").close()
    columns, indexes = _layout(url)
    pg = {f"{c[0]}.{c[1]}" for c in columns} | {
        f"index {i[0]}" for i in indexes if not i[0].endswith(("_pkey", "_key"))
    }
    sqlite_columns, sqlite_indexes = _sqlite_layout(tmp_path / "sqlite")
    lite = sqlite_columns | {f"index {name}" for name in sqlite_indexes}
    assert (lite - pg, pg - lite) == (ONLY_SQLITE, ONLY_POSTGRESQL)


def test_the_base_layout_is_the_one_schema_3_databases_have() -> None:
    """relay/pg_schema.py's BASE is what every schema-3 database got and is never edited (an
    edit would reach new databases only): a change to the tables is a new step instead."""
    digest = hashlib.sha256(pg_schema.BASE.encode()).hexdigest()
    assert digest == "3967b1e86cba45b2aab655c46de345411b7651b434741674ce0e33d811e08871", (
        "relay/pg_schema.py BASE changed: databases at schema 3 or later will not get the"
        " change. Put it back as it was and add the change as a new Step in STEPS."
    )
