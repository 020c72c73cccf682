"""What one relay process counts for Prometheus, and the LINE client that times its calls.

The figures are served in Prometheus' text format on a listener of their own
(``serve --metrics-port``, 127.0.0.1 by default), never on the public port. One registry per
process (no module-level metrics), so a test can run several hubs in one interpreter.

Label values come from small fixed sets (channel, direction, call, result, limit, kind,
store), except the shop id of the stream depth: that gauge shows only the ``MAX_SHOP_SERIES``
shops furthest behind (with nothing pending a shop has no series), so a relay of 10,000 shops
exports at most that many series; the totals over all shops come beside it.
"""

from __future__ import annotations

import bisect
import itertools
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_PLAIN_0_0_4,
    CollectorRegistry,
    Counter,
    Histogram,
    Info,
    ProcessCollector,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
    SummaryMetricFamily,
)
from prometheus_client.registry import Collector

from relay import line as ln

PREFIX = "minichat_relay"
MAX_SHOP_SERIES = 50
# The format every Prometheus since 2.0 reads (our names need none of 1.0.0's escaping).
CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4

# No "<name>_created" series beside each counter: they double the output and Prometheus
# ignores them in the text format. (The switch is the library's, for the whole process: the
# relay's only user of it.)
disable_created_metrics()  # type: ignore[no-untyped-call]  # (the library leaves it unannotated)

# LINE's API answers in tens of milliseconds from Thailand; a slow push takes seconds.
LINE_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
# A webhook is acknowledged after one group commit: a few milliseconds.
ACK_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
# A COMMIT: well under a millisecond on SQLite (no fsync in WAL mode with synchronous=NORMAL),
# one WAL flush and a network round trip on PostgreSQL (about 1-5 ms on a local disk).
COMMIT_BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5)
# From another process's COMMIT to this one having handled its notification: milliseconds.
NOTIFY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0)
# What the relay processes tell each other on the shared store (relay/server.py, on_remote):
# the ``kind`` label of the notifications received; anything else counts as "other".
NOTIFICATION_KINDS = ("stream", "msg", "frame", "desk", "desktop", "line", "config", "resync")

# The last part of a LINE API path → the ``call`` label (anything else: "other").
_CALLS = {
    "reply": "reply",
    "push": "push",
    "start": "loading",
    "quota": "quota",
    "consumption": "consumption",
}


def call_label(url: str) -> str:
    """The ``call`` label of a LINE API URL (a profile's path ends with the user's id)."""
    if "/v2/bot/profile/" in url:
        return "profile"
    return _CALLS.get(url.rstrip("/").rsplit("/", 1)[-1], "other")


@dataclass(frozen=True, slots=True)
class LiveFigures:
    """What the process holds right now, read at each scrape."""

    desktops: int = 0
    widgets: int = 0
    depth: dict[str, int] = field(default_factory=dict)  # shop id -> stream items not acked
    draining: bool = False
    rows_written: int = 0  # store rows inserted, updated or deleted by this process
    store: str = "sqlite"  # or "postgresql": the ``store`` label
    store_up: bool = True  # the store answered a query at this scrape
    # PostgreSQL: shop transaction locks taken, seconds waited for them (None on SQLite)
    lock_wait: tuple[int, float] | None = None
    # SQLite: the WAL file's size now, and the times it was started over (None on PostgreSQL)
    wal: tuple[int, int] | None = None


def line_result(status: int | None) -> str:
    """The ``result`` label of a LINE answer (None: no answer at all)."""
    if status is None:
        return "error"
    if 200 <= status < 300:
        return "ok"
    if status == 409:
        return "duplicate"  # the retry key was accepted before: the messages went once
    if status == 429:
        return "rate_limited"
    return "client_error" if status < 500 else "server_error"


