"""What the nodes that do something do: ``action`` nodes (products, cart, checkout, tags,
pipeline status, owner notices, discount codes, reviews), ``condition`` tests, ``handoff``,
and filling ``{names}`` into a node's text.

Each takes the run it works for and may change its state; none moves the run along (that
is :mod:`.runtime`). An action that cannot be done raises
:class:`~minichat_desktop.errors.UserError` (``cart.unknown_item``,
``discount.unknown``, …), which the runtime turns into a reply.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import secrets
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from minichat_desktop.domain.activity import notifications
from minichat_desktop.domain.bot import cart as carts
from minichat_desktop.domain.bot import checkout, context, recommend, templates
from minichat_desktop.domain.bot.flows.definition import DONE, number
from minichat_desktop.domain.bot.replies import Outgoing, postback, text
from minichat_desktop.domain.conversations import conversations as convs
from minichat_desktop.domain.customers import customers
from minichat_desktop.domain.models import (
    Cart,
    Conversation,
    ConversationStatus,
    Customer,
    DiscountCode,
    FlowRun,
    Order,
    OrderItem,
    ProductReview,
    ProductVariant,
    utcnow,
)
from minichat_desktop.domain.placeholders import UNNAMED
from minichat_desktop.domain.shop import get_profile
from minichat_desktop.domain.thai import format_baht, satang_to_decimal
from minichat_desktop.errors import UserError


class _Safe(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return ""


def fill_text(session: Session, run: FlowRun, template: str) -> str:
    """A node's text with ``{var}`` of the run's state and ``{shop}``, ``{customer_name}``
    (:data:`UNNAMED` for a shopper who gave no name), ``{cart_total}`` filled in; an unknown
    name is left empty, a malformed text is kept."""
    values = _Safe({k: v for k, v in (run.state or {}).items() if not isinstance(v, dict | list)})
    if "{shop}" in template:
        values["shop"] = get_profile(session).name
    if "{customer_name}" in template:
        conv = session.get(Conversation, run.conversation_id)
        c = session.get(Customer, conv.customer_id) if conv and conv.customer_id else None
        values["customer_name"] = (c.name if c else "") or UNNAMED
    if "{cart_total}" in template:
        values["cart_total"] = format_baht(
            carts.get_cart(session, run.conversation_id).goods_satang
        )
    try:
        return template.format_map(values)
    except (ValueError, IndexError, AttributeError):
        return template


def _field(session: Session, run: FlowRun, field: str) -> Any:
    """The value a condition tests: ``state.NAME``, ``cart.total`` (baht), ``cart.count``,
    ``cart.empty``, ``conversation.*``, ``customer.*``, ``context.*``."""
    head, _, name = field.partition(".")
    if head == "state":
        return (run.state or {}).get(name)
    if head == "cart":
        view = carts.get_cart(session, run.conversation_id)
        return {
            "total": satang_to_decimal(view.goods_satang),
            "count": view.count,
            "empty": view.empty,
        }[name]
    conv = session.get(Conversation, run.conversation_id)
    if head == "conversation":
        return getattr(conv, name, None) if conv else None
    if head == "customer":
        c = session.get(Customer, conv.customer_id) if conv and conv.customer_id else None
        return getattr(c, name, None) if c else None
    if head == "context":
        ctx = context.load_context(session, run.conversation_id, utcnow())
        return getattr(ctx, name, None)
    return None


def holds(session: Session, run: FlowRun, node: dict[str, Any]) -> bool:
    """Whether a condition node holds; a comparison with a value that is not a number is
    false, and ``eq``/``ne`` compare numbers as numbers and text without case."""
    have = _field(session, run, node["field"])
    want = node.get("value")
    op = node["op"]
    if op == "set":
        return have not in (None, "", [], False)
    if op == "unset":
        return have in (None, "", [], False)
    if op == "contains":
        if isinstance(have, list):
            return str(want) in [str(x) for x in have]
        return str(want).lower() in str(have or "").lower()
    if op in ("lt", "le", "gt", "ge"):
        a, b = number(have), number(want)
        if a is None or b is None:
            return False
        return {"lt": a < b, "le": a <= b, "gt": a > b, "ge": a >= b}[op]
    a_num, b_num = number(have), number(want)
    same = (
        (a_num == b_num)
        if a_num is not None and b_num is not None
        else (
            str(have if have is not None else "").strip().lower() == str(want or "").strip().lower()
        )
    )
    return same if op == "eq" else not same


def hand_off(session: Session, run: FlowRun, node: dict[str, Any]) -> list[Outgoing]:
    """Escalate the conversation (the owner is notified once) and the reply saying so."""
    conv = session.get(Conversation, run.conversation_id)
    if conv is not None and conv.status != ConversationStatus.ESCALATED:
        convs.set_status(session, conv.id, ConversationStatus.ESCALATED)
        view = convs.get_conversation(session, conv.id)
        note = fill_text(session, run, str(node.get("note") or "")) or "ลูกค้าต้องการคุยกับเจ้าหน้าที่"
        notifications.notify(
            session,
            notifications.NotificationKind.ESCALATED,
            f"{note}: {view.display_name}",
            note,
            ref=f"conversation:{conv.id}",
        )
    message = node.get("text") or "ส่งเรื่องให้เจ้าหน้าที่แล้ว จะรีบติดต่อกลับนะคะ 🙏"
    return [text(fill_text(session, run, message))]


def _customer_id(session: Session, conversation_id: int) -> int | None:
    conv = session.get(Conversation, conversation_id)
    if conv is None:
        return None
    if conv.customer_id is None:
        c = customers.create_customer(
            session, "bot", name=conv.title or f"ลูกค้าแชท #{conv.id}", phone=""
        )
        conv.customer_id = c.id
        session.flush()
    return conv.customer_id


def _new_code(session: Session, prefix: str = "CART") -> str:
    while True:
        code = f"{prefix}{secrets.token_hex(3).upper()}"
        if session.get(DiscountCode, code) is None:
            return code


def act(
    session: Session, run: FlowRun, node: dict[str, Any], now: dt.datetime, lang: str
) -> list[Outgoing]:
    """Do an action node; the replies it makes (``checkout`` ends the run: checkout takes
    the conversation from there)."""
    action = node["action"]
    cid = run.conversation_id
    state = dict(run.state or {})
    if action == "show_products":
        budget = number(state.get(node.get("budget_var", ""), ""))
        color = str(state.get(node.get("color_var", ""), "") or "") or None
        size = str(state.get(node.get("size_var", ""), "") or "").upper() or None
        crit = recommend.Criteria(
            category=node.get("category") or state.get("category") or None,
            price_max=round(budget * 100) if budget else None,
            color=color,
            size=size,
        )
        recs = recommend.recommend(session, crit, limit=int(node.get("limit") or 3), now=now)
        sentence = templates.phrase_recommendations(recs, lang, crit)
        more = postback("ดูสินค้าอื่น" if lang != "en" else "More products", "browse")
        body = recommend.to_message(recs, lang)
        state["shown"] = [r.product_id for r in recs]
        run.state = state
        # The engine carries on from here ("เอา 1 ตัว"): it remembers what the flow learnt.
        ctx = context.load_context(session, cid, now)
        ctx = dataclasses.replace(
            ctx,
            focus=tuple(state["shown"][:1]) or ctx.focus,
            interested_products=tuple(dict.fromkeys([*state["shown"], *ctx.interested_products])),
            price_max=crit.price_max if crit.price_max is not None else ctx.price_max,
            color=color or ctx.color,
            size=size or ctx.size,
        )
        context.save_context(session, ctx, now)
        if body is None:
            return [text(sentence, (more,))]
        cart_btn = postback("ตะกร้า" if lang != "en" else "Cart", "cart:view")
        return [text(sentence), Outgoing(body, (cart_btn, more))]
    if action == "show_cart":
        view = carts.get_cart(session, cid, now)
        if view.empty:
            return []
        return [Outgoing(carts.cart_message(view, lang=lang))]
    if action == "add_to_cart":
        vid = session.scalar(
            select(ProductVariant.id).where(ProductVariant.sku == str(node["sku"]).strip())
        )
        if vid is None:
            raise UserError("cart.unknown_item", f"no product {node['sku']}", sku=node["sku"])
        view = carts.add_item(session, cid, vid, int(node.get("quantity") or 1))
        return [Outgoing(carts.cart_message(view, lang=lang))]
    if action == "checkout":
        if carts.get_cart(session, cid).empty:
            return []
        run.status = DONE  # checkout takes the conversation from here
        return checkout.start_checkout(session, cid, lang)
    if action == "tag_customer":
        customer_id = _customer_id(session, cid)
        if customer_id is not None:
            c = customers.get_customer(session, customer_id)
            tag = fill_text(session, run, str(node["tag"])).strip()
            if tag and tag not in c.tags:
                customers.update_customer(session, customer_id, "bot", tags=[*c.tags, tag])
        return []
    if action == "set_status":
        customer_id = _customer_id(session, cid)
        if customer_id is not None:
            customers.update_customer(session, customer_id, "bot", status=node["status"])
        return []
    if action == "notify_owner":
        conv_view = convs.get_conversation(session, cid)
        notifications.notify(
            session,
            notifications.NotificationKind.NEW_MESSAGE,
            f"{fill_text(session, run, str(node['title']))}: {conv_view.display_name}",
            fill_text(session, run, str(node.get("body") or "")),
            ref=f"conversation:{cid}",
        )
        return []
    if action == "apply_discount":
        return _discount(session, run, node, now, lang)
    if action == "save_review":
        _save_review(session, run, node, now)
        return []
    return []


def _discount(
    session: Session, run: FlowRun, node: dict[str, Any], now: dt.datetime, lang: str
) -> list[Outgoing]:
    state = dict(run.state or {})
    if node.get("code"):
        code = str(node["code"])
        row = session.get(DiscountCode, code)
        if row is None:
            raise UserError("discount.unknown", f"no discount code {code}", discount=code)
        percent = row.value // 100 if row.kind == "percent" else 0
        until = row.ends_at
    else:
        percent = int(node["percent"])
        until = now + dt.timedelta(hours=int(node.get("valid_hours") or 24))
        code = _new_code(session, str(node.get("prefix") or "CART"))
        carts.save_discount_code(
            session,
            code,
            "percent",
            percent * 100,
            min_subtotal_satang=int(node.get("min_baht") or 0) * 100,
            starts_at=now,
            ends_at=until,
            max_uses=1,
            note=f"flow {run.flow_id}, conversation {run.conversation_id}",
        )
    state["discount_code"] = code
    state["discount_percent"] = percent
    state["discount_until"] = _bangkok(until) if until else ""
    run.state = state
    if not carts.get_cart(session, run.conversation_id, now).empty:
        cart = session.scalar(select(Cart).where(Cart.conversation_id == run.conversation_id))
        reminded = cart.reminded_at if cart else None
        carts.apply_discount(session, run.conversation_id, code, now)
        if cart is not None and reminded is not None:
            cart.reminded_at = reminded  # a discount put in by the reminder is not a touch
    return []


def _bangkok(when: dt.datetime) -> str:
    local = when.replace(tzinfo=dt.UTC).astimezone(dt.timezone(dt.timedelta(hours=7)))
    return f"{local.day}/{local.month}/{local.year + 543} {local:%H:%M} น."


def _save_review(session: Session, run: FlowRun, node: dict[str, Any], now: dt.datetime) -> None:
    state = dict(run.state or {})
    rating = number(state.get(node.get("var") or "rating"))
    if rating is None or not 1 <= rating <= 5:
        return
    words = str(state.get(node.get("text_var") or "", "") or "")
    order_id = state.get("order_id")
    product_ids: list[int] = []
    customer_id = None
    if order_id:
        order = session.get(Order, int(order_id))
        if order is not None:
            customer_id = order.customer_id
            product_ids = list(
                dict.fromkeys(
                    pid
                    for pid in session.scalars(
                        select(OrderItem.product_id).where(OrderItem.order_id == order.id)
                    )
                    if pid is not None
                )
            )
    if not product_ids:
        product_ids = [int(x) for x in state.get("shown", [])][:1]
    if customer_id is None:
        conv = session.get(Conversation, run.conversation_id)
        customer_id = conv.customer_id if conv else None
    for pid in product_ids:
        session.add(
            ProductReview(
                product_id=pid,
                order_id=int(order_id) if order_id else None,
                customer_id=customer_id,
                rating=int(rating),
                text=words[:2000],
                created_at=now,
            )
        )
    session.flush()
