"""Stock: a ledger of movements per variant; the level is their sum and never below zero.

Every change is a :class:`~minichat_desktop.domain.models.StockMovement` with who and why. A
trigger adds it to ``product_variants.stock`` and a CHECK keeps that at zero or above, so even
two processes racing for the last unit cannot oversell: the loser's insert fails inside SQLite
and becomes :class:`OutOfStock` here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from minichat_desktop.domain.errors import NotFound, OutOfStock, UserError
from minichat_desktop.domain.models import (
    AuditEntry,
    MovementReason,
    Product,
    ProductVariant,
    StockMovement,
    utcnow,
)


@dataclass(frozen=True, slots=True)
class StockLevel:
    variant_id: int
    sku: str
    stock: int


def _is_stock_check(exc: IntegrityError) -> bool:
    return "stock_nonnegative" in str(exc.orig)


def record_movements(
    session: Session,
    changes: Mapping[int, int],
    reason: MovementReason,
    actor: str,
    note: str = "",
    order_id: int | None = None,
) -> None:
    """Apply ``{variant_id: quantity}`` (negative takes stock out) as one step.

    Raises :class:`OutOfStock` (nothing applied) when any variant would go below zero.
    Variants of products that do not track inventory are skipped.
    """
    changes = {vid: qty for vid, qty in changes.items() if qty}
    if not changes:
        return
    rows = session.execute(
        select(ProductVariant.id, ProductVariant.sku, ProductVariant.stock, Product.track_inventory)
        .join(Product, Product.id == ProductVariant.product_id)
        .where(ProductVariant.id.in_(list(changes)))
    ).all()
    known = {r.id: r for r in rows}
    missing = set(changes) - set(known)
    if missing:
        raise NotFound(
            "stock.variant_not_found", f"no variant with id {min(missing)}", id=min(missing)
        )
    tracked = {vid: qty for vid, qty in changes.items() if known[vid].track_inventory}
    for vid, qty in tracked.items():
        row = known[vid]
        if row.stock + qty < 0:
            raise OutOfStock(
                "stock.insufficient",
                f"not enough stock of {row.sku}: {row.stock} left, {-qty} needed",
                sku=row.sku,
                available=row.stock,
                requested=-qty,
            )
    if not tracked:
        return
    now = utcnow()
    try:
        with session.begin_nested():
            session.execute(
                insert(StockMovement),
                [
                    {
                        "variant_id": vid,
                        "quantity": qty,
                        "reason": reason,
                        "actor": actor,
                        "note": note,
                        "order_id": order_id,
                        "created_at": now,
                    }
                    for vid, qty in tracked.items()
                ],
            )
    except IntegrityError as exc:
        # Another process took the stock between our read and our write.
        if _is_stock_check(exc):
            raise OutOfStock(
                "stock.insufficient",
                "not enough stock left (sold meanwhile)",
                sku="",
                available=0,
                requested=0,
            ) from exc
        raise
    # Loaded variants must see the trigger's change.
    for obj in session.identity_map.values():
        if isinstance(obj, ProductVariant) and obj.id in tracked:
            session.expire(obj, ["stock"])


def adjust_stock(
    session: Session,
    variant_id: int,
    delta: int,
    reason: MovementReason,
    actor: str,
    note: str = "",
) -> StockLevel:
    """Add (or with a negative ``delta`` remove) stock, with who and why."""
    if delta == 0:
        raise UserError("stock.zero_change", "a stock change must not be zero")
    if reason in (MovementReason.ADJUSTMENT,) and not note.strip():
        raise UserError("stock.reason_required", "say why the stock changes (counted, damaged…)")
    record_movements(session, {variant_id: delta}, reason, actor, note)
    session.add(
        AuditEntry(
            actor=actor,
            action="stock.adjust",
            entity="variant",
            entity_id=str(variant_id),
            changes={"delta": [None, delta], "note": [None, note]},
        )
    )
    return level(session, variant_id)


def set_stock(
    session: Session, variant_id: int, counted: int, actor: str, note: str = "stock count"
) -> StockLevel:
    """Record a stock count: one adjustment that brings the level to ``counted``."""
    if counted < 0:
        raise UserError("stock.negative_count", "a counted stock cannot be negative")
    current = level(session, variant_id)
    if counted != current.stock:
        record_movements(
            session, {variant_id: counted - current.stock}, MovementReason.ADJUSTMENT, actor, note
        )
    return level(session, variant_id)


def level(session: Session, variant_id: int) -> StockLevel:
    row = session.execute(
        select(ProductVariant.id, ProductVariant.sku, ProductVariant.stock).where(
            ProductVariant.id == variant_id
        )
    ).first()
    if row is None:
        raise NotFound("stock.variant_not_found", f"no variant with id {variant_id}", id=variant_id)
    return StockLevel(row.id, row.sku, row.stock)


def ledger_sums(session: Session, variant_ids: Iterable[int] | None = None) -> dict[int, int]:
    """Sum of movements per variant (what ``stock`` must equal), for checks and repairs."""
    stmt = select(StockMovement.variant_id, func.sum(StockMovement.quantity)).group_by(
        StockMovement.variant_id
    )
    if variant_ids is not None:
        stmt = stmt.where(StockMovement.variant_id.in_(list(variant_ids)))
    return {vid: int(total) for vid, total in session.execute(stmt)}
