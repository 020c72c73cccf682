"""A flow's steps as the owner meets them on the canvas, without widgets: each step's name and
one-line summary, its outputs (the links a card draws), the names the text boxes show for
``{placeholders}`` and for the answers questions keep, a tidy automatic layout for flows
stored without positions, new steps, and the problems that stop a flow being saved — all in
the screen's language, naming steps by their names, never by ids or variable names.

The stored format (:mod:`minichat_desktop.domain.bot.flows`) keeps ids, ``var`` and ``op``;
this module is where they turn into words.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from minichat_desktop.domain import glossary
from minichat_desktop.ui.i18n import current_language, t

Node = dict[str, Any]
PALETTE = ("message", "question", "condition", "wait", "action", "handoff")
CARD_W = 210.0
COL_GAP = 90.0
ROW_GAP = 36.0


def kind_names() -> dict[str, str]:
    return {
        "message": t("Message"),
        "question": t("Question"),
        "condition": t("Condition"),
        "wait": t("Wait"),
        "action": t("Action"),
        "handoff": t("Hand over to staff"),
    }


def action_names() -> dict[str, str]:
    return {
        "show_products": t("Show products"),
        "show_cart": t("Show the cart"),
        "add_to_cart": t("Add to cart"),
        "checkout": t("Start checkout"),
        "tag_customer": t("Tag the customer"),
        "set_status": t("Set pipeline status"),
        "notify_owner": t("Notify the owner"),
        "apply_discount": t("Give a discount"),
        "save_review": t("Save the rating"),
    }


def op_names() -> dict[str, str]:
    return {
        "eq": t("equals"),
        "ne": t("is not"),
        "lt": t("less than"),
        "le": t("at most"),
        "gt": t("more than"),
        "ge": t("at least"),
        "contains": t("contains"),
        "set": t("is filled in"),
        "unset": t("is empty"),
    }


def placeholder_names() -> dict[str, str]:
    """The shop's own ``{names}`` a text may hold, as the chips show them."""
    return {
        "customer_name": t("Customer name"),
        "order_number": t("Order number"),
        "discount_code": t("Discount code"),
        "discount_percent": t("Discount percent"),
        "discount_until": t("Code valid until"),
        "cart_total": t("Cart total"),
        "shop": t("Shop name"),
    }


def _answer_defaults() -> dict[str, str]:
    """Names for the answers the built-in flows keep (a question without a name of its own)."""
    return {
        "rating": t("Review rating"),
        "budget": t("Budget"),
        "color": t("Favourite colour"),
        "size": t("Size"),
        "phone": t("Phone number"),
    }


def _short(text: str, limit: int = 22, answered: dict[str, str] | None = None) -> str:
    """One line of a text, cut to ``limit``, its ``{names}`` in words (``answered``: the
    flow's answers by var)."""
    names = {**placeholder_names(), **_answer_defaults(), **(answered or {})}
    one = " ".join(str(text).split())
    one = re.sub(r"\{(\w+)\}", lambda m: names.get(m.group(1), "…"), one)
    return one if len(one) <= limit else one[: limit - 1] + "…"


def step_title(node: Node, answered: dict[str, str] | None = None) -> str:
    """The step's name: the owner's own, or one made from what it does (``answered``: the
    flow's answers by var, for a text that names them)."""
    if str(node.get("step_name") or "").strip():
        return str(node["step_name"]).strip()
    kind = node.get("type", "")
    if kind == "question" and node.get("var") in _answer_defaults():
        return _answer_defaults()[node["var"]]
    if kind == "action":
        return action_names().get(node.get("action", ""), kind_names()["action"])
    if kind == "wait":
        return wait_text(int(node.get("minutes") or 0))
    if kind in ("message", "question") and str(node.get("text") or "").strip():
        return _short(node["text"], answered=answered)
    return kind_names().get(kind, str(kind))


def wait_text(minutes: int) -> str:
    """ "Wait 3 days", "Wait 2 hours 30 min"."""
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = []
    if days:
        parts.append(t("{n} days").format(n=days))
    if hours:
        parts.append(t("{n} hours").format(n=hours))
    if mins or not parts:
        parts.append(t("{n} min").format(n=mins))
    return t("Wait {time}").format(time=" ".join(parts))


def answers(nodes: list[Node]) -> dict[str, str]:
    """``var`` → the name of the question that asks it (what conditions and chips show)."""
    return {n["var"]: step_title(n) for n in nodes if n.get("type") == "question" and n.get("var")}


def condition_fields(nodes: list[Node]) -> dict[str, str]:
    """What a condition can test: each question's answer, then the cart and the customer."""
    fields = {f"state.{var}": name for var, name in answers(nodes).items()}
    fields.update(
        {
            "cart.total": t("Cart total (baht)"),
            "cart.count": t("Items in the cart"),
            "customer.tags": t("Customer tags"),
            "customer.status": t("Customer status"),
            "conversation.channel": t("Chat channel"),
        }
    )
    return fields


