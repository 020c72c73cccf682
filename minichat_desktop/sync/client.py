"""The desktop's connection to the relay: asyncio, no widgets.

- Connects to ``{relay}/ws/desktop`` with the shop token, says ``hello`` with the last stream
  position it stored, and stores every stream item (shopper messages, receipts, LINE notices)
  in the shop database *before* acknowledging it — in batches, one transaction each, with the
  new position saved in the same transaction. A repeated message id is dropped.
- Sends what is in the outbox (replies typed while offline, or just before a crash) and drops
  an item only when the relay answers ``accepted``.
- Catches the relay up after its ``welcome``: the widget's look and LINE credentials saved
  while offline (or lost by the relay) are sent again (:mod:`minichat_desktop.app.relay_link`).
- Wakes by itself when anything — a screen, the bot, a broadcast, the CLI in this process —
  commits a unit of work that put something in the outbox (:meth:`Database.subscribe`).
- Drives the protocol's sans-I/O :class:`~relay.protocol.connection.ClientSide`: it decides
  what a frame is (a frame this version cannot read — a newer relay's — is skipped and its
  stream position acknowledged; it never ends the session) and what to do after a close:
  reconnect with capped exponential backoff × 0.5–1.5; stop after a refused token (4001), a
  too old MiniChat (4002) or another MiniChat taking the link (4000) until the owner asks
  again (Settings → Relay → Save and reconnect: :meth:`RelayClient.reconfigure`).
- A message the relay refuses (``error`` with its id in ``ref``) is marked failed, taken out
  of the outbox (never offered again) and the owner is told why (a notification).
- Never says it is online when it is not: :attr:`RelayClient.status` is online only while
  :meth:`RelayClient.run` is running and the relay was heard from (a frame, or the pong to a
  ping sent every 10 s) within :data:`~minichat_desktop.sync.liveness.BOUND` seconds; see
  :mod:`minichat_desktop.sync.liveness`. :meth:`RelayClient.check` reports a change to it.

Database work runs on a worker thread so the Qt event loop (qasync) never blocks on SQLite.
Events reach the UI through a :class:`SyncEvents` implementation (see ``qt_bridge``).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import logging
import random as _random
import secrets
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Literal, Protocol, TypeVar
from urllib.parse import quote

from minichat_desktop import paths
from minichat_desktop.app import relay_link
from minichat_desktop.domain.activity import notifications
from minichat_desktop.domain.conversations import conversations as convs
from minichat_desktop.domain.shop import get_setting, put_setting
from minichat_desktop.storage.db import Database
from minichat_desktop.sync import media
from minichat_desktop.sync.bot_runner import BotRunner
from minichat_desktop.sync.liveness import PING_INTERVAL, PING_TIMEOUT, Liveness, Proof
from minichat_desktop.sync.status import LinkState, Status
from minichat_desktop.sync.supervisor import Spawn
from relay import protocol as p
from relay.protocol.connection import (
    Action,
    ClientSide,
    CloseCode,
    Decision,
    Received,
    WelcomeRefused,
)

if TYPE_CHECKING:
    from websockets.asyncio.client import ClientConnection

log = logging.getLogger(__name__)

AFTER_KEY = "sync.after"
NO_TOKEN = "no shop token set (Settings → Relay)"
BATCH = 200
ACK_RIDE_DELAY = 0.05
"""With ``ride`` (docs/adr/0011-fewer-frames.md): how long a stream ``ack`` waits to ride in
the next ``send`` (the bot's reply, as a rule) before it goes alone."""
_NOT_SENT = ("ส่งข้อความไม่สำเร็จ", "Message not sent")
# Why the relay refused a message, for the owner (Thai, English); never the protocol text.
FAILED_REASONS: dict[p.ErrorCode, tuple[str, str]] = {
    p.ErrorCode.BAD_FRAME: (
        "ข้อความมีตัวอักษรหรือข้อมูลที่รีเลย์รับไม่ได้ แก้ไขแล้วส่งใหม่",
        "The message holds characters or data the relay cannot take; edit it and send it again.",
    ),
    p.ErrorCode.TOO_LARGE: (
        "ข้อความหรือรูปใหญ่เกินไป ทำให้สั้นหรือเล็กลงแล้วส่งใหม่",
        "The message or picture is too large; make it shorter or smaller and send it again.",
    ),
    p.ErrorCode.NOT_FOUND: (
        "รีเลย์ไม่รู้จักบทสนทนาหรือรูปนี้ (อาจหมดอายุแล้ว)",
        "The relay does not know this conversation or picture (it may have expired).",
    ),
    p.ErrorCode.FORBIDDEN: (
        "บทสนทนานี้ไม่ใช่ของร้านนี้บนรีเลย์",
        "This conversation belongs to another shop on the relay.",
    ),
    p.ErrorCode.UNAVAILABLE: (
        "ช่องทางนี้ยังไม่พร้อมบนรีเลย์ (เช่น ยังไม่ได้ตั้งค่า LINE)",
        "This channel is not ready on the relay (LINE not set up, for example).",
    ),
}
# Reasons :attr:`RelayClient.status` gives when it overrules what the session last said.
SILENT = "no answer from the relay lately"
DIED = "the relay link stopped after an error (see the log)"
T = TypeVar("T")


class SyncEvents(Protocol):
    """What the client reports. Called on the event loop's thread."""

    def status_changed(self, status: Status) -> None: ...
    def messages_stored(self, stored: list[convs.Inbound]) -> None: ...
    def conversations_changed(self, ids: list[int]) -> None: ...
    def welcomed(self, welcome: p.DesktopWelcome) -> None: ...
    def line_quota(self, quota: p.LineQuota) -> None: ...
    def shopper_typing(self, conversation: str, state: bool) -> None: ...
    def caught_up(self, sent: tuple[str, ...]) -> None: ...


class Stop(Exception):
    """Connecting again will not help until the owner acts (no token, token refused)."""

    def __init__(self, action: Action, reason: str | None = None) -> None:
        super().__init__(reason or action.value)
        self.action = action
        self.reason = reason


class RelayClient:
    """One shop's link to the relay. ``token`` returns the current shop token (from keyring);
    ``clock`` is what the liveness rule reads; ``spawn`` runs the bot's timers under the app's
    supervisor; ``random`` (a float in [0, 1)) draws the reconnect jitter."""

    def __init__(
        self,
        db: Database,
        url: str,
        token: Callable[[], str | None],
        events: SyncEvents,
        *,
        line_credentials: Callable[[], tuple[str | None, str | None]] | None = None,
        meta_credentials: Callable[[], tuple[str | None, str | None, str | None]] | None = None,
        client_name: str = "minichat-desktop",
        backoff_base: float = 0.5,
        backoff_cap: float = 30.0,
        bot: bool = True,
        clock: Callable[[], float] = time.monotonic,
        spawn: Spawn | None = None,
        random: Callable[[], float] = _random.random,
    ) -> None:
        self.db = db
        self.url = url.rstrip("/")
        self._token = token
        self.events = events
        self.client_name = client_name
        self._line_credentials = line_credentials
        self._meta_credentials = meta_credentials  # app secret, page token, verify token
        self.machine = ClientSide(
            base=backoff_base, cap=backoff_cap, random=random, features=(p.RIDE,)
        )
        self._ack_top = 0  # stored up to here; with ride, not yet told to the relay
        self._ack_due = asyncio.Event()
        # What the session last said, and what was last reported (see ``status``).
        self._said = Status(LinkState.OFFLINE, "not started")
        self._shown = self._said
        self.liveness = Liveness(clock)
        self._running = False
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sync-db")
        self._ws: ClientConnection | None = None
        self._outbox_wake = asyncio.Event()
        self._reconnect_now = asyncio.Event()
        self._stopping = False
        self._in_flight: set[str] = set()
        self._closing: asyncio.Future[None] | None = None
        self._task: asyncio.Task[None] | None = None
        self.presence = p.Presence.ONLINE
        self.welcome: p.DesktopWelcome | None = None
        self._asked: dict[str, asyncio.Future[Any]] = {}  # ref -> the answer awaited
        self._retake = False  # a probe of ours replaced this link: connect again at once
        # The sales bot answers what was stored (when the owner has switched it on).
        self.bot: BotRunner | None = (
            BotRunner(
                db,
                relay_url=lambda: self.url,
                token=self._token,
                changed=events.conversations_changed,
                spawn=spawn,
            )
            if bot
            else None
        )

    # ------------------------------------------------------------------ public

    @property
    def status(self) -> Status:
        """The link's state as it is now: what the session said, unless :meth:`run` is not
        running any more or the relay has been silent for longer than the liveness bound."""
        said = self._said
        if said.state is not LinkState.ONLINE:
            return said
        if not self._running:
            return Status(LinkState.OFFLINE, DIED)
        if self.liveness.state() is Proof.SILENT:
            return Status(LinkState.CONNECTING, SILENT)
        return said

    @property
    def online(self) -> bool:
        return self.status.state is LinkState.ONLINE

    def check(self) -> Status:
        """Report the status to the events if it changed since last reported (the window asks
        every few seconds: a link that fell silent says so without any frame arriving).

        A link silent for twice the liveness bound is stuck (its own keepalive would have
        dropped a dead socket long before): its task is cancelled, for whoever runs it (the
        app's supervisor) to start it again."""
        status = self.status
        silent = self.liveness.silent_for()
        task = self._task
        if silent > 2 * self.liveness.bound and task is not None and not task.done():
            if not self._stopping:
                log.warning("relay link: nothing from the relay for %.0f s; restarting it", silent)
                self.liveness.closed()  # once
                task.cancel()
        if status != self._shown:
            self._shown = status
            self.events.status_changed(status)
        return status

    def reconfigure(self, url: str | None = None) -> None:
        """Settings changed (relay address or token): drop the link and connect again now."""
        if url is not None:
            self.url = url.rstrip("/")
        self._reconnect_now.set()
        if self._ws is not None:
            self._closing = asyncio.ensure_future(self._ws.close())

    def wake(self) -> None:
        """Something was put in the outbox: send it now if online."""
        self._outbox_wake.set()

    async def send_live(self, frame: p.Frame) -> bool:
        """A frame that is not worth keeping if offline (typing, read, presence, config).
        Returns whether it went out."""
        import websockets

        ws = self._ws
        if ws is None or not self.online:
            return False
        try:
            await ws.send(p.encode(frame))
        except websockets.ConnectionClosed:
            return False
        return True

    async def _ask(self, make: Callable[[str], p.Frame], timeout: float) -> Any:
        """Send the frame ``make(ref)`` and wait for the answer carrying ``ref`` (or an
        ``error`` about it). None when offline or no answer came within ``timeout`` s."""
        ref = _ref("verify")
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._asked[ref] = future
        frame = make(ref)
        try:
            if not await self.send_live(frame):
                return None
            return await asyncio.wait_for(future, timeout)
        except TimeoutError:
            log.info("relay link: no answer to %s %s within %.0f s", frame.TYPE, ref, timeout)
            return None
        finally:
            self._asked.pop(ref, None)

    async def verify_line(self, endpoint: str, timeout: float = 40.0) -> p.LineVerified | None:
        """Ask the relay to verify the shop's LINE channel (``line_verify``) against the
        webhook URL ``endpoint``. None when offline, the relay refused the frame, or no answer
        came within ``timeout`` seconds (LINE may take a while to answer the relay)."""
        answer = await self._ask(lambda ref: p.VerifyLine(ref, endpoint), timeout)
        return answer if isinstance(answer, p.LineVerified) else None

    async def verify_meta(self, timeout: float = 40.0) -> p.MetaVerified | None:
        """Ask the relay to verify the shop's Facebook Page / Instagram connection
        (``meta_verify``) with the credentials it holds. None when offline, the relay refused
        the frame, or no answer came within ``timeout`` seconds."""
        answer = await self._ask(p.VerifyMeta, timeout)
        return answer if isinstance(answer, p.MetaVerified) else None

    async def probe(self, url: str, token: str) -> Probe:
        """Test ``url`` and ``token`` with a hello of their own (:func:`probe`). A probe that
        reached this link's own shop replaced this link at the relay (one desktop link per
        shop): the link connects again at once instead of waiting for the owner."""
        result = await probe(url, token, client_name=self.client_name)
        if self.welcome is not None and result.shop_id == self.welcome.shop_id:
            self._retake = True
            self.reconfigure()
        return result

    async def run(self) -> None:
        """Connect, stay connected, reconnect; returns after :meth:`stop`."""
        import websockets  # loaded after the window is up

        self._task = asyncio.current_task()
        loop = asyncio.get_running_loop()

        def outbox_changed(tables: frozenset[str]) -> None:
            if "outbox" in tables and not loop.is_closed():
                loop.call_soon_threadsafe(self.wake)

        unsubscribe = self.db.subscribe(outbox_changed)
        self._running = True
        try:
            await self._run(websockets)
        except asyncio.CancelledError:
            if not self._stopping:
                self._set(Status(LinkState.OFFLINE, "stopped"))
                raise
        except BaseException:
            # A bug or an environment problem nobody caught: whoever runs this (the app's
            # supervisor) logs it and starts the link again; until then it is not online.
            self._set(Status(LinkState.OFFLINE, DIED))
            raise
        finally:
            self._running = False
            self.liveness.closed()
            unsubscribe()
        self._set(Status(LinkState.OFFLINE, "stopped"))

    async def _run(self, websockets: Any) -> None:
        while not self._stopping:
            self._set(Status(LinkState.CONNECTING))
            try:
                decision = await self._one_session(websockets)
            finally:
                self._ws = None
                self.liveness.closed()
                self._in_flight.clear()
            if self._stopping:
                break
            log.info("relay link down: %s (%s)", decision.reason, decision.action.value)
            self._set(Status(LinkState.OFFLINE, decision.reason, decision.delay or 0.0))
            if not self._retake:
                self._reconnect_now.clear()
            self._retake = False
            if decision.delay is None:  # stopped: only the owner starts it again
                await self._reconnect_now.wait()
            else:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._reconnect_now.wait(), decision.delay)
            if self._reconnect_now.is_set():
                self.machine.resume()

    async def _one_session(self, websockets: Any) -> Decision:
        """One socket, from connecting to its end, and what the machine decides after it."""
        try:
            await self._session()
        except Stop as exc:
            return self.machine.stop(exc.action, exc.reason)
        except WelcomeRefused as exc:
            log.info("relay link: %s", exc)
            return self.machine.closed(exc.code)
        except websockets.ConnectionClosed as exc:
            return self.machine.closed(exc.rcvd.code if exc.rcvd is not None else None)
        except (OSError, websockets.InvalidHandshake, TimeoutError, p.ProtocolError) as exc:
            return self.machine.failed(_describe(exc))
        return self.machine.closed(None)

    async def stop(self) -> None:
        """Close the link and wait for :meth:`run` to return (work being stored finishes)."""
        self._stopping = True
        self._reconnect_now.set()
        self._outbox_wake.set()
        if self._ws is not None:
            await self._ws.close()
        task = self._task
        if task is not None and not task.done() and task is not asyncio.current_task():
            await asyncio.wait({task}, timeout=2)
            if not task.done():
                # Whatever the session still waits for (a connect, a frame) is not worth
                # waiting for now; a database write under way completes on its thread.
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if self.bot is not None:
            await self.bot.stop()
        self._pool.shutdown(wait=True)

    # ------------------------------------------------------------------ internals

    def _set(self, status: Status) -> None:
        self._said = status
        self.check()

    async def _db(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._pool, fn, *args)

    async def _session(self) -> None:
        import websockets
        from websockets.asyncio.client import connect

        token = self._token()
        if not token:
            raise Stop(Action.ASK_TOKEN, NO_TOKEN)
        url = self.url.replace("http://", "ws://").replace("https://", "wss://") + "/ws/desktop"
        if self.welcome is not None:
            # the shop, for a load balancer that keeps a shop on one relay process (the relay
            # itself goes by the token; docs/protocol.md §2)
            url += "?shop=" + quote(self.welcome.shop_id, safe="")
        try:
            ws = await connect(
                url,
                additional_headers={"Authorization": f"Bearer {token}"},
                compression=None,
                open_timeout=10,
                max_size=4 * 1024 * 1024,
                ping_interval=None,  # our own keepalive proves the link (see _keepalive)
            )
        except websockets.InvalidStatus as exc:
            if exc.response.status_code == 401:
                raise Stop(Action.ASK_TOKEN) from exc
            raise
        self._ws = ws
        try:
            after = await self._db(self._stored_after)
            await ws.send(self.machine.hello(after, self.presence, self.client_name))
            try:
                first = self.machine.receive(await asyncio.wait_for(ws.recv(), 15)).frame
            except WelcomeRefused as exc:
                # the relay says why, then closes: the close code decides what comes next
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(ws.wait_closed(), 5)
                exc.code = ws.close_code
                raise
            if not isinstance(first, p.DesktopWelcome):  # the machine lets nothing else through
                raise p.ProtocolError("type: expected welcome")
            self.welcome = first
            self.liveness.opened()
            self._set(Status(LinkState.ONLINE))
            self.events.welcomed(first)
            await self._catch_up(ws, first)
            if self.bot is not None:
                self.bot.warm()
            log.info(
                "relay link up: shop %s, resuming after %d, %d waiting",
                first.shop_id,
                first.after,
                first.pending,
            )
            self._ack_top = first.after
            helpers = [
                asyncio.create_task(self._send_outbox(ws)),
                asyncio.create_task(self._keepalive(ws)),
                asyncio.create_task(self._ack_alone(ws)),
            ]
            try:
                await self._receive(ws)
            finally:
                for helper in helpers:
                    helper.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await helper
        finally:
            await ws.close()

    async def _keepalive(self, ws: ClientConnection) -> None:
        """Ping every ``PING_INTERVAL`` seconds after the last pong; a pong is proof the link
        and this task work (:mod:`~minichat_desktop.sync.liveness`). No pong within
        ``PING_TIMEOUT``: the link is closed, and :meth:`_run` connects again."""
        while True:
            await asyncio.sleep(PING_INTERVAL)
            pong = await ws.ping()
            try:
                await asyncio.wait_for(pong, PING_TIMEOUT)
            except TimeoutError:
                log.info("relay link: no pong within %.0f s; reconnecting", PING_TIMEOUT)
                await ws.close(CloseCode.INTERNAL_ERROR, "keepalive ping timeout")
                return
            self.liveness.saw_frame()

    async def _catch_up(self, ws: ClientConnection, welcome: p.DesktopWelcome) -> None:
        """Send what the relay's copy lacks (see :mod:`minichat_desktop.app.relay_link`);
        tells :meth:`SyncEvents.caught_up` what went out: ``widget``, ``line_set``,
        ``line_cleared``, ``meta_set`` or ``meta_cleared``."""
        plan = await self._db(self._read_catch_up, welcome)
        sent: list[str] = []
        if plan.widget is not None:
            config, origins = plan.widget
            await ws.send(p.encode(p.SetWidgetConfig(_ref("cfg"), config, origins)))
            log.info("relay had an older widget config; sent the shop's")
            sent.append("widget")
        if plan.line is not None:
            line = p.SetLineCredentials(_ref("line"), None, None)
            if plan.line == "set":
                secret, token = self._line_credentials() if self._line_credentials else (None, None)
                line = p.SetLineCredentials(line.ref, secret, token)
            secrets = (line.channel_secret, line.channel_token)
            sent += await self._send_pending(ws, "line", plan.line, line, secrets)
        if plan.meta is not None:
            meta = p.SetMetaCredentials(_ref("meta"), None, None, None)
            if plan.meta == "set":
                creds = self._meta_credentials() if self._meta_credentials else (None, None, None)
                meta = p.SetMetaCredentials(meta.ref, *creds)
            values = (meta.app_secret, meta.page_token, meta.verify_token)
            sent += await self._send_pending(ws, "meta", plan.meta, meta, values)
        self._tell_caught_up(sent)

    async def _send_pending(
        self,
        ws: ClientConnection,
        what: Literal["line", "meta"],
        pending: relay_link.Pending,
        frame: p.Frame,
        secrets: tuple[str | None, ...],
    ) -> list[str]:
        """Send credentials (or their removal) saved while offline; the pending mark is
        cleared either way: credentials gone from the keyring are not sent (logged)."""
        if pending == "set" and not all(secrets):
            log.warning("%s credentials to send are not in the keyring any more", what)
            await self._db(self._pending_sent, what)
            return []
        await ws.send(p.encode(frame))
        await self._db(self._pending_sent, what)
        log.info("%s credentials %s on the relay", what, "set" if pending == "set" else "cleared")
        return [f"{what}_{'set' if pending == 'set' else 'cleared'}"]

    def _tell_caught_up(self, sent: list[str]) -> None:
        if sent:
            self.events.caught_up(tuple(sent))

    def _read_catch_up(self, welcome: p.DesktopWelcome) -> relay_link.CatchUp:
        with self.db.read() as s:
            return relay_link.catch_up(s, welcome)

    def _pending_sent(self, what: Literal["line", "meta"]) -> None:
        with self.db.write() as s:
            (relay_link.line_pending if what == "line" else relay_link.meta_pending)(s, None)

    def _stored_after(self) -> int:
        with self.db.read() as s:
            return int(get_setting(s, AFTER_KEY, 0))

    async def _receive(self, ws: ClientConnection) -> None:
        while True:
            raw = await ws.recv()
            self.liveness.saw_frame()
            batch = self.machine.receive_all(raw)  # with ride, frames ride on each other
            # Take what has already arrived, to store it in one transaction.
            while len(batch) < BATCH:
                try:
                    raw = await asyncio.wait_for(ws.recv(), 0.005)
                except TimeoutError:
                    break
                batch.extend(self.machine.receive_all(raw))
            await self._handle(ws, batch)

    async def _handle(self, ws: ClientConnection, received: list[Received]) -> None:
        frames = [r.frame for r in received if r.frame is not None]
        # a stream item this version cannot read is skipped: acknowledged past, not stored
        skipped_top = max((r.seq or 0 for r in received if r.frame is None), default=0)
        stream = [
            f
            for f in frames
            if getattr(f, "seq", 0)
            and isinstance(
                f,
                p.Inbound
                | p.Receipt
                | p.ConversationNotice
                | p.LineQuota
                | p.PageComment
                | p.PageEcho
                | p.Profile,
            )
        ]
        if stream or skipped_top:
            pictures = await self._profile_pictures(stream)
            stored, touched, top = await self._db(self._store_stream, stream, skipped_top, pictures)
            await self._ack(ws, top)
            if stored:
                self.events.messages_stored(stored)
                if self.bot is not None:
                    self.bot.submit(stored)
            if touched:
                self.events.conversations_changed(touched)
            for frame in stream:
                if isinstance(frame, p.LineQuota):
                    self.events.line_quota(frame)
        accepted = [f.id for f in frames if isinstance(f, p.Accepted)]
        if accepted:
            touched = await self._db(self._accepted, accepted)
            self._in_flight.difference_update(accepted)
            if touched:
                self.events.conversations_changed(touched)
        for f in frames:
            if isinstance(f, p.Receipt) and not f.seq:
                touched = await self._db(self._receipt, f)
                self.events.conversations_changed(touched)
            elif isinstance(f, p.ShopperTyping):
                self.events.shopper_typing(f.conversation, f.state)
            elif isinstance(f, p.LineVerified | p.MetaVerified | p.Error) and f.ref in self._asked:
                future = self._asked.pop(str(f.ref))
                if not future.done():
                    future.set_result(f)
            elif isinstance(f, p.Error):
                await self._error(f)
            elif isinstance(f, p.LineQuota) and not f.seq:
                await self._db(self._keep_quota, f)
                self.events.line_quota(f)

    async def _profile_pictures(self, items: list[Any]) -> dict[int, str]:
        """The profile pictures of ``items`` saved under the data folder's ``media/profiles``,
        by stream seq: their paths inside the data folder. Fetched over this link's media path
        first (``GET /media/<id>`` of the relay linked to), then the URL the item names; one
        that cannot be fetched is left out (the customer keeps the picture they had)."""
        out: dict[int, str] = {}
        data_dir = self.db.path.parent
        folder = paths.media_dir(data_dir) / "profiles"
        for item in items:
            if not isinstance(item, p.Profile) or item.picture is None:
                continue
            pic = item.picture
            urls = [f"{self.url}/media/{pic.media_id}"] if pic.media_id else []
            urls += [pic.url] if pic.url and pic.url not in urls else []
            for url in urls:
                try:
                    target = await media.cached(url, folder)
                except (media.MediaError, OSError) as exc:
                    log.info(
                        "profile picture of %s not fetched from %s: %s", item.conversation, url, exc
                    )
                    continue
                out[item.seq] = target.relative_to(data_dir).as_posix()
                break
        return out

    async def _ack(self, ws: ClientConnection, top: int) -> None:
        """The stream is stored up to ``top``: tell the relay at once, or with ride in the
        next ``send`` when one goes within :data:`ACK_RIDE_DELAY` (:meth:`_ack_alone`)."""
        if not self.machine.ride:
            ack = self.machine.ack(top)
            if ack is not None:
                await ws.send(ack)
            return
        if top > self._ack_top:
            self._ack_top = top
            self._ack_due.set()

    def _riding_ack(self) -> int | None:
        """The stream position to put in a ``send`` now (None: the relay knows it already)."""
        if not self.machine.ride or self.machine.ack(self._ack_top) is None:
            return None
        return self._ack_top

    async def _ack_alone(self, ws: ClientConnection) -> None:
        """With ride: an ``ack`` that found no ``send`` to ride in goes alone after
        :data:`ACK_RIDE_DELAY`."""
        while True:
            await self._ack_due.wait()
            self._ack_due.clear()
            await asyncio.sleep(ACK_RIDE_DELAY)
            ack = self.machine.ack(self._ack_top)
            if ack is not None:
                await ws.send(ack)

    def _store_stream(
        self, items: list[Any], skipped_top: int = 0, pictures: dict[int, str] | None = None
    ) -> tuple[list[convs.Inbound], list[int], int]:
        stored: list[convs.Inbound] = []
        touched: set[int] = set()
        with self.db.write() as s:
            after = int(get_setting(s, AFTER_KEY, 0))
            top = max(after, skipped_top)
            for item in items:
                top = max(top, item.seq)
                if item.seq <= after:
                    continue  # already stored before a reconnect
                if isinstance(item, p.Inbound):
                    obj = item.message.to_obj()
                    at = _parse_at(item.message.at)
                    rec = convs.record_inbound(s, item.conversation, obj, at)
                    if rec is not None:
                        stored.append(rec)
                        _notify_inbound(s, rec)
                elif isinstance(item, p.Receipt):
                    touched.update(_apply_receipt(s, item))
                elif isinstance(item, p.ConversationNotice):
                    view = convs.record_notice(
                        s,
                        item.conversation,
                        item.event.value,
                        _parse_at(item.at) or dt.datetime.now(dt.UTC),
                    )
                    touched.add(view.id)
                elif isinstance(item, p.Profile):  # the name and picture of a shopper
                    picture = (pictures or {}).get(item.seq)
                    touched.update(relay_link.profile(s, item, picture))
                elif isinstance(item, p.PageComment):
                    relay_link.page_comment(s, item)  # the live screen sees the tables change
                elif isinstance(item, p.PageEcho):
                    at = _parse_at(item.message.at)
                    echoed = convs.record_page_echo(s, item.conversation, item.message.to_obj(), at)
                    if echoed is not None:
                        touched.add(echoed)
                elif isinstance(item, p.LineQuota):
                    _store_line_quota(s, item)
                    limit = item.limit if item.limit is not None else "∞"
                    notifications.notify(
                        s,
                        notifications.NotificationKind.LINE_QUOTA,
                        f"ข้อความ LINE เดือน {item.month}: ใช้ไป {item.used}/{limit}",
                        "ใช้ครบโควตาแล้ว ข้อความต่อไปจะส่งไม่ได้" if item.exceeded else "",
                        en=(
                            f"LINE messages in {item.month}: {item.used}/{limit} used",
                            "The quota is used up: further messages cannot be sent"
                            if item.exceeded
                            else "",
                        ),
                    )
            if top > after:
                put_setting(s, AFTER_KEY, top)
        return stored, sorted(touched), top

    def _keep_quota(self, q: p.LineQuota) -> None:
        with self.db.write() as s:
            _store_line_quota(s, q)

    def _accepted(self, uids: list[str]) -> list[int]:
        with self.db.write() as s:
            convs.mark_accepted(s, uids)
            return convs.conversations_of(s, uids)

    def _receipt(self, receipt: p.Receipt) -> list[int]:
        with self.db.write() as s:
            return _apply_receipt(s, receipt)

    async def _error(self, err: p.Error) -> None:
        log.warning("relay error %s: %s (ref %s)", err.code, err.message, err.ref)
        if self.machine.ride and self._ack_top:
            # a refused send may have held our ack: tell it again (a repeated ack is harmless)
            self.machine.acked = 0
            self._ack_due.set()
        if not err.ref:
            return
        final = err.code in FAILED_REASONS or err.code is p.ErrorCode.OUTSIDE_WINDOW
        if final and await self._db(self._reply_refused, err):
            self._in_flight.discard(err.ref)  # a live comment's private reply: never again
            return
        if final:
            # This message can never be delivered: fail it instead of offering it again.
            ref = err.ref
            touched = await self._db(self._failed, ref, err.code, err.message)
            self._in_flight.discard(ref)
            self.events.conversations_changed(touched)
        else:
            self._in_flight.discard(err.ref)  # offered again later (rate limited, internal)

    def _reply_refused(self, err: p.Error) -> bool:
        with self.db.write() as s:
            return relay_link.comment_reply_refused(s, err)

    def _failed(self, uid: str, code: p.ErrorCode, said: str = "") -> list[int]:
        with self.db.write() as s:
            touched = convs.mark_failed(s, uid)
            if touched:
                thai, english = FAILED_REASONS.get(code) or _thai_english(said)
                notifications.notify(
                    s,
                    notifications.NotificationKind.MESSAGE_FAILED,
                    _NOT_SENT[0],
                    thai,
                    ref=f"conversation:{touched[0]}",
                    en=(_NOT_SENT[1], english),
                )
            return touched

    async def _send_outbox(self, ws: ClientConnection) -> None:
        while True:
            # Cleared before the read, never after: a reply queued while the outbox is being
            # read (or sent) sets it again and is read on the next turn instead of waiting
            # for the resend below.
            self._outbox_wake.clear()
            items = await self._db(self._pending)
            for uid, frame in items:
                if uid in self._in_flight:
                    continue
                self._in_flight.add(uid)
                ack = self._riding_ack() if frame.get("type") == p.Send.TYPE else None
                await ws.send(p.encode_obj(frame if ack is None else {**frame, "ack": ack}))
            try:
                await asyncio.wait_for(self._outbox_wake.wait(), 5.0)
            except TimeoutError:
                # Not accepted within a while (a relay restart?): offer them again.
                self._in_flight.clear()

    def _pending(self) -> list[tuple[str, dict[str, Any]]]:
        with self.db.read() as s:
            return convs.pending_outbox(s)


