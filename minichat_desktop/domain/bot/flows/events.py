"""Flows started by the shop's events and the clock: an abandoned cart, a delivered order,
and :func:`tick`, everything time-driven that the bot runner calls every minute.

They return ``(conversation_id, replies)`` batches for the caller to send
(:func:`queue_replies` puts them in the outbox). The bot writes only where it may speak
first (:func:`.runtime.may_speak`); a cart reminder does not interrupt a waiting run, and
each cart is reminded and each order asked once. A flow acts only on events after it was
switched on (:meth:`Flow.acts_since`): imported or demo history — orders delivered, carts
left before — never starts it.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from minichat_desktop.domain.bot import cart as carts
from minichat_desktop.domain.bot.flows.builtins import ensure_builtin_flows
from minichat_desktop.domain.bot.flows.definition import WAITING
from minichat_desktop.domain.bot.flows.runtime import active_run, may_speak, start_flow, wake
from minichat_desktop.domain.bot.replies import Outgoing
from minichat_desktop.domain.conversations import conversations as convs
from minichat_desktop.domain.models import (
    Cart,
    CartItem,
    Conversation,
    Flow,
    FlowRun,
    Order,
    OrderStatus,
)
from minichat_desktop.domain.thai import format_baht
from relay import protocol as p

ABANDONED_MAX_AGE = dt.timedelta(days=3)  # older carts are not reminded
DELIVERED_WINDOW = dt.timedelta(hours=24)  # orders delivered this recently get a review request


def _event_flows(session: Session, event: str) -> list[Flow]:
    """The enabled flows this event starts, in the order they are tried."""
    return [
        f
        for f in session.scalars(
            select(Flow).where(Flow.enabled.is_(True)).order_by(Flow.position, Flow.id)
        )
        if (f.trigger or {}).get("type") == "event" and f.trigger.get("event") == event
    ]


def scan_abandoned_carts(
    session: Session, now: dt.datetime, minutes: int | None = None
) -> list[tuple[int, list[Outgoing]]]:
    """Carts with items untouched for ``minutes`` (default: the flow's trigger) and not yet
    reminded get the abandoned-cart flow, once per cart (``reminded_at``; touching the cart
    again allows another reminder later)."""
    flows = _event_flows(session, "cart_abandoned")
    if not flows:
        return []
    flow = flows[0]
    wait = dt.timedelta(
        minutes=minutes if minutes is not None else int(flow.trigger.get("minutes", 60))
    )
    has_items = select(CartItem.id).where(CartItem.cart_id == Cart.id).exists()
    rows = session.scalars(
        select(Cart)
        .where(
            Cart.reminded_at.is_(None),
            Cart.updated_at <= now - wait,
            Cart.updated_at >= max(now - wait - ABANDONED_MAX_AGE, flow.acts_since()),
            has_items,
        )
        .order_by(Cart.updated_at)
    ).all()
    out: list[tuple[int, list[Outgoing]]] = []
    for cart in rows:
        cart.reminded_at = now
        conv = session.get(Conversation, cart.conversation_id)
        if not may_speak(conv) or _active_waiting(session, cart.conversation_id):
            continue
        view = carts.get_cart(session, cart.conversation_id, now)
        replies = start_flow(
            session,
            flow.id,
            cart.conversation_id,
            now,
            state={"cart_total": format_baht(view.goods_satang), "cart_count": view.count},
        )
        cart.reminded_at = now
        if replies:
            out.append((cart.conversation_id, replies))
    session.flush()
    return out


def _active_waiting(session: Session, conversation_id: int) -> bool:
    run = active_run(session, conversation_id)
    return run is not None and run.status == WAITING


def on_order_delivered(
    session: Session, order_id: int, now: dt.datetime
) -> list[tuple[int, list[Outgoing]]]:
    """Start the order-delivered flows in the chat the order came from (once per order), when
    it was delivered after the flow was switched on."""
    order = session.get(Order, order_id)
    if order is None or order.status != OrderStatus.DELIVERED or not order.conversation_ref:
        return []
    delivered = order.delivered_at
    conv = session.scalar(select(Conversation).where(Conversation.ref == order.conversation_ref))
    if not may_speak(conv):
        return []
    assert conv is not None
    out: list[tuple[int, list[Outgoing]]] = []
    for flow in _event_flows(session, "order_delivered"):
        if delivered is None or delivered < flow.acts_since():
            continue  # history: delivered before the flow was on
        if _started_for_order(session, flow.id, conv.id, order.id):
            continue
        replies = start_flow(
            session,
            flow.id,
            conv.id,
            now,
            state={"order_id": order.id, "order_number": order.number},
        )
        if replies:
            out.append((conv.id, replies))
        break  # one flow per event
    return out


def _started_for_order(session: Session, flow_id: int, conversation_id: int, order_id: int) -> bool:
    states = session.scalars(
        select(FlowRun.state).where(
            FlowRun.flow_id == flow_id, FlowRun.conversation_id == conversation_id
        )
    )
    return any((s or {}).get("order_id") == order_id for s in states)


def scan_delivered_orders(session: Session, now: dt.datetime) -> list[tuple[int, list[Outgoing]]]:
    """Orders from a chat delivered in the last day, after a flow was switched on, that have
    not had their flow yet."""
    flows = _event_flows(session, "order_delivered")
    if not flows:
        return []
    since = max(now - DELIVERED_WINDOW, min(f.acts_since() for f in flows))
    ids = session.scalars(
        select(Order.id).where(
            Order.status == OrderStatus.DELIVERED,
            Order.delivered_at.is_not(None),
            Order.delivered_at >= since,
            Order.delivered_at <= now,
            Order.conversation_ref != "",
        )
    ).all()
    out: list[tuple[int, list[Outgoing]]] = []
    for oid in ids:
        out += on_order_delivered(session, oid, now)
    return out


def tick(session: Session, now: dt.datetime) -> list[tuple[int, list[Outgoing]]]:
    """Everything time-driven, for the bot runner's minute timer: built-ins installed, due
    runs woken, abandoned carts reminded, delivered orders asked for a review."""
    ensure_builtin_flows(session)
    return [
        *wake(session, now),
        *scan_abandoned_carts(session, now),
        *scan_delivered_orders(session, now),
    ]


def queue_replies(session: Session, batches: list[tuple[int, list[Outgoing]]]) -> list[int]:
    """Put timer replies in the outbox (a picture becomes its caption); the conversations.
    A Messenger or Instagram chat past Meta's 24-hour window gets none (the bot may not send
    there): a note in the chat says why, once."""
    done: list[int] = []
    for cid, replies in batches:
        if replies and not convs.window_of(session, cid).bot_may_send:
            if convs.note_bot_silent(session, cid):
                done.append(cid)
            continue
        for r in replies:
            body = r.body if r.body is not None else p.Text(p.fit_text(r.caption or "") or " ")
            convs.queue_outgoing(session, cid, body, "bot", r.quick_replies)
        done.append(cid)
    return list(dict.fromkeys(done))
