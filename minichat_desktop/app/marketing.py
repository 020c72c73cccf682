"""Marketing use cases for the screens: what the broadcasts screen shows, saving a broadcast,
and sending one now."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from minichat_desktop.domain.catalog import products as catalog
from minichat_desktop.domain.marketing import broadcasts as bc
from minichat_desktop.domain.marketing.broadcasts import Audience, BroadcastView, SendReport

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


def send_now(session: Session, broadcast_id: int, actor: str) -> SendReport:
    """Make the broadcast due now and queue its first batch (``more``: call
    :func:`send_more`)."""
    now = dt.datetime.now(dt.UTC)
    bc.send_now(session, broadcast_id, actor, now)
    return bc.send_due(session, now)


def send_more(session: Session) -> SendReport:
    """Queue the next batch of the broadcasts that are due."""
    return bc.send_due(session, dt.datetime.now(dt.UTC))
