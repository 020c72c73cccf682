"""The owner's notifications: new conversation, new message, new order, low stock, payment
slip — kept as a list with read/unread; the UI also shows them in the tray with a sound."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from minichat_desktop.domain import inbox_reads
from minichat_desktop.domain.models import Notification, utcnow
from minichat_desktop.domain.sql import DriverConnection

_TABLE = Notification.__table__


class NotificationKind(StrEnum):
    NEW_CONVERSATION = "new_conversation"
    NEW_MESSAGE = "new_message"
    NEW_ORDER = "new_order"
    LOW_STOCK = "low_stock"
    PAYMENT_SLIP = "payment_slip"
    ESCALATED = "escalated"
    LINE_QUOTA = "line_quota"
    BACKUP = "backup"  # a backup failed or did not verify (storage/backups.py)
    MESSAGE_FAILED = "message_failed"  # the relay refused an outgoing message (sync/client.py)


@dataclass(frozen=True, slots=True)
class NotificationView:
    id: int
    kind: str
    title: str
    body: str
    ref: str
    created_at: dt.datetime
    read: bool
    title_en: str = ""
    body_en: str = ""

    def title_in(self, lang: str) -> str:
        """The title in ``lang`` ("th" or "en"); Thai when no English was kept."""
        return self.title_en if lang == "en" and self.title_en else self.title

    def body_in(self, lang: str) -> str:
        return self.body_en if lang == "en" and self.title_en else self.body


def _view(n: Notification) -> NotificationView:
    return NotificationView(
        n.id, n.kind, n.title, n.body, n.ref, n.created_at, n.read_at is not None,
        n.title_en or "", n.body_en or "",
    )  # fmt: skip


def _row(kind: NotificationKind, title: str, body: str, ref: str,
         en: tuple[str, str] | None) -> dict[str, object]:  # fmt: skip
    title_en, body_en = en if en is not None else ("", "")
    return {
        "kind": kind,
        "title": title[:200],
        "body": body[:500],
        "title_en": title_en[:200],
        "body_en": body_en[:500],
        "ref": ref,
        "created_at": utcnow(),
    }


def notify(
    session: Session,
    kind: NotificationKind,
    title: str,
    body: str = "",
    ref: str = "",
    *,
    en: tuple[str, str] | None = None,
) -> NotificationView:
    """Keep a notification for the owner: ``title`` and ``body`` in Thai, ``en`` the same
    (title, body) in English for an owner who reads the app in English."""
    n = Notification(**_row(kind, title, body, ref, en))
    session.add(n)
    session.flush()
    return _view(n)


def notify_raw(
    raw: DriverConnection,
    kind: NotificationKind,
    title: str,
    body: str = "",
    ref: str = "",
    *,
    en: tuple[str, str] | None = None,
) -> None:
    """:func:`notify` for the hot paths that already write through a
    :class:`DriverConnection` (placing an order): one plain INSERT in the same transaction."""
    raw.insert_all(_TABLE, [{**_row(kind, title, body, ref, en), "read_at": None}])


def list_notifications(
    session: Session, *, unread_only: bool = False, limit: int = 100
) -> list[NotificationView]:
    stmt = select(Notification).order_by(Notification.id.desc()).limit(limit)
    if unread_only:
        stmt = stmt.where(Notification.read_at.is_(None))
    return [_view(n) for n in session.scalars(stmt)]


def unread_count(session: Session) -> int:
    return inbox_reads.unread_notifications(DriverConnection(session))


def mark_read(session: Session, ids: list[int] | None = None) -> None:
    """Mark these notifications (all when None) read."""
    stmt = update(Notification).where(Notification.read_at.is_(None)).values(read_at=utcnow())
    if ids is not None:
        stmt = stmt.where(Notification.id.in_(ids))
    session.execute(stmt)


def mark_unread(session: Session, ids: list[int]) -> None:
    session.execute(update(Notification).where(Notification.id.in_(ids)).values(read_at=None))
