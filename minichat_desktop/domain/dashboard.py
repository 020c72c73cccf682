"""The dashboard's figures for a range of Bangkok dates, with the period before for comparison.

What the numbers mean (the same everywhere on the screen):

- **Sales** — the total (VAT included, after discounts, with shipping) of the orders *placed*
  in the range, cancelled and refunded orders left out. Pending (not yet paid) orders count:
  the dashboard shows the business coming in; the VAT report (:mod:`.reports`) is where only
  issued tax invoices count.
- **Orders** — how many orders those are; **average order value** = sales / orders (satang,
  rounded half up).
- **New customers** — customers created in the range (merged duplicates left out).
- **Conversations** — conversations in which the shopper wrote at least once in the range.
  **Converted** — those of them with an order (not cancelled or refunded) placed in the range
  from that conversation (``orders.conversation_ref`` = the conversation's ref).
  **Conversion** = converted / conversations.
- **Daily sales** — sales and orders per Bangkok day (per hour when the range is one day),
  every day of the range present (zero when nothing sold).
- **Top products** — by sales of their order lines (line totals, before the order's own
  discount and shipping), ten at most; lines of deleted products are grouped by SKU.
- **Channels** — sales and orders per channel (widget, LINE, counter, manual).
- **Bot performance**, over the conversations of the range in which the bot wrote (a message
  with author ``bot`` in the range):

  * *handed off* — a person wrote in it in the range (an outgoing message whose author is not
    ``bot`` or ``system``), or it was taken over in the range, or its status is ``escalated``;
  * *closed by the bot alone* — not handed off, and it converted or its status is
    ``resolved``;
  * *handoff rate* = handed off / conversations with bot activity; *bot close rate* = closed
    by the bot alone / the same;
  * *first response time* — per conversation of the range (bot or not): from the shopper's
    first message in the range to the shop's first reply after it (bot or person; ``system``
    notices do not count). The median and how many were answered; unanswered conversations
    are counted apart.

Speed: every figure is one aggregate SQL statement over indexed columns
(``orders.created_at``, ``order_items.order_id``, ``conversations.last_message_at``,
``messages (conversation_id, id)``, ``orders.conversation_ref``) run on the driver connection;
a year of 100k orders takes well under 300 ms (``bench/bench_dashboard.py``).
"""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass
from typing import Final

from sqlalchemy.orm import Session

from minichat_desktop.domain.db import Database, DriverConnection
from minichat_desktop.domain.errors import UserError
from minichat_desktop.domain.shop import BANGKOK

__all__ = [
    "BotPerformance",
    "ChannelShare",
    "DashboardData",
    "Kpis",
    "ProductRank",
    "SalesPoint",
    "dashboard",
    "previous_period",
]

NOT_SALES: Final = ("cancelled", "refunded")
CHANNELS: Final = ("widget", "line", "pos", "manual")
TOP_N: Final = 10
MAX_DAYS: Final = 3 * 366
# Bangkok has kept UTC+7 without daylight saving since 1920: a fixed shift is exact.
_SHIFT: Final = "+7 hours"
_NOT_SALES_SQL: Final = "('cancelled', 'refunded')"


@dataclass(frozen=True, slots=True)
class Kpis:
    """The headline numbers of one period (money in satang)."""

    sales_satang: int
    orders: int
    new_customers: int
    conversations: int
    converted: int

    @property
    def average_order_satang(self) -> int:
        if not self.orders:
            return 0
        return (2 * self.sales_satang + self.orders) // (2 * self.orders)

    @property
    def conversion(self) -> float | None:
        """Converted / conversations (0–1), None with no conversations."""
        return self.converted / self.conversations if self.conversations else None


@dataclass(frozen=True, slots=True)
class SalesPoint:
    start: dt.datetime  # aware, Bangkok: the day's (or hour's) first instant
    sales_satang: int
    orders: int


@dataclass(frozen=True, slots=True)
class ProductRank:
    product_id: int | None
    sku: str
    name: str
    quantity: int
    sales_satang: int


