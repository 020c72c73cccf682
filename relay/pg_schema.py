"""The layout of the relay's tables on PostgreSQL (relay/store_pg.py) by version, and how a
starting relay brings a database to the newest one it knows (docs/deploy.md, "Upgrading relays
on PostgreSQL"; the SQLite store has its own, relay/storage.py's ``_migrate``).

- :data:`BASE` is schema 3, the first layout on PostgreSQL, as relays before these versions
  made it. It is never edited: a database at schema 3 or later has it already, so a change
  made there would reach new databases only. A change is a new :class:`Step` at the end of
  :data:`STEPS` (its number: the one before it plus one).
- :func:`prepare` runs at every start, in one transaction under an advisory lock, so several
  processes may start at once: one upgrades, the others wait for its COMMIT and then find
  nothing to do. It reads ``meta.schema_version``: absent (a new database) gives :data:`BASE`
  and every step; an older version, the steps after it, in order; a newer one than this
  relay's steps reach, or a value no relay writes, :class:`relay.storage.SchemaMismatch`
  with nothing changed. A step that fails rolls everything back (PostgreSQL's DDL is
  transactional): the database stays at the version it had.
- A step's statements take their tables' locks, so they wait for the transactions of relays
  still serving (short ones) and hold those relays' next statements on the tables until the
  COMMIT: a step is DDL and quick data changes, never a long copy. A table another session
  holds longer (a pg_dump holds them all for its whole run) makes the upgrade give up after
  :data:`UPGRADE_LOCK_WAIT` rather than stall every relay until the dump ends. A database
  already at the newest schema gets no DDL at all: a relay restarted during a backup starts.

Used by relay/store_pg.py only; psycopg is needed for it, as there.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
import psycopg.errors

from relay.storage import SchemaMismatch, StoreError

BASE_VERSION = 3
# two processes starting at once: one prepares, the other waits for its COMMIT
LOCK = "SELECT pg_advisory_xact_lock(hashtext('minichat_relay_schema'))"
# seconds an upgrade waits for a table another session holds (a pg_dump holds every table
# for its whole run) before it gives up: meanwhile the tables it has locked already stall the
# relays still serving
UPGRADE_LOCK_WAIT = 3.0

# Schema 3 (never edited: see the module's docstring). The tables of SQLite's store in
# PostgreSQL's types, plus webhook_inbox.claimed_until and meta_inbox.claimed_until (a process's
# lease on a webhook body), line_batches.n (their order) and desktops (where each shop's desktop
# is connected); Meta's tables as relay/meta_schema.py had them when this was written.
BASE = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS shops(
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    token_hash BYTEA NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    widget_config TEXT,
    allowed_origins TEXT NOT NULL DEFAULT '[]',
    line_secret BYTEA,
    line_token BYTEA,
    desktop_ack BIGINT NOT NULL DEFAULT 0,
    next_seq BIGINT NOT NULL DEFAULT 1,
    presence TEXT NOT NULL DEFAULT 'online'
);
CREATE TABLE IF NOT EXISTS stream(
    shop_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    frame TEXT NOT NULL,
    conversation TEXT,
    msg_id TEXT,
    PRIMARY KEY(shop_id, seq)
);
CREATE TABLE IF NOT EXISTS sessions(
    token_hash BYTEA PRIMARY KEY,
    shop_id TEXT NOT NULL,
    sid TEXT NOT NULL,
    created_at DOUBLE PRECISION NOT NULL,
    UNIQUE(shop_id, sid)
);
CREATE TABLE IF NOT EXISTS conversations(
    shop_id TEXT NOT NULL,
    conversation TEXT NOT NULL,
    next_cseq BIGINT NOT NULL DEFAULT 1,
    widget_ack BIGINT NOT NULL DEFAULT 0,
    widget_read BIGINT NOT NULL DEFAULT 0,
    reply_token TEXT,
    reply_token_at DOUBLE PRECISION,
    away_notice_at DOUBLE PRECISION,
    created_at DOUBLE PRECISION NOT NULL,
    PRIMARY KEY(shop_id, conversation)
);
CREATE TABLE IF NOT EXISTS history(
    shop_id TEXT NOT NULL,
    conversation TEXT NOT NULL,
    cseq BIGINT NOT NULL,
    origin TEXT NOT NULL,
    msg_id TEXT NOT NULL,
    message TEXT NOT NULL,
    status TEXT,
    created_at DOUBLE PRECISION NOT NULL,
    seq BIGINT,
    rseq BIGINT,
    PRIMARY KEY(shop_id, conversation, cseq)
);
CREATE UNIQUE INDEX IF NOT EXISTS history_msg ON history(shop_id, conversation, origin, msg_id);
CREATE INDEX IF NOT EXISTS history_stream ON history(shop_id, seq) WHERE seq IS NOT NULL;
CREATE INDEX IF NOT EXISTS history_receipt ON history(shop_id, rseq) WHERE rseq IS NOT NULL;
CREATE TABLE IF NOT EXISTS line_outbox(
    id BIGSERIAL PRIMARY KEY,
    shop_id TEXT NOT NULL,
    conversation TEXT NOT NULL,
    msg_id TEXT NOT NULL,
    message TEXT NOT NULL,
    retry_key TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_at DOUBLE PRECISION NOT NULL DEFAULT 0,
    batch_key TEXT
);
CREATE INDEX IF NOT EXISTS line_outbox_shop ON line_outbox(shop_id, id);
CREATE TABLE IF NOT EXISTS line_batches(
    n BIGSERIAL,
    retry_key TEXT PRIMARY KEY,
    shop_id TEXT NOT NULL,
    conversation TEXT NOT NULL,
    body BYTEA NOT NULL,
    parts TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_at DOUBLE PRECISION NOT NULL DEFAULT 0,
    created_at DOUBLE PRECISION NOT NULL
);
CREATE INDEX IF NOT EXISTS line_batches_shop ON line_batches(shop_id, n);
CREATE TABLE IF NOT EXISTS webhook_inbox(
    id BIGSERIAL PRIMARY KEY,
    shop_id TEXT NOT NULL,
    body BYTEA NOT NULL,
    received_at DOUBLE PRECISION NOT NULL,
    claimed_until DOUBLE PRECISION NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS line_events(
    shop_id TEXT NOT NULL,
    event_id TEXT NOT NULL,
    received_at DOUBLE PRECISION NOT NULL,
    PRIMARY KEY(shop_id, event_id)
);
CREATE TABLE IF NOT EXISTS line_quota(
    shop_id TEXT NOT NULL,
    month TEXT NOT NULL,
    pushed BIGINT NOT NULL DEFAULT 0,
    quota BIGINT,
    notified INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY(shop_id, month)
);
-- where each shop's desktop is connected: the relay process (its connection's
-- application_name; a row whose process has no connection left is stale) and its presence
CREATE TABLE IF NOT EXISTS desktops(
    shop_id TEXT PRIMARY KEY,
    process TEXT NOT NULL,
    presence TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS media(
    id TEXT PRIMARY KEY,
    shop_id TEXT NOT NULL,
    mime TEXT NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    size INTEGER NOT NULL,
    data BYTEA NOT NULL,
    created_at DOUBLE PRECISION NOT NULL
);
-- Messenger / Instagram, profiles (relay/meta_schema.py)
CREATE TABLE IF NOT EXISTS meta_accounts(
    shop_id TEXT PRIMARY KEY,
    app_secret BYTEA NOT NULL,
    page_token BYTEA NOT NULL,
    verify_token BYTEA NOT NULL
);
-- Meta webhook bodies, stored (after the signature check) before the 200
CREATE TABLE IF NOT EXISTS meta_inbox(
    id BIGSERIAL PRIMARY KEY,
    shop_id TEXT NOT NULL,
    body BYTEA NOT NULL,
    received_at DOUBLE PRECISION NOT NULL
);
CREATE TABLE IF NOT EXISTS meta_events(
    shop_id TEXT NOT NULL,
    key TEXT NOT NULL,
    received_at DOUBLE PRECISION NOT NULL,
    PRIMARY KEY(shop_id, key)
);
-- the shopper's last message or postback (Meta's time, seconds): the 24-hour window
CREATE TABLE IF NOT EXISTS meta_windows(
    shop_id TEXT NOT NULL,
    conversation TEXT NOT NULL,
    last_in DOUBLE PRECISION NOT NULL,
    PRIMARY KEY(shop_id, conversation)
);
-- shop -> Meta: a message until all its Send API requests went (``done`` of them so far)
CREATE TABLE IF NOT EXISTS meta_outbox(
    id BIGSERIAL PRIMARY KEY,
    shop_id TEXT NOT NULL,
    conversation TEXT NOT NULL,
    msg_id TEXT NOT NULL,
    message TEXT NOT NULL,
    kind TEXT NOT NULL,  -- {"messaging_type": ..., "tag": ...} as decided when accepted
    done INTEGER NOT NULL DEFAULT 0,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_at DOUBLE PRECISION NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS meta_outbox_conv ON meta_outbox(shop_id, conversation, id);
CREATE TABLE IF NOT EXISTS meta_sent(
    shop_id TEXT NOT NULL,
    mid TEXT NOT NULL,
    conversation TEXT NOT NULL,
    msg_id TEXT NOT NULL,
    sent_at DOUBLE PRECISION NOT NULL,
    status TEXT NOT NULL DEFAULT 'sent',
    PRIMARY KEY(shop_id, mid)
);
-- every page or Instagram comment the relay passed on: where it was written (the private
-- reply goes through that account) and when (Meta allows a private reply within 7 days)
CREATE TABLE IF NOT EXISTS meta_comments(
    shop_id TEXT NOT NULL,
    comment_id TEXT NOT NULL,
    platform TEXT NOT NULL,
    account_id TEXT NOT NULL,
    created_at DOUBLE PRECISION NOT NULL,
    PRIMARY KEY(shop_id, comment_id)
);
-- when the relay last fetched a shopper's profile (Messenger, Instagram and LINE alike:
-- relay/profiles.py), so it asks again only after PROFILE_MAX_AGE
CREATE TABLE IF NOT EXISTS shopper_profiles(
    shop_id TEXT NOT NULL,
    conversation TEXT NOT NULL,
    fetched_at DOUBLE PRECISION NOT NULL,
    PRIMARY KEY(shop_id, conversation)
);
ALTER TABLE meta_inbox ADD COLUMN IF NOT EXISTS
    claimed_until DOUBLE PRECISION NOT NULL DEFAULT 0;

"""
BASE_TABLES = tuple(re.findall(r"CREATE TABLE IF NOT EXISTS (\w+)", BASE))