@dataclasses.dataclass(frozen=True, slots=True)
class Probe:
    """What a test connection found: whether the relay answered at all (``reachable``),
    whether it took the token (None when it was not reached), the shop it belongs to on the
    relay, and, when something failed, why (the link's own words, as :attr:`Status.reason`)."""

    reachable: bool
    token_accepted: bool | None
    shop_id: str = ""
    shop_name: str = ""
    problem: str = ""


async def probe(
    url: str, token: str, *, client_name: str = "minichat-desktop", timeout: float = 10.0
) -> Probe:
    """Connect to the relay at ``url`` with the shop ``token``, say ``hello`` (stream position
    0: nothing is acknowledged) and read the ``welcome`` — the same handshake as the link —
    then close. Never raises for what the network or the relay does."""
    import websockets
    from websockets.asyncio.client import connect

    ws_url = url.rstrip("/").replace("http://", "ws://").replace("https://", "wss://")
    machine = ClientSide()
    try:
        async with asyncio.timeout(timeout):
            async with connect(
                ws_url + "/ws/desktop",
                additional_headers={"Authorization": f"Bearer {token}"},
                compression=None,
                open_timeout=timeout,
                max_size=4 * 1024 * 1024,
            ) as ws:
                await ws.send(machine.hello(0, p.Presence.ONLINE, client_name))
                first = machine.receive(await ws.recv()).frame
    except websockets.InvalidStatus as exc:
        if exc.response.status_code == 401:
            return Probe(True, False, problem="the relay refused the shop token")
        return Probe(True, None, problem=_describe(exc))
    except WelcomeRefused as exc:
        return Probe(True, True, problem=f"the relay refused the hello: {exc}")
    except (OSError, websockets.InvalidHandshake, websockets.ConnectionClosed) as exc:
        return Probe(False, None, problem=_describe(exc))
    except (TimeoutError, p.ProtocolError) as exc:
        return Probe(False, None, problem=_describe(exc))
    if not isinstance(first, p.DesktopWelcome):
        return Probe(True, True, problem="relay spoke an unexpected protocol")
    return Probe(True, True, first.shop_id, first.shop_name)


