"""The flows every shop gets: product discovery (a keyword trigger), the abandoned-cart
reminder and the review request after delivery (event triggers).

:func:`ensure_builtin_flows` installs the missing ones and never overwrites an owner's
edits; :func:`reset_builtin` puts one back as shipped. Each is built fresh from the small
node builders below, so a caller may change what it gets.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from minichat_desktop.domain.bot.flows.definition import FlowView
from minichat_desktop.domain.bot.flows.storage import list_flows, load_flow, view_of
from minichat_desktop.domain.bot.flows.validation import validate_flow
from minichat_desktop.domain.models import Flow, utcnow
from minichat_desktop.errors import UserError

BUILTIN_DISCOVERY = "product_discovery"
BUILTIN_ABANDONED = "abandoned_cart"
BUILTIN_REVIEW = "review_request"

Node = dict[str, Any]


def _choices(*pairs: tuple[str, str]) -> list[dict[str, str]]:
    return [{"label": label, "value": value} for label, value in pairs]


def _same(*words: str) -> list[tuple[str, str]]:
    """Choices whose value is their label."""
    return [(w, w) for w in words]


def _question(
    node_id: str,
    text: str,
    var: str,
    kind: str,
    choices: list[dict[str, str]],
    next_id: str,
    *,
    optional: bool = False,
    **extra: Any,
) -> Node:
    opt = {"optional": True} if optional else {}
    node = {"id": node_id, "type": "question", "text": text, "var": var, "kind": kind}
    return {**node, **opt, "choices": choices, **extra, "next": next_id}


def _message(node_id: str, text: str, next_id: str = "") -> Node:
    return {"id": node_id, "type": "message", "text": text, "next": next_id}


def _action(node_id: str, action: str, next_id: str = "", **fields: Any) -> Node:
    return {"id": node_id, "type": "action", "action": action, **fields, "next": next_id}


def _discovery() -> list[Node]:
    """Budget, colour and size (each may be skipped), then matching products."""
    budget = _choices(
        ("ไม่เกิน 300 บาท", "300"),
        ("ไม่เกิน 700 บาท", "700"),
        ("ไม่เกิน 1,500 บาท", "1500"),
        ("ไม่จำกัดงบ", ""),
    )
    colors = _choices(*_same("ดำ", "ขาว", "แดง", "น้ำเงิน"), ("สีอะไรก็ได้", ""))
    sizes = _choices(*_same("S", "M", "L", "XL"), ("ไซส์ไหนก็ได้", ""))
    ask_budget = "ยินดีช่วยเลือกค่ะ 😊 มีงบประมาณเท่าไหร่คะ (พิมพ์เป็นตัวเลขได้เลย เช่น 500)"
    budget_error = "รบกวนพิมพ์งบเป็นตัวเลข เช่น 500 หรือกดปุ่มด้านล่างได้เลยค่ะ"
    return [
        _question(
            "budget",
            ask_budget,
            "budget",
            "number",
            budget,
            "color",
            optional=True,
            error=budget_error,
        ),
        _question("color", "ชอบสีไหนเป็นพิเศษไหมคะ", "color", "text", colors, "size", optional=True),
        _question("size", "ใช้ไซส์อะไรคะ", "size", "text", sizes, "show", optional=True),
        _action(
            "show",
            "show_products",
            "tag",
            budget_var="budget",
            color_var="color",
            size_var="size",
            limit=3,
        ),
        _action("tag", "set_status", status="qualified"),
    ]


def _abandoned() -> list[Node]:
    """A reminder, a one-time 5 % code put in the cart, the cart and the offer."""
    return [
        _message("remind", "สินค้าที่เลือกไว้ยังรออยู่ในตะกร้านะคะ 🛒 สั่งต่อได้เลยค่ะ", "discount"),
        _action("discount", "apply_discount", "cart", percent=5, valid_hours=24),
        _action("cart", "show_cart", "offer"),
        _message(
            "offer",
            "รับโค้ด {discount_code} ลดเพิ่ม {discount_percent}% ไปเลยค่ะ 🎁 "
            "ใส่ไว้ในตะกร้าให้แล้ว ใช้ได้ถึง {discount_until}",
        ),
    ]


def _review() -> list[Node]:
    """A rating (three days to answer), saved; a low one goes to a person."""
    stars = _choices(*(("⭐" * n, str(n)) for n in range(5, 0, -1)))
    ask = "ได้รับสินค้าจากออเดอร์ {order_number} แล้วใช่ไหมคะ 😊 รบกวนให้คะแนนความพึงพอใจหน่อยนะคะ"
    return [
        _question(
            "ask",
            ask,
            "rating",
            "rating",
            stars,
            "save",
            error="กดดาว 1 ถึง 5 หรือพิมพ์ตัวเลข 1-5 ได้เลยค่ะ",
            timeout_minutes=3 * 24 * 60,
            timeout_next="",
        ),
        _action("save", "save_review", "low", var="rating"),
        {
            "id": "low",
            "type": "condition",
            "field": "state.rating",
            "op": "le",
            "value": 2,
            "then": "sorry",
            "else": "thanks",
        },
        _message("thanks", "ขอบคุณมากสำหรับ {rating} ดาวค่ะ 🙏 แล้วแวะมาอุดหนุนกันใหม่นะคะ"),
        {
            "id": "sorry",
            "type": "handoff",
            "text": "ขออภัยที่ยังไม่ประทับใจนะคะ 🙏 เจ้าหน้าที่จะรีบติดต่อกลับไปดูแลค่ะ",
            "note": "ลูกค้าให้คะแนน {rating} ดาว ออเดอร์ {order_number}",
            "next": "",
        },
    ]


def _builtin_definitions() -> list[tuple[str, str, dict[str, Any], list[Any]]]:
    """(key, name, trigger, nodes) of each built-in flow, in the order they are installed."""
    keywords = ["ช่วยเลือก", "แนะนำหน่อย", "ไม่รู้จะเลือกอะไร", "help me choose"]
    return [
        (
            BUILTIN_DISCOVERY,
            "ช่วยเลือกสินค้า",
            {"type": "keyword", "keywords": keywords},
            _discovery(),
        ),
        (
            BUILTIN_ABANDONED,
            "เตือนตะกร้าค้าง",
            {"type": "event", "event": "cart_abandoned", "minutes": 60},
            _abandoned(),
        ),
        (
            BUILTIN_REVIEW,
            "ขอรีวิวหลังได้รับสินค้า",
            {"type": "event", "event": "order_delivered"},
            _review(),
        ),
    ]


def ensure_builtin_flows(session: Session) -> list[FlowView]:
    """Install the built-in flows that are missing (an owner's edits are kept)."""
    have = set(session.scalars(select(Flow.builtin).where(Flow.builtin != "")))
    last = session.scalar(select(func.max(Flow.position))) or 0
    for key, name, trigger, nodes in _builtin_definitions():
        if key in have:
            continue
        last += 1
        name, trigger, nodes = validate_flow(name, trigger, nodes)
        session.add(
            Flow(
                name=name,
                builtin=key,
                enabled=True,
                enabled_at=utcnow(),
                trigger=trigger,
                nodes=nodes,
                position=last,
                updated_at=utcnow(),
            )
        )
    session.flush()
    return list_flows(session)


def reset_builtin(session: Session, flow_id: int) -> FlowView:
    """Put a built-in flow back as shipped."""
    f = load_flow(session, flow_id)
    for key, name, trigger, nodes in _builtin_definitions():
        if key == f.builtin:
            _, trigger, nodes = validate_flow(name, trigger, nodes)
            f.name, f.trigger, f.nodes = name, trigger, nodes
            f.updated_at = utcnow()
            session.flush()
            return view_of(f)
    raise UserError("flow.not_builtin", f"{f.name} is not a built-in flow", name=f.name)
