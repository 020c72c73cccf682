"""Refunds as the reports and the dashboard take them out of sales.

**A refund counts at its own date** (``refunds.at``), the way the VAT report counts a credit
note at its date (Revenue Code s.82/10, s.86/10) and the way shop systems show "returns" on the
day they are made: a sale stays in the period it was placed, and money given back later is
taken out of the later period. So the figures of a period already closed (a month sent to the
accountant, yesterday on the dashboard) never move when a refund is made afterwards, and the
refunds of a period are the money that actually went back in it. A refunded order is a sale of
its own period like any other; only cancelled orders (never paid, nothing given back) are left
out, with their refunds, if any.

Product figures: a refund line's units, and its money in the terms product tables count sales
in — line totals *before* the order's own discount. A refund line's value is after the line's
share of that discount (``sales/refunds.py``), so it is scaled back up: what the line has given
back so far, times line total / line value (rounded half up; the whole line total once its
whole value is back), less the same figure before this refund. A line given back in any number
of steps thus takes out exactly its line total, and a line never discounted takes out exactly
the refund's value.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from minichat_desktop.domain.sales.refunds import apportion, half_up
from minichat_desktop.domain.sql import DriverConnection

__all__ = ["NOT_SALES_SQL", "ReturnedLine", "returned_lines"]

# Orders that are not sales: only cancelled ones (a refunded order was a sale; its refunds
# are taken out at their own dates).
NOT_SALES_SQL: Final = "('cancelled')"


@dataclass(frozen=True, slots=True)
class ReturnedLine:
    """What one refund took off one order line, for product tables."""

    at: str  # the refund's time as stored (UTC text)
    order_id: int
    channel: str
    product_id: int | None
    sku: str
    name: str  # the product's name today, else the name the line was sold under
    quantity: int  # units given back (0 for an amount off the line)
    gross_satang: int  # in line-total terms (before the order discount)


def returned_lines(raw: DriverConnection, lo: str, hi: str) -> list[ReturnedLine]:
    """The refund lines of the refunds made in [lo, hi) (stored UTC text) on orders not
    cancelled; the shipping is not a product and is left out."""
    rows = raw.execute(
        "SELECT r.at, r.id, o.id, o.channel, o.discount_satang, i.id, i.product_id, i.sku,"
        " COALESCE(p.name_th, i.name), i.line_total_satang, l.quantity, l.amount_satang"
        " FROM refunds r JOIN orders o ON o.id = r.order_id"
        " JOIN refund_lines l ON l.refund_id = r.id"
        " JOIN order_items i ON i.id = l.order_item_id"
        " LEFT JOIN products p ON p.id = i.product_id"
        f" WHERE r.at >= ? AND r.at < ? AND o.status NOT IN {NOT_SALES_SQL}"
        " ORDER BY r.at, r.id, l.id",
        (lo, hi),
    ).fetchall()
    discounted = sorted({r[2] for r in rows if r[4]})
    values, before = _discounted(raw, discounted) if discounted else ({}, {})
    out = []
    for at, refund_id, order_id, channel, _disc, item_id, pid, sku, name, line, qty, amount in rows:
        value = values.get(item_id)
        if value is None or value == line:
            gross = amount
        else:
            done = before.get((item_id, refund_id), 0)
            gross = _scaled(done + amount, value, line) - _scaled(done, value, line)
        out.append(ReturnedLine(at, order_id, channel, pid, sku, name or sku, qty, gross))
    return out


def _scaled(refunded: int, value: int, line: int) -> int:
    """``refunded`` of a line worth ``value`` after its discount share, in line-total terms."""
    if refunded >= value or value <= 0:
        return line if refunded else 0
    return half_up(refunded * line, value)


def _discounted(
    raw: DriverConnection, order_ids: Iterable[int]
) -> tuple[dict[int, int], dict[tuple[int, int], int]]:
    """For the lines of discounted orders: each line's value after its discount share (shared
    as ``sales/refunds.py`` shares it), and per (line, refund) what the line gave back in the
    refunds before that one."""
    ids = json.dumps(list(order_ids))
    by_order: dict[int, list[tuple[int, int]]] = defaultdict(list)
    discount: dict[int, int] = {}
    for order_id, disc, item_id, line in raw.execute(
        "SELECT o.id, o.discount_satang, i.id, i.line_total_satang"
        " FROM orders o JOIN order_items i ON i.order_id = o.id"
        " WHERE o.id IN (SELECT value FROM json_each(?)) ORDER BY o.id, i.id",
        (ids,),
    ):
        by_order[order_id].append((item_id, line))
        discount[order_id] = disc
    values: dict[int, int] = {}
    for order_id, lines in by_order.items():
        shares = apportion(discount[order_id], [line for _, line in lines])
        for (item, line), share in zip(lines, shares, strict=True):
            values[item] = line - share
    before: dict[tuple[int, int], int] = {}
    running: dict[int, int] = defaultdict(int)
    for item_id, refund_id, amount in raw.execute(
        "SELECT l.order_item_id, l.refund_id, l.amount_satang FROM refund_lines l"
        " JOIN order_items i ON i.id = l.order_item_id"
        " WHERE i.order_id IN (SELECT value FROM json_each(?)) ORDER BY l.refund_id, l.id",
        (ids,),
    ):
        before[(item_id, refund_id)] = running[item_id]
        running[item_id] += amount
    return values, before