@dataclass(frozen=True)
class Step:
    """One upgrade: the SQL that takes a database from schema ``version - 1`` to ``version``
    (run in the upgrade's transaction; plain statements, no parameters), and why, for the
    log and the next engineer."""

    version: int
    why: str
    sql: str


# The upgrades after BASE, in order. None yet: PostgreSQL's tables have everything the code
# uses (the columns SQLite's store gained since, history.dfrom/dto/rfrom/rto, carry receipts
# riding on a message's row, which the PostgreSQL store does not do; the index history_msg,
# which SQLite dropped, is what drops a resend another process stored: INSERT … ON CONFLICT).
STEPS: tuple[Step, ...] = ()


@dataclass(frozen=True)
class Prepared:
    """What :func:`prepare` found and left: ``found`` None for a new database."""

    found: int | None
    version: int


def newest(steps: Sequence[Step] = STEPS) -> int:
    """The schema ``steps`` lead to (:data:`BASE_VERSION` with none). Raises ValueError when
    they are not numbered one after another from BASE_VERSION + 1 (our bug)."""
    for n, step in enumerate(steps, BASE_VERSION + 1):
        if step.version != n:
            raise ValueError(f"upgrade step {step.version} is out of order: expected {n}")
    return BASE_VERSION + len(steps)


