"""Moving a relay's whole state from its SQLite store to an empty PostgreSQL store
(``minichat-relay --data-dir D move-to postgresql://… [--yes]``; docs/deploy.md).

Everything moves in one PostgreSQL transaction (all or nothing): shops with their token
hashes and sealed credentials (copied as they are: the relay key is the same for both
stores, so they are checked to open first), widget sessions, conversations, history, the
desktops' pending stream, LINE's and Meta's queues with their retry keys, webhook bodies,
event ids, quotas, media. What the two stores keep differently is translated:

- SQLite writes some counters behind (shops.next_seq/desktop_ack, a conversation's
  next_cseq/widget_ack/widget_read): they are read through :class:`relay.storage.Store`,
  which rebuilds them after a kill -9, never raw from the rows;
- a widget receipt riding on a shopper message's history row (SQLite schema 4,
  history.dfrom/dto/rfrom/rto) becomes what the PostgreSQL store makes for one: a
  "delivered" receipt marks the shop messages' rows (history.rseq), a "read" receipt still
  pending for the desktop is a stream row with the very frame SQLite serves;
- line_batches.n keeps the requests' order; the BIGSERIAL sequences are set past the
  highest id SQLite gave (its AUTOINCREMENT counter included), so no id is given twice.

Before the COMMIT, the new store is read back through :class:`relay.store_pg.PgStore` in the
same transaction and compared with the SQLite store: every shop, every item each desktop
would be sent (same seqs, same frames, same order), every conversation's history and widget
counters. Any difference rolls everything back. Without ``--yes`` the same is done and
rolled back: a check of what would move. The data folder is left as it is (the way back).
"""

from __future__ import annotations

import dataclasses
import hashlib
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg

from relay.backup import DB_NAME
from relay.serve_lock import NotStopped, take_stopped
from relay.storage import Store, StoreError, has_table, key_opens, key_source, sealed_in
from relay.store_pg import PgStore

CHUNK = 1000  # rows read, written and compared at a time
# ... but pictures (payment slips: 200 KB-5 MB each) a few at a time: 1,000 of them would be
# gigabytes in memory (and three copies of them: SQLite's, the INSERT's, PostgreSQL's)
_CHUNKS = {"media": 8}
# the tables copied as they are: (table, columns); the others are written below
_PLAIN: tuple[tuple[str, str], ...] = (
    ("stream", "shop_id, seq, frame, conversation, msg_id"),
    ("sessions", "token_hash, shop_id, sid, created_at"),
    (
        "history",
        "shop_id, conversation, cseq, origin, msg_id, message, status, created_at, seq, rseq",
    ),
    (
        "line_outbox",
        "id, shop_id, conversation, msg_id, message, retry_key, attempts, next_at, batch_key",
    ),
    ("webhook_inbox", "id, shop_id, body, received_at"),
    ("line_events", "shop_id, event_id, received_at"),
    ("line_quota", "shop_id, month, pushed, quota, notified"),
    ("media", "id, shop_id, mime, width, height, size, data, created_at"),
    ("meta_accounts", "shop_id, app_secret, page_token, verify_token"),
    ("meta_inbox", "id, shop_id, body, received_at"),
    ("meta_events", "shop_id, key, received_at"),
    ("meta_windows", "shop_id, conversation, last_in"),
    ("meta_outbox", "id, shop_id, conversation, msg_id, message, kind, done, attempts, next_at"),
    ("meta_sent", "shop_id, mid, conversation, msg_id, sent_at, status"),
    ("meta_comments", "shop_id, comment_id, platform, account_id, created_at"),
    ("shopper_profiles", "shop_id, conversation, fetched_at"),
)
# BIGSERIAL columns: set past the highest id after the copy
_SERIAL = (
    ("line_outbox", "id"),
    ("webhook_inbox", "id"),
    ("meta_inbox", "id"),
    ("meta_outbox", "id"),
    ("line_batches", "n"),
)
_SHOP_COLUMNS = (
    "id, name, token_hash, created_at, widget_config, allowed_origins, line_secret,"
    " line_token, desktop_ack, next_seq, presence"
)


class MoveRefused(Exception):
    """A precondition does not hold; nothing was changed (the CLI exits 2)."""


class MoveMismatch(MoveRefused):
    """The new store, read back, differs from the SQLite one: a case this tool does not
    translate exactly (our bug). Rolled back: the move is refused."""

    def __init__(self, what: str) -> None:
        super().__init__(
            f"move-to cannot move this relay exactly: {what} on PostgreSQL than on SQLite;"
            " everything was rolled back (the database is as it was) and the data folder is"
            " unchanged: keep serving it on SQLite, and report this message"
        )


