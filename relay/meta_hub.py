"""Messenger and Instagram at run time: the webhook bodies worked after their 200 (dedupe by
``mid``, pictures downloaded at once, echoes, receipts), the 24-hour window, and each shop's
outbox sent in order through the Send API with backoff on Meta's rate limits.

One :class:`MetaHub` per relay process, owned by :class:`relay.server.Hub` (``hub.meta``); it
uses the hub's group commit (``durable``, ``push_stream``) and its message paths.

On a shared store (several relay processes, docs/adr/0010-relay-shared-store.md) a webhook body
is worked by the process that claimed it (a lease, taken over when its process dies), what it
produces reaches the desktop through the stream as any item does, and one process at a time
sends a shop's outbox (its sender lock); the others are told of each new message (a ``meta``
notification) and try to take over every :data:`TAKEOVER_EVERY` seconds (one task per shop)
while messages of the shop wait.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import functools
import logging
import time
from collections.abc import Callable
from typing import Any, Protocol

import aiohttp

from relay import meta as mt
from relay import meta_send as ms
from relay import protocol as p
from relay.bodies import BodyTooLarge
from relay.images import ImageRejected, check_image
from relay.meta_store import MetaCredentials, MetaOutboxItem, MetaStore
from relay.meta_verify import verify_meta
from relay.notes import RecentNotes
from relay.storage import NotFound, Store, StoreError, now_iso


class _Config(Protocol):
    @property
    def max_upload(self) -> int: ...


class Hub(Protocol):
    """What this module uses of :class:`relay.server.Hub` (which owns it: no import back)."""

    store: Store
    closing: bool

    @property
    def config(self) -> _Config: ...

    def spawn(self, coro: Any) -> asyncio.Task[Any]: ...
    async def durable(self) -> None: ...
    def commit_soon(self) -> None: ...
    def after_commit(self, fn: Callable[[], None]) -> None: ...
    def push_stream(self, shop_id: str, make: Callable[[int], Any]) -> int: ...
    def shopper_message(
        self, shop_id: str, conversation: str, message: p.Message, at: str | None = None
    ) -> tuple[int, bool, p.Message]: ...
    def shop_message(
        self, shop_id: str, conversation: str, message: p.Message, *, human: bool = False
    ) -> tuple[int, bool]: ...
    def with_media_url(self, message: p.Message) -> p.Message: ...
    def media_url(self, media_id: str) -> str: ...


class Conn(Protocol):
    """A desktop socket (:class:`relay.server.Conn`)."""

    def send(self, text: str) -> None: ...
    def send_frame(self, frame: p.Frame) -> None: ...


log = logging.getLogger("relay")

NO_META = (
    "ร้านนี้ยังไม่ได้ตั้งค่า Facebook / Instagram / Facebook and Instagram are not set up for this shop"
)
LOST_IMAGE = "[รูปภาพดาวน์โหลดไม่ได้ / the picture could not be downloaded]"
MAX_BACKOFF = 300.0
PARALLEL = 8  # Send API requests in flight per shop (each conversation's still in order)
TAKEOVER_EVERY = 2.0  # seconds between tries to take over another process's sending
WEBHOOK_LOOK_EVERY = 5.0  # shared store: seconds between looks for bodies whose lease ended


def is_meta(conversation: str) -> bool:
    return conversation.startswith(p.META_CHANNELS)


def is_comment(conversation: str) -> bool:
    """``comment:<comment_id>``: a private reply to a page comment."""
    return conversation.startswith(p.COMMENT_PREFIX)


def iso_utc(seconds: float) -> str:
    """Unix seconds as ISO 8601 UTC with a ``Z``."""
    moment = dt.datetime.fromtimestamp(seconds, dt.UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class MetaHub:
    """Meta's part of one relay process."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.store = MetaStore(hub.store)
        self.client = ms.MetaClient()
        self._inbox_wake = asyncio.Event()
        self._send_wake: dict[tuple[str, str], asyncio.Event] = {}
        self._senders: dict[tuple[str, str], asyncio.Task[None]] = {}
        self._takeovers: dict[str, asyncio.Task[None]] = {}  # shop -> waiting for its sending
        self._slots: dict[str, asyncio.Semaphore] = {}
        self._paused: dict[str, float] = {}  # shop -> no request before (a rate limit)
        self._typing: RecentNotes[tuple[str, str]] = RecentNotes(5.0)  # typing_on, per chat
        self._closed = asyncio.Event()

    def start(self) -> None:
        """Work what a previous run left: stored webhooks and unsent messages."""
        self.hub.spawn(self.inbox_worker())
        self.hub.spawn(self.housekeeping())
        for shop_id, conversation in self.store.pending():
            self.wake_sender(shop_id, conversation)

    def stop(self) -> None:
        """Wake every worker so it sees the hub closing and ends."""
        self._closed.set()
        self._inbox_wake.set()
        for ev in self._send_wake.values():
            ev.set()

    async def close(self) -> None:
        await self.client.close()

    def configured(self, shop_id: str) -> bool:
        return self.store.configured(shop_id)

    async def housekeeping(self, every: float = 3600.0) -> None:
        """Hourly: forget event ids older than 7 days and sent ids older than 90."""
        while not self.hub.closing:
            try:
                self.store.purge()
                await self.hub.durable()
            except StoreError as exc:
                log.error("meta housekeeping failed: %s", exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closed.wait(), every)

    # ---- the 24-hour window

    def age(self, shop_id: str, conversation: str) -> float | None:
        """Seconds since the shopper's last message (None: never wrote)."""
        last = self.store.last_in(shop_id, conversation)
        return None if last is None else max(0.0, time.time() - last)

    def send_refusal(self, shop_id: str, conversation: str, human: bool) -> str | None:
        """Why Meta would refuse a message now (the desktop is told), or None."""
        age = self.age(shop_id, conversation)
        if ms.messaging(age, human) is None:
            return ms.window_refusal(age, human)
        return None

    def enqueue(self, shop_id: str, conversation: str, message: p.Message, human: bool) -> None:
        """Queue a stored shop message (the window was checked when it was accepted)."""
        kind = ms.messaging(self.age(shop_id, conversation), human) or {
            "messaging_type": "RESPONSE"
        }
        self.store.enqueue(shop_id, conversation, message, kind)
        self._queued(shop_id, conversation)

    def _queued(self, shop_id: str, conversation: str) -> None:
        """A message was queued in this transaction: its sender is woken once it commits,
        here and (shared store) on the other processes, whichever holds the shop's sending."""
        if self.hub.store.shared:
            self.hub.store.notify({"k": "meta", "s": shop_id, "c": conversation})
        self.hub.after_commit(lambda: self.wake_sender(shop_id, conversation))

    def on_remote(self, event: dict[str, Any]) -> None:
        """Another relay process queued a message (a ``meta`` notification)."""
        self.wake_sender(str(event["s"]), str(event["c"]))

    # ---- webhooks (worked after the 200)

    def wake_inbox(self) -> None:
        self._inbox_wake.set()

    async def inbox_worker(self) -> None:
        """Work stored bodies in order; a body is deleted in the commit of its effects (one
        commit per pass or per 100 bodies: the 200 was given when the body was stored)."""
        hub = self.hub
        while not hub.closing:
            self._inbox_wake.clear()
            try:
                bodies = self.store.webhooks()
                for n, (wid, shop_id, body) in enumerate(bodies, 1):
                    try:
                        await self._work(shop_id, body)
                    except NotFound:
                        log.warning("meta webhook %d: shop %s no longer exists", wid, shop_id)
                    except StoreError:
                        raise
                    except Exception:
                        log.exception("meta webhook %d of shop %s not worked", wid, shop_id)
                    self.store.webhook_done(wid)  # commits with the body's effects
                    if n % 100 == 0:
                        await hub.durable()
                    if hub.closing:
                        break
                await hub.durable()
                if hub.closing:
                    return
            except StoreError as exc:
                log.error("meta webhooks paused: %s", exc)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._closed.wait(), 5)
                continue
            if not bodies:
                # on a shared store, bodies whose process died are taken over when their
                # lease ends: look again now and then
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(
                        self._inbox_wake.wait(),
                        WEBHOOK_LOOK_EVERY if self.hub.store.shared else None,
                    )

    async def _work(self, shop_id: str, body: bytes) -> None:
        try:
            payload = p.load_json(body)
            events = mt.parse_events(payload)
        except p.ProtocolError as exc:
            log.warning("shop %s: unusable meta webhook body (%s)", shop_id, exc)
            return
        for comment in mt.parse_comments(payload):
            self._comment(shop_id, comment)
        for ev in events:
            if ev.key is not None and self.store.known_event(shop_id, ev.key):
                log.info("shop %s: dropped a redelivered meta event", shop_id)
                continue
            if ev.echo and ev.key is not None and self._sent_by_us(shop_id, ev.key):
                continue  # our own message (Instagram's echoes may come without our metadata)
            message = ev.message
            if ev.image_url is not None and ev.key is not None:
                message = await self._download(shop_id, ev.key, ev.image_url)
            # from here on synchronous: the event's key and its effects commit together
            if ev.key is not None and self.store.seen_event(shop_id, ev.key):
                continue
            self._apply(shop_id, ev, message)

    def _comment(self, shop_id: str, c: mt.FeedComment) -> None:
        """A new comment under a page post: once per ``comment_id`` (Meta redelivers), to the
        desktop as a ``comment`` stream item (it decides, for its running live, what to do)."""
        if self.store.seen_event(shop_id, c.key):
            log.info("shop %s: dropped a redelivered %s comment", shop_id, c.platform.value)
            return
        created = min(c.created, time.time()) if c.created else time.time()
        self.store.remember_comment(shop_id, c.comment_id, c.platform, c.account_id, created)
        at = iso_utc(created)
        self.hub.push_stream(
            shop_id,
            lambda seq: p.PageComment(
                seq, c.comment_id, c.post_id, c.from_id, c.from_name, c.text, at, c.platform
            ),
        )

    def _sent_by_us(self, shop_id: str, key: str) -> bool:
        return self.store.sent_at(shop_id, key.split("#", 1)[0]) is not None

    def _apply(self, shop_id: str, ev: mt.MetaEvent, message: p.Message | None) -> None:
        conv = ev.conversation
        if ev.echo and message is not None:
            self._echo(shop_id, conv, message)
            return
        if message is not None:
            wrote = min(ev.timestamp or time.time(), time.time())
            self.store.shopper_wrote(shop_id, conv, wrote)
            # stamped with Meta's time: the desktop counts the same 24-hour window from it
            self.hub.shopper_message(shop_id, conv, message, iso_utc(wrote))
            return
        if ev.delivered_mids or ev.delivered_watermark:
            ids = self.store.mark(
                shop_id, conv, "delivered", mids=ev.delivered_mids, up_to=ev.delivered_watermark
            )
            self._receipt(shop_id, conv, p.ReceiptStatus.DELIVERED, ids)
        if ev.read_watermark or ev.read_mid:
            up_to = ev.read_watermark
            if up_to is None and ev.read_mid is not None:
                up_to = self.store.sent_at(shop_id, ev.read_mid)
            ids = self.store.mark(shop_id, conv, "read", up_to=up_to)
            self._receipt(shop_id, conv, p.ReceiptStatus.READ, ids)

    def _receipt(
        self, shop_id: str, conversation: str, status: p.ReceiptStatus, ids: list[str]
    ) -> None:
        for i in range(0, len(ids), p.MAX_RECEIPT_IDS):
            part = tuple(ids[i : i + p.MAX_RECEIPT_IDS])
            self.hub.push_stream(shop_id, functools.partial(p.Receipt, conversation, status, part))

    def _echo(self, shop_id: str, conversation: str, message: p.Message) -> None:
        """The page sent this from elsewhere: kept in the history as the shop's, shown to the
        desktop as a ``page_echo``, never answered."""
        message = self.hub.with_media_url(message).with_at(now_iso())
        _, is_new = self.hub.store.add_history(shop_id, conversation, p.Origin.SHOP, message)
        if is_new:
            self.hub.push_stream(shop_id, lambda seq: p.PageEcho(seq, conversation, message))

    async def _download(self, shop_id: str, key: str, url: str) -> p.Message:
        """The picture a shopper sent, stored on the relay now (Meta's URL expires)."""
        msg_id = mt.message_id(key)
        limit = self.hub.config.max_upload
        for attempt in range(3):
            try:
                data = await self.client.download(url, limit)
                info = check_image(data, limit)
                m = self.hub.store.add_media(shop_id, info.mime, info.width, info.height, data)
                body = p.Image(m.id, self.hub.media_url(m.id), m.mime, m.width, m.height, m.size)
                return p.Message(msg_id, body)
            except (ImageRejected, BodyTooLarge) as exc:
                log.warning("shop %s: meta picture rejected: %s", shop_id, exc)
                break
            except LookupError as exc:  # expired or gone: asking again will not bring it back
                log.warning("shop %s: cannot fetch a meta picture (%s)", shop_id, exc)
                break
            except (aiohttp.ClientError, TimeoutError, OSError) as exc:
                log.warning("shop %s: cannot fetch a meta picture (%s)", shop_id, exc)
                await asyncio.sleep(0.5 * (attempt + 1))
        return p.Message(msg_id, p.Text(LOST_IMAGE))

    # ---- sending

    def wake_sender(self, shop_id: str, conversation: str) -> None:
        """Start (or wake) the sender of one conversation: conversations go out side by side
        (at most :data:`PARALLEL` requests per shop), each one's messages in order."""
        key = (shop_id, conversation)
        self._send_wake.setdefault(key, asyncio.Event()).set()
        task = self._senders.get(key)
        if task is None or task.done():
            self._senders[key] = self.hub.spawn(self._sender(shop_id, conversation))

    async def _sender(self, shop_id: str, conversation: str) -> None:
        key = (shop_id, conversation)
        try:
            if not await self._send_loop(shop_id, conversation):
                self._take_over_later(shop_id)
        except StoreError as exc:
            log.error("shop %s: meta sending paused: %s", shop_id, exc)
        except Exception:  # a bug: logged, and the next message wakes a new sender
            log.exception("shop %s: meta sending stopped", shop_id)
        finally:
            if self._senders.get(key) is asyncio.current_task():
                del self._senders[key]
                # (the next wake_sender makes a new one: one per conversation ever sent to
                # would pile up for as long as the relay runs)
                self._send_wake.pop(key, None)
            if not any(k[0] == shop_id for k in self._senders):
                with contextlib.suppress(StoreError):
                    self.store.release_sender(shop_id)

    def _take_over_later(self, shop_id: str) -> None:
        """Another relay process sends the shop's messages: one task per shop here tries to
        take over every :data:`TAKEOVER_EVERY` seconds while any wait (when that process
        dies, its lock goes with its connection)."""
        task = self._takeovers.get(shop_id)
        if task is None or task.done():
            self._takeovers[shop_id] = self.hub.spawn(self._take_over(shop_id))

    async def _take_over(self, shop_id: str) -> None:
        try:
            while not self.hub.closing:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._closed.wait(), TAKEOVER_EVERY)
                waiting = [] if self.hub.closing else self.store.pending(shop_id)
                if not waiting:
                    return
                if self.store.claim_sender(shop_id):  # released when its senders end
                    for _, conversation in waiting:
                        self.wake_sender(shop_id, conversation)
                    return
        except StoreError as exc:
            log.error("shop %s: meta sending not taken over: %s", shop_id, exc)

    async def _send_loop(self, shop_id: str, conversation: str) -> bool:
        """Send one conversation's outbox in order, one message (its requests in order) at a
        time; returns True when it is empty (a new message starts a new loop), False when
        another relay process sends the shop's messages. A rate limit holds the whole shop
        (Meta counts per page); other failures only this conversation."""
        wake = self._send_wake.setdefault((shop_id, conversation), asyncio.Event())
        slots = self._slots.setdefault(shop_id, asyncio.Semaphore(PARALLEL))
        backoff = 1.0
        while not self.hub.closing:
            wake.clear()
            if not self.store.claim_sender(shop_id):
                return False
            item = self.store.next_item(shop_id, conversation)
            if item is None:
                return True
            wait = max(item.next_at, self._paused.get(shop_id, 0.0)) - time.time()
            if wait > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(wake.wait(), min(wait, 60))
                continue
            async with slots:
                outcome = await self._send_item(shop_id, item)
            if outcome == "done":
                backoff = 1.0
            else:
                until = time.time() + backoff
                self.store.retry_later(item.id, until)
                if outcome == "slow":
                    self._paused[shop_id] = max(self._paused.get(shop_id, 0.0), until)
                log.info("shop %s: meta message waits %.0f s before trying again", shop_id, backoff)
                backoff = min(backoff * 2, MAX_BACKOFF)
            await self.hub.durable()
        return True

    async def _send_item(self, shop_id: str, item: MetaOutboxItem) -> str:
        """Send the requests of one message not sent yet: "done" (sent, or failed for good
        with Meta's words), "retry" (Meta down, network) or "slow" (a rate limit)."""
        creds = self.store.credentials(shop_id)
        if creds is None:
            self._failed(shop_id, item, NO_META)
            return "done"
        try:
            parts = ms.to_meta_messages(item.message, self._image_url(shop_id, item.message))
        except ms.MetaRefused as exc:
            self._failed(shop_id, item, str(exc))
            return "done"
        node = self._node(shop_id, item.conversation)
        for n in range(item.done, len(parts)):
            try:
                body = ms.request_body(item.conversation, item.kind, parts[n])
                res = await self.client.send(creds.page_token, body, node, creds.app_secret)
            except (aiohttp.ClientError, TimeoutError, OSError) as exc:
                log.warning("shop %s: meta send failed (%s)", shop_id, type(exc).__name__)
                return "retry"
            if res.ok:
                self.store.progress(item.id, n + 1)
                if res.message_id:
                    self.store.sent(shop_id, item.conversation, item.msg_id, res.message_id)
                if n + 1 < len(parts):  # Meta has no retry key: a restart resumes after it
                    await self.hub.durable()
                continue
            if res.rate_limited or res.status >= 500:
                log.warning("shop %s: meta says wait (%s)", shop_id, res.describe())
                return "slow" if res.rate_limited else "retry"
            self._failed(
                shop_id,
                item,
                f"Meta ไม่รับข้อความ / Meta refused the message ({res.describe()})",
            )
            return "done"
        self.store.finished(item.id)
        if not item.msg_id.startswith("relay-"):
            ids = (item.msg_id,)
            conv = item.conversation
            self.hub.push_stream(
                shop_id, lambda seq: p.Receipt(conv, p.ReceiptStatus.SENT, ids, seq)
            )
        return "done"

    def _node(self, shop_id: str, conversation: str) -> str:
        """Whose Send API endpoint a message goes through: the Page's (``me``), or for the
        private reply to an Instagram comment, the Instagram account's."""
        if not is_comment(conversation):
            return "me"
        known = self.store.comment(shop_id, conversation.removeprefix(p.COMMENT_PREFIX))
        if known is not None and known.platform is p.CommentPlatform.INSTAGRAM:
            return known.account_id or "me"
        return "me"

    def _image_url(self, shop_id: str, message: p.Message) -> str | None:
        b = message.body
        if isinstance(b, p.Image) and b.media_id:
            m = self.hub.store.media(b.media_id)
            if m is None or m.shop_id != shop_id:
                raise ms.MetaRefused(
                    "ไม่พบรูปนี้บนรีเลย์แล้ว ส่งรูปใหม่อีกครั้ง"
                    " / the picture is no longer on the relay: send it again"
                )
            return self.hub.media_url(m.id)
        return None

    def _failed(self, shop_id: str, item: MetaOutboxItem, reason: str) -> None:
        log.warning("shop %s: meta message %s failed: %s", shop_id, item.msg_id, reason[:200])
        self.store.finished(item.id)
        short = reason[:300]
        conv = item.conversation
        self.hub.push_stream(
            shop_id,
            lambda seq: p.Receipt(conv, p.ReceiptStatus.FAILED, (item.msg_id,), seq, short),
        )

    # ---- the desktop's frames

    async def desktop_frame(self, shop_id: str, conn: Conn, frame: p.DesktopFrame) -> bool:
        """Act on a desktop frame that is Meta's (True), or leave it to the common path."""
        if isinstance(frame, p.SetMetaCredentials):
            creds = None
            if frame.app_secret and frame.page_token and frame.verify_token:
                creds = MetaCredentials(frame.app_secret, frame.page_token, frame.verify_token)
            self.store.set_credentials(shop_id, creds)
            await self.hub.durable()
            log.info(
                "shop %s: meta credentials %s from the desktop",
                shop_id,
                "set" if creds else "cleared",
            )
            conn.send_frame(p.Ok(frame.ref))
            return True
        if isinstance(frame, p.VerifyMeta):
            self._verify(shop_id, conn, frame)
            return True
        if isinstance(frame, p.Send) and is_comment(frame.conversation):
            return self._private_reply(shop_id, conn, frame)
        if not isinstance(frame, p.Send | p.Typing | p.Read) or not is_meta(frame.conversation):
            return False
        if isinstance(frame, p.Typing):
            self.sender_action(
                shop_id, frame.conversation, "typing_on" if frame.state else "typing_off"
            )
            return True
        if isinstance(frame, p.Read):
            self.sender_action(shop_id, frame.conversation, "mark_seen")
            return False  # the common path marks the messages read
        return self._send(shop_id, conn, frame)

    def _verify(self, shop_id: str, conn: Conn, frame: p.VerifyMeta) -> None:
        """Answer ``meta_verify`` when the Graph API has answered (seconds: the desktop's
        other frames are not held up meanwhile)."""
        creds = self.store.credentials(shop_id)

        async def go() -> None:
            result = await verify_meta(shop_id, creds, frame)
            log.info("shop %s: meta verify: %s", shop_id, result.result.value)
            conn.send_frame(result)

        self.hub.spawn(go())

    def _send(self, shop_id: str, conn: Conn, frame: p.Send) -> bool:
        """A shop message to Messenger or Instagram: refused at once (an ``error`` frame with
        its message id) when Meta would not take it now, else stored like any other."""
        msg = frame.message
        problem: tuple[p.ErrorCode, str] | None = None
        if not self.configured(shop_id):
            problem = (p.ErrorCode.UNAVAILABLE, NO_META)
        else:
            refusal = self.send_refusal(shop_id, frame.conversation, frame.human)
            if refusal is not None:
                problem = (p.ErrorCode.OUTSIDE_WINDOW, refusal)
        if problem is None and isinstance(msg.body, p.Image) and msg.body.media_id:
            m = self.hub.store.media(msg.body.media_id)
            if m is None or m.shop_id != shop_id:
                problem = (p.ErrorCode.NOT_FOUND, "message.media_id: no such media")
        if problem is not None:
            conn.send_frame(p.Error(problem[0], problem[1], msg.id))
            return True
        self.hub.shop_message(shop_id, frame.conversation, msg, human=frame.human)
        accepted = p.encode(p.Accepted(msg.id, frame.conversation))
        self.hub.after_commit(lambda: conn.send(accepted))
        return True

    def _private_reply(self, shop_id: str, conn: Conn, frame: p.Send) -> bool:
        """The one private reply to a page or Instagram comment (Meta: one message per
        comment, within 7 days of it; text or a button template). Kept in the relay's history
        under ``comment:<id>`` only so a message offered again is recognised; the 24-hour
        window does not apply. A comment the relay knows to be over 7 days old is refused at
        once (``outside_window``), Meta not asked; one it never saw is left to Meta."""
        msg = frame.message
        if not self.configured(shop_id):
            conn.send_frame(p.Error(p.ErrorCode.UNAVAILABLE, NO_META, msg.id))
            return True
        comment_id = frame.conversation.removeprefix(p.COMMENT_PREFIX)
        known = self.store.comment(shop_id, comment_id)
        if known is not None and time.time() - known.created_at > ms.PRIVATE_REPLY_WINDOW:
            log.info("shop %s: no private reply to comment %s: over 7 days", shop_id, comment_id)
            conn.send_frame(p.Error(p.ErrorCode.OUTSIDE_WINDOW, ms.PRIVATE_REPLY_TOO_LATE, msg.id))
            return True
        try:
            parts = ms.to_meta_messages(msg)
            if len(parts) != 1 or not isinstance(msg.body, p.Text | p.Buttons):
                raise ms.MetaRefused(ms.PRIVATE_REPLY_KINDS)
        except ms.MetaRefused as exc:
            conn.send_frame(p.Error(p.ErrorCode.BAD_FRAME, str(exc), msg.id))
            return True
        stamped = msg.with_at(now_iso())
        _, is_new = self.hub.store.add_history(shop_id, frame.conversation, p.Origin.SHOP, stamped)
        if is_new:
            self.store.enqueue(shop_id, frame.conversation, stamped, {})
            self._queued(shop_id, frame.conversation)
        accepted = p.encode(p.Accepted(msg.id, frame.conversation))
        self.hub.after_commit(lambda: conn.send(accepted))
        return True

    # ---- typing and seen

    def sender_action(self, shop_id: str, conversation: str, action: str) -> None:
        """``typing_on``/``typing_off``/``mark_seen``, inside the window only (fire and
        forget; typing_on at most every 5 s per conversation)."""
        age = self.age(shop_id, conversation)
        if age is None or age > ms.WINDOW:
            return
        if action == "typing_on":
            if not self._typing.due((shop_id, conversation), time.monotonic()):
                return
        creds = self.store.credentials(shop_id)
        if creds is None:
            return
        body: dict[str, Any] = {
            "recipient": {"id": conversation.split(":", 1)[1]},
            "sender_action": action,
        }

        async def go(c: MetaCredentials) -> None:
            try:
                res = await self.client.send(c.page_token, body, secret=c.app_secret)
                if not res.ok:
                    log.info("shop %s: meta %s refused (%s)", shop_id, action, res.describe())
            except (aiohttp.ClientError, TimeoutError, OSError) as exc:
                log.info("shop %s: meta %s failed (%s)", shop_id, action, type(exc).__name__)

        self.hub.spawn(go(creds))
