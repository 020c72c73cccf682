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
import json
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

from sqlalchemy.orm import Session

from minichat_desktop.domain.db import Database, DriverConnection
from minichat_desktop.domain.errors import UserError
from minichat_desktop.domain.shop import BANGKOK, bangkok_today

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

NOT_SALES: Final = ("cancelled", "refunded")
CHANNELS: Final = ("widget", "line", "pos", "manual")
TOP_N: Final = 10
MAX_DAYS: Final = 3 * 366
# Bangkok has kept UTC+7 without daylight saving since 1920: a fixed shift is exact.
_SHIFT: Final = "+7 hours"
_NOT_SALES_SQL: Final = "('cancelled', 'refunded')"
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
    session_or_db: Session | Database,
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
    if isinstance(session_or_db, Database):
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
        " ORDER BY 5 DESC, 4 DESC, 2 LIMIT ?",
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
    ranks = []
    for pid, sku, name, qty, total in rows:
        shown_sku, shown_name = current.get(pid, (sku, name))
        ranks.append(ProductRank(pid, shown_sku, shown_name, qty, total))
    return tuple(ranks)


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
        f"""
        SELECT conversation_id, at >= :lo,
            MIN(CASE WHEN kind = 'message_received' THEN at END),
            MAX(kind = 'message_sent' AND data = {_BOT}),
            MAX(kind = 'message_sent' AND data = {_HUMAN})
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
            f"""
            WITH first_in AS (
                SELECT conversation_id AS cid, MIN(at) AS at FROM analytics_events
                WHERE kind = 'message_received' AND at >= :lo AND at < :hi
                  AND conversation_id IS NOT NULL
                GROUP BY 1
            )
            SELECT f.cid, MIN(e.at) FROM analytics_events e JOIN first_in f
              ON f.cid = e.conversation_id AND e.at >= f.at
            WHERE e.kind = 'message_sent' AND e.at >= :lo AND e.at < :hi
              AND e.data <> {_SYSTEM}
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


# ---------------------------------------------------------------------------- the day cache


@dataclass(slots=True)
class _Day:
    """One Bangkok day's figures, the pieces every range is summed from."""

    channels: dict[str, list[int]] = field(default_factory=dict)  # channel → [orders, sales]
    # (product id, sku when the product is gone) → [quantity, sales, sku, name]
    products: dict[tuple[int | None, str | None], list[Any]] = field(default_factory=dict)
    # conversation → [first shopper message, first shop message (not system), first shop
    # message after that day's first shopper message, the bot wrote, a person wrote]
    convs: dict[int, list[Any]] = field(default_factory=dict)
    refs: set[str] = field(default_factory=set)  # conversations with a sale that day


