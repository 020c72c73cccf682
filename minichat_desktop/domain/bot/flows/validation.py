"""Checking a flow before it is stored: the name, the trigger and every node, with errors
that name the node (position and id) and the field, in English and Thai, for the editor to
point at.

Every function here raises :class:`~minichat_desktop.errors.UserError`: code
``flow.invalid`` for the flow's name or trigger, ``flow.bad_node`` for a node, with the
details ``node`` (1-based, 0 for the flow), ``node_id``, ``field``, ``field_th``,
``problem`` (missing, invalid, unknown_node, duplicate, too_long) and ``problem_th``.
"""

from __future__ import annotations

import copy
import re
from typing import Any, TypeGuard

from minichat_desktop.domain.bot import cart as carts
from minichat_desktop.domain.bot import nlu
from minichat_desktop.domain.bot.flows.definition import (
    ACTIONS,
    EVENTS,
    NODE_TYPES,
    OPS,
    QUESTION_KINDS,
    TRIGGERS,
    number,
)
from minichat_desktop.domain.models import PipelineStatus
from minichat_desktop.domain.sales.orders import MAX_QUANTITY
from minichat_desktop.errors import UserError
from relay import protocol as p

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
    "pos": "ตำแหน่งบนผัง",
    "step_name": "ชื่อขั้น",
}
_PROBLEM_TH = {
    "missing": "ต้องกรอก",
    "invalid": "ไม่ถูกต้อง",
    "unknown_node": "ชี้ไปยังขั้นที่ไม่มีอยู่",
    "duplicate": "ซ้ำกับขั้นอื่น",
    "too_long": "ยาวเกินไป",
}


def flow_error(node: int | None, node_id: str, field: str, problem: str, detail: str) -> UserError:
    """A validation error naming the node (1-based position and id; None for the flow
    itself) and the field."""
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
        raise flow_error(None, "", "trigger", "missing", "must be an object")
    t = dict(trigger)
    kind = t.get("type")
    if kind not in TRIGGERS:
        raise flow_error(None, "", "type", "invalid", f"must be one of {', '.join(TRIGGERS)}")
    if kind == "keyword":
        words = t.get("keywords")
        if isinstance(words, str):
            words = [w for w in re.split(r"[,\n]", words)]
        if not isinstance(words, list):
            raise flow_error(None, "", "keywords", "missing", "must list at least one word")
        words = [str(w).strip() for w in words if str(w).strip()]
        if not words:
            raise flow_error(None, "", "keywords", "missing", "must list at least one word")
        t["keywords"] = list(dict.fromkeys(words))
    elif kind == "intent":
        if t.get("intent") not in nlu.INTENTS:
            raise flow_error(
                None, "", "intent", "invalid", f"must be one of {', '.join(nlu.INTENTS)}"
            )
        conf = t.get("min_confidence", 0.6)
        if not isinstance(conf, int | float) or not 0 <= conf <= 1:
            raise flow_error(None, "", "min_confidence", "invalid", "must be 0 to 1")
        t["min_confidence"] = float(conf)
    elif kind == "event":
        if t.get("event") not in EVENTS:
            raise flow_error(None, "", "event", "invalid", f"must be one of {', '.join(EVENTS)}")
        if t["event"] == "cart_abandoned":
            minutes = t.get("minutes", 60)
            if not _positive(minutes) or minutes > 7 * 24 * 60:
                raise flow_error(None, "", "minutes", "invalid", "must be 1 to 10080")
            t["minutes"] = minutes
    return t


def _need_text(i: int, nid: str, node: dict[str, Any], field: str, limit: int = 1000) -> str:
    value = node.get(field)
    if not isinstance(value, str) or not value.strip():
        raise flow_error(i, nid, field, "missing", "is required")
    if len(value) > limit:
        raise flow_error(i, nid, field, "too_long", f"is longer than {limit} characters")
    return value


