"""Sales flows: scripted conversations the owner stores and the bot runs inside chats.

A flow (:class:`~minichat_desktop.domain.models.Flow`) has a **trigger** and a list of
**nodes**, both JSON:

Triggers (``trigger["type"]``)
    ``keyword`` (``keywords``: words; the message contains one, case- and space-insensitive),
    ``intent`` (``intent``: one of :data:`nlu.INTENTS`, ``min_confidence`` default 0.6),
    ``button`` (only a postback ``flow:<id>`` starts it — put it on a button of another flow
    or a canned message), ``event`` (``event``: ``order_delivered`` or ``cart_abandoned``;
    ``minutes``: for a cart, how long untouched before the reminder, default 60).

Nodes (each ``{"id", "type", "next", …}``; ``next`` is the id of the node that follows, ``""``
ends the flow; the first node starts it)
    ``message`` (``text``; ``buttons``: ``[{"label", "flow"}]`` start other flows),
    ``question`` (``text``, ``var`` the state key, ``kind`` text/number/phone/choice/rating,
    ``choices`` ``[{"label", "value"}]`` as quick replies, ``optional``, ``error`` the
    re-ask text, ``timeout_minutes`` + ``timeout_next`` when no answer comes),
    ``action`` (``action`` and its fields, see :data:`ACTIONS`),
    ``condition`` (``field``, ``op``, ``value``, ``then``, ``else``: see :func:`_field`),
    ``wait`` (``minutes``), ``handoff`` (``text``, ``note``: the conversation is escalated
    and the owner notified, as the engine does for "ขอคุยกับแอดมิน").

Texts may name ``{var}`` of the run's state and ``{shop}``, ``{customer_name}``,
``{cart_total}``, ``{discount_code}``, ``{discount_percent}``, ``{discount_until}``,
``{order_number}``; an unknown name is left empty.

The runtime (:func:`on_message`) gets the first chance at every shopper message the engine
answers: a run waiting for an answer takes it (validated; two wrong answers in a row, or
"ยกเลิก", end the run and let the engine answer), otherwise a trigger may start a flow. One
run is active per conversation; starting another ends it. Timers (:func:`tick` → wait nodes,
question time-outs, abandoned carts, delivered orders) are run by the bot runner every minute;
they return ``(conversation_id, replies)`` for the caller to queue.

Built-in flows (:func:`ensure_builtin_flows`, idempotent, never overwrites an owner's edits):
product discovery, abandoned cart, review request.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import re
import secrets
from dataclasses import dataclass
from typing import Any, TypeGuard

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from minichat_desktop.domain.activity import notifications
from minichat_desktop.domain.bot import cart as carts
from minichat_desktop.domain.bot import checkout, context, nlu, recommend, templates
from minichat_desktop.domain.bot.replies import Outgoing, lang_of, postback, text
from minichat_desktop.domain.conversations import conversations as convs
from minichat_desktop.domain.customers import customers
from minichat_desktop.domain.errors import NotFound, UserError
from minichat_desktop.domain.models import (
    BotMode,
    Cart,
    CartItem,
    Conversation,
    ConversationMode,
    ConversationStatus,
    Customer,
    DiscountCode,
    Flow,
    FlowRun,
    Order,
    OrderItem,
    OrderStatus,
    PipelineStatus,
    ProductReview,
    ProductVariant,
    utcnow,
)
from minichat_desktop.domain.sales.orders import MAX_QUANTITY
from minichat_desktop.domain.shop import get_profile
from minichat_desktop.domain.thai import format_baht
from relay import protocol as p

TRIGGERS = ("keyword", "intent", "button", "event")
EVENTS = ("order_delivered", "cart_abandoned")
NODE_TYPES = ("message", "question", "action", "condition", "wait", "handoff")
QUESTION_KINDS = ("text", "number", "phone", "choice", "rating")
ACTIONS = (
    "show_products",  # category, budget_var, color_var, size_var, limit
    "show_cart",
    "add_to_cart",  # sku, quantity
    "checkout",
    "tag_customer",  # tag
    "set_status",  # status (pipeline)
    "notify_owner",  # title, body
    "apply_discount",  # code | percent (1-90) + valid_hours (+ min_baht)
    "save_review",  # var (rating 1-5), text_var
)
OPS = ("eq", "ne", "lt", "le", "gt", "ge", "contains", "set", "unset")
RUNNING, WAITING, DONE = "running", "waiting", "done"
MAX_STEPS = 60  # nodes one message may run through (a loop of conditions stops here)
MAX_TRIES = 2  # wrong answers in a row before the flow lets the engine answer
ABANDONED_MAX_AGE = dt.timedelta(days=3)  # older carts are not reminded
DELIVERED_WINDOW = dt.timedelta(hours=24)  # orders delivered this recently get a review request
BUTTON_PREFIX = "flow:"
CANCEL_WORDS = re.compile(r"^\s*(ยกเลิก|ไม่เอาแล้ว|พอแล้ว|ออก|cancel|stop|quit)\s*[.!]*\s*$", re.I)
SKIP_WORDS = re.compile(r"^\s*(ข้าม|ไม่ระบุ|อะไรก็ได้|ไม่มี|skip|any|-)\s*$", re.I)
PHONE = re.compile(r"^0\d{8,9}$")

_FIELD_TH = {
    "name": "ชื่อโฟลว์",
    "trigger": "ตัวเริ่ม",
    "type": "ชนิด",
    "keywords": "คำที่ใช้เริ่ม",
    "intent": "เจตนา",
    "event": "เหตุการณ์",
    "minutes": "จำนวนนาที",
    "min_confidence": "ความมั่นใจขั้นต่ำ",
    "nodes": "ขั้นตอน",
    "id": "รหัสขั้น",
    "next": "ขั้นถัดไป",
    "text": "ข้อความ",
    "var": "ชื่อตัวแปร",
    "kind": "ชนิดคำตอบ",
    "choices": "ตัวเลือก",
    "timeout_minutes": "เวลารอคำตอบ",
    "timeout_next": "ขั้นเมื่อหมดเวลา",
    "action": "การทำงาน",
    "field": "ข้อมูลที่ตรวจ",
    "op": "เงื่อนไข",
    "value": "ค่า",
    "then": "ขั้นเมื่อจริง",
    "else": "ขั้นเมื่อไม่จริง",
    "tag": "แท็ก",
    "status": "สถานะลูกค้า",
    "title": "หัวข้อแจ้งเตือน",
    "sku": "รหัสสินค้า",
    "quantity": "จำนวน",
    "percent": "เปอร์เซ็นต์ส่วนลด",
    "valid_hours": "อายุโค้ด (ชั่วโมง)",
    "code": "โค้ดส่วนลด",
    "buttons": "ปุ่ม",
    "flow": "โฟลว์ของปุ่ม",
}
_PROBLEM_TH = {
    "missing": "ต้องกรอก",
    "invalid": "ไม่ถูกต้อง",
    "unknown_node": "ชี้ไปยังขั้นที่ไม่มีอยู่",
    "duplicate": "ซ้ำกับขั้นอื่น",
    "too_long": "ยาวเกินไป",
}


# ---------------------------------------------------------------------------- validation


def _problem(node: int | None, node_id: str, field: str, problem: str, detail: str) -> UserError:
    """A validation error naming the node (1-based position and id) and the field."""
    where = f"node {node} ({node_id})" if node is not None else "flow"
    return UserError(
        "flow.invalid" if node is None else "flow.bad_node",
        f"{where}: {field} {detail}",
        node=node or 0,
        node_id=node_id,
        field=field,
        field_th=_FIELD_TH.get(field, field),
        problem=problem,
        problem_th=_PROBLEM_TH.get(problem, problem),
    )


def _positive(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def validate_trigger(trigger: Any) -> dict[str, Any]:
    """The trigger, cleaned; :class:`UserError` ``flow.invalid`` naming the field."""
    if not isinstance(trigger, dict):
        raise _problem(None, "", "trigger", "missing", "must be an object")
    t = dict(trigger)
    kind = t.get("type")
    if kind not in TRIGGERS:
        raise _problem(None, "", "type", "invalid", f"must be one of {', '.join(TRIGGERS)}")
    if kind == "keyword":
        words = t.get("keywords")
        if isinstance(words, str):
            words = [w for w in re.split(r"[,\n]", words)]
        if not isinstance(words, list):
            raise _problem(None, "", "keywords", "missing", "must list at least one word")
        words = [str(w).strip() for w in words if str(w).strip()]
        if not words:
            raise _problem(None, "", "keywords", "missing", "must list at least one word")
        t["keywords"] = list(dict.fromkeys(words))
    elif kind == "intent":
        if t.get("intent") not in nlu.INTENTS:
            raise _problem(
                None, "", "intent", "invalid", f"must be one of {', '.join(nlu.INTENTS)}"
            )
        conf = t.get("min_confidence", 0.6)
        if not isinstance(conf, int | float) or not 0 <= conf <= 1:
            raise _problem(None, "", "min_confidence", "invalid", "must be 0 to 1")
        t["min_confidence"] = float(conf)
    elif kind == "event":
        if t.get("event") not in EVENTS:
            raise _problem(None, "", "event", "invalid", f"must be one of {', '.join(EVENTS)}")
        if t["event"] == "cart_abandoned":
            minutes = t.get("minutes", 60)
            if not _positive(minutes) or minutes > 7 * 24 * 60:
                raise _problem(None, "", "minutes", "invalid", "must be 1 to 10080")
            t["minutes"] = minutes
    return t


def _need_text(i: int, nid: str, node: dict[str, Any], field: str, limit: int = 1000) -> str:
    value = node.get(field)
    if not isinstance(value, str) or not value.strip():
        raise _problem(i, nid, field, "missing", "is required")
    if len(value) > limit:
        raise _problem(i, nid, field, "too_long", f"is longer than {limit} characters")
    return value


def validate_nodes(nodes: Any) -> list[dict[str, Any]]:
    """The nodes, cleaned (ids filled in as ``n1``, ``n2``… when missing); a
    :class:`UserError` ``flow.bad_node`` names the first bad node and field."""
    if not isinstance(nodes, list) or not nodes:
        raise _problem(None, "", "nodes", "missing", "a flow needs at least one node")
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for i, raw in enumerate(nodes, 1):
        if not isinstance(raw, dict):
            raise _problem(i, "", "type", "invalid", "a node is an object")
        node = copy.deepcopy(raw)
        nid = str(node.get("id") or f"n{i}").strip()
        if not re.fullmatch(r"[A-Za-z0-9_\-]{1,40}", nid):
            raise _problem(i, nid, "id", "invalid", "use 1-40 letters, digits, - or _")
        if nid in seen:
            raise _problem(i, nid, "id", "duplicate", "is used by another node")
        seen.add(nid)
        node["id"] = nid
        kind = node.get("type")
        if kind not in NODE_TYPES:
            raise _problem(i, nid, "type", "invalid", f"must be one of {', '.join(NODE_TYPES)}")
        node["next"] = str(node.get("next") or "")
        if kind == "message":
            _need_text(i, nid, node, "text")
            buttons = node.get("buttons") or []
            if not isinstance(buttons, list) or len(buttons) > p.MAX_QUICK_REPLIES:
                raise _problem(i, nid, "buttons", "invalid", "at most 13 buttons")
            for b in buttons:
                if not isinstance(b, dict) or not str(b.get("label", "")).strip():
                    raise _problem(i, nid, "buttons", "missing", "each button needs a label")
                if not _positive(b.get("flow")):
                    raise _problem(i, nid, "flow", "invalid", "each button names a flow id")
            node["buttons"] = buttons
        elif kind == "question":
            _need_text(i, nid, node, "text")
            var = node.get("var")
            if not isinstance(var, str) or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,39}", var):
                raise _problem(i, nid, "var", "invalid", "use letters, digits and _")
            qkind = node.setdefault("kind", "text")
            if qkind not in QUESTION_KINDS:
                raise _problem(
                    i, nid, "kind", "invalid", f"must be one of {', '.join(QUESTION_KINDS)}"
                )
            choices = node.get("choices") or []
            if not isinstance(choices, list) or len(choices) > p.MAX_QUICK_REPLIES:
                raise _problem(i, nid, "choices", "invalid", "at most 13 choices")
            clean = []
            for c in choices:
                if isinstance(c, str):
                    c = {"label": c, "value": c}
                if not isinstance(c, dict) or not str(c.get("label", "")).strip():
                    raise _problem(i, nid, "choices", "missing", "each choice needs a label")
                clean.append(
                    {"label": str(c["label"]).strip(), "value": str(c.get("value", c["label"]))}
                )
            if qkind == "choice" and not clean:
                raise _problem(i, nid, "choices", "missing", "a choice question needs choices")
            node["choices"] = clean
            timeout = node.get("timeout_minutes")
            if timeout not in (None, 0) and not _positive(timeout):
                raise _problem(i, nid, "timeout_minutes", "invalid", "must be a whole number")
        elif kind == "action":
            _validate_action(i, nid, node)
        elif kind == "condition":
            field = node.get("field")
            if not isinstance(field, str) or not _FIELD_RE.fullmatch(field):
                raise _problem(
                    i,
                    nid,
                    "field",
                    "invalid",
                    "use state.NAME, cart.total, cart.count, customer.tags, customer.status, "
                    "conversation.channel",
                )
            if node.get("op") not in OPS:
                raise _problem(i, nid, "op", "invalid", f"must be one of {', '.join(OPS)}")
            if node["op"] in ("lt", "le", "gt", "ge") and _number(node.get("value")) is None:
                raise _problem(i, nid, "value", "invalid", "must be a number for this comparison")
            node["then"] = str(node.get("then") or "")
            node["else"] = str(node.get("else") or "")
        elif kind == "wait":
            minutes = node.get("minutes")
            if not _positive(minutes) or minutes > 60 * 24 * 30:
                raise _problem(i, nid, "minutes", "invalid", "must be 1 to 43200")
        out.append(node)
    for i, node in enumerate(out, 1):
        for link in ("next", "then", "else", "timeout_next"):
            target = node.get(link)
            if target and target not in seen:
                raise _problem(i, node["id"], link, "unknown_node", f"names no node {target!r}")
    return out


_FIELD_RE = re.compile(
    r"state\.[A-Za-z_][A-Za-z0-9_]{0,39}|cart\.(total|count|empty)|customer\.(tags|status|name)"
    r"|conversation\.(channel|tags)|context\.(stage|category|color|size)"
)


def _validate_action(i: int, nid: str, node: dict[str, Any]) -> None:
    action = node.get("action")
    if action not in ACTIONS:
        raise _problem(i, nid, "action", "invalid", f"must be one of {', '.join(ACTIONS)}")
    if action == "add_to_cart":
        _need_text(i, nid, node, "sku", 64)
        qty = node.setdefault("quantity", 1)
        if not _positive(qty) or qty > MAX_QUANTITY:
            raise _problem(i, nid, "quantity", "invalid", "must be 1 or more")
    elif action == "tag_customer":
        _need_text(i, nid, node, "tag", 40)
    elif action == "set_status":
        if node.get("status") not in [s.value for s in PipelineStatus]:
            raise _problem(
                i,
                nid,
                "status",
                "invalid",
                f"must be one of {', '.join(s.value for s in PipelineStatus)}",
            )
    elif action == "notify_owner":
        _need_text(i, nid, node, "title", 200)
    elif action == "apply_discount":
        if node.get("code"):
            node["code"] = carts.normalize_code(str(node["code"]))
        else:
            pct = node.get("percent")
            if not _positive(pct) or pct > 90:
                raise _problem(i, nid, "percent", "invalid", "must be 1 to 90 (or give a code)")
            hours = node.setdefault("valid_hours", 24)
            if not _positive(hours) or hours > 24 * 90:
                raise _problem(i, nid, "valid_hours", "invalid", "must be 1 to 2160")
    elif action == "save_review":
        node.setdefault("var", "rating")


def validate_flow(name: Any, trigger: Any, nodes: Any) -> tuple[str, dict[str, Any], list[Any]]:
    if not isinstance(name, str) or not name.strip():
        raise _problem(None, "", "name", "missing", "is required")
    if len(name.strip()) > 100:
        raise _problem(None, "", "name", "too_long", "is longer than 100 characters")
    return name.strip(), validate_trigger(trigger), validate_nodes(nodes)


# ---------------------------------------------------------------------------- storage


@dataclass(frozen=True, slots=True)
class FlowView:
    id: int
    name: str
    builtin: str
    enabled: bool
    trigger: dict[str, Any]
    nodes: list[dict[str, Any]]
    position: int
    runs: int = 0  # runs started so far

    def to_obj(self) -> dict[str, Any]:
        """The portable form (``minichat flows export``)."""
        return {
            "name": self.name,
            "enabled": self.enabled,
            "trigger": self.trigger,
            "nodes": self.nodes,
        }


def _view(f: Flow, runs: int = 0) -> FlowView:
    return FlowView(
        f.id,
        f.name,
        f.builtin,
        f.enabled,
        copy.deepcopy(dict(f.trigger or {})),
        copy.deepcopy(list(f.nodes or [])),
        f.position,
        runs,
    )


def list_flows(session: Session) -> list[FlowView]:
    counts = dict(
        session.execute(select(FlowRun.flow_id, func.count()).group_by(FlowRun.flow_id)).all()
    )
    rows = session.scalars(select(Flow).order_by(Flow.position, Flow.id))
    return [_view(f, int(counts.get(f.id, 0))) for f in rows]


def _load(session: Session, flow_id: int) -> Flow:
    f = session.get(Flow, flow_id)
    if f is None:
        raise NotFound("flow.not_found", f"no flow {flow_id}", id=flow_id)
    return f


def get_flow(session: Session, flow_id: int) -> FlowView:
    return _view(_load(session, flow_id))


def save_flow(
    session: Session,
    name: Any,
    trigger: Any,
    nodes: Any,
    *,
    flow_id: int | None = None,
    enabled: bool = True,
) -> FlowView:
    """Create (``flow_id`` None) or replace a flow after validating all of it; nothing is
    stored when any part is wrong."""
    name, trigger, clean = validate_flow(name, trigger, nodes)
    if flow_id is None:
        last = session.scalar(select(func.max(Flow.position))) or 0
        f = Flow(name=name, builtin="", position=last + 1, updated_at=utcnow())
        session.add(f)
    else:
        f = _load(session, flow_id)
    f.name, f.trigger, f.nodes, f.enabled = name, trigger, clean, bool(enabled)
    f.updated_at = utcnow()
    session.flush()
    if flow_id is not None:
        # Runs of the old version may stand on a node that no longer exists.
        ids = {n["id"] for n in clean}
        for run in session.scalars(
            select(FlowRun).where(FlowRun.flow_id == f.id, FlowRun.status != DONE)
        ):
            if run.node_id not in ids:
                run.status = DONE
    return _view(f)


def set_enabled(session: Session, flow_id: int, enabled: bool) -> FlowView:
    f = _load(session, flow_id)
    f.enabled = bool(enabled)
    f.updated_at = utcnow()
    if not enabled:
        for run in session.scalars(
            select(FlowRun).where(FlowRun.flow_id == flow_id, FlowRun.status != DONE)
        ):
            run.status = DONE
    session.flush()
    return _view(f)


def delete_flow(session: Session, flow_id: int) -> None:
    """Delete a flow (its runs go with it). A built-in flow is switched off instead: it would
    come back on the next start."""
    f = _load(session, flow_id)
    if f.builtin:
        raise UserError(
            "flow.builtin_delete",
            f"{f.name} is built in: switch it off instead of deleting it",
            name=f.name,
        )
    for run in session.scalars(select(FlowRun).where(FlowRun.flow_id == flow_id)):
        session.delete(run)
    session.delete(f)
    session.flush()


def move_flow(session: Session, flow_id: int, delta: int) -> list[FlowView]:
    """Move a flow up (-1) or down (+1): earlier flows are tried first."""
    rows = list(session.scalars(select(Flow).order_by(Flow.position, Flow.id)))
    idx = next((i for i, f in enumerate(rows) if f.id == flow_id), None)
    if idx is None:
        raise NotFound("flow.not_found", f"no flow {flow_id}", id=flow_id)
    j = max(0, min(len(rows) - 1, idx + delta))
    rows.insert(j, rows.pop(idx))
    for pos, f in enumerate(rows, 1):
        f.position = pos
    session.flush()
    return list_flows(session)


def import_flow(session: Session, obj: Any) -> FlowView:
    """A flow from its exported form (a new flow; ids of button targets are kept as they are)."""
    if not isinstance(obj, dict):
        raise _problem(None, "", "nodes", "invalid", "the file holds no flow object")
    return save_flow(
        session,
        obj.get("name", ""),
        obj.get("trigger"),
        obj.get("nodes"),
        enabled=bool(obj.get("enabled", True)),
    )


# ---------------------------------------------------------------------------- built-ins

BUILTIN_DISCOVERY = "product_discovery"
BUILTIN_ABANDONED = "abandoned_cart"
BUILTIN_REVIEW = "review_request"


def _builtin_definitions() -> list[tuple[str, str, dict[str, Any], list[Any]]]:
    discovery: list[Any] = [
        {
            "id": "budget",
            "type": "question",
            "text": "ยินดีช่วยเลือกค่ะ 😊 งบประมาณประมาณเท่าไหร่คะ (พิมพ์ตัวเลขเป็นบาทได้เลย)",
            "var": "budget",
            "kind": "number",
            "optional": True,
            "choices": [
                {"label": "ไม่เกิน 300 บาท", "value": "300"},
                {"label": "ไม่เกิน 700 บาท", "value": "700"},
                {"label": "ไม่เกิน 1,500 บาท", "value": "1500"},
                {"label": "ไม่จำกัดงบ", "value": ""},
            ],
            "error": "ขอเป็นตัวเลขงบประมาณ เช่น 500 หรือกดปุ่มด้านล่างได้เลยค่ะ",
            "next": "color",
        },
        {
            "id": "color",
            "type": "question",
            "text": "ชอบสีไหนเป็นพิเศษไหมคะ",
            "var": "color",
            "kind": "text",
            "optional": True,
            "choices": [
                {"label": "ดำ", "value": "ดำ"},
                {"label": "ขาว", "value": "ขาว"},
                {"label": "แดง", "value": "แดง"},
                {"label": "น้ำเงิน", "value": "น้ำเงิน"},
                {"label": "สีอะไรก็ได้", "value": ""},
            ],
            "next": "size",
        },
        {
            "id": "size",
            "type": "question",
            "text": "ใช้ไซส์อะไรคะ",
            "var": "size",
            "kind": "text",
            "optional": True,
            "choices": [
                {"label": "S", "value": "S"},
                {"label": "M", "value": "M"},
                {"label": "L", "value": "L"},
                {"label": "XL", "value": "XL"},
                {"label": "ไม่ระบุ", "value": ""},
            ],
            "next": "show",
        },
        {
            "id": "show",
            "type": "action",
            "action": "show_products",
            "budget_var": "budget",
            "color_var": "color",
            "size_var": "size",
            "limit": 3,
            "next": "tag",
        },
        {"id": "tag", "type": "action", "action": "set_status", "status": "qualified", "next": ""},
    ]
    abandoned: list[Any] = [
        {
            "id": "remind",
            "type": "message",
            "text": "สินค้าที่เลือกไว้ยังรออยู่ในตะกร้านะคะ 🛒 สั่งต่อได้เลยค่ะ",
            "next": "discount",
        },
        {
            "id": "discount",
            "type": "action",
            "action": "apply_discount",
            "percent": 5,
            "valid_hours": 24,
            "next": "cart",
        },
        {"id": "cart", "type": "action", "action": "show_cart", "next": "offer"},
        {
            "id": "offer",
            "type": "message",
            "text": "ให้โค้ด {discount_code} ลดเพิ่ม {discount_percent}% ใช้ได้ถึง {discount_until} "
            "ใส่ไว้ในตะกร้าให้แล้วค่ะ",
            "next": "",
        },
    ]
    review: list[Any] = [
        {
            "id": "ask",
            "type": "question",
            "text": "ได้รับสินค้าออเดอร์ {order_number} แล้วใช่ไหมคะ 😊 รบกวนให้คะแนนความพึงพอใจหน่อยนะคะ",
            "var": "rating",
            "kind": "rating",
            "choices": [{"label": "⭐" * n, "value": str(n)} for n in range(5, 0, -1)],
            "error": "กดดาว 1 ถึง 5 หรือพิมพ์ตัวเลข 1-5 ได้เลยค่ะ",
            "timeout_minutes": 3 * 24 * 60,
            "timeout_next": "",
            "next": "save",
        },
        {"id": "save", "type": "action", "action": "save_review", "var": "rating", "next": "low"},
        {
            "id": "low",
            "type": "condition",
            "field": "state.rating",
            "op": "le",
            "value": 2,
            "then": "sorry",
            "else": "thanks",
        },
        {
            "id": "thanks",
            "type": "message",
            "text": "ขอบคุณมากสำหรับ {rating} ดาวค่ะ 🙏 แล้วแวะมาอุดหนุนกันใหม่นะคะ",
            "next": "",
        },
        {
            "id": "sorry",
            "type": "handoff",
            "text": "ขอโทษที่ยังไม่ประทับใจนะคะ 🙏 เจ้าหน้าที่จะรีบติดต่อกลับเพื่อดูแลค่ะ",
            "note": "ลูกค้าให้คะแนน {rating} ดาว ออเดอร์ {order_number}",
            "next": "",
        },
    ]
    return [
        (
            BUILTIN_DISCOVERY,
            "ช่วยเลือกสินค้า",
            {
                "type": "keyword",
                "keywords": ["ช่วยเลือก", "แนะนำหน่อย", "ไม่รู้จะเลือกอะไร", "help me choose"],
            },
            discovery,
        ),
        (
            BUILTIN_ABANDONED,
            "เตือนตะกร้าค้าง",
            {"type": "event", "event": "cart_abandoned", "minutes": 60},
            abandoned,
        ),
        (
            BUILTIN_REVIEW,
            "ขอรีวิวหลังได้รับสินค้า",
            {"type": "event", "event": "order_delivered"},
            review,
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
    f = _load(session, flow_id)
    for key, name, trigger, nodes in _builtin_definitions():
        if key == f.builtin:
            _, trigger, nodes = validate_flow(name, trigger, nodes)
            f.name, f.trigger, f.nodes = name, trigger, nodes
            f.updated_at = utcnow()
            session.flush()
            return _view(f)
    raise UserError("flow.not_builtin", f"{f.name} is not a built-in flow", name=f.name)


# ---------------------------------------------------------------------------- runtime helpers


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        digits = value.replace(",", "").strip()
        thai = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")
        digits = digits.translate(thai)
        m = re.search(r"-?\d+(\.\d+)?", digits)
        if m:
            return float(m.group(0))
    return None


class _Safe(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return ""


def _fill(session: Session, run: FlowRun, template: str) -> str:
    values = _Safe({k: v for k, v in (run.state or {}).items() if not isinstance(v, dict | list)})
    if "{shop}" in template:
        values["shop"] = get_profile(session).name
    if "{customer_name}" in template:
        conv = session.get(Conversation, run.conversation_id)
        c = session.get(Customer, conv.customer_id) if conv and conv.customer_id else None
        values["customer_name"] = c.name if c else ""
    if "{cart_total}" in template:
        values["cart_total"] = format_baht(
            carts.get_cart(session, run.conversation_id).goods_satang
        )
    try:
        return template.format_map(values)
    except (ValueError, IndexError, AttributeError):
        return template


def _active_run(session: Session, conversation_id: int) -> FlowRun | None:
    return session.scalar(
        select(FlowRun)
        .where(FlowRun.conversation_id == conversation_id, FlowRun.status != DONE)
        .order_by(FlowRun.id.desc())
        .limit(1)
    )


def _node(flow: Flow, node_id: str) -> dict[str, Any] | None:
    return next((n for n in flow.nodes or [] if n.get("id") == node_id), None)


def _may_speak(conv: Conversation | None) -> bool:
    return (
        conv is not None
        and conv.mode == ConversationMode.BOT
        and conv.bot_mode != BotMode.OFF
        and conv.following
    )


def start_flow(
    session: Session,
    flow_id: int,
    conversation_id: int,
    now: dt.datetime,
    *,
    state: dict[str, Any] | None = None,
    lang: str = "th",
) -> list[Outgoing]:
    """Start a flow in a conversation (ending the run active there) and run it to its first
    question, wait or end; the replies to send."""
    flow = _load(session, flow_id)
    if not flow.nodes:
        return []
    old = _active_run(session, conversation_id)
    if old is not None:
        old.status = DONE
        old.updated_at = now
    run = FlowRun(
        flow_id=flow.id,
        conversation_id=conversation_id,
        node_id=str(flow.nodes[0]["id"]),
        status=RUNNING,
        state=dict(state or {}),
        started_at=now,
        updated_at=now,
    )
    session.add(run)
    session.flush()
    return _advance(session, run, flow, now, lang)


def flow_lang(flow: Flow, default: str = "th") -> str:
    """The language a flow is written in (of its texts): its product cards and carts follow."""
    words = " ".join(str(n.get("text", "")) for n in flow.nodes or [])
    return lang_of(words, default)


def _goto(run: FlowRun, node_id: str) -> None:
    if node_id:
        run.node_id = node_id
        run.status = RUNNING
    else:
        run.status = DONE
    run.wake_at = None


def _advance(
    session: Session, run: FlowRun, flow: Flow, now: dt.datetime, lang: str
) -> list[Outgoing]:
    """Run nodes from ``run.node_id`` until a question, a wait or the end."""
    lang = flow_lang(flow, lang)
    out: list[Outgoing] = []
    for _ in range(MAX_STEPS):
        if run.status == DONE:
            break
        node = _node(flow, run.node_id)
        if node is None:
            run.status = DONE
            break
        kind = node["type"]
        if kind == "message":
            buttons = tuple(
                postback(str(b["label"]), f"{BUTTON_PREFIX}{int(b['flow'])}")
                for b in node.get("buttons") or []
            )
            out.append(text(_fill(session, run, node["text"]), buttons))
            _goto(run, node.get("next", ""))
        elif kind == "question":
            out.append(_ask(session, run, flow, node))
            run.status = WAITING
            minutes = node.get("timeout_minutes")
            run.wake_at = now + dt.timedelta(minutes=minutes) if minutes else None
            break
        elif kind == "wait":
            run.status = WAITING
            run.wake_at = now + dt.timedelta(minutes=int(node["minutes"]))
            break
        elif kind == "condition":
            _goto(run, node["then"] if _holds(session, run, node) else node["else"])
        elif kind == "handoff":
            out += _handoff(session, run, node)
            run.status = DONE
        elif kind == "action":
            try:
                out += _act(session, run, node, now, lang)
            except UserError as exc:
                out.append(text(checkout.error_text(exc, lang)))
            if run.status != DONE:
                _goto(run, node.get("next", ""))
    else:
        run.status = DONE  # a loop with no question or wait in it
    run.updated_at = now
    st = dict(run.state or {})
    st.pop("_tries", None)
    run.state = st
    session.flush()
    return out


def _ask(
    session: Session, run: FlowRun, flow: Flow, node: dict[str, Any], prefix: str = ""
) -> Outgoing:
    quick = tuple(
        postback(c["label"], f"{BUTTON_PREFIX}{flow.id}:{node['id']}:{i}")
        for i, c in enumerate(node.get("choices") or [])
    )
    if not quick and node.get("kind") == "rating":
        quick = tuple(
            postback("⭐" * n, f"{BUTTON_PREFIX}{flow.id}:{node['id']}:r{n}")
            for n in range(5, 0, -1)
        )
    body = _fill(session, run, node["text"])
    return text(f"{prefix}\n{body}" if prefix else body, quick)


def _field(session: Session, run: FlowRun, field: str) -> Any:
    head, _, name = field.partition(".")
    if head == "state":
        return (run.state or {}).get(name)
    if head == "cart":
        view = carts.get_cart(session, run.conversation_id)
        return {
            "total": view.goods_satang / 100,
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


def _holds(session: Session, run: FlowRun, node: dict[str, Any]) -> bool:
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
        a, b = _number(have), _number(want)
        if a is None or b is None:
            return False
        return {"lt": a < b, "le": a <= b, "gt": a > b, "ge": a >= b}[op]
    a_num, b_num = _number(have), _number(want)
    same = (
        (a_num == b_num)
        if a_num is not None and b_num is not None
        else (
            str(have if have is not None else "").strip().lower() == str(want or "").strip().lower()
        )
    )
    return same if op == "eq" else not same


def _handoff(session: Session, run: FlowRun, node: dict[str, Any]) -> list[Outgoing]:
    conv = session.get(Conversation, run.conversation_id)
    if conv is not None and conv.status != ConversationStatus.ESCALATED:
        convs.set_status(session, conv.id, ConversationStatus.ESCALATED)
        view = convs.get_conversation(session, conv.id)
        note = _fill(session, run, str(node.get("note") or "")) or "ลูกค้าต้องการคุยกับเจ้าหน้าที่"
        notifications.notify(
            session,
            notifications.NotificationKind.ESCALATED,
            f"{note}: {view.display_name}",
            note,
            ref=f"conversation:{conv.id}",
        )
    message = node.get("text") or "ส่งเรื่องให้เจ้าหน้าที่แล้ว จะรีบติดต่อกลับนะคะ 🙏"
    return [text(_fill(session, run, message))]


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


def _act(
    session: Session, run: FlowRun, node: dict[str, Any], now: dt.datetime, lang: str
) -> list[Outgoing]:
    action = node["action"]
    cid = run.conversation_id
    state = dict(run.state or {})
    if action == "show_products":
        budget = _number(state.get(node.get("budget_var", ""), ""))
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
            tag = _fill(session, run, str(node["tag"])).strip()
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
            f"{_fill(session, run, str(node['title']))}: {conv_view.display_name}",
            _fill(session, run, str(node.get("body") or "")),
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
    rating = _number(state.get(node.get("var") or "rating"))
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


# ---------------------------------------------------------------------------- answers


def _parse_answer(node: dict[str, Any], said: str) -> tuple[bool, Any]:
    """(ok, value) for a typed answer to a question node."""
    said = said.strip()
    for c in node.get("choices") or []:
        if said.lower() in (c["label"].lower(), str(c["value"]).lower()):
            return True, c["value"]
    if node.get("optional") and SKIP_WORDS.match(said):
        return True, ""
    kind = node.get("kind", "text")
    if kind == "number":
        n = _number(said)
        if n is None or n < 0:
            return False, None
        return True, int(n) if n == int(n) else n
    if kind == "rating":
        stars = said.count("⭐")
        n = stars or _number(said)
        if n is None or not 1 <= n <= 5 or n != int(n):
            return False, None
        return True, int(n)
    if kind == "phone":
        digits = re.sub(r"[\s\-()]", "", said).replace("+66", "0")
        if not PHONE.match(digits):
            return False, None
        return True, digits
    if kind == "choice":
        return False, None
    if not said:
        return False, None
    return True, said[:500]


def _answer(
    session: Session,
    run: FlowRun,
    flow: Flow,
    value: Any,
    node: dict[str, Any],
    now: dt.datetime,
    lang: str,
) -> list[Outgoing]:
    state = dict(run.state or {})
    state[node["var"]] = value
    if node.get("var") in ("color",) and value:
        # The recommender wants the canonical colour word nlu knows ("สีดำ" → "ดำ").
        found = nlu.classify(str(value)).entities.get("color")
        if found:
            state[node["var"]] = found
    run.state = state
    _goto(run, node.get("next", ""))
    return _advance(session, run, flow, now, lang)


def on_message(
    session: Session,
    conversation_id: int,
    kind: str,
    said: str,
    result: nlu.Classification | None,
    now: dt.datetime,
    lang: str = "th",
    *,
    may_start: bool = True,
) -> list[Outgoing] | None:
    """The flows' turn at a shopper message (the engine asks first): replies when a flow took
    it, None to let the engine answer. ``may_start``: a trigger may start a flow (False for
    a passive bot and a message that is not a question)."""
    run = _active_run(session, conversation_id)
    if kind == "postback" and said.startswith(BUTTON_PREFIX):
        return _button(session, conversation_id, run, said[len(BUTTON_PREFIX) :], now, lang)
    if kind != "text" or not said.strip():
        return None
    if run is not None and run.status == WAITING:
        flow = session.get(Flow, run.flow_id)
        node = _node(flow, run.node_id) if flow is not None else None
        if flow is not None and node is not None and node["type"] == "question":
            if CANCEL_WORDS.match(said):
                run.status = DONE
                run.updated_at = now
                return [text("ยกเลิกแล้วค่ะ มีอะไรให้ช่วยบอกได้เลยนะคะ" if lang != "en" else "Cancelled.")]
            ok, value = _parse_answer(node, said)
            if ok:
                return _answer(session, run, flow, value, node, now, lang)
            state = dict(run.state or {})
            tries = int(state.get("_tries", 0)) + 1
            if tries >= MAX_TRIES:
                run.status = DONE  # the shopper is talking about something else
                run.updated_at = now
                return None
            state["_tries"] = tries
            run.state = state
            error = node.get("error") or (
                "ขอคำตอบตามตัวเลือกด้านล่างนะคะ" if lang != "en" else "Please answer from the choices."
            )
            return [_ask(session, run, flow, node, _fill(session, run, error))]
    if not may_start or checkout.in_checkout(carts.get_cart(session, conversation_id)):
        return None
    flow = _triggered(session, said, result)
    if flow is None:
        return None
    return start_flow(session, flow.id, conversation_id, now, lang=lang)


def _button(
    session: Session,
    conversation_id: int,
    run: FlowRun | None,
    rest: str,
    now: dt.datetime,
    lang: str,
) -> list[Outgoing] | None:
    """``flow:<id>`` starts a flow; ``flow:<id>:<node>:<choice>`` answers its question."""
    parts = rest.split(":")
    if not parts[0].isdigit():
        return None
    flow = session.get(Flow, int(parts[0]))
    if flow is None or not flow.enabled:
        return [
            text("ขออภัยค่ะ ปุ่มนี้ใช้ไม่ได้แล้ว" if lang != "en" else "Sorry, this button no longer works.")
        ]
    if len(parts) == 1:
        return start_flow(session, flow.id, conversation_id, now, lang=lang)
    node = _node(flow, parts[1]) if len(parts) >= 3 else None
    current = (
        run is not None
        and run.flow_id == flow.id
        and run.node_id == parts[1]
        and run.status == WAITING
    )
    if node is None or node["type"] != "question" or not current:
        return [text("คำถามนี้ผ่านไปแล้วค่ะ" if lang != "en" else "That question has passed.")]
    assert run is not None
    choice = parts[2]
    if choice.startswith("r") and choice[1:].isdigit():
        value: Any = int(choice[1:])
    elif choice.isdigit() and int(choice) < len(node.get("choices") or []):
        value = node["choices"][int(choice)]["value"]
    else:
        return None
    if node.get("kind") == "rating":
        value = int(_number(value) or 0)
    return _answer(session, run, flow, value, node, now, lang)


def _norm(s: str) -> str:
    return re.sub(r"\s+", "", s).lower()


def _triggered(session: Session, said: str, result: nlu.Classification | None) -> Flow | None:
    said_n = _norm(said)
    for flow in session.scalars(
        select(Flow).where(Flow.enabled.is_(True)).order_by(Flow.position, Flow.id)
    ):
        t = flow.trigger or {}
        if t.get("type") == "keyword":
            if any(_norm(str(k)) and _norm(str(k)) in said_n for k in t.get("keywords", [])):
                return flow
        elif t.get("type") == "intent" and result is not None:
            if result.intent == t.get("intent") and result.confidence >= float(
                t.get("min_confidence", 0.6)
            ):
                return flow
    return None


# ---------------------------------------------------------------------------- timers, events


def _event_flows(session: Session, event: str) -> list[Flow]:
    return [
        f
        for f in session.scalars(
            select(Flow).where(Flow.enabled.is_(True)).order_by(Flow.position, Flow.id)
        )
        if (f.trigger or {}).get("type") == "event" and f.trigger.get("event") == event
    ]


def due_runs(session: Session, now: dt.datetime) -> list[FlowRun]:
    """Runs whose wait or question time-out is over."""
    return list(
        session.scalars(
            select(FlowRun)
            .where(FlowRun.status == WAITING, FlowRun.wake_at.is_not(None), FlowRun.wake_at <= now)
            .order_by(FlowRun.wake_at, FlowRun.id)
        )
    )


def wake(session: Session, now: dt.datetime) -> list[tuple[int, list[Outgoing]]]:
    """Move the due runs on: past a wait node, or a question's time-out branch."""
    out: list[tuple[int, list[Outgoing]]] = []
    for run in due_runs(session, now):
        flow = session.get(Flow, run.flow_id)
        node = _node(flow, run.node_id) if flow is not None else None
        if flow is None or node is None or not flow.enabled:
            run.status = DONE
            continue
        if node["type"] == "question":
            _goto(run, str(node.get("timeout_next") or ""))
        else:
            _goto(run, node.get("next", ""))
        conv = session.get(Conversation, run.conversation_id)
        if not _may_speak(conv):
            run.status = DONE
            continue
        replies = _advance(session, run, flow, now, "th")
        if replies:
            out.append((run.conversation_id, replies))
    session.flush()
    return out


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
            Cart.updated_at >= now - wait - ABANDONED_MAX_AGE,
            has_items,
        )
        .order_by(Cart.updated_at)
    ).all()
    out: list[tuple[int, list[Outgoing]]] = []
    for cart in rows:
        cart.reminded_at = now
        conv = session.get(Conversation, cart.conversation_id)
        if not _may_speak(conv) or _active_waiting(session, cart.conversation_id):
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
    run = _active_run(session, conversation_id)
    return run is not None and run.status == WAITING