@dataclass(frozen=True)
class Moved:
    """What moved (or, without ``--yes``, would move)."""

    shops: int
    sessions: int
    messages: int
    pending_for_desktops: int
    line_pending: int
    meta_pending: int
    moved: bool  # committed (else: checked and rolled back)


def move_to(data_dir: Path, url: str, password: str | None, *, commit: bool) -> Moved:
    """Copy the SQLite store of ``data_dir`` into the empty PostgreSQL database ``url``
    (committed only when ``commit``). Raises MoveRefused (a precondition: nothing changed),
    SchemaMismatch (the target is a newer relay's), MoveMismatch (the copy read back differs:
    rolled back), StoreError (the database failed: rolled back)."""
    if not (data_dir / DB_NAME).is_file():  # (before the lock, which would make the folder)
        raise MoveRefused(
            f"there is no relay database in {data_dir} ({DB_NAME}): give the --data-dir"
            " of the relay to move; nothing was changed"
        )
    try:
        lock = take_stopped(data_dir, "move it; nothing was changed")
    except NotStopped as exc:
        raise MoveRefused(str(exc)) from exc
    try:
        _check_key(data_dir)
        src = Store(data_dir)
        try:
            dest = PgStore(url, data_dir, password)
            try:
                return _move(src, dest, commit)
            finally:
                dest.close()
        finally:
            src.close()
    finally:
        lock.release()


def _check_key(data_dir: Path) -> None:
    """Refuse when the relay key does not open the sealed credentials in the database (the
    same key must serve the new store: they are copied sealed)."""
    db = sqlite3.connect(f"file:{data_dir / DB_NAME}?mode=ro", uri=True)
    try:
        if not has_table(db, "shops"):
            raise MoveRefused(
                f"{data_dir / DB_NAME} is not a relay database (it has no shops table);"
                " nothing was changed"
            )
        sealed = sealed_in(db)
    finally:
        db.close()
    if not sealed:
        return
    fix = (
        "give this command the relay's key (MINICHAT_RELAY_KEY, MINICHAT_RELAY_KEY_FILE or"
        f" relay.key in {data_dir}), the one the relay serving this folder used; nothing was"
        " changed"
    )
    opens = key_opens(data_dir, sealed)
    if opens is None:
        raise MoveRefused(
            f"the shops' LINE or Facebook credentials are sealed, and there is no relay key: {fix}"
        )
    if not opens:
        raise MoveRefused(
            f"the relay key ({key_source(data_dir)}) does not open the shops' LINE or"
            f" Facebook credentials in {data_dir / DB_NAME}: {fix}"
        )


def _move(src: Store, dest: PgStore, commit: bool) -> Moved:
    conn = dest._db()
    try:
        with conn.transaction() as tx:
            conn.execute("LOCK TABLE shops IN SHARE ROW EXCLUSIVE MODE")
            _refuse_full(conn, dest.where)
            pending, added = _copy(src, conn)
            _check_rows(src.db, conn, added)
            _check_same(src, dest)
            moved = _counted(src, pending, commit)
            if not commit:
                raise psycopg.Rollback(tx)  # (a check only: leaves the block, no error)
    except psycopg.Error as exc:
        raise StoreError(
            f"the move into {dest.where} failed and was rolled back (the database is as it"
            f" was): {str(exc).strip().splitlines()[0] if str(exc).strip() else exc!r}"
        ) from exc
    return moved


def _refuse_full(conn: psycopg.Connection[Any], where: str) -> None:
    """Refuse a target holding any relay state: never merge."""
    tables = ("shops", *(t for t, _ in _PLAIN), "conversations", "line_batches", "desktops")
    counts = conn.execute(
        "SELECT " + ", ".join(f"(SELECT count(*) FROM {t})" for t in tables)
    ).fetchone()
    full = [f"{t} ({n})" for t, n in zip(tables, counts or (), strict=True) if n]
    if full:
        raise MoveRefused(
            f"the database {where} already holds a relay's state ({', '.join(full[:4])}):"
            " move-to only fills an empty one, never merges; give a new, empty database"
            " (createdb), or drop this one's tables if nothing in it is needed; nothing was"
            " changed"
        )


def _rows(db: sqlite3.Connection, sql: str, size: int = CHUNK) -> Iterator[list[Any]]:
    cur = db.execute(sql)
    while True:
        chunk = cur.fetchmany(size)
        if not chunk:
            return
        yield [tuple(r) for r in chunk]


def _insert(conn: psycopg.Connection[Any], table: str, columns: str, rows: list[Any]) -> None:
    marks = ", ".join(["%s"] * len(columns.split(",")))
    with conn.cursor() as cur:
        cur.executemany(f"INSERT INTO {table}({columns}) VALUES({marks})", rows)


