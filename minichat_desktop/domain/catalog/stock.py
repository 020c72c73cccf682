"""Stock: a ledger of movements per variant; the level is their sum and never below zero.

Every change is a :class:`~minichat_desktop.domain.models.StockMovement` with who and why. A
trigger adds it to ``product_variants.stock`` and a CHECK keeps that at zero or above, so even
two processes racing for the last unit cannot oversell: the loser's insert fails inside SQLite
and becomes :class:`OutOfStock` here.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping, Set
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from minichat_desktop.domain.activity import notifications
from minichat_desktop.domain.models import (
    AuditEntry,
    MovementReason,
    ProductVariant,
    StockMovement,
    utcnow,
)
from minichat_desktop.domain.sql import DriverConnection
from minichat_desktop.errors import NotFound, OutOfStock, UserError


@dataclass(frozen=True, slots=True)
class StockLevel:
    variant_id: int
    sku: str
    stock: int


@dataclass(frozen=True, slots=True)
class VariantStock:
    """What :func:`record_movements` checks of a variant, as read in the same transaction."""

    sku: str
    stock: int
    track_inventory: bool
    # The product's; when known, a sale that does not cross it is not looked at again.
    low_stock_threshold: int | None = None


def variant_stock(raw: DriverConnection, variant_ids: Iterable[int]) -> dict[int, VariantStock]:
    ids = list(variant_ids)
    rows = raw.execute(
        "SELECT v.id, v.sku, v.stock, p.track_inventory, p.low_stock_threshold"
        " FROM product_variants v JOIN products p ON p.id = v.product_id"
        f" WHERE v.id IN ({', '.join('?' * len(ids))})",
        ids,
    )
    return {
        vid: VariantStock(sku, stock, bool(track), threshold)
        for vid, sku, stock, track, threshold in rows
    }


def record_movements(
    session: Session,
    changes: Mapping[int, int],
    reason: MovementReason,
    actor: str,
    note: str = "",
    order_id: int | None = None,
    *,
    current: Mapping[int, VariantStock] | None = None,
) -> None:
    """Apply ``{variant_id: quantity}`` (negative takes stock out) as one step.

    ``current`` is the variants' stock if the caller has just read it in this transaction
    (see :func:`variant_stock`); otherwise it is read here. Raises :class:`OutOfStock`
    (nothing applied) when any variant would go below zero — also when another process took
    the stock after that read. Variants of products that do not track inventory are skipped.
    """
    moved = record_movements_raw(
        DriverConnection(session), changes, reason, actor, note, order_id, current=current
    )
    expire_loaded_stock(session, moved)


def record_movements_raw(
    raw: DriverConnection,
    changes: Mapping[int, int],
    reason: MovementReason,
    actor: str,
    note: str = "",
    order_id: int | None = None,
    *,
    current: Mapping[int, VariantStock] | None = None,
) -> set[int]:
    """:func:`record_movements` for the hot paths that already write through a
    :class:`DriverConnection` (placing an order). Returns the ids of the variants whose stock
    moved: variants the caller's session has loaded must be expired
    (:func:`expire_loaded_stock`)."""
    changes = {vid: qty for vid, qty in changes.items() if qty}
    if not changes:
        return set()
    known = current if current is not None else variant_stock(raw, changes)
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
        return set()
    _insert_movements(raw, tracked, reason, actor, note, order_id)
    fell = {
        vid: (known[vid].stock, known[vid].stock + qty)
        for vid, qty in tracked.items()
        if qty < 0 and _may_cross(known[vid], known[vid].stock + qty)
    }
    if fell:
        _warn_low_stock(raw, fell)
    return set(tracked)


def _may_cross(row: VariantStock, after: int) -> bool:
    """Whether falling to ``after`` may cross the low-stock threshold (unknown: maybe)."""
    threshold = row.low_stock_threshold
    return threshold is None or row.stock > threshold >= after


def _insert_movements(
    raw: DriverConnection,
    tracked: Mapping[int, int],
    reason: MovementReason,
    actor: str,
    note: str,
    order_id: int | None,
) -> None:
    now = utcnow()
    try:
        # One statement: if the CHECK fails for any row, SQLite stores none of them.
        raw.insert_all(
            StockMovement.__table__,
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
    except sqlite3.IntegrityError as exc:
        # Another process took the stock between a read and this write.
        if "stock_nonnegative" in str(exc):
            raise OutOfStock(
                "stock.insufficient",
                "not enough stock left (sold meanwhile)",
                sku="",
                available=0,
                requested=0,
            ) from exc
        raise


def expire_loaded_stock(session: Session, variant_ids: Set[int]) -> None:
    """Make variants the session has loaded read their stock again: the trigger changed it
    behind the ORM's back."""
    if not variant_ids:
        return
    for obj in session.identity_map.values():
        if isinstance(obj, ProductVariant) and obj.id in variant_ids:
            session.expire(obj, ["stock"])


def _warn_low_stock(raw: DriverConnection, fell: Mapping[int, tuple[int, int]]) -> None:
    """Tell the owner when a variant's stock falls to or below its product's threshold (once,
    as it crosses — not on every later sale)."""
    rows = raw.execute(
        "SELECT v.id, v.sku, v.title, p.id, p.name_th, p.low_stock_threshold"
        " FROM product_variants v JOIN products p ON p.id = v.product_id"
        f" WHERE v.id IN ({', '.join('?' * len(fell))})",
        list(fell),
    ).fetchall()
    for vid, sku, title, product_id, name, threshold in rows:
        before, after = fell[vid]
        if before > threshold >= after:
            label = f"{name} ({title})" if title else name
            out = after <= 0  # out of stock is not "running low"
            body = f"ไม่เหลือในสต็อก · {sku}" if out else f"เหลือ {after} ชิ้น · {sku}"
            english = (
                (f"Out of stock: {label}", f"None left · {sku}")
                if out
                else (f"Running low: {label}", f"{after} left · {sku}")
            )
            notifications.notify_raw(
                raw,
                notifications.NotificationKind.LOW_STOCK,
                f"สินค้าหมด: {label}" if out else f"สต็อกใกล้หมด: {label}",
                body,
                ref=f"product:{product_id}",
                en=english,
            )


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
