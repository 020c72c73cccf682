"""The dashboard's figures for a range of Bangkok dates, with the period before for comparison.

What the numbers mean (the same everywhere on the screen):

- **Sales** — net sales: the total (VAT included, after discounts, with shipping) of the
  orders *placed* in the range, cancelled orders left out, less the money given back by the
  refunds *made* in the range (a refund counts at its own date, as in the reports and as a
  credit note in the VAT report: see :mod:`.returns`; a day already closed never moves). A
  refunded order was a sale of its own day. Pending (not yet paid) orders count: the
  dashboard shows the business coming in; the VAT report (:mod:`.reports`) is where only
  issued tax invoices count.
- **Orders** — how many orders were placed (not cancelled); **average order value** = net
  sales / orders (satang, rounded half up).
- **New customers** — customers created in the range (merged duplicates left out).
- **Conversations** — conversations in which the shopper wrote at least once in the range.
  **Converted** — those of them with an order (not cancelled) placed in the range
  from that conversation (``orders.conversation_ref`` = the conversation's ref).
  **Conversion** = converted / conversations.
- **Daily sales** — sales and orders per Bangkok day (per hour when the range is one day),
  every day of the range present (zero when nothing sold).
- **Top products** — by net sales of their order lines (line totals, before the order's own
  discount and shipping, less what the range's refunds gave back on them in the same terms)
  and net units, ten at most; lines of deleted products are grouped by SKU.
- **Channels** — net sales and orders per channel (widget, LINE, counter, manual).
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

Speed (``bench/bench_dashboard.py``: a year of 100k orders and 40k chats on a 2-core machine):
the figures are aggregate SQL statements on the driver connection, each answered from one of
the covering indexes of schema 0004 (``ix_orders_dashboard``, ``ix_order_items_dashboard``,
``ix_analytics_events_dashboard``, ``ix_customers_created_merged``,
``ix_conversations_dashboard``, ``ix_conversations_taken_over_at``) without visiting the wide
rows, and grouped in SQL, so Python sees tens of thousands of rows at most: a whole year
directly in ~0.85 s. A screen keeps a :class:`DashboardCache`: closed days are summed once
(off the UI thread), and a refresh reads only today and what changed — about 45 ms for a
year. The cache keeps its many small records as tuples so that Python's garbage collector
leaves them alone (no collection pauses in the refreshes' tail).
"""

from __future__ import annotations

import bisect
import datetime as dt
import json
import statistics
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from sqlalchemy.orm import Session

from minichat_desktop.domain.reporting.returns import NOT_SALES_SQL, returned_lines
from minichat_desktop.domain.shop import BANGKOK, bangkok_today
from minichat_desktop.domain.sql import DriverConnection, UnitOfWork
from minichat_desktop.errors import UserError

__all__ = [
    "BotPerformance",
    "ChannelShare",
    "DashboardCache",
    "DashboardData",
    "Kpis",
    "ProductRank",
    "SalesPoint",
    "dashboard",
    "previous_period",
]

NOT_SALES: Final = ("cancelled",)
CHANNELS: Final = ("widget", "line", "pos", "manual")
TOP_N: Final = 10
MAX_DAYS: Final = 3 * 366
# Bangkok has kept UTC+7 without daylight saving since 1920: a fixed shift is exact.
_SHIFT: Final = "+7 hours"
_NOT_SALES_SQL: Final = NOT_SALES_SQL
# message_sent events' data as stored (SQLAlchemy's JSON type writes json.dumps): compared as
# text, a third of the time json_extract takes on every row.
_BOT, _HUMAN, _SYSTEM = (
    "'" + json.dumps({"author": role}) + "'" for role in ("bot", "human", "system")
)


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
    session_or_db: Session | UnitOfWork,
    date_from: dt.date,
    date_to: dt.date,
    *,
    cache: DashboardCache | None = None,
    today: dt.date | None = None,
) -> DashboardData:
    """Every dashboard figure for the Bangkok dates ``date_from``..``date_to`` (inclusive) and
    the period of the same length before. Raises :class:`UserError` ``dashboard.bad_range``
    when the range ends before it starts.

    With a :class:`DashboardCache` (a screen keeps one), the figures of days before ``today``
    (default: the Bangkok date now) are kept between calls and only the days whose data
    changed are read again: a refresh over a year costs what today's data costs. The result
    is the same as without the cache."""
    _check_range(date_from, date_to)
    if not isinstance(session_or_db, Session):
        with session_or_db.read() as session:
            return dashboard(session, date_from, date_to, cache=cache, today=today)
    if cache is not None and date_from != date_to:
        return cache.dashboard(session_or_db, date_from, date_to, today or bangkok_today())
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
    for key, channel, back in raw.execute(
        f"SELECT {bucket_sql.replace('created_at', 'r.at')}, o.channel, SUM(r.amount_satang)"
        f" {_REFUNDED} GROUP BY 1, 2",
        (lo, hi),
    ):
        by_bucket.setdefault(key, [0, 0])[1] -= back
        by_channel.setdefault(channel, [0, 0])[1] -= back
    orders_now = sum(v[0] for v in by_bucket.values())
    sales_now = sum(v[1] for v in by_bucket.values())
    orders_before, sales_before = raw.execute(
        "SELECT COUNT(*), COALESCE(SUM(total_satang), 0) FROM orders"
        f" WHERE created_at >= ? AND created_at < ? AND status NOT IN {_NOT_SALES_SQL}",
        (plo, lo),
    ).fetchone()
    (back_before,) = raw.execute(
        f"SELECT COALESCE(SUM(r.amount_satang), 0) {_REFUNDED}", (plo, lo)
    ).fetchone()
    sales_before -= back_before

    series = _series(date_from, date_to, hourly, by_bucket)
    channels = tuple(
        ChannelShare(ch, *by_channel.get(ch, (0, 0)))
        for ch in (*CHANNELS, *sorted(set(by_channel) - set(CHANNELS)))
    )

    top = _top_products(raw, lo, hi)

    new_now, new_before = _new_customers(raw, plo, lo, hi)
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


