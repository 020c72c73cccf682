"""Analytics events: what happened, when, and to which conversation, customer, order or
product — the seed's "Analytics Event Model" (``message_sent``, ``product_viewed``,
``order_created``…) kept in the ``analytics_events`` table.

The kinds are fixed (:data:`KINDS`); recording an unknown kind is a programming error
(:class:`ValueError`). Events are facts for counting: nothing in the app's behaviour depends on
them, and they are removed after the retention setting (``analytics.retention_days``, default
365 days) by :func:`purge_expired` (run it at start and once a day).

Where the app records them today:

- ``message_received`` — :func:`conversations.record_inbound` (a shopper's message);
- ``message_sent`` — :func:`conversations.queue_outgoing` (``data.author``: ``bot``, ``system``
  or ``human``);
- ``order_created`` — :func:`orders.place_order` (``data``: channel, total in satang).

The other kinds are for the bot, the cart and the order screens to record as they happen
(``record(session, PRODUCT_VIEWED, conversation_id=…, product_id=…)``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from minichat_desktop.domain.models import AnalyticsEvent, utcnow
from minichat_desktop.domain.shop import get_setting, put_setting
from minichat_desktop.domain.sql import DriverConnection
from minichat_desktop.errors import UserError

# ---------------------------------------------------------------------------- the kinds

MESSAGE_RECEIVED: Final = "message_received"  # a shopper wrote
MESSAGE_SENT: Final = "message_sent"  # the shop wrote: data.author = bot | human | system
PRODUCT_VIEWED: Final = "product_viewed"  # a product card was shown / opened in a chat
PRODUCT_SEARCHED: Final = "product_searched"  # data.query, data.results
RECOMMENDATION_SHOWN: Final = "recommendation_shown"  # data.product_ids
ADDED_TO_CART: Final = "added_to_cart"  # product_id, data.variant_id, data.quantity
REMOVED_FROM_CART: Final = "removed_from_cart"
CHECKOUT_STARTED: Final = "checkout_started"
CART_ABANDONED: Final = "cart_abandoned"  # the abandoned-cart flow reminded the shopper
ORDER_CREATED: Final = "order_created"  # order_id, data.channel, data.total_satang
ORDER_PAID: Final = "order_paid"
ORDER_CANCELLED: Final = "order_cancelled"
ORDER_REFUNDED: Final = "order_refunded"
HANDOFF: Final = "handoff"  # the bot escalated or a person took the chat over
FLOW_STARTED: Final = "flow_started"  # data.flow
FLOW_COMPLETED: Final = "flow_completed"
REVIEW_LEFT: Final = "review_left"  # product_id, data.rating

KINDS: Final = frozenset(
    {
        MESSAGE_RECEIVED,
        MESSAGE_SENT,
        PRODUCT_VIEWED,
        PRODUCT_SEARCHED,
        RECOMMENDATION_SHOWN,
        ADDED_TO_CART,
        REMOVED_FROM_CART,
        CHECKOUT_STARTED,
        CART_ABANDONED,
        ORDER_CREATED,
        ORDER_PAID,
        ORDER_CANCELLED,
        ORDER_REFUNDED,
        HANDOFF,
        FLOW_STARTED,
        FLOW_COMPLETED,
        REVIEW_LEFT,
    }
)

RETENTION_KEY: Final = "analytics.retention_days"
DEFAULT_RETENTION_DAYS: Final = 365
MIN_RETENTION_DAYS: Final = 30
MAX_RETENTION_DAYS: Final = 3650

_TABLE = AnalyticsEvent.__table__


def _check(kind: str) -> None:
    if kind not in KINDS:
        raise ValueError(f"unknown analytics event kind {kind!r}")


def author_role(author: str) -> str:
    """``bot`` and ``system`` as they are; anyone else writing for the shop is ``human``."""
    return author if author in ("bot", "system") else "human"


# ---------------------------------------------------------------------------- recording


def record(
    session: Session,
    kind: str,
    *,
    at: dt.datetime | None = None,
    conversation_id: int | None = None,
    customer_id: int | None = None,
    order_id: int | None = None,
    product_id: int | None = None,
    data: Mapping[str, Any] | None = None,
) -> None:
    """Record one event in the session's unit of work (stored when it commits, gone if it
    rolls back). ``at`` defaults to now (aware; stored UTC). Raises :class:`ValueError` for a
    kind not in :data:`KINDS`."""
    _check(kind)
    session.add(
        AnalyticsEvent(
            kind=kind,
            at=at or utcnow(),
            conversation_id=conversation_id,
            customer_id=customer_id,
            order_id=order_id,
            product_id=product_id,
            data=dict(data or {}),
        )
    )


def record_raw(
    raw: DriverConnection,
    kind: str,
    *,
    at: dt.datetime,
    conversation_id: int | None = None,
    customer_id: int | None = None,
    order_id: int | None = None,
    product_id: int | None = None,
    data: Mapping[str, Any] | None = None,
) -> None:
    """:func:`record` for the hot paths that already write through a
    :class:`DriverConnection` (placing an order): one plain INSERT in the same transaction."""
    _check(kind)
    raw.insert(
        _TABLE,
        {
            "kind": kind,
            "at": at,
            "conversation_id": conversation_id,
            "customer_id": customer_id,
            "order_id": order_id,
            "product_id": product_id,
            "data": dict(data or {}),
        },
    )


# ---------------------------------------------------------------------------- reading


@dataclass(frozen=True, slots=True)
class EventView:
    id: int
    kind: str
    at: dt.datetime
    conversation_id: int | None
    customer_id: int | None
    order_id: int | None
    product_id: int | None
    data: dict[str, Any]


def events(
    session: Session,
    *,
    kind: str | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    limit: int = 1000,
) -> list[EventView]:
    """Events oldest first, optionally of one kind and in ``[since, until)``."""
    stmt = select(AnalyticsEvent).order_by(AnalyticsEvent.at, AnalyticsEvent.id).limit(limit)
    if kind is not None:
        _check(kind)
        stmt = stmt.where(AnalyticsEvent.kind == kind)
    if since is not None:
        stmt = stmt.where(AnalyticsEvent.at >= since)
    if until is not None:
        stmt = stmt.where(AnalyticsEvent.at < until)
    return [
        EventView(
            e.id,
            e.kind,
            e.at,
            e.conversation_id,
            e.customer_id,
            e.order_id,
            e.product_id,
            dict(e.data),
        )
        for e in session.scalars(stmt)
    ]


def counts(session: Session, since: dt.datetime, until: dt.datetime) -> dict[str, int]:
    """How many events of each kind happened in ``[since, until)`` (kinds with none: 0)."""
    rows = session.execute(
        select(AnalyticsEvent.kind, func.count())
        .where(AnalyticsEvent.at >= since, AnalyticsEvent.at < until)
        .group_by(AnalyticsEvent.kind)
    )
    found = {k: int(n) for k, n in rows}
    return {k: found.get(k, 0) for k in sorted(KINDS)}


# ---------------------------------------------------------------------------- retention


def retention_days(session: Session) -> int:
    """Days events are kept (the ``analytics.retention_days`` setting; default 365)."""
    value = get_setting(session, RETENTION_KEY, DEFAULT_RETENTION_DAYS)
    try:
        days = int(value)
    except (TypeError, ValueError):
        return DEFAULT_RETENTION_DAYS
    return min(max(days, MIN_RETENTION_DAYS), MAX_RETENTION_DAYS)


def set_retention_days(session: Session, days: int) -> int:
    """Keep events for ``days`` days (30 to 3,650). Raises :class:`UserError`
    ``analytics.bad_retention`` otherwise."""
    if isinstance(days, bool) or not isinstance(days, int):
        raise UserError(
            "analytics.bad_retention", f"retention must be a whole number of days, not {days!r}"
        )
    if not MIN_RETENTION_DAYS <= days <= MAX_RETENTION_DAYS:
        raise UserError(
            "analytics.bad_retention",
            f"keep analytics events {MIN_RETENTION_DAYS} to {MAX_RETENTION_DAYS} days, not {days}",
            days=days,
            min=MIN_RETENTION_DAYS,
            max=MAX_RETENTION_DAYS,
        )
    put_setting(session, RETENTION_KEY, days)
    return days


def purge_older_than(session: Session, days: int, *, now: dt.datetime | None = None) -> int:
    """Delete events older than ``days`` days before ``now``; returns how many went."""
    if days < 0:
        raise ValueError("days must not be negative")
    cutoff = (now or utcnow()) - dt.timedelta(days=days)
    result = session.execute(delete(AnalyticsEvent).where(AnalyticsEvent.at < cutoff))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def purge_expired(session: Session, *, now: dt.datetime | None = None) -> int:
    """Apply the retention setting: delete events older than :func:`retention_days`."""
    return purge_older_than(session, retention_days(session), now=now)
