"""The sales bot at work: answers the shopper messages the relay client has just stored.

The client hands over each batch it stored (:meth:`BotRunner.submit`, after the relay's ack);
a redelivered message is never stored twice, so it is never answered twice. Messages are
answered one at a time, in order, on a task of the event loop; database work runs on the
runner's own worker thread (the UI thread never waits on SQLite, and storing new messages does
not wait on the bot), and network work (an AI provider, the relay's media upload and download)
happens between two short transactions, never inside one:

1. read: is the bot switched on (``bot.enabled``); is an AI configured; for an unsure text,
   ask the AI for the intent *before* the transaction;
2. for a picture, fetch it from the relay into ``<data>/media/slips/`` (the slip) and read
   its QRs for the slip check (``formats.qr_read``, on a thread of its own: seconds at worst
   for a large photo, during which neither the UI nor the database waits);
3. write: the engine answers (cart, checkout, order placed…);
4. the AI may reword the texts that invite it (a number not in the facts → the rule text);
   PromptPay QR pictures are uploaded to the relay (``POST /desktop/media``);
5. write: the replies go to the outbox in one transaction, and the client is woken to send.

A message that belongs to a live cart's checkout (its "ชำระเงิน" button, then the answers to
its questions: :mod:`minichat_desktop.domain.live.checkout`) is answered by that checkout before
any of this, with the bot on or off: the private reply promised it.

A failure in steps 2 or 4 degrades (the relay URL is kept as the slip; a QR that cannot be
uploaded is replaced by its caption) and never loses the reply.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from minichat_desktop import paths
from minichat_desktop.domain.conversations import conversations as convs
from minichat_desktop.domain.models import ConversationMode, utcnow
from minichat_desktop.domain.payments.slips import SlipPicture
from minichat_desktop.errors import DomainError
from minichat_desktop.files import atomic_write_bytes
from minichat_desktop.secrets import Secrets
from minichat_desktop.storage.db import Database
from minichat_desktop.sync import media
from minichat_desktop.sync.supervisor import Spawn, Supervisor

if TYPE_CHECKING:
    from minichat_desktop.domain.bot.engine import DialogueEngine
    from minichat_desktop.domain.bot.replies import Outgoing

log = logging.getLogger(__name__)
T = TypeVar("T")
FLOW_TICK_SECONDS = 60.0  # how often the sales flows' timers run


# what the bot's catalog matcher and recommendation index are built from
CATALOG_TABLES = frozenset({"products", "product_variants", "categories"})


class BotRunner:
    """Answers stored shopper messages. ``relay_url`` and ``token`` give the relay's address
    and the shop token when needed (they may change); ``changed`` reports the conversations
    that got replies (the inbox refreshes). What the bot puts in the outbox wakes the relay
    link by itself (the database tells its subscribers). ``spawn`` runs the flow timers under
    the app's :class:`~minichat_desktop.sync.supervisor.Supervisor` (default: one of the
    runner's own, which logs and restarts but tells no one)."""

    def __init__(
        self,
        db: Database,
        *,
        relay_url: Callable[[], str],
        token: Callable[[], str | None],
        changed: Callable[[list[int]], None] | None = None,
        data_dir: Path | None = None,
        secrets: Secrets | None = None,
        spawn: Spawn | None = None,
    ) -> None:
        self.db = db
        self.data_dir = data_dir or db.path.parent
        self._engine: DialogueEngine | None = None
        self._relay_url = relay_url
        self._token = token
        self._changed = changed
        self._secrets = secrets or Secrets(self.data_dir)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="bot-db")
        self._queue: asyncio.Queue[convs.Inbound] | None = None
        self._task: asyncio.Task[None] | None = None
        self._warming: asyncio.Future[None] | None = None
        self._ai_cache: tuple[Any, Any, float] | None = None
        self._timer: asyncio.Task[None] | None = None
        self._spawn = spawn
        self.answered = 0
        self._unsubscribe: Callable[[], None] | None = None

    @property
    def engine(self) -> DialogueEngine:
        """Made on first use: the bot's modules load when the first message arrives, not
        while the app starts."""
        if self._engine is None:
            from minichat_desktop.domain.bot.engine import DialogueEngine

            self._engine = DialogueEngine(paths.media_dir(self.data_dir))
        return self._engine

    def warm(self) -> None:
        """Build the catalog matcher and the recommendation index now, in the background, when
        the bot is on — so the first shopper does not wait for them (seconds on a large
        catalog)."""
        if self._warming is None:
            self._warming = asyncio.ensure_future(self._db(self._warm))
        if self._unsubscribe is None:
            self._unsubscribe = self.db.subscribe(self._tables_changed)
        self.start_timers()

    async def warmed(self) -> None:
        """Wait until what :meth:`warm` started is built (nothing when it was not started)."""
        if self._warming is not None:
            await self._warming

    def _tables_changed(self, tables: frozenset[str]) -> None:
        """(On the committing thread.) A product added or edited is matched from the next
        message on, not up to the engine's refresh interval later."""
        if tables & CATALOG_TABLES and self._engine is not None:
            self._engine.catalog_changed()

    # ------------------------------------------------------------------ flow timers

    def start_timers(self, interval: float = FLOW_TICK_SECONDS) -> None:
        """Run the sales flows' timers (waits, abandoned carts, delivered orders) now and
        every ``interval`` seconds until :meth:`stop`."""
        if self._timer is None or self._timer.done():
            spawn = self._spawn or Supervisor().start
            self._timer = spawn("bot flow timers", lambda: self._timers(interval))

    async def _timers(self, interval: float) -> None:
        """A round that fails ends this run: the supervisor logs it and starts the timers
        again after a backoff."""
        while True:
            await self.tick()
            await asyncio.sleep(interval)

    async def tick(self, now: dt.datetime | None = None) -> list[int]:
        """One round of flow timers; the conversations that got messages."""
        changed = await self._db(self._tick, now or utcnow())
        if changed:
            if self._changed is not None:
                self._changed(changed)
        return changed

    def _tick(self, now: dt.datetime) -> list[int]:
        from minichat_desktop.domain.bot import flows
        from minichat_desktop.domain.bot.engine import bot_enabled

        with self.db.write() as s:
            if not bot_enabled(s):
                return []
            return flows.queue_replies(s, flows.tick(s, now))

    def _warm(self) -> None:
        from minichat_desktop.domain.bot.engine import bot_enabled

        with self.db.read() as s:
            if bot_enabled(s):
                self.engine.matcher(s)
                self.engine.recommend_index(s)

    def submit(self, stored: list[convs.Inbound]) -> None:
        """Answer these (just stored) messages, in order, soon."""
        if not stored:
            return
        if self._queue is None:
            self._queue = asyncio.Queue()
        for rec in stored:
            self._queue.put_nowait(rec)
        if self._task is None or self._task.done():
            self._task = asyncio.ensure_future(self._work())

    async def idle(self) -> None:
        """Wait until every submitted message is answered (tests, shutdown)."""
        if self._queue is not None:
            await self._queue.join()

    async def stop(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        if self._timer is not None and not self._timer.done():
            self._timer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._timer
        if self._warming is not None:
            with contextlib.suppress(Exception):
                await self._warming
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._pool.shutdown(wait=True)

    async def _work(self) -> None:
        assert self._queue is not None
        while not self._queue.empty():
            rec = self._queue.get_nowait()
            try:
                await self.handle(rec.conversation.id, rec.message.body)
            except Exception:
                # One message the bot could not answer must not stop it answering the next.
                log.exception(
                    "bot: no answer to message %s of conversation %s",
                    rec.message.uid,
                    rec.conversation.id,
                )
            finally:
                self._queue.task_done()

    async def _db(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._pool, fn, *args)

    # ------------------------------------------------------------------ one message

    async def handle(self, conversation_id: int, message: dict[str, Any]) -> list[Outgoing]:
        """Answer one stored shopper message and queue the replies; returns them."""
        from minichat_desktop.ai.assist import BotAI

        kind = str(message.get("kind", ""))
        said = str(message.get("text") or "")
        if kind in ("postback", "text"):
            live = await self._db(self._live_answer, conversation_id, message, utcnow())
            if live is not None:
                return await self._live_checkout(conversation_id, live)
        enabled, ai, unsure = await self._db(self._prepare, kind, said)
        if enabled and not await self._db(self._window_allows, conversation_id):
            # Messenger/Instagram over 24 h after the shopper wrote: only a person may answer
            # (the note in the chat says so); a slip is still put on its order.
            enabled, ai, unsure = False, None, False
            if self._changed is not None:
                self._changed([conversation_id])
        if not enabled and kind != "image":
            return []  # switched off; a slip is still put on its order (silently)
        hint: dict[str, Any] | None = None
        if ai is not None and unsure:
            hint = await ai.classify_fallback(said)
        slip: str | None = None
        read: SlipPicture | None = None
        if kind == "image" and message.get("url"):
            slip, read = await self._fetch_slip(str(message["url"]), str(message.get("id", "")))
        now = utcnow()
        replies = await self._db(
            self._answer, conversation_id, message, now, hint, slip, read, not enabled
        )
        ready: list[Outgoing] = []
        if replies:
            if isinstance(ai, BotAI):
                replies = await ai.finish(replies)
            ready = [await self._upload(r) if r.image_path else r for r in replies]
            await self._db(self._queue_replies, conversation_id, ready)
        if slip is not None:  # after the thanks: an automatic confirmation then follows it
            await self._check_online(slip)
        if not ready:
            return []
        self.answered += 1
        if self._changed is not None:
            self._changed([conversation_id])
        # An answer may have changed stock or sales (an order): rebuild the recommendation
        # index now, under a read transaction, rather than in the next answer's write one.
        await self._db(self._refresh_index)
        return ready

    async def _live_checkout(self, conversation_id: int, replies: list[Outgoing]) -> list[Outgoing]:
        """Queue the answers of a live cart's checkout (given with the bot on or off: the
        shopper was promised it in the private reply); the PromptPay QR is uploaded first."""
        ready = [await self._upload(r) if r.image_path else r for r in replies]
        if ready:
            await self._db(self._queue_replies, conversation_id, ready)
            if self._changed is not None:
                self._changed([conversation_id])
        return ready

    def _live_answer(
        self, conversation_id: int, message: dict[str, Any], now: dt.datetime
    ) -> list[Outgoing] | None:
        """The live checkout's answer (None: the message is no part of one, or the owner has
        taken the chat over and answers it: the checkout waits at its question and goes on
        once the chat is handed back). A read first: most messages are not, and need no write
        transaction."""
        from minichat_desktop.domain.live import checkout as live_checkout

        data = str(message.get("data") or "")
        with self.db.read() as s:
            if convs.get_conversation(s, conversation_id).mode == ConversationMode.HUMAN:
                return None
            if not data.startswith("live:") and live_checkout.under_way(s, conversation_id) is None:
                return None
        with self.db.write() as s:
            media = paths.media_dir(self.data_dir)
            return live_checkout.answer_checkout(s, conversation_id, message, now, media)

    def _window_allows(self, conversation_id: int) -> bool:
        """Whether Meta's window lets the bot answer now; if not, the chat says why (once)."""

        with self.db.write() as s:
            if convs.window_of(s, conversation_id).bot_may_send:
                return True
            convs.note_bot_silent(s, conversation_id)
            return False

    def _refresh_index(self) -> None:
        with self.db.read() as s:
            self.engine.recommend_index(s, max_age=0)

    def _ai(self, session: Any) -> Any:
        """The configured AI (None without one), kept for a minute: the keyring is not
        asked for the key on every message."""
        from minichat_desktop.ai.assist import BotAI
        from minichat_desktop.ai.config import load_config

        config = load_config(session)
        now = time.monotonic()
        cached = self._ai_cache
        if cached is not None and cached[0] == config and now - cached[2] < 60:
            return cached[1]
        ai = BotAI.from_settings(session, self._secrets) if config is not None else None
        self._ai_cache = (config, ai, now)
        return ai

    def _prepare(self, kind: str, said: str) -> tuple[bool, Any, bool]:
        from minichat_desktop.domain.bot import nlu
        from minichat_desktop.domain.bot.engine import bot_enabled

        with self.db.read() as s:
            if not bot_enabled(s):
                return False, None, False
            ai = self._ai(s)
            self.engine.phrases = ai is not None
            unsure = False
            if ai is not None and kind == "text" and said.strip():
                unsure = nlu.classify(said, self.engine.matcher(s)).confidence < nlu.UNSURE
            return True, ai, unsure

    def _answer(
        self,
        conversation_id: int,
        message: dict[str, Any],
        now: dt.datetime,
        hint: dict[str, Any] | None,
        slip: str | None,
        read: SlipPicture | None,
        silent: bool,
    ) -> list[Outgoing]:
        ai = (lambda _text, _rules: hint) if hint is not None else None
        with self.db.write() as s:
            return self.engine.answer(
                s, conversation_id, message, now, ai, slip=slip, slip_read=read, silent=silent
            )

    async def _check_online(self, path: str) -> None:
        """The online slip check the owner set up (none: nothing happens): read what to ask,
        ask the service (no database meanwhile), keep its answer on the slip and, when the
        owner allowed it and the check passed, confirm the payment. A failure is logged and
        leaves the slip for the owner to check by eye."""
        from minichat_desktop.app import slip_verify

        try:
            found = await self._db(self._slip_job, path)
            if found is None:
                return
            result = await slip_verify.run_check(found.job, found.key)
            await self._db(self._record_check, found.slip_id, result)
        except DomainError as exc:
            log.warning("bot: online slip check not recorded: %s", exc.code)

    def _slip_job(self, path: str) -> Any:
        from minichat_desktop.app import slip_verify
        from minichat_desktop.domain.payments import slips

        with self.db.read() as s:
            view = slips.slip_at_path(s, path)
            return None if view is None else slip_verify.job_for_slip(s, self._secrets, view.id)

    def _record_check(self, slip_id: int, result: Any) -> bool:
        from minichat_desktop.app import slip_verify

        with self.db.write() as s:
            return slip_verify.record_check(s, slip_id, result)

    def _queue_replies(self, conversation_id: int, replies: list[Outgoing]) -> None:
        with self.db.write() as s:
            for r in replies:
                if r.body is not None:
                    convs.queue_outgoing(s, conversation_id, r.body, "bot", r.quick_replies)

    # ------------------------------------------------------------------ media

    async def _fetch_slip(self, url: str, uid: str) -> tuple[str | None, SlipPicture | None]:
        """Save a shopper's picture under ``media/slips`` and read its QRs: its path relative
        to the data folder and what was read, or (None, None) when it cannot be fetched whole
        (the URL is kept instead; the check then says no QR was read)."""
        from minichat_desktop.formats import qr_read  # zxing and Pillow load with the first slip

        try:
            data = await media.download(url)
            _, ext = media.sniff(data) or ("", ".bin")
            folder = paths.media_dir(self.data_dir) / "slips"
            await self._db(folder.mkdir, 0o777, True, True)
            safe = "".join(ch for ch in uid if ch.isalnum() or ch in "-_.") or "slip"
            target = folder / f"{safe}{ext}"
            await self._db(atomic_write_bytes, target, data)
        except (media.MediaError, OSError) as exc:
            log.info("bot: slip %s not fetched: %s", uid, exc)
            return None, None
        scan = await asyncio.to_thread(qr_read.read_qr_codes, data)
        if scan.problem:
            log.info("bot: slip %s not read as a picture: %s", uid, scan.problem)
        return str(target.relative_to(self.data_dir)), SlipPicture(scan.sha256, scan.texts)

    async def _upload(self, reply: Outgoing) -> Outgoing:
        """A local picture (the PromptPay QR) uploaded to the relay and sent as an image; its
        caption as text if that fails (the bank accounts follow anyway)."""
        from minichat_desktop.domain.bot.replies import Outgoing, text

        assert reply.image_path is not None
        caption = reply.caption or ""
        try:
            data = await self._db(Path(reply.image_path).read_bytes)
            token = self._token()
            if not token:
                raise OSError("no shop token")
            uploaded = await media.upload(self._relay_url(), token, data)
            return Outgoing(uploaded.image(caption[:1000] or None), reply.quick_replies)
        except (media.MediaError, OSError) as exc:
            log.warning("bot: QR picture not uploaded (%s); sending its caption", exc)
            return text(caption or "PromptPay", reply.quick_replies)
