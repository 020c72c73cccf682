"""What the live screen shows: the products with their codes and stock left, the comments with
their results, and the totals (reserved, ordered, paid)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from minichat_desktop.domain.live.selling import (
    VARIANT_COLUMNS,
    Status,
    display_name,
    load_live,
    shown_products,
    suggest_code,
)
from minichat_desktop.domain.models import (
    LiveCart,
    LiveCartItem,
    LiveComment,
    LiveSession,
    Order,
    PaymentStatus,
    Product,
    ProductVariant,
)

MAX_COMMENTS = 300


@dataclass(frozen=True, slots=True)
class ShownProduct:
    code: str
    variant_id: int
    name: str
    sku: str
    price_satang: int
    stock_left: int
    reserved: int  # units in open carts


@dataclass(frozen=True, slots=True)
class CommentRow:
    id: int  # the row's, for "newer than"
    commenter_name: str
    text: str
    at: dt.datetime
    result: str
    code: str
    quantity: int
    platform: str = "facebook"  # facebook, instagram
    reply_problem: str = ""  # why its private reply was not sent (Thai / English)


@dataclass(frozen=True, slots=True)
class Board:
    live_id: int
    title: str
    status: str
    started_at: dt.datetime
    release_at: dt.datetime | None
    release_minutes: int
    products: list[ShownProduct]
    comments: list[CommentRow]  # newest last
    reserved_satang: int  # open carts
    ordered_satang: int  # checked out, not paid yet
    paid_satang: int
    carts: int


@dataclass(frozen=True, slots=True)
class Pickable:
    """A variant the owner may show in a live, with a suggested code."""

    variant_id: int
    name: str
    sku: str
    price_satang: int
    stock: int
    code: str


def pickable(session: Session, limit: int = 500) -> list[Pickable]:
    """Active variants in stock, each with a code suggested from its SKU."""
    rows = session.execute(
        select(*VARIANT_COLUMNS)
        .join(Product, Product.id == ProductVariant.product_id)
        .where(Product.active.is_(True), ProductVariant.active.is_(True))
        .order_by(Product.name_th, ProductVariant.position)
        .limit(limit)
    )
    taken: set[str] = set()
    out: list[Pickable] = []
    for vid, name, title, sku, price, stock in rows:
        code = suggest_code(sku, taken)
        taken.add(code)
        out.append(Pickable(vid, display_name(name, title), sku, int(price), int(stock), code))
    return out


def latest_live_id(session: Session) -> int | None:
    """The running live, else the last one that has not released its carts yet."""
    return session.scalar(
        select(LiveSession.id)
        .where(LiveSession.status.in_([Status.LIVE, Status.ENDED]))
        .order_by(LiveSession.id.desc())
        .limit(1)
    )


def board(session: Session, live_id: int) -> Board:
    live = load_live(session, live_id)
    reserved = dict(
        session.execute(
            select(LiveCartItem.product_id, func.sum(LiveCartItem.quantity))
            .join(LiveCart, LiveCart.id == LiveCartItem.cart_id)
            .where(LiveCart.live_id == live_id, LiveCart.status == "open")
            .group_by(LiveCartItem.product_id)
        ).all()
    )
    products = [
        ShownProduct(
            code,
            vid,
            display_name(name, title),
            sku,
            int(price),
            int(stock),
            int(reserved.get(lp, 0)),
        )
        for lp, code, vid, name, title, sku, price, stock in session.execute(
            shown_products(live_id)
        )
    ]
    comments = [
        CommentRow(
            r.id,
            r.commenter_name,
            r.text,
            r.commented_at,
            r.result,
            r.code,
            r.quantity,
            r.platform,
            r.reply_problem,
        )
        for r in reversed(
            session.scalars(
                select(LiveComment)
                .where(LiveComment.live_id == live_id)
                .order_by(LiveComment.id.desc())
                .limit(MAX_COMMENTS)
            ).all()
        )
    ]
    open_total = session.scalar(
        select(func.coalesce(func.sum(LiveCartItem.quantity * LiveCartItem.unit_price_satang), 0))
        .join(LiveCart, LiveCart.id == LiveCartItem.cart_id)
        .where(LiveCart.live_id == live_id, LiveCart.status == "open")
    )
    by_payment = dict(
        session.execute(
            select(Order.payment_status, func.sum(Order.total_satang))
            .join(LiveCart, LiveCart.order_id == Order.id)
            .where(LiveCart.live_id == live_id)
            .group_by(Order.payment_status)
        ).all()
    )
    carts = session.scalar(select(func.count()).where(LiveCart.live_id == live_id)) or 0
    paid = int(by_payment.pop(PaymentStatus.PAID, 0) or 0)
    return Board(
        live.id,
        live.title,
        live.status,
        live.started_at,
        live.release_at,
        live.release_minutes,
        products,
        comments,
        int(open_total or 0),
        int(by_payment.get(PaymentStatus.PENDING, 0) or 0),
        paid,
        int(carts),
    )


def current(session: Session) -> Board | None:
    """The board of :func:`latest_live_id`'s live, or None when no live holds carts."""
    live_id = latest_live_id(session)
    return None if live_id is None else board(session, live_id)
