"""Conversations with shoppers: messages in and out, the outbox, takeover and bot modes.

Delivery is at-least-once with an exactly-once effect: an incoming message is stored with its
protocol id and a repeat of that id is dropped (:func:`record_inbound` returns ``None``); an
outgoing message is stored together with an outbox row in one transaction, so a reply typed
just before a crash is still sent when the relay is reachable again.

Modes follow the seed's "Live Chat Takeover": a conversation is ``bot`` or ``human``; in
``human`` mode the bot never answers. In ``bot`` mode the bot mode decides: ``active`` answers
everything, ``passive`` only questions, ``off`` nothing. Take over → ``human``; End session →
``bot`` with ``passive``.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from minichat_desktop.domain import inbox_reads, placeholders
from minichat_desktop.domain.activity import analytics
from minichat_desktop.domain.conversations import window as meta_window
from minichat_desktop.domain.customers import customers
from minichat_desktop.domain.inbox_reads import ConversationView as ConversationView
from minichat_desktop.domain.inbox_reads import Inbound as Inbound
from minichat_desktop.domain.inbox_reads import MessageView as MessageView
from minichat_desktop.domain.models import (
    BotMode,
    CannedResponse,
    Channel,
    ChatMessage,
    Conversation,
    ConversationMode,
    ConversationStatus,
    Customer,
    Direction,
    IdentityKind,
    Order,
    OutboxItem,
    utcnow,
)
from minichat_desktop.domain.shop import get_setting, put_setting
from minichat_desktop.domain.sql import DriverConnection
from minichat_desktop.domain.thai import format_baht, format_phone, format_when
from minichat_desktop.errors import NotFound, UserError
from relay import protocol as p

DEFAULT_BOT_MODE_KEY = "bot.default_mode"
CONTACT_NOTE = "ขอให้โทรกลับ"  # the widget's contact form, in previews and customer notes
PASSIVE_KEYWORDS_KEY = "bot.passive_keywords"

# Question words a passive bot answers to (the seed: "?" or keywords).
THAI_QUESTION_WORDS = (
    "ไหม",
    "มั้ย",
    "มั๊ย",
    "หรือเปล่า",
    "รึเปล่า",
    "ป่าว",
    "หรือยัง",
    "รึยัง",
    "อะไร",
    "เท่าไหร่",
    "เท่าไร",
    "ยังไง",
    "อย่างไร",
    "กี่",
    "ที่ไหน",
    "เมื่อไหร่",
    "เมื่อไร",
    "ทำไม",
    "ใคร",
    "ได้ไหม",
    "บ้าง",
    "มีไหม",
    "หรอ",
    "เหรอ",
)
_EN_QUESTION = re.compile(
    r"\b(how|what|when|where|which|who|why|do you|can i|is there|are there"
    r"|price|available)\b",
    re.IGNORECASE,
)


# ---------------------------------------------------------------------------- views


@dataclass(frozen=True, slots=True)
class CannedView:
    id: int
    title: str
    text: str


def _message_view(m: ChatMessage) -> MessageView:
    return MessageView(
        m.id,
        m.conversation_id,
        m.uid,
        m.direction,
        m.author,
        m.kind,
        m.text,
        dict(m.body),
        m.state,
        m.created_at,
    )


def _conversation_view(
    c: Conversation, customer: Customer | None, last_inbound_at: dt.datetime | None = None
) -> ConversationView:
    return ConversationView(
        id=c.id,
        ref=c.ref,
        channel=c.channel,
        customer_id=c.customer_id,
        customer_name=customer.name if customer else "",
        customer_phone=customer.phone if customer else "",
        title=c.title,
        status=c.status,
        mode=c.mode,
        bot_mode=c.bot_mode,
        taken_over_by=c.taken_over_by,
        unread=c.unread,
        tags=tuple(c.tags),
        notes=c.notes,
        last_message_at=c.last_message_at,
        last_preview=c.last_preview,
        following=c.following,
        customer_picture=customer.picture if customer else "",
        last_inbound_at=last_inbound_at,
    )


def preview_text(body: dict[str, Any]) -> str:
    """A one-line plain-text summary of a protocol message object (never HTML)."""
    kind = body.get("kind")
    if kind in ("text", "buttons"):
        text = str(body.get("text", ""))
    elif kind == "image":
        text = "[รูปภาพ]"
    elif kind == "sticker":
        text = "[สติกเกอร์]"
    elif kind == "location":
        text = "[ตำแหน่ง] " + str(body.get("title") or body.get("address") or "")
    elif kind == "postback":
        text = str(body.get("label") or body.get("data") or "")
    elif kind == "contact":
        name, note = str(body.get("name") or "").strip(), str(body.get("note") or "").strip()
        text = f"[{CONTACT_NOTE}] {format_phone(str(body.get('phone', '')))}"
        text += f" {name}" if name else ""
        text += f": {note}" if note else ""
    elif kind == "product_card":
        text = "[สินค้า] " + str((body.get("card") or {}).get("title", ""))
    elif kind == "carousel":
        text = "[สินค้า] " + ", ".join(str(c.get("title", "")) for c in body.get("cards", []))
    elif kind == "cart":
        text = f"[ตะกร้า] {format_baht(int(body.get('total_satang', 0)), symbol=True)}"
    elif kind == "order_status":
        label = body.get("status_label") or body.get("status", "")
        text = f"[ออเดอร์ {body.get('order_no', '')}] {label}"
    elif kind == "takeover":
        text = str(body.get("text") or "")
    else:
        text = f"[{kind}]"
    return " ".join(text.split())


PAGE_AUTHOR = "page"  # a message the Page sent outside MiniChat (seen through Meta's echo)


def new_uid() -> str:
    """A message id for the protocol: unique, URL-safe, sortable enough to read in logs."""
    return "d" + dt.datetime.now(dt.UTC).strftime("%y%m%d%H%M%S") + secrets.token_hex(6)


# A conversation's channel and the customer identity it carries, by its id's prefix (docs/
# protocol.md §2).
_CHANNELS: dict[str, tuple[Channel, IdentityKind]] = {
    "line": (Channel.LINE, IdentityKind.LINE),
    "widget": (Channel.WIDGET, IdentityKind.WIDGET),
    "messenger": (Channel.MESSENGER, IdentityKind.MESSENGER),
    "instagram": (Channel.INSTAGRAM, IdentityKind.INSTAGRAM),
}


def _channel_of(ref: str) -> Channel:
    found = _CHANNELS.get(ref.partition(":")[0])
    if found is not None and ref.partition(":")[2]:
        return found[0]
    raise UserError("conversation.bad_ref", f"unknown conversation id {ref!r}", ref=ref)


def _load(session: Session, conversation_id: int) -> Conversation:
    c = session.get(Conversation, conversation_id)
    if c is None:
        raise NotFound(
            "conversation.not_found", f"no conversation {conversation_id}", id=conversation_id
        )
    return c


def _view(session: Session, c: Conversation) -> ConversationView:
    customer = session.get(Customer, c.customer_id) if c.customer_id else None
    last_in = None
    if str(c.channel) in meta_window.META_CHANNELS:
        last_in = last_shopper_messages(session, [c.id]).get(c.id)
    return _conversation_view(c, customer, last_in)


def get_conversation(session: Session, conversation_id: int) -> ConversationView:
    return _view(session, _load(session, conversation_id))


def find_conversation(session: Session, ref: str) -> ConversationView | None:
    c = session.scalar(select(Conversation).where(Conversation.ref == ref))
    return None if c is None else _view(session, c)


def default_bot_mode(session: Session) -> BotMode:
    return BotMode(get_setting(session, DEFAULT_BOT_MODE_KEY, BotMode.ACTIVE.value))


def set_default_bot_mode(session: Session, mode: BotMode) -> None:
    put_setting(session, DEFAULT_BOT_MODE_KEY, BotMode(mode).value)


# ---------------------------------------------------------------------------- inbound


def _ensure_conversation(session: Session, ref: str, at: dt.datetime) -> tuple[Conversation, bool]:
    c = session.scalar(select(Conversation).where(Conversation.ref == ref))
    if c is not None:
        return c, False
    channel = _channel_of(ref)
    kind = _CHANNELS[ref.partition(":")[0]][1]
    customer = customers.find_or_create(session, kind, ref.split(":", 1)[1], "relay")
    c = Conversation(
        ref=ref,
        channel=channel,
        customer_id=customer.id,
        bot_mode=default_bot_mode(session),
        created_at=at,
        tags=[],
    )
    session.add(c)
    session.flush()
    return c, True


def record_inbound(
    session: Session, ref: str, message: dict[str, Any], at: dt.datetime | None = None
) -> Inbound | None:
    """Store a shopper's message (a protocol message object). Returns ``None`` when a message
    with the same id is already stored (a redelivery)."""
    uid = str(message.get("id", ""))
    if not uid:
        raise UserError("conversation.no_id", "a message without an id cannot be stored")
    at = at or utcnow()
    conv, created = _ensure_conversation(session, ref, at)
    dup = session.scalar(
        select(ChatMessage.id).where(ChatMessage.conversation_id == conv.id, ChatMessage.uid == uid)
    )
    if dup is not None:
        return None
    kind = str(message.get("kind", "text"))
    text = preview_text(message)
    msg = ChatMessage(
        conversation_id=conv.id,
        uid=uid,
        direction=Direction.IN,
        author="shopper",
        kind=kind,
        text=text,
        body=message,
        created_at=at,
    )
    session.add(msg)
    analytics.record(
        session,
        analytics.MESSAGE_RECEIVED,
        at=at,
        conversation_id=conv.id,
        customer_id=conv.customer_id,
    )
    conv.unread += 1
    conv.last_message_at = at
    conv.last_preview = text[:200]
    if conv.status == ConversationStatus.RESOLVED:
        conv.status = ConversationStatus.ACTIVE
    if conv.status == ConversationStatus.ACTIVE and conv.mode == ConversationMode.HUMAN:
        conv.status = ConversationStatus.PENDING
    if kind == "contact" and conv.customer_id is not None:
        _attach_contact(session, conv.customer_id, message, at)
    if conv.customer_id is not None:
        customers.touch_contacted(session, conv.customer_id, at)
    session.flush()
    return Inbound(_view(session, conv), _message_view(msg), created)


def record_page_echo(
    session: Session, ref: str, message: dict[str, Any], at: dt.datetime | None = None
) -> int | None:
    """Store a message the shop's Facebook Page or Instagram account sent from elsewhere (Meta
    Business Suite, the phone): shown as the shop's, already sent, never answered. Returns the
    conversation id, or None for a redelivery or a conversation this desktop does not keep."""
    uid = str(message.get("id", ""))
    if not uid:
        return None
    at = at or utcnow()
    try:
        conv, _ = _ensure_conversation(session, ref, at)
    except UserError:  # a channel this version does not keep conversations for
        return None
    dup = session.scalar(
        select(ChatMessage.id).where(ChatMessage.conversation_id == conv.id, ChatMessage.uid == uid)
    )
    if dup is not None:
        return None
    text = preview_text(message)
    session.add(
        ChatMessage(
            conversation_id=conv.id,
            uid=uid,
            direction=Direction.OUT,
            author=PAGE_AUTHOR,
            kind=str(message.get("kind", "text")),
            text=text,
            body=message,
            state="sent",
            created_at=at,
        )
    )
    conv.last_message_at = at
    conv.last_preview = text[:200]
    session.flush()
    return conv.id


def _attach_contact(
    session: Session, customer_id: int, message: dict[str, Any], at: dt.datetime
) -> None:
    """What a shopper left through the widget's contact form reaches the customer: the phone
    and the name when the customer has none yet, and the note added to the customer's notes
    (dated, so the owner reads it beside the chat). Each is kept on its own: a phone that
    belongs to another customer (the owner merges them by hand) does not lose the name or
    the note."""
    phone = str(message.get("phone") or "")
    name = " ".join(str(message.get("name") or "").split())
    note = str(message.get("note") or "").strip()
    view = customers.get_customer(session, customer_id)
    changes: list[dict[str, Any]] = []
    if phone and not view.phone:
        changes.append({"phone": phone})
    if name and not view.name:
        changes.append({"name": name})
    if note:
        aware = at if at.tzinfo is not None else at.replace(tzinfo=dt.UTC)
        said = f"{CONTACT_NOTE} {format_when(aware)}: {note}"
        changes.append({"notes": f"{view.notes.rstrip()}\n{said}" if view.notes else said})
    for change in changes:
        try:
            with session.begin_nested():
                customers.update_customer(session, customer_id, "shopper", **change)
        except UserError:
            pass  # a phone owned by another customer: the owner merges them by hand


def record_notice(session: Session, ref: str, event: str, at: dt.datetime) -> ConversationView:
    """A LINE follow/unfollow."""
    conv, _ = _ensure_conversation(session, ref, at)
    conv.following = event == "follow"
    session.flush()
    return _view(session, conv)


# ---------------------------------------------------------------------------- outbound


def last_shopper_messages(session: Session, conversation_ids: list[int]) -> dict[int, dt.datetime]:
    """When each conversation's shopper last wrote (conversations never written to are left
    out)."""
    if not conversation_ids:
        return {}
    rows = session.execute(
        select(ChatMessage.conversation_id, func.max(ChatMessage.created_at))
        .where(
            ChatMessage.conversation_id.in_(conversation_ids),
            ChatMessage.direction == Direction.IN,
        )
        .group_by(ChatMessage.conversation_id)
    )
    return {int(cid): meta_window.as_utc(at) for cid, at in rows if at is not None}


def window_of(
    session: Session, conversation_id: int, now: dt.datetime | None = None
) -> meta_window.MessagingWindow:
    """The window of one stored conversation now (``now``: the clock, for tests)."""
    channel = session.scalar(select(Conversation.channel).where(Conversation.id == conversation_id))
    if channel is None or str(channel) not in meta_window.META_CHANNELS:
        return meta_window.NOT_APPLICABLE
    last = last_shopper_messages(session, [conversation_id]).get(conversation_id)
    return meta_window.messaging_window(str(channel), last, now or utcnow())


def queue_outgoing(
    session: Session,
    conversation_id: int,
    body: p.Body,
    author: str,
    quick_replies: tuple[p.Button, ...] = (),
    at: dt.datetime | None = None,
) -> MessageView:
    """Store a message to the shopper and put it in the outbox (same transaction). A person's
    message to a Messenger or Instagram chat in the human-only part of Meta's window goes with
    ``human`` (see :mod:`.window`; :func:`pending_outbox` checks again when it is sent)."""
    conv = _load(session, conversation_id)
    message = p.Message(new_uid(), body, quick_replies)
    now = at or utcnow()
    human = (
        str(conv.channel) in meta_window.META_CHANNELS
        and meta_window.is_person(author)
        and window_of(session, conv.id, now).needs_human_tag
    )
    frame = p.Send(conv.ref, message, human)
    obj = message.to_obj()
    msg = ChatMessage(
        conversation_id=conv.id,
        uid=message.id,
        direction=Direction.OUT,
        author=author,
        kind=message.kind.value,
        text=preview_text(obj),
        body=obj,
        state="queued",
        created_at=now,
    )
    session.add(msg)
    session.add(OutboxItem(uid=message.id, frame=frame.to_obj(), created_at=now))
    analytics.record(
        session,
        analytics.MESSAGE_SENT,
        at=now,
        conversation_id=conv.id,
        customer_id=conv.customer_id,
        data={"author": analytics.author_role(author)},
    )
    conv.last_message_at = now
    conv.last_preview = msg.text[:200]
    if author != "bot" and conv.status == ConversationStatus.PENDING:
        conv.status = ConversationStatus.ACTIVE
    session.flush()
    return _message_view(msg)


def send_text(
    session: Session, conversation_id: int, text: str, author: str, now: dt.datetime | None = None
) -> MessageView:
    """A person's text. Refused (:class:`UserError` ``message.window_closed``) in a Messenger
    or Instagram chat whose shopper last wrote over 7 days ago, or never: Meta takes nothing
    there until they write again."""
    text = text.strip()
    if not text:
        raise UserError("message.empty", "the message is empty")
    if not window_of(session, conversation_id, now).person_may_send:
        raise UserError(
            "message.window_closed",
            "the shopper last wrote over 7 days ago: Messenger and Instagram take no message "
            "until they write again",
        )
    if p.utf16_len(text) > p.MAX_TEXT:  # counted as the relay and LINE count
        raise UserError(
            "message.too_long", f"a message has at most {p.MAX_TEXT} characters", max=p.MAX_TEXT
        )
    return queue_outgoing(session, conversation_id, p.Text(text), author, at=now)


def pending_outbox(
    session: Session, limit: int = 500, now: dt.datetime | None = None
) -> list[tuple[str, dict[str, Any]]]:
    """Frames not yet accepted by the relay, oldest first. A person's message to Messenger or
    Instagram carries ``human`` exactly when Meta's window is in its human-only part *now*
    (a reply queued at 23:59 and sent at 24:01 needs it; one queued after a day goes without
    it once the shopper has written again)."""
    rows = [
        (uid, dict(frame))
        for uid, frame in session.execute(
            select(OutboxItem.uid, OutboxItem.frame).order_by(OutboxItem.id).limit(limit)
        )
    ]
    meta = [uid for uid, frame in rows if _is_meta(str(frame.get("conversation", "")))]
    if not meta:
        return rows
    by_uid = {
        uid: (cid, author, channel)
        for uid, cid, author, channel in session.execute(
            select(
                ChatMessage.uid,
                ChatMessage.conversation_id,
                ChatMessage.author,
                Conversation.channel,
            )
            .join(Conversation, Conversation.id == ChatMessage.conversation_id)
            .where(ChatMessage.uid.in_(meta), ChatMessage.direction == Direction.OUT)
        )
    }
    last = last_shopper_messages(session, sorted({v[0] for v in by_uid.values()}))
    now = now or utcnow()
    for uid, frame in rows:
        found = by_uid.get(uid)
        if found is None or frame.get("type") != "send":
            continue
        cid, author, channel = found
        window = meta_window.messaging_window(str(channel), last.get(cid), now)
        frame.pop("human", None)
        if meta_window.is_person(author) and window.needs_human_tag:
            frame["human"] = True
    return rows


def _is_meta(ref: str) -> bool:
    return ref.partition(":")[0] in meta_window.META_CHANNELS


def mark_accepted(session: Session, uids: list[str]) -> None:
    """The relay stored these messages: drop them from the outbox; they are sent."""
    if not uids:
        return
    session.execute(delete(OutboxItem).where(OutboxItem.uid.in_(uids)))
    session.execute(
        update(ChatMessage)
        .where(
            ChatMessage.uid.in_(uids),
            ChatMessage.direction == Direction.OUT,
            ChatMessage.state == "queued",
        )
        .values(state="sent")
    )


def conversations_of(session: Session, uids: list[str]) -> list[int]:
    """The conversations that hold these outgoing messages."""
    if not uids:
        return []
    return sorted(
        set(
            session.scalars(
                select(ChatMessage.conversation_id).where(
                    ChatMessage.uid.in_(uids), ChatMessage.direction == Direction.OUT
                )
            )
        )
    )


def mark_failed(session: Session, uid: str) -> list[int]:
    """The relay will never deliver this message (unknown conversation, too large…): take it
    out of the outbox and show it as failed."""
    session.execute(delete(OutboxItem).where(OutboxItem.uid == uid))
    session.execute(
        update(ChatMessage)
        .where(ChatMessage.uid == uid, ChatMessage.direction == Direction.OUT)
        .values(state="failed")
    )
    return conversations_of(session, [uid])


_STATE_RANK = {"queued": 0, "sent": 1, "delivered": 2, "read": 3, "failed": 4}


def apply_receipt(
    session: Session, ref: str, status: str, uids: list[str], moved: list[str] | None = None
) -> list[int]:
    """Delivered/read/failed for outgoing messages; states only move forward. Returns the
    conversation ids touched; ``moved`` (when given) gets the uids whose state changed (a
    receipt delivered twice moves nothing the second time)."""
    conv = session.scalar(select(Conversation).where(Conversation.ref == ref))
    if conv is None or not uids:
        return []
    rows = session.scalars(
        select(ChatMessage).where(
            ChatMessage.conversation_id == conv.id,
            ChatMessage.uid.in_(uids),
            ChatMessage.direction == Direction.OUT,
        )
    )
    for m in rows:
        if _STATE_RANK.get(status, 0) > _STATE_RANK.get(m.state, 0):
            m.state = status
            if moved is not None:
                moved.append(m.uid)
    session.flush()
    return [conv.id]


# ---------------------------------------------------------------------------- modes


def take_over(
    session: Session, conversation_id: int, actor: str, notice: str = "เจ้าหน้าที่กำลังตอบคุณค่ะ"
) -> ConversationView:
    """A person answers from now on: the bot falls silent at once and the shopper is told."""
    conv = _load(session, conversation_id)
    if conv.mode != ConversationMode.HUMAN:
        conv.mode = ConversationMode.HUMAN
        conv.taken_over_by = actor
        conv.taken_over_at = utcnow()
        session.flush()
        if window_of(session, conv.id).bot_may_send:  # Meta: not after 24 h
            queue_outgoing(
                session, conv.id, p.Takeover(p.TakeoverState.STARTED, actor, notice), "system"
            )
    return _view(session, conv)


def end_session(
    session: Session,
    conversation_id: int,
    actor: str,
    notice: str = "จบการสนทนากับเจ้าหน้าที่แล้ว ผู้ช่วยอัตโนมัติจะดูแลต่อค่ะ",
) -> ConversationView:
    """Hand back to the bot in passive mode (it answers questions only)."""
    conv = _load(session, conversation_id)
    if conv.mode == ConversationMode.HUMAN:
        conv.mode = ConversationMode.BOT
        conv.bot_mode = BotMode.PASSIVE
        conv.taken_over_by = ""
        session.flush()
        if window_of(session, conv.id).bot_may_send:
            queue_outgoing(
                session, conv.id, p.Takeover(p.TakeoverState.ENDED, actor, notice), "system"
            )
    return _view(session, conv)


NOTE_KIND = "note"  # a line in the chat for the owner only: never sent, never in the outbox
BOT_SILENT_NOTE = (
    "บอทไม่ตอบ: ลูกค้าทักมาเกิน 24 ชม. แล้ว Messenger/Instagram ให้ตอบได้เฉพาะคนตอบเอง",
    "The bot did not answer: the shopper wrote over 24 hours ago, and Messenger/Instagram "
    "let only a person answer now",
)


def note_bot_silent(session: Session, conversation_id: int, at: dt.datetime | None = None) -> bool:
    """Say in the chat (for the owner, not sent) why the bot kept quiet outside Meta's 24-hour
    window — once per shopper message it did not answer: a note already written since the
    shopper's last message is not repeated. Returns whether a note was added."""
    last_in = session.scalar(
        select(ChatMessage.id)
        .where(
            ChatMessage.conversation_id == conversation_id, ChatMessage.direction == Direction.IN
        )
        .order_by(ChatMessage.id.desc())
        .limit(1)
    )
    uid = f"note-bot-window-{last_in or 0}"
    done = session.scalar(
        select(ChatMessage.id).where(
            ChatMessage.conversation_id == conversation_id, ChatMessage.uid == uid
        )
    )
    if done is not None:
        return False
    thai, english = BOT_SILENT_NOTE
    session.add(
        ChatMessage(
            conversation_id=conversation_id,
            uid=uid,
            direction=Direction.OUT,
            author="system",
            kind=NOTE_KIND,
            text=thai,
            body={"kind": NOTE_KIND, "text": thai, "text_en": english, "why": "outside_window"},
            state="note",
            created_at=at or utcnow(),
        )
    )
    session.flush()
    return True


