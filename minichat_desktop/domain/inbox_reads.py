"""What the main window shows first — the inbox's conversation list, the unread badges and
the shop's name — as plain SQL on a ``sqlite3``-style connection, with the views they return.

This module imports no SQLAlchemy on purpose: the window paints its first frame from these
reads (``Ops.peek``) while SQLAlchemy and the models (~0.5 s to import on a small machine) are
not loaded yet. The ORM use cases (``conversations.list_conversations``,
``conversations.unread_total``, ``notifications.unread_count``) run these very queries through
``DriverConnection``, so there is one implementation of each.

``conn`` is anything with ``execute(sql, params) -> cursor``: a ``sqlite3.Connection`` or a
``db.DriverConnection``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

# ---------------------------------------------------------------------------- views


@dataclass(frozen=True, slots=True)
class ConversationView:
    id: int
    ref: str
    channel: str
    customer_id: int | None
    customer_name: str
    customer_phone: str
    title: str
    status: str
    mode: str
    bot_mode: str
    taken_over_by: str
    unread: int
    tags: tuple[str, ...]
    notes: str
    last_message_at: dt.datetime | None
    last_preview: str
    following: bool
    customer_picture: str = ""  # the picture file inside the data folder, "" for none
    # Messenger and Instagram only (None elsewhere): when the shopper last wrote, which Meta's
    # messaging window counts from (domain.conversations.window)
    last_inbound_at: dt.datetime | None = None

    @property
    def display_name(self) -> str:
        return self.customer_name or self.title or self.ref


@dataclass(frozen=True, slots=True)
class MessageView:
    id: int
    conversation_id: int
    uid: str
    direction: str
    author: str
    kind: str
    text: str
    body: dict[str, Any]
    state: str
    created_at: dt.datetime


@dataclass(frozen=True, slots=True)
class Inbound:
    """What ``conversations.record_inbound`` stored."""

    conversation: ConversationView
    message: MessageView
    new_conversation: bool


# ---------------------------------------------------------------------------- reads


class Runner(Protocol):
    def execute(self, sql: str, params: Sequence[Any] | Mapping[str, Any] = ..., /) -> Any: ...


def stored_time(value: str | None) -> dt.datetime | None:
    """A time as the models store it (naive UTC text) → an aware UTC datetime."""
    if value is None:
        return None
    return dt.datetime.fromisoformat(value).replace(tzinfo=dt.UTC)


def _like(text: str) -> str:
    """A LIKE pattern finding ``text`` anywhere, its ``%`` and ``_`` taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


_LIST = """
SELECT c.id, c.ref, c.channel, c.customer_id, coalesce(cu.name, ''), coalesce(cu.phone, ''),
       c.title, c.status, c.mode, c.bot_mode, c.taken_over_by, c.unread, c.tags, c.notes,
       c.last_message_at, c.last_preview, c.following, coalesce(cu.picture, ''),
       CASE WHEN c.channel IN ('messenger', 'instagram') THEN (
           SELECT m.created_at FROM messages AS m
           WHERE m.conversation_id = c.id AND m.direction = 'in' ORDER BY m.id DESC LIMIT 1
       ) END
FROM conversations AS c LEFT OUTER JOIN customers AS cu ON cu.id = c.customer_id
"""


def conversation_page(
    conn: Runner,
    *,
    status: str | None = None,
    search: str = "",
    limit: int = 100,
    offset: int = 0,
) -> list[ConversationView]:
    """Conversations, the latest message first (conversations without one last). ``status``
    keeps one status; ``search`` finds text in the customer's name, the conversation's title
    or any of its messages, and (three digits or more) in the customer's phone."""
    where: list[str] = []
    params: list[Any] = []
    if status:
        where.append("c.status = ?")
        params.append(str(status))
    q = search.strip()
    if q:
        pattern = _like(q)
        conds = ["cu.name LIKE ? ESCAPE '\\'", "c.title LIKE ? ESCAPE '\\'"]
        # Any message of the chat, not only its last: one pass over the messages' text
        # (~50 ms for 200,000 messages), not a lookup per conversation.
        conds.append(
            "c.id IN (SELECT m.conversation_id FROM messages AS m WHERE m.text LIKE ? ESCAPE '\\')"
        )
        params += [pattern, pattern, pattern]
        digits = "".join(ch for ch in q if ch.isdigit())
        if len(digits) >= 3:
            conds.append("cu.phone LIKE ? ESCAPE '\\'")
            params.append(_like(digits))
        where.append(f"({' OR '.join(conds)})")
    sql = _LIST + (f"WHERE {' AND '.join(where)}\n" if where else "")
    sql += "ORDER BY c.last_message_at DESC NULLS LAST, c.id DESC LIMIT ? OFFSET ?"
    params += [limit, offset]
    return [
        ConversationView(
            id=r[0],
            ref=r[1],
            channel=r[2],
            customer_id=r[3],
            customer_name=r[4],
            customer_phone=r[5] or "",
            title=r[6],
            status=r[7],
            mode=r[8],
            bot_mode=r[9],
            taken_over_by=r[10],
            unread=r[11],
            tags=tuple(json.loads(r[12])) if r[12] else (),
            notes=r[13],
            last_message_at=stored_time(r[14]),
            last_preview=r[15],
            following=bool(r[16]),
            customer_picture=r[17],
            last_inbound_at=stored_time(r[18]),
        )
        for r in conn.execute(sql, params)
    ]


def unread_total(conn: Runner) -> int:
    """Shopper messages not yet seen, over all conversations (the inbox's badge)."""
    return int(conn.execute("SELECT coalesce(sum(unread), 0) FROM conversations").fetchone()[0])


def unread_notifications(conn: Runner) -> int:
    """Notifications not yet read (the bell's badge)."""
    row = conn.execute("SELECT count(*) FROM notifications WHERE read_at IS NULL").fetchone()
    return int(row[0])


def badges(conn: Runner) -> tuple[int, int]:
    """(shopper messages not yet seen, notifications not yet read): the window's two badges,
    on one connection."""
    return unread_total(conn), unread_notifications(conn)


def shop_name(conn: Runner) -> str:
    """The shop's name ("" before the profile is saved)."""
    row = conn.execute("SELECT name FROM shop WHERE id = 1").fetchone()
    return str(row[0]) if row else ""