def validate_nodes(nodes: Any) -> list[dict[str, Any]]:
    """The nodes, cleaned (ids filled in as ``n1``, ``n2``… when missing); a
    :class:`UserError` ``flow.bad_node`` names the first bad node and field."""
    if not isinstance(nodes, list) or not nodes:
        raise flow_error(None, "", "nodes", "missing", "a flow needs at least one node")
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for i, raw in enumerate(nodes, 1):
        if not isinstance(raw, dict):
            raise flow_error(i, "", "type", "invalid", "a node is an object")
        node = copy.deepcopy(raw)
        nid = str(node.get("id") or f"n{i}").strip()
        if not re.fullmatch(r"[A-Za-z0-9_\-]{1,40}", nid):
            raise flow_error(i, nid, "id", "invalid", "use 1-40 letters, digits, - or _")
        if nid in seen:
            raise flow_error(i, nid, "id", "duplicate", "is used by another node")
        seen.add(nid)
        node["id"] = nid
        kind = node.get("type")
        if kind not in NODE_TYPES:
            raise flow_error(i, nid, "type", "invalid", f"must be one of {', '.join(NODE_TYPES)}")
        node["next"] = str(node.get("next") or "")
        _validate_layout(i, nid, node)
        if kind == "message":
            _need_text(i, nid, node, "text")
            buttons = node.get("buttons") or []
            if not isinstance(buttons, list) or len(buttons) > p.MAX_QUICK_REPLIES:
                raise flow_error(i, nid, "buttons", "invalid", "at most 13 buttons")
            for b in buttons:
                if not isinstance(b, dict) or not str(b.get("label", "")).strip():
                    raise flow_error(i, nid, "buttons", "missing", "each button needs a label")
                if not _positive(b.get("flow")):
                    raise flow_error(i, nid, "flow", "invalid", "each button names a flow id")
            node["buttons"] = buttons
        elif kind == "question":
            _need_text(i, nid, node, "text")
            var = node.get("var")
            if not isinstance(var, str) or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,39}", var):
                raise flow_error(i, nid, "var", "invalid", "use letters, digits and _")
            qkind = node.setdefault("kind", "text")
            if qkind not in QUESTION_KINDS:
                raise flow_error(
                    i, nid, "kind", "invalid", f"must be one of {', '.join(QUESTION_KINDS)}"
                )
            choices = node.get("choices") or []
            if not isinstance(choices, list) or len(choices) > p.MAX_QUICK_REPLIES:
                raise flow_error(i, nid, "choices", "invalid", "at most 13 choices")
            clean = []
            for c in choices:
                if isinstance(c, str):
                    c = {"label": c, "value": c}
                if not isinstance(c, dict) or not str(c.get("label", "")).strip():
                    raise flow_error(i, nid, "choices", "missing", "each choice needs a label")
                label = str(c["label"]).strip()
                choice = {"label": label, "value": str(c.get("value", c["label"]))}
                if c.get("next"):
                    choice["next"] = str(c["next"])  # this answer's own way on
                clean.append(choice)
            if qkind == "choice" and not clean:
                raise flow_error(i, nid, "choices", "missing", "a choice question needs choices")
            node["choices"] = clean
            timeout = node.get("timeout_minutes")
            if timeout not in (None, 0) and not _positive(timeout):
                raise flow_error(i, nid, "timeout_minutes", "invalid", "must be a whole number")
        elif kind == "action":
            _validate_action(i, nid, node)
        elif kind == "condition":
            field = node.get("field")
            if not isinstance(field, str) or not _FIELD_RE.fullmatch(field):
                raise flow_error(
                    i,
                    nid,
                    "field",
                    "invalid",
                    "use state.NAME, cart.total, cart.count, customer.tags, customer.status, "
                    "conversation.channel",
                )
            if node.get("op") not in OPS:
                raise flow_error(i, nid, "op", "invalid", f"must be one of {', '.join(OPS)}")
            if node["op"] in ("lt", "le", "gt", "ge") and number(node.get("value")) is None:
                raise flow_error(i, nid, "value", "invalid", "must be a number for this comparison")
            node["then"] = str(node.get("then") or "")
            node["else"] = str(node.get("else") or "")
        elif kind == "wait":
            minutes = node.get("minutes")
            if not _positive(minutes) or minutes > 60 * 24 * 30:
                raise flow_error(i, nid, "minutes", "invalid", "must be 1 to 43200")
        out.append(node)
    for i, node in enumerate(out, 1):
        for link in ("next", "then", "else", "timeout_next"):
            target = node.get(link)
            if target and target not in seen:
                raise flow_error(i, node["id"], link, "unknown_node", f"names no node {target!r}")
        for choice in node.get("choices") or [] if node["type"] == "question" else []:
            if choice.get("next") and choice["next"] not in seen:
                raise flow_error(
                    i, node["id"], "choices", "unknown_node", f"names no node {choice['next']!r}"
                )
    return out