# Refunds made in [?, ?) on orders that are sales (``returns.py``: at their own dates).
_REFUNDED: Final = (
    "FROM refunds r JOIN orders o ON o.id = r.order_id"
    f" WHERE r.at >= ? AND r.at < ? AND o.status NOT IN {_NOT_SALES_SQL}"
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
    # Numbers from the lines' covering index (no names: they are long and only the ten shown
    # need one); the SKU is there, for lines of deleted products and to break ties.
    rows = raw.execute(
        "SELECT i.product_id, CASE WHEN i.product_id IS NULL THEN i.sku END, MAX(i.sku),"
        " SUM(i.quantity), SUM(i.line_total_satang)"
        " FROM orders o JOIN order_items i ON i.order_id = o.id"
        f" WHERE o.created_at >= ? AND o.created_at < ? AND o.status NOT IN {_NOT_SALES_SQL}"
        " GROUP BY 1, 2",
        (lo, hi),
    ).fetchall()
    returned = returned_lines(raw, lo, hi)
    if not returned:
        rows.sort(key=lambda r: (-r[4], -r[3], r[2]))
        return _named(raw, rows[:TOP_N], lo, hi)
    found = {(pid, gone): [sku, qty, total] for pid, gone, sku, qty, total in rows}
    for ln in returned:
        key = (ln.product_id, ln.sku if ln.product_id is None else None)
        got = found.setdefault(key, [ln.sku, 0, 0])
        got[0] = max(got[0], ln.sku)
        got[1] -= ln.quantity
        got[2] -= ln.gross_satang
    net = sorted(found.items(), key=lambda kv: (-kv[1][2], -kv[1][1], kv[1][0]))
    return _named(raw, [(*key, *v) for key, v in net[:TOP_N]], lo, hi)


def _named(
    raw: DriverConnection,
    rows: list[tuple[int | None, str | None, str, int, int]],
    lo: str,
    hi: str,
) -> tuple[ProductRank, ...]:
    """Best sellers ``(product id, SKU when the product is gone, SKU, quantity, sales)`` with
    the name they are shown under: the product's name today (a line keeps the name it was
    sold under, which may be old); for a product that is gone, the (greatest) name its lines
    of the range [lo, hi) were sold under."""
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
    ranks = []
    for pid, gone_sku, sku, qty, total in rows:
        shown = current.get(pid) if pid is not None else None
        if shown is None:
            which = "i.product_id IS NULL AND i.sku = ?" if pid is None else "i.product_id = ?"
            (name,) = raw.execute(
                "SELECT MAX(i.name) FROM order_items i JOIN orders o ON o.id = i.order_id"
                f" WHERE {which} AND o.created_at >= ? AND o.created_at < ?"
                f" AND o.status NOT IN {_NOT_SALES_SQL}",
                (gone_sku if pid is None else pid, lo, hi),
            ).fetchone()
            shown = (sku, name or sku)
        ranks.append(ProductRank(pid, *shown, qty, total))
    return tuple(ranks)


def _new_customers(raw: DriverConnection, plo: str, lo: str, hi: str) -> tuple[int, int]:
    """Customers created in [lo, hi) and in [plo, lo), merged duplicates left out."""
    # Counted from the (created_at, merged_into_id) index ("+merged_into_id": not from the
    # index of every customer never merged), a count per period (no grouping to sort).
    count = (
        "SELECT COUNT(*) FROM customers WHERE created_at >= {} AND created_at < {}"
        " AND +merged_into_id IS NULL"
    )
    now, before = raw.execute(
        f"SELECT ({count.format(':lo', ':hi')}), ({count.format(':plo', ':lo')})",
        {"plo": plo, "lo": lo, "hi": hi},
    ).fetchone()
    return now, before


def _conversations(
    raw: DriverConnection, plo: str, lo: str, hi: str
) -> tuple[tuple[int, int], tuple[int, int], BotPerformance]:
    """Conversation counts (all, converted) for the range [lo, hi) and the previous period
    [plo, lo), and the range's bot performance.

    Read from the ``message_received``/``message_sent`` analytics events (recorded with every
    stored message; narrow rows, and the dashboard's covering index holds every column read),
    not from the messages table (wide rows: a year of messages takes seconds to aggregate on a
    small machine). So these figures cover the retention period of analytics events (a year
    by default)."""
    # Per conversation of the range: the shopper's first message; the shop's first (not a
    # system notice), and whether the bot and a person wrote. Two passes over the range's
    # events, one per kind (cheaper for SQLite than one with a CASE per row).
    first_ins = dict(
        raw.execute(
            "SELECT conversation_id, MIN(at) FROM analytics_events"
            " WHERE kind = 'message_received' AND at >= ? AND at < ?"
            " AND conversation_id IS NOT NULL GROUP BY 1",
            (lo, hi),
        ).fetchall()
    )
    sent = {
        cid: (first_out, bot, human)
        for cid, first_out, bot, human in raw.execute(
            f"SELECT conversation_id, MIN(at), MAX(data = {_BOT}), MAX(data = {_HUMAN})"
            " FROM analytics_events"
            " WHERE kind = 'message_sent' AND at >= ? AND at < ?"
            f" AND conversation_id IS NOT NULL AND data <> {_SYSTEM} GROUP BY 1",
            (lo, hi),
        )
    }
    # Conversations (the shopper wrote) of the previous period: only how many and which.
    before_ids = [
        r[0]
        for r in raw.execute(
            "SELECT DISTINCT conversation_id FROM analytics_events"
            " WHERE kind = 'message_received' AND at >= ? AND at < ?"
            " AND conversation_id IS NOT NULL",
            (plo, lo),
        )
    ]
    # The shop's first reply after the shopper's first message: the shop's first message when
    # it came after (nearly always); else, for those few, read their messages again.
    replies: dict[int, str] = {}
    again: dict[int, str] = {}
    no_sent = (None, 0, 0)
    for cid, first_in in first_ins.items():
        first_out = sent.get(cid, no_sent)[0]
        if first_out is None:
            continue
        if first_out >= first_in:
            replies[cid] = first_out
        else:
            again[cid] = first_in
    if again:
        for cid, at in raw.execute(
            "SELECT conversation_id, at FROM analytics_events"
            " WHERE kind = 'message_sent' AND at >= ? AND at < ?"
            f" AND data <> {_SYSTEM}"
            " AND conversation_id IN (SELECT value FROM json_each(?))",
            (min(again.values()), hi, json.dumps(list(again))),
        ):
            if at >= again[cid] and (cid not in replies or at < replies[cid]):
                replies[cid] = at
    ids = set(first_ins)
    sold_now, sold_before = _sold(raw, lo, hi), _sold(raw, plo, lo)
    bot = {cid for cid, (_first, wrote, _human) in sent.items() if wrote and cid in ids}
    escalated, resolved, taken = _marked(raw, lo, hi, bot)
    human = {cid for cid, (_first, _bot, wrote) in sent.items() if wrote}
    handed = bot & (human | taken | escalated)
    closed = (bot - handed) & (sold_now | resolved)
    parse = dt.datetime.fromisoformat
    waits = [
        max(0.0, (parse(reply) - parse(first_ins[cid])).total_seconds())
        for cid, reply in replies.items()
    ]
    bot_figures = BotPerformance(
        conversations=len(bot),
        closed_by_bot=len(closed),
        handed_off=len(handed),
        answered=len(waits),
        unanswered=len(ids) - len(waits),
        first_response_median_s=statistics.median(waits) if waits else None,
    )
    return (
        (len(ids), len(sold_now & ids)),
        (len(before_ids), len(sold_before.intersection(before_ids))),
        bot_figures,
    )


def _sold(raw: DriverConnection, lo: str, hi: str) -> set[int]:
    """Conversations with an order (not cancelled or refunded) placed in [lo, hi) from them."""
    (ids,) = raw.execute(
        "SELECT json_group_array(DISTINCT c.id) FROM orders o"
        " JOIN conversations c ON c.ref = o.conversation_ref"
        " WHERE o.created_at >= ? AND o.created_at < ? AND o.conversation_ref <> ''"
        f" AND o.status NOT IN {_NOT_SALES_SQL}",
        (lo, hi),
    ).fetchone()
    return set(json.loads(ids))


# Up to this many conversations, their status is read by id; more, as id lists from the
# indexes (a year's worth: fewer rows to look up and hand to Python).
_FEW_CONVERSATIONS: Final = 5000
# The condition of the partial index ix_conversations_dashboard, written out in a statement
# so that SQLite can use the index.
_MARKED: Final = "status IN ('escalated', 'resolved')"


def _marked(
    raw: DriverConnection, lo: str, hi: str, among: set[int]
) -> tuple[set[int], set[int], set[int]]:
    """Of the conversations ``among`` (or more): those escalated, resolved, and taken over by
    a person in [lo, hi): what can make a chat handed off or closed."""
    if len(among) <= _FEW_CONVERSATIONS:
        escalated: set[int] = set()
        resolved: set[int] = set()
        taken: set[int] = set()
        for cid, status, taken_at in raw.execute(
            "SELECT id, status, taken_over_at FROM conversations"
            " WHERE id IN (SELECT value FROM json_each(?))"
            " AND (status IN ('escalated', 'resolved')"
            "  OR (taken_over_at >= ? AND taken_over_at < ?))",
            (json.dumps(sorted(among)), lo, hi),
        ):
            if status == "escalated":
                escalated.add(cid)
            elif status == "resolved":
                resolved.add(cid)
            if taken_at is not None and lo <= taken_at < hi:
                taken.add(cid)
        return escalated, resolved, taken
    escalated, resolved, taken = (
        set(json.loads(ids))
        for ids in raw.execute(
            f"SELECT (SELECT json_group_array(id) FROM conversations WHERE {_MARKED}"
            " AND status = 'escalated'),"
            f" (SELECT json_group_array(id) FROM conversations WHERE {_MARKED}"
            " AND status = 'resolved'),"
            " (SELECT json_group_array(id) FROM conversations"
            "  WHERE taken_over_at >= ? AND taken_over_at < ?)",
            (lo, hi),
        ).fetchone()
    )
    return escalated, resolved, taken


def _parse(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


# ---------------------------------------------------------------------------- the day cache

# A day's conversation: (first shopper message, first shop message (not system), first shop
# message after that day's first shopper message, the bot wrote, a person wrote). Tuples, not
# lists: a year holds tens of thousands, and tuples of plain values are left alone by the
# garbage collector (lists would be walked by every full collection of the whole program).
_DayConv = tuple[str | None, str | None, str | None, bool, bool]
# A product of a day or a period: (product id, SKU when the product is gone).
_ProductKey = tuple[int | None, str | None]


@dataclass(slots=True)
class _Day:
    """One Bangkok day's figures, the pieces every range is summed from."""

    channels: dict[str, tuple[int, int]] = field(default_factory=dict)  # → (orders, sales)
    products: dict[_ProductKey, tuple[int, int, str]] = field(default_factory=dict)
    # ↑ (quantity, sales, greatest SKU): names are read for the ten shown only
    convs: dict[int, _DayConv] = field(default_factory=dict)
    refs: set[str] = field(default_factory=set)  # conversations with a sale that day


class DashboardCache:
    """The figures of closed days (before today), kept between refreshes.

    A cold cache answers directly (as without a cache) while more than :attr:`COLD_DAYS`
    days are missing; :meth:`warm` then reads them (and sums them), and later calls cost only
    what changed.

    Each call first reads four marks (the highest ids of orders, order events and analytics
    events, the lowest analytics event id) and forgets exactly the days touched since the last
    call: the days of new or changed orders (every change to an order writes an order event)
    and of new messages (their events' dates, also late ones delivered after a night
    offline). Purged events clear everything. Today is always read afresh.

    As a safeguard against a change no mark shows, a day read more than :attr:`MAX_AGE_S`
    ago is due: still used, but counted by :meth:`missing` so that the screen's next
    :meth:`warm` reads it again in the background (a refresh stays fast); one read more than
    twice that long ago is forgotten. Thread-safe (screens refresh from a worker pool);
    :meth:`warm` reads without holding the lock, so a refresh meanwhile does not wait for it.
    ``clock`` (seconds, monotonic) is for tests."""

    MAX_AGE_S: Final = 1800.0

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        # One warm-up at a time: a second (a refresh during the first, answered directly,
        # asks for one too) waits and then finds the days read.
        self._warming = threading.Lock()
        self._days: dict[dt.date, _Day] = {}
        self._read_at: dict[dt.date, float] = {}  # when each day was read (clock)
        self._marks: tuple[int, ...] | None = None
        # Sums of runs of closed days (a period's closed part), valid while no day changes;
        # made of the sums of their calendar months (or parts), so that a day changing costs
        # its month's days summed again, not the whole period's.
        self._spans: dict[tuple[dt.date, dt.date], _Span] = {}
        self._months: dict[tuple[dt.date, dt.date], _Span] = {}
        # Conversation refs never change: kept, and read only for conversations not seen yet.
        self._cid_of_ref: dict[str, int] = {}
        self._ref_of: dict[int, str] = {}
        self._refs_upto = 0

    def clear(self) -> None:
        with self._lock:
            self._days.clear()
            self._read_at.clear()
            self._spans.clear()
            self._months.clear()
            self._marks = None

    def _forget_changed(self, raw: DriverConnection) -> None:
        marks = tuple(
            raw.execute(
                "SELECT (SELECT COALESCE(MAX(id), 0) FROM orders),"
                " (SELECT COALESCE(MAX(id), 0) FROM order_events),"
                " (SELECT COALESCE(MAX(id), 0) FROM analytics_events),"
                " (SELECT COALESCE(MIN(id), 0) FROM analytics_events)"
            ).fetchone()
        )
        old = self._marks
        if old is None or marks[3] != old[3]:
            self._days.clear()
            self._read_at.clear()
            self._spans.clear()
            self._months.clear()
        elif marks != old:
            stale: set[str] = set()
            if marks[0] > old[0]:
                stale.update(r[0] for r in raw.execute(
                    f"SELECT DISTINCT date(created_at, '{_SHIFT}') FROM orders WHERE id > ?",
                    (old[0],),
                ))  # fmt: skip
            if marks[1] > old[1]:
                stale.update(r[0] for r in raw.execute(
                    f"SELECT DISTINCT date(o.created_at, '{_SHIFT}') FROM order_events e"
                    " JOIN orders o ON o.id = e.order_id WHERE e.id > ?",
                    (old[1],),
                ))  # fmt: skip
                # A refund writes an order event too; it counts on its own day, as do the
                # refunds of an order whose status changed (a cancelled order has none).
                stale.update(r[0] for r in raw.execute(
                    f"SELECT DISTINCT date(r.at, '{_SHIFT}') FROM refunds r"
                    " WHERE r.order_id IN (SELECT order_id FROM order_events WHERE id > ?)",
                    (old[1],),
                ))  # fmt: skip
            if marks[2] > old[2]:
                stale.update(r[0] for r in raw.execute(
                    f"SELECT DISTINCT date(at, '{_SHIFT}') FROM analytics_events WHERE id > ?",
                    (old[2],),
                ))  # fmt: skip
            self._drop([d for d in map(dt.date.fromisoformat, stale) if d in self._days])
        too_old = self._clock() - 2 * self.MAX_AGE_S
        self._drop([d for d, at in self._read_at.items() if at < too_old])
        self._marks = marks

    def _drop(self, days: list[dt.date]) -> None:
        """Forget ``days`` and every sum made with them."""
        if not days:
            return
        for d in days:
            self._days.pop(d, None)
            self._read_at.pop(d, None)
        self._spans = {k: v for k, v in self._spans.items() if not any(
            k[0] <= d <= k[1] for d in days)}  # fmt: skip
        self._months = {k: v for k, v in self._months.items() if not any(
            k[0] <= d <= k[1] for d in days)}  # fmt: skip

    def _wanted(self, d: dt.date, today: dt.date, due: float) -> bool:
        """Whether closed day ``d`` is to be read (not cached, or read before ``due``)."""
        return d < today and (d not in self._days or self._read_at[d] < due)

    def _span(self, days: list[dt.date]) -> _Span:
        """The sum of consecutive closed days (kept: do not change what is returned)."""
        if not days:
            return _Span()
        key = (days[0], days[-1])
        span = self._spans.get(key)
        if span is None:
            span = _Span()
            start = 0
            for end in range(1, len(days) + 1):
                if end < len(days) and days[end].month == days[start].month:
                    continue
                part = days[start:end]
                month = self._months.get((part[0], part[-1]))
                if month is None:
                    month = self._months[(part[0], part[-1])] = _Span()
                    for d in part:
                        month.add(d, self._days[d])
                span.extend(month)
                start = end
            self._spans[key] = span
        return span

    def _refs(self, raw: DriverConnection, upto: int) -> _Refs:
        """Conversation ids by ref and refs by id, every conversation up to id ``upto``."""
        if upto > self._refs_upto:
            for cid, ref in raw.execute(
                "SELECT id, ref FROM conversations WHERE id > ?", (self._refs_upto,)
            ):
                self._cid_of_ref[ref] = cid
                self._ref_of[cid] = ref
                self._refs_upto = max(self._refs_upto, cid)
        return self._cid_of_ref, self._ref_of

    # Reading days one by one costs more than the direct statements: with more than this many
    # days not cached, :meth:`dashboard` answers directly and :meth:`warm` fills the cache.
    COLD_DAYS: Final = 7

    def missing(self, date_from: dt.date, date_to: dt.date, today: dt.date) -> int:
        """How many closed days of the range (and the period before) are not cached, or due
        to be read again."""
        prev_from, _ = previous_period(date_from, date_to)
        with self._lock:
            due = self._clock() - self.MAX_AGE_S
            return sum(
                1
                for k in range((date_to - prev_from).days + 1)
                if self._wanted(prev_from + dt.timedelta(days=k), today, due)
            )

    def warm(
        self, session: Session, date_from: dt.date, date_to: dt.date, today: dt.date | None = None
    ) -> int:
        """Read the closed days of the range (and the period before) not cached yet, and sum
        them as the next :meth:`dashboard` of this range will; returns how many days were
        read. For a screen to call off the UI thread after its first answer."""
        with self._warming:
            return self._warm(DriverConnection(session), date_from, date_to, today)

    def _warm(
        self, raw: DriverConnection, date_from: dt.date, date_to: dt.date, today: dt.date | None
    ) -> int:
        today = today or bangkok_today()
        prev_from, _ = previous_period(date_from, date_to)
        wanted = [prev_from + dt.timedelta(days=k) for k in range((date_to - prev_from).days + 1)]
        with self._lock:
            self._forget_changed(raw)
            started = self._clock()
            due = started - self.MAX_AGE_S
            missing = [d for d in wanted if self._wanted(d, today, due)]
        # Read without the lock: a refresh of another range meanwhile need not wait. The
        # days read belong to this session's snapshot; taking its marks again below (older
        # than another call's, perhaps) only makes the next call forget more.
        read = _days(raw, missing[0], missing[-1]) if missing else {}
        with self._lock:
            self._forget_changed(raw)
            # Days read again replace the kept ones (and the sums made with them) unless
            # another call read them since.
            self._drop([d for d in missing if self._read_at.get(d, started) < started])
            for d in missing:
                if d not in self._days:
                    self._days[d] = read.get(d) or _Day()
                    self._read_at[d] = started
            for period in (
                [d for d in wanted if d < date_from],
                [d for d in wanted if d >= date_from],
            ):
                closed = [d for d in period if d < today]
                if all(d in self._days for d in closed):
                    span = self._span(closed)
                    span.sold(self._refs(raw, span.figures().upto))
        return len(missing)

    def _fill(self, raw: DriverConnection, missing: list[dt.date]) -> int:
        if missing:
            now = self._clock()
            read = _days(raw, missing[0], missing[-1])
            for d in missing:
                self._days[d] = read.get(d) or _Day()
                self._read_at[d] = now
        return len(missing)

    def dashboard(
        self, session: Session, date_from: dt.date, date_to: dt.date, today: dt.date
    ) -> DashboardData:
        raw = DriverConnection(session)
        prev_from, prev_to = previous_period(date_from, date_to)
        wanted = [prev_from + dt.timedelta(days=k) for k in range((date_to - prev_from).days + 1)]
        with self._lock:
            self._forget_changed(raw)
            missing = [d for d in wanted if d < today and d not in self._days]
            cold = len(missing) > self.COLD_DAYS
            if not cold:
                self._fill(raw, missing)
        if cold:
            return _dashboard(session, date_from, date_to)
        live = [d for d in wanted if d >= today]
        got = _days(raw, live[0], live[-1]) if live else {}
        with self._lock:
            self._forget_changed(raw)
            self._fill(raw, [d for d in wanted if d < today and d not in self._days])
            spans = []
            for period in (
                [d for d in wanted if d < date_from],
                [d for d in wanted if d >= date_from],
            ):
                span = self._span([d for d in period if d < today])
                fresh = [d for d in period if d >= today]
                if fresh:
                    span = span.copy()
                    for d in fresh:
                        span.add(d, got.get(d) or _Day())
                spans.append(span)
            before, now = spans
            return _assemble(
                raw, now, before, date_from, date_to, prev_from, prev_to,
                lambda upto: self._refs(raw, upto),
            )  # fmt: skip


def _days(raw: DriverConnection, first: dt.date, last: dt.date) -> dict[dt.date, _Day]:
    """The per-day figures of ``first``..``last`` (Bangkok dates), a statement per kind."""
    lo, hi = _bound(first), _bound(last + dt.timedelta(days=1))
    out: dict[str, _Day] = {}

    def day(text: str) -> _Day:
        got = out.get(text)
        if got is None:
            got = out[text] = _Day()
        return got

    sales = f"created_at >= ? AND created_at < ? AND status NOT IN {_NOT_SALES_SQL}"
    for d, channel, n, total in raw.execute(
        f"SELECT date(created_at, '{_SHIFT}'), channel, COUNT(*), SUM(total_satang) FROM orders"
        f" WHERE {sales} GROUP BY 1, 2",
        (lo, hi),
    ):
        day(d).channels[channel] = (n, total)
    for d, pid, gone_sku, sku, qty, total in raw.execute(
        f"SELECT date(o.created_at, '{_SHIFT}'), i.product_id,"
        " CASE WHEN i.product_id IS NULL THEN i.sku END, MAX(i.sku),"
        " SUM(i.quantity), SUM(i.line_total_satang)"
        " FROM orders o JOIN order_items i ON i.order_id = o.id"
        f" WHERE o.{sales.replace(' AND status', ' AND o.status')} GROUP BY 1, 2, 3",
        (lo, hi),
    ):
        day(d).products[(pid, gone_sku)] = (qty, total, sku)
    _take_refunds(raw, lo, hi, day)
    for d, ref in raw.execute(
        f"SELECT DISTINCT date(created_at, '{_SHIFT}'), conversation_ref FROM orders"
        f" WHERE {sales} AND conversation_ref <> ''",
        (lo, hi),
    ):
        day(d).refs.add(ref)
    # Per day and conversation: the shopper's first message; the shop's first (not a system
    # notice), whether the bot and a person wrote. Only conversations with one of these
    # count for anything (a day with only system notices changes no figure).
    convs: dict[tuple[str, int], list[Any]] = {}
    for d, cid, first_in in raw.execute(
        f"SELECT date(at, '{_SHIFT}'), conversation_id, MIN(at) FROM analytics_events"
        " WHERE kind = 'message_received' AND at >= ? AND at < ?"
        " AND conversation_id IS NOT NULL GROUP BY 1, 2",
        (lo, hi),
    ):
        convs[(d, cid)] = [first_in, None, False, False]
    for d, cid, first_out, bot, human in raw.execute(
        f"SELECT date(at, '{_SHIFT}'), conversation_id, MIN(at), MAX(data = {_BOT}),"
        f" MAX(data = {_HUMAN}) FROM analytics_events"
        " WHERE kind = 'message_sent' AND at >= ? AND at < ?"
        f" AND conversation_id IS NOT NULL AND data <> {_SYSTEM} GROUP BY 1, 2",
        (lo, hi),
    ):
        c = convs.get((d, cid))
        if c is None:
            convs[(d, cid)] = [None, first_out, bool(bot), bool(human)]
        else:
            c[1], c[2], c[3] = first_out, bool(bot), bool(human)
    # That day's first reply after its first shopper message: the day's first shop message
    # when it came after (nearly always); else read those conversations' messages again.
    again = {
        key: c[0]
        for key, c in convs.items()
        if c[0] is not None and c[1] is not None and c[1] < c[0]
    }
    replies: dict[tuple[str, int], str] = {}
    if again:
        for d, cid, at in raw.execute(
            f"SELECT date(at, '{_SHIFT}'), conversation_id, at FROM analytics_events"
            " WHERE kind = 'message_sent' AND at >= ? AND at < ?"
            f" AND data <> {_SYSTEM}"
            " AND conversation_id IN (SELECT value FROM json_each(?))",
            (min(again.values()), hi, json.dumps(sorted({cid for _d, cid in again}))),
        ):
            first_in = again.get((d, cid))
            if first_in is not None and at >= first_in:
                best = replies.get((d, cid))
                if best is None or at < best:
                    replies[(d, cid)] = at
    for (d, cid), (first_in, first_out, bot, human) in convs.items():
        if first_in is None or first_out is None:
            reply = None
        elif first_out >= first_in:
            reply = first_out
        else:
            reply = replies.get((d, cid))
        day(d).convs[cid] = (first_in, first_out, reply, bot, human)
    return {dt.date.fromisoformat(k): v for k, v in out.items()}


def _take_refunds(raw: DriverConnection, lo: str, hi: str, day: Callable[[str], _Day]) -> None:
    """Take the refunds made in [lo, hi) out of the days they were made on: the money from
    their orders' channels, the units and money from their products."""
    for d, channel, back in raw.execute(
        f"SELECT date(r.at, '{_SHIFT}'), o.channel, SUM(r.amount_satang) {_REFUNDED} GROUP BY 1, 2",
        (lo, hi),
    ):
        channels = day(d).channels
        n, total = channels.get(channel, (0, 0))
        channels[channel] = (n, total - back)
    for ln in returned_lines(raw, lo, hi):
        products = day(_local_day(ln.at)).products
        key = (ln.product_id, ln.sku if ln.product_id is None else None)
        qty, total, sku = products.get(key, (0, 0, ln.sku))
        products[key] = (qty - ln.quantity, total - ln.gross_satang, max(sku, ln.sku))


def _local_day(stored: str) -> str:
    """A stored UTC timestamp's Bangkok date, as SQLite's ``date(…, '+7 hours')`` writes it."""
    return (dt.datetime.fromisoformat(stored) + dt.timedelta(hours=7)).date().isoformat()


# Conversation ids by ref, refs by conversation id.
_Refs = tuple[dict[str, int], dict[int, str]]
# A period's conversation: (first shopper message, the shop's first reply after it, the bot
# wrote, a person wrote, the shop's first message (not system)).
_SpanConv = tuple[str | None, str | None, bool, bool, str | None]


@dataclass(slots=True)
class _Figures:
    """What a span's conversations come to, kept with the span."""

    ids: set[int]  # conversations (the shopper wrote)
    bot: set[int]  # …of them, the bot wrote in
    human: set[int]  # …a person wrote in
    waits: list[float]  # seconds to the first reply, sorted
    upto: int  # the highest conversation id


@dataclass(slots=True)
class _Span:
    """Days summed in order: what a period's figures are made of."""

    series: list[SalesPoint] = field(default_factory=list)
    channels: dict[str, list[int]] = field(default_factory=dict)
    products: dict[_ProductKey, list[Any]] = field(default_factory=dict)  # [qty, sales, sku]
    convs: dict[int, _SpanConv] = field(default_factory=dict)
    waits: dict[int, float] = field(default_factory=dict)  # conversation → seconds to reply
    refs: set[str] = field(default_factory=set)
    # A copy to fold today into: the kept span it was copied from, the conversations changed
    # since; the figures, worked out once (kept spans do not change).
    base: _Span | None = None
    touched: set[int] = field(default_factory=set)
    added_refs: set[str] = field(default_factory=set)
    _figures: _Figures | None = None
    _sold: set[int] | None = None

    def copy(self) -> _Span:
        """A span to fold more days into, leaving this one as it is."""
        return _Span(
            list(self.series),
            {k: list(v) for k, v in self.channels.items()},
            {k: list(v) for k, v in self.products.items()},
            dict(self.convs),
            dict(self.waits),
            set(self.refs),
            base=self,
        )

    def add(self, d: dt.date, day: _Day) -> None:
        """Fold in the next day (days come in date order)."""
        n = total = 0
        for ch, (cn, ct) in day.channels.items():
            n += cn
            total += ct
            c = self.channels.get(ch)
            if c is None:
                self.channels[ch] = [cn, ct]
            else:
                c[0] += cn
                c[1] += ct
        self.series.append(SalesPoint(dt.datetime.combine(d, dt.time(), BANGKOK), total, n))
        products = self.products
        for key, (qty, sales, sku) in day.products.items():
            p = products.get(key)
            if p is None:
                products[key] = [qty, sales, sku]
            else:
                p[0] += qty
                p[1] += sales
                if sku > p[2]:
                    p[2] = sku
        self.refs |= day.refs
        self._fold(day.convs, {})
        if self.base is not None:
            self.touched.update(day.convs)
            self.added_refs |= day.refs
        self._figures = self._sold = None

    def extend(self, later: _Span) -> None:
        """Fold in the sum of the days that follow (a kept span: not changed)."""
        self.series.extend(later.series)
        for ch, (cn, ct) in later.channels.items():
            c = self.channels.get(ch)
            if c is None:
                self.channels[ch] = [cn, ct]
            else:
                c[0] += cn
                c[1] += ct
        products = self.products
        for key, (qty, sales, sku) in later.products.items():
            p = products.get(key)
            if p is None:
                products[key] = [qty, sales, sku]
            else:
                p[0] += qty
                p[1] += sales
                if sku > p[2]:
                    p[2] = sku
        self.refs |= later.refs
        # The later days' conversations as one day's: (first shopper message, first shop
        # message, first reply after that shopper message, bot, person).
        self._fold(
            {cid: (f, fo, r, b, h) for cid, (f, r, b, h, fo) in later.convs.items()},
            later.waits,
        )
        self._figures = self._sold = None

    def _fold(self, later: Mapping[int, _DayConv], waited: Mapping[int, float]) -> None:
        """Fold in the conversations of the days that follow; ``waited`` has the seconds to
        the first reply worked out there (for a conversation whose first message is there)."""
        convs, waits = self.convs, self.waits
        for cid, (first_in, first_out, reply, bot, human) in later.items():
            cv = convs.get(cid)
            if cv is None:
                f, r, b, h, fo = None, None, False, False, None
            else:
                f, r, b, h, fo = cv
            if f is None:
                if first_in is not None:
                    f, r = first_in, reply
                    if r is not None and cid in waited and cid not in waits:
                        waits[cid] = waited[cid]
            elif r is None:
                r = first_out
            if r is not None and f is not None and cid not in waits:
                waits[cid] = max(0.0, (_parse(r) - _parse(f)).total_seconds())
            convs[cid] = (f, r, b or bot, h or human, fo if fo is not None else first_out)

    def figures(self) -> _Figures:
        if self._figures is not None:
            return self._figures
        convs = self.convs
        base = self.base
        if base is None:
            ids = {cid for cid, c in convs.items() if c[0] is not None}
            fig = _Figures(
                ids=ids,
                bot={cid for cid in ids if convs[cid][2]},
                human={cid for cid in ids if convs[cid][3]},
                waits=sorted(self.waits.values()),
                upto=max(convs, default=0),
            )
        else:
            # The kept span's figures and the conversations today changed (a conversation's
            # first message, the bot and a person writing are never undone by a later day).
            kept = base.figures()
            changed = [cid for cid in self.touched if convs[cid][0] is not None]
            waits = list(kept.waits)
            for cid in changed:
                if cid not in base.waits and cid in self.waits:
                    bisect.insort(waits, self.waits[cid])
            fig = _Figures(
                ids=kept.ids.union(changed),
                bot=kept.bot.union(cid for cid in changed if convs[cid][2]),
                human=kept.human.union(cid for cid in changed if convs[cid][3]),
                waits=waits,
                upto=max(kept.upto, max(self.touched, default=0)),
            )
        self._figures = fig
        return fig

    def sold(self, refs: _Refs) -> set[int]:
        """The span's conversations with a sale (not cancelled or refunded) in the span
        (``refs`` covers every conversation of the span)."""
        if self._sold is not None:
            return self._sold
        cid_of_ref, ref_of = refs
        ids = self.figures().ids
        base = self.base
        if base is None:
            sold = ids.intersection([cid_of_ref[r] for r in self.refs if r in cid_of_ref])
        else:
            # The kept span's; conversations with a sale today; conversations that began
            # today (in this period) with a sale on an earlier day of it.
            kept_ids = base.figures().ids
            sold = base.sold(refs).union(
                ids.intersection(
                    [cid_of_ref[r] for r in self.added_refs - base.refs if r in cid_of_ref]
                ),
                [
                    cid
                    for cid in self.touched
                    if cid in ids and cid not in kept_ids and ref_of.get(cid) in self.refs
                ],
            )
        self._sold = sold
        return sold


def _median(values: list[float]) -> float | None:
    """The median of sorted ``values`` (as :func:`statistics.median` computes it)."""
    n = len(values)
    if not n:
        return None
    i = n // 2
    return values[i] if n % 2 else (values[i - 1] + values[i]) / 2


def _assemble(
    raw: DriverConnection,
    now: _Span,
    before: _Span,
    date_from: dt.date,
    date_to: dt.date,
    prev_from: dt.date,
    prev_to: dt.date,
    refs: Callable[[int], _Refs],
) -> DashboardData:
    """The dashboard from summed days: the same numbers :func:`_dashboard` reads directly."""
    lo, hi = _bound(date_from), _bound(date_to + dt.timedelta(days=1))
    plo = _bound(prev_from)
    channels = tuple(
        ChannelShare(ch, *now.channels.get(ch, (0, 0)))
        for ch in (*CHANNELS, *sorted(set(now.channels) - set(CHANNELS)))
    )
    ranked = sorted(now.products.items(), key=lambda kv: (-kv[1][1], -kv[1][0], kv[1][2]))
    top = _named(raw, [(*key, v[2], v[0], v[1]) for key, v in ranked[:TOP_N]], lo, hi)
    new_now, new_before = _new_customers(raw, plo, lo, hi)

    fig, fig_before = now.figures(), before.figures()
    maps = refs(max(fig.upto, fig_before.upto))
    sold = now.sold(maps)
    escalated, resolved, taken = _marked(raw, lo, hi, fig.bot)
    handed = fig.bot & (fig.human | taken | escalated)
    closed = (fig.bot - handed) & (sold | resolved)
    bot = BotPerformance(
        conversations=len(fig.bot),
        closed_by_bot=len(closed),
        handed_off=len(handed),
        answered=len(fig.waits),
        unanswered=len(fig.ids) - len(fig.waits),
        first_response_median_s=_median(fig.waits),
    )
    orders_before = sum(c[0] for c in before.channels.values())
    sales_before = sum(c[1] for c in before.channels.values())
    return DashboardData(
        date_from=date_from,
        date_to=date_to,
        previous_from=prev_from,
        previous_to=prev_to,
        current=Kpis(sum(p.sales_satang for p in now.series), sum(p.orders for p in now.series),
                     new_now, len(fig.ids), len(sold)),
        previous=Kpis(sales_before, orders_before, new_before, len(fig_before.ids),
                      len(before.sold(maps))),
        bucket="day",
        series=tuple(now.series),
        top_products=top,
        channels=channels,
        bot=bot,
    )  # fmt: skip