def summary(node: Node, nodes: list[Node]) -> str:
    """One line under the card's name."""
    kind = node.get("type")
    if kind == "condition":
        field = condition_fields(nodes).get(str(node.get("field")), t("(nothing picked)"))
        op = str(node.get("op", ""))
        value = "" if op in ("set", "unset") else str(node.get("value", ""))
        return _short(f"{field} {op_names().get(op, '')} {value}".strip(), 34)
    if kind == "question":
        n = len(node.get("choices") or [])
        text = _short(node.get("text", ""), 34, answers(nodes))
        return t("{n} answer buttons").format(n=n) if n else text
    if kind == "action":
        return _action_summary(node, nodes)
    if kind == "wait":
        return wait_text(int(node.get("minutes") or 0))
    return _short(str(node.get("text", "")), 34, answers(nodes)) or t("(no text yet)")


def status_names() -> dict[str, str]:
    """The pipeline's stages by code, as the Customers screen names them (domain.glossary)."""
    lang = current_language()
    return {code: glossary.name_of(glossary.PIPELINE, code, lang) for code in glossary.PIPELINE}


def _action_summary(node: Node, nodes: list[Node]) -> str:
    """What an action does, with its own values: "3 products · Shirts", "5% off for 24 h"."""
    action = node.get("action")
    if action == "show_products":
        shown = t("shows {n}").format(n=int(node.get("limit") or 3))
        return f"{shown} · {node['category']}" if node.get("category") else shown
    if action == "apply_discount":
        if node.get("code"):
            return str(node["code"])
        hours = int(node.get("valid_hours") or 24)
        return t("{p}% off for {h} h").format(p=node.get("percent", ""), h=hours)
    if action == "tag_customer":
        return _short(str(node.get("tag") or ""), 34)
    if action == "set_status":
        return status_names().get(str(node.get("status")), "")
    if action == "notify_owner":
        return _short(str(node.get("title") or ""), 34)
    if action == "save_review":
        return answers(nodes).get(str(node.get("var") or "rating"), "")
    return action_names().get(str(action), "")


def outputs(node: Node) -> list[tuple[str, str]]:
    """(key, label) of each link the card draws, in order; keys are ``next``, ``then``,
    ``else``, ``timeout_next`` and ``choice:<i>``."""
    kind = node.get("type")
    if kind == "condition":
        return [("then", t("yes")), ("else", t("no"))]
    if kind == "handoff":
        return []
    if kind != "question":
        return [("next", t("then"))]
    choices = node.get("choices") or []
    out = [(f"choice:{i}", _short(c.get("label", ""), 18)) for i, c in enumerate(choices)]
    out.append(("next", t("other answers") if choices else t("answered")))
    if int(node.get("timeout_minutes") or 0) > 0:
        out.append(("timeout_next", t("no answer")))
    return out


def link(node: Node, key: str) -> str:
    """The id a card's output leads to (``""``: nowhere)."""
    if key.startswith("choice:"):
        choices = node.get("choices") or []
        i = int(key.split(":", 1)[1])
        return str(choices[i].get("next") or "") if i < len(choices) else ""
    return str(node.get(key) or "")


def set_link(node: Node, key: str, target: str) -> None:
    if key.startswith("choice:"):
        choices = node.get("choices") or []
        i = int(key.split(":", 1)[1])
        if i < len(choices):
            if target:
                choices[i]["next"] = target
            else:
                choices[i].pop("next", None)
        return
    node[key] = target


def links(node: Node) -> Iterator[tuple[str, str]]:
    """(key, target id) of each output that leads somewhere."""
    for key, _label in outputs(node):
        target = link(node, key)
        if target:
            yield key, target


def new_id(nodes: list[Node]) -> str:
    used = {n.get("id") for n in nodes}
    n = len(nodes) + 1
    while f"s{n}" in used:
        n += 1
    return f"s{n}"


def new_step(kind: str, nodes: list[Node], pos: tuple[float, float]) -> Node:
    """A fresh step of a kind, with what it needs filled in and an answer name no other
    question uses."""
    node: Node = {
        "id": new_id(nodes),
        "type": kind,
        "next": "",
        "pos": [round(pos[0]), round(pos[1])],
    }
    if kind == "question":
        used = {n.get("var") for n in nodes}
        i = 1
        while f"answer{i}" in used:
            i += 1
        node.update(text="", var=f"answer{i}", kind="text", choices=[])
    elif kind == "action":
        node.update(action="show_products", limit=3)
    elif kind == "condition":
        node.update(field="", op="eq", value="", then="", **{"else": ""})
    elif kind == "wait":
        node.update(minutes=24 * 60)
    else:
        node.update(text="")
    return node


