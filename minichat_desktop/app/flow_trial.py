"""Trying a flow before it goes live: the flow simulator's chat, run by the real bot on the
shop's real catalog, prices, stock and PromptPay — without touching the shop's data.

**How nothing is touched.** :meth:`FlowTrial.open` copies the shop database with SQLite's
online backup API (:meth:`Database.backup_to`, consistent while the app keeps working) into a
scratch folder under ``<data>/trial/``, and everything the trial does — the flow being edited
saved there, the conversation, carts, discount codes, tags, orders with stock reserved, the
PromptPay QR picture, flow runs and notifications — happens in that copy, which is deleted on
:meth:`FlowTrial.close` (and a copy left behind by a crash is swept at the next open). The bot
engine and the flow runtime run unchanged, so what the owner sees is what a shopper would get.

**Why a copy and not one transaction rolled back.** A trial lasts minutes of the owner
typing; a write transaction held that long would be the database's only writer and would
stop the counter, the inbox and the bot runner from saving anything meanwhile (SQLite has one
writer). Replaying the whole chat in a fresh rolled-back transaction at every message would
give new discount codes and order numbers at each turn. The copy costs one backup per start:
0.4 s (the backup alone 0.33 s) and 235 MB of disk for a shop with 100,000 orders, 30,000
customers and 40,000 chats (400,000 messages), measured with ``bench/bench_flow_trial.py``;
the owner waits for it once per start, off the UI thread (the screen runs every call here
through ``Ops.call``), and a whole product-finder chat on that shop takes 0.9 s.

Time in the trial is the clock plus what the owner skipped (:meth:`FlowTrial.skip_time`), so a
three-day wait or a question's time-out is seen at once.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import secrets
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from minichat_desktop import paths
from minichat_desktop.domain.bot import cart as carts
from minichat_desktop.domain.bot.engine import DialogueEngine, record_local_replies
from minichat_desktop.domain.bot.flows import runtime
from minichat_desktop.domain.bot.flows.definition import DONE, WAITING, FlowView
from minichat_desktop.domain.bot.flows.storage import save_flow
from minichat_desktop.domain.bot.flows.validation import validate_flow
from minichat_desktop.domain.bot.replies import Outgoing
from minichat_desktop.domain.conversations import conversations as convs
from minichat_desktop.domain.models import (
    BotMode,
    Channel,
    Conversation,
    ConversationStatus,
    Flow,
    FlowRun,
    Order,
    Product,
    ProductVariant,
    utcnow,
)
from minichat_desktop.domain.thai import format_baht
from minichat_desktop.errors import EnvironmentProblem, UserError
from minichat_desktop.storage.db import Database
from relay import protocol as p

TRIAL_FOLDER = "trial"  # under the data folder
STALE_AFTER_S = 3600  # a scratch copy unused this long was left behind
SAMPLE_ORDER_NUMBER = "MC-TRIAL"  # a delivered-order event in a shop with no orders yet


@dataclass(frozen=True, slots=True)
class Said:
    """One message in the trial chat. ``who``: ``shopper`` or ``shop``. A shop message has a
    protocol ``body`` (text, buttons, product cards, cart, order status) or a picture
    (``image_path``, the PromptPay QR, with its ``caption``); ``step`` is the id of the flow
    node that said it ("" when the bot answered on its own, outside the flow)."""

    who: str
    text: str = ""
    body: p.Body | None = None
    quick: tuple[p.Button, ...] = ()
    image_path: str = ""
    caption: str = ""
    step: str = ""


@dataclass(frozen=True, slots=True)
class Waiting:
    """The flow waits: ``kind`` ``wait`` (a wait step) or ``answer`` (a question that moves
    on by itself when no answer comes); ``minutes`` until it goes on; ``step`` its node."""

    kind: str
    minutes: int
    step: str


@dataclass(frozen=True, slots=True)
class Turn:
    """What one thing the owner did in the trial brought: the messages (the shopper's own
    first), whether the flow now waits, whether the chat was handed to a person, whether
    the flow ended, and the local picture of each product shown on a card (by product id)."""

    said: tuple[Said, ...] = ()
    waiting: Waiting | None = None
    handed_off: bool = False
    ended: bool = False
    pictures: dict[str, str] = field(default_factory=dict)


class FlowTrial:
    """One trial chat on a scratch copy of the shop database. Open with :meth:`open`, end
    with :meth:`close`. Calls block (run them off the UI thread) and must not overlap."""

    def __init__(
        self,
        folder: Path,
        db: Database,
        data_dir: Path,
        flow_id: int,
        nodes: list[dict[str, Any]],
        trigger: dict[str, Any],
        conversation: tuple[int, str],
        clock: Callable[[], dt.datetime],
    ) -> None:
        self.folder = folder
        self.db = db
        self.data_dir = data_dir
        self.flow_id = flow_id  # in the copy
        self.nodes = {str(n["id"]): n for n in nodes}
        self.trigger = trigger
        self.conversation_id, self.ref = conversation
        self.clock = clock
        self.skipped = dt.timedelta()
        self.engine = DialogueEngine(folder / "media")
        self._n = 0
        self._run_seen: int | None = None

    # ------------------------------------------------------------------ opening

    @classmethod
    def open(
        cls,
        db: Database,
        data_dir: Path,
        name: str,
        trigger: dict[str, Any],
        nodes: list[dict[str, Any]],
        *,
        flow_id: int | None = None,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> FlowTrial:
        """A trial of the flow ``name``/``trigger``/``nodes`` (as the editor holds it, saved
        or not; ``flow_id``: the stored flow it replaces in the copy, so buttons of other
        flows that start it start this version). Raises :class:`UserError` ``flow.invalid``
        / ``flow.bad_node`` when the flow cannot run as it is, and
        :class:`EnvironmentProblem` when the copy cannot be made."""
        validate_flow(name, trigger, nodes)  # before copying: a wrong flow costs no copy
        root = data_dir / TRIAL_FOLDER
        _sweep(root)
        try:
            root.mkdir(parents=True, exist_ok=True)
            folder = Path(tempfile.mkdtemp(prefix="trial-", dir=root))
        except OSError as exc:
            raise EnvironmentProblem(
                "env.trial_folder",
                f"cannot make a scratch folder in {root}: {exc.strerror}; check that the disk"
                " has room and can be written, then restart the trial",
                path=str(root),
            ) from exc
        copy: Database | None = None
        try:
            copy = Database(_copy_of(db, folder))
            with copy.write() as s:
                stored = _store_flow(s, name, trigger, nodes, flow_id)
                conv = _new_conversation(s, clock())
            return cls(folder, copy, data_dir, stored.id, stored.nodes, stored.trigger, conv, clock)
        except BaseException:
            if copy is not None:
                copy.dispose()  # its files closed before they are deleted (Windows)
            shutil.rmtree(folder, ignore_errors=True)
            raise

    def close(self) -> None:
        """Drop the scratch copy (safe to call twice)."""
        self.db.dispose()
        shutil.rmtree(self.folder, ignore_errors=True)

    # ------------------------------------------------------------------ what the owner does

    def now(self) -> dt.datetime:
        return self.clock() + self.skipped

    def say(self, words: str) -> Turn:
        """The shopper types ``words``; the bot answers as it would in a real chat."""
        message = {"id": self._uid(), "kind": "text", "text": words}
        return self._send(message, Said("shopper", text=words))

    def press(self, button: p.Button) -> Turn:
        """The shopper presses a button or quick reply of a shop message (a link button
        does nothing here)."""
        if button.action is p.ButtonAction.MESSAGE:
            return self.say(button.text or button.label)
        if button.action is not p.ButtonAction.POSTBACK:
            return Turn()
        message = {
            "id": self._uid(),
            "kind": "postback",
            "data": button.data,
            "label": button.label,
        }
        return self._send(message, Said("shopper", text=button.label))

    def start(self) -> Turn:
        """Start the flow as its trigger would without the shopper typing: an event (the
        order delivered: the shop's latest order; a cart left: the shopper's cart, with the
        first product in stock put in when it is empty) or a button/intent start."""
        with self.db.write() as s:
            before = self._status(s)
            now = self.now()
            state: dict[str, Any] = {}
            event = self.trigger.get("event") if self.trigger.get("type") == "event" else None
            if event == "order_delivered":
                order = s.scalar(select(Order).order_by(Order.id.desc()).limit(1))
                state = (
                    {"order_id": order.id, "order_number": order.number}
                    if order is not None
                    else {"order_number": SAMPLE_ORDER_NUMBER}
                )
            elif event == "cart_abandoned":
                view = _cart_with_something(s, self.conversation_id, now)
                state = {"cart_total": format_baht(view.goods_satang), "cart_count": view.count}
            replies = runtime.start_flow(s, self.flow_id, self.conversation_id, now, state=state)
            record_local_replies(s, self.conversation_id, replies, now)
            return self._turn(s, (), replies, before)

    def skip_time(self) -> Turn:
        """Jump to when the waiting flow goes on (after a wait, or a question's time-out)
        and let it go on; nothing when it is not waiting."""
        with self.db.write() as s:
            before = self._status(s)
            run = runtime.active_run(s, self.conversation_id)
            if run is None or run.status != WAITING or run.wake_at is None:
                return self._turn(s, (), [], before)
            self.skipped += max(run.wake_at - self.now(), dt.timedelta())
            # Only this chat's run wakes: every other run in the copy was ended at open.
            batches = runtime.wake(s, self.now())
            replies = [r for cid, out in batches if cid == self.conversation_id for r in out]
            record_local_replies(s, self.conversation_id, replies, self.now())
            return self._turn(s, (), replies, before)

    # ------------------------------------------------------------------ inside

    def _uid(self) -> str:
        self._n += 1
        return f"trial-{secrets.token_hex(4)}-{self._n}"

    def _send(self, message: dict[str, Any], shopper: Said) -> Turn:
        with self.db.write() as s:
            before = self._status(s)
            now = self.now()
            convs.record_inbound(s, self.ref, message, now)
            replies = self.engine.answer(s, self.conversation_id, message, now)
            record_local_replies(s, self.conversation_id, replies, now)
            return self._turn(s, (shopper,), replies, before)

    def _status(self, s: Session) -> str:
        conv = s.get(Conversation, self.conversation_id)
        return str(conv.status) if conv is not None else ""

    def _turn(
        self, s: Session, first: tuple[Said, ...], replies: list[Outgoing], status_before: str
    ) -> Turn:
        said = first + tuple(_said(r) for r in replies)
        run = s.scalar(
            select(FlowRun)
            .where(FlowRun.conversation_id == self.conversation_id, FlowRun.flow_id == self.flow_id)
            .order_by(FlowRun.id.desc())
            .limit(1)
        )
        waiting = None
        ended = False
        if run is not None:
            if run.status == WAITING and run.wake_at is not None:
                node = self.nodes.get(run.node_id) or {}
                minutes = max(0, round((run.wake_at - self.now()).total_seconds() / 60))
                kind = "answer" if node.get("type") == "question" else "wait"
                waiting = Waiting(kind, minutes, run.node_id)
            if run.status == DONE and self._run_seen != -run.id:
                ended = True
                self._run_seen = -run.id  # told once
            elif run.status != DONE:
                self._run_seen = run.id
        escalated = str(ConversationStatus.ESCALATED)
        handed_off = self._status(s) == escalated and status_before != escalated
        return Turn(said, waiting, handed_off, ended, _pictures(s, self.data_dir, replies))


def _said(r: Outgoing) -> Said:
    if r.image_path:
        return Said("shop", image_path=r.image_path, caption=r.caption or "", step=r.step)
    return Said("shop", body=r.body, quick=r.quick_replies, step=r.step)


def _card_ids(replies: list[Outgoing]) -> list[int]:
    ids: list[int] = []
    for r in replies:
        cards: tuple[p.Card, ...] = ()
        if isinstance(r.body, p.Carousel):
            cards = r.body.cards
        elif isinstance(r.body, p.ProductCard):
            cards = (r.body.card,)
        ids += [int(c.product_id) for c in cards if c.product_id.isdigit()]
    return ids


def _pictures(s: Session, data_dir: Path, replies: list[Outgoing]) -> dict[str, str]:
    """The first picture of each product on a card, as a file in the data folder (a picture
    that is a web address, or missing, is left out: the card shows without one)."""
    ids = _card_ids(replies)
    if not ids:
        return {}
    media = paths.media_dir(data_dir).resolve()
    out: dict[str, str] = {}
    for pid, images in s.execute(select(Product.id, Product.images).where(Product.id.in_(ids))):
        for stored in images or []:
            local = (data_dir / str(stored)).resolve()
            if "://" not in str(stored) and local.is_relative_to(media) and local.is_file():
                out[str(pid)] = str(local)
                break
    return out


def _copy_of(db: Database, folder: Path) -> Path:
    """The shop database copied into ``folder``; :class:`EnvironmentProblem`
    ``env.trial_copy`` when it cannot be written there (a full disk)."""
    try:
        return db.backup_to(folder / paths.database_path(folder).name)
    except EnvironmentProblem as exc:
        raise EnvironmentProblem(
            "env.trial_copy",
            f"cannot copy the shop's data for the trial into {folder}: {exc.message}; "
            "free some disk space and restart the trial",
            path=str(folder.parent),
        ) from exc


def _store_flow(
    s: Session, name: str, trigger: dict[str, Any], nodes: list[dict[str, Any]], flow_id: int | None
) -> FlowView:
    """The flow saved in the copy, enabled and tried before every other flow; every run of
    the copy ended (only the trial's run may wake)."""
    s.execute(update(FlowRun).where(FlowRun.status != DONE).values(status=DONE))
    if flow_id is not None and s.get(Flow, flow_id) is None:
        flow_id = None
    view = save_flow(s, name, trigger, nodes, flow_id=flow_id, enabled=True)
    first = s.scalar(select(func.min(Flow.position))) or 0
    stored = s.get(Flow, view.id)
    assert stored is not None
    stored.position = first - 1
    s.flush()
    return view


def _new_conversation(s: Session, now: dt.datetime) -> tuple[int, str]:
    ref = f"trial:{secrets.token_hex(8)}"
    conv = Conversation(
        ref=ref,
        channel=Channel.MANUAL,
        title="ลูกค้าทดลอง",
        bot_mode=BotMode.ACTIVE,
        created_at=now,
    )
    s.add(conv)
    s.flush()
    return conv.id, ref


def _cart_with_something(s: Session, conversation_id: int, now: dt.datetime) -> carts.CartView:
    """The trial shopper's cart; when empty, one piece of the first product that can be sold
    is put in (a cart reminder needs a cart)."""
    view = carts.get_cart(s, conversation_id, now)
    if not view.empty:
        return view
    variant_ids = s.scalars(
        select(ProductVariant.id)
        .join(Product, Product.id == ProductVariant.product_id)
        .where(Product.active.is_(True))
        .order_by(Product.id, ProductVariant.id)
        .limit(50)
    )
    for vid in variant_ids:
        with contextlib.suppress(UserError):
            return carts.add_item(s, conversation_id, vid, 1)
    return view


def _sweep(root: Path) -> None:
    """Delete scratch copies left behind (the app quit or crashed with a trial open): those
    nothing has written to for :data:`STALE_AFTER_S`."""
    if not root.is_dir():
        return
    for child in root.iterdir():
        with contextlib.suppress(OSError):
            if not child.is_dir():
                continue
            touched = max([child.stat().st_mtime, *(f.stat().st_mtime for f in child.iterdir())])
            if time.time() - touched > STALE_AFTER_S:
                shutil.rmtree(child, ignore_errors=True)