def _copy(
    src: Store, conn: psycopg.Connection[Any]
) -> tuple[dict[tuple[str, int], str], set[tuple[str, int]]]:
    """Every table, in the open transaction; returns what each desktop is still to get from
    SQLite ((shop, seq) -> frame) and the stream rows added for riding receipts."""
    db = src.db
    pending: dict[tuple[str, int], str] = {}
    shops = []
    for row in db.execute(f"SELECT {_SHOP_COLUMNS} FROM shops ORDER BY id").fetchall():
        nxt, ack = src._shop_counters(str(row[0]))  # (rebuilt: written behind)
        shops.append((*row[:8], ack, nxt, row[10]))
        pending.update({(str(row[0]), s): f for s, f in _stream(src, str(row[0]), ack)})
    _insert(conn, "shops", _SHOP_COLUMNS, shops)
    _conversations(src, conn)
    for table, columns in _PLAIN:
        for chunk in _rows(db, f"SELECT {columns} FROM {table}", _CHUNKS.get(table, CHUNK)):
            _insert(conn, table, columns, chunk)
    batches = "retry_key, shop_id, conversation, body, parts, attempts, next_at, created_at"
    for chunk in _rows(db, f"SELECT {batches} FROM line_batches ORDER BY rowid"):
        _insert(conn, "line_batches", batches, chunk)  # (n: in this order)
    added = _riding(src, conn, pending)
    _sequences(db, conn)
    return pending, added


def _stream(src: Store, shop_id: str, after: int) -> Iterator[tuple[int, str]]:
    while True:
        page = src.stream_after(shop_id, after)
        yield from page
        if not page:
            return
        after = page[-1][0]


def _conversations(src: Store, conn: psycopg.Connection[Any]) -> None:
    """A row for every conversation (the history's too: PostgreSQL's next cseq is its row),
    with the counters SQLite keeps behind, read through the store."""
    db = src.db
    sql = (
        "SELECT k.shop_id, k.conversation, c.reply_token, c.reply_token_at, c.away_notice_at,"
        " COALESCE(c.created_at, (SELECT MIN(h.created_at) FROM history h"
        " WHERE h.shop_id=k.shop_id AND h.conversation=k.conversation))"
        " FROM (SELECT shop_id, conversation FROM conversations"
        " UNION SELECT shop_id, conversation FROM history) k"
        " LEFT JOIN conversations c ON c.shop_id=k.shop_id AND c.conversation=k.conversation"
        " ORDER BY 1, 2"
    )
    columns = (
        "shop_id, conversation, next_cseq, widget_ack, widget_read, reply_token,"
        " reply_token_at, away_notice_at, created_at"
    )
    for chunk in _rows(db, sql):  # (a conversation per widget session ever: not all at once)
        out = []
        for shop_id, conv, token, token_at, away_at, created in chunk:
            nxt, ack, read = src._conv_counters(shop_id, conv)[:3]
            out.append((shop_id, conv, nxt, ack, read, token, token_at, away_at, created))
        _insert(conn, "conversations", columns, out)


def _riding(
    src: Store, conn: psycopg.Connection[Any], pending: dict[tuple[str, int], str]
) -> set[tuple[str, int]]:
    """Receipts riding on shopper messages' rows (SQLite schema 4) as PostgreSQL keeps
    them: "delivered" as history.rseq on the shop messages it names (the seq it rode under,
    seq - 2 when a read receipt rides too, else seq - 1), "read" (seq - 1) as a stream row
    with SQLite's frame while the desktop has not acked it. Returns the stream rows added."""
    added: set[tuple[str, int]] = set()
    sql = (
        "SELECT shop_id, conversation, seq, dfrom, dto, rfrom, rto FROM history"
        " WHERE seq IS NOT NULL AND (dto IS NOT NULL OR rto IS NOT NULL) ORDER BY shop_id, seq"
    )
    for chunk in _rows(src.db, sql):  # (every shopper message of a riding widget: millions)
        marks, reads = [], []
        for shop_id, conv, seq, dfrom, dto, _rfrom, rto in chunk:
            riders = (dto is not None) + (rto is not None)
            if dto is not None:
                marks.append((seq - riders, shop_id, conv, dfrom, dto))
            frame = pending.get((shop_id, seq - 1))
            if rto is not None and frame is not None:
                reads.append((shop_id, seq - 1, frame))
                added.add((str(shop_id), int(seq) - 1))
        with conn.cursor() as cur:  # (one round trip a chunk, not a row: pipelined)
            cur.executemany(
                "UPDATE history SET rseq=%s WHERE shop_id=%s AND conversation=%s"
                " AND origin='shop' AND cseq>%s AND cseq<=%s AND rseq IS NULL"
                " AND msg_id NOT LIKE 'relay-%%'",
                marks,
            )
            cur.executemany(
                "INSERT INTO stream(shop_id, seq, frame, conversation, msg_id)"
                " VALUES(%s,%s,%s,NULL,NULL)",
                reads,
            )
    return added