@dataclass(frozen=True, slots=True)
class ChannelShare:
    channel: str
    orders: int
    sales_satang: int


@dataclass(frozen=True, slots=True)
class BotPerformance:
    conversations: int  # conversations of the range in which the bot wrote
    closed_by_bot: int
    handed_off: int
    answered: int  # conversations of the range with a first reply
    unanswered: int
    first_response_median_s: float | None

    @property
    def handoff_rate(self) -> float | None:
        return self.handed_off / self.conversations if self.conversations else None

    @property
    def bot_close_rate(self) -> float | None:
        return self.closed_by_bot / self.conversations if self.conversations else None


@dataclass(frozen=True, slots=True)
class DashboardData:
    date_from: dt.date
    date_to: dt.date
    previous_from: dt.date
    previous_to: dt.date
    current: Kpis
    previous: Kpis
    bucket: str  # "day" or "hour"
    series: tuple[SalesPoint, ...]
    top_products: tuple[ProductRank, ...]
    channels: tuple[ChannelShare, ...]
    bot: BotPerformance

    @staticmethod
    def change(now: int | float | None, before: int | float | None) -> float | None:
        """The relative change from ``before`` to ``now`` (0.25 = +25 %); None when there is
        nothing to compare with."""
        if now is None or before is None or before == 0:
            return None
        return (now - before) / before


def previous_period(date_from: dt.date, date_to: dt.date) -> tuple[dt.date, dt.date]:
    """The period of the same length that ends the day before ``date_from``."""
    days = (date_to - date_from).days + 1
    return date_from - dt.timedelta(days=days), date_from - dt.timedelta(days=1)


def _bound(day: dt.date) -> str:
    """The UTC instant a Bangkok day starts, as stored (naive UTC text, microseconds)."""
    start = dt.datetime.combine(day, dt.time(), BANGKOK).astimezone(dt.UTC)
    return start.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")


def _check_range(date_from: dt.date, date_to: dt.date) -> None:
    if date_from > date_to:
        raise UserError(
            "dashboard.bad_range",
            f"the range starts {date_from.isoformat()} after it ends {date_to.isoformat()}",
            date_from=date_from.isoformat(),
            date_to=date_to.isoformat(),
        )
    if (date_to - date_from).days + 1 > MAX_DAYS:
        raise UserError(
            "dashboard.range_too_long",
            f"a range of at most {MAX_DAYS} days, please",
            max_days=MAX_DAYS,
        )


def dashboard(
    session_or_db: Session | Database, date_from: dt.date, date_to: dt.date
) -> DashboardData:
    """Every dashboard figure for the Bangkok dates ``date_from``..``date_to`` (inclusive) and
    the period of the same length before. Raises :class:`UserError` ``dashboard.bad_range``
    when the range ends before it starts."""
    _check_range(date_from, date_to)
    if isinstance(session_or_db, Database):
        with session_or_db.read() as session:
            return _dashboard(session, date_from, date_to)
    return _dashboard(session_or_db, date_from, date_to)