def prepare(
    conn: psycopg.Connection[Any],
    where: str,
    steps: Sequence[Step] = STEPS,
    lock_wait: float = UPGRADE_LOCK_WAIT,
) -> Prepared:
    """Bring the database on ``conn`` (autocommit, no transaction open; ``where``: how to
    name it, without the password) to schema ``newest(steps)``, as the module's docstring
    says; a database there already gets no DDL (it would take its tables' locks). Raises
    SchemaMismatch (a newer or unknown schema: nothing changed; the operator must act) or
    StoreError (the database failed, a step did, or a table stayed locked by another session
    for ``lock_wait`` seconds: nothing changed)."""
    last = newest(steps)
    try:
        with conn.transaction():
            conn.execute(LOCK)
            found = _version(conn, where, last)
            # BASE again on a schema-3 database that lacks a table of it: one made before
            # Messenger on PostgreSQL (IF NOT EXISTS throughout, as relays always ran it)
            base = found is None or (found == BASE_VERSION and _lacks_base_tables(conn))
            if found == last and not base:
                return Prepared(found, last)
            wait_ms = max(1, round(lock_wait * 1000))  # (0 would be no limit)
            conn.execute("SELECT set_config('lock_timeout', %s, true)", (str(wait_ms),))
            if base:
                conn.execute(BASE)
            for step in steps:
                if found is None or step.version > found:
                    _run(conn, where, step)
            conn.execute(
                "INSERT INTO meta(key, value) VALUES('schema_version', %s)"
                " ON CONFLICT(key) DO UPDATE SET value=excluded.value",
                (str(last),),
            )
    except psycopg.errors.LockNotAvailable as exc:
        raise StoreError(_held(where, lock_wait)) from exc
    except psycopg.Error as exc:
        raise StoreError(f"cannot create the tables in {where}: {exc}") from exc
    return Prepared(found, last)


def _held(where: str, lock_wait: float) -> str:
    return (
        f"cannot upgrade the tables in {where}: another session held them for over"
        f" {lock_wait:g} s (a pg_dump, or a long transaction); nothing was changed; start the"
        " relay again once it is over"
    )


def _lacks_base_tables(conn: psycopg.Connection[Any]) -> bool:
    row = conn.execute(
        "SELECT count(*) FROM unnest(%s::text[]) AS t(name) WHERE to_regclass(t.name) IS NULL",
        (list(BASE_TABLES),),
    ).fetchone()
    return row is not None and int(row[0]) > 0


def _version(conn: psycopg.Connection[Any], where: str, last: int) -> int | None:
    """The database's schema (None: new), or SchemaMismatch when this relay cannot use it."""
    if conn.execute("SELECT to_regclass('meta')").fetchone() == (None,):
        return None
    row = conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
    if row is None:
        return None
    return SchemaMismatch.check(where, str(row[0]), (BASE_VERSION, last))


def _run(conn: psycopg.Connection[Any], where: str, step: Step) -> None:
    try:
        conn.execute(step.sql)
    except psycopg.errors.LockNotAvailable:
        raise  # (prepare says what)
    except psycopg.Error as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc)
        raise StoreError(
            f"cannot upgrade the tables in {where} to schema {step.version} ({step.why}):"
            f" {first}; nothing was changed: the relay version before this one still runs on it;"
            " report this message"
        ) from exc