class DashboardCache:
    """The figures of closed days (before today), kept between refreshes.

    A cold cache answers directly (as without a cache) while more than :attr:`COLD_DAYS`
    days are missing; :meth:`warm` then reads them, and later calls cost only what changed.

    Each call first reads four marks (the highest ids of orders, order events and analytics
    events, the lowest analytics event id) and forgets exactly the days touched since the last
    call: the days of new or changed orders (every change to an order writes an order event)
    and of new messages (their events' dates, also late ones delivered after a night
    offline). Purged events, or marks older than :attr:`MAX_AGE`, clear everything. Today is
    always read afresh. Thread-safe (screens refresh from a worker pool)."""

    MAX_AGE_S: Final = 1800.0

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._days: dict[dt.date, _Day] = {}
        self._marks: tuple[int, ...] | None = None
        self._since = 0.0
        # Sums of runs of closed days (a period's closed part), valid while no day changes.
        self._spans: dict[tuple[dt.date, dt.date], _Span] = {}
        # Conversation refs never change: kept, and read only for conversations not seen yet.
        self._refs: dict[int, str] = {}
        self._refs_upto = 0

    def clear(self) -> None:
        with self._lock:
            self._days.clear()
            self._spans.clear()
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
        if old is None or marks[3] != old[3] or time.monotonic() - self._since > self.MAX_AGE_S:
            self._days.clear()
            self._spans.clear()
            self._since = time.monotonic()
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
            if marks[2] > old[2]:
                stale.update(r[0] for r in raw.execute(
                    f"SELECT DISTINCT date(at, '{_SHIFT}') FROM analytics_events WHERE id > ?",
                    (old[2],),
                ))  # fmt: skip
            dropped = [d for d in map(dt.date.fromisoformat, stale) if d in self._days]
            for d in dropped:
                del self._days[d]
            if dropped:
                self._spans = {k: v for k, v in self._spans.items() if not any(
                    k[0] <= d <= k[1] for d in dropped)}  # fmt: skip
        self._marks = marks

    def _span(self, days: list[dt.date]) -> _Span:
        """The sum of consecutive closed days (kept: do not change what is returned)."""
        if not days:
            return _Span()
        key = (days[0], days[-1])
        span = self._spans.get(key)
        if span is None:
            span = _Span()
            for d in days:
                span.add(d, self._days[d])
            self._spans[key] = span
        return span

    def _refs_of(self, raw: DriverConnection, ids: list[int]) -> dict[int, str]:
        if any(cid > self._refs_upto for cid in ids):
            for cid, ref in raw.execute(
                "SELECT id, ref FROM conversations WHERE id > ?", (self._refs_upto,)
            ):
                self._refs[cid] = ref
                self._refs_upto = max(self._refs_upto, cid)
        return self._refs

    # Reading days one by one costs more than the direct statements: with more than this many
    # days not cached, :meth:`dashboard` answers directly and :meth:`warm` fills the cache.
    COLD_DAYS: Final = 7

    def missing(self, date_from: dt.date, date_to: dt.date, today: dt.date) -> int:
        """How many closed days of the range (and the period before) are not cached."""
        prev_from, _ = previous_period(date_from, date_to)
        with self._lock:
            return sum(
                1
                for k in range((date_to - prev_from).days + 1)
                if (d := prev_from + dt.timedelta(days=k)) < today and d not in self._days
            )

    def warm(
        self, session: Session, date_from: dt.date, date_to: dt.date, today: dt.date | None = None
    ) -> int:
        """Read the closed days of the range (and the period before) not cached yet; returns
        how many were read. For a screen to call off the UI thread after its first answer."""
        raw = DriverConnection(session)
        today = today or bangkok_today()
        prev_from, _ = previous_period(date_from, date_to)
        wanted = [prev_from + dt.timedelta(days=k) for k in range((date_to - prev_from).days + 1)]
        with self._lock:
            self._forget_changed(raw)
            return self._fill(raw, [d for d in wanted if d < today and d not in self._days])

    def _fill(self, raw: DriverConnection, missing: list[dt.date]) -> int:
        if missing:
            read = _days(raw, missing[0], missing[-1])
            for d in missing:
                self._days[d] = read.get(d) or _Day()
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
                lambda ids: self._refs_of(raw, ids),
            )  # fmt: skip