def _dashboard(session: Session, date_from: dt.date, date_to: dt.date) -> DashboardData:
    raw = DriverConnection(session)
    prev_from, prev_to = previous_period(date_from, date_to)
    plo, lo, hi = _bound(prev_from), _bound(date_from), _bound(date_to + dt.timedelta(days=1))
    hourly = date_from == date_to
    bucket_sql = (
        f"strftime('%H', created_at, '{_SHIFT}')" if hourly else f"date(created_at, '{_SHIFT}')"
    )

    # Sales by bucket and channel in the range (one pass); the previous period's totals.
    by_bucket: dict[str, list[int]] = {}
    by_channel: dict[str, list[int]] = {}
    for key, channel, n, total in raw.execute(
        f"SELECT {bucket_sql}, channel, COUNT(*), SUM(total_satang) FROM orders"
        f" WHERE created_at >= ? AND created_at < ? AND status NOT IN {_NOT_SALES_SQL}"
        " GROUP BY 1, 2",
        (lo, hi),
    ):
        b = by_bucket.setdefault(key, [0, 0])
        b[0] += n
        b[1] += total
        c = by_channel.setdefault(channel, [0, 0])
        c[0] += n
        c[1] += total
    orders_now = sum(v[0] for v in by_bucket.values())
    sales_now = sum(v[1] for v in by_bucket.values())
    orders_before, sales_before = raw.execute(
        "SELECT COUNT(*), COALESCE(SUM(total_satang), 0) FROM orders"
        f" WHERE created_at >= ? AND created_at < ? AND status NOT IN {_NOT_SALES_SQL}",
        (plo, lo),
    ).fetchone()

    series = _series(date_from, date_to, hourly, by_bucket)
    channels = tuple(
        ChannelShare(ch, *by_channel.get(ch, (0, 0)))
        for ch in (*CHANNELS, *sorted(set(by_channel) - set(CHANNELS)))
    )

    top = _top_products(raw, lo, hi)

    new_now = new_before = 0
    for current, n in raw.execute(
        "SELECT created_at >= ?, COUNT(*) FROM customers"
        " WHERE created_at >= ? AND created_at < ? AND merged_into_id IS NULL GROUP BY 1",
        (lo, plo, hi),
    ):
        if current:
            new_now = n
        else:
            new_before = n

    conv_now, conv_before, bot_now = _conversations(raw, plo, lo, hi)
    return DashboardData(
        date_from=date_from,
        date_to=date_to,
        previous_from=prev_from,
        previous_to=prev_to,
        current=Kpis(sales_now, orders_now, new_now, conv_now[0], conv_now[1]),
        previous=Kpis(sales_before, orders_before, new_before, conv_before[0], conv_before[1]),
        bucket="hour" if hourly else "day",
        series=series,
        top_products=top,
        channels=channels,
        bot=bot_now,
    )


def _series(
    date_from: dt.date, date_to: dt.date, hourly: bool, found: dict[str, list[int]]
) -> tuple[SalesPoint, ...]:
    points = []
    if hourly:
        day = dt.datetime.combine(date_from, dt.time(), BANGKOK)
        for h in range(24):
            n, total = found.get(f"{h:02d}", (0, 0))
            points.append(SalesPoint(day + dt.timedelta(hours=h), total, n))
        return tuple(points)
    d = date_from
    while d <= date_to:
        n, total = found.get(d.isoformat(), (0, 0))
        points.append(SalesPoint(dt.datetime.combine(d, dt.time(), BANGKOK), total, n))
        d += dt.timedelta(days=1)
    return tuple(points)


def _top_products(raw: DriverConnection, lo: str, hi: str) -> tuple[ProductRank, ...]:
    rows = raw.execute(
        "SELECT i.product_id, MAX(i.sku), MAX(i.name), SUM(i.quantity), SUM(i.line_total_satang)"
        " FROM orders o JOIN order_items i ON i.order_id = o.id"
        f" WHERE o.created_at >= ? AND o.created_at < ? AND o.status NOT IN {_NOT_SALES_SQL}"
        " GROUP BY i.product_id, CASE WHEN i.product_id IS NULL THEN i.sku END"
        " ORDER BY 5 DESC, 4 DESC LIMIT ?",
        (lo, hi, TOP_N),
    ).fetchall()
    ids = [r[0] for r in rows if r[0] is not None]
    current: dict[int, tuple[str, str]] = {}
    if ids:
        marks = ", ".join("?" * len(ids))
        current = {
            pid: (sku, name)
            for pid, sku, name in raw.execute(
                f"SELECT id, sku, name_th FROM products WHERE id IN ({marks})", ids
            )
        }
    # The product's name today (a line keeps the name it was sold under, which may be old).
    return tuple(
        ProductRank(pid, *current.get(pid, (sku, name)), qty, total)
        for pid, sku, name, qty, total in rows
    )


