"""Catalog use cases for the screens: the product list a page at a time, a product with its
stock ledger, and the products a label sheet is printed for."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from minichat_desktop.app.paging import Page
from minichat_desktop.domain.catalog import products as catalog
from minichat_desktop.domain.catalog.products import (
    MovementView,
    ProductView,
    SearchFilters,
    SearchHit,
)


@dataclass(frozen=True, slots=True)
class Filters:
    """What the filter bar says. ``category`` empty means every category."""

    category: str = ""
    in_stock: bool = False
    low_stock: bool = False
    include_inactive: bool = False


@dataclass(frozen=True, slots=True)
class ProductWithLedger:
    """A product and its newest stock movements (newest first)."""

    product: ProductView
    ledger: tuple[MovementView, ...]


def is_out(hit: SearchHit) -> bool:
    """Out of stock (only a product that tracks its stock can be)."""
    return hit.track_inventory and hit.stock <= 0


def is_low(hit: SearchHit) -> bool:
    """Low stock, out of stock included (what the “low stock only” filter shows)."""
    return hit.track_inventory and hit.stock <= hit.low_stock_threshold


def hit_of(view: ProductView) -> SearchHit:
    """A product as a row of the product list (``match`` is ``"other"``)."""
    return SearchHit(
        product_id=view.id,
        sku=view.sku,
        name_th=view.name_th,
        name_en=view.name_en,
        price_satang=view.price_satang,
        stock=view.stock,
        category=view.category,
        active=view.active,
        track_inventory=view.track_inventory,
        low_stock_threshold=view.low_stock_threshold,
        match="other",
    )


def load_page(
    session: Session, query: str, filters: Filters, offset: int, size: int
) -> Page[SearchHit]:
    """One page of the product list.

    With a query: the search's best matches from ``offset`` (the search has no offset, so the
    page is cut from a longer answer; it stops at ``MAX_SEARCH_LIMIT``). Without: the catalog
    in the order products were added, ``size`` at a time. Filters the domain cannot apply to
    one path (low stock on a search, in stock when browsing) are applied to the page, so a
    page may hold fewer than ``size`` rows while ``more`` is still true.
    """
    if query.strip():
        limit = min(offset + size, catalog.MAX_SEARCH_LIMIT)
        hits = catalog.search_products(
            session,
            query,
            limit=limit,
            filters=SearchFilters(
                category=filters.category or None,
                in_stock=filters.in_stock,
                active_only=not filters.include_inactive,
            ),
        )
        more = len(hits) == limit and limit < catalog.MAX_SEARCH_LIMIT
        page = hits[offset:]
        if filters.low_stock:
            page = [h for h in page if is_low(h)]
        return Page(tuple(page), limit, more)
    views = catalog.list_products(
        session,
        active_only=not filters.include_inactive,
        low_stock_only=filters.low_stock,
        category=filters.category or None,
        limit=size,
        offset=offset,
    )
    rows = [hit_of(v) for v in views]
    if filters.in_stock:
        rows = [h for h in rows if not is_out(h)]
    return Page(tuple(rows), offset + size, len(views) == size)


def get_products(session: Session, product_ids: list[int]) -> list[ProductView]:
    """The products in the order asked; raises :class:`NotFound` for an unknown id."""
    return [catalog.get_product(session, i) for i in product_ids]


def get_product_with_ledger(session: Session, product_id: int) -> ProductWithLedger:
    """One read for the detail pane: the product and its newest stock movements; raises
    :class:`NotFound` for an unknown id."""
    return ProductWithLedger(
        catalog.get_product(session, product_id),
        tuple(catalog.movements(session, product_id)),
    )