def _days(raw: DriverConnection, first: dt.date, last: dt.date) -> dict[dt.date, _Day]:
    """The per-day figures of ``first``..``last`` (Bangkok dates), a statement per kind."""
    lo, hi = _bound(first), _bound(last + dt.timedelta(days=1))
    out: dict[dt.date, _Day] = {}

    def day(text: str) -> _Day:
        d = dt.date.fromisoformat(text)
        got = out.get(d)
        if got is None:
            got = out[d] = _Day()
        return got

    sales = f"created_at >= ? AND created_at < ? AND status NOT IN {_NOT_SALES_SQL}"
    for d, channel, n, total in raw.execute(
        f"SELECT date(created_at, '{_SHIFT}'), channel, COUNT(*), SUM(total_satang) FROM orders"
        f" WHERE {sales} GROUP BY 1, 2",
        (lo, hi),
    ):
        day(d).channels[channel] = [n, total]
    for d, pid, gone_sku, sku, name, qty, total in raw.execute(
        f"SELECT date(o.created_at, '{_SHIFT}'), i.product_id,"
        " CASE WHEN i.product_id IS NULL THEN i.sku END, MAX(i.sku), MAX(i.name),"
        " SUM(i.quantity), SUM(i.line_total_satang)"
        " FROM orders o JOIN order_items i ON i.order_id = o.id"
        f" WHERE o.{sales.replace(' AND status', ' AND o.status')} GROUP BY 1, 2, 3",
        (lo, hi),
    ):
        day(d).products[(pid, gone_sku)] = [qty, total, sku, name]
    for d, ref in raw.execute(
        f"SELECT date(created_at, '{_SHIFT}'), conversation_ref FROM orders"
        f" WHERE {sales} AND conversation_ref <> ''",
        (lo, hi),
    ):
        day(d).refs.add(ref)
    for d, cid, first_in, first_out, bot, human in raw.execute(
        f"""
        SELECT date(at, '{_SHIFT}'), conversation_id,
            MIN(CASE WHEN kind = 'message_received' THEN at END),
            MIN(CASE WHEN kind = 'message_sent'
                AND data <> {_SYSTEM} THEN at END),
            MAX(kind = 'message_sent' AND data = {_BOT}),
            MAX(kind = 'message_sent' AND data = {_HUMAN})
        FROM analytics_events
        WHERE kind IN ('message_received', 'message_sent') AND at >= ? AND at < ?
          AND conversation_id IS NOT NULL
        GROUP BY 1, 2
        """,
        (lo, hi),
    ):
        day(d).convs[cid] = [first_in, first_out, None, bool(bot), bool(human)]
    for d, cid, reply in raw.execute(
        f"""
        WITH first_in AS (
            SELECT date(at, '{_SHIFT}') AS d, conversation_id AS cid, MIN(at) AS at
            FROM analytics_events
            WHERE kind = 'message_received' AND at >= :lo AND at < :hi
              AND conversation_id IS NOT NULL
            GROUP BY 1, 2
        )
        SELECT f.d, f.cid, MIN(e.at) FROM analytics_events e JOIN first_in f
          ON f.cid = e.conversation_id AND e.at >= f.at AND date(e.at, '{_SHIFT}') = f.d
        WHERE e.kind = 'message_sent' AND e.at >= :lo AND e.at < :hi
          AND e.data <> {_SYSTEM}
        GROUP BY 1, 2
        """,
        {"lo": lo, "hi": hi},
    ):
        day(d).convs[cid][2] = reply
    return out