def _sequences(db: sqlite3.Connection, conn: psycopg.Connection[Any]) -> None:
    """Each BIGSERIAL past the highest id SQLite handed out (AUTOINCREMENT's counter: ids of
    rows deleted since are never given again)."""
    given = dict(db.execute("SELECT name, seq FROM sqlite_sequence").fetchall())
    for table, column in _SERIAL:
        top = conn.execute(f"SELECT COALESCE(MAX({column}), 0) FROM {table}").fetchone()
        last = max(int(top[0]) if top else 0, int(given.get(table, 0) or 0))
        conn.execute(
            "SELECT setval(pg_get_serial_sequence(%s, %s), %s, %s)",
            (table, column, max(last, 1), last > 0),
        )


def _check_rows(
    db: sqlite3.Connection, conn: psycopg.Connection[Any], added: set[tuple[str, int]]
) -> None:
    """Every row of the tables copied as they are, the same on both sides (compared as a
    multiset of the rows' digests, in any order: the two sort text differently); history
    without its rseq, the stream without the rows ``added`` (receipts riding on rows were
    translated: _check_same compares what they make); LINE's requests in the same order.
    Reads both sides row by row (PostgreSQL's through a cursor on the server), so a relay of
    millions of messages is checked in constant memory. Raises MoveMismatch."""
    for table, columns in _PLAIN:
        if table == "history":
            columns = columns.removesuffix(", rseq")
        sql = f"SELECT {columns} FROM {table}"
        with conn.cursor(name=f"check_{table}") as cur:
            cur.itersize = _CHUNKS.get(table, CHUNK)
            cur.execute(sql)
            theirs = _multiset(
                r for r in cur if table != "stream" or (str(r[0]), int(r[1])) not in added
            )
        if _multiset(db.execute(sql)) != theirs:
            raise MoveMismatch(f"the rows of {table} read differently")
    keys = [str(r[0]) for r in db.execute("SELECT retry_key FROM line_batches ORDER BY rowid")]
    if keys != [str(r[0]) for r in conn.execute("SELECT retry_key FROM line_batches ORDER BY n")]:
        raise MoveMismatch("LINE's pending requests (line_batches) read differently")


def _multiset(rows: Iterable[Any]) -> tuple[int, int]:
    """(how many rows, the sum of their digests modulo 2**256): the same for the same rows
    in any order, and, as a hash of the multiset, different when any row differs."""
    count = total = 0
    for row in rows:
        count += 1
        total += int.from_bytes(_digest(row))
    return count, total % (1 << 256)


def _digest(row: Any) -> bytes:
    """One row's values, whatever driver read them, as a digest."""
    out = hashlib.sha256()
    for v in row:
        out.update(bytes(v) if isinstance(v, bytes | memoryview) else repr(v).encode())
        out.update(b"\x00" if v is not None else b"\x01")
    return out.digest()


def _check_same(src: Store, dest: PgStore) -> None:
    """Read the new store back through PgStore (same transaction) and compare it with the
    SQLite store: shops, each desktop's pending items, every conversation. Raises
    MoveMismatch naming the first difference."""
    for shop in src.shops():
        ack = src._shop_counters(shop.id)[1]  # (the row's may be behind: written behind)
        if dest.shop(shop.id) != dataclasses.replace(shop, desktop_ack=ack):
            raise MoveMismatch(f"shop {shop.id} reads differently")
        if list(_stream(dest, shop.id, ack)) != list(_stream(src, shop.id, ack)):
            raise MoveMismatch(f"the items pending for {shop.id}'s desktop read differently")
        if dest._shop_counters(shop.id) != src._shop_counters(shop.id)[:2]:
            raise MoveMismatch(f"the stream counters of {shop.id} read differently")
    convs = src.db.execute("SELECT DISTINCT shop_id, conversation FROM history").fetchall()
    for shop_id, conv in convs:
        if dest.history(shop_id, conv, 0, 1 << 62) != src.history(shop_id, conv, 0, 1 << 62):
            raise MoveMismatch(f"the history of {conv} ({shop_id}) reads differently")
        if dest._conv_counters(shop_id, conv) != src._conv_counters(shop_id, conv)[:3]:
            raise MoveMismatch(f"the widget counters of {conv} ({shop_id}) read differently")


def _counted(src: Store, pending: dict[tuple[str, int], str], committed: bool) -> Moved:
    def count(table: str) -> int:
        return int(src.db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])

    return Moved(
        shops=count("shops"),
        sessions=count("sessions"),
        messages=count("history"),
        pending_for_desktops=len(pending),
        line_pending=count("line_outbox"),
        meta_pending=count("meta_outbox"),
        moved=committed,
    )