def set_bot_mode(session: Session, conversation_id: int, mode: BotMode) -> ConversationView:
    conv = _load(session, conversation_id)
    conv.bot_mode = BotMode(mode)
    session.flush()
    return _view(session, conv)


def is_question(text: str, extra_keywords: tuple[str, ...] = ()) -> bool:
    """The seed's passive rule: a '?' or a question word (Thai or English) or a keyword."""
    if "?" in text or "？" in text:
        return True
    if any(w in text for w in THAI_QUESTION_WORDS + extra_keywords):
        return True
    return bool(_EN_QUESTION.search(text))


def bot_may_answer(session: Session, conversation_id: int, text: str) -> bool:
    """Whether the bot may answer this shopper message now (human mode: never)."""
    conv = _load(session, conversation_id)
    if conv.mode == ConversationMode.HUMAN or conv.bot_mode == BotMode.OFF:
        return False
    if conv.bot_mode == BotMode.ACTIVE:
        return True
    keywords = tuple(get_setting(session, PASSIVE_KEYWORDS_KEY, []) or [])
    return is_question(text, keywords)


def set_status(
    session: Session, conversation_id: int, status: ConversationStatus
) -> ConversationView:
    conv = _load(session, conversation_id)
    conv.status = ConversationStatus(status)
    session.flush()
    return _view(session, conv)