class _Live(Collector):
    def __init__(self, read: Callable[[], LiveFigures]) -> None:
        self._read = read

    def collect(self) -> Iterator[Metric]:
        live = self._read()
        sockets = GaugeMetricFamily(
            f"{PREFIX}_open_sockets", "WebSockets open, by kind", labels=["kind"]
        )
        sockets.add_metric(["desktop"], live.desktops)
        sockets.add_metric(["widget"], live.widgets)
        yield sockets
        behind = sorted(((n, s) for s, n in live.depth.items() if n > 0), reverse=True)
        depth = GaugeMetricFamily(
            f"{PREFIX}_stream_depth",
            f"Stream items the shop's desktop has not acknowledged (the {MAX_SHOP_SERIES} "
            "shops furthest behind; none for a shop with nothing pending)",
            labels=["shop"],
        )
        for n, shop in behind[:MAX_SHOP_SERIES]:
            depth.add_metric([shop], n)
        yield depth
        yield GaugeMetricFamily(
            f"{PREFIX}_stream_items",
            "Stream items not acknowledged, all shops together",
            value=sum(n for n, _ in behind),
        )
        yield GaugeMetricFamily(
            f"{PREFIX}_shops_behind",
            "Shops whose desktop has stream items to acknowledge",
            value=len(behind),
        )
        yield GaugeMetricFamily(
            f"{PREFIX}_draining",
            "1 once SIGTERM was received (/readyz answers 503), else 0",
            value=1 if live.draining else 0,
        )
        yield GaugeMetricFamily(
            f"{PREFIX}_store_up",
            "1 when the store (SQLite file or PostgreSQL) answered a query at this scrape, else 0",
            value=1 if live.store_up else 0,
        )
        rows = CounterMetricFamily(
            f"{PREFIX}_store_rows_written",
            "Rows this process inserted, updated or deleted in its store, by store (sqlite, "
            "postgresql): what each relayed message costs the database",
            labels=["store"],
        )
        rows.add_metric([live.store], live.rows_written)
        yield rows
        if live.lock_wait is not None:
            yield SummaryMetricFamily(
                f"{PREFIX}_store_lock_wait_seconds",
                "Time this process waited for shops' transaction locks on the shared store "
                "(count: locks taken): how much the relay processes hold each other up",
                count_value=live.lock_wait[0],
                sum_value=live.lock_wait[1],
            )
        if live.wal is not None:
            yield GaugeMetricFamily(
                f"{PREFIX}_sqlite_wal_bytes",
                "Size of the SQLite WAL file (relay.sqlite3-wal) now: started over near 512 MB"
                " under steady traffic; growing past that, something holds it (a long backup)",
                value=live.wal[0],
            )
            yield CounterMetricFamily(
                f"{PREFIX}_sqlite_wal_rewinds",
                "Times this process started the SQLite WAL over while traffic never paused"
                " (each one a pause of the event loop of a few fsyncs)",
                value=live.wal[1],
            )
        if live.store == "sqlite":  # the older name of the same figure (bench/relay reads it)
            yield CounterMetricFamily(
                f"{PREFIX}_sqlite_rows_written",
                "Rows this process inserted, updated or deleted in its SQLite store (SQLite's "
                "own total_changes; the same as store_rows_written)",
                value=live.rows_written,
            )


class Timings:
    """A histogram of durations in plain numbers, for a path that times every pass (each
    commit) without the lock of a library histogram; exported by :class:`_Timings`."""

    def __init__(self, bounds: tuple[float, ...]) -> None:
        self.bounds = bounds
        self.counts = [0] * (len(bounds) + 1)  # per bucket (not cumulative), the last +Inf
        self.sum = 0.0

    def observe(self, seconds: float) -> None:
        self.sum += seconds
        self.counts[bisect.bisect_left(self.bounds, seconds)] += 1  # the first bound >= it


class _Timings(Collector):
    """A histogram family with one series per label value, from :class:`Timings`."""

    def __init__(self, name: str, doc: str, label: str, timings: dict[str, Timings]) -> None:
        self._name, self._doc, self._label, self._timings = name, doc, label, timings

    def collect(self) -> Iterator[Metric]:
        family = HistogramMetricFamily(self._name, self._doc, labels=[self._label])
        for value, t in list(self._timings.items()):
            cumulative = list(itertools.accumulate(t.counts))
            les = [str(b) for b in t.bounds] + ["+Inf"]  # (as the library writes them)
            family.add_metric([value], list(zip(les, cumulative, strict=True)), t.sum)
        yield family


class _Messages(Collector):
    """``messages_total`` by channel and direction, from the counts the relay keeps."""

    def __init__(self, counts: dict[tuple[str, str], int]) -> None:
        self._counts = counts

    def collect(self) -> Iterator[Metric]:
        family = CounterMetricFamily(
            f"{PREFIX}_messages",
            "Messages stored, by channel (widget, line, messenger, instagram) and direction "
            "(in: from shoppers, out: from the shop)",
            labels=["channel", "direction"],
        )
        for (channel, direction), n in list(self._counts.items()):
            family.add_metric([channel, direction], n)
        yield family


