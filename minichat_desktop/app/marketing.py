"""Marketing use cases: what the broadcasts screen shows, saving a broadcast, sending one now,
and the one place that sends what is due (the app's scheduler, the screen and
``minichat broadcasts send-due`` all call :func:`send_due_broadcasts`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from minichat_desktop.domain.catalog import products as catalog
from minichat_desktop.domain.marketing import broadcasts as bc
from minichat_desktop.domain.marketing.broadcasts import Audience, BroadcastView, SendReport
from minichat_desktop.domain.sql import UnitOfWork

PRODUCT_LIMIT = 500  # active products offered as cards


@dataclass(frozen=True, slots=True)
class BroadcastsOverview:
    """The broadcasts (newest first), the active products that may go in as cards as
    ``(id, Thai name, price in satang)``, and every customer tag (for the audience)."""

    broadcasts: tuple[BroadcastView, ...]
    products: tuple[tuple[int, str, int], ...]
    tags: tuple[str, ...]


def broadcasts_overview(session: Session) -> BroadcastsOverview:
    """Everything the broadcasts screen lists, read in one transaction."""
    products = tuple(
        (pv.id, pv.name_th, pv.price_satang)
        for pv in catalog.list_products(session, active_only=True, limit=PRODUCT_LIMIT)
    )
    return BroadcastsOverview(
        tuple(bc.list_broadcasts(session)), products, tuple(bc.known_tags(session))
    )


def save_broadcast(
    session: Session,
    broadcast_id: int | None,
    actor: str,
    *,
    title: str,
    text: str,
    product_ids: list[int],
    audience: Audience,
) -> BroadcastView:
    """Create a draft (``broadcast_id`` None) or edit a draft or scheduled broadcast; raises
    :class:`UserError` naming the bad field (nothing is stored then)."""
    if broadcast_id is None:
        return bc.create_broadcast(
            session, actor, title=title, text=text, product_ids=product_ids, audience=audience
        )
    return bc.update_broadcast(
        session,
        broadcast_id,
        actor,
        title=title,
        text=text,
        product_ids=product_ids,
        audience=audience,
    )


def send_now(uow: UnitOfWork, broadcast_id: int, actor: str, now: dt.datetime) -> SendReport:
    """Make the broadcast due now and queue all its messages (see :func:`send_due_broadcasts`;
    other broadcasts already due go out too). Raises :class:`UserError` when it cannot be sent
    (a sent or cancelled broadcast); nothing is queued then."""
    with uow.write() as session:
        bc.send_now(session, broadcast_id, actor, now)
        first = bc.send_due(session, now)
    return _sum(first, send_due_broadcasts(uow, now) if first.more else None)


def send_due_broadcasts(uow: UnitOfWork, now: dt.datetime) -> SendReport:
    """Queue the messages of every broadcast due at ``now``, one batch (``broadcasts.BATCH``
    messages) per unit of work, so the write lock is never held long and the relay link sends
    each batch while the next is made; returns what was queued in all. A failing batch raises
    (what earlier batches queued stays queued; the next call goes on from there)."""
    total: SendReport | None = None
    while True:
        with uow.write() as session:
            report = bc.send_due(session, now)
        total = _sum(total, report) if total is not None else report
        if not report.more:
            return total


def _sum(a: SendReport, b: SendReport | None) -> SendReport:
    if b is None:
        return a
    return SendReport(
        queued=a.queued + b.queued,
        conversation_ids=a.conversation_ids + b.conversation_ids,
        started=a.started + b.started,
        finished=a.finished + b.finished,
        more=b.more,
    )