def _conversations(
    raw: DriverConnection, plo: str, lo: str, hi: str
) -> tuple[tuple[int, int], tuple[int, int], BotPerformance]:
    """Conversation counts (all, converted) for the range [lo, hi) and the previous period
    [plo, lo), and the range's bot performance.

    Read from the ``message_received``/``message_sent`` analytics events (recorded with every
    stored message; narrow rows on the ``(kind, at)`` index), not from the messages table
    (wide rows: a year of messages takes seconds to aggregate on a small machine). So these
    figures cover the retention period of analytics events (a year by default)."""
    per = raw.execute(
        """
        SELECT conversation_id, at >= :lo,
            MIN(CASE WHEN kind = 'message_received' THEN at END),
            MAX(kind = 'message_sent' AND json_extract(data, '$.author') = 'bot'),
            MAX(kind = 'message_sent' AND json_extract(data, '$.author') = 'human')
        FROM analytics_events
        WHERE kind IN ('message_received', 'message_sent') AND at >= :plo AND at < :hi
          AND conversation_id IS NOT NULL
        GROUP BY 1, 2
        """,
        {"plo": plo, "lo": lo, "hi": hi},
    ).fetchall()
    # The shop's first reply after the shopper's first message, per conversation of the range.
    replies = dict(
        raw.execute(
            """
            WITH first_in AS (
                SELECT conversation_id AS cid, MIN(at) AS at FROM analytics_events
                WHERE kind = 'message_received' AND at >= :lo AND at < :hi
                  AND conversation_id IS NOT NULL
                GROUP BY 1
            )
            SELECT f.cid, MIN(e.at) FROM analytics_events e JOIN first_in f
              ON f.cid = e.conversation_id AND e.at >= f.at
            WHERE e.kind = 'message_sent' AND e.at >= :lo AND e.at < :hi
              AND json_extract(e.data, '$.author') <> 'system'
            GROUP BY 1
            """,
            {"lo": lo, "hi": hi},
        ).fetchall()
    )
    ids = sorted({r[0] for r in per})
    facts: dict[int, tuple[str, str, str | None]] = {}
    for k in range(0, len(ids), 900):
        chunk = ids[k : k + 900]
        marks = ", ".join("?" * len(chunk))
        facts.update(
            (cid, (ref, status, taken))
            for cid, ref, status, taken in raw.execute(
                f"SELECT id, ref, status, taken_over_at FROM conversations WHERE id IN ({marks})",
                chunk,
            )
        )
    ordered: dict[int, set[str]] = {0: set(), 1: set()}
    for ref, cur in raw.execute(
        "SELECT conversation_ref, created_at >= ? FROM orders"
        " WHERE created_at >= ? AND created_at < ? AND conversation_ref <> ''"
        f" AND status NOT IN {_NOT_SALES_SQL}",
        (lo, plo, hi),
    ):
        ordered[cur].add(ref)

    counts = {0: [0, 0], 1: [0, 0]}
    n_bot = closed = handed = 0
    waits: list[float] = []
    for cid, cur, first_in, bot, human in per:
        if first_in is None:
            continue  # only the shop wrote (a broadcast, a late reply): not a conversation here
        ref, status, taken = facts.get(cid, ("", "", None))
        converted = ref in ordered[cur]
        counts[cur][0] += 1
        counts[cur][1] += converted
        if not cur:
            continue
        reply = replies.get(cid)
        if reply is not None:
            waits.append(max(0.0, (_parse(reply) - _parse(first_in)).total_seconds()))
        if bot:
            n_bot += 1
            if human or (taken is not None and lo <= taken < hi) or status == "escalated":
                handed += 1
            elif converted or status == "resolved":
                closed += 1
    answered = len(waits)
    bot = BotPerformance(
        conversations=n_bot,
        closed_by_bot=closed,
        handed_off=handed,
        answered=answered,
        unanswered=counts[1][0] - answered,
        first_response_median_s=statistics.median(waits) if waits else None,
    )
    return (counts[1][0], counts[1][1]), (counts[0][0], counts[0][1]), bot


def _parse(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)