@dataclass(slots=True)
class _Span:
    """Days summed in order: what a period's figures are made of."""

    series: list[SalesPoint] = field(default_factory=list)
    channels: dict[str, list[int]] = field(default_factory=dict)
    products: dict[tuple[int | None, str | None], list[Any]] = field(default_factory=dict)
    # conversation → [first shopper message, the shop's first reply after it, bot, human]
    convs: dict[int, list[Any]] = field(default_factory=dict)
    waits: dict[int, float] = field(default_factory=dict)  # conversation → seconds to reply
    refs: set[str] = field(default_factory=set)
    shared: bool = False  # convs' lists belong to the span this was copied from
    owned: set[int] = field(default_factory=set)  # …except these, copied since

    def copy(self) -> _Span:
        """A span to fold more days into, leaving this one as it is. Conversations are
        copied when a later day changes them (a year holds tens of thousands)."""
        return _Span(
            list(self.series),
            {k: list(v) for k, v in self.channels.items()},
            {k: list(v) for k, v in self.products.items()},
            dict(self.convs),
            dict(self.waits),
            set(self.refs),
            shared=True,
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
        for key, (qty, sales, sku, name) in day.products.items():
            p = products.get(key)
            if p is None:
                products[key] = [qty, sales, sku, name]
            else:
                p[0] += qty
                p[1] += sales
                if sku > p[2]:
                    p[2] = sku
                if name > p[3]:
                    p[3] = name
        self.refs |= day.refs
        convs = self.convs
        for cid, (first_in, first_out, reply, bot, human) in day.convs.items():
            cv: list[Any] | None = convs.get(cid)
            if cv is None:
                cv = [None, None, False, False]
                convs[cid] = cv
                self.owned.add(cid)
            elif self.shared and cid not in self.owned:
                convs[cid] = cv = list(cv)
                self.owned.add(cid)
            if cv[0] is None:
                if first_in is not None:
                    cv[0], cv[1] = first_in, reply
            elif cv[1] is None:
                cv[1] = first_out
            if cv[1] is not None and cid not in self.waits and cv[0] is not None:
                wait = (_parse(cv[1]) - _parse(cv[0])).total_seconds()
                self.waits[cid] = max(0.0, wait)
            cv[2] = cv[2] or bot
            cv[3] = cv[3] or human


def _shown(
    names: dict[int, tuple[str, str]], pid: int | None, sku: str, name: str
) -> tuple[str, str]:
    """A product's SKU and name as they are today (as sold, when it is gone)."""
    return names.get(pid, (sku, name)) if pid is not None else (sku, name)


def _assemble(
    raw: DriverConnection,
    now: _Span,
    before: _Span,
    date_from: dt.date,
    date_to: dt.date,
    prev_from: dt.date,
    prev_to: dt.date,
    refs_of: Callable[[list[int]], dict[int, str]],
) -> DashboardData:
    """The dashboard from summed days: the same numbers :func:`_dashboard` reads directly."""
    lo, hi = _bound(date_from), _bound(date_to + dt.timedelta(days=1))
    plo = _bound(prev_from)
    channels = tuple(
        ChannelShare(ch, *now.channels.get(ch, (0, 0)))
        for ch in (*CHANNELS, *sorted(set(now.channels) - set(CHANNELS)))
    )
    ranked = sorted(now.products.items(), key=lambda kv: (-kv[1][1], -kv[1][0], kv[1][2]))
    ranked = ranked[:TOP_N]
    ids = [key[0] for key, _ in ranked if key[0] is not None]
    names: dict[int, tuple[str, str]] = {}
    if ids:
        marks = ", ".join("?" * len(ids))
        names = {
            pid: (sku, name)
            for pid, sku, name in raw.execute(
                f"SELECT id, sku, name_th FROM products WHERE id IN ({marks})", ids
            )
        }
    top = tuple(
        ProductRank(key[0], *_shown(names, key[0], v[2], v[3]), v[0], v[1]) for key, v in ranked
    )

    new_now = new_before = 0
    for cur, n in raw.execute(
        "SELECT created_at >= ?, COUNT(*) FROM customers"
        " WHERE created_at >= ? AND created_at < ? AND merged_into_id IS NULL GROUP BY 1",
        (lo, plo, hi),
    ):
        if cur:
            new_now = n
        else:
            new_before = n

    ids_now = [cid for cid, c in now.convs.items() if c[0] is not None]
    ids_before = [cid for cid, c in before.convs.items() if c[0] is not None]
    refs = refs_of(ids_now + ids_before)
    get_ref = refs.get
    now_refs, before_refs = now.refs, before.refs
    converted_before = sum(get_ref(cid, "") in before_refs for cid in ids_before)
    # Only what can make a chat handed off or closed: a status or a takeover in the range.
    marked = {
        cid: (status, taken)
        for cid, status, taken in raw.execute(
            "SELECT id, status, taken_over_at FROM conversations"
            " WHERE status IN ('escalated', 'resolved')"
            " OR (taken_over_at >= ? AND taken_over_at < ?)",
            (lo, hi),
        )
    }
    unmarked = ("", None)
    converted_now = n_bot = closed = handed = 0
    convs = now.convs
    for cid in ids_now:
        c = convs[cid]
        converted = get_ref(cid, "") in now_refs
        converted_now += converted
        if not c[2]:
            continue
        n_bot += 1
        status, taken = marked.get(cid, unmarked)
        if c[3] or (taken is not None and lo <= taken < hi) or status == "escalated":
            handed += 1
        elif converted or status == "resolved":
            closed += 1
    waits = list(now.waits.values())
    bot = BotPerformance(
        conversations=n_bot,
        closed_by_bot=closed,
        handed_off=handed,
        answered=len(waits),
        unanswered=len(ids_now) - len(waits),
        first_response_median_s=statistics.median(waits) if waits else None,
    )
    orders_before = sum(c[0] for c in before.channels.values())
    sales_before = sum(c[1] for c in before.channels.values())
    return DashboardData(
        date_from=date_from,
        date_to=date_to,
        previous_from=prev_from,
        previous_to=prev_to,
        current=Kpis(sum(p.sales_satang for p in now.series), sum(p.orders for p in now.series),
                     new_now, len(ids_now), converted_now),
        previous=Kpis(sales_before, orders_before, new_before, len(ids_before), converted_before),
        bucket="day",
        series=tuple(now.series),
        top_products=top,
        channels=channels,
        bot=bot,
    )  # fmt: skip
