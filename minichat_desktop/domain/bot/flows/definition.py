"""What a flow is made of: the trigger, node, question, action and comparison kinds, the
states of a run, and :class:`FlowView`, a stored flow as plain data.

The language itself (what each kind means and which fields it takes) is described in the
package docstring (:mod:`minichat_desktop.domain.bot.flows`); :mod:`.validation` enforces it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

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
RUNNING, WAITING, DONE = "running", "waiting", "done"  # FlowRun.status
BUTTON_PREFIX = "flow:"  # postback data of a flow's buttons: flow:<id>[:<node>:<choice>]


@dataclass(frozen=True, slots=True)
class FlowView:
    """A stored flow (:class:`~minichat_desktop.domain.models.Flow`) as plain data; the
    trigger and nodes are copies the caller may change."""

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


def number(value: Any) -> Decimal | None:
    """The number in a node's value or a shopper's answer ("1,500 บาท", Thai digits), or None
    when there is none; a bool is not a number. Exact (a Decimal): budgets and cart totals
    are money."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, Decimal):
        return value
    if isinstance(value, str):
        digits = value.replace(",", "").strip()
        thai = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")
        digits = digits.translate(thai)
        m = re.search(r"-?\d+(\.\d+)?", digits)
        if m:
            return Decimal(m.group(0))
    return None