class Metrics:
    """The counters and histograms of one relay process."""

    def __init__(self, read_live: Callable[[], LiveFigures] | None = None) -> None:
        r = self.registry = CollectorRegistry()  # _Live is read only at scrapes
        self.line_calls = Counter(
            f"{PREFIX}_line_api_calls",
            "Requests to LINE's API, by call and result",
            ["call", "result"],
            registry=r,
        )
        self.line_seconds = Histogram(
            f"{PREFIX}_line_api_seconds",
            "Time LINE's API took to answer, by call",
            ["call"],
            buckets=LINE_BUCKETS,
            registry=r,
        )
        self.webhook_ack = Histogram(
            f"{PREFIX}_webhook_ack_seconds",
            "From a LINE webhook's request to its 200 (stored and committed)",
            buckets=ACK_BUCKETS,
            registry=r,
        )
        self.refusals = Counter(
            f"{PREFIX}_rate_limited",
            "Actions refused by a rate limit, by limit",
            ["limit"],
            registry=r,
        )
        build = Info(
            f"{PREFIX}_build", "This relay's version and the table layouts it knows", registry=r
        )
        build.info(_build_labels())
        self.commit_failures = Counter(
            f"{PREFIX}_commit_failures", "Store commits that failed", registry=r
        )
        # one observation per commit: plain numbers, read at each scrape (_Timings)
        self._commit_timings: dict[str, Timings] = {}
        r.register(
            _Timings(
                f"{PREFIX}_store_commit_seconds",
                "How long a group commit's COMMIT took, by store (sqlite, postgresql; failed "
                "commits are in commit_failures instead)",
                "store",
                self._commit_timings,
            )
        )
        self.notification_lag = Histogram(
            f"{PREFIX}_store_notification_lag_seconds",
            "PostgreSQL store: from the COMMIT on another relay process that sent a "
            "notification to this process having handled it (the sender's clock against this "
            "one's: keep the machines on NTP)",
            buckets=NOTIFY_BUCKETS,
            registry=r,
        )
        self.notifications = Counter(
            f"{PREFIX}_store_notifications_received",
            "PostgreSQL store: notifications from the other relay processes, by kind",
            ["kind"],
            registry=r,
        )
        # Messages stored, by (channel, direction): plain counts read at each scrape (the
        # per-message path only adds one, without the lock of a library counter; the series
        # exist from the start, at 0, so rates have no gaps)
        self.message_counts = {
            (channel, direction): 0
            for channel in ("widget", "line", "messenger", "instagram")
            for direction in ("in", "out")
        }
        r.register(_Messages(self.message_counts))
        if read_live is not None:
            r.register(_Live(read_live))
        ProcessCollector(registry=r)  # memory, CPU, open file descriptors (Linux)

    def message(self, conversation: str, direction: str) -> None:
        """Count one message stored in ``conversation`` ("widget:…", "line:…")."""
        key = (conversation.partition(":")[0], direction)
        counts = self.message_counts
        if key not in counts:
            key = ("other", direction)
        counts[key] = counts.get(key, 0) + 1

    def commit_timing(self, store: str) -> Timings:
        """Where the commits on ``store`` (its label) are timed; its series exist from now."""
        return self._commit_timings.setdefault(store, Timings(COMMIT_BUCKETS))

    def refused(self, limit: str) -> Callable[[], None]:
        """A callback counting one refusal of ``limit`` (for RateLimiter's ``on_refuse``)."""
        child = self.refusals.labels(limit)
        child.inc(0)
        return child.inc

    def line_call(self, call: str, status: int | None, seconds: float) -> None:
        self.line_calls.labels(call, line_result(status)).inc()
        self.line_seconds.labels(call).observe(seconds)

    def notified(self, kind: str, sent_at: object, *, now: float) -> None:
        """Count one notification of ``kind`` handled at ``now`` (time.time()); ``sent_at``
        is the sender's time from its payload (absent in older relays' and synthetic ones)."""
        self.notifications.labels(kind if kind in NOTIFICATION_KINDS else "other").inc()
        if isinstance(sent_at, int | float) and not isinstance(sent_at, bool):
            self.notification_lag.observe(max(0.0, now - float(sent_at)))

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


class MeteredLineClient(ln.LineClient):
    """LineClient counting every call by result and timing it."""

    def __init__(self, metrics: Metrics) -> None:
        super().__init__()
        self.metrics = metrics

    async def _call(self, method: str, url: str, *args: Any, **kwargs: Any) -> ln.LineResult:
        call = call_label(url)
        started = time.perf_counter()
        status: int | None = None
        try:
            res = await super()._call(method, url, *args, **kwargs)
            status = res.status
            return res
        finally:
            self.metrics.line_call(call, status, time.perf_counter() - started)

    async def content(self, token: str, message_id: str, max_bytes: int) -> bytes:
        started = time.perf_counter()
        status: int | None = None
        try:
            data = await super().content(token, message_id, max_bytes)
            status = 200
            return data
        except LookupError:
            status = 404  # LINE no longer has it, or sent it cut off
            raise
        finally:
            self.metrics.line_call("content", status, time.perf_counter() - started)


def _build_labels() -> dict[str, str]:
    """The build_info labels; the PostgreSQL layout only when this process uses that store
    (its module is loaded then: the metric does not load psycopg into a SQLite relay)."""
    from relay import version

    pg = version.postgresql_schema() if "relay.pg_schema" in sys.modules else None
    return {
        "version": version.version(),
        "sqlite_schema": str(version.sqlite_schema()),
        "postgresql_schema": str(pg) if pg else "",
    }