def remove_step(nodes: list[Node], node_id: str) -> list[Node]:
    """The steps without one, every link to it cut."""
    out = [copy.deepcopy(n) for n in nodes if n.get("id") != node_id]
    for n in out:
        for key, target in list(links(n)):
            if target == node_id:
                set_link(n, key, "")
    return out


def layout(nodes: list[Node]) -> None:
    """Give every step without a position one: columns by distance from the first step
    (left to right), rows in order; steps nobody reaches go in a last column. Steps that
    have positions keep them; new ones are placed below them."""
    missing = [n for n in nodes if not isinstance(n.get("pos"), list)]
    if not missing:
        return
    ids = {n["id"]: n for n in nodes}
    depth: dict[str, int] = {}
    if nodes:
        queue = [nodes[0]["id"]]
        depth[nodes[0]["id"]] = 0
        while queue:
            nid = queue.pop(0)
            for _key, target in links(ids[nid]):
                if target in ids and target not in depth:
                    depth[target] = depth[nid] + 1
                    queue.append(target)
    last = max(depth.values(), default=-1) + 1
    placed = [n["pos"] for n in nodes if isinstance(n.get("pos"), list)]
    top = max((p[1] for p in placed), default=-ROW_GAP - 120) + 120 + ROW_GAP
    rows: dict[int, float] = {}
    for n in missing:
        col = depth.get(n["id"], last)
        y = rows.get(col, top if placed else 0.0)
        n["pos"] = [round(col * (CARD_W + COL_GAP)), round(y)]
        rows[col] = y + card_height(n) + ROW_GAP


def card_height(node: Node) -> float:
    """The card's height: name and summary, then a row per output."""
    return 58.0 + 24.0 * len(outputs(node))


@dataclass(frozen=True, slots=True)
class Problem:
    """Something that stops the flow being saved, on one step (``node_id`` ``""``: the
    flow)."""

    node_id: str
    text: str


def _step_problem(node: Node, names: dict[str, str]) -> str:
    kind = node.get("type")
    if kind in ("message", "question") and not str(node.get("text") or "").strip():
        return t("no text yet")
    if kind == "question":
        if node.get("kind") == "choice" and not node.get("choices"):
            return t("add at least one answer button")
        if any(not str(c.get("label", "")).strip() for c in node.get("choices") or []):
            return t("an answer button has no text")
    if kind == "condition":
        if str(node.get("field", "")) not in condition_fields_cache(names):
            return t("pick what to check")
        for key, label in outputs(node):
            if not link(node, key):
                return t("‘{way}’ is not connected yet").format(way=label)
    if kind == "message" and any(not b.get("flow") for b in node.get("buttons") or []):
        return t("a button has no flow picked")
    if kind == "action":
        return _action_problem(node)
    return ""


def condition_fields_cache(names: dict[str, str]) -> set[str]:
    return {f"state.{v}" for v in names} | {
        "cart.total",
        "cart.count",
        "customer.tags",
        "customer.status",
        "conversation.channel",
        "cart.empty",
        "customer.name",
        "conversation.tags",
    }


def _action_problem(node: Node) -> str:
    action = node.get("action")
    if action == "add_to_cart" and not str(node.get("sku") or "").strip():
        return t("pick a product")
    if action == "tag_customer" and not str(node.get("tag") or "").strip():
        return t("type the tag")
    if action == "notify_owner" and not str(node.get("title") or "").strip():
        return t("type the notice's heading")
    if action == "apply_discount" and not node.get("code") and not node.get("percent"):
        return t("type a code or a percent off")
    return ""


def problems(nodes: list[Node]) -> list[Problem]:
    """What is wrong, step by step, in words naming the step: "Step “Ask rating”: …"."""
    if not nodes:
        return [Problem("", t("Add a step from the palette first."))]
    names = answers(nodes)
    found = []
    ids = {n["id"] for n in nodes}
    reached = {nodes[0]["id"]}
    queue = [nodes[0]]
    by_id = {n["id"]: n for n in nodes}
    while queue:
        for _key, target in links(queue.pop()):
            if target in ids and target not in reached:
                reached.add(target)
                queue.append(by_id[target])
    for node in nodes:
        what = _step_problem(node, names)
        if not what and node["id"] not in reached:
            what = t("no step leads here (connect it, or delete it)")
        if what:
            found.append(Problem(node["id"], step_says(node, what, names)))
    return found


def step_says(node: Node, what: str, answered: dict[str, str] | None = None) -> str:
    return t("Step “{name}”: {problem}").format(name=step_title(node, answered), problem=what)
