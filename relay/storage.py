"""The relay's durable state: one SQLite file (WAL) in the data folder.

One connection, used from one thread (the event loop, or the CLI). Writes open a transaction
implicitly; :meth:`Store.commit` ends it. The server commits in groups (all frames handled in
one loop turn share one commit) and acknowledges a message only after its commit returned, so
a ``kill -9`` can lose only what nobody was told was stored.

Secrets: shop tokens and widget session tokens are kept as SHA-256 hashes; LINE channel
credentials are encrypted with Fernet (key from ``MINICHAT_RELAY_KEY`` or ``relay.key`` in the
data folder, mode 0600).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import json
import logging
import os
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from relay import fastframes as ff
from relay import meta_schema
from relay import protocol as p

log = logging.getLogger(__name__)

SCHEMA_VERSION = 5  # 2: LINE requests kept whole for their retries (line_batches)
# 3: a shopper message is stored once: its history row carries its stream seq (history.seq),
#    and a shop message the widget has carries the seq of its "delivered" receipt (history.rseq)
# 4: a "delivered" receipt whose ack rode in the shopper's next message rides on that
#    message's row (history.dfrom, history.dto: the shop messages it covers; its seq is the
#    row's seq - 1), so a round trip writes two rows: the question and the reply; so does a
#    "read" receipt whose read mark rode with it (history.rfrom, history.rto; seq - 1, and the
#    delivered one seq - 2 when both ride)
# 5: no index history_msg (shop_id, conversation, origin, msg_id): a message id is looked up
#    in memory first (Store._msg_ids), and in the conversation's rows only when it may be
#    there; its B-tree was half the pages a busy commit wrote (docs/adr/0012, schema 5)

# seconds between writes of the counters that nothing else records (a widget's ack or read
# mark with no receipt on a row, the shop's stream counters when no stream row was deleted):
# each write is a row per busy conversation, so a shorter interval costs rows on every round
# trip of an active shopper. What these rows hold is rebuilt from the history when lost.
CONV_FLUSH_EVERY = 5.0

# message ids (as hashes, see Store._msg_ids) kept in memory, about 120 bytes each; past this
# the conversations least recently used are dropped down to three quarters of it, to be read
# again when needed (Store._trim_ids)
MSG_IDS_KEPT = 250_000
# ... but only the ids of conversations idle this long go: a conversation in use keeps them
# (dropping the ids of conversations still talking would read them back at their next
# message, over and over, once they are more than MSG_IDS_KEPT together)
MSG_IDS_IDLE = 600.0

# widget sessions known to exist (a cache of the sessions table, ~200 bytes each: every new
# visitor of every shop makes one); past this it starts over, read from the rows again
SESSIONS_KEPT = 100_000

# The WAL file (relay.sqlite3-wal) is started over once it holds this many bytes of frames.
# Under steady traffic the checkpoint thread never finds it wholly copied between two of the
# event loop's commits, so SQLite itself would never start it over: it grew by 35 MB a second
# at 3,200 relayed messages a second until the disk was full (see _Checkpointer). Each time
# costs the event loop a pause of three fsyncs (8-12 ms on the benchmark's machine), hence
# not more often: at the relay's full speed (~100 MB of WAL a second) every 5 s; at 1,000
# messages a second (~15 MB a second, commits hardly grouped) every 35 s.
WAL_REWIND_BYTES = 512 * 1024 * 1024
CHECKPOINT_EVERY = 1.0  # seconds between the checkpoint thread's passes

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS shops(
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    token_hash BLOB NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    widget_config TEXT,
    allowed_origins TEXT NOT NULL DEFAULT '[]',
    line_secret BLOB,
    line_token BLOB,
    desktop_ack INTEGER NOT NULL DEFAULT 0,
    next_seq INTEGER NOT NULL DEFAULT 1,
    presence TEXT NOT NULL DEFAULT 'online'
);
-- relay -> desktop: stream items waiting for the desktop's ack, except shopper messages (since
-- schema 3 those are their history rows, with history.seq; the stream is both, in seq order)
CREATE TABLE IF NOT EXISTS stream(
    shop_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    frame TEXT NOT NULL,
    conversation TEXT,  -- set on shopper messages, to tell the widget "delivered" on ack
    msg_id TEXT,
    PRIMARY KEY(shop_id, seq)
);
CREATE TABLE IF NOT EXISTS sessions(
    token_hash BLOB PRIMARY KEY,
    shop_id TEXT NOT NULL,
    sid TEXT NOT NULL,
    created_at REAL NOT NULL,
    UNIQUE(shop_id, sid)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS conversations(
    shop_id TEXT NOT NULL,
    conversation TEXT NOT NULL,
    next_cseq INTEGER NOT NULL DEFAULT 1,
    widget_ack INTEGER NOT NULL DEFAULT 0,
    widget_read INTEGER NOT NULL DEFAULT 0,
    reply_token TEXT,
    reply_token_at REAL,
    away_notice_at REAL,
    created_at REAL NOT NULL,
    PRIMARY KEY(shop_id, conversation)
) WITHOUT ROWID;
-- every message of every conversation, both ways (the widget's history; dedupe by id)
CREATE TABLE IF NOT EXISTS history(
    shop_id TEXT NOT NULL,
    conversation TEXT NOT NULL,
    cseq INTEGER NOT NULL,
    origin TEXT NOT NULL,
    msg_id TEXT NOT NULL,
    message TEXT NOT NULL,
    status TEXT,
    created_at REAL NOT NULL,
    seq INTEGER,  -- a shopper message's stream seq (the desktop's copy is this row)
    rseq INTEGER,  -- a shop message's "delivered" receipt: its stream seq (shared by its ids)
    -- a shopper message that carried the widget's ack: the "delivered" receipt of the shop's
    -- messages dfrom < cseq <= dto (those without rseq, not relay- notices) rides on this
    -- row under stream seq seq - 1, or seq - 2 when a read receipt rides too (schema 4)
    dfrom INTEGER,
    dto INTEGER,
    -- and the "read" receipt of the shop's messages rfrom < cseq <= rto (not relay- notices)
    -- under seq - 1 (the delivered one then takes seq - 2)
    rfrom INTEGER,
    rto INTEGER,
    PRIMARY KEY(shop_id, conversation, cseq)
);
-- (schema 5: a message's id is unique in its conversation and origin without an index of its
-- own; see Store._msg_ids)
DROP INDEX IF EXISTS history_msg;
CREATE INDEX IF NOT EXISTS history_stream ON history(shop_id, seq) WHERE seq IS NOT NULL;
CREATE INDEX IF NOT EXISTS history_receipt ON history(shop_id, rseq) WHERE rseq IS NOT NULL;
DROP INDEX IF EXISTS history_age;
-- shop -> LINE: messages until LINE accepted them
CREATE TABLE IF NOT EXISTS line_outbox(
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    shop_id TEXT NOT NULL,
    conversation TEXT NOT NULL,
    msg_id TEXT NOT NULL,
    message TEXT NOT NULL,
    retry_key TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_at REAL NOT NULL DEFAULT 0,
    batch_key TEXT  -- the LINE request (line_batches.retry_key) this message went into
);
CREATE INDEX IF NOT EXISTS line_outbox_shop ON line_outbox(shop_id, id);
-- one LINE request, stored before its first attempt: every retry sends these very bytes under
-- this X-Line-Retry-Key; ``parts`` is [[line_outbox.id, how many LINE messages], ...] in order
CREATE TABLE IF NOT EXISTS line_batches(
    retry_key TEXT PRIMARY KEY,
    shop_id TEXT NOT NULL,
    conversation TEXT NOT NULL,
    body BLOB NOT NULL,
    parts TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_at REAL NOT NULL DEFAULT 0,
    created_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS line_batches_shop ON line_batches(shop_id);
-- LINE webhook bodies, stored (after the signature check) before the 200
CREATE TABLE IF NOT EXISTS webhook_inbox(
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    shop_id TEXT NOT NULL,
    body BLOB NOT NULL,
    received_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS line_events(
    shop_id TEXT NOT NULL,
    event_id TEXT NOT NULL,
    received_at REAL NOT NULL,
    PRIMARY KEY(shop_id, event_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS line_quota(
    shop_id TEXT NOT NULL,
    month TEXT NOT NULL,
    pushed INTEGER NOT NULL DEFAULT 0,
    quota INTEGER,
    notified INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY(shop_id, month)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS media(
    id TEXT PRIMARY KEY,
    shop_id TEXT NOT NULL,
    mime TEXT NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    size INTEGER NOT NULL,
    data BLOB NOT NULL,
    created_at REAL NOT NULL
);
"""


class StoreError(Exception):
    """The environment failed us: disk full, database locked, unreadable key file."""


class SchemaMismatch(StoreError):
    """The database's tables are not a layout this relay can run on (a newer relay upgraded
    them, or they are not a relay's): starting again does not help, the operator must act
    (the CLI exits 2). Nothing was changed."""

    @classmethod
    def check(cls, where: str, found: str, known: tuple[int, int]) -> int:
        """The schema version ``found`` (the text in the meta table) of the database ``where``
        (named without a password) as a number, or this error when it is newer than the
        versions ``known`` (first, last) or not one a relay writes (the same words for both
        stores)."""
        if not found.isascii() or not found.isdigit() or int(found) < known[0]:
            first, last = known
            versions = f"{first} to {last}" if last > first else str(last)
            raise cls(
                f"the database at {where} has schema_version {found[:40]!r} in its meta"
                f" table, which no relay writes (this relay knows schema {versions}): it is"
                " not a MiniChat relay's database, or it was changed by hand; check the"
                " relay's --store (or --data-dir), or restore a backup of its database"
            )
        if int(found) > known[1]:
            raise cls(
                f"the database at {where} was upgraded by a newer relay (schema {found}; this"
                f" relay knows up to {known[1]}): run that version or newer, or restore a"
                " backup taken before the upgrade"
            )
        return int(found)


