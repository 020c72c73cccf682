"""The relay's HTTP + WebSocket server (aiohttp.web; see docs/adr/0001-relay-server.md).

One :class:`Hub` per process holds the store and the live connections. Durability rule: a
peer is told "accepted", and a message is forwarded, only after the commit that stored it
(group commit: every write made in one event-loop turn shares one COMMIT).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import logging
import math
import shutil
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import aiohttp
from aiohttp import web

from relay import fastframes as ff
from relay import line as ln
from relay import line_images as li
from relay import protocol as p
from relay.bodies import BodyTooLarge
from relay.images import ImageRejected, check_image
from relay.meta_hub import MetaHub, is_meta
from relay.metrics import LiveFigures, MeteredLineClient, Metrics
from relay.notes import RecentNotes
from relay.profiles import CHANNELS as PROFILE_CHANNELS
from relay.profiles import HttpPlatform, ProfileFetcher
from relay.protocol.connection import CloseCode, RelaySide
from relay.ratelimit import RateLimiter
from relay.storage import (
    LineBatch,
    LineCredentials,
    NotFound,
    OutboxItem,
    Store,
    StoreError,
    now_iso,
    stream_message,
)

log = logging.getLogger("relay")

# Names kept for the code that closes sockets outside a connection machine; the codes are
# relay.protocol.connection.CloseCode, the one list both sides use.
CLOSE_REPLACED = CloseCode.REPLACED
CLOSE_UNAUTHORIZED = CloseCode.UNAUTHORIZED
CLOSE_UNSUPPORTED = CloseCode.UNSUPPORTED
CLOSE_POLICY = CloseCode.POLICY
NO_LINE = "ร้านนี้ยังไม่ได้ตั้งค่า LINE / LINE is not set up for this shop"
MAX_OUT_QUEUE = 2000  # frames waiting for a slow widget before we drop it
DESKTOP_PAGE = 500  # stream items queued to a desktop at a time (the next when written)
DESKTOP_KEPT = 20 * DESKTOP_PAGE  # committed items kept in memory for a desktop, at most
WRITE_BATCH_BYTES = 64 * 1024  # one socket write carries up to this much of its queue
LOADING_EVERY = 5.0  # seconds between two of LINE's loading animations in a conversation
REMOTE_DESKTOP_EVERY = 3  # watch_shops turns (seconds) between checks of desktops elsewhere
LINE_TAKEOVER_EVERY = 5.0  # seconds between tries to take over another process's LINE sending
PING_SWEEP = 5.0  # seconds between the relay's looks at its sockets' silence (Hub.watch_sockets)


@dataclass(frozen=True, slots=True)
class Liveness:
    """When a silent socket is pinged, and when it is closed if it still says nothing, in
    sweeps of ``PING_SWEEP`` seconds: what aiohttp's heartbeat did with a timer per socket,
    reset for every chunk received (docs/protocol.md: a desktop silent for 25–30 s, a widget
    for 40–45 s, is pinged: the silence is counted in whole sweeps)."""

    ping_after: int  # sweeps without a frame from the peer before the ping
    give_up_after: int  # more sweeps without one (its pong) before the socket is closed


DESKTOP_LIVENESS = Liveness(6, 3)  # a ping after 25-30 s of silence; closed 15 s later
WIDGET_LIVENESS = Liveness(9, 5)  # after 40-45 s; closed 25 s later


@dataclass
class RelayConfig:
    host: str = "127.0.0.1"
    port: int = 8080
    public_url: str | None = None  # how shoppers and LINE reach us (https in production)
    demo_page: bool = False
    max_widget_frame: int = 32 * 1024
    max_desktop_frame: int = 1024 * 1024
    max_upload: int = p.MAX_IMAGE_BYTES
    shopper_rate: float = 2.0  # messages per second per shopper session
    shopper_burst: float = 20.0
    ip_rate: float = 2.0  # widget connections and uploads per second per IP
    ip_burst: float = 60.0
    ip_sockets: int = 500  # widget sockets open at once per IP (0: no limit)
    # disk a shopper's picture may not take on the SQLite store's disk (0: no check); see
    # Hub.room_for_picture
    keep_free: int = 1024 * 1024 * 1024
    away_every: float = 6 * 3600.0  # LINE away auto-reply at most this often per conversation
    trust_proxy: bool = False  # take the client IP from X-Forwarded-For
    drain_grace: float = 0.0  # seconds between SIGTERM (/readyz 503) and closing the sockets
    metrics_host: str = "127.0.0.1"
    metrics_port: int | None = None  # the Prometheus listener (None: none; 0: any free port)


@dataclass(frozen=True, slots=True)
class NotReady:
    """What /readyz answers 503 for: ``reason`` for the peer, ``detail`` for the log."""

    reason: str  # "shutting_down" or "store_unavailable"
    detail: str


class Conn:
    """One WebSocket with an ordered outgoing queue, so any code may ``send`` without
    awaiting and frames keep their order.

    What is sent in a loop turn is written once the turn's callbacks have run (one callback
    per socket per turn, no task of its own): given the socket's transport, everything queued
    (one commit's frames, as a rule) goes in one write — the frames stay separate WebSocket
    messages, but the kernel gets them in one call. Without a transport, or while the peer
    reads too slowly to take a batch (its write buffer over ``WRITE_BATCH_BYTES``), a task
    sends frame by frame and waits for the peer as aiohttp's own flow control does."""

    def __init__(
        self,
        ws: web.WebSocketResponse,
        label: str,
        machine: RelaySide,
        transport: asyncio.Transport | None = None,
    ) -> None:
        self.ws = ws
        self.label = label
        self.machine = machine  # what the socket's frames mean (relay.protocol.connection)
        self._q: collections.deque[str] = collections.deque()
        self._loop = asyncio.get_running_loop()
        self._transport = transport  # (uvloop's is one by behaviour, not by class)
        self._flushing = False  # a flush is scheduled or running: it takes what comes
        self._slow: asyncio.Task[None] | None = None  # writing while the peer catches up
        self._stopped = False
        self.on_drain: Callable[[], None] | None = None
        self.heard = True  # the peer sent something since the last sweep (the reader sets it)
        self.liveness = WIDGET_LIVENESS
        self._silent = 0  # sweeps in a row without hearing from the peer

    def send(self, text: str) -> None:
        if self.ws.closed:
            return
        if len(self._q) >= MAX_OUT_QUEUE:
            self._too_slow()
            return
        self._q.append(text)
        self._schedule_flush()

    def send_all(self, texts: list[str]) -> None:
        """``send`` each of ``texts``, in order (a page of the desktop's stream)."""
        if self.ws.closed or not texts:
            return
        if len(self._q) + len(texts) > MAX_OUT_QUEUE:
            self._too_slow()
            return
        self._q.extend(texts)
        self._schedule_flush()

    def _too_slow(self) -> None:
        log.warning("%s: outgoing queue full, closing", self.label)
        self._q.clear()
        self._loop.create_task(self.ws.close(code=CloseCode.POLICY, message=b"too slow"))

    def send_frame(self, frame: p.Frame) -> None:
        self.send(p.encode(frame))

    @property
    def backlog(self) -> int:
        return len(self._q)

    @property
    def waiting_for_peer(self) -> bool:
        """The peer reads too slowly to take a batch: frames go one by one as it reads."""
        return self._slow is not None

    def _schedule_flush(self) -> None:
        """Write what is queued once this loop turn's callbacks have run (once per turn)."""
        if not self._flushing and self._slow is None:
            self._flushing = True
            self._loop.call_soon(self._flush)

    def _flush(self) -> None:
        """Write what is queued; a task takes over when the peer reads too slowly."""
        try:
            if not self._write_while_taken():
                self._slow = self._loop.create_task(self._write_slowly())
        except (ConnectionError, RuntimeError, aiohttp.ClientError):
            pass  # the reader side notices and cleans up
        finally:
            self._flushing = False

    def _write_while_taken(self) -> bool:
        """Write everything queued (and what :meth:`_before_write` and :attr:`on_drain` queue
        meanwhile) in batches; False, with frames still queued, when the transport takes no
        more."""
        while not self._stopped:
            self._before_write()
            if not self._q:
                return True
            if self.ws.closed:  # nothing may follow the close frame
                self._q.clear()
                return True
            if not self._write_batch():
                return False
            if not self._q and self.on_drain is not None:
                self.on_drain()
        return True

    async def _write_slowly(self) -> None:
        """Send frame by frame, each waiting for the peer to read (aiohttp's flow control),
        and in batches again once the transport takes them, until the queue is empty."""
        try:
            while not self._stopped and not self._write_while_taken():
                await self.ws.send_str(self._q.popleft())
                if not self._q and self.on_drain is not None:
                    self.on_drain()
        except (ConnectionError, RuntimeError, aiohttp.ClientError):
            pass  # the reader side notices and cleans up
        finally:
            self._slow = None

    def _before_write(self) -> None:
        """Called before each write of the queue: a subclass may queue what it kept aside
        (relay.riding packs the frames of the turn that just ended)."""

    def _write_batch(self) -> bool:
        """Write queued frames (up to ``WRITE_BATCH_BYTES``) in one call; False (nothing
        written) when there is no transport or its buffer is full: the peer reads slowly."""
        t = self._transport
        if t is None or t.is_closing() or t.get_write_buffer_size() > WRITE_BATCH_BYTES:
            return False
        q = self._q
        if len(q) == 1:
            data = q.popleft().encode()
            t.write(_text_frame_header(len(data)) + data)
            return True
        parts: list[bytes] = []
        size = 0
        while q and size < WRITE_BATCH_BYTES:
            data = q.popleft().encode()
            parts.append(_text_frame_header(len(data)))
            parts.append(data)
            size += len(data)
        t.write(b"".join(parts))
        return True

    def sweep(self) -> bool:
        """One look at the peer's silence (every ``PING_SWEEP`` s): a ping once it has been
        silent ``liveness.ping_after`` sweeps; True, once, when it stayed silent
        ``give_up_after`` sweeps more: its connection is gone without a word (a laptop gone
        to sleep, a dropped NAT mapping) and the socket is to be closed."""
        if self.heard:
            self.heard = False
            self._silent = 0
            return False
        self._silent += 1
        if self._silent == self.liveness.ping_after and not self.ws.closed:
            self._loop.create_task(self._ping())
        return self._silent == self.liveness.ping_after + self.liveness.give_up_after

    async def _ping(self) -> None:
        with contextlib.suppress(ConnectionError, RuntimeError, aiohttp.ClientError):
            await self.ws.ping()

    async def close(self, code: int = CloseCode.GOING_AWAY, message: bytes = b"") -> None:
        # let queued frames go out first (bounded), then close
        for _ in range(50):
            if not self._q or self.ws.closed:
                break
            await asyncio.sleep(0.01)
        self.stop()
        with contextlib.suppress(Exception):
            await self.ws.close(code=code, message=message)

    def stop(self) -> None:
        """Write nothing more (the socket is closing or closed)."""
        self._stopped = True
        if self._slow is not None:
            self._slow.cancel()


class Deadlines:
    """Callbacks run a fixed delay after they were added: the notices sockets hold for a
    frame to ride on (relay.riding), with one loop timer for them all instead of one per
    socket. Callbacks of the same delay come due in the order they were added, so each delay
    is a queue; when the timer fires it runs what is due up to ``EARLY`` seconds ahead, so
    that under load it fires about every ``EARLY`` seconds, not once per callback (a hold
    may end that much sooner, never later)."""

    EARLY = 0.005

    def __init__(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._queues: dict[float, collections.deque[tuple[float, Callable[[int], None], int]]] = {}
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at = math.inf

    def add(self, delay: float, fn: Callable[[int], None], arg: int) -> None:
        """Call ``fn(arg)`` in ``delay`` seconds (up to ``EARLY`` sooner)."""
        when = self._loop.time() + delay
        q = self._queues.get(delay)
        if q is None:
            q = self._queues[delay] = collections.deque()
        q.append((when, fn, arg))
        if when < self._timer_at:
            self._arm(when)

    def _arm(self, when: float) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer_at = when
        self._timer = self._loop.call_at(when, self._fire)

    def _fire(self) -> None:
        self._timer, self._timer_at = None, math.inf
        horizon = self._loop.time() + self.EARLY
        first = math.inf
        for q in self._queues.values():
            while q and q[0][0] <= horizon:
                _, fn, arg = q.popleft()
                try:
                    fn(arg)
                except Exception:
                    log.exception("a held notice's callback failed")
            if q and q[0][0] < first:
                first = q[0][0]
        if first < math.inf:
            self._arm(first)

    def close(self) -> None:
        """Forget every callback (the sockets are closed, or flushed their held notices)."""
        if self._timer is not None:
            self._timer.cancel()
        self._timer, self._timer_at = None, math.inf
        self._queues.clear()


def _text_frame_header(n: int) -> bytes:
    """The header of one final, unmasked, uncompressed text frame of ``n`` payload bytes
    (RFC 6455 §5.2: what a server sends; the relay's sockets are made without compression)."""
    if n < 126:
        return bytes((0x81, n))
    if n < 65536:
        return bytes((0x81, 126)) + n.to_bytes(2, "big")
    return bytes((0x81, 127)) + n.to_bytes(8, "big")


@dataclass
class DesktopLink:
    conn: Conn
    presence: p.Presence
    cursor: int  # last stream seq queued to this connection
    token_hash: bytes = b""  # the token it connected with: a rotation closes the link
    # stream items committed but not yet queued to ``conn`` (a page waits for the last one
    # to be written), seqs cursor+1, cursor+2, …: the very texts the commit stored, so they
    # need not be read back from the store (Hub.pump_desktop)
    unsent: collections.deque[tuple[int, str]] = field(default_factory=collections.deque)


@dataclass
class ShopLive:
    desktop: DesktopLink | None = None
    widgets: dict[str, set[Conn]] = field(default_factory=dict)
    committed_seq: int = 0  # highest stream seq known committed
    # LINE's loading animation, asked for at most every LOADING_EVERY s per conversation
    loading: RecentNotes[str] = field(default_factory=lambda: RecentNotes(LOADING_EVERY))
    line_wake: asyncio.Event = field(default_factory=asyncio.Event)
    line_task: asyncio.Task[None] | None = None
    # the presence of the shop's desktop when another relay process holds it (shared store)
    remote_presence: p.Presence | None = None

    @property
    def presence(self) -> p.Presence:
        if self.desktop is None:
            return self.remote_presence or p.Presence.AWAY
        return self.desktop.presence


class Hub:
    """Everything one relay process knows at run time."""

    def __init__(self, store: Store, config: RelayConfig) -> None:
        self.store = store
        self.config = config
        self.shops: dict[str, ShopLive] = {}
        self.metrics = Metrics(self.live_figures)
        self.store_kind = "postgresql" if store.shared else "sqlite"  # the metrics' label
        self._commit_seconds = self.metrics.commit_timing(self.store_kind)
        self.line: ln.LineClient = MeteredLineClient(self.metrics)
        refused = self.metrics.refused
        self.shopper_limit = RateLimiter(
            config.shopper_rate, config.shopper_burst, on_refuse=refused("shopper")
        )
        self.typing_limit = RateLimiter(2.0, 5.0, on_refuse=refused("typing"))
        self.ip_limit = RateLimiter(
            config.ip_rate, config.ip_burst, on_refuse=refused("ip_connect")
        )
        self.upload_limit = RateLimiter(
            config.ip_rate / 4 if config.ip_rate > 0 else 0,
            max(5.0, config.ip_burst / 6),
            on_refuse=refused("ip_upload"),
        )
        self._ip_sockets: dict[str, int] = {}  # widget sockets open, by IP (none: no entry)
        self._ip_capped: set[str] = set()  # IPs at the cap, logged once until below it again
        self._disk_refused = refused("disk_room")
        self._disk_logged = -math.inf  # (time.monotonic() of the last "disk almost full")
        self._ip_sockets_refused = refused("ip_sockets")
        self.holds = Deadlines()  # the notices sockets hold for a frame to ride on (relay.riding)
        self._commit_scheduled = False
        self._stamp: str | None = None  # this turn's clock read (stamp())
        self._committing = False  # a COMMIT is in flight (PostgreSQL: see _commit)
        self._after_commit: list[Callable[[], None]] = []
        self._before_commit: list[Callable[[], None]] = []
        self._commit_waiters: list[asyncio.Future[None]] = []
        self._uncommitted_seq: dict[str, list[tuple[int, str]]] = {}
        self.stream_pages_read = 0  # pages of the stream read back for desktops (not kept)
        self._webhook_wake = asyncio.Event()
        self._tasks: set[asyncio.Task[Any]] = set()
        self.closing = False
        self.draining = False  # SIGTERM received: /readyz answers 503 while sockets drain
        self._commit_error: str | None = None  # the last commit's failure, until one succeeds
        self._not_ready: NotReady | None = None  # what /readyz last said (logged on change)
        self._closed = asyncio.Event()
        self._listener: asyncio.Task[Any] | None = None
        self.public_url = config.public_url or ""
        self.meta = MetaHub(self)  # Messenger and Instagram (relay/meta_hub.py)
        # shoppers' names and pictures (relay/profiles.py)
        self.profiles = ProfileFetcher(self, HttpPlatform(self.meta.client, self.line))

    # ---- widget sockets per IP

    def open_widget_socket(self, ip: str) -> bool:
        """Count a widget socket from ``ip`` as open; False (counted as refused) when
        ``ip_sockets`` are open from it already. The rate of new connections alone lets one
        address keep opening sockets that it never closes (a page that opens the chat in a
        loop, one abusive host): two a second fill 65,536 descriptors in nine hours, and then
        no shopper or desktop can connect. :meth:`close_widget_socket` when it ends."""
        open_now = self._ip_sockets.get(ip, 0)
        if 0 < self.config.ip_sockets <= open_now:
            self._ip_sockets_refused()
            if ip not in self._ip_capped:  # (once, not at every refusal: no flood of the log)
                self._ip_capped.add(ip)
                log.warning("widget sockets from %s refused: %d open already", ip, open_now)
            return False
        self._ip_sockets[ip] = open_now + 1
        return True

    def close_widget_socket(self, ip: str) -> None:
        left = self._ip_sockets.get(ip, 0) - 1
        if left > 0:
            self._ip_sockets[ip] = left
        else:
            self._ip_sockets.pop(ip, None)
        if left < self.config.ip_sockets:
            self._ip_capped.discard(ip)

    def room_for_picture(self, size: int) -> bool:
        """Whether a shopper's picture of ``size`` bytes leaves ``keep_free`` bytes free on
        the disk of the SQLite database. Anyone may upload through the widget (a slip, 10 MB
        at most, half a picture a second per address: 400 GB a day), and a full disk stops
        every message of every shop: pictures from the public stop first, with room left
        for the messages. Counted as refused, logged at most once a minute. (PostgreSQL's
        disk is the database server's: always True.)"""
        if not self.config.keep_free or self.store.shared:
            return True
        try:
            free = shutil.disk_usage(self.store.data_dir).free
        except OSError:
            return True  # (the commit says what is wrong, if anything)
        if free - size >= self.config.keep_free:
            return True
        self._disk_refused()
        now = time.monotonic()
        if now - self._disk_logged >= 60:
            self._disk_logged = now
            log.warning(
                "disk almost full: %d MB free in %s; shoppers' pictures are refused while less"
                " than %d MB would be left (--keep-free-mb)",
                free >> 20,
                self.store.data_dir,
                self.config.keep_free >> 20,
            )
        return False

    # ---- group commit

    def live(self, shop_id: str) -> ShopLive:
        s = self.shops.get(shop_id)
        if s is None:
            s = self.shops[shop_id] = ShopLive()
            if self.store.shared:  # its desktop may be on another process already
                try:
                    s.remote_presence = self.store.remote_desktop(shop_id)
                except StoreError as exc:
                    log.warning("shop %s: cannot read where its desktop is: %s", shop_id, exc)
        return s

    def _schedule_commit(self) -> None:
        """Commit once the loop has run what is ready now: every write made in this loop turn
        (one poll's worth of frames from all sockets) shares the COMMIT, which runs as soon as
        the loop would otherwise go idle. Under load a turn carries many messages, so commits
        grow on their own; when quiet a message waits for no timer."""
        if not self._commit_scheduled:
            self._commit_scheduled = True
            asyncio.get_running_loop().call_soon(self._commit)

    def commit_soon(self) -> None:
        """Commit what was written in this loop turn (nobody waits for it)."""
        self._schedule_commit()

    def before_commit(self, fn: Callable[[], None]) -> None:
        """Run ``fn`` just before the next COMMIT, in it: what it writes and the callbacks it
        registers join that commit (riding acks applied once per commit: ADR 0011)."""
        self._before_commit.append(fn)
        self._schedule_commit()

    def after_commit(self, fn: Callable[[], None]) -> None:
        """Run ``fn`` once everything written so far is committed (in registration order)."""
        self._after_commit.append(fn)
        self._schedule_commit()

    async def durable(self) -> None:
        """Wait until everything written so far is committed."""
        if not self.store.dirty and not self._commit_scheduled and not self._committing:
            return
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._commit_waiters.append(fut)
        self._schedule_commit()
        await fut

    def stamp(self) -> str:
        """Now, as a message's ``at`` (ISO 8601 UTC with milliseconds), read from the clock
        once per loop turn: the messages stored in one turn share the clock read as they
        share the COMMIT (the next commit forgets it)."""
        at = self._stamp
        if at is None:
            at = self._stamp = now_iso()
            self._schedule_commit()
        return at

    def _commit(self) -> None:
        """COMMIT what was written, then send what waited for it. On PostgreSQL the loop
        does not wait for the COMMIT (a WAL flush, ~0.6 ms; the store's commit_in_background:
        the loop reads the answer when it comes): while it is in flight the next batch is
        gathered (and stays scheduled), and is committed as soon as it returned
        (:meth:`_committed_in_background`)."""
        self._stamp = None  # (while a COMMIT is in flight, the next one forgets it)
        if self._committing:
            self._commit_scheduled = True  # the next batch: committed when this one returned
            return
        hooks, self._before_commit = self._before_commit, []
        for hook in hooks:  # (still "scheduled": what they write joins this commit)
            try:
                hook()
            except Exception:
                log.exception("before-commit hook failed")
        self._commit_scheduled = False
        callbacks, self._after_commit = self._after_commit, []
        waiters, self._commit_waiters = self._commit_waiters, []
        seqs, self._uncommitted_seq = self._uncommitted_seq, {}
        started = time.perf_counter() if self.store.dirty else None
        try:
            if self.store.shared:  # the process holding the shop's desktop sends them too
                for shop_id, items in seqs.items():
                    self.store.notify({"k": "stream", "s": shop_id, "seq": items[-1][0]})
            future = self.store.commit_in_background() if self.store.dirty else None
            if future is not None:
                self._committing = True
                batch = (callbacks, waiters, seqs, started)
                future.add_done_callback(lambda f: self._committed_in_background(f, batch))
                return
            self.store.commit()
        except StoreError as exc:
            self._commit_failed(exc, waiters)
            return
        self._committed(callbacks, waiters, seqs, started)

    def _committed_in_background(
        self, future: asyncio.Future[None], batch: tuple[Any, Any, Any, Any]
    ) -> None:
        self._committing = False
        exc = future.exception()
        if exc is None:
            self._committed(*batch)
        else:
            self._commit_failed(exc if isinstance(exc, StoreError) else StoreError(exc), batch[1])
        if self._commit_scheduled:  # what was gathered meanwhile
            self._commit()

    def _commit_failed(self, exc: StoreError, waiters: list[asyncio.Future[None]]) -> None:
        """Nothing of the commit is acknowledged (its callbacks are dropped; peers will
        resend); its waiters get the error."""
        log.error("commit failed: %s", exc)
        self._commit_error = str(exc)
        self.metrics.commit_failures.inc()
        for w in waiters:
            if not w.done():
                w.set_exception(exc)

    def _committed(
        self,
        callbacks: list[Callable[[], None]],
        waiters: list[asyncio.Future[None]],
        seqs: dict[str, list[tuple[int, str]]],
        started: float | None,
    ) -> None:
        if started is not None:
            self._commit_seconds.observe(time.perf_counter() - started)
        self._commit_error = None
        for shop_id, items in seqs.items():
            live = self.live(shop_id)
            live.committed_seq = max(live.committed_seq, items[-1][0])
            link = live.desktop
            if link is not None:
                self._committed_for_desktop(link, items)
            self.pump_desktop(shop_id)
        for fn in callbacks:
            try:
                fn()
            except Exception:
                log.exception("after-commit callback failed")
        for w in waiters:
            if not w.done():
                w.set_result(None)

    def push_stream(
        self,
        shop_id: str,
        make: Callable[[int], Any],
        conversation: str | None = None,
        msg_id: str | None = None,
    ) -> int:
        seq, text = self.store.append_stream(shop_id, make, conversation, msg_id)
        self._queue_for_desktop(shop_id, seq, text)
        return seq

    def delivered_receipt(self, shop_id: str, conversation: str, after: int, up_to: int) -> None:
        """The widget has the shop's messages after ``after`` up to ``up_to``: a "delivered"
        receipt for the desktop (stored on the messages' rows, no row of its own)."""
        made = self.store.mark_delivered(shop_id, conversation, after, up_to)
        if made is not None:
            self._queue_for_desktop(shop_id, *made)

    def _queue_for_desktop(self, shop_id: str, seq: int, text: str) -> None:
        """Send stream item ``seq`` to the desktop once the commit that stored it is done."""
        self._uncommitted_seq.setdefault(shop_id, []).append((seq, text))
        self._schedule_commit()

    def spawn(self, coro: Any) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    # ---- health and figures

    def readiness_problem(self) -> NotReady | None:
        """Why this process should get no new traffic (None: ready): draining after SIGTERM,
        the last commit failed, or the store does not answer a real query. A change of the
        answer is logged once, not at every probe."""
        problem: NotReady | None = None
        if self.draining:
            problem = NotReady("shutting_down", "shutting down")
        elif self._commit_error is not None:
            problem = NotReady("store_unavailable", self._commit_error)  # "commit failed: …"
        else:
            try:
                self.store.check()
            except StoreError as exc:
                problem = NotReady("store_unavailable", str(exc))
        if problem != self._not_ready:
            if problem is None:
                log.info("ready again")
            elif problem.reason == "store_unavailable":
                log.error("not ready: store: %s", problem.detail)
            else:
                log.info("not ready: %s", problem.detail)
            self._not_ready = problem
        return problem

    def live_figures(self) -> LiveFigures:
        """Sockets open and stream depths, for the metrics (read at each scrape)."""
        desktops = widgets = 0
        for live in self.shops.values():
            desktops += live.desktop is not None
            widgets += sum(len(conns) for conns in live.widgets.values())
        up = True
        try:
            depth = self.store.stream_depths()
        except StoreError as exc:
            log.warning("metrics: cannot read stream depths: %s", exc)
            depth, up = {}, False
        return LiveFigures(
            desktops,
            widgets,
            depth,
            self.draining,
            self.store.rows_written,
            store=self.store_kind,
            store_up=up,
            lock_wait=self.store.lock_wait,  # (PostgreSQL only)
            wal=self.store.wal,  # (SQLite only)
        )

    # ---- desktop stream

    def _committed_for_desktop(self, link: DesktopLink, items: list[tuple[int, str]]) -> None:
        """Keep a commit's stream items for the desktop (the live path: no need to read back
        what was just written) when they follow what the link has or keeps; else the store
        has them, and :meth:`pump_desktop` reads them back a page at a time."""
        last = link.unsent[-1][0] if link.unsent else link.cursor
        if (
            last == items[0][0] - 1
            # (on a shared store a transaction may have been split: another process's
            # seqs can sit between ours, and only the table has them)
            and items[-1][0] - items[0][0] == len(items) - 1
            and len(link.unsent) + len(items) <= DESKTOP_KEPT
        ):
            link.unsent.extend(items)
        else:
            link.unsent.clear()

    def pump_desktop(self, shop_id: str) -> None:
        """Queue committed stream items the desktop has not been sent yet, a page at a time:
        those the commits kept (:meth:`_committed_for_desktop`), else read from the store."""
        live = self.shops.get(shop_id)
        if live is None or live.desktop is None:
            return
        link = live.desktop
        if link.conn.backlog >= DESKTOP_PAGE or link.cursor >= live.committed_seq:
            return
        kept = link.unsent
        if kept and kept[0][0] == link.cursor + 1:
            popleft = kept.popleft
            page = [popleft()[1] for _ in range(min(DESKTOP_PAGE, len(kept)) - 1)]
            link.cursor, last = popleft()
            page.append(last)
            link.conn.send_all(page)
            return
        kept.clear()
        self.stream_pages_read += 1
        rows = self.store.stream_after(shop_id, link.cursor, DESKTOP_PAGE)
        for seq, text in rows:
            if seq > live.committed_seq:
                break
            link.conn.send(text)
            link.cursor = seq

    # ---- presence

    def presence_changed(self, shop_id: str, before: p.Presence) -> None:
        live = self.live(shop_id)
        if live.presence is before:
            return
        log.info("shop %s is now %s", shop_id, live.presence.value)
        text = p.encode(p.PresenceNotice(live.presence))
        for conns in live.widgets.values():
            for c in conns:
                c.send(text)

    # ---- URLs

    def media_url(self, media_id: str) -> str:
        return f"{self.public_url}/media/{media_id}"

    def with_media_url(self, message: p.Message) -> p.Message:
        b = message.body
        if isinstance(b, p.Image) and b.media_id and not b.url:
            m = self.store.media(b.media_id)
            if m is not None:
                body = p.Image(
                    b.media_id,
                    self.media_url(b.media_id),
                    m.mime,
                    m.width,
                    m.height,
                    m.size,
                    b.caption,
                )
                return message.with_body(body)
        return message

    # ---- messages from shoppers (widget and LINE)

    def shopper_message(
        self,
        shop_id: str,
        conversation: str,
        message: p.Message,
        at: str | None = None,
        *,
        delivered: tuple[int, int] | None = None,
        read: tuple[int, int, tuple[str, ...]] | None = None,
    ) -> tuple[int, bool, p.Message]:
        """Store a shopper's message and queue it for the desktop, stamped ``at`` (when the
        platform says it was written: Meta's timestamp, which its messaging window counts
        from) or else now. ``delivered``: the widget's ack of the shop's messages
        (after, up_to) rode in with it, ``read``: its read mark (after, up_to, the ids); their
        receipts go to the desktop just before the message, stored on the message's row.
        Returns (cseq, is_new, the message as stored)."""
        message = self.with_media_url(message).with_at(at or self.stamp())
        message_json = ff.encode_message(message)
        if delivered is None and read is None:
            cseq, is_new, seq = self.store.add_shopper_message(
                shop_id, conversation, message, message_json
            )
        else:
            cseq, is_new, seq, receipts = self.store.add_shopper_message_delivering(
                shop_id, conversation, message, message_json, delivered, read
            )
            for receipt in receipts:
                self._queue_for_desktop(shop_id, *receipt)
        if not is_new:
            return cseq, False, message
        self.metrics.message(conversation, "in")
        self._queue_for_desktop(shop_id, seq, stream_message(seq, conversation, message_json))
        if conversation.startswith(PROFILE_CHANNELS):  # LINE, Messenger, Instagram
            self.after_commit(lambda: self.profiles.noticed(shop_id, conversation))
        return cseq, True, message

    # ---- messages from the shop

    def shop_message(
        self, shop_id: str, conversation: str, message: p.Message, *, human: bool = False
    ) -> tuple[int, bool]:
        message = self.with_media_url(message).with_at(self.stamp())
        message_json = ff.encode_message(message)
        cseq, is_new = self.store.add_history(
            shop_id, conversation, p.Origin.SHOP, message, message_json
        )
        if not is_new:
            return cseq, False
        self.metrics.message(conversation, "out")
        if conversation.startswith("line:"):
            self.store.enqueue_line(shop_id, conversation, message)
            self.after_commit(lambda: self.wake_line(shop_id))
        elif is_meta(conversation):
            self.meta.enqueue(shop_id, conversation, message, human)
        else:
            text = p.encode_message_frame(cseq, message_json, origin=p.Origin.SHOP)
            sid = conversation.split(":", 1)[1]
            if self.store.shared:  # widgets on other processes: they read the row
                self.store.notify({"k": "msg", "s": shop_id, "c": conversation, "n": cseq})
            self.after_commit(lambda: self.to_session(shop_id, sid, text, remote=False))
        return cseq, True

    def to_session(
        self,
        shop_id: str,
        sid: str,
        text: str,
        skip: Conn | None = None,
        *,
        remote: bool = True,
        here: bool = True,
    ) -> None:
        """Send ``text`` to the widget session's sockets here (unless ``here`` is false: the
        caller did) and, with ``remote`` on a shared store, on the other relay processes
        (small frames only: receipts, typing)."""
        for c in self.live(shop_id).widgets.get(sid, ()) if here else ():
            if c is not skip:
                c.send(text)
        if remote and self.store.shared:
            self._tell_others({"k": "frame", "s": shop_id, "sid": sid, "text": text})

    def to_desktop(self, shop_id: str, text: str) -> None:
        """Send an ephemeral frame (shopper typing) to the shop's desktop, wherever it is."""
        desk = self.live(shop_id).desktop
        if desk is not None:
            desk.conn.send(text)
        elif self.store.shared:
            self._tell_others({"k": "desk", "s": shop_id, "text": text})

    def _tell_others(self, event: dict[str, Any]) -> None:
        try:
            self.store.notify(event)
        except StoreError as exc:
            log.warning("cannot tell the other relay processes (%s): %s", event["k"], exc)
            return
        self.commit_soon()

    # ---- other relay processes on the same store (relay/store_pg.py)

    def listen_to_others(self) -> None:
        """Route what the other relay processes on the shared store commit (until close)."""
        self._listener = self.spawn(self.store.listen(self._on_remote_counted))

    def _on_remote_counted(self, event: dict[str, Any]) -> None:
        """:meth:`on_remote`, then the notification counted and its lag (from the sender's
        COMMIT, its ``at``) measured, for the metrics."""
        self.on_remote(event)
        self.metrics.notified(str(event.get("k")), event.get("at"), now=time.time())

    def on_remote(self, event: dict[str, Any]) -> None:
        """What another relay process committed or says: route it to our sockets."""
        kind = event.get("k")
        shop_id = str(event.get("s", ""))
        live = self.shops.get(shop_id)
        if kind == "resync":
            self._resync(event.get("seqs") or {})
        elif kind == "line":
            if self.store.line_credentials(shop_id) is not None:
                self.wake_line(shop_id)
        elif kind == "meta":
            self.meta.on_remote(event)
        elif live is None:
            return  # no socket of this shop here
        elif kind == "stream":
            live.committed_seq = max(live.committed_seq, int(event["seq"]))
            self.pump_desktop(shop_id)
        elif kind == "msg":
            self._remote_message(shop_id, str(event["c"]), int(event["n"]))
        elif kind == "frame":
            for c in live.widgets.get(str(event["sid"]), ()):
                c.send(str(event["text"]))
        elif kind == "desk" and live.desktop is not None:
            live.desktop.conn.send(str(event["text"]))
        elif kind == "desktop":
            self._remote_desktop(shop_id, live, event)
        elif kind == "config":
            text = p.encode(p.ConfigNotice(self.store.shop(shop_id).widget_config))
            for conns in live.widgets.values():
                for c in conns:
                    c.send(text)

    def _resync(self, seqs: dict[str, int]) -> None:
        """After the notifications were lost a while: desktops get what was committed
        meanwhile from the stream; widgets are closed (1001) and reconnect, and their history
        after their last message brings what they missed."""
        for shop_id, live in self.shops.items():
            if shop_id in seqs:
                live.committed_seq = max(live.committed_seq, int(seqs[shop_id]))
                self.pump_desktop(shop_id)
            for conns in live.widgets.values():
                for c in conns:
                    self.spawn(c.close(CloseCode.GOING_AWAY, b"relay store reconnected"))

    def _remote_message(self, shop_id: str, conversation: str, cseq: int) -> None:
        sid = conversation.split(":", 1)[1]
        if not self.live(shop_id).widgets.get(sid):
            return
        row = self.store.message_json(shop_id, conversation, cseq)
        if row is not None:
            text = p.encode_message_frame(cseq, row[1], origin=p.Origin(row[0]))
            self.to_session(shop_id, sid, text, remote=False)

    def _remote_desktop(self, shop_id: str, live: ShopLive, event: dict[str, Any]) -> None:
        """The shop's desktop connected to (or left, or changed presence on) another process."""
        before = live.presence
        state = event.get("presence")
        live.remote_presence = None if state is None else p.Presence(str(state))
        if event.get("connected") and live.desktop is not None:
            old = live.desktop
            live.desktop = None
            log.info("shop %s: the desktop connected to another relay process", shop_id)
            close = old.conn.machine.replaced()
            self.spawn(old.conn.close(close.code, close.reason.encode()))
        self.presence_changed(shop_id, before)

    def desktop_moved(self, shop_id: str, presence: p.Presence | None, connected: bool) -> None:
        """Tell the other processes where the shop's desktop is (None: gone)."""
        if self.store.shared:
            try:
                self.store.set_desktop(shop_id, presence)
            except StoreError as exc:
                log.warning("shop %s: cannot record where its desktop is: %s", shop_id, exc)
            state = None if presence is None else presence.value
            self._tell_others(
                {"k": "desktop", "s": shop_id, "presence": state, "connected": connected}
            )

    # ---- LINE sending

    def wake_line(self, shop_id: str) -> None:
        live = self.live(shop_id)
        live.line_wake.set()
        if live.line_task is None or live.line_task.done():
            live.line_task = self.spawn(self._line_worker(shop_id))

    async def _line_worker(self, shop_id: str) -> None:
        try:
            while not await self._line_sender(shop_id):
                # another relay process sends this shop's LINE messages; take over if it
                # dies (its lock goes with its connection) while messages are waiting
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._closed.wait(), LINE_TAKEOVER_EVERY)
                if self.closing or not self.store.line_pending(shop_id):
                    return
        except StoreError as exc:
            log.error("shop %s: line sending paused: %s", shop_id, exc)

    async def _line_sender(self, shop_id: str) -> bool:
        """Send the shop's LINE outbox if this process may (False: another one does)."""
        if not self.store.claim_line_sender(shop_id):
            return False
        try:
            await self._line_loop(shop_id)
        finally:
            self.store.release_line_sender(shop_id)
        return True

    async def _line_loop(self, shop_id: str) -> None:
        """Send the shop's LINE outbox in order, one request at a time.

        A request is stored whole (body bytes, retry key, its messages) before its first
        attempt; until LINE answers it for good, every retry sends those very bytes under that
        key, and newer messages wait for a request of their own.
        """
        live = self.live(shop_id)
        backoff = 1.0
        while not self.closing:
            live.line_wake.clear()
            if not self.store.claim_line_sender(shop_id):
                return  # the store connection was lost, and its lock with it: another sends
            batch = self.store.line_open_batch(shop_id)
            if batch is None:
                items = self.store.line_unbatched(shop_id)
                if not items:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(live.line_wake.wait(), 60)
                    if not self.store.line_unbatched(shop_id):
                        return
                    continue
                await self._line_batch(shop_id, items)
                await self.durable()  # stored before the first attempt: a restart resends it
                continue
            wait = batch.next_at - time.time()
            if wait > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(live.line_wake.wait(), min(wait, 60))
                continue
            try:
                creds = self.store.line_credentials(shop_id)
            except StoreError as exc:
                log.error("shop %s: %s", shop_id, exc)
                return
            try:
                outcome = await self._line_send(shop_id, creds, batch)
            except StoreError:
                raise
            except Exception as exc:  # timeouts, network errors: LINE may have it; resend as is
                log.warning(
                    "shop %s: line request %s failed (%s), resending it in %.0fs",
                    shop_id,
                    batch.retry_key,
                    type(exc).__name__,
                    backoff,
                )
                outcome = "retry"
            if outcome == "retry":
                self.store.line_batch_retry_later(batch.retry_key, time.time() + backoff)
                backoff = min(backoff * 2, 300)
            else:
                backoff = 1.0
            await self.durable()

    async def _line_batch(self, shop_id: str, items: list[OutboxItem]) -> None:
        """Turn the oldest waiting messages of one conversation into one stored request (at
        most 5 LINE messages). A message LINE would refuse fails at once with the reason;
        one with nothing to show on LINE is done at once."""
        color = self.store.shop(shop_id).widget_config.color
        conversation = items[0].conversation
        # Tried by a relay before schema 2, under its own key: it goes alone under that key,
        # so a 409 (LINE took it then) is not sent twice. Newer items are never tried unbatched.
        legacy_key = items[0].retry_key if items[0].attempts > 0 else None
        if legacy_key:
            items = items[:1]
        messages: list[dict[str, Any]] = []
        parts: list[tuple[int, int]] = []
        for it in items:
            if it.conversation != conversation or len(messages) == ln.MAX_MESSAGES:
                break
            try:
                more = await self._line_messages(shop_id, it, color)
            except ln.LineRefused as exc:
                self._line_failed(shop_id, it, str(exc))
                continue
            if not more:  # nothing LINE can show (a takeover notice without text)
                self._line_sent(shop_id, conversation, [it])
                continue
            if len(messages) + len(more) > ln.MAX_MESSAGES:
                break
            messages.extend(more)
            parts.append((it.id, len(more)))
        if parts:
            user_id = conversation.split(":", 1)[1]
            body = ln.encode_body({"to": user_id, "messages": messages})
            batch = self.store.line_add_batch(shop_id, conversation, body, parts, legacy_key)
            log.info(
                "shop %s: line request %s: %d message(s) to %s",
                shop_id,
                batch.retry_key,
                len(messages),
                conversation,
            )

    async def _line_messages(
        self, shop_id: str, item: OutboxItem, color: str
    ) -> list[dict[str, Any]]:
        message = _load_shop_message(item.message)
        image = None
        b = message.body
        if isinstance(b, p.Image) and b.media_id:
            image = await self._line_image(shop_id, b.media_id)
        return ln.to_line_messages(message, color, image)

    async def _line_image(self, shop_id: str, media_id: str) -> ln.ImageUrls:
        """https URLs of a stored picture as LINE takes it: JPEG/PNG (others converted and
        stored as new media) and a separate preview ≤ 1 MB. Raises LineRefused."""
        if not self.public_url.startswith("https://"):
            raise ln.LineRefused(ln.NO_HTTPS)
        media = self.store.media(media_id)
        if media is None or media.shop_id != shop_id:
            raise ln.LineRefused(
                "ไม่พบรูปนี้บนรีเลย์แล้ว ส่งรูปใหม่อีกครั้ง"
                " / the picture is no longer on the relay: send it again"
            )
        try:
            ready = await asyncio.to_thread(li.prepare, media.data, media.mime)
        except li.NotAPicture as exc:
            raise ln.LineRefused(f"อ่านรูปไม่ได้ / cannot read the picture: {exc}") from exc
        original = media.id
        if ready.original is not None:
            o = ready.original
            original = self.store.add_media(shop_id, o.mime, o.width, o.height, o.data).id
        pv = ready.preview
        preview = self.store.add_media(shop_id, pv.mime, pv.width, pv.height, pv.data).id
        return ln.ImageUrls(self.media_url(original), self.media_url(preview))

    async def _line_send(
        self, shop_id: str, creds: LineCredentials | None, batch: LineBatch
    ) -> str:
        """Send one stored request: by the free reply token on its first attempt while one is
        valid, else pushed with its X-Line-Retry-Key. Returns "done", "retry" or "held"."""
        items = self.store.line_batch_items(batch)
        if creds is None:
            self._line_close(shop_id, batch, items, NO_LINE)
            return "done"
        messages = json.loads(batch.body)["messages"]
        if batch.attempts == 0:
            reply_token = self.store.take_reply_token(
                shop_id, batch.conversation, ln.REPLY_TOKEN_MAX_AGE
            )
            if reply_token is not None:
                # A reply has no retry key: it is tried once. If its outcome is unknown
                # (timeout), the push that follows may show the messages twice, never zero times.
                res = await self.line.reply(creds.channel_token, reply_token, messages)
                if res.ok:
                    log.info("shop %s: replied request %s", shop_id, batch.retry_key)
                    self._line_close(shop_id, batch, items)
                    return "done"
                log.info("shop %s: reply refused (%s), pushing instead", shop_id, res.describe())
                if res.status == 400 and res.refused_messages():
                    return self._line_refused(shop_id, batch, items, res)
        res = await self.line.push(creds.channel_token, batch.body, batch.retry_key)
        if res.ok or res.status == 409:  # 409: LINE accepted this very request before
            log.info(
                "shop %s: pushed request %s (http %d%s)",
                shop_id,
                batch.retry_key,
                res.status,
                f", accepted as {res.accepted_request_id}" if res.accepted_request_id else "",
            )
            self._line_close(shop_id, batch, items)
            self._count_push(shop_id)  # a 409 means our earlier, uncounted attempt went
            return "done"
        if res.status == 429:
            if "monthly limit" in res.message.lower() or "quota" in res.message.lower():
                self._quota_exceeded(shop_id)
                self.store.line_batch_retry_later(batch.retry_key, time.time() + 3600)
                return "held"
            return "retry"
        if res.status >= 500:
            return "retry"
        if res.status == 400 and res.refused_messages():
            return self._line_refused(shop_id, batch, items, res)
        refused = f"LINE ไม่รับข้อความ / LINE refused the message ({res.describe()})"
        self._line_close(shop_id, batch, items, refused)
        return "done"

    def _line_refused(
        self, shop_id: str, batch: LineBatch, items: dict[int, OutboxItem], res: ln.LineResult
    ) -> str:
        """LINE refused some messages of a request (400, ``details`` naming messages[i]):
        those fail alone, with LINE's words; the others go again in a new request."""
        refused = res.refused_messages()
        log.warning(
            "shop %s: line refused request %s: %s", shop_id, batch.retry_key, res.describe()
        )
        start = 0
        failed = 0
        for item_id, count in batch.parts:
            said = [refused[i] for i in range(start, start + count) if i in refused]
            start += count
            it = items.get(item_id)
            if said and it is not None:
                reason = f"LINE ไม่รับข้อความนี้ / LINE refused this message: {'; '.join(said)}"
                self._line_failed(shop_id, it, reason)
                failed += 1
        if not failed:  # LINE named no message of ours: resending would only loop
            refusal = f"LINE ไม่รับข้อความ / LINE refused the message ({res.describe()})"
            self._line_close(shop_id, batch, items, refusal)
            return "done"
        self.store.line_batch_close(batch.retry_key)
        return "done"

    def _line_close(
        self,
        shop_id: str,
        batch: LineBatch,
        items: dict[int, OutboxItem],
        failure: str | None = None,
    ) -> None:
        """A request answered for good: all its messages sent, or all failed with ``failure``."""
        ordered = [items[i] for i, _ in batch.parts if i in items]
        if failure is None:
            self._line_sent(shop_id, batch.conversation, ordered)
        else:
            for it in ordered:
                self._line_failed(shop_id, it, failure)
        self.store.line_batch_close(batch.retry_key)

    def _line_sent(self, shop_id: str, conversation: str, batch: list[OutboxItem]) -> None:
        for it in batch:
            self.store.line_done(it.id)
        ids = tuple(it.msg_id for it in batch if not it.msg_id.startswith("relay-"))
        if ids:
            self.push_stream(
                shop_id, lambda seq: p.Receipt(conversation, p.ReceiptStatus.SENT, ids, seq)
            )

    def _line_failed(self, shop_id: str, item: OutboxItem, reason: str) -> None:
        log.warning(
            "shop %s: message %s to %s failed: %s", shop_id, item.msg_id, item.conversation, reason
        )
        self.store.line_done(item.id)
        if not item.msg_id.startswith("relay-"):
            short = ln.shorten_units(reason, 300, len)  # the receipt's limit, code points
            self.push_stream(
                shop_id,
                lambda seq: p.Receipt(
                    item.conversation, p.ReceiptStatus.FAILED, (item.msg_id,), seq, short
                ),
            )

    def _month(self) -> str:
        return datetime.now(UTC).strftime("%Y-%m")

    def _count_push(self, shop_id: str) -> None:
        month = self._month()
        used, quota, notified = self.store.count_push(shop_id, month, 1)
        if quota is None:
            return
        level = 100 if used >= quota else 80 if used * 100 >= quota * 80 else 0
        if level > notified:
            self.store.set_quota_notified(shop_id, month, level)
            self.push_stream(
                shop_id, lambda seq: p.LineQuota(month, used, quota, used >= quota, seq)
            )

    def _quota_exceeded(self, shop_id: str) -> None:
        month = self._month()
        used, quota, notified = self.store.quota(shop_id, month)
        log.warning("shop %s: line monthly push quota exceeded", shop_id)
        if notified < 101:
            self.store.set_quota(shop_id, month, quota)
            self.store.set_quota_notified(shop_id, month, 101)
            self.push_stream(shop_id, lambda seq: p.LineQuota(month, used, quota, True, seq))

    async def refresh_quota(self, shop_id: str) -> p.LineQuota | None:
        creds = self.store.line_credentials(shop_id)
        month = self._month()
        if creds is not None:
            try:
                quota = await self.line.quota(creds.channel_token)
                used = await self.line.consumption(creds.channel_token)
                self.store.set_quota(shop_id, month, quota, used)
            except (aiohttp.ClientError, TimeoutError, OSError) as exc:
                log.warning("shop %s: cannot read line quota (%s)", shop_id, type(exc).__name__)
        used, quota, _ = self.store.quota(shop_id, month)
        return p.LineQuota(month, used, quota, quota is not None and used >= quota)

    # ---- LINE webhooks (processed after the 200)

    def wake_webhooks(self) -> None:
        self._webhook_wake.set()

    async def webhook_worker(self) -> None:
        """Process stored webhook bodies in order. A body is deleted only once processed; a
        storage failure leaves it for a retry; a body that trips a bug is logged and skipped
        (its events' effects are idempotent, so a retry after a fix would be safe too)."""
        while not self.closing:
            self._webhook_wake.clear()
            did = False
            try:
                for n, (wid, shop_id, body) in enumerate(list(self.store.webhooks()), 1):
                    did = True
                    try:
                        await self._process_webhook(shop_id, body)
                    except NotFound:
                        log.warning("webhook %d: shop %s no longer exists", wid, shop_id)
                    except StoreError:
                        raise
                    except Exception:
                        log.exception("webhook %d of shop %s could not be processed", wid, shop_id)
                    self.store.webhook_done(wid)
                    if n % 100 == 0:  # a body's effects and its deletion commit together
                        await self.durable()
                    if self.closing:
                        break
                await self.durable()
                if self.closing:
                    return
            except StoreError as exc:
                log.error("webhook processing paused: %s", exc)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._closed.wait(), 5)
                continue
            if not did:
                # on a shared store, bodies whose process died are taken over when their
                # lease ends: look again now and then
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(
                        self._webhook_wake.wait(), 5 if self.store.shared else None
                    )

    async def _process_webhook(self, shop_id: str, body: bytes) -> None:
        try:
            events = ln.parse_events(p.load_json(body))
        except p.ProtocolError as exc:
            log.warning("shop %s: unusable webhook body (%s)", shop_id, exc)
            return
        creds = self.store.line_credentials(shop_id)
        for ev in events:
            if self.store.find_line_event(shop_id, ev.event_id):
                log.info("shop %s: dropped redelivered line event %s", shop_id, ev.event_id)
                continue
            message = ev.message
            if ev.image_message_id is not None and creds is not None:
                message = await self._fetch_line_image(shop_id, creds, ev.image_message_id)
            # everything below is synchronous: the event id and its effects commit together
            if self.store.seen_line_event(shop_id, ev.event_id):
                continue
            if ev.follow is not None:
                self._push_notice(shop_id, ev.conversation, ev.follow)
                if ev.follow is p.ConversationEvent.FOLLOW and ev.reply_token:
                    # the desktop may greet a new follower for free
                    self.store.set_reply_token(
                        shop_id, ev.conversation, ev.reply_token, ev.timestamp or time.time()
                    )
                continue
            if message is None:
                continue
            if ev.reply_token:
                self.store.set_reply_token(
                    shop_id, ev.conversation, ev.reply_token, ev.timestamp or time.time()
                )
            _, is_new, _ = self.shopper_message(shop_id, ev.conversation, message)
            if is_new and self.live(shop_id).presence is p.Presence.AWAY:
                self._line_away_notice(shop_id, ev.conversation)

    def _push_notice(self, shop_id: str, conversation: str, event: p.ConversationEvent) -> None:
        at = now_iso()
        self.push_stream(shop_id, lambda seq: p.ConversationNotice(seq, conversation, event, at))

    async def _fetch_line_image(
        self, shop_id: str, creds: LineCredentials, line_message_id: str
    ) -> p.Message:
        msg_id = f"line-{line_message_id}"
        for attempt in range(3):
            try:
                data = await self.line.content(
                    creds.channel_token, line_message_id, self.config.max_upload
                )
                info = check_image(data, self.config.max_upload)
                m = self.store.add_media(shop_id, info.mime, info.width, info.height, data)
                body = p.Image(m.id, self.media_url(m.id), m.mime, m.width, m.height, m.size)
                return p.Message(msg_id, body)
            except (ImageRejected, BodyTooLarge) as exc:
                log.warning("shop %s: line image %s rejected: %s", shop_id, line_message_id, exc)
                break
            except (LookupError, aiohttp.ClientError, TimeoutError, OSError) as exc:
                log.warning(
                    "shop %s: cannot fetch line image %s (%s)", shop_id, line_message_id, exc
                )
                await asyncio.sleep(0.5 * (attempt + 1))
        return p.Message(
            msg_id, p.Text("[รูปภาพจาก LINE ดาวน์โหลดไม่ได้ / LINE image could not be downloaded]")
        )

    def _line_away_notice(self, shop_id: str, conversation: str) -> None:
        if not self.store.away_notice_due(shop_id, conversation, self.config.away_every):
            return
        cfg = self.store.shop(shop_id).widget_config
        text = cfg.away_th if cfg.language == "th" else cfg.away_en
        other = cfg.away_en if cfg.language == "th" else cfg.away_th
        msg = p.Message(
            f"relay-away-{uuid.uuid4().hex[:16]}", p.Text(f"{text}\n\n{other}"[: p.MAX_TEXT])
        )
        self.shop_message(shop_id, conversation, msg)

    # ---- housekeeping

    async def housekeeping(self, every: float = 3600.0) -> None:
        """Hourly: forget history older than 90 days, LINE event ids older than 7, old media.
        Queues (stream, LINE outbox, webhook inbox) are never purged."""
        while not self.closing:
            try:
                await self.durable()
                self.store.purge()
            except StoreError as exc:
                log.error("housekeeping failed: %s", exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closed.wait(), every)

    async def watch_sockets(self, every: float = PING_SWEEP) -> None:
        """Look at every socket's silence every ``every`` seconds (:meth:`check_sockets`)."""
        while not self.closing:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closed.wait(), every)
            if not self.closing:
                self.check_sockets()

    def check_sockets(self) -> None:
        """Ping the sockets whose peer has been silent a while; close those that did not
        answer (:meth:`Conn.sweep`)."""
        for live in self.shops.values():
            conns = [c for cs in live.widgets.values() for c in cs]
            if live.desktop is not None:
                conns.append(live.desktop.conn)
            for c in conns:
                if c.sweep():
                    log.info("%s: silent, and no answer to a ping: closing", c.label)
                    self.spawn(c.close(CloseCode.GOING_AWAY, b"no answer to ping"))

    async def watch_shops(self, every: float = 1.0) -> None:
        """Close desktop links whose shop token was rotated or whose shop was removed by
        ``minichat-relay shops …`` (another process), at once rather than at their next
        reconnect: 4001, so the desktop asks the owner for the new token."""
        version = self.store.data_version()
        turns = 0
        while not self.closing:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closed.wait(), every)
            turns += 1
            try:
                now = self.store.data_version()
                if now != version:
                    version = now
                    self._close_stale_links()
                if self.store.shared and turns % REMOTE_DESKTOP_EVERY == 0:
                    self._check_remote_desktops()
            except StoreError as exc:
                log.error("checking shop tokens failed: %s", exc)

    def _check_remote_desktops(self) -> None:
        """A desktop on another process that died (SIGKILL) sent no "left": its shop shows
        away once the store no longer sees that process (its connection is gone)."""
        for shop_id, live in self.shops.items():
            if live.desktop is None and live.remote_presence is not None:
                now = self.store.remote_desktop(shop_id)
                if now != live.remote_presence:
                    before = live.presence
                    live.remote_presence = now
                    self.presence_changed(shop_id, before)

    def _close_stale_links(self) -> None:
        for shop_id, live in self.shops.items():
            link = live.desktop
            if link is None:
                continue
            current = self.store.token_hash(shop_id)
            if current == link.token_hash:
                continue
            why = b"shop removed" if current is None else b"shop token rotated"
            log.info("shop %s: closing the desktop link: %s", shop_id, why.decode())
            self.spawn(link.conn.close(CLOSE_UNAUTHORIZED, why))
            if current is None:
                for conns in live.widgets.values():
                    for c in conns:
                        self.spawn(c.close(CLOSE_UNAUTHORIZED, why))

    # ---- shutdown

    async def close(self) -> None:
        self.closing = True
        self._closed.set()
        self._webhook_wake.set()
        self.meta.stop()
        if self._listener is not None:
            self._listener.cancel()
        for live in self.shops.values():
            live.line_wake.set()
        conns: list[Conn] = []
        for live in self.shops.values():
            if live.desktop is not None:
                conns.append(live.desktop.conn)
            for cs in live.widgets.values():
                conns.extend(cs)
        await asyncio.gather(
            *(c.close(CloseCode.GOING_AWAY, b"relay shutting down") for c in conns),
            return_exceptions=True,
        )
        pending = [t for t in self._tasks if not t.done()]
        if pending:
            _, still = await asyncio.wait(pending, timeout=5)
            for t in still:
                t.cancel()
            if still:
                await asyncio.wait(still, timeout=1)
        await self.line.close()
        await self.meta.close()
        with contextlib.suppress(StoreError):
            await self.durable()  # (a COMMIT in flight, and what waits for it)
        self.holds.close()
        self._commit()


def _load_shop_message(text: str) -> p.Message:
    return p.Message.from_obj(json.loads(text), p.SHOP_KINDS)
