"""The relay's durable Meta state, in the relay's store (tables made with the others, see
relay/meta_schema.py): each shop's Page credentials (encrypted like LINE's), webhook bodies
stored before the 200, the ``mid`` of every event seen (redelivery dedupe), each
conversation's last shopper message (the 24-hour window), the outbox, what was sent (``mid`` →
our message id, for Meta's read and delivery receipts) and when each shopper's profile was
fetched (relay/profiles.py).

One set of rules for both stores: the SQL is written once, in the dialect SQLite and
PostgreSQL share (``?`` placeholders, ``ON CONFLICT``, ``RETURNING``), and runs on the SQLite
file or, on a shared store, through :meth:`relay.store_pg.PgStore.run` (each write after the
shop's lock, see there). What only a shared store needs (claiming webhook bodies with a lease,
one outbox sender per shop across processes) is asked of it through :class:`SharedSql`."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol, cast

from cryptography.fernet import InvalidToken

from relay import protocol as p
from relay.storage import Store, StoreError


@dataclass(frozen=True, slots=True)
class MetaCredentials:
    app_secret: str
    page_token: str
    verify_token: str

    def __repr__(self) -> str:
        return "MetaCredentials(<hidden>)"


@dataclass(frozen=True, slots=True)
class KnownComment:
    """A comment the relay passed on: where it was written and when (seconds, Meta's clock)."""

    platform: p.CommentPlatform
    account_id: str
    created_at: float


@dataclass(frozen=True, slots=True)
class MetaOutboxItem:
    id: int
    conversation: str
    msg_id: str
    message: p.Message
    kind: dict[str, str]
    done: int
    attempts: int
    next_at: float


class Cursor(Protocol):
    """What is used of a cursor (sqlite3's and psycopg's alike)."""

    @property
    def rowcount(self) -> int: ...
    def fetchone(self) -> Any: ...
    def fetchall(self) -> list[Any]: ...


class SharedSql(Protocol):
    """What a shared store (relay/store_pg.py) offers these tables."""

    def run(
        self, sql: str, params: Sequence[Any] = (), *, write: bool = False, shop: str | None = None
    ) -> Cursor: ...
    def claim_meta_webhooks(self) -> list[tuple[int, str, bytes]]: ...
    def claim_lock(self, name: str) -> bool: ...
    def release_lock(self, name: str) -> None: ...


class MetaStore:
    """Meta's tables, on the relay's :class:`Store` (same connection, same transactions)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._shared = cast(SharedSql, store) if store.shared else None

    def _read(self, sql: str, params: Sequence[Any] = ()) -> Cursor:
        return cast(Cursor, self.store.query(sql, params))

    def write(self, sql: str, params: Sequence[Any], shop: str | None = None) -> Cursor:
        """Run a write in the open transaction (on a shared store, after ``shop``'s lock): Meta's
        tables, and any relay row relay/rekey.py seals again."""
        if self._shared is not None:
            return self._shared.run(sql, params, write=True, shop=shop)
        return self.store.write().execute(sql, params)

    # ---- credentials

    def set_credentials(self, shop_id: str, creds: MetaCredentials | None) -> None:
        self.store.shop(shop_id)  # NotFound for an unknown shop
        if creds is None:
            self.write("DELETE FROM meta_accounts WHERE shop_id=?", (shop_id,), shop_id)
            return
        seal = self.store.seal
        self.write(
            "INSERT INTO meta_accounts(shop_id, app_secret, page_token, verify_token)"
            " VALUES(?,?,?,?) ON CONFLICT(shop_id) DO UPDATE SET"
            " app_secret=excluded.app_secret, page_token=excluded.page_token,"
            " verify_token=excluded.verify_token",
            (shop_id, seal(creds.app_secret), seal(creds.page_token), seal(creds.verify_token)),
            shop_id,
        )

    def configured(self, shop_id: str) -> bool:
        row = self._read("SELECT 1 FROM meta_accounts WHERE shop_id=?", (shop_id,)).fetchone()
        return row is not None

    def credentials(self, shop_id: str) -> MetaCredentials | None:
        row = self._read(
            "SELECT app_secret, page_token, verify_token FROM meta_accounts WHERE shop_id=?",
            (shop_id,),
        ).fetchone()
        if row is None:
            return None
        try:
            return MetaCredentials(*(self.store.unseal(bytes(v)) for v in row))
        except InvalidToken as exc:
            raise StoreError(
                f"cannot decrypt the Meta credentials of {shop_id}: wrong relay key"
                " (MINICHAT_RELAY_KEY or relay.key; every relay process needs the same)"
            ) from exc

    # ---- webhooks in

    def store_webhook(self, shop_id: str, body: bytes) -> None:
        self.write(
            "INSERT INTO meta_inbox(shop_id, body, received_at) VALUES(?,?,?)",
            (shop_id, body, time.time()),
            shop_id,
        )

    def webhooks(self) -> list[tuple[int, str, bytes]]:
        """The stored bodies to work, in order (on a shared store, those this process now
        holds a lease on: another process takes them over once it ends)."""
        if self._shared is not None:
            return self._shared.claim_meta_webhooks()
        rows = self._read("SELECT id, shop_id, body FROM meta_inbox ORDER BY id")
        return [(int(r[0]), str(r[1]), bytes(r[2])) for r in rows.fetchall()]

    def webhook_done(self, webhook_id: int) -> None:
        self.write("DELETE FROM meta_inbox WHERE id=?", (webhook_id,))

    def known_event(self, shop_id: str, key: str) -> bool:
        row = self._read(
            "SELECT 1 FROM meta_events WHERE shop_id=? AND key=?", (shop_id, key)
        ).fetchone()
        return row is not None

    def seen_event(self, shop_id: str, key: str) -> bool:
        """Record an event's ``mid``; True if it was already there (a redelivery). Two
        processes recording the same key: the second waits for the first's commit (the shop's
        lock, the primary key) and then finds it there."""
        cur = self.write(
            "INSERT INTO meta_events(shop_id, key, received_at) VALUES(?,?,?)"
            " ON CONFLICT DO NOTHING",
            (shop_id, key, time.time()),
            shop_id,
        )
        return cur.rowcount == 0

    # ---- comments (private replies)

    def remember_comment(
        self,
        shop_id: str,
        comment_id: str,
        platform: p.CommentPlatform,
        account_id: str,
        created_at: float,
    ) -> None:
        self.write(
            "INSERT INTO meta_comments(shop_id, comment_id, platform, account_id, created_at)"
            " VALUES(?,?,?,?,?) ON CONFLICT DO NOTHING",
            (shop_id, comment_id, platform.value, account_id, created_at),
            shop_id,
        )

    def comment(self, shop_id: str, comment_id: str) -> KnownComment | None:
        """A comment the relay passed on (None: never seen, or forgotten after 30 days)."""
        row = self._read(
            "SELECT platform, account_id, created_at FROM meta_comments"
            " WHERE shop_id=? AND comment_id=?",
            (shop_id, comment_id),
        ).fetchone()
        if row is None:
            return None
        return KnownComment(p.CommentPlatform(row[0]), str(row[1]), float(row[2]))

    # ---- the 24-hour window

    def shopper_wrote(self, shop_id: str, conversation: str, at: float) -> None:
        self.write(
            "INSERT INTO meta_windows(shop_id, conversation, last_in) VALUES(?,?,?)"
            " ON CONFLICT(shop_id, conversation) DO UPDATE SET last_in=excluded.last_in"
            " WHERE excluded.last_in>meta_windows.last_in",
            (shop_id, conversation, at),
            shop_id,
        )

    def last_in(self, shop_id: str, conversation: str) -> float | None:
        row = self._read(
            "SELECT last_in FROM meta_windows WHERE shop_id=? AND conversation=?",
            (shop_id, conversation),
        ).fetchone()
        return None if row is None else float(row[0])

    # ---- outbox

    def enqueue(
        self, shop_id: str, conversation: str, message: p.Message, kind: dict[str, str]
    ) -> None:
        self.write(
            "INSERT INTO meta_outbox(shop_id, conversation, msg_id, message, kind)"
            " VALUES(?,?,?,?,?)",
            (shop_id, conversation, message.id, p.encode_obj(message.to_obj()), json.dumps(kind)),
            shop_id,
        )

    def next_item(self, shop_id: str, conversation: str) -> MetaOutboxItem | None:
        """The oldest message waiting in one conversation."""
        row = self._read(
            "SELECT id, conversation, msg_id, message, kind, done, attempts, next_at"
            " FROM meta_outbox WHERE shop_id=? AND conversation=? ORDER BY id LIMIT 1",
            (shop_id, conversation),
        ).fetchone()
        if row is None:
            return None
        message = p.Message.from_obj(json.loads(row[3]), p.SHOP_KINDS)
        return MetaOutboxItem(
            int(row[0]),
            str(row[1]),
            str(row[2]),
            message,
            json.loads(row[4]),
            int(row[5]),
            int(row[6]),
            float(row[7]),
        )

    def pending(self, shop_id: str | None = None) -> list[tuple[str, str]]:
        """(shop, conversation) with messages waiting (a restart sends them), of one shop or
        of all."""
        if shop_id is None:
            rows = self._read("SELECT DISTINCT shop_id, conversation FROM meta_outbox")
        else:
            rows = self._read(
                "SELECT DISTINCT shop_id, conversation FROM meta_outbox WHERE shop_id=?",
                (shop_id,),
            )
        return [(str(r[0]), str(r[1])) for r in rows.fetchall()]

    def progress(self, item_id: int, done: int) -> None:
        self.write("UPDATE meta_outbox SET done=? WHERE id=?", (done, item_id))

    def retry_later(self, item_id: int, next_at: float) -> None:
        self.write(
            "UPDATE meta_outbox SET attempts=attempts+1, next_at=? WHERE id=?", (next_at, item_id)
        )

    def finished(self, item_id: int) -> None:
        self.write("DELETE FROM meta_outbox WHERE id=?", (item_id,))

    def claim_sender(self, shop_id: str) -> bool:
        """Whether this process may send the shop's outbox: always on SQLite (the only
        process); on a shared store, the one process holding the shop's sender lock (taken
        now if free; another process takes it once this one's connection ends)."""
        return self._shared is None or self._shared.claim_lock("meta:" + shop_id)

    def release_sender(self, shop_id: str) -> None:
        if self._shared is not None:
            self._shared.release_lock("meta:" + shop_id)

    # ---- what was sent, for receipts

    def sent(self, shop_id: str, conversation: str, msg_id: str, mid: str) -> None:
        self.write(
            "INSERT INTO meta_sent(shop_id, mid, conversation, msg_id, sent_at)"
            " VALUES(?,?,?,?,?) ON CONFLICT DO NOTHING",
            (shop_id, mid, conversation, msg_id, time.time()),
            shop_id,
        )

    def mark(
        self,
        shop_id: str,
        conversation: str,
        status: str,
        *,
        mids: tuple[str, ...] = (),
        up_to: float | None = None,
    ) -> list[str]:
        """Our message ids newly ``status`` ("delivered" or "read"): those of ``mids``, or all
        sent up to ``up_to`` (seconds). A message read is not marked delivered after."""
        before = ("sent",) if status == "delivered" else ("sent", "delivered")
        marks = ",".join("?" * len(before))
        where = f"shop_id=? AND conversation=? AND status IN ({marks})"
        args: list[object] = [shop_id, conversation, *before]
        if mids:
            where += f" AND mid IN ({','.join('?' * len(mids))})"
            args += mids
        elif up_to is not None:
            where += " AND sent_at<=?"
            args.append(up_to)
        else:
            return []
        rows = self.write(
            f"UPDATE meta_sent SET status=? WHERE {where} RETURNING msg_id",
            [status, *args],
            shop_id,
        )
        return sorted({str(r[0]) for r in rows.fetchall()})

    def purge(
        self, events_days: float = 7, sent_days: float = 90, comments_days: float = 30
    ) -> None:
        """Forget event ids older than Meta redelivers, sent ids older than the history and
        comments long past their 7 days of private replies."""
        now = time.time()
        self.write("DELETE FROM meta_events WHERE received_at<?", (now - events_days * 86400,))
        self.write("DELETE FROM meta_sent WHERE sent_at<?", (now - sent_days * 86400,))
        self.write("DELETE FROM meta_comments WHERE created_at<?", (now - comments_days * 86400,))

    def sent_at(self, shop_id: str, mid: str) -> float | None:
        row = self._read(
            "SELECT sent_at FROM meta_sent WHERE shop_id=? AND mid=?", (shop_id, mid)
        ).fetchone()
        return None if row is None else float(row[0])

    # ---- shopper profiles (relay/profiles.py)

    def profile_fetched_at(self, shop_id: str, conversation: str) -> float | None:
        row = self._read(
            "SELECT fetched_at FROM shopper_profiles WHERE shop_id=? AND conversation=?",
            (shop_id, conversation),
        ).fetchone()
        return None if row is None else float(row[0])

    def claim_profile(
        self, shop_id: str, conversation: str, due_before: float, lease: float
    ) -> bool:
        """Claim the one fetch of a conversation's profile: True when it was last fetched
        before ``due_before`` (or never), and the row now says "fetched at ``due_before +
        lease``", due again ``lease`` seconds from now unless :meth:`profile_fetched` says it
        was (a fetch whose process died is then taken up again at a later message). Two
        processes claiming at once: the second waits for the first's commit, then finds it
        not due."""
        row = self.write(
            "INSERT INTO shopper_profiles(shop_id, conversation, fetched_at) VALUES(?,?,?)"
            " ON CONFLICT(shop_id, conversation) DO UPDATE SET fetched_at=excluded.fetched_at"
            " WHERE shopper_profiles.fetched_at<=? RETURNING 1",
            (shop_id, conversation, due_before + lease, due_before),
            shop_id,
        ).fetchone()
        return row is not None

    def profile_fetched(self, shop_id: str, conversation: str, at: float) -> None:
        self.write(
            "INSERT INTO shopper_profiles(shop_id, conversation, fetched_at) VALUES(?,?,?)"
            " ON CONFLICT(shop_id, conversation) DO UPDATE SET fetched_at=excluded.fetched_at",
            (shop_id, conversation, at),
            shop_id,
        )