async def widget_test_page(url: str, shop_id: str, timeout: float = 5.0) -> str | None:
    """The relay's own page with the shop's widget (``/demo/{shop_id}``) when the relay serves
    one (it is an option of the relay), else None. Never raises for the network."""
    import httpx

    page = f"{url.rstrip('/')}/demo/{shop_id}"
    try:
        async with httpx.AsyncClient(timeout=timeout) as http:
            res = await http.get(page)
    except httpx.HTTPError:
        return None
    return page if res.status_code == 200 else None


def _apply_receipt(session: Any, receipt: p.Receipt) -> list[int]:
    """What happened to the shop's messages; a failure is told to the owner in the relay's
    words (Thai and English, with LINE's own message and details when LINE refused it), once:
    a receipt delivered again moves nothing and tells nothing."""
    if receipt.conversation.startswith(p.COMMENT_PREFIX):
        relay_link.comment_receipt(session, receipt)
        return []
    moved: list[str] = []
    touched = convs.apply_receipt(
        session, receipt.conversation, receipt.status.value, list(receipt.ids), moved
    )
    if receipt.status is p.ReceiptStatus.FAILED and moved:
        notifications.notify(
            session,
            notifications.NotificationKind.MESSAGE_FAILED,
            _NOT_SENT[0],
            receipt.reason or "ส่งไม่สำเร็จ",
            ref=f"conversation:{touched[0]}",
            en=(_NOT_SENT[1], receipt.reason or "It could not be delivered."),
        )
    return touched