def _validate_layout(i: int, nid: str, node: dict[str, Any]) -> None:
    """The editor's extras, which the runtime ignores: ``pos`` ([x, y] on the canvas, kept
    as whole numbers) and ``step_name`` (the step's name for the owner; ``title`` is taken
    by the owner notice)."""
    if "pos" in node:
        pos = node["pos"]
        if (
            not isinstance(pos, list | tuple)
            or len(pos) != 2
            or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in pos)
            or not all(abs(v) <= 1_000_000 for v in pos)
        ):
            raise flow_error(i, nid, "pos", "invalid", "must be [x, y]")
        node["pos"] = [round(pos[0]), round(pos[1])]
    if "step_name" in node:
        title = node["step_name"]
        if not isinstance(title, str):
            raise flow_error(i, nid, "step_name", "invalid", "must be text")
        if len(title) > 80:
            raise flow_error(i, nid, "step_name", "too_long", "is longer than 80 characters")
        node["step_name"] = title.strip()


_FIELD_RE = re.compile(
    r"state\.[A-Za-z_][A-Za-z0-9_]{0,39}|cart\.(total|count|empty)|customer\.(tags|status|name)"
    r"|conversation\.(channel|tags)|context\.(stage|category|color|size)"
)


def _validate_action(i: int, nid: str, node: dict[str, Any]) -> None:
    action = node.get("action")
    if action not in ACTIONS:
        raise flow_error(i, nid, "action", "invalid", f"must be one of {', '.join(ACTIONS)}")
    if action == "add_to_cart":
        _need_text(i, nid, node, "sku", 64)
        qty = node.setdefault("quantity", 1)
        if not _positive(qty) or qty > MAX_QUANTITY:
            raise flow_error(i, nid, "quantity", "invalid", "must be 1 or more")
    elif action == "tag_customer":
        _need_text(i, nid, node, "tag", 40)
    elif action == "set_status":
        if node.get("status") not in [s.value for s in PipelineStatus]:
            raise flow_error(
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
                raise flow_error(i, nid, "percent", "invalid", "must be 1 to 90 (or give a code)")
            hours = node.setdefault("valid_hours", 24)
            if not _positive(hours) or hours > 24 * 90:
                raise flow_error(i, nid, "valid_hours", "invalid", "must be 1 to 2160")
    elif action == "save_review":
        node.setdefault("var", "rating")


def validate_flow(name: Any, trigger: Any, nodes: Any) -> tuple[str, dict[str, Any], list[Any]]:
    """The name (stripped, at most 100 characters), trigger and nodes, cleaned; the first
    problem found raises."""
    if not isinstance(name, str) or not name.strip():
        raise flow_error(None, "", "name", "missing", "is required")
    if len(name.strip()) > 100:
        raise flow_error(None, "", "name", "too_long", "is longer than 100 characters")
    return name.strip(), validate_trigger(trigger), validate_nodes(nodes)
