"""Sales use cases for the screens: finding what to sell at the counter, the counter's recent
sales, and what the orders screen asks about a selection of orders."""

from __future__ import annotations

from sqlalchemy.orm import Session

from minichat_desktop.domain.catalog import products as catalog
from minichat_desktop.domain.models import Channel
from minichat_desktop.domain.sales import orders, pos
from minichat_desktop.domain.sales.pos import Sellable

SEARCH_LIMIT = 12  # products a counter search offers
RECENT_LIMIT = 30  # counter sales the "recent sales" list shows


def search_sellables(session: Session, query: str) -> list[Sellable]:
    """The variants of the best :data:`SEARCH_LIMIT` products matching ``query``, best first."""
    hits = catalog.search_products(
        session, query, limit=SEARCH_LIMIT, filters=catalog.SearchFilters()
    )
    return pos.product_sellables(session, [h.product_id for h in hits])


def recent_sales(session: Session) -> list[orders.OrderSummary]:
    """The newest :data:`RECENT_LIMIT` counter (``pos``) sales, refunded ones included."""
    return orders.list_orders(session, orders.OrderFilters(channel=Channel.POS), limit=RECENT_LIMIT)


def any_from_chat(session: Session, order_ids: list[int]) -> bool:
    """Whether any of the orders came from a chat (the "tell the customer" box is offered
    then); raises :class:`NotFound` for an unknown id."""
    return any(orders.get_order(session, oid).conversation_ref for oid in order_ids)