def update_details(
    session: Session,
    conversation_id: int,
    *,
    tags: list[str] | None = None,
    notes: str | None = None,
) -> ConversationView:
    conv = _load(session, conversation_id)
    if tags is not None:
        conv.tags = list(dict.fromkeys(t.strip() for t in tags if t.strip()))
    if notes is not None:
        conv.notes = notes
    session.flush()
    return _view(session, conv)


def mark_read(session: Session, conversation_id: int) -> str | None:
    """The owner has seen the conversation. Returns the last shopper message id (for a read
    receipt), or None if there was nothing unread."""
    conv = _load(session, conversation_id)
    if conv.unread == 0:
        return None
    conv.unread = 0
    session.flush()
    return session.scalar(
        select(ChatMessage.uid)
        .where(ChatMessage.conversation_id == conv.id, ChatMessage.direction == Direction.IN)
        .order_by(ChatMessage.id.desc())
        .limit(1)
    )


# ---------------------------------------------------------------------------- listing


def list_conversations(
    session: Session,
    *,
    status: str | None = None,
    search: str = "",
    limit: int = 100,
    offset: int = 0,
) -> list[ConversationView]:
    """The inbox's list (see :func:`inbox_reads.conversation_page`)."""
    return inbox_reads.conversation_page(
        DriverConnection(session), status=status, search=search, limit=limit, offset=offset
    )


