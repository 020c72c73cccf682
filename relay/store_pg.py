"""The relay's durable state on PostgreSQL, shared by several relay processes
(``minichat-relay serve --store postgresql://…``; see docs/adr/0010-relay-shared-store.md).

Same calls as :class:`relay.storage.Store` (the server does not know which one it has), with
what a second writer changes:

- every write to a shop's rows first takes the shop's transaction lock (an advisory lock,
  see :meth:`_lock_shop`: deadlock-free), held until COMMIT;
- no write-behind counters: a stream seq comes from ``UPDATE shops SET next_seq=next_seq+1
  … RETURNING`` under that lock, so the seqs of one shop commit in the order they were given
  and a reader that saw seq N committed has every seq below N too; a conversation's cseq
  likewise from its ``conversations`` row;
- :meth:`notify` queues a NOTIFY sent with the COMMIT (delivered only if it commits; the
  payload names ids, the receiver reads the rows), :meth:`listen` hands other processes'
  notifications to the server;
- one LINE sender per shop across processes: a session-level ``pg_try_advisory_lock``
  (released by the server, or by PostgreSQL when this process's connection dies).

The connection is synchronous and in autocommit mode; a write opens a transaction
(``BEGIN``, pipelined with the first statement) and :meth:`commit` ends it, as with SQLite.
Any database error rolls the transaction back and raises :class:`StoreError`; the next
:meth:`commit` then raises too, so nothing written before the failure in the same transaction
is acknowledged. A lost connection is opened again at the next call.

Messenger / Instagram (relay/meta_store.py) run their SQL here through :meth:`run` (their
tables: relay/pg_schema.py, as all of them); their webhook bodies are claimed with the same
lease as LINE's (:meth:`claim_meta_webhooks`), and one process per shop sends their outbox
(:meth:`claim_lock`, as LINE's sender).
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import secrets
import select
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psycopg
from psycopg import pq

from relay import meta_schema, pg_schema
from relay import protocol as p
from relay.storage import (
    LineBatch,
    LineCredentials,
    Media,
    NotFound,
    OutboxItem,
    Shop,
    Store,
    StoreError,
    _load_key,
    delivered_receipt,
    hash_token,
    history_items,
    new_token,
    now_iso,
    stream_items,
)

log = logging.getLogger(__name__)

CHANNEL = "minichat_relay"  # the one NOTIFY channel; payloads say which shop and what
MAX_PAYLOAD = 7900  # PostgreSQL refuses NOTIFY payloads of 8000 bytes or more
STAMP_ROOM = 32  # of those, for the sender's time added at the commit (see _stamped)
# a shop's transaction lock, and how long it waited for it (seconds: see lock_wait)
LOCK_SHOP = (
    "SELECT pg_advisory_xact_lock(1, hashtext(%s)),"
    " extract(epoch FROM clock_timestamp() - statement_timestamp())::float8"
)
WEBHOOK_LEASE = 30.0  # seconds a process has a claimed webhook body before another may take it

_SHOP_TABLES = (
    "stream",
    "sessions",
    "conversations",
    "history",
    "line_outbox",
    "line_batches",
    "webhook_inbox",
    "line_events",
    "line_quota",
    "media",
    "desktops",
    *meta_schema.TABLES,
)


def describe_url(url: str) -> str:
    """``url`` without its password, for logs and error texts."""
    parts = urlsplit(url)
    host = parts.hostname or "local socket"
    port = f":{parts.port}" if parts.port else ""
    return f"postgresql://{host}{port}{parts.path}"


def _stamped(payload: str, at: float) -> str:
    """A notification's JSON object ``payload`` with the sender's time ``at`` (Unix seconds)
    added as ``"at"``."""
    return f'{payload[:-1]},"at":{at:.6f}}}'


@dataclass
class _InFlight:
    """A COMMIT sent and not yet answered (see PgStore.commit_in_background)."""

    conn: psycopg.Connection[Any]
    fd: int  # its socket, which the loop watches
    future: asyncio.Future[None]
    loop: asyncio.AbstractEventLoop
    error: str | None = None  # a statement of it failed


def _commit_on(conn: psycopg.Connection[Any], began: bool, payloads: list[str]) -> None:
    """COMMIT the transaction open on ``conn`` (begun: ``began``) with the NOTIFY
    ``payloads``, in one round trip (notifications are delivered only if the COMMIT is).
    Raises StoreError after a ROLLBACK (or closing a broken connection)."""
    try:
        with conn.pipeline():
            if not began:
                conn.execute("BEGIN")
            for payload in payloads:
                conn.execute("SELECT pg_notify(%s, %s)", (CHANNEL, payload))
            conn.execute("COMMIT")
    except psycopg.Error as exc:
        if conn.broken:
            conn.close()
        elif not conn.closed:
            with contextlib.suppress(psycopg.Error):
                conn.execute("ROLLBACK")
        raise StoreError(f"commit failed: {exc}") from exc


def _packed(notes: list[str], process_id: str, at: float) -> list[str]:
    """The NOTIFY payloads of one commit's events ``notes`` (JSON objects): a lone event as
    it is, several packed as few ``{"k":"batch","from":…,"e":[…],"at":…}`` payloads as fit
    (one statement and one notification per commit, not one per event: a busy commit carries
    hundreds; a receiver unpacks them in order, see :meth:`PgStore._dispatch`)."""
    if len(notes) == 1:
        return [_stamped(notes[0], at)]
    head = f'{{"k":"batch","from":"{process_id}","e":['
    room = MAX_PAYLOAD - STAMP_ROOM - len(head) - 2
    payloads: list[str] = []
    chunk: list[str] = []
    size = 0
    for note in notes:
        if chunk and size + len(note.encode()) + 1 > room:
            payloads.append(_stamped(head + ",".join(chunk) + "]}", at))
            chunk, size = [], 0
        chunk.append(note)
        size += len(note.encode()) + 1
    if chunk:
        payloads.append(_stamped(head + ",".join(chunk) + "]}", at))
    return payloads


class PgStore(Store):
    """All durable state of a relay, on a PostgreSQL database several relay processes share.
    Not thread-safe: one owner thread (the event loop, or the CLI)."""

    shared = True

    def __init__(
        self,
        url: str,
        data_dir: Path,
        password: str | None = None,
        schema_steps: Sequence[pg_schema.Step] = pg_schema.STEPS,
    ) -> None:
        # (Store.__init__ opens SQLite: not called; every method that touches the database is
        # defined here.) ``password``: when not in the URL (read from a file by the CLI).
        # ``schema_steps``: the upgrades this relay knows (tests give their own).
        self.url = url
        self._auth: dict[str, Any] = {"password": password} if password else {}
        self.where = describe_url(url)
        self.data_dir = data_dir
        self.process_id = uuid.uuid4().hex[:12]  # tells our own notifications from others'
        self._own_tag = f'"from":"{self.process_id}"'
        self._conn: psycopg.Connection[Any] | None = None
        self._in_tx = False
        self._failed: str | None = None  # a write failed: the next commit must fail too
        self._tx_shops: set[str] = set()  # shops locked by the open transaction
        self._notes: list[str] = []  # NOTIFY payloads for the next commit
        # (widget_ack, widget_read) of conversations as the open transaction left them, under
        # their shop's lock (see conversation_state)
        self._conv_state: dict[tuple[str, str], tuple[int, int]] = {}
        # ... and as this process last saw them (another may have moved them since)
        self._conv_known: dict[tuple[str, str], tuple[int, int]] = {}
        # the "delivered" receipt a widget's ack made in the open transaction, by
        # conversation: (the ack it moved from and to, the receipt or None; mark_delivered)
        self._delivering: dict[tuple[str, str], tuple[int, int, tuple[int, str] | None]] = {}
        self._sessions: set[tuple[str, str]] = set()  # widget sessions known to exist
        self._rows = 0
        self._lock_waits = 0  # shop locks taken (try or wait), and seconds waited for them
        self._lock_waited = 0.0
        self._locks: set[str] = set()  # session advisory locks held (see claim_lock)
        self._lock_conn: psycopg.Connection[Any] | None = None  # (they live on this one)
        self._spare: psycopg.Connection[Any] | None = None  # the next transaction's
        self._inflight: _InFlight | None = None  # a COMMIT sent by commit_in_background
        self._inflight_shops: set[str] = set()  # the shops whose locks it holds
        try:
            data_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot use the data folder {data_dir}: {exc}") from exc
        self._fernet = _load_key(data_dir)
        self._prepare_schema(schema_steps)

    # ---- connection and transactions

    def _connect(self) -> psycopg.Connection[Any]:
        try:
            conn = psycopg.connect(
                self.url,
                **self._auth,
                autocommit=True,
                connect_timeout=5,
                application_name=f"minichat-relay-{self.process_id}",
            )
            # "nothing acknowledged is lost": COMMIT returns after the WAL is flushed
            conn.execute("SET synchronous_commit TO on")
        except psycopg.Error as exc:
            raise StoreError(f"cannot reach the database {self.where}: {exc}") from exc
        return conn

    def _db(self) -> psycopg.Connection[Any]:
        """The connection of the open transaction and of reads (the spare one after a
        COMMIT was sent in the background: see commit_in_background)."""
        if self._conn is None or self._conn.closed:
            self._conn = None
            spare, self._spare = self._spare, None
            self._conn = spare if spare is not None and not spare.closed else self._connect()
        return self._conn

    def _lock_db(self) -> psycopg.Connection[Any]:
        """The connection holding this process's session locks (see claim_lock): its own,
        never in a transaction, so that it is the same whichever one the writes use."""
        if self._lock_conn is None or self._lock_conn.closed:
            self._locks.clear()  # session locks went with the old connection
            self._lock_conn = self._connect()
        return self._lock_conn

    def _prepare_schema(self, steps: Sequence[pg_schema.Step]) -> None:
        """Create the tables of a new database, or upgrade an older one (relay/pg_schema.py);
        raises SchemaMismatch (a newer relay's database: refused) or StoreError."""
        try:
            done = pg_schema.prepare(self._db(), self.where, steps)
        except StoreError:
            self.close()  # (nothing to commit: the process stops, or the caller gives up)
            raise
        if done.found is None:
            log.info("created the tables in %s (schema %d)", self.where, done.version)
        elif done.found != done.version:
            log.info(
                "upgraded the tables in %s from schema %d to %d",
                self.where,
                done.found,
                done.version,
            )

    def _fail(self, exc: psycopg.Error) -> StoreError:
        """Roll back after ``exc`` and the StoreError to raise (the open transaction is lost,
        so the next commit fails as well)."""
        if self._in_tx:
            self._failed = str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc)
        self._in_tx = False
        self._tx_shops.clear()
        self._conv_state.clear()
        self._conv_known.clear()  # (what the rolled back transaction moved)
        self._delivering.clear()
        self._notes.clear()  # what they announce is rolled back
        conn = self._conn
        if conn is not None and not conn.closed:
            if isinstance(exc, psycopg.OperationalError) and conn.broken:
                conn.close()
            else:
                with contextlib.suppress(psycopg.Error):
                    conn.execute("ROLLBACK")
        return StoreError(f"database {self.where}: {exc}")

    def _x(
        self,
        query: str,
        params: Any = (),
        *,
        write: bool = False,
        shop: str | None = None,
        locking: bool = False,
    ) -> psycopg.Cursor[Any]:
        """Run one statement (in the write transaction when ``write``, after taking the lock
        of ``shop``: see :meth:`_lock_shop`; ``locking``: it takes a lock itself). A write
        to a shop whose rows the COMMIT in flight holds, or to no shop in particular, waits
        for that COMMIT first (see commit_in_background)."""
        if self._inflight is not None and not locking:
            if shop in self._inflight_shops if shop is not None else write:
                self._join()
        lock = shop is not None and shop not in self._tx_shops
        if lock and self._tx_shops:
            self._lock_shop(str(shop))  # a second shop: try, or commit first (see there)
            lock = False
        db = self._db()
        begin = write and not self._in_tx
        try:
            if begin or lock:  # BEGIN, the first shop's lock and the statement: one round trip
                with db.pipeline():
                    if begin:
                        db.execute("BEGIN")
                    locked = db.execute(LOCK_SHOP, ("shop:" + str(shop),)) if lock else None
                    cur = db.execute(query, params)
                if locked is not None:
                    self._waited(locked)
            else:
                cur = db.execute(query, params)
        except psycopg.Error as exc:
            raise self._fail(exc) from exc
        if begin:
            self._in_tx = True
        if lock:
            self._tx_shops.add(str(shop))
        if write and cur.rowcount > 0:
            self._rows += cur.rowcount
        return cur

    def _lock_shop(self, shop_id: str) -> None:
        """Take the shop's transaction lock before writing any of its rows, so two processes
        never hold rows of one shop in opposite orders (a deadlock). A transaction that holds
        other shops' locks only tries; if another process has this shop, it commits what it
        wrote first and then waits holding nothing, so no wait can close a cycle."""
        key = ("shop:" + shop_id,)
        if self._tx_shops:
            got = self._x(
                "SELECT pg_try_advisory_xact_lock(1, hashtext(%s))", key, write=True, locking=True
            )
            row = got.fetchone()
            if row is not None and row[0]:
                self._lock_waits += 1  # (taken at once)
                self._tx_shops.add(shop_id)
                return
            try:
                self.commit()
            except StoreError as exc:  # what the transaction held is lost: say so at the commit
                self._failed = str(exc)
                raise
        self._waited(self._x(LOCK_SHOP, key, write=True, locking=True))
        self._tx_shops.add(shop_id)

    def _waited(self, locked: psycopg.Cursor[Any]) -> None:
        row = locked.fetchone()
        self._lock_waits += 1
        self._lock_waited += max(0.0, float(row[1])) if row is not None else 0.0

    @property
    def wal(self) -> None:
        """SQLite's WAL figures (relay/storage.py); PostgreSQL keeps its own WAL."""
        return None

    @property
    def lock_wait(self) -> tuple[int, float]:
        """(shop locks this process took, seconds it waited for them in all): what the
        processes on one database cost each other (the metrics' store_lock_wait_seconds)."""
        return self._lock_waits, self._lock_waited

    def _w(self) -> Any:
        raise StoreError("a PostgreSQL store has no SQLite connection (relay/meta_store.py: run)")

    def write(self) -> Any:
        return self._w()

    @property
    def db(self) -> Any:  # type: ignore[override]  # (SQLite's; relay/meta_store.py uses run)
        return self._w()

    def run(
        self, sql: str, params: Any = (), *, write: bool = False, shop: str | None = None
    ) -> psycopg.Cursor[Any]:
        """One statement written for SQLite's placeholders (``?``), as relay/meta_store.py
        writes its SQL for both stores: in the write transaction when ``write``, after taking
        the lock of ``shop`` (see :meth:`_x`)."""
        return self._x(sql.replace("%", "%%").replace("?", "%s"), params, write=write, shop=shop)

    def query(self, sql: str, params: Any = ()) -> psycopg.Cursor[Any]:
        """One read statement written for SQLite's placeholders: the reads this store shares
        with :class:`relay.storage.Store` (its ``shop``, ``has_session``, ``quota``…)."""
        return self.run(sql, params)

    @property
    def rows_written(self) -> int:
        return self._rows

    @property
    def dirty(self) -> bool:
        return self._in_tx or self._failed is not None or bool(self._notes)

    def _take_tx(self) -> tuple[bool, list[str]] | None:
        """End the open transaction's bookkeeping for its COMMIT: (whether it began, the
        NOTIFY payloads to send with it), or None when there is nothing to commit. Raises
        StoreError (after a ROLLBACK) when a write of it failed."""
        failed, self._failed = self._failed, None
        notes, self._notes = self._notes, []
        self._tx_shops.clear()
        self._conv_state.clear()
        self._delivering.clear()
        if failed is not None:
            if self._in_tx:
                self._in_tx = False
                with contextlib.suppress(psycopg.Error, StoreError):
                    self._db().execute("ROLLBACK")
            raise StoreError(f"commit failed: an earlier write failed: {failed}")
        if not self._in_tx and not notes:
            return None
        began, self._in_tx = self._in_tx, False
        # the receivers measure their lag from here (the metrics)
        return began, _packed(notes, self.process_id, time.time())

    def commit(self) -> None:
        self._join()
        taken = self._take_tx()
        if taken is None:
            return
        try:
            try:
                db = self._db()
            except StoreError as exc:
                raise StoreError(f"commit failed: {exc}") from exc
            _commit_on(db, *taken)
        except StoreError:
            self._conv_known.clear()  # (what the lost transaction moved)
            raise

    def commit_in_background(self) -> asyncio.Future[None] | None:
        """Send the open transaction's COMMIT (and its notifications) and do not wait for it:
        the event loop reads its answer when it arrives (no thread), and the future is done
        then (its exception: StoreError if it failed). Meanwhile the next transaction is
        written on the spare connection; a write to a shop the committing transaction holds,
        a write to no shop in particular, :meth:`commit` and the next commit_in_background
        first wait for it (see _join), so a shop's writes still commit in the order they
        were made. At most one is in flight. Call it from the event loop.

        None on Windows, whose default (proactor) event loop cannot watch a socket for the
        answer: the server then commits in place (:meth:`commit`)."""
        if sys.platform == "win32":
            return None
        self._join()
        shops = set(self._tx_shops)
        taken = self._take_tx()
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        if taken is None:
            future.set_result(None)
            return future
        try:
            conn = self._db()
        except StoreError as exc:
            raise StoreError(f"commit failed: {exc}") from exc
        began, payloads = taken
        escape = pq.Escaping(conn.pgconn)
        sql = b"".join(
            [b"" if began else b"BEGIN;"]
            + [
                b"SELECT pg_notify('%s', %s);"
                % (CHANNEL.encode(), escape.escape_literal(n.encode()))
                for n in payloads
            ]
            + [b"COMMIT"]
        )
        try:
            conn.pgconn.send_query(sql)  # (one simple query: one round trip)
            while conn.pgconn.flush():
                select.select([], [conn.pgconn.socket], [])
        except psycopg.Error as exc:
            conn.close()
            raise StoreError(f"commit failed: {exc}") from exc
        self._conn = None  # the next transaction takes the spare connection (see _db)
        self._inflight = _InFlight(conn, conn.pgconn.socket, future, loop)
        self._inflight_shops = shops
        loop.add_reader(self._inflight.fd, self._commit_answered, False)
        return future

    def _join(self) -> None:
        """Wait for the answer of the COMMIT in flight, if any (see _commit_answered)."""
        if self._inflight is not None:
            self._commit_answered(True)

    def _commit_answered(self, block: bool) -> None:
        """Read what arrived of the answer to the COMMIT in flight (``block``: wait for all
        of it); once whole, keep its connection as the spare and settle its future."""
        flight = self._inflight
        if flight is None:
            return
        pg = flight.conn.pgconn
        try:
            while True:
                pg.consume_input()
                while not pg.is_busy():
                    res = pg.get_result()
                    if res is None:
                        self._commit_done(flight, None)
                        return
                    if res.status == pq.ExecStatus.FATAL_ERROR and flight.error is None:
                        flight.error = (res.error_message or b"").decode(errors="replace")
                if not block:
                    return
                select.select([flight.fd], [], [])
        except (psycopg.Error, OSError) as exc:
            self._commit_done(flight, str(exc) or repr(exc))

    def _commit_done(self, flight: _InFlight, error: str | None) -> None:
        self._inflight = None
        self._inflight_shops = set()
        conn = flight.conn
        flight.loop.remove_reader(flight.fd)
        error = error or flight.error
        if error is not None:
            self._conv_known.clear()  # (what the lost transaction moved)
        if error is not None and not conn.closed:
            try:
                conn.execute("ROLLBACK")  # (after a failed statement: the transaction is open)
            except psycopg.Error:
                conn.close()
        if conn.closed:
            conn.close()  # (a lost one: frees it)
        elif self._spare is None or self._spare.closed:
            self._spare = conn
        elif self._conn is None or self._conn.closed:
            self._conn = conn
        else:
            conn.close()
        if flight.future.done():
            return
        if error is None:
            flight.future.set_result(None)
        else:
            first = error.strip().splitlines()[0] if error.strip() else error
            flight.future.set_exception(StoreError(f"commit failed: {first}"))

    def forget_caches(self) -> None:
        """Forget the widget sessions known to exist and the conversations' ack counters as
        last seen (see conversation_state)."""
        self._sessions.clear()
        self._conv_known.clear()

    def close(self) -> None:
        with contextlib.suppress(StoreError):
            self.commit()
        for conn in (self._conn, self._spare, self._lock_conn):
            if conn is not None:
                conn.close()
        self._conn = self._spare = self._lock_conn = None

    def notify(self, event: dict[str, Any]) -> None:
        """Tell the other relay processes ``event`` when the open transaction commits (in a
        transaction of its own if none is open: nothing to wait for then). The event names
        ids; a receiver reads the rows. An event too large for NOTIFY is dropped, logged."""
        payload = json.dumps({**event, "from": self.process_id}, separators=(",", ":"))
        if len(payload.encode()) >= MAX_PAYLOAD - STAMP_ROOM:
            log.warning("event %s for shop %s too large to notify", event.get("k"), event.get("s"))
            return
        self._notes.append(payload)  # sent with the COMMIT (see commit)

    async def listen(self, on_event: Callable[[dict[str, Any]], None]) -> None:
        """Hand every other process's event to ``on_event`` until cancelled. After a lost
        connection (store restarted) it connects again and hands ``{"k": "resync", "seqs":
        {shop: last committed seq}}`` first, for what was missed meanwhile."""
        backoff = 0.5
        first = True
        while True:
            try:
                aconn = await psycopg.AsyncConnection.connect(
                    self.url, **self._auth, autocommit=True, connect_timeout=5
                )
            except psycopg.Error as exc:
                log.warning("cannot listen on %s: %s; again in %.1fs", self.where, exc, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 10)
                continue
            try:
                async with aconn:
                    await aconn.execute(f"LISTEN {CHANNEL}")
                    if not first:
                        log.info("listening on %s again", self.where)
                        cur = await aconn.execute("SELECT id, next_seq - 1 FROM shops")
                        seqs = {str(r[0]): int(r[1]) for r in await cur.fetchall()}
                        on_event({"k": "resync", "seqs": seqs})
                    first = False
                    backoff = 0.5
                    async for n in aconn.notifies():
                        self._dispatch(n.payload, on_event)
            except psycopg.Error as exc:
                log.warning("lost the notifications of %s: %s", self.where, exc)
                await asyncio.sleep(backoff)

    def _dispatch(self, payload: str, on_event: Callable[[dict[str, Any]], None]) -> None:
        if self._own_tag in payload:  # ours, sent back to our own listener: not parsed
            return  # (the tag cannot occur inside a JSON string: its quotes would be escaped)
        try:
            event = json.loads(payload)
        except ValueError:
            log.warning("unreadable notification on %s", CHANNEL)
            return
        if not isinstance(event, dict):
            return
        if event.get("k") == "batch":  # several events of one commit (see _packed)
            events = [e for e in event.get("e") or () if isinstance(e, dict)]
            for e in events:
                e["at"] = event.get("at")
        else:
            events = [event]
        for e in events:
            try:
                on_event(e)
            except Exception:
                log.exception("handling the notification %s failed", e.get("k"))

    def set_desktop(self, shop_id: str, presence: p.Presence | None) -> None:
        """The shop's desktop is connected here with ``presence`` (None: it left here)."""
        if presence is None:
            self._x(
                "DELETE FROM desktops WHERE shop_id=%s AND process=%s",
                (shop_id, self.process_id),
                write=True,
                shop=shop_id,
            )
            return
        self._x(
            "INSERT INTO desktops(shop_id, process, presence) VALUES(%s,%s,%s)"
            " ON CONFLICT(shop_id) DO UPDATE SET process=excluded.process,"
            " presence=excluded.presence",
            (shop_id, self.process_id, presence.value),
            write=True,
            shop=shop_id,
        )

    def remote_desktop(self, shop_id: str) -> p.Presence | None:
        """The presence of the shop's desktop if another live relay process holds it (a
        process killed with SIGKILL has lost its database connection, so its row is stale)."""
        row = self._x(
            "SELECT presence FROM desktops d WHERE shop_id=%s AND process<>%s AND EXISTS"
            " (SELECT 1 FROM pg_stat_activity a"
            " WHERE a.application_name='minichat-relay-'||d.process)",
            (shop_id, self.process_id),
        ).fetchone()
        return None if row is None else p.Presence(row[0])

    def claim_line_sender(self, shop_id: str) -> bool:
        """Whether this process may send the shop's LINE outbox (one sender per shop across
        the processes: see :meth:`claim_lock`)."""
        return self.claim_lock("line:" + shop_id)

    def release_line_sender(self, shop_id: str) -> None:
        self.release_lock("line:" + shop_id)

    def claim_lock(self, name: str) -> bool:
        """Whether this process holds the lock ``name`` (taken now if free): a session-level
        ``pg_try_advisory_lock``, kept until :meth:`release_lock` or until this process's
        connection ends (a process killed with SIGKILL loses it at once)."""
        if name in self._locks:
            return True
        if self._session_lock("SELECT pg_try_advisory_lock(hashtext(%s))", name):
            self._locks.add(name)
            return True
        return False

    def release_lock(self, name: str) -> None:
        if name in self._locks:
            self._locks.discard(name)
            with contextlib.suppress(StoreError):
                self._session_lock("SELECT pg_advisory_unlock(hashtext(%s))", name)

    def _session_lock(self, query: str, name: str) -> bool:
        """Take or release a session lock on the locks' own connection (see _lock_db)."""
        db = self._lock_db()
        try:
            row = db.execute(query, (name,)).fetchone()
        except psycopg.Error as exc:
            if db.broken:
                db.close()
            raise StoreError(f"database {self.where}: {exc}") from exc
        return row is not None and bool(row[0])

    # ---- shops

    def add_shop(self, name: str) -> tuple[str, str]:
        shop_id = "shop_" + secrets.token_hex(6)
        token = new_token("mcs_")
        config = p.WidgetConfig(shop_name=name[:100])
        self._x(
            "INSERT INTO shops(id, name, token_hash, created_at, widget_config)"
            " VALUES(%s,%s,%s,%s,%s)",
            (shop_id, name, hash_token(token), now_iso(), p.encode_obj(config.to_obj())),
            write=True,
            shop=shop_id,
        )
        self.commit()
        return shop_id, token

    def rotate_token(self, shop_id: str) -> str:
        token = new_token("mcs_")
        cur = self._x(
            "UPDATE shops SET token_hash=%s WHERE id=%s",
            (hash_token(token), shop_id),
            write=True,
            shop=shop_id,
        )
        self.commit()
        if cur.rowcount == 0:
            raise NotFound(shop_id)
        return token

    def remove_shop(self, shop_id: str) -> None:
        cur = self._x("DELETE FROM shops WHERE id=%s", (shop_id,), write=True, shop=shop_id)
        gone = cur.rowcount
        for table in _SHOP_TABLES:
            self._x(f"DELETE FROM {table} WHERE shop_id=%s", (shop_id,), write=True, shop=shop_id)
        self.commit()
        if gone == 0:
            raise NotFound(shop_id)

    def shop_by_token(self, token: str) -> Shop | None:
        digest = hash_token(token)
        row = self._x("SELECT id, token_hash FROM shops WHERE token_hash=%s", (digest,)).fetchone()
        if row is None or not hmac.compare_digest(bytes(row[1]), digest):
            return None
        return self.shop(row[0])

    def shops(self) -> list[Shop]:
        ids = [r[0] for r in self._x("SELECT id FROM shops ORDER BY created_at, id").fetchall()]
        return [self.shop(i) for i in ids]

    def data_version(self) -> int:
        """Changes when a shop is added, removed or has its token rotated (by any process)."""
        row = self._x(
            "SELECT count(*), coalesce(bit_xor(hashtextextended(encode(token_hash, 'hex'), 0)),"
            " 0) FROM shops"
        ).fetchone()
        return 0 if row is None else hash((int(row[0]), int(row[1])))

    def check(self) -> None:
        """Raise StoreError unless the database answers a real query."""
        if self._in_tx:
            return  # answering writes now; a failure shows at the commit
        try:
            self._x("SELECT count(*) FROM shops").fetchone()
        except StoreError as exc:
            raise StoreError(f"the database does not answer: {exc}") from exc

    def stream_depths(self) -> dict[str, int]:
        rows = self._x("SELECT id, next_seq, desktop_ack FROM shops").fetchall()
        return {str(r[0]): int(r[1]) - 1 - int(r[2]) for r in rows}

    def set_widget_config(self, shop_id: str, config: p.WidgetConfig) -> None:
        cur = self._x(
            "UPDATE shops SET widget_config=%s WHERE id=%s",
            (p.encode_obj(config.to_obj()), shop_id),
            write=True,
            shop=shop_id,
        )
        if cur.rowcount == 0:
            raise NotFound(shop_id)

    def set_origins(self, shop_id: str, origins: tuple[str, ...]) -> None:
        cur = self._x(
            "UPDATE shops SET allowed_origins=%s WHERE id=%s",
            (json.dumps(list(origins)), shop_id),
            write=True,
            shop=shop_id,
        )
        if cur.rowcount == 0:
            raise NotFound(shop_id)

    def set_presence(self, shop_id: str, presence: p.Presence) -> None:
        self._x(
            "UPDATE shops SET presence=%s WHERE id=%s AND presence<>%s",
            (presence.value, shop_id, presence.value),
            write=True,
            shop=shop_id,
        )

    def set_line(self, shop_id: str, creds: LineCredentials | None) -> None:
        values: tuple[Any, ...] = (None, None, shop_id)
        if creds is not None:
            values = (self.seal(creds.channel_secret), self.seal(creds.channel_token), shop_id)
        cur = self._x(
            "UPDATE shops SET line_secret=%s, line_token=%s WHERE id=%s",
            values,
            write=True,
            shop=shop_id,
        )
        if cur.rowcount == 0:
            raise NotFound(shop_id)

    def line_credentials(self, shop_id: str) -> LineCredentials | None:
        row = self._x(
            "SELECT line_secret, line_token FROM shops WHERE id=%s", (shop_id,)
        ).fetchone()
        if row is None or row[0] is None:
            return None
        try:
            return LineCredentials(self.unseal(bytes(row[0])), self.unseal(bytes(row[1])))
        except Exception as exc:  # cryptography's InvalidToken: another relay key
            raise StoreError(
                f"cannot decrypt the LINE credentials of {shop_id}: wrong relay key"
                " (every relay process needs the same MINICHAT_RELAY_KEY)"
            ) from exc

    # ---- the desktop stream

    def _shop_counters(self, shop_id: str) -> list[int]:
        row = self._x("SELECT next_seq, desktop_ack FROM shops WHERE id=%s", (shop_id,)).fetchone()
        if row is None:
            raise NotFound(shop_id)
        return [int(row[0]), int(row[1])]

    def _next_seq(self, shop_id: str) -> int:
        """The shop's next stream seq; its row stays locked until this transaction ends, so
        the shop's seqs commit in order whichever process takes them."""
        row = self._x(
            "UPDATE shops SET next_seq=next_seq+1 WHERE id=%s RETURNING next_seq-1",
            (shop_id,),
            write=True,
            shop=shop_id,
        ).fetchone()
        if row is None:
            raise NotFound(shop_id)
        return int(row[0])

    def _give_back_seq(self, shop_id: str) -> None:
        """Nothing was stored under the seq just taken (the row is still ours: nobody took
        one since)."""
        self._x(
            "UPDATE shops SET next_seq=next_seq-1 WHERE id=%s", (shop_id,), write=True, shop=shop_id
        )

    def append_stream(
        self, shop_id: str, make: Any, conversation: str | None = None, msg_id: str | None = None
    ) -> tuple[int, str]:
        seq = self._next_seq(shop_id)
        made = make(seq)
        text = made if isinstance(made, str) else p.encode(made)
        self._x(
            "INSERT INTO stream(shop_id, seq, frame, conversation, msg_id) VALUES(%s,%s,%s,%s,%s)",
            (shop_id, seq, text, conversation, msg_id),
            write=True,
            shop=shop_id,
        )
        return seq, text

    def stream_after(self, shop_id: str, after: int, limit: int = 500) -> list[tuple[int, str]]:
        after = max(after, self._shop_counters(shop_id)[1])
        rows = self._x(
            "SELECT seq, 0::bigint, frame, NULL::text FROM stream WHERE shop_id=%s AND seq>%s"
            " UNION ALL SELECT seq, 0::bigint, conversation, message FROM history"
            " WHERE shop_id=%s AND seq>%s"
            " UNION ALL SELECT rseq, cseq, conversation, msg_id FROM history"
            " WHERE shop_id=%s AND rseq>%s ORDER BY 1, 2 LIMIT %s",
            (shop_id, after, shop_id, after, shop_id, after, limit),
        ).fetchall()

        def whole_receipt(seq: int) -> list[str]:
            return [
                str(r[0])
                for r in self._x(
                    "SELECT msg_id FROM history WHERE shop_id=%s AND rseq=%s ORDER BY cseq",
                    (shop_id, seq),
                ).fetchall()
            ]

        return stream_items(rows, limit, whole_receipt)

    def mark_delivered(
        self, shop_id: str, conversation: str, after: int, up_to: int
    ) -> tuple[int, str] | None:
        """The "delivered" receipt of the shop's messages after ``after`` up to ``up_to``
        (None: none newly covered). After a widget's ack in the open transaction moved over
        that span, the receipt that ack's statement made (no round trip: see widget_ack);
        else one round trip: a seq is taken only when some message is newly covered (the
        rows cannot change meanwhile: the shop's lock is ours)."""
        made = self._delivering.pop((shop_id, conversation), None)
        if made is not None and after <= made[0] and up_to >= made[1]:
            return made[2]  # (an ``after`` below the ack's old value: those were covered)
        where = (
            " WHERE shop_id=%(shop)s AND conversation=%(conv)s AND origin='shop'"
            " AND cseq>%(after)s AND cseq<=%(up_to)s AND rseq IS NULL"
            " AND msg_id NOT LIKE 'relay-%%'"
        )
        rows = self._x(
            f"WITH c AS (SELECT 1 FROM history{where} LIMIT 1),"
            " s AS (UPDATE shops SET next_seq=next_seq+1 WHERE id=%(shop)s"
            " AND EXISTS (SELECT 1 FROM c) RETURNING next_seq-1 AS seq)"
            f" UPDATE history SET rseq=(SELECT seq FROM s){where}"
            " AND EXISTS (SELECT 1 FROM s) RETURNING rseq, cseq, msg_id",
            {"shop": shop_id, "conv": conversation, "after": after, "up_to": up_to},
            write=True,
            shop=shop_id,
        ).fetchall()
        if not rows:
            return None
        seq = int(rows[0][0])
        ids = [str(r[2]) for r in sorted(rows, key=lambda r: int(r[1]))]
        return seq, delivered_receipt(seq, conversation, ids)

    def add_shopper_message_delivering(
        self,
        shop_id: str,
        conversation: str,
        message: p.Message,
        message_json: str,
        delivered: tuple[int, int] | None,
        read: tuple[int, int, tuple[str, ...]] | None = None,
    ) -> tuple[int, bool, int, list[tuple[int, str]]]:
        # here the receipts are rows of their own (delivered: marked on the shop's messages'
        # rows), then the message is stored (no write-behind counters to save a row with)
        made: list[tuple[int, str]] = []
        if delivered is not None:
            got = self.mark_delivered(shop_id, conversation, *delivered)
            made += [got] if got is not None else []
        if read is not None and read[2]:
            status, ids = p.ReceiptStatus.READ, read[2]
            made.append(
                self.append_stream(shop_id, lambda s: p.Receipt(conversation, status, ids, s))
            )
        return (*self.add_shopper_message(shop_id, conversation, message, message_json), made)

    def ack_stream(self, shop_id: str, seq: int) -> tuple[int, dict[str, list[str]]]:
        # one round trip: lock the shop's row, move its ack, forget the stream rows it covers
        # and read what was delivered (the first row: the ack as it now is)
        rows = self._x(
            "WITH o AS (SELECT desktop_ack AS old, GREATEST(desktop_ack, LEAST(%(seq)s,"
            " next_seq-1)) AS ack FROM shops WHERE id=%(shop)s FOR UPDATE),"
            " d AS (DELETE FROM stream s USING o WHERE s.shop_id=%(shop)s AND s.seq<=o.ack"
            " AND o.ack>o.old RETURNING s.seq, s.conversation, s.msg_id),"
            " u AS (UPDATE shops SET desktop_ack=o.ack FROM o WHERE id=%(shop)s"
            " AND o.ack>o.old)"
            " SELECT 0 AS k, ack AS seq, NULL::text, NULL::text FROM o"
            " UNION ALL SELECT 1, seq, conversation, msg_id FROM d"
            " UNION ALL SELECT 1, h.seq, h.conversation, h.msg_id FROM history h, o"
            " WHERE h.shop_id=%(shop)s AND h.seq>o.old AND h.seq<=o.ack",
            {"shop": shop_id, "seq": seq},
            write=True,
            shop=shop_id,
        ).fetchall()
        rows.sort()
        if not rows or rows[0][0] != 0:
            raise NotFound(shop_id)
        delivered: dict[str, list[str]] = {}
        for _, _, conv, msg_id in rows[1:]:
            if msg_id is not None and conv is not None:
                delivered.setdefault(conv, []).append(msg_id)
        return int(rows[0][1]), delivered

    # ---- sessions

    def new_session(self, shop_id: str) -> tuple[str, str]:
        import base64

        sid = base64.urlsafe_b64encode(secrets.token_bytes(12)).decode()
        token = new_token()
        self._x(
            "INSERT INTO sessions(token_hash, shop_id, sid, created_at) VALUES(%s,%s,%s,%s)",
            (hash_token(token), shop_id, sid, time.time()),
            write=True,
            shop=shop_id,
        )
        return sid, token

    def session(self, shop_id: str, token: str) -> str | None:
        digest = hash_token(token)
        row = self._x(
            "SELECT sid, token_hash FROM sessions WHERE token_hash=%s AND shop_id=%s",
            (digest, shop_id),
        ).fetchone()
        if row is None or not hmac.compare_digest(bytes(row[1]), digest):
            return None
        return str(row[0])

    # ---- conversations and history

    def _conv_counters(self, shop_id: str, conversation: str) -> list[int]:
        row = self._x(
            "SELECT next_cseq, widget_ack, widget_read FROM conversations"
            " WHERE shop_id=%s AND conversation=%s",
            (shop_id, conversation),
        ).fetchone()
        return [int(row[0]), int(row[1]), int(row[2])] if row else [1, 0, 0]

    def find_message(
        self, shop_id: str, conversation: str, origin: p.Origin, msg_id: str
    ) -> int | None:
        row = self._x(
            "SELECT cseq FROM history WHERE shop_id=%s AND conversation=%s AND origin=%s"
            " AND msg_id=%s",
            (shop_id, conversation, origin.value, msg_id),
        ).fetchone()
        return None if row is None else int(row[0])

    def _insert_history(
        self,
        key: tuple[str, str],
        origin: p.Origin,
        message: p.Message,
        message_json: str,
        to_desktop: bool = False,
        riding: tuple[Any, Any] = (None, None),  # (never: add_shopper_message_delivering)
    ) -> tuple[int, bool, int]:
        shop_id, conversation = key
        # one round trip: the conversation's next cseq, the shop's next seq (when the desktop
        # gets it) and the row; a message id already there takes none of them (given back)
        row = self._x(
            "WITH c AS (INSERT INTO conversations(shop_id, conversation, next_cseq, created_at)"
            " VALUES(%(shop)s, %(conv)s, 2, %(now)s) ON CONFLICT(shop_id, conversation) DO UPDATE"
            " SET next_cseq=conversations.next_cseq+1 RETURNING next_cseq-1 AS cseq),"
            " s AS (UPDATE shops SET next_seq=next_seq+1 WHERE id=%(shop)s AND %(stream)s"
            " RETURNING next_seq-1 AS seq)"
            " INSERT INTO history(shop_id, conversation, cseq, origin, msg_id, message, status,"
            " created_at, seq) SELECT %(shop)s, %(conv)s, c.cseq, %(origin)s, %(id)s, %(msg)s,"
            " NULL, %(now)s, (SELECT seq FROM s) FROM c ON CONFLICT DO NOTHING"
            " RETURNING cseq, seq",
            {
                "shop": shop_id,
                "conv": conversation,
                "now": time.time(),
                "stream": to_desktop,
                "origin": origin.value,
                "id": message.id,
                "msg": message_json,
            },
            write=True,
            shop=shop_id,
        ).fetchone()
        if row is not None:
            if to_desktop and row[1] is None:
                raise NotFound(shop_id)
            return int(row[0]), True, int(row[1] or 0)
        if to_desktop:  # the id was there (a resend, or stored by another process meanwhile)
            self._give_back_seq(shop_id)
        self._x(
            "UPDATE conversations SET next_cseq=next_cseq-1 WHERE shop_id=%s AND conversation=%s",
            key,
            write=True,
            shop=shop_id,
        )
        again = self.find_message(shop_id, conversation, origin, message.id)
        if again is None:
            raise StoreError(f"history of {conversation} is out of step; retry")
        return again, False, 0

    def history(
        self, shop_id: str, conversation: str, after: int, limit: int = p.MAX_HISTORY
    ) -> list[p.HistoryItem]:
        rows = self._x(
            "SELECT cseq, origin, message, status, seq FROM history WHERE shop_id=%s AND"
            " conversation=%s AND cseq>%s ORDER BY cseq DESC LIMIT %s",
            (shop_id, conversation, after, limit),
        ).fetchall()
        acked = self._shop_counters(shop_id)[1]
        waiting = {
            str(r[0])
            for r in self._x(
                "SELECT msg_id FROM stream WHERE shop_id=%s AND conversation=%s"
                " AND msg_id IS NOT NULL",
                (shop_id, conversation),
            ).fetchall()
        }
        return history_items(rows, acked, waiting)

    def conversation_state(self, shop_id: str, conversation: str) -> tuple[int, int]:
        """(widget_ack, widget_read) of a conversation: as :meth:`widget_ack` left them in
        the open transaction (exact: the shop's lock is ours, nobody else can move them
        before the COMMIT); else as this process last saw them, read once. Those may be
        behind (another process moved them since): relay/app.py's _widget_ack reads them
        before its ack only to say where the ack's receipt starts, and mark_delivered hands
        over the receipt the ack made whatever lower value it is given (what lies below the
        ack's real old value was covered before; no round trip, no wrong receipt)."""
        key = (shop_id, conversation)
        if shop_id in self._tx_shops:
            exact = self._conv_state.get(key)
            if exact is not None:
                return exact
        seen = self._conv_known.get(key)
        if seen is None:
            c = self._conv_counters(shop_id, conversation)
            seen = self._remember(key, (c[1], c[2]))
        return seen

    def _remember(self, key: tuple[str, str], counters: tuple[int, int]) -> tuple[int, int]:
        if len(self._conv_known) > 100_000:
            self._conv_known.clear()
        self._conv_known[key] = counters
        return counters

    def widget_ack(self, shop_id: str, conversation: str, seq: int, *, read: bool) -> list[str]:
        """Move the widget's ack (``read``: its read mark, which moves the ack too) and return
        the shop messages it newly covers, in one round trip that also reads the counters as
        they were (kept: conversation_state) and, for an ack, makes the "delivered" receipt
        of the covered messages (kept: mark_delivered, which relay/app.py calls next with
        the ack's old value; a receipt nobody asks for still reaches the desktop, read from
        the stream)."""
        covered = (
            " h.shop_id=%(shop)s AND h.conversation=%(conv)s AND h.origin='shop'"
            " AND h.cseq>o.old AND h.cseq<=o.upto"
        )
        unmarked = f"{covered} AND h.rseq IS NULL AND h.msg_id NOT LIKE 'relay-%%'"
        row = self._x(
            "WITH o AS (SELECT LEAST(%(seq)s, next_cseq-1) AS upto, widget_ack AS ack,"
            " widget_read AS rd, CASE WHEN %(read)s THEN widget_read ELSE widget_ack END AS old"
            " FROM conversations WHERE shop_id=%(shop)s AND conversation=%(conv)s FOR UPDATE),"
            " u AS (UPDATE conversations c SET widget_ack=GREATEST(c.widget_ack, o.upto),"
            " widget_read=CASE WHEN %(read)s THEN GREATEST(c.widget_read, o.upto)"
            " ELSE c.widget_read END FROM o WHERE c.shop_id=%(shop)s"
            " AND c.conversation=%(conv)s AND o.upto>o.old),"
            f" c AS (SELECT 1 FROM history h, o WHERE NOT %(read)s AND{unmarked} LIMIT 1),"
            " s AS (UPDATE shops SET next_seq=next_seq+1 WHERE id=%(shop)s"
            " AND EXISTS (SELECT 1 FROM c) RETURNING next_seq-1 AS seq),"
            f" m AS (UPDATE history h SET rseq=s.seq FROM o, s WHERE{unmarked}"
            " RETURNING h.cseq, h.msg_id)"
            f" SELECT o.ack, o.rd, o.upto, o.old, ARRAY(SELECT h.msg_id FROM history h"
            f" WHERE{covered} ORDER BY h.cseq), (SELECT seq FROM s),"
            " ARRAY(SELECT msg_id FROM m ORDER BY cseq) FROM o",
            {"shop": shop_id, "conv": conversation, "seq": seq, "read": read},
            write=True,
            shop=shop_id,
        ).fetchone()
        key = (shop_id, conversation)
        if row is None:  # no such conversation (yet): nothing to move
            self._conv_state[key] = (0, 0)
            return []
        ack, rd, upto, old = (int(v) for v in row[:4])
        if not read:
            rseq = None if row[5] is None else int(row[5])
            receipt = (
                None if rseq is None else (rseq, delivered_receipt(rseq, conversation, row[6]))
            )
            self._delivering[key] = (old, upto, receipt)
        if upto > old:
            ack, rd = max(ack, upto), (max(rd, upto) if read else rd)
        self._conv_state[key] = self._remember(key, (ack, rd))
        return [str(i) for i in row[4]]

    def mark_shopper_messages(
        self,
        shop_id: str,
        conversation: str,
        status: p.ReceiptStatus,
        up_to_cseq: int | None = None,
        ids: list[str] | None = None,
    ) -> list[str]:
        older = (
            "status IS NULL"
            if status is p.ReceiptStatus.DELIVERED
            else "(status IS NULL OR status='delivered')"
        )
        base = (
            "UPDATE history SET status=%s WHERE shop_id=%s AND conversation=%s"
            f" AND origin='shopper' AND {older}"
        )
        if ids is not None:
            rows = self._x(
                base + " AND msg_id = ANY(%s) RETURNING cseq, msg_id",
                (status.value, shop_id, conversation, list(ids)),
                write=True,
                shop=shop_id,
            ).fetchall()
        else:
            rows = self._x(
                base + " AND cseq<=%s RETURNING cseq, msg_id",
                (status.value, shop_id, conversation, up_to_cseq or 0),
                write=True,
                shop=shop_id,
            ).fetchall()
        return [str(r[1]) for r in sorted(rows)]

    def set_reply_token(self, shop_id: str, conversation: str, token: str, at: float) -> None:
        self._x(
            "INSERT INTO conversations(shop_id, conversation, reply_token, reply_token_at,"
            " created_at) VALUES(%s,%s,%s,%s,%s) ON CONFLICT(shop_id, conversation) DO UPDATE"
            " SET reply_token=excluded.reply_token, reply_token_at=excluded.reply_token_at",
            (shop_id, conversation, token, at, time.time()),
            write=True,
            shop=shop_id,
        )

    def take_reply_token(self, shop_id: str, conversation: str, max_age: float) -> str | None:
        """The unused reply token, cleared (single use; two processes cannot both take it:
        the UPDATE … RETURNING reads the value it clears)."""
        row = self._x(
            "UPDATE conversations c SET reply_token=NULL FROM (SELECT reply_token,"
            " reply_token_at FROM conversations WHERE shop_id=%s AND conversation=%s"
            " FOR UPDATE) o WHERE c.shop_id=%s AND c.conversation=%s"
            " AND o.reply_token IS NOT NULL RETURNING o.reply_token, o.reply_token_at",
            (shop_id, conversation, shop_id, conversation),
            write=True,
            shop=shop_id,
        ).fetchone()
        if row is None or time.time() - float(row[1]) > max_age:
            return None
        return str(row[0])

    def away_notice_due(self, shop_id: str, conversation: str, every: float) -> bool:
        now = time.time()
        row = self._x(
            "INSERT INTO conversations(shop_id, conversation, away_notice_at, created_at)"
            " VALUES(%s,%s,%s,%s) ON CONFLICT(shop_id, conversation) DO UPDATE SET"
            " away_notice_at=excluded.away_notice_at WHERE conversations.away_notice_at IS NULL"
            " OR conversations.away_notice_at<%s RETURNING 1",
            (shop_id, conversation, now, now, now - every),
            write=True,
            shop=shop_id,
        ).fetchone()
        return row is not None

    # ---- LINE

    def enqueue_line(self, shop_id: str, conversation: str, message: p.Message) -> None:
        self._x(
            "INSERT INTO line_outbox(shop_id, conversation, msg_id, message, retry_key)"
            " VALUES(%s,%s,%s,%s,%s)",
            (shop_id, conversation, message.id, p.encode_obj(message.to_obj()), str(uuid.uuid4())),
            write=True,
            shop=shop_id,
        )
        self.notify({"k": "line", "s": shop_id})

    def line_unbatched(self, shop_id: str, limit: int = 50) -> list[OutboxItem]:
        return [
            OutboxItem(int(r[0]), r[1], r[2], r[3], r[4], r[5], int(r[6]), float(r[7]))
            for r in self._x(
                "SELECT id, shop_id, conversation, msg_id, message, retry_key, attempts, next_at"
                " FROM line_outbox WHERE shop_id=%s AND batch_key IS NULL ORDER BY id LIMIT %s",
                (shop_id, limit),
            ).fetchall()
        ]

    def line_shops_pending(self) -> list[str]:
        rows = self._x("SELECT DISTINCT shop_id FROM line_outbox").fetchall()
        return [str(r[0]) for r in rows]

    def line_done(self, item_id: int) -> None:
        self._x("DELETE FROM line_outbox WHERE id=%s", (item_id,), write=True)

    def line_add_batch(
        self,
        shop_id: str,
        conversation: str,
        body: bytes,
        parts: list[tuple[int, int]],
        retry_key: str | None = None,
    ) -> LineBatch:
        key = retry_key or str(uuid.uuid4())
        self._x(
            "INSERT INTO line_batches(retry_key, shop_id, conversation, body, parts, created_at)"
            " VALUES(%s,%s,%s,%s,%s,%s)",
            (key, shop_id, conversation, body, json.dumps(parts), time.time()),
            write=True,
            shop=shop_id,
        )
        self._x(
            "UPDATE line_outbox SET batch_key=%s WHERE id = ANY(%s)",
            (key, [i for i, _ in parts]),
            write=True,
            shop=shop_id,
        )
        return LineBatch(key, shop_id, conversation, body, tuple(parts), 0, 0.0)

    def line_open_batch(self, shop_id: str) -> LineBatch | None:
        row = self._x(
            "SELECT retry_key, shop_id, conversation, body, parts, attempts, next_at"
            " FROM line_batches WHERE shop_id=%s ORDER BY n LIMIT 1",
            (shop_id,),
        ).fetchone()
        if row is None:
            return None
        parts = tuple((int(i), int(n)) for i, n in json.loads(row[4]))
        return LineBatch(row[0], row[1], row[2], bytes(row[3]), parts, int(row[5]), float(row[6]))

    def line_batch_items(self, batch: LineBatch) -> dict[int, OutboxItem]:
        rows = self._x(
            "SELECT id, shop_id, conversation, msg_id, message, retry_key, attempts, next_at"
            " FROM line_outbox WHERE id = ANY(%s)",
            ([i for i, _ in batch.parts],),
        ).fetchall()
        return {
            int(r[0]): OutboxItem(int(r[0]), r[1], r[2], r[3], r[4], r[5], int(r[6]), float(r[7]))
            for r in rows
        }

    def line_batch_retry_later(self, retry_key: str, next_at: float) -> None:
        self._x(
            "UPDATE line_batches SET attempts=attempts+1, next_at=%s WHERE retry_key=%s",
            (next_at, retry_key),
            write=True,
        )

    def line_batch_close(self, retry_key: str) -> None:
        self._x("DELETE FROM line_batches WHERE retry_key=%s", (retry_key,), write=True)
        self._x(
            "UPDATE line_outbox SET batch_key=NULL WHERE batch_key=%s", (retry_key,), write=True
        )

    def seen_line_event(self, shop_id: str, event_id: str) -> bool:
        """Record a webhookEventId; True if it was already there. Two processes inserting the
        same id: the second waits for the first's commit and then sees it."""
        cur = self._x(
            "INSERT INTO line_events(shop_id, event_id, received_at) VALUES(%s,%s,%s)"
            " ON CONFLICT DO NOTHING",
            (shop_id, event_id, time.time()),
            write=True,
            shop=shop_id,
        )
        return cur.rowcount == 0

    def store_webhook(self, shop_id: str, body: bytes) -> int:
        row = self._x(
            "INSERT INTO webhook_inbox(shop_id, body, received_at) VALUES(%s,%s,%s) RETURNING id",
            (shop_id, body, time.time()),
            write=True,
            shop=shop_id,
        ).fetchone()
        return 0 if row is None else int(row[0])

    def webhooks(self) -> Iterator[tuple[int, str, bytes]]:
        """Claim up to 100 stored LINE bodies (see :meth:`_claim_bodies`) and yield them."""
        yield from self._claim_bodies("webhook_inbox")

    def claim_meta_webhooks(self) -> list[tuple[int, str, bytes]]:
        """Claim up to 100 stored Messenger / Instagram bodies, as LINE's."""
        return self._claim_bodies("meta_inbox")

    def _claim_bodies(self, table: str) -> list[tuple[int, str, bytes]]:
        """Claim up to 100 stored bodies of ``table`` no other process holds (a lease of
        :data:`WEBHOOK_LEASE` seconds, committed with the open transaction: until then the
        rows stay locked, and SKIP LOCKED passes them over), in order. Bodies of a shop whose
        older bodies another process holds wait, so one shop's events keep their order."""
        now = time.time()
        rows = self._x(
            f"UPDATE {table} SET claimed_until=%s WHERE id IN (SELECT id FROM {table}"
            f" w WHERE claimed_until<%s AND NOT EXISTS (SELECT 1 FROM {table} o"
            " WHERE o.shop_id=w.shop_id AND o.id<w.id AND o.claimed_until>=%s)"
            " ORDER BY id LIMIT 100 FOR UPDATE SKIP LOCKED) RETURNING id, shop_id, body",
            (now + WEBHOOK_LEASE, now, now),
            write=True,
        ).fetchall()
        return [(int(r[0]), str(r[1]), bytes(r[2])) for r in sorted(rows)]

    def webhook_done(self, webhook_id: int) -> None:
        self._x("DELETE FROM webhook_inbox WHERE id=%s", (webhook_id,), write=True)

    def count_push(self, shop_id: str, month: str, n: int) -> tuple[int, int | None, int]:
        row = self._x(
            "INSERT INTO line_quota(shop_id, month, pushed) VALUES(%s,%s,%s) ON"
            " CONFLICT(shop_id, month) DO UPDATE SET pushed=line_quota.pushed+excluded.pushed"
            " RETURNING pushed, quota, notified",
            (shop_id, month, n),
            write=True,
            shop=shop_id,
        ).fetchone()
        assert row is not None
        return int(row[0]), (None if row[1] is None else int(row[1])), int(row[2])

    def set_quota(
        self, shop_id: str, month: str, quota: int | None, used: int | None = None
    ) -> None:
        self._x(
            "INSERT INTO line_quota(shop_id, month, quota) VALUES(%s,%s,%s) ON"
            " CONFLICT(shop_id, month) DO UPDATE SET quota=excluded.quota",
            (shop_id, month, quota),
            write=True,
            shop=shop_id,
        )
        if used is not None:
            self._x(
                "UPDATE line_quota SET pushed=GREATEST(pushed, %s) WHERE shop_id=%s AND month=%s",
                (used, shop_id, month),
                write=True,
                shop=shop_id,
            )

    def set_quota_notified(self, shop_id: str, month: str, level: int) -> None:
        self._x(
            "UPDATE line_quota SET notified=%s WHERE shop_id=%s AND month=%s",
            (level, shop_id, month),
            write=True,
            shop=shop_id,
        )

    # ---- media

    def add_media(self, shop_id: str, mime: str, width: int, height: int, data: bytes) -> Media:
        media_id = secrets.token_urlsafe(18)
        self._x(
            "INSERT INTO media(id, shop_id, mime, width, height, size, data, created_at)"
            " VALUES(%s,%s,%s,%s,%s,%s,%s,%s)",
            (media_id, shop_id, mime, width, height, len(data), data, time.time()),
            write=True,
            shop=shop_id,
        )
        return Media(media_id, shop_id, mime, width, height, len(data), data)

    def media(self, media_id: str) -> Media | None:
        row = self._x(
            "SELECT id, shop_id, mime, width, height, size, data FROM media WHERE id=%s",
            (media_id,),
        ).fetchone()
        if row is None:
            return None
        return Media(row[0], row[1], row[2], int(row[3]), int(row[4]), int(row[5]), bytes(row[6]))

    # ---- housekeeping

    def purge(
        self, history_days: float = 90, events_days: float = 7, media_days: float = 90
    ) -> None:
        now = time.time()
        self._x(
            "DELETE FROM line_events WHERE received_at<%s",
            (now - events_days * 86400,),
            write=True,
        )
        ack = "(SELECT desktop_ack FROM shops s WHERE s.id=history.shop_id)"
        self._x(
            "DELETE FROM history WHERE created_at<%s AND NOT ((seq IS NOT NULL AND seq>"
            f"{ack}) OR (rseq IS NOT NULL AND rseq>{ack}))",
            (now - history_days * 86400,),
            write=True,
        )
        self._x(
            "DELETE FROM media WHERE created_at<%s",
            (now - media_days * 86400,),
            write=True,
        )
        self._x(
            "DELETE FROM sessions WHERE created_at<%s AND NOT EXISTS (SELECT 1 FROM history h"
            " WHERE h.shop_id=sessions.shop_id AND h.conversation='widget:'||sessions.sid)",
            (now - 30 * 86400,),
            write=True,
        )
        self.commit()