class KeyProblem(StoreError):
    """The relay key given (``MINICHAT_RELAY_KEY`` / ``_FILE``) is not usable: the operator
    fixes the setting (the CLI exits 2)."""


class NotFound(LookupError):
    """No such shop (or session, or media)."""


_iso_cache: tuple[int, str] = (0, "")


def now_iso() -> str:
    """UTC now as ISO 8601 with milliseconds and a ``Z`` (the second's prefix is cached)."""
    global _iso_cache
    now = time.time()
    sec = int(now)
    if _iso_cache[0] != sec:
        _iso_cache = (sec, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(sec)))
    return f"{_iso_cache[1]}.{int((now - sec) * 1000):03d}Z"


def hash_token(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8")).digest()


def new_token(prefix: str = "") -> str:
    return prefix + base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode()


@dataclass(frozen=True, slots=True)
class Shop:
    id: str
    name: str
    created_at: str
    widget_config: p.WidgetConfig
    allowed_origins: tuple[str, ...]
    line_configured: bool
    desktop_ack: int
    presence: p.Presence


@dataclass(frozen=True, slots=True)
class LineCredentials:
    channel_secret: str
    channel_token: str

    def __repr__(self) -> str:
        return "LineCredentials(<hidden>)"


@dataclass(frozen=True, slots=True)
class Media:
    id: str
    shop_id: str
    mime: str
    width: int
    height: int
    size: int
    data: bytes


@dataclass(frozen=True, slots=True)
class LineBatch:
    """One LINE request as first attempted; see the ``line_batches`` table."""

    retry_key: str
    shop_id: str
    conversation: str
    body: bytes
    parts: tuple[tuple[int, int], ...]  # (outbox item id, LINE messages it became)
    attempts: int
    next_at: float


@dataclass(frozen=True, slots=True)
class OutboxItem:
    id: int
    shop_id: str
    conversation: str
    msg_id: str
    message: str
    retry_key: str
    attempts: int
    next_at: float


def existing_key(data_dir: Path) -> MultiFernet | None:
    """The keys of the LINE and Meta credentials: ``MINICHAT_RELAY_KEY`` (the keys
    themselves), or ``MINICHAT_RELAY_KEY_FILE`` (a file holding them: a Docker secret, a
    systemd credential), else ``relay.key`` in the data folder; None when there is none yet
    (nothing is made). Several keys (one per line, or separated by commas): the first seals,
    every one opens, so a key is changed without a stop (``minichat-relay rotate-key``).
    Raises KeyProblem when the key given is not one: a variable set but empty (a typo in the
    command that read the file) never falls back to a new key in the data folder."""
    env = os.environ.get("MINICHAT_RELAY_KEY")
    key_file = os.environ.get("MINICHAT_RELAY_KEY_FILE")
    if env is not None and key_file is not None:
        raise KeyProblem(
            "set MINICHAT_RELAY_KEY or MINICHAT_RELAY_KEY_FILE, not both: unset one of them"
        )
    source = "MINICHAT_RELAY_KEY"
    if key_file is not None:
        source = f"the key file {key_file} (MINICHAT_RELAY_KEY_FILE)"
        try:
            env = Path(key_file).read_text(encoding="ascii")
        except (OSError, ValueError) as exc:
            why = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not a key"
            raise KeyProblem(
                f"cannot read {source}: {why}; it must be readable by the relay's user"
            ) from exc
    if env is not None:
        if not env.strip():
            raise KeyProblem(
                f"{source} is empty: give the relay's key there (or unset the variable to"
                " use relay.key in the data folder)"
            )
        try:
            return keys_of(env)
        except ValueError as exc:
            raise KeyProblem(
                f"{source} is not a valid Fernet key (32 url-safe base64 bytes{KEYS_HINT})"
            ) from exc
    path = data_dir / "relay.key"
    try:
        return keys_of(path.read_text(encoding="ascii")) if path.exists() else None
    except (OSError, ValueError) as exc:
        raise StoreError(f"cannot use the key file {path}: {exc}{KEYS_HINT}") from exc


def has_table(db: sqlite3.Connection, name: str) -> bool:
    """Whether the SQLite database ``db`` has the table ``name`` (an older relay's, a backup's
    may not)."""
    return db.execute("SELECT 1 FROM sqlite_master WHERE name=?", (name,)).fetchone() is not None


def sealed_in(db: sqlite3.Connection) -> list[bytes]:
    """Every credential a relay database (a SQLite file: the store's, a backup's) keeps
    sealed with the relay key: the shops' LINE secrets and tokens, Meta's secrets."""
    sealed = [
        bytes(v)
        for r in db.execute("SELECT line_secret, line_token FROM shops")
        for v in r
        if v is not None
    ]
    if has_table(db, "meta_accounts"):
        sealed += [
            bytes(v)
            for r in db.execute("SELECT app_secret, page_token, verify_token FROM meta_accounts")
            for v in r
        ]
    return sealed


def key_opens(data_dir: Path, sealed: list[bytes]) -> bool | None:
    """Whether the relay key of ``data_dir`` (see :func:`existing_key`) opens every one of
    ``sealed``; None when there is no key yet."""
    key = existing_key(data_dir)
    if key is None:
        return None
    try:
        for token in sealed:
            key.decrypt(token)
    except InvalidToken:
        return False
    return True


KEYS_HINT = "; several keys: one per line, the new one first"


def keys_of(text: str) -> MultiFernet:
    """The keys written in ``text`` (one per line, or separated by commas or spaces; the
    first seals). Raises ValueError for none, or one that is not a Fernet key."""
    keys = text.replace(",", " ").split()
    if not keys:
        raise ValueError("no key in it")
    return MultiFernet([Fernet(k.encode()) for k in keys])


def key_source(data_dir: Path) -> str:
    """Where :func:`existing_key` takes the key from, for messages."""
    if os.environ.get("MINICHAT_RELAY_KEY"):
        return "$MINICHAT_RELAY_KEY"
    key_file = os.environ.get("MINICHAT_RELAY_KEY_FILE")
    if key_file:
        return f"{key_file} ($MINICHAT_RELAY_KEY_FILE)"
    return str(data_dir / "relay.key")


def _load_key(data_dir: Path) -> MultiFernet:
    """The keys of the credentials (see :func:`existing_key`); without any, a new
    ``relay.key`` in the data folder, created (0600) on first use."""
    found = existing_key(data_dir)
    if found is not None:
        return found
    path = data_dir / "relay.key"
    try:
        key = Fernet.generate_key()
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(key)
        return keys_of(path.read_text(encoding="ascii"))
    except FileExistsError:
        return keys_of(path.read_text(encoding="ascii"))
    except (OSError, ValueError) as exc:
        raise StoreError(f"cannot use the key file {path}: {exc}") from exc


class Store:
    """All durable state of one relay. Not thread-safe: one owner thread.

    The one relay process on a SQLite file; :class:`relay.store_pg.PgStore` has the same
    calls for several processes on one PostgreSQL database (``shared``)."""

    shared = False  # other relay processes write the same state (see notify / listen)

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        try:
            data_dir.mkdir(parents=True, exist_ok=True)
            self.path = data_dir / "relay.sqlite3"
            self.db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            # 4 KB pages (SQLite's default; only takes effect on a new, empty database): a
            # page is one WAL frame, written with two system calls whatever its size, and a
            # busy commit touches half as many of them as with 1 KB pages (fewer B-tree
            # splits, more rows per leaf): about 10 instead of 19 write calls per relayed
            # round trip under load, the same CPU when quiet (docs/adr/0012, figures)
            self.db.execute("PRAGMA page_size=4096")
            self.db.execute("PRAGMA journal_mode=WAL")
            # NORMAL survives a process crash (kill -9); only a power cut may lose the last commits.
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.execute("PRAGMA busy_timeout=5000")
            self.db.execute("PRAGMA cache_size=-32768")  # 32 MB of page cache
            # checkpoints (the only fsyncs in WAL + NORMAL) run in a thread, not in the event loop
            self.db.execute("PRAGMA wal_autocheckpoint=0")
            # a WAL started over is cut back to this size at its first commit (SQLite): twice
            # the size it is started over at, so that only one that grew more (a long backup
            # kept it) is cut, not every time (cutting 100 MB off a file is a pause too)
            self.db.execute(f"PRAGMA journal_size_limit={2 * WAL_REWIND_BYTES}")
            _migrate(self.db, str(self.path))
            self.db.executescript(_SCHEMA)
            self.db.executescript(meta_schema.SCHEMA)  # Messenger / Instagram
            self.db.execute(
                "INSERT OR IGNORE INTO meta(key, value) VALUES('schema_version', ?)",
                (str(SCHEMA_VERSION),),
            )
        except SchemaMismatch:
            self.db.close()
            raise
        except (sqlite3.Error, OSError) as exc:
            raise StoreError(f"cannot open the database in {data_dir}: {exc}") from exc
        try:
            st = os.stat(self.path)
        except OSError as exc:
            raise StoreError(f"cannot open the database in {data_dir}: {exc}") from exc
        self._file_id = (st.st_dev, st.st_ino)  # check() notices a file removed or replaced
        self._fernet = _load_key(data_dir)
        page = int(self.db.execute("PRAGMA page_size").fetchone()[0])
        self._checkpointer = _Checkpointer(self.path, WAL_REWIND_BYTES // page, CHECKPOINT_EVERY)
        self._checkpointer.start()
        self._in_tx = False
        self.wal_rewinds = 0  # times the WAL was started over (metrics)
        # Write-behind counters (this process is the only writer while it serves): changed in
        # memory, written back in the same transaction just before COMMIT.
        self._shop_seq: dict[str, list[int]] = {}  # shop -> [next_seq, desktop_ack]
        self._dirty_shops: set[str] = set()
        # the stream rows this transaction deleted had seqs only the shop's row remembers
        self._stream_deleted = False
        self._shops_flushed = 0.0
        # -> [next_cseq, widget_ack, widget_read, and the ack and read mark on disk]: the
        # conversation's row, or the ack as the receipts on history rows have it
        self._conv: dict[tuple[str, str], list[int]] = {}
        self._dirty_conv: set[tuple[str, str]] = set()
        self._sessions: set[tuple[str, str]] = set()
        self._conv_flushed = 0.0
        # widget conversations: the shop messages the widget has not acked yet, (cseq, id)
        self._unacked: dict[tuple[str, str], list[tuple[int, str]]] = {}
        # conversation -> hashes of its rows' (origin, message id): see _msg_ids
        # (least recently used first: a conversation's entry moves to the end when used)
        self._ids: dict[tuple[str, str], set[int]] = {}
        self._ids_used: dict[tuple[str, str], float] = {}  # when (time.monotonic())
        self._msg_ids_kept = 0
        # the last widget ack's ((conversation, after, up_to), the shop's messages it covers as
        # (cseq, id)), for the read mark riding with it (widget_ack) and the message it rode in
        # (add_shopper_message_delivering): not read back from the rows
        self._acked: tuple[tuple[tuple[str, str], int, int], list[tuple[int, str]]] | None = None

    # ---- transactions

    def _w(self) -> sqlite3.Connection:
        """The connection, inside a write transaction."""
        if not self._in_tx:
            self.db.execute("BEGIN IMMEDIATE")
            self._in_tx = True
        return self.db

    def write(self) -> sqlite3.Connection:
        """The connection inside a write transaction (for relay/meta_store.py)."""
        return self._w()

    def query(self, sql: str, params: Any = ()) -> Any:
        """One read statement, written with SQLite's ``?`` placeholders; its cursor. The
        reads both stores share go through here (relay/store_pg.py runs it on PostgreSQL)."""
        return self.db.execute(sql, params)

    def seal(self, secret: str) -> bytes:
        """``secret`` encrypted with the relay key, as the LINE credentials are."""
        return self._fernet.encrypt(secret.encode())

    def reseal(self, sealed: bytes) -> bytes:
        """``sealed`` sealed again with the first key (any key may have sealed it); raises
        cryptography's InvalidToken when none opens it."""
        return self._fernet.rotate(sealed)

    def unseal(self, sealed: bytes) -> str:
        """The secret :meth:`seal` made; raises cryptography's InvalidToken for a wrong key."""
        return self._fernet.decrypt(sealed).decode()

    @property
    def rows_written(self) -> int:
        """Rows inserted, updated or deleted through this store since it opened (SQLite's
        ``total_changes``; for the metrics and the benchmarks)."""
        return self.db.total_changes

    @property
    def dirty(self) -> bool:
        return self._in_tx

    def commit_in_background(self) -> asyncio.Future[None] | None:
        """Send the COMMIT without the event loop waiting for it: a future done when it
        returned (:class:`relay.store_pg.PgStore`, whose COMMIT is a network round trip and a
        WAL flush). None here: SQLite's COMMIT (WAL, synchronous=NORMAL) is a write call,
        done in place by :meth:`commit`."""
        return None

    @property
    def lock_wait(self) -> tuple[int, float] | None:
        """(shop locks taken, seconds waited for them) where other processes write too
        (PostgreSQL); None here: this process is the only writer."""
        return None

    def commit(self) -> None:
        if not self._in_tx:
            return
        try:
            self._flush_counters()
            self._in_tx = False
            self.db.execute("COMMIT")
        except sqlite3.Error as exc:
            self._in_tx = False
            with contextlib.suppress(sqlite3.Error):
                self.db.execute("ROLLBACK")
            self.forget_caches()
            raise StoreError(f"commit failed: {exc}") from exc
        if self._checkpointer.rewind.is_set():
            self._rewind_wal()

    def _rewind_wal(self) -> None:
        """Copy into the database the last WAL frames the checkpoint thread left (its passes
        took all but the few written meanwhile), between two transactions of this
        connection, so that the next one starts the WAL over (SQLite does when every frame
        is in the database and no reader uses the WAL). It blocks the event loop for those
        frames and two fsyncs (the WAL's, the database's), and that next commit syncs the new
        WAL header: 8-12 ms on the benchmark's machine, once per WAL_REWIND_BYTES written."""
        self._checkpointer.rewind.clear()
        try:
            busy, frames, done = self.db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        except sqlite3.Error as exc:  # (the next commit works or says so)
            log.warning("checkpoint failed: %s", exc)
            return
        if busy or done < frames:  # a reader (a backup) holds frames: the next time then
            log.debug("WAL not started over: %s of %s frames copied", done, frames)
        else:
            self.wal_rewinds += 1

    @property
    def wal(self) -> tuple[int, int] | None:
        """(the WAL file's size now, 0 when there is none; times this process started it
        over): the metrics' sqlite_wal_*. None on PostgreSQL (relay/store_pg.py)."""
        try:
            size = os.stat(f"{self.path}-wal").st_size
        except OSError:
            size = 0
        return size, self.wal_rewinds

    def forget_caches(self) -> None:
        """Drop the write-behind counters (after a rollback, or if another writer ran)."""
        self._shop_seq.clear()
        self._dirty_shops.clear()
        self._conv.clear()
        self._dirty_conv.clear()
        self._sessions.clear()
        self._unacked.clear()
        self._ids.clear()
        self._ids_used.clear()
        self._msg_ids_kept = 0
        self._acked = None
        self._stream_deleted = False

    def _flush_counters(self, everything: bool = False) -> None:
        """Write back the counters nothing else records, at most every ``CONV_FLUSH_EVERY``
        seconds (or when asked: closing, purging), so that a busy round trip writes only its
        messages' rows. What a crash may lose is rebuilt or repeated:

        - the shop's ``next_seq``: rebuilt from the highest seq stored (every seq handed out
          sits on a stream or history row until acked); so the shop's row is written in the
          very transaction that deletes acked stream rows;
        - its ``desktop_ack``: the desktop repeats it (``hello.after``, its next ack); until
          then the relay may offer again what it had acked, which it drops by seq;
        - a conversation's ``next_cseq``: rebuilt from its history (whose rows are committed
          with the messages; purging flushes first); its widget ack: the receipts on the
          history rows have it (a conversation's row is written only for an ack or read mark
          no receipt records), else the widget's next ack repeats it."""
        db = self.db
        now = time.monotonic()
        due = everything or now - self._shops_flushed >= CONV_FLUSH_EVERY
        if due or self._stream_deleted:
            for shop_id in self._dirty_shops:
                nxt, ack = self._shop_seq[shop_id]
                db.execute(
                    "UPDATE shops SET next_seq=?, desktop_ack=? WHERE id=?", (nxt, ack, shop_id)
                )
            self._dirty_shops.clear()
            self._stream_deleted = False
            self._shops_flushed = now
        if not everything and now - self._conv_flushed < CONV_FLUSH_EVERY:
            return
        self._conv_flushed = now
        wall = time.time()
        for key in self._dirty_conv:
            c = self._conv[key]
            if not everything and (c[1], c[2]) == (c[3], c[4]):
                continue  # only next_cseq moved (rebuilt from the history) or a receipt has it
            db.execute(
                "INSERT INTO conversations(shop_id, conversation, next_cseq, widget_ack,"
                " widget_read,"
                " created_at) VALUES(?,?,?,?,?,?) ON CONFLICT(shop_id, conversation) DO UPDATE SET"
                " next_cseq=excluded.next_cseq, widget_ack=excluded.widget_ack,"
                " widget_read=excluded.widget_read",
                (key[0], key[1], c[0], c[1], c[2], wall),
            )
            c[3], c[4] = c[1], c[2]
        self._dirty_conv.clear()
        if len(self._conv) > 200_000:  # bound memory on a long-running relay
            self._conv.clear()

    def close(self) -> None:
        self._checkpointer.stop()
        if self._dirty_conv or self._dirty_shops:
            self._w()
            self._flush_counters(everything=True)
        self.commit()
        with contextlib.suppress(sqlite3.Error):
            self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self.db.close()

    # ---- other relay processes (none on SQLite; see relay/store_pg.py)

    def notify(self, event: dict[str, Any]) -> None:
        """Tell the other relay processes ``event`` once the open transaction commits."""

    async def listen(self, on_event: Callable[[dict[str, Any]], None]) -> None:
        """Hand other processes' events to ``on_event`` until cancelled (never, here)."""

    def set_desktop(self, shop_id: str, presence: p.Presence | None) -> None:
        """Where the shop's desktop is, for the other processes (none here)."""

    def remote_desktop(self, shop_id: str) -> p.Presence | None:
        """The presence of the shop's desktop on another relay process (never, here)."""
        return None

    def claim_line_sender(self, shop_id: str) -> bool:
        """Whether this process may send the shop's LINE outbox (always: the only one)."""
        return True

    def release_line_sender(self, shop_id: str) -> None:
        """Let another process send the shop's LINE outbox."""

    # ---- shops

    def add_shop(self, name: str) -> tuple[str, str]:
        """Create a shop; returns (shop_id, token). The token is not stored, only its hash."""
        shop_id = "shop_" + secrets.token_hex(6)
        token = new_token("mcs_")
        config = p.WidgetConfig(shop_name=name[:100])
        self._w().execute(
            "INSERT INTO shops(id, name, token_hash, created_at, widget_config) VALUES(?,?,?,?,?)",
            (shop_id, name, hash_token(token), now_iso(), p.encode_obj(config.to_obj())),
        )
        self.commit()
        return shop_id, token

    def rotate_token(self, shop_id: str) -> str:
        token = new_token("mcs_")
        cur = self._w().execute(
            "UPDATE shops SET token_hash=? WHERE id=?", (hash_token(token), shop_id)
        )
        self.commit()
        if cur.rowcount == 0:
            raise NotFound(shop_id)
        return token

    def remove_shop(self, shop_id: str) -> None:
        db = self._w()
        cur = db.execute("DELETE FROM shops WHERE id=?", (shop_id,))
        for table in (
            "stream",
            "sessions",
            "conversations",
            "history",
            "line_outbox",
            "webhook_inbox",
            "line_events",
            "line_quota",
            "media",
            *meta_schema.TABLES,
        ):
            db.execute(f"DELETE FROM {table} WHERE shop_id=?", (shop_id,))
        self.commit()
        if cur.rowcount == 0:
            raise NotFound(shop_id)

    def shop_by_token(self, token: str) -> Shop | None:
        """The shop whose token this is, compared in constant time against the stored hash."""
        digest = hash_token(token)
        row = self.db.execute(
            "SELECT id, token_hash FROM shops WHERE token_hash=?", (digest,)
        ).fetchone()
        if row is None or not hmac.compare_digest(row[1], digest):
            return None
        return self.shop(row[0])

    def shop(self, shop_id: str) -> Shop:
        row = self.query(
            "SELECT id, name, created_at, widget_config, allowed_origins, line_secret IS NOT NULL,"
            " desktop_ack, presence FROM shops WHERE id=?",
            (shop_id,),
        ).fetchone()
        if row is None:
            raise NotFound(shop_id)
        return shop_from_row(row)

    def shops(self) -> list[Shop]:
        ids = [r[0] for r in self.db.execute("SELECT id FROM shops ORDER BY created_at, id")]
        return [self.shop(i) for i in ids]

    def token_hash(self, shop_id: str) -> bytes | None:
        """The hash of the shop's current token; None when the shop is gone."""
        row = self.query("SELECT token_hash FROM shops WHERE id=?", (shop_id,)).fetchone()
        return None if row is None else bytes(row[0])

    def data_version(self) -> int:
        """Changes whenever another connection (``minichat-relay shops …`` in another process)
        committed to the database since the last call (SQLite's ``PRAGMA data_version``)."""
        return int(self.db.execute("PRAGMA data_version").fetchone()[0])

    def check(self) -> None:
        """Raise StoreError unless the database file is still the one this store opened
        (not deleted, moved or replaced under the running process, whose writes would then go
        to a file nobody will open again) and answers a query."""
        try:
            st = os.stat(self.path)
        except OSError as exc:
            raise StoreError(f"the database file {self.path} is gone: {exc.strerror}") from exc
        if (st.st_dev, st.st_ino) != self._file_id:
            raise StoreError(f"the database file {self.path} was replaced by another file")
        try:
            self.db.execute("SELECT count(*) FROM shops").fetchone()
        except sqlite3.Error as exc:
            raise StoreError(f"the database does not answer: {exc}") from exc

    def stream_depths(self) -> dict[str, int]:
        """Stream items each shop's desktop has not acknowledged (from the counters: one row
        per shop read, not the stream itself)."""
        try:
            rows = self.db.execute("SELECT id, next_seq, desktop_ack FROM shops").fetchall()
        except sqlite3.Error as exc:
            raise StoreError(f"cannot read the shops: {exc}") from exc
        depths: dict[str, int] = {}
        for shop_id, nxt, ack in rows:
            cached = self._shop_seq.get(shop_id)  # newer than the row (written at commit)
            if cached is not None:
                nxt, ack = cached
            depths[str(shop_id)] = int(nxt) - 1 - int(ack)
        return depths

    def pending_count(self, shop_id: str) -> int:
        """Stream items not acknowledged: every seq after the ack is stored (a stream row or
        a shopper message's history row) until acked."""
        nxt, ack = self._shop_counters(shop_id)
        return nxt - 1 - ack

    def set_widget_config(self, shop_id: str, config: p.WidgetConfig) -> None:
        cur = self._w().execute(
            "UPDATE shops SET widget_config=? WHERE id=?", (p.encode_obj(config.to_obj()), shop_id)
        )
        if cur.rowcount == 0:
            raise NotFound(shop_id)

    def set_origins(self, shop_id: str, origins: tuple[str, ...]) -> None:
        cur = self._w().execute(
            "UPDATE shops SET allowed_origins=? WHERE id=?", (json.dumps(list(origins)), shop_id)
        )
        if cur.rowcount == 0:
            raise NotFound(shop_id)

    def set_presence(self, shop_id: str, presence: p.Presence) -> None:
        self._w().execute("UPDATE shops SET presence=? WHERE id=?", (presence.value, shop_id))

    def set_line(self, shop_id: str, creds: LineCredentials | None) -> None:
        if creds is None:
            values: tuple[Any, ...] = (None, None, shop_id)
        else:
            values = (
                self._fernet.encrypt(creds.channel_secret.encode()),
                self._fernet.encrypt(creds.channel_token.encode()),
                shop_id,
            )
        cur = self._w().execute("UPDATE shops SET line_secret=?, line_token=? WHERE id=?", values)
        if cur.rowcount == 0:
            raise NotFound(shop_id)

    def line_credentials(self, shop_id: str) -> LineCredentials | None:
        row = self.db.execute(
            "SELECT line_secret, line_token FROM shops WHERE id=?", (shop_id,)
        ).fetchone()
        if row is None or row[0] is None:
            return None
        try:
            return LineCredentials(
                self._fernet.decrypt(row[0]).decode(), self._fernet.decrypt(row[1]).decode()
            )
        except InvalidToken as exc:
            raise StoreError(
                f"cannot decrypt the LINE credentials of {shop_id}: wrong relay key"
                " (MINICHAT_RELAY_KEY or relay.key)"
            ) from exc

    # ---- the desktop stream

    def _shop_counters(self, shop_id: str) -> list[int]:
        c = self._shop_seq.get(shop_id)
        if c is None:
            row = self.db.execute(
                "SELECT next_seq, desktop_ack FROM shops WHERE id=?", (shop_id,)
            ).fetchone()
            if row is None:
                raise NotFound(shop_id)
            # the row is written behind (see _flush_counters): every seq handed out since is
            # on a stream or history row, or acked (and then the row was written)
            top = self.db.execute(
                "SELECT MAX(COALESCE((SELECT MAX(seq) FROM stream WHERE shop_id=?), 0),"
                " COALESCE((SELECT MAX(seq) FROM history WHERE shop_id=? AND seq>0), 0),"
                " COALESCE((SELECT MAX(rseq) FROM history WHERE shop_id=? AND rseq>0), 0))",
                (shop_id, shop_id, shop_id),
            ).fetchone()[0]
            nxt = max(int(row[0]), int(top or 0) + 1, int(row[1]) + 1)
            c = self._shop_seq[shop_id] = [nxt, int(row[1])]
        return c

    def _next_seq(self, shop_id: str) -> int:
        c = self._shop_counters(shop_id)
        self._w()
        seq = c[0]
        c[0] += 1
        self._dirty_shops.add(shop_id)
        return seq

    def push_stream(
        self, shop_id: str, make: Any, conversation: str | None = None, msg_id: str | None = None
    ) -> int:
        """Append a stream item; ``make(seq)`` returns the frame. Returns its seq."""
        return self.append_stream(shop_id, make, conversation, msg_id)[0]

    def append_stream(
        self, shop_id: str, make: Any, conversation: str | None = None, msg_id: str | None = None
    ) -> tuple[int, str]:
        """Like push_stream; returns (seq, the frame's JSON text)."""
        seq = self._next_seq(shop_id)
        made = make(seq)
        text = made if isinstance(made, str) else p.encode(made)
        self._w().execute(
            "INSERT INTO stream(shop_id, seq, frame, conversation, msg_id) VALUES(?,?,?,?,?)",
            (shop_id, seq, text, conversation, msg_id),
        )
        return seq, text

    def last_seq(self, shop_id: str) -> int:
        try:
            return self._shop_counters(shop_id)[0] - 1
        except NotFound:
            return 0

    def stream_after(self, shop_id: str, after: int, limit: int = 500) -> list[tuple[int, str]]:
        """Stream items after ``after``, in order: stream rows as stored, shopper messages and
        "delivered" receipts framed from their history rows (the very text the live path
        sent). Acked items are gone (history rows stay, as the conversation's record)."""
        after = max(after, self._shop_counters(shop_id)[1])
        rows = self.db.execute(
            "SELECT seq, 0, frame, NULL FROM stream WHERE shop_id=? AND seq>?"
            " UNION ALL SELECT seq, 0, conversation, message FROM history"
            " WHERE shop_id=? AND seq>?"
            " UNION ALL SELECT rseq, cseq, conversation, msg_id FROM history"
            " WHERE shop_id=? AND rseq>? ORDER BY 1, 2 LIMIT ?",
            (shop_id, after, shop_id, after, shop_id, after, limit),
        ).fetchall()

        def whole_receipt(seq: int) -> list[str]:
            return [
                str(r[0])
                for r in self.db.execute(
                    "SELECT msg_id FROM history WHERE shop_id=? AND rseq=? ORDER BY cseq",
                    (shop_id, seq),
                )
            ]

        items = stream_items(rows, limit, whole_receipt)
        riding = self.db.execute(
            "SELECT seq-1, conversation, dfrom, dto, rfrom, rto FROM history WHERE shop_id=?"
            " AND seq>? AND (dto IS NOT NULL OR rto IS NOT NULL) ORDER BY seq LIMIT ?",
            (shop_id, after + 1, limit),
        ).fetchall()
        # each list is whole up to its last seq only: past the shorter one's end, the other
        # may have items it lacks (a page ends there; the next page has them)
        top = min(
            int(rows[-1][0]) if len(rows) == limit else float("inf"),
            int(riding[-1][0]) if len(riding) == limit else float("inf"),
        )
        items = [item for item in items if item[0] <= top]
        for last, conv, dfrom, dto, rfrom, rto in riding:
            riders = []
            if dto is not None:
                ids = self._riding_ids(shop_id, conv, dfrom, dto)
                riders.append((p.ReceiptStatus.DELIVERED, ids))
            if rto is not None:
                riders.append(
                    (p.ReceiptStatus.READ, self._riding_ids(shop_id, conv, rfrom, rto, read=True))
                )
            for seq, (status, ids) in enumerate(riders, start=last - len(riders) + 1):
                # (none left only if purged, as with a receipt on the messages' rows)
                if ids and after < seq <= top:
                    receipt = p.Receipt(conv, status, tuple(ids), seq)
                    items.append((int(seq), p.encode(receipt)))
        if riding:
            items.sort(key=lambda item: item[0])
        return items[:limit]

    def mark_delivered(
        self, shop_id: str, conversation: str, after: int, up_to: int
    ) -> tuple[int, str] | None:
        """The widget has the shop's messages ``after`` < cseq ≤ ``up_to``: their history rows
        take the next stream seq as their "delivered" receipt (no row of its own). Returns
        (seq, the receipt's frame), or None when no message of the shop's own (not the relay's
        ``relay-`` notices) is newly covered."""
        seq = self._next_seq(shop_id)
        rows = (
            self._w()
            .execute(
                "UPDATE history SET rseq=? WHERE shop_id=? AND conversation=? AND origin='shop'"
                " AND cseq>? AND cseq<=? AND rseq IS NULL AND msg_id NOT LIKE 'relay-%'"
                " RETURNING cseq, msg_id",
                (seq, shop_id, conversation, after, up_to),
            )
            .fetchall()
        )
        if not rows:
            self._shop_seq[shop_id][0] = seq  # nothing stored under it: give it back
            return None
        rows.sort()
        c = self._conv.get((shop_id, conversation))
        if c is not None:  # the receipt records the ack (see _conv_counters)
            c[3] = max(c[3], int(rows[-1][0]))
        return seq, delivered_receipt(seq, conversation, [str(r[1]) for r in rows])

    def _riding_ids(
        self, shop_id: str, conversation: str, after: int, up_to: int, *, read: bool = False
    ) -> list[str]:
        """The ids a receipt of the shop's messages ``after`` < cseq ≤ ``up_to`` riding on a
        shopper message's row names: "delivered" ones as :meth:`mark_delivered` would mark
        (not already on their own rows), ``read`` ones as the widget's read mark made them;
        never the relay's ``relay-`` notices."""
        fresh = "" if read else " AND rseq IS NULL"
        return [
            str(r[0])
            for r in self.db.execute(
                "SELECT msg_id FROM history WHERE shop_id=? AND conversation=? AND origin='shop'"
                f" AND cseq>? AND cseq<=?{fresh} AND msg_id NOT LIKE 'relay-%' ORDER BY cseq",
                (shop_id, conversation, after, up_to),
            )
        ]

    def ack_stream(self, shop_id: str, seq: int) -> tuple[int, dict[str, list[str]]]:
        """Forget items up to ``seq``. Returns the recorded ack (never moves backwards) and the
        shopper messages this delivered, by conversation."""
        c = self._shop_counters(shop_id)
        new_ack = max(c[1], min(seq, c[0] - 1))
        delivered: dict[str, list[str]] = {}
        if new_ack > c[1] or seq > c[1]:
            rows = (
                self._w()
                .execute(
                    "DELETE FROM stream WHERE shop_id=? AND seq<=? RETURNING seq, conversation,"
                    " msg_id",
                    (shop_id, new_ack),
                )
                .fetchall()
            )
            if rows:  # their seqs are on no row now: the shop's counters must be written
                self._stream_deleted = True
            rows += self.db.execute(
                "SELECT seq, conversation, msg_id FROM history WHERE shop_id=? AND seq>?"
                " AND seq<=?",
                (shop_id, c[1], new_ack),
            ).fetchall()
            rows.sort()
            for _, conv, msg_id in rows:
                if msg_id is not None and conv is not None:
                    delivered.setdefault(conv, []).append(msg_id)
            if new_ack != c[1]:
                c[1] = new_ack
                self._dirty_shops.add(shop_id)
        return new_ack, delivered

    # ---- sessions

    def new_session(self, shop_id: str) -> tuple[str, str]:
        """A new widget session: returns (sid, token). sid is public, token is secret."""
        sid = base64.urlsafe_b64encode(secrets.token_bytes(12)).decode()
        token = new_token()
        self._w().execute(
            "INSERT INTO sessions(token_hash, shop_id, sid, created_at) VALUES(?,?,?,?)",
            (hash_token(token), shop_id, sid, time.time()),
        )
        self._know_session(shop_id, sid)
        return sid, token

    def has_session(self, shop_id: str, sid: str) -> bool:
        if (shop_id, sid) in self._sessions:
            return True
        row = self.query(
            "SELECT 1 FROM sessions WHERE shop_id=? AND sid=?", (shop_id, sid)
        ).fetchone()
        if row is not None:
            self._know_session(shop_id, sid)
        return row is not None

    def _know_session(self, shop_id: str, sid: str) -> None:
        """Remember that a widget session exists (a cache of the rows, bounded: every new
        visitor of every shop makes one)."""
        if len(self._sessions) >= SESSIONS_KEPT:
            self._sessions.clear()
        self._sessions.add((shop_id, sid))

    def session(self, shop_id: str, token: str) -> str | None:
        digest = hash_token(token)
        row = self.db.execute(
            "SELECT sid, token_hash FROM sessions WHERE token_hash=? AND shop_id=?",
            (digest, shop_id),
        ).fetchone()
        if row is None or not hmac.compare_digest(row[1], digest):
            return None
        return str(row[0])

    # ---- conversations and history

    def _conv_counters(self, shop_id: str, conversation: str) -> list[int]:
        key = (shop_id, conversation)
        c = self._conv.get(key)
        if c is None:
            row = self.db.execute(
                "SELECT next_cseq, widget_ack, widget_read FROM conversations"
                " WHERE shop_id=? AND conversation=?",
                key,
            ).fetchone()
            # the row is written behind (see _flush_counters): the history has the rest, and
            # its receipts the widget's ack (reading implies having)
            top, dto, rcseq, rto = self.db.execute(
                "SELECT MAX(cseq), MAX(dto), MAX(CASE WHEN rseq IS NOT NULL THEN cseq END),"
                " MAX(rto) FROM history WHERE shop_id=? AND conversation=?",
                key,
            ).fetchone()
            nxt, ack, read = (int(row[0]), int(row[1]), int(row[2])) if row else (1, 0, 0)
            read = max(read, int(rto or 0))
            ack = max(ack, read, int(dto or 0), int(rcseq or 0))
            c = [max(nxt, int(top or 0) + 1), ack, read, ack, read]
            self._conv[key] = c
        return c

    def _msg_ids(self, key: tuple[str, str]) -> set[int]:
        """The hashes of (origin, message id) of every row of a conversation, read once, then
        kept up to date by :meth:`_insert_history`: a message whose hash is not there is new
        without a read (schema 5 has no index on ids; this process is the only writer). The
        set may hold more (rows purged or rolled back since): a hash found is checked
        against the rows (:meth:`find_message`)."""
        ids = self._ids.pop(key, None)
        if ids is not None:
            self._ids[key] = ids  # (now the most recently used)
            self._ids_used[key] = time.monotonic()
            return ids
        self._trim_ids(key)
        ids = self._ids[key] = {
            hash((str(r[0]), str(r[1])))
            for r in self.db.execute(
                "SELECT origin, msg_id FROM history WHERE shop_id=? AND conversation=?", key
            )
        }
        self._ids_used[key] = time.monotonic()
        self._msg_ids_kept += len(ids)
        return ids

    def _trim_ids(self, keep: tuple[str, str]) -> None:
        """Past MSG_IDS_KEPT, the conversations least recently used lose their ids (read
        again when next needed) until three quarters are left, as long as they have been
        idle MSG_IDS_IDLE seconds; ``keep`` (being written) stays. Called when a conversation
        is read and when a message is added, so that conversations going on for months do
        not grow the memory without end once they fall silent. O(1) when nothing goes."""
        if self._msg_ids_kept <= MSG_IDS_KEPT:
            return
        target = MSG_IDS_KEPT * 3 // 4
        idle_since = time.monotonic() - MSG_IDS_IDLE
        while self._msg_ids_kept > target and self._ids:
            old = next(iter(self._ids))
            if old == keep or self._ids_used[old] > idle_since:
                return
            self._msg_ids_kept -= len(self._ids.pop(old))
            del self._ids_used[old]

    def find_message(
        self, shop_id: str, conversation: str, origin: p.Origin, msg_id: str
    ) -> int | None:
        """The cseq of a message by its id, if stored: the conversation's rows, newest
        first (there is no index on ids; one the set of hashes lacks is not read for)."""
        if hash((origin.value, msg_id)) not in self._msg_ids((shop_id, conversation)):
            return None
        row = self.db.execute(
            "SELECT cseq FROM history WHERE shop_id=? AND conversation=? AND origin=?"
            " AND msg_id=? ORDER BY cseq DESC LIMIT 1",
            (shop_id, conversation, origin.value, msg_id),
        ).fetchone()
        return None if row is None else int(row[0])

    def message_json(self, shop_id: str, conversation: str, cseq: int) -> tuple[str, str] | None:
        """(origin, the message's stored JSON) of one history row, if it is there."""
        row = self.query(
            "SELECT origin, message FROM history WHERE shop_id=? AND conversation=? AND cseq=?",
            (shop_id, conversation, cseq),
        ).fetchone()
        return None if row is None else (str(row[0]), str(row[1]))

    def add_history(
        self,
        shop_id: str,
        conversation: str,
        origin: p.Origin,
        message: p.Message,
        message_json: str | None = None,
    ) -> tuple[int, bool]:
        """Store a message in its conversation. Returns (cseq, is_new); a message whose id is
        already there is not stored again and its existing cseq is returned."""
        json_text = message_json or p.encode_obj(message.to_obj())
        cseq, is_new, _ = self._insert_history((shop_id, conversation), origin, message, json_text)
        return cseq, is_new

    def add_shopper_message(
        self, shop_id: str, conversation: str, message: p.Message, message_json: str
    ) -> tuple[int, bool, int]:
        """Store a shopper's message once: its history row is also its item in the shop's
        stream, under the next stream seq (no stream row). Returns (cseq, is_new, seq); seq is
        0 when the message was already there."""
        key = (shop_id, conversation)
        return self._insert_history(key, p.Origin.SHOPPER, message, message_json, True)

    def add_shopper_message_delivering(
        self,
        shop_id: str,
        conversation: str,
        message: p.Message,
        message_json: str,
        delivered: tuple[int, int] | None,
        read: tuple[int, int, tuple[str, ...]] | None = None,
    ) -> tuple[int, bool, int, list[tuple[int, str]]]:
        """:meth:`add_shopper_message` of a message that carried the widget's ack of the
        shop's messages ``after`` < cseq ≤ ``up_to`` (``delivered``) and its read mark
        (``read``: after, up_to and the ids it newly covers, not ``relay-`` ones): their
        "delivered" and "read" receipts take the stream seqs just before the message's, in
        that order, and ride on its row (no row of their own, none updated). Returns (cseq,
        is_new, seq, the receipts' (seq, frame)s); for a message already stored the
        receipts are made as :meth:`mark_delivered` and :meth:`append_stream` make them."""
        key = (shop_id, conversation)
        c = self._conv_counters(shop_id, conversation)
        d_ids: list[str] = []
        acked, self._acked = self._acked, None
        if delivered is not None:
            delivered = (delivered[0], min(delivered[1], c[0] - 1))
            if acked is not None and acked[0] == (key, *delivered):
                d_ids = [i for _, i in acked[1] if not i.startswith("relay-")]
            else:
                d_ids = self._riding_ids(shop_id, conversation, *delivered)
        r_ids = list(read[2]) if read is not None else []
        if not d_ids and not r_ids:
            return (*self._insert_history(key, p.Origin.SHOPPER, message, message_json, True), [])
        first = self._shop_counters(shop_id)[0]
        made: list[tuple[int, str]] = []
        for status, ids in ((p.ReceiptStatus.DELIVERED, d_ids), (p.ReceiptStatus.READ, r_ids)):
            if ids:
                seq = self._next_seq(shop_id)
                made.append((seq, ff.encode_receipt(conversation, status, ids, seq)))
        riding = (
            delivered if d_ids else None,
            (read[0], read[1]) if r_ids and read is not None else None,
        )
        cseq, is_new, seq = self._insert_history(
            key, p.Origin.SHOPPER, message, message_json, True, riding
        )
        if not is_new:
            self._shop_seq[shop_id][0] = first  # nothing stored under them: give them back
            made = []
            if d_ids and delivered is not None:
                got = self.mark_delivered(shop_id, conversation, *delivered)
                made += [got] if got is not None else []
            if r_ids:
                status, ids_t = p.ReceiptStatus.READ, tuple(r_ids)
                made.append(
                    self.append_stream(shop_id, lambda s: p.Receipt(conversation, status, ids_t, s))
                )
            return cseq, False, 0, made
        # the row records the ack and the read mark (see _conv_counters)
        c[3] = max(c[3], *(r[1] for r in riding if r is not None))
        if riding[1] is not None:
            c[4] = max(c[4], riding[1][1])
        return cseq, True, seq, made

    def _insert_history(
        self,
        key: tuple[str, str],
        origin: p.Origin,
        message: p.Message,
        message_json: str,
        to_desktop: bool = False,
        riding: tuple[tuple[int, int] | None, tuple[int, int] | None] = (None, None),
    ) -> tuple[int, bool, int]:
        shop_id, conversation = key
        c = self._conv_counters(shop_id, conversation)
        ids = self._msg_ids(key)
        mark = hash((origin.value, message.id))
        if mark in ids:  # maybe stored already (or another id with the same hash)
            existing = self.find_message(shop_id, conversation, origin, message.id)
            if existing is not None:
                return existing, False, 0
        cseq = c[0]
        seq = self._next_seq(shop_id) if to_desktop else None
        dfrom, dto = riding[0] or (None, None)
        rfrom, rto = riding[1] or (None, None)
        cur = self._w().execute(
            "INSERT INTO history(shop_id, conversation, cseq, origin, msg_id, message, status,"
            " created_at, seq, dfrom, dto, rfrom, rto) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?)"
            " ON CONFLICT DO NOTHING",
            (
                shop_id,
                conversation,
                cseq,
                origin.value,
                message.id,
                message_json,
                None,
                time.time(),
                seq,
                dfrom,
                dto,
                rfrom,
                rto,
            ),
        )
        if cur.rowcount == 0:  # the cseq was taken: the counters are stale
            self.forget_caches()
            raise StoreError(f"history of {conversation} is out of step; retry")
        c[0] += 1
        if mark not in ids:  # (it may be: a purged message's id sent again)
            ids.add(mark)
            self._msg_ids_kept += 1
        self._trim_ids(key)
        self._dirty_conv.add(key)
        pending = self._unacked.get(key)
        if pending is not None and origin is p.Origin.SHOP:
            if len(pending) >= 1000:
                del self._unacked[key]  # a widget that never acks: fall back to the database
            else:
                pending.append((cseq, message.id))
        return cseq, True, seq or 0

    def history(
        self, shop_id: str, conversation: str, after: int, limit: int = p.MAX_HISTORY
    ) -> list[p.HistoryItem]:
        rows = self.db.execute(
            "SELECT cseq, origin, message, status, seq FROM history WHERE shop_id=? AND"
            " conversation=? AND cseq>?"
            " ORDER BY cseq DESC LIMIT ?",
            (shop_id, conversation, after, limit),
        ).fetchall()
        acked = self._shop_counters(shop_id)[1]
        # "delivered" is not stored: a shopper message is delivered once the desktop acked its
        # seq (or, stored before schema 3, its stream row is gone); "read" is stored
        waiting = {
            str(r[0])
            for r in self.db.execute(
                "SELECT msg_id FROM stream WHERE shop_id=? AND conversation=?"
                " AND msg_id IS NOT NULL",
                (shop_id, conversation),
            )
        }
        return history_items(rows, acked, waiting)

    def conversation_state(self, shop_id: str, conversation: str) -> tuple[int, int]:
        """(widget_ack, widget_read) of a conversation."""
        c = self._conv_counters(shop_id, conversation)
        return c[1], c[2]

    def widget_ack(self, shop_id: str, conversation: str, seq: int, *, read: bool) -> list[str]:
        """Record that the widget has (or the shopper has read) shop messages up to ``seq``;
        returns the ids of shop messages that this newly covers."""
        c = self._conv_counters(shop_id, conversation)
        idx = 2 if read else 1
        old = c[idx]
        seq = min(seq, c[0] - 1)
        if seq <= old:
            return []
        c[idx] = seq
        if read:
            c[1] = max(c[1], seq)  # reading implies having it
        key = (shop_id, conversation)
        self._dirty_conv.add(key)
        self._w()
        pending = self._unacked.get(key)
        if pending is None or read:
            acked = self._acked
            if read and acked is not None and acked[0][0] == key and acked[0][2] == seq:
                if acked[0][1] <= old:  # the ack just before (riding with it) covered these
                    return [mid for cseq, mid in acked[1] if cseq > old]
            if read:  # a read mark alone: ask the database
                return [
                    str(r[0])
                    for r in self.db.execute(
                        "SELECT msg_id FROM history WHERE shop_id=? AND conversation=?"
                        " AND origin='shop' AND cseq>? AND cseq<=? ORDER BY cseq",
                        (shop_id, conversation, old, seq),
                    )
                ]
            if len(self._unacked) > 200_000:  # bound memory (a conversation a widget session)
                self._unacked.clear()
            pending = self._unacked[key] = [
                (int(r[0]), str(r[1]))
                for r in self.db.execute(
                    "SELECT cseq, msg_id FROM history WHERE shop_id=? AND conversation=?"
                    " AND origin='shop' AND cseq>? ORDER BY cseq",
                    (shop_id, conversation, old),
                )
            ]
        covered = [(cseq, mid) for cseq, mid in pending if old < cseq <= seq]
        self._unacked[key] = [(cseq, mid) for cseq, mid in pending if cseq > seq]
        self._acked = ((key, old, seq), covered)
        return [mid for _, mid in covered]

    def mark_shopper_messages(
        self,
        shop_id: str,
        conversation: str,
        status: p.ReceiptStatus,
        up_to_cseq: int | None = None,
        ids: list[str] | None = None,
    ) -> list[str]:
        """Set delivered/read on shopper messages (by ids, or all up to a cseq); returns the ids
        whose status this moved forward, in conversation order."""
        older = (
            "status IS NULL"
            if status is p.ReceiptStatus.DELIVERED
            else "(status IS NULL OR status='delivered')"
        )
        db = self._w()
        rows: list[Any] = []
        if ids is not None:
            for i in range(0, len(ids), 400):
                chunk = ids[i : i + 400]
                marks = ",".join("?" * len(chunk))
                rows += db.execute(
                    f"UPDATE history SET status=? WHERE shop_id=? AND conversation=?"
                    f" AND origin='shopper' AND msg_id IN ({marks}) AND {older} RETURNING cseq,"
                    " msg_id",
                    (status.value, shop_id, conversation, *chunk),
                ).fetchall()
        else:
            rows = db.execute(
                f"UPDATE history SET status=? WHERE shop_id=? AND conversation=?"
                f" AND origin='shopper' AND cseq<=? AND {older} RETURNING cseq, msg_id",
                (status.value, shop_id, conversation, up_to_cseq or 0),
            ).fetchall()
        return [str(r[1]) for r in sorted(rows)]

    def set_reply_token(self, shop_id: str, conversation: str, token: str, at: float) -> None:
        self._w().execute(
            "INSERT INTO conversations(shop_id, conversation, reply_token, reply_token_at,"
            " created_at)"
            " VALUES(?,?,?,?,?) ON CONFLICT(shop_id, conversation) DO UPDATE SET"
            " reply_token=excluded.reply_token,"
            " reply_token_at=excluded.reply_token_at",
            (shop_id, conversation, token, at, time.time()),
        )

    def take_reply_token(self, shop_id: str, conversation: str, max_age: float) -> str | None:
        """The conversation's unused reply token if younger than ``max_age`` seconds; it is
        cleared (a reply token is single-use)."""
        row = self.db.execute(
            "SELECT reply_token, reply_token_at FROM conversations WHERE shop_id=? AND"
            " conversation=?",
            (shop_id, conversation),
        ).fetchone()
        if row is None or row[0] is None:
            return None
        self._w().execute(
            "UPDATE conversations SET reply_token=NULL WHERE shop_id=? AND conversation=?",
            (shop_id, conversation),
        )
        if time.time() - float(row[1]) > max_age:
            return None
        return str(row[0])

    def away_notice_due(self, shop_id: str, conversation: str, every: float) -> bool:
        """Whether the away message should be sent now (at most once per ``every`` seconds)."""
        now = time.time()
        row = self.db.execute(
            "SELECT away_notice_at FROM conversations WHERE shop_id=? AND conversation=?",
            (shop_id, conversation),
        ).fetchone()
        if row is not None and row[0] is not None and now - float(row[0]) < every:
            return False
        self._w().execute(
            "INSERT INTO conversations(shop_id, conversation, away_notice_at, created_at)"
            " VALUES(?,?,?,?)"
            " ON CONFLICT(shop_id, conversation) DO UPDATE SET"
            " away_notice_at=excluded.away_notice_at",
            (shop_id, conversation, now, now),
        )
        return True

    # ---- LINE

    def enqueue_line(self, shop_id: str, conversation: str, message: p.Message) -> None:
        self._w().execute(
            "INSERT INTO line_outbox(shop_id, conversation, msg_id, message, retry_key)"
            " VALUES(?,?,?,?,?)",
            (shop_id, conversation, message.id, p.encode_obj(message.to_obj()), _uuid4()),
        )

    def line_unbatched(self, shop_id: str, limit: int = 50) -> list[OutboxItem]:
        """The shop's LINE messages not yet put in a request, oldest first."""
        return [
            OutboxItem(*r)
            for r in self.db.execute(
                "SELECT id, shop_id, conversation, msg_id, message, retry_key, attempts, next_at"
                " FROM line_outbox WHERE shop_id=? AND batch_key IS NULL ORDER BY id LIMIT ?",
                (shop_id, limit),
            )
        ]

    def line_pending(self, shop_id: str) -> bool:
        """Whether the shop has LINE messages not answered for good by LINE."""
        row = self.query("SELECT 1 FROM line_outbox WHERE shop_id=? LIMIT 1", (shop_id,))
        return row.fetchone() is not None

    def line_shops_pending(self) -> list[str]:
        return [str(r[0]) for r in self.db.execute("SELECT DISTINCT shop_id FROM line_outbox")]

    def line_done(self, item_id: int) -> None:
        self._w().execute("DELETE FROM line_outbox WHERE id=?", (item_id,))

    def line_add_batch(
        self,
        shop_id: str,
        conversation: str,
        body: bytes,
        parts: list[tuple[int, int]],
        retry_key: str | None = None,
    ) -> LineBatch:
        """Store a request before its first attempt, with a new retry key (or ``retry_key``),
        and tie its messages to it (same transaction)."""
        key = retry_key or _uuid4()
        db = self._w()
        db.execute(
            "INSERT INTO line_batches(retry_key, shop_id, conversation, body, parts, created_at)"
            " VALUES(?,?,?,?,?,?)",
            (key, shop_id, conversation, body, json.dumps(parts), time.time()),
        )
        db.executemany(
            "UPDATE line_outbox SET batch_key=? WHERE id=?", [(key, i) for i, _ in parts]
        )
        return LineBatch(key, shop_id, conversation, body, tuple(parts), 0, 0.0)

    def line_open_batch(self, shop_id: str) -> LineBatch | None:
        """The shop's oldest request LINE has not answered for good, if any."""
        row = self.db.execute(
            "SELECT retry_key, shop_id, conversation, body, parts, attempts, next_at"
            " FROM line_batches WHERE shop_id=? ORDER BY rowid LIMIT 1",
            (shop_id,),
        ).fetchone()
        if row is None:
            return None
        parts = tuple((int(i), int(n)) for i, n in json.loads(row[4]))
        return LineBatch(row[0], row[1], row[2], bytes(row[3]), parts, row[5], row[6])

    def line_batch_items(self, batch: LineBatch) -> dict[int, OutboxItem]:
        ids = [i for i, _ in batch.parts]
        marks = ",".join("?" * len(ids))
        rows = self.db.execute(
            "SELECT id, shop_id, conversation, msg_id, message, retry_key, attempts, next_at"
            f" FROM line_outbox WHERE id IN ({marks})",
            ids,
        )
        return {int(r[0]): OutboxItem(*r) for r in rows}

    def line_batch_retry_later(self, retry_key: str, next_at: float) -> None:
        self._w().execute(
            "UPDATE line_batches SET attempts=attempts+1, next_at=? WHERE retry_key=?",
            (next_at, retry_key),
        )

    def line_batch_close(self, retry_key: str) -> None:
        """Forget a request; its messages still in the outbox go into a new request (with a
        new retry key) on the next round."""
        db = self._w()
        db.execute("DELETE FROM line_batches WHERE retry_key=?", (retry_key,))
        db.execute("UPDATE line_outbox SET batch_key=NULL WHERE batch_key=?", (retry_key,))

    def find_line_event(self, shop_id: str, event_id: str) -> bool:
        row = self.query(
            "SELECT 1 FROM line_events WHERE shop_id=? AND event_id=?", (shop_id, event_id)
        ).fetchone()
        return row is not None

    def seen_line_event(self, shop_id: str, event_id: str) -> bool:
        """Record a webhookEventId; True if it was already there (a redelivery)."""
        cur = self._w().execute(
            "INSERT OR IGNORE INTO line_events(shop_id, event_id, received_at) VALUES(?,?,?)",
            (shop_id, event_id, time.time()),
        )
        return cur.rowcount == 0

    def store_webhook(self, shop_id: str, body: bytes) -> int:
        cur = self._w().execute(
            "INSERT INTO webhook_inbox(shop_id, body, received_at) VALUES(?,?,?)",
            (shop_id, body, time.time()),
        )
        return int(cur.lastrowid or 0)

    def webhooks(self) -> Iterator[tuple[int, str, bytes]]:
        yield from (
            (int(r[0]), str(r[1]), bytes(r[2]))
            for r in self.db.execute(
                "SELECT id, shop_id, body FROM webhook_inbox ORDER BY id"
            ).fetchall()
        )

    def webhook_done(self, webhook_id: int) -> None:
        self._w().execute("DELETE FROM webhook_inbox WHERE id=?", (webhook_id,))

    def count_push(self, shop_id: str, month: str, n: int) -> tuple[int, int | None, int]:
        """Add ``n`` pushes to this month's count; returns (pushed, quota, notified level)."""
        row = (
            self._w()
            .execute(
                "INSERT INTO line_quota(shop_id, month, pushed) VALUES(?,?,?) ON"
                " CONFLICT(shop_id, month)"
                " DO UPDATE SET pushed=pushed+excluded.pushed RETURNING pushed, quota, notified",
                (shop_id, month, n),
            )
            .fetchone()
        )
        return int(row[0]), (None if row[1] is None else int(row[1])), int(row[2])

    def set_quota(
        self, shop_id: str, month: str, quota: int | None, used: int | None = None
    ) -> None:
        db = self._w()
        db.execute(
            "INSERT INTO line_quota(shop_id, month, quota) VALUES(?,?,?) ON CONFLICT(shop_id,"
            " month)"
            " DO UPDATE SET quota=excluded.quota",
            (shop_id, month, quota),
        )
        if used is not None:
            db.execute(
                "UPDATE line_quota SET pushed=MAX(pushed, ?) WHERE shop_id=? AND month=?",
                (used, shop_id, month),
            )

    def quota(self, shop_id: str, month: str) -> tuple[int, int | None, int]:
        row = self.query(
            "SELECT pushed, quota, notified FROM line_quota WHERE shop_id=? AND month=?",
            (shop_id, month),
        ).fetchone()
        if row is None:
            return 0, None, 0
        return int(row[0]), (None if row[1] is None else int(row[1])), int(row[2])

    def set_quota_notified(self, shop_id: str, month: str, level: int) -> None:
        self._w().execute(
            "UPDATE line_quota SET notified=? WHERE shop_id=? AND month=?", (level, shop_id, month)
        )

    # ---- media

    def add_media(self, shop_id: str, mime: str, width: int, height: int, data: bytes) -> Media:
        media_id = secrets.token_urlsafe(18)
        self._w().execute(
            "INSERT INTO media(id, shop_id, mime, width, height, size, data, created_at)"
            " VALUES(?,?,?,?,?,?,?,?)",
            (media_id, shop_id, mime, width, height, len(data), data, time.time()),
        )
        return Media(media_id, shop_id, mime, width, height, len(data), data)

    def media(self, media_id: str) -> Media | None:
        row = self.db.execute(
            "SELECT id, shop_id, mime, width, height, size, data FROM media WHERE id=?", (media_id,)
        ).fetchone()
        return (
            None
            if row is None
            else Media(row[0], row[1], row[2], row[3], row[4], row[5], bytes(row[6]))
        )

    # ---- housekeeping

    def purge(
        self, history_days: float = 90, events_days: float = 7, media_days: float = 90
    ) -> None:
        """Forget old history, webhook event ids and media (queues are never purged)."""
        now = time.time()
        db = self._w()
        self._acked = None  # (its messages may go)
        self._flush_counters(everything=True)  # the acks the test below reads
        db.execute("DELETE FROM line_events WHERE received_at<?", (now - events_days * 86400,))
        # rows are appended in time order, so the first young row's rowid is the cut-off (no
        # index on created_at: it would cost every insert; this scan reads only old rows)
        first_young = db.execute(
            "SELECT rowid FROM history WHERE created_at>=? ORDER BY rowid LIMIT 1",
            (now - history_days * 86400,),
        ).fetchone()
        # (a shopper message the desktop has not acked is a queue item: it stays)
        ack = "(SELECT desktop_ack FROM shops s WHERE s.id=shop_id)"
        # (and a shop message a receipt riding on a shopper message's row names, schema 4)
        unacked = (
            f"(seq IS NOT NULL AND seq>{ack}) OR (rseq IS NOT NULL AND rseq>{ack})"
            " OR (origin='shop' AND EXISTS (SELECT 1 FROM history r"
            " WHERE r.shop_id=history.shop_id AND r.conversation=history.conversation"
            f" AND r.seq>{ack} AND ((r.dfrom<history.cseq AND r.dto>=history.cseq)"
            " OR (r.rfrom<history.cseq AND r.rto>=history.cseq))))"
        )
        if first_young is None:
            old, cut = "created_at<?", now - history_days * 86400
        else:
            old, cut = "rowid<?", first_young[0]
        # a conversation's next_cseq is rebuilt from its history (written behind): keep it
        # on the conversation's row before its last rows go
        db.execute(
            "INSERT INTO conversations(shop_id, conversation, next_cseq, created_at)"
            f" SELECT shop_id, conversation, MAX(cseq)+1, ? FROM history WHERE {old}"
            " GROUP BY shop_id, conversation ON CONFLICT(shop_id, conversation) DO UPDATE"
            " SET next_cseq=MAX(next_cseq, excluded.next_cseq)",
            (now, cut),
        )
        db.execute(f"DELETE FROM history WHERE {old} AND NOT ({unacked})", (cut,))
        db.execute("DELETE FROM media WHERE created_at<?", (now - media_days * 86400,))
        db.execute(
            "DELETE FROM sessions WHERE created_at<? AND NOT EXISTS (SELECT 1 FROM history h"
            " WHERE h.shop_id=sessions.shop_id AND h.conversation='widget:'||sessions.sid)",
            (now - 30 * 86400,),
        )
        self.commit()


def shop_from_row(row: Any) -> Shop:
    """A :class:`Shop` from (id, name, created_at, widget_config, allowed_origins,
    line configured, desktop_ack, presence)."""
    config = p.WidgetConfig.from_obj(json.loads(row[3])) if row[3] else p.WidgetConfig()
    return Shop(
        id=row[0],
        name=row[1],
        created_at=row[2],
        widget_config=config,
        allowed_origins=tuple(json.loads(row[4])),
        line_configured=bool(row[5]),
        desktop_ack=int(row[6]),
        presence=p.Presence(row[7]),
    )


def stream_items(
    rows: list[Any], limit: int, whole_receipt: Callable[[int], list[str]]
) -> list[tuple[int, str]]:
    """Stream items from the rows of :meth:`Store.stream_after`'s query (seq, 0 or the cseq
    of a receipt row, frame or conversation, NULL or message or msg_id), in order: a stream
    row as stored, a shopper message framed from its history row, the rows of one rseq as one
    "delivered" receipt (``whole_receipt(seq)`` reads one the LIMIT cut)."""
    out: list[tuple[int, str]] = []
    receipt: list[str] = []  # ids of the receipt being gathered (rows of one rseq)
    for i, (seq, cseq, a, b) in enumerate(rows):
        if not cseq:
            out.append((int(seq), a if b is None else stream_message(seq, a, b)))
            continue
        receipt.append(b)
        if i + 1 < len(rows) and rows[i + 1][0] == seq:
            continue
        if i + 1 == len(rows) == limit:  # the LIMIT may have cut this receipt: read it all
            receipt = whole_receipt(seq)
        out.append((int(seq), delivered_receipt(seq, a, receipt)))
        receipt = []
    return out


def history_items(rows: list[Any], acked: int, waiting: set[str]) -> list[p.HistoryItem]:
    """History items, oldest first, from rows (cseq, origin, message, status, seq) newest
    first. "delivered" is not stored: a shopper message is delivered once the desktop acked
    its seq (``acked``), or, stored before schema 3, its stream row is gone (``waiting``: the
    ids still there); "read" is stored."""
    out = []
    for cseq, origin, message, status, seq in reversed(rows):
        o = p.Origin(origin)
        kinds = p.SHOPPER_KINDS if o is p.Origin.SHOPPER else p.SHOP_KINDS
        msg = p.Message.from_obj(json.loads(message), kinds)
        state = p.ReceiptStatus(status) if status else None
        unacked = seq is not None and seq > acked
        if o is p.Origin.SHOPPER and state is None and not unacked and msg.id not in waiting:
            state = p.ReceiptStatus.DELIVERED
        out.append(p.HistoryItem(int(cseq), o, msg, state))
    return out


def stream_message(seq: int, conversation: str, message_json: str) -> str:
    """The stream item of a shopper message kept in the history (schema 3)."""
    return p.encode_message_frame(seq, message_json, conversation=conversation)


def delivered_receipt(seq: int, conversation: str, ids: list[str]) -> str:
    """The stream item of a "delivered" receipt kept in the history (schema 3)."""
    return ff.encode_receipt(conversation, p.ReceiptStatus.DELIVERED, ids, seq)


def _migrate(db: sqlite3.Connection, where: str) -> None:
    """Bring a database made by an older relay up to :data:`SCHEMA_VERSION` (a new one is
    made whole by ``_SCHEMA``). Raises SchemaMismatch, changing nothing, for a database a
    newer relay upgraded (or whose version no relay writes)."""
    if db.execute("SELECT name FROM sqlite_master WHERE name='meta'").fetchone() is None:
        return
    row = db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
    if row is None:
        return
    version = SchemaMismatch.check(where, str(row[0]), (1, SCHEMA_VERSION))
    if version < 2:
        # v2: a LINE message remembers the request it went into (retried byte for byte)
        cols = {r[1] for r in db.execute("PRAGMA table_info(line_outbox)")}
        if "batch_key" not in cols:
            db.execute("ALTER TABLE line_outbox ADD COLUMN batch_key TEXT")
        db.execute("UPDATE meta SET value='2' WHERE key='schema_version'")
    if version < 3:
        # v3: a shopper message's stream item is its history row (history.seq); the stream
        # rows an older relay wrote for messages stay and are sent and acked as before
        cols = {r[1] for r in db.execute("PRAGMA table_info(history)")}
        if "seq" not in cols:
            db.execute("ALTER TABLE history ADD COLUMN seq INTEGER")
        if "rseq" not in cols:
            db.execute("ALTER TABLE history ADD COLUMN rseq INTEGER")
        db.execute("UPDATE meta SET value='3' WHERE key='schema_version'")
    if version < 4:
        # v4: a "delivered" receipt may ride on the shopper message that carried the ack
        cols = {r[1] for r in db.execute("PRAGMA table_info(history)")}
        for col in ("dfrom", "dto", "rfrom", "rto"):
            if col not in cols:
                db.execute(f"ALTER TABLE history ADD COLUMN {col} INTEGER")
        db.execute("UPDATE meta SET value='4' WHERE key='schema_version'")
    if version < 5:
        # v5: message ids are found without the index history_msg (Store._msg_ids)
        db.execute("DROP INDEX IF EXISTS history_msg")
        db.execute("UPDATE meta SET value='5' WHERE key='schema_version'")


class _Checkpointer(threading.Thread):
    """Copies the WAL back into the database once a second on its own connection (PASSIVE:
    never blocks the writer), so the event loop never waits for a checkpoint's fsync.

    SQLite starts the WAL over only when a writer begins a transaction and finds every frame
    copied. Under steady traffic that never happens: a pass copies the frames there were when
    it began, and the event loop commits more while it runs (its fsync alone takes
    milliseconds). So once the WAL holds ``rewind_frames`` frames, the thread makes quick
    passes until one leaves at most ``REMAINDER`` frames behind, then sets ``rewind``: at its
    next commit the event loop copies the rest itself (:meth:`Store._rewind_wal`)."""

    REMAINDER = 256  # frames the event loop may be left to copy (1 MB with 4 KB pages)
    PASSES = 8  # quick passes at most before asking anyway

    def __init__(self, path: Path, rewind_frames: int, every: float) -> None:
        super().__init__(name="sqlite-checkpoint", daemon=True)
        self.path = path
        self.every = every
        self.rewind_frames = rewind_frames
        self.rewind = threading.Event()  # set: the event loop is to finish (Store.commit)
        self._halt = threading.Event()

    def run(self) -> None:
        try:
            db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            db.execute("PRAGMA busy_timeout=1000")
        except sqlite3.Error as exc:
            log.error("checkpointer cannot open %s: %s", self.path, exc)
            return
        try:
            while not self._halt.wait(self.every):
                try:
                    self._pass(db)
                except sqlite3.Error as exc:
                    log.warning("checkpoint failed: %s", exc)
        finally:
            db.close()

    def _pass(self, db: sqlite3.Connection) -> None:
        _, frames, _ = db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        if frames < self.rewind_frames or self.rewind.is_set():
            return
        # (a pass copies what was there when it began: the frames added meanwhile are what
        # the next pass finds beyond the last one's end)
        for _ in range(self.PASSES):
            if self._halt.is_set():
                return
            before = frames
            _, frames, _ = db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            if frames < before:  # started over meanwhile (a quiet moment)
                return
            if frames - before <= self.REMAINDER:
                break
        self.rewind.set()

    def stop(self) -> None:
        self._halt.set()
        if self.is_alive():
            self.join(5)


def _uuid4() -> str:
    import uuid

    return str(uuid.uuid4())
