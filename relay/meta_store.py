"""The relay's durable Meta state, in the relay's one SQLite file (tables made with the others,
see relay/meta_schema.py): each shop's Page credentials (encrypted like LINE's), webhook bodies
stored before the 200, the ``mid`` of every event seen (redelivery dedupe), each
conversation's last shopper message (the 24-hour window), the outbox, and what was sent
(``mid`` → our message id, for Meta's read and delivery receipts)."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

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


class MetaStore:
    """Meta's tables, on the relay's :class:`Store` (same connection, same transactions)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    # ---- credentials

    def set_credentials(self, shop_id: str, creds: MetaCredentials | None) -> None:
        self.store.shop(shop_id)  # NotFound for an unknown shop
        db = self.store.write()
        if creds is None:
            db.execute("DELETE FROM meta_accounts WHERE shop_id=?", (shop_id,))
            return
        seal = self.store.seal
        db.execute(
            "INSERT OR REPLACE INTO meta_accounts(shop_id, app_secret, page_token, verify_token)"
            " VALUES(?,?,?,?)",
            (shop_id, seal(creds.app_secret), seal(creds.page_token), seal(creds.verify_token)),
        )

    def configured(self, shop_id: str) -> bool:
        row = self.store.db.execute(
            "SELECT 1 FROM meta_accounts WHERE shop_id=?", (shop_id,)
        ).fetchone()
        return row is not None

    def credentials(self, shop_id: str) -> MetaCredentials | None:
        row = self.store.db.execute(
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
                " (MINICHAT_RELAY_KEY or relay.key)"
            ) from exc

    # ---- webhooks in

    def store_webhook(self, shop_id: str, body: bytes) -> None:
        self.store.write().execute(
            "INSERT INTO meta_inbox(shop_id, body, received_at) VALUES(?,?,?)",
            (shop_id, body, time.time()),
        )

    def webhooks(self) -> list[tuple[int, str, bytes]]:
        rows = self.store.db.execute("SELECT id, shop_id, body FROM meta_inbox ORDER BY id")
        return [(int(r[0]), str(r[1]), bytes(r[2])) for r in rows.fetchall()]

    def webhook_done(self, webhook_id: int) -> None:
        self.store.write().execute("DELETE FROM meta_inbox WHERE id=?", (webhook_id,))

    def known_event(self, shop_id: str, key: str) -> bool:
        row = self.store.db.execute(
            "SELECT 1 FROM meta_events WHERE shop_id=? AND key=?", (shop_id, key)
        ).fetchone()
        return row is not None

    def seen_event(self, shop_id: str, key: str) -> bool:
        """Record an event's ``mid``; True if it was already there (a redelivery)."""
        cur = self.store.write().execute(
            "INSERT OR IGNORE INTO meta_events(shop_id, key, received_at) VALUES(?,?,?)",
            (shop_id, key, time.time()),
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
        self.store.write().execute(
            "INSERT OR IGNORE INTO meta_comments"
            "(shop_id, comment_id, platform, account_id, created_at) VALUES(?,?,?,?,?)",
            (shop_id, comment_id, platform.value, account_id, created_at),
        )

    def comment(self, shop_id: str, comment_id: str) -> KnownComment | None:
        """A comment the relay passed on (None: never seen, or forgotten after 30 days)."""
        row = self.store.db.execute(
            "SELECT platform, account_id, created_at FROM meta_comments"
            " WHERE shop_id=? AND comment_id=?",
            (shop_id, comment_id),
        ).fetchone()
        if row is None:
            return None
        return KnownComment(p.CommentPlatform(row[0]), str(row[1]), float(row[2]))

    # ---- the 24-hour window

    def shopper_wrote(self, shop_id: str, conversation: str, at: float) -> None:
        self.store.write().execute(
            "INSERT INTO meta_windows(shop_id, conversation, last_in) VALUES(?,?,?)"
            " ON CONFLICT(shop_id, conversation) DO UPDATE SET"
            " last_in=MAX(last_in, excluded.last_in)",
            (shop_id, conversation, at),
        )

    def last_in(self, shop_id: str, conversation: str) -> float | None:
        row = self.store.db.execute(
            "SELECT last_in FROM meta_windows WHERE shop_id=? AND conversation=?",
            (shop_id, conversation),
        ).fetchone()
        return None if row is None else float(row[0])

    # ---- outbox

    def enqueue(
        self, shop_id: str, conversation: str, message: p.Message, kind: dict[str, str]
    ) -> None:
        self.store.write().execute(
            "INSERT INTO meta_outbox(shop_id, conversation, msg_id, message, kind)"
            " VALUES(?,?,?,?,?)",
            (shop_id, conversation, message.id, p.encode_obj(message.to_obj()), json.dumps(kind)),
        )

    def next_item(self, shop_id: str, conversation: str) -> MetaOutboxItem | None:
        """The oldest message waiting in one conversation."""
        row = self.store.db.execute(
            "SELECT id, conversation, msg_id, message, kind, done, attempts, next_at"
            " FROM meta_outbox WHERE shop_id=? AND conversation=? ORDER BY id LIMIT 1",
            (shop_id, conversation),
        ).fetchone()
        if row is None:
            return None
        message = p.Message.from_obj(json.loads(row[3]), p.SHOP_KINDS)
        return MetaOutboxItem(
            row[0], row[1], row[2], message, json.loads(row[4]), row[5], row[6], row[7]
        )

    def pending(self) -> list[tuple[str, str]]:
        """(shop, conversation) with messages waiting (a restart sends them)."""
        rows = self.store.db.execute("SELECT DISTINCT shop_id, conversation FROM meta_outbox")
        return [(str(r[0]), str(r[1])) for r in rows.fetchall()]

    def progress(self, item_id: int, done: int) -> None:
        self.store.write().execute("UPDATE meta_outbox SET done=? WHERE id=?", (done, item_id))

    def retry_later(self, item_id: int, next_at: float) -> None:
        self.store.write().execute(
            "UPDATE meta_outbox SET attempts=attempts+1, next_at=? WHERE id=?", (next_at, item_id)
        )

    def finished(self, item_id: int) -> None:
        self.store.write().execute("DELETE FROM meta_outbox WHERE id=?", (item_id,))

    # ---- what was sent, for receipts

    def sent(self, shop_id: str, conversation: str, msg_id: str, mid: str) -> None:
        self.store.write().execute(
            "INSERT OR IGNORE INTO meta_sent(shop_id, mid, conversation, msg_id, sent_at)"
            " VALUES(?,?,?,?,?)",
            (shop_id, mid, conversation, msg_id, time.time()),
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
        rows = self.store.write().execute(
            f"UPDATE meta_sent SET status=? WHERE {where} RETURNING msg_id", [status, *args]
        )
        return sorted({str(r[0]) for r in rows.fetchall()})

    def purge(
        self, events_days: float = 7, sent_days: float = 90, comments_days: float = 30
    ) -> None:
        """Forget event ids older than Meta redelivers, sent ids older than the history and
        comments long past their 7 days of private replies."""
        now = time.time()
        db = self.store.write()
        db.execute("DELETE FROM meta_events WHERE received_at<?", (now - events_days * 86400,))
        db.execute("DELETE FROM meta_sent WHERE sent_at<?", (now - sent_days * 86400,))
        db.execute("DELETE FROM meta_comments WHERE created_at<?", (now - comments_days * 86400,))

    def sent_at(self, shop_id: str, mid: str) -> float | None:
        row = self.store.db.execute(
            "SELECT sent_at FROM meta_sent WHERE shop_id=? AND mid=?", (shop_id, mid)
        ).fetchone()
        return None if row is None else float(row[0])