def _store_line_quota(session: Any, quota: p.LineQuota) -> None:
    """Keep the relay's LINE push quota for the broadcasts screen (imported here, not at start:
    broadcasts pulls in the bot's modules, which the cold start does not need)."""
    from minichat_desktop.domain.marketing import broadcasts

    broadcasts.store_line_quota(session, quota.month, quota.used, quota.limit, quota.exceeded)


def _notify_inbound(session: Any, rec: convs.Inbound) -> None:
    kind = (
        notifications.NotificationKind.NEW_CONVERSATION
        if rec.new_conversation
        else notifications.NotificationKind.NEW_MESSAGE
    )
    if rec.message.kind == "image":
        kind = notifications.NotificationKind.PAYMENT_SLIP
    said = (rec.conversation.display_name, rec.message.text)  # the shopper's own words
    notifications.notify(session, kind, *said, ref=f"conversation:{rec.conversation.id}", en=said)


def _thai_english(said: str) -> tuple[str, str]:
    """The relay's own reason ("Thai / English", as it words ``outside_window``) split for
    the notification's two languages; one language only: the same text for both."""
    thai, sep, english = said.partition(" / ")
    if not sep:
        return said or _NOT_SENT[0], said or _NOT_SENT[1]
    return thai.strip(), english.strip()


def _ref(kind: str) -> str:
    """A fresh ``ref`` for a frame to the relay (its answer carries it back)."""
    return f"{kind}-{secrets.token_hex(4)}"


def _parse_at(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    try:
        at = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return at if at.tzinfo else at.replace(tzinfo=dt.UTC)


def _describe(exc: BaseException) -> str:
    import websockets

    if isinstance(exc, ConnectionRefusedError):
        return "relay unreachable (connection refused)"
    if isinstance(exc, OSError):
        return f"relay unreachable ({exc.strerror or exc})"
    if isinstance(exc, TimeoutError):
        return "relay did not answer in time"
    if isinstance(exc, websockets.InvalidStatus):
        return f"relay answered HTTP {exc.response.status_code}"
    if isinstance(exc, websockets.ConnectionClosed):
        return "connection closed"
    if isinstance(exc, p.ProtocolError):
        return f"relay spoke an unexpected protocol: {exc}"
    return str(exc)