def messages(
    session: Session, conversation_id: int, *, before_id: int | None = None, limit: int = 50
) -> list[MessageView]:
    """The newest ``limit`` messages before ``before_id`` (all when None), oldest first."""
    stmt = select(ChatMessage).where(ChatMessage.conversation_id == conversation_id)
    if before_id is not None:
        stmt = stmt.where(ChatMessage.id < before_id)
    rows = list(session.scalars(stmt.order_by(ChatMessage.id.desc()).limit(limit)))
    rows.reverse()
    return [_message_view(m) for m in rows]


def latest_order_for(session: Session, customer_id: int | None) -> Order | None:
    if customer_id is None:
        return None
    return session.scalar(
        select(Order).where(Order.customer_id == customer_id).order_by(Order.id.desc()).limit(1)
    )


# ---------------------------------------------------------------------------- canned responses


def list_canned(session: Session) -> list[CannedView]:
    return [
        CannedView(c.id, c.title, c.text)
        for c in session.scalars(
            select(CannedResponse).order_by(CannedResponse.position, CannedResponse.id)
        )
    ]


def save_canned(
    session: Session, title: str, text: str, canned_id: int | None = None
) -> CannedView:
    if not title.strip() or not text.strip():
        raise UserError("canned.empty", "a canned response needs a title and a text")
    _check_canned(text)
    if canned_id is None:
        row = CannedResponse(
            title=title.strip(),
            text=text.strip(),
            position=len(session.scalars(select(CannedResponse.id)).all()),
        )
        session.add(row)
    else:
        found = session.get(CannedResponse, canned_id)
        if found is None:
            raise NotFound("canned.not_found", f"no canned response {canned_id}")
        row = found
        row.title, row.text = title.strip(), text.strip()
    session.flush()
    return CannedView(row.id, row.title, row.text)