def waiting_for_answer(session: Session, conversation_id: int) -> bool:
    """A flow asked this conversation a question and waits for the answer (the engine does
    not read "ยกเลิก" or a low rating as a complaint then)."""
    run = _active_run(session, conversation_id)
    if run is None or run.status != WAITING:
        return False
    flow = session.get(Flow, run.flow_id)
    node = _node(flow, run.node_id) if flow is not None else None
    return node is not None and node["type"] == "question"


def on_order_delivered(
    session: Session, order_id: int, now: dt.datetime
) -> list[tuple[int, list[Outgoing]]]:
    """Start the order-delivered flows in the chat the order came from (once per order)."""
    order = session.get(Order, order_id)
    if order is None or order.status != OrderStatus.DELIVERED or not order.conversation_ref:
        return []
    conv = session.scalar(select(Conversation).where(Conversation.ref == order.conversation_ref))
    if not _may_speak(conv):
        return []
    assert conv is not None
    out: list[tuple[int, list[Outgoing]]] = []
    for flow in _event_flows(session, "order_delivered"):
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
    """Orders from a chat delivered in the last day that have not had their flow yet."""
    if not _event_flows(session, "order_delivered"):
        return []
    ids = session.scalars(
        select(Order.id).where(
            Order.status == OrderStatus.DELIVERED,
            Order.delivered_at.is_not(None),
            Order.delivered_at >= now - DELIVERED_WINDOW,
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
    """Put timer replies in the outbox (a picture becomes its caption); the conversations."""
    done: list[int] = []
    for cid, replies in batches:
        for r in replies:
            body = r.body if r.body is not None else p.Text((r.caption or "")[: p.MAX_TEXT] or " ")
            convs.queue_outgoing(session, cid, body, "bot", r.quick_replies)
        done.append(cid)
    return list(dict.fromkeys(done))


def run_state(session: Session, conversation_id: int) -> dict[str, Any] | None:
    """The active run of a conversation (flow id, node, status, state), or None."""
    run = _active_run(session, conversation_id)
    if run is None:
        return None
    return {
        "flow_id": run.flow_id,
        "node_id": run.node_id,
        "status": run.status,
        "state": dict(run.state or {}),
        "wake_at": run.wake_at,
    }
