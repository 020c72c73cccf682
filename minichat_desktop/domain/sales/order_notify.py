"""Telling the shopper, in their chat, that their order moved: editable message templates.

One template per event: a status the owner moves an order to (``confirmed``, ``processing``,
``shipped``, ``delivered``, ``cancelled``, ``refunded``), the payment confirmed (``paid``), a
tracking number entered or changed without a status change (``tracking``) and a partial refund
recorded (``partly_refunded``: some units, an amount off a line or the shipping given back
while the order stays open; ``{refunded}`` is that refund's money, ``฿150``). The shop keeps its
own words in the settings table under :data:`SETTINGS_KEY`; an event it never edited uses the
Thai default. Templates name order facts in braces — :data:`PLACEHOLDERS` — and are checked
when saved, so a typo (``{tracknig}``) is refused with the placeholder named, never sent.

A message is a plain text in the conversation the order came from, queued in the outbox in the
caller's transaction (so it leaves with the change that caused it, or not at all). A line whose
placeholders all rendered empty (no tracking link for a Kerry parcel) is left out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from minichat_desktop.domain import glossary, placeholders
from minichat_desktop.domain.conversations import conversations as convs
from minichat_desktop.domain.models import Conversation, Order
from minichat_desktop.domain.sales import orders
from minichat_desktop.domain.shop import get_profile, get_setting, put_setting
from minichat_desktop.domain.thai import chat_baht, tracking_url
from minichat_desktop.errors import UserError
from relay import protocol as p

SETTINGS_KEY = "orders.notify_templates"

EVENTS: tuple[str, ...] = (
    "confirmed",
    "paid",
    "processing",
    "shipped",
    "tracking",
    "delivered",
    "cancelled",
    "partly_refunded",
    "refunded",
)

PLACEHOLDERS: tuple[str, ...] = tuple(placeholders.FIELDS)

# What the shopper reads for each order status ({status}).
STATUS_TH: dict[str, str] = glossary.thai(glossary.ORDER_STATUS)

DEFAULT_TEMPLATES: dict[str, str] = {
    "confirmed": "ร้านยืนยันออเดอร์ {order_number} แล้วค่ะ ยอดรวม {total} ขอบคุณที่สั่งซื้อนะคะ 🙏",
    "paid": ("ได้รับชำระเงินออเดอร์ {order_number} จำนวน {total} เรียบร้อยแล้วค่ะ ทางร้านจะรีบจัดส่งให้นะคะ 🙏"),
    "processing": "ออเดอร์ {order_number} กำลังแพ็กสินค้าค่ะ จัดส่งแล้วจะแจ้งเลขพัสดุให้นะคะ 📦",
    "shipped": (
        "ออเดอร์ {order_number} จัดส่งแล้วค่ะ 🚚\nขนส่ง: {carrier}\nเลขพัสดุ: {tracking}\n{tracking_url}"
    ),
    "tracking": (
        "อัปเดตเลขพัสดุออเดอร์ {order_number} ค่ะ\nขนส่ง: {carrier}\nเลขพัสดุ: {tracking}\n{tracking_url}"
    ),
    "delivered": "ออเดอร์ {order_number} ส่งถึงแล้วค่ะ ขอบคุณที่อุดหนุน {shop_name} นะคะ 💚",
    "cancelled": "ออเดอร์ {order_number} ถูกยกเลิกแล้วค่ะ หากมีข้อสงสัยทักแชทได้เลยนะคะ",
    "partly_refunded": (
        "ร้านคืนเงินบางส่วนของออเดอร์ {order_number} จำนวน {refunded} ให้เรียบร้อยแล้วค่ะ"
        " ขออภัยในความไม่สะดวกนะคะ หากมีข้อสงสัยทักแชทได้เลยค่ะ 🙏"
    ),
    "refunded": "คืนเงินออเดอร์ {order_number} จำนวน {total} เรียบร้อยแล้วค่ะ",
}

MAX_LENGTH = min(p.MAX_TEXT, 2000)


@dataclass(frozen=True, slots=True)
class Told:
    """A message queued for the shopper: the conversation it went to and its text."""

    conversation_id: int
    text: str


# ---------------------------------------------------------------------------- templates


def _fields(template: str, event: str) -> list[str]:
    try:
        return placeholders.names_in(template)
    except placeholders.BadPlaceholder as exc:
        if exc.kind == "braces":
            raise UserError(
                "order_notify.bad_braces",
                f"template {event!r}: a brace {{ or }} is not closed; write a placeholder as "
                "{order_number}",
                event=event,
            ) from exc
        raise UserError(
            "order_notify.bad_placeholder",
            f"template {event!r}: write placeholders as a plain name in braces, such as "
            "{order_number}",
            event=event,
        ) from exc


def validate_template(event: str, template: str) -> str:
    """The template, trimmed, if it can be sent; raises :class:`UserError` naming the event
    and the problem (unknown event, empty, too long, an unknown placeholder, a stray brace)."""
    if event not in EVENTS:
        raise UserError("order_notify.unknown_event", f"no order event {event!r}", event=event)
    text = template.strip()
    if not text:
        raise UserError(
            "order_notify.empty", f"template {event!r} is empty; write the message", event=event
        )
    if len(text) > MAX_LENGTH:
        raise UserError(
            "order_notify.too_long",
            f"template {event!r} is longer than {MAX_LENGTH} characters",
            event=event,
            max=MAX_LENGTH,
        )
    for name in _fields(text, event):
        if name not in PLACEHOLDERS:
            raise UserError(
                "order_notify.unknown_placeholder",
                f"template {event!r}: unknown placeholder {{{name}}}; use one of "
                + ", ".join("{" + n + "}" for n in PLACEHOLDERS),
                event=event,
                field=name,
                known=" ".join("{" + n + "}" for n in PLACEHOLDERS),
            )
    return text


def get_templates(session: Session) -> dict[str, str]:
    """Every event's template: the shop's own, else the Thai default."""
    stored = get_setting(session, SETTINGS_KEY, {}) or {}
    return {
        e: str(stored[e]) if isinstance(stored.get(e), str) else DEFAULT_TEMPLATES[e]
        for e in EVENTS
    }


def save_templates(session: Session, templates: Mapping[str, str]) -> dict[str, str]:
    """Check and store the given events' templates (others keep theirs). All or nothing:
    the first bad template raises :class:`UserError` and nothing is stored. A template equal
    to the default is stored as "use the default" (a later default change reaches it)."""
    clean = {event: validate_template(event, text) for event, text in templates.items()}
    stored = dict(get_setting(session, SETTINGS_KEY, {}) or {})
    for event, text in clean.items():
        if text == DEFAULT_TEMPLATES[event]:
            stored.pop(event, None)
        else:
            stored[event] = text
    put_setting(session, SETTINGS_KEY, stored)
    return get_templates(session)


def reset_templates(session: Session) -> dict[str, str]:
    put_setting(session, SETTINGS_KEY, {})
    return get_templates(session)


def values_for(
    order: orders.OrderView, shop_name: str = "", refunded_satang: int | None = None
) -> dict[str, str]:
    """The placeholders' values for ``order``. ``{refunded}``: ``refunded_satang`` (the
    refund being told about), else all the order's refunds so far; empty when nothing went
    back."""
    back = order.refunded_satang if refunded_satang is None else refunded_satang
    return {
        "order_number": order.number,
        "status": STATUS_TH.get(order.status, order.status),
        "carrier": order.carrier,
        "tracking": order.tracking_number,
        "tracking_url": tracking_url(order.carrier, order.tracking_number) or "",
        "total": chat_baht(order.total_satang),
        "refunded": chat_baht(back) if back else "",
        "customer_name": order.customer_name or order.ship_name or placeholders.UNNAMED,
        "shop_name": shop_name,
    }


render = placeholders.render


def preview(session: Session, event: str, template: str, order_id: int | None = None) -> str:
    """What the shopper would read for ``template`` (checked first), filled from an order or,
    without one, from a made-up example."""
    text = validate_template(event, template)
    shop = get_profile(session).name
    if order_id is not None:
        return render(text, values_for(orders.get_order(session, order_id), shop))
    example = {
        "order_number": "MC-2026-000123",
        "status": STATUS_TH.get(event, STATUS_TH["shipped"]),
        "carrier": "Thailand Post",
        "tracking": "EE123456785TH",
        "tracking_url": "https://track.thailandpost.co.th/?trackNumber=EE123456785TH",
        "total": chat_baht(125000),
        "refunded": chat_baht(15000),
        "customer_name": "สมหญิง ใจดี",
        "shop_name": shop,
    }
    return render(text, example)


# ---------------------------------------------------------------------------- telling


def conversation_of(session: Session, order: orders.OrderView) -> int | None:
    """The chat the order came from, or None (a counter sale, a deleted chat)."""
    if not order.conversation_ref:
        return None
    return session.scalar(select(Conversation.id).where(Conversation.ref == order.conversation_ref))


def tell_shopper(
    session: Session,
    order_id: int,
    event: str,
    actor: str,
    templates: Mapping[str, str] | None = None,
    *,
    refunded_satang: int | None = None,
) -> Told | None:
    """Queue the event's message for the order's chat (in the caller's transaction). None
    when the order has no chat. ``templates`` overrides the stored ones (a preview of unsaved
    edits); ``refunded_satang``: the refund a ``partly_refunded`` message is about (default:
    every refund so far). Raises :class:`UserError` for an unknown event."""
    if event not in EVENTS:
        raise UserError("order_notify.unknown_event", f"no order event {event!r}", event=event)
    order = orders.get_order(session, order_id)
    conversation_id = conversation_of(session, order)
    if conversation_id is None:
        return None
    chosen = templates if templates is not None else get_templates(session)
    template = validate_template(event, chosen.get(event, DEFAULT_TEMPLATES[event]))
    values = values_for(order, get_profile(session).name, refunded_satang)
    text = p.fit_text(render(template, values))
    convs.queue_outgoing(session, conversation_id, p.Text(text), actor)
    return Told(conversation_id, text)


# ---------------------------------------------------------------------------- canned replies


def render_canned(session: Session, text: str, conversation_id: int) -> str:
    """A canned reply for a chat: its placeholders filled from the chat's latest order (else
    its customer's), the customer and the shop, with the same values an order message would
    have ("฿1,040", "จัดส่งแล้ว"); a customer without a name is "ลูกค้า" (placeholders.UNNAMED)."""
    conv = convs.get_conversation(session, conversation_id)
    order_id = session.scalar(
        select(Order.id).where(Order.conversation_ref == conv.ref).order_by(Order.id.desc())
    )
    if order_id is None:
        latest = convs.latest_order_for(session, conv.customer_id)
        order_id = latest.id if latest is not None else None
    shop = get_profile(session).name
    values = (
        values_for(orders.get_order(session, order_id), shop)
        if order_id is not None
        else {"shop_name": shop}
    )
    if conv.customer_name or "customer_name" not in values:
        values["customer_name"] = conv.customer_name or placeholders.UNNAMED
    return render(text, values)