def delete_canned(session: Session, canned_id: int) -> None:
    session.execute(delete(CannedResponse).where(CannedResponse.id == canned_id))


def _check_canned(text: str) -> None:
    """Refuse a reply whose placeholders cannot be filled: a brace not closed, or a name
    that is not one of :data:`placeholders.FIELDS` (a typo would be sent as an empty gap)."""
    try:
        names = placeholders.names_in(text)
    except placeholders.BadPlaceholder as exc:
        raise UserError(
            "canned.bad_braces",
            "a brace { or } in the reply is not a placeholder: write a placeholder as "
            "{customer_name}, a brace itself as {{ or }}",
        ) from exc
    unknown = [n for n in names if n not in placeholders.FIELDS]
    if unknown:
        raise UserError(
            "canned.unknown_field",
            f"unknown field {{{unknown[0]}}}; use one of {', '.join(placeholders.FIELDS)}",
            field=unknown[0],
        )


DEFAULT_CANNED = (
    ("ทักทาย", "สวัสดีค่ะ คุณ{customer_name} ยินดีต้อนรับสู่ {shop_name} ค่ะ มีอะไรให้ช่วยไหมคะ"),
    ("แจ้งยอดชำระ", "ออเดอร์ {order_number} ยอดชำระ {total} ค่ะ โอนแล้วส่งสลิปในแชทได้เลยค่ะ"),
    ("ได้รับเงินแล้ว", "ได้รับการชำระเงินออเดอร์ {order_number} แล้วค่ะ ขอบคุณมากค่ะ"),
    ("แจ้งเลขพัสดุ", "จัดส่งออเดอร์ {order_number} แล้วค่ะ เลขพัสดุ {tracking}"),
    ("ขอบคุณ", "ขอบคุณที่อุดหนุน {shop_name} นะคะ 🙏"),
)


def ensure_default_canned(session: Session) -> None:
    if session.scalar(select(CannedResponse.id).limit(1)) is None:
        for title, text in DEFAULT_CANNED:
            save_canned(session, title, text)


def unread_total(session: Session) -> int:
    """Shopper messages not yet seen, over all conversations (the inbox's badge)."""
    return inbox_reads.unread_total(DriverConnection(session))
