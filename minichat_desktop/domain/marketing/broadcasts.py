"""Broadcasts: a message (text and/or product cards) to a segment, tag or pipeline status,
through the widget, LINE, Messenger and Instagram, now or at a set time.

- The audience is a filter (:class:`Audience`): RFM segments, tags, pipeline statuses and
  channels. Within one field any value matches; across fields all must match; an empty field
  matches everyone.
- Each customer gets at most one message, in their most recent conversation on the chosen
  channels (a LINE user who blocked the shop is not reachable there). Customers who opted out
  are skipped and recorded as skipped, so the owner sees they were left out on purpose.
- LINE pushes count against the shop's monthly quota. The relay reports it in ``line_quota``
  frames; :func:`store_line_quota` keeps the last one in settings and :func:`preview_audience`
  shows the pushes a broadcast needs against what is left. LINE recipients beyond the quota
  are skipped (``line_quota``) rather than left waiting on the relay until next month.
- Messenger and Instagram take a broadcast only within 24 hours of the shopper's last message
  (Meta's window, :mod:`~minichat_desktop.domain.conversations.window`; the relay refuses the
  rest). A customer whose chat there is past it is reached through another of their chats
  when they have one, else skipped (``outside_window``) — when the broadcast is resolved and
  again when each message is queued — and the results count them.
- :func:`send_due` (called by the scheduler, and by the screen after "send now") resolves due
  broadcasts into recipients and queues their messages through the outbox in batches, so a
  large broadcast never holds the database for long. A recipient's delivery result is the
  state of their message (queued, sent, delivered, read, failed): :func:`results`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session, aliased

from minichat_desktop.domain.bot import recommend
from minichat_desktop.domain.catalog import products as catalog
from minichat_desktop.domain.conversations import conversations as convs
from minichat_desktop.domain.conversations import window as meta_window
from minichat_desktop.domain.customers.rfm import Segment
from minichat_desktop.domain.models import (
    AuditEntry,
    Broadcast,
    BroadcastRecipient,
    Channel,
    ChatMessage,
    Conversation,
    Customer,
    CustomerScore,
    Direction,
    PipelineStatus,
    utcnow,
)
from minichat_desktop.domain.shop import get_setting, put_setting
from minichat_desktop.errors import NotFound, UserError
from relay import protocol as p

QUOTA_KEY = "line.quota"
BATCH = 200  # messages per send_due call: ~0.5 s of write lock
MAX_TITLE = 200
AUTHOR = "broadcast"
CHANNELS = (
    Channel.WIDGET.value,
    Channel.LINE.value,
    Channel.MESSENGER.value,
    Channel.INSTAGRAM.value,
)


class BroadcastStatus(StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    SENDING = "sending"
    SENT = "sent"
    CANCELLED = "cancelled"


class RecipientStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"  # queued in the outbox; the message's state says how far it got
    SKIPPED = "skipped"
    FAILED = "failed"


class SkipReason(StrEnum):
    OPTED_OUT = "opted_out"
    UNFOLLOWED = "unfollowed"  # blocked the shop on LINE
    LINE_QUOTA = "line_quota"
    OUTSIDE_WINDOW = "outside_window"  # Messenger/Instagram: over 24 h since the shopper wrote
    CANCELLED = "cancelled"


# ---------------------------------------------------------------------------- LINE quota


@dataclass(frozen=True, slots=True)
class LineQuotaInfo:
    """The last quota the relay reported, this month. ``limit`` None: no limit."""

    month: str
    used: int
    limit: int | None
    exceeded: bool
    at: dt.datetime

    @property
    def remaining(self) -> int | None:
        if self.limit is None:
            return None
        return max(0, self.limit - self.used)


def store_line_quota(
    session: Session,
    month: str,
    used: int,
    limit: int | None,
    exceeded: bool,
    at: dt.datetime | None = None,
) -> None:
    """Keep the relay's latest ``line_quota`` report (called by the sync client)."""
    put_setting(
        session,
        QUOTA_KEY,
        {
            "month": month,
            "used": int(used),
            "limit": limit,
            "exceeded": bool(exceeded),
            "at": (at or utcnow()).isoformat(),
        },
    )


def line_quota(session: Session, now: dt.datetime | None = None) -> LineQuotaInfo | None:
    """The quota as the desktop knows it: the relay's last report plus the LINE broadcast
    messages queued since (the relay has not counted those yet). A report from an earlier
    month starts the new month at zero. None: the relay never reported one."""
    raw = get_setting(session, QUOTA_KEY)
    if not raw:
        return None
    now = now or utcnow()
    at = dt.datetime.fromisoformat(raw["at"])
    month, used, exceeded = str(raw["month"]), int(raw["used"]), bool(raw["exceeded"])
    this_month = now.astimezone(dt.UTC).strftime("%Y-%m")
    if month != this_month:
        month, used, exceeded = this_month, 0, False
        at = now.astimezone(dt.UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    since = session.scalar(
        select(func.count(BroadcastRecipient.id)).where(
            BroadcastRecipient.channel == Channel.LINE,
            BroadcastRecipient.status == RecipientStatus.SENT,
            BroadcastRecipient.updated_at > at,
        )
    )
    limit = raw["limit"] if raw["limit"] is None else int(raw["limit"])
    return LineQuotaInfo(month, used + int(since or 0), limit, exceeded, at)


# ---------------------------------------------------------------------------- values


@dataclass(frozen=True, slots=True)
class Audience:
    segments: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    channels: tuple[str, ...] = CHANNELS

    def to_obj(self) -> dict[str, Any]:
        return {
            "segments": list(self.segments),
            "tags": list(self.tags),
            "statuses": list(self.statuses),
            "channels": list(self.channels),
        }

    @classmethod
    def from_obj(cls, obj: dict[str, Any]) -> Audience:
        return cls(
            tuple(obj.get("segments", ())),
            tuple(obj.get("tags", ())),
            tuple(obj.get("statuses", ())),
            tuple(obj.get("channels", CHANNELS)),
        )


@dataclass(frozen=True, slots=True)
class BroadcastView:
    id: int
    title: str
    text: str
    product_ids: tuple[int, ...]
    audience: Audience
    status: str
    scheduled_at: dt.datetime | None
    sent_at: dt.datetime | None
    created_by: str
    created_at: dt.datetime
    recipients: dict[str, int] = field(default_factory=dict)  # recipient status → count


@dataclass(frozen=True, slots=True)
class AudiencePreview:
    """Who a broadcast would reach, before it is sent."""

    matched: int  # customers matching the filter
    widget: int  # recipients through the widget
    line: int  # recipients through LINE (each one push)
    opted_out: int
    unfollowed: int
    unreachable: int  # no conversation on the chosen channels (walk-in customers…)
    quota: LineQuotaInfo | None
    messenger: int = 0
    instagram: int = 0
    # reachable only on Messenger/Instagram, over 24 h since they last wrote: channel → count
    outside_window: dict[str, int] = field(default_factory=dict)

    @property
    def recipients(self) -> int:
        return self.widget + self.line + self.messenger + self.instagram

    @property
    def line_pushes(self) -> int:
        return self.line

    @property
    def over_quota(self) -> int:
        """LINE recipients the quota left this month does not cover (they would be skipped)."""
        if self.quota is None or self.quota.remaining is None:
            return 0
        return max(0, self.line - self.quota.remaining)


@dataclass(frozen=True, slots=True)
class SendReport:
    queued: int
    conversation_ids: tuple[int, ...]
    started: tuple[int, ...]  # broadcasts resolved into recipients in this call
    finished: tuple[int, ...]  # broadcasts completely queued in this call
    more: bool  # call again: pending recipients are left


@dataclass(frozen=True, slots=True)
class RecipientResult:
    customer_id: int
    customer_name: str
    channel: str
    status: str  # pending, skipped, failed, or the message state: queued, sent, delivered, read
    detail: str
    updated_at: dt.datetime


@dataclass(frozen=True, slots=True)
class BroadcastResults:
    broadcast: BroadcastView
    counts: dict[str, int]  # pending, skipped, failed, queued, sent, delivered, read
    recipients: tuple[RecipientResult, ...]
    skipped: dict[str, int] = field(default_factory=dict)  # SkipReason → recipients skipped

    @property
    def outside_window(self) -> dict[str, int]:
        """Recipients skipped because Meta's 24-hour window had passed, by channel
        (``messenger``, ``instagram``)."""
        return dict(
            Counter(
                r.channel
                for r in self.recipients
                if r.status == RecipientStatus.SKIPPED and r.detail == SkipReason.OUTSIDE_WINDOW
            )
        )

    @property
    def reached(self) -> int:
        """Recipients whose message the relay took (sent, delivered or read)."""
        return sum(self.counts.get(k, 0) for k in ("sent", "delivered", "read"))


# ---------------------------------------------------------------------------- editing


def _clean_audience(audience: Audience) -> Audience:
    bad = [s for s in audience.segments if s not in Segment.__members__.values()]
    if bad:
        raise UserError("broadcast.bad_segment", f"unknown segment {bad[0]!r}", field="audience")
    bad = [s for s in audience.statuses if s not in PipelineStatus.__members__.values()]
    if bad:
        raise UserError("broadcast.bad_status", f"unknown status {bad[0]!r}", field="audience")
    channels = tuple(dict.fromkeys(audience.channels))
    if not channels or any(c not in CHANNELS for c in channels):
        raise UserError(
            "broadcast.no_channel",
            "choose at least one channel: the widget, LINE, Messenger or Instagram",
            field="channels",
        )
    tags = tuple(dict.fromkeys(t.strip() for t in audience.tags if t.strip()))
    return Audience(
        tuple(dict.fromkeys(audience.segments)),
        tags,
        tuple(dict.fromkeys(audience.statuses)),
        channels,
    )


def _clean_content(
    session: Session, text: str, product_ids: tuple[int, ...]
) -> tuple[str, list[int]]:
    text = text.strip()
    ids = tuple(dict.fromkeys(int(i) for i in product_ids))
    if not text and not ids:
        raise UserError("broadcast.empty", "write a message or pick products", field="text")
    if p.utf16_len(text) > p.MAX_TEXT:  # counted as the relay and LINE count
        raise UserError(
            "broadcast.too_long",
            f"a message has at most {p.MAX_TEXT} characters",
            field="text",
            max=p.MAX_TEXT,
        )
    if len(ids) > p.MAX_CARDS:
        raise UserError(
            "broadcast.too_many_products",
            f"at most {p.MAX_CARDS} products fit in one message",
            field="products",
            max=p.MAX_CARDS,
        )
    for pid in ids:
        product = catalog.get_product(session, pid)  # NotFound names the id
        if not product.active:
            raise UserError(
                "broadcast.inactive_product",
                f"{product.name_th} is not for sale",
                field="products",
                product_id=pid,
            )
    return text, list(ids)


def _load(session: Session, broadcast_id: int) -> Broadcast:
    b = session.get(Broadcast, broadcast_id)
    if b is None:
        raise NotFound("broadcast.not_found", f"no broadcast {broadcast_id}", id=broadcast_id)
    return b


def _counts(session: Session, ids: list[int]) -> dict[int, dict[str, int]]:
    out: dict[int, dict[str, int]] = {i: {} for i in ids}
    if not ids:
        return out
    for bid, status, n in session.execute(
        select(BroadcastRecipient.broadcast_id, BroadcastRecipient.status, func.count())
        .where(BroadcastRecipient.broadcast_id.in_(ids))
        .group_by(BroadcastRecipient.broadcast_id, BroadcastRecipient.status)
    ):
        out[bid][status] = int(n)
    return out


def _view(b: Broadcast, counts: dict[str, int] | None = None) -> BroadcastView:
    return BroadcastView(
        id=b.id,
        title=b.title,
        text=str(b.message.get("text", "")),
        product_ids=tuple(int(i) for i in b.message.get("product_ids", ())),
        audience=Audience.from_obj(b.audience),
        status=b.status,
        scheduled_at=b.scheduled_at,
        sent_at=b.sent_at,
        created_by=b.created_by,
        created_at=b.created_at,
        recipients=counts or {},
    )


def get_broadcast(session: Session, broadcast_id: int) -> BroadcastView:
    b = _load(session, broadcast_id)
    return _view(b, _counts(session, [b.id])[b.id])


def list_broadcasts(session: Session, limit: int = 200) -> list[BroadcastView]:
    """Newest first, with recipient counts."""
    rows = list(session.scalars(select(Broadcast).order_by(Broadcast.id.desc()).limit(limit)))
    counts = _counts(session, [b.id for b in rows])
    return [_view(b, counts[b.id]) for b in rows]


def _audit(session: Session, actor: str, action: str, b: Broadcast, **changes: Any) -> None:
    session.add(
        AuditEntry(
            actor=actor,
            action=action,
            entity="broadcast",
            entity_id=str(b.id),
            changes={k: [None, v] for k, v in changes.items()},
        )
    )


def create_broadcast(
    session: Session,
    actor: str,
    *,
    title: str,
    text: str = "",
    product_ids: tuple[int, ...] | list[int] = (),
    audience: Audience = Audience(),
) -> BroadcastView:
    """A draft. Raises :class:`UserError` naming the bad field; nothing is stored then."""
    title = title.strip()[:MAX_TITLE]
    clean = _clean_content(session, text, tuple(product_ids))
    aud = _clean_audience(audience)
    b = Broadcast(
        title=title or clean[0][:60] or "Broadcast",
        message={"text": clean[0], "product_ids": clean[1]},
        audience=aud.to_obj(),
        status=BroadcastStatus.DRAFT,
        created_by=actor,
        created_at=utcnow(),
    )
    session.add(b)
    session.flush()
    _audit(session, actor, "broadcast.create", b, title=b.title)
    return get_broadcast(session, b.id)


def update_broadcast(
    session: Session,
    broadcast_id: int,
    actor: str,
    *,
    title: str | None = None,
    text: str | None = None,
    product_ids: tuple[int, ...] | list[int] | None = None,
    audience: Audience | None = None,
) -> BroadcastView:
    """Edit a draft or scheduled broadcast."""
    b = _load(session, broadcast_id)
    if b.status not in (BroadcastStatus.DRAFT, BroadcastStatus.SCHEDULED):
        raise UserError(
            "broadcast.not_editable", f"a {b.status} broadcast cannot be changed", status=b.status
        )
    cur = _view(b)
    clean = _clean_content(
        session,
        cur.text if text is None else text,
        cur.product_ids if product_ids is None else tuple(product_ids),
    )
    aud = _clean_audience(cur.audience if audience is None else audience)
    if title is not None and title.strip():
        b.title = title.strip()[:MAX_TITLE]
    b.message = {"text": clean[0], "product_ids": clean[1]}
    b.audience = aud.to_obj()
    _audit(session, actor, "broadcast.update", b, title=b.title)
    session.flush()
    return get_broadcast(session, b.id)


def schedule(
    session: Session, broadcast_id: int, actor: str, at: dt.datetime, now: dt.datetime
) -> BroadcastView:
    """Send at ``at`` (UTC-aware; ``now`` or earlier means at the next :func:`send_due`)."""
    if at.tzinfo is None:
        raise UserError("broadcast.naive_time", "the time needs a time zone", field="scheduled_at")
    b = _load(session, broadcast_id)
    if b.status not in (BroadcastStatus.DRAFT, BroadcastStatus.SCHEDULED):
        raise UserError(
            "broadcast.not_editable", f"a {b.status} broadcast cannot be scheduled", status=b.status
        )
    b.status = BroadcastStatus.SCHEDULED
    b.scheduled_at = max(at, now)
    _audit(session, actor, "broadcast.schedule", b, scheduled_at=b.scheduled_at.isoformat())
    session.flush()
    return get_broadcast(session, b.id)


def send_now(session: Session, broadcast_id: int, actor: str, now: dt.datetime) -> BroadcastView:
    """Due at once; the caller runs :func:`send_due` next."""
    return schedule(session, broadcast_id, actor, now, now)


def cancel(session: Session, broadcast_id: int, actor: str) -> BroadcastView:
    """Stop a draft, scheduled or sending broadcast. Messages already queued still go out."""
    b = _load(session, broadcast_id)
    if b.status in (BroadcastStatus.SENT, BroadcastStatus.CANCELLED):
        raise UserError(
            "broadcast.not_cancellable",
            f"a {b.status} broadcast cannot be cancelled",
            status=b.status,
        )
    session.execute(
        update(BroadcastRecipient)
        .where(
            BroadcastRecipient.broadcast_id == b.id,
            BroadcastRecipient.status == RecipientStatus.PENDING,
        )
        .values(status=RecipientStatus.SKIPPED, detail=SkipReason.CANCELLED, updated_at=utcnow())
    )
    b.status = BroadcastStatus.CANCELLED
    _audit(session, actor, "broadcast.cancel", b)
    session.flush()
    return get_broadcast(session, b.id)


def delete_draft(session: Session, broadcast_id: int, actor: str) -> None:
    b = _load(session, broadcast_id)
    if b.status != BroadcastStatus.DRAFT:
        raise UserError(
            "broadcast.not_draft",
            "only a draft can be deleted; cancel it instead",
            status=b.status,
        )
    _audit(session, actor, "broadcast.delete", b, title=b.title)
    session.delete(b)
    session.flush()


# ---------------------------------------------------------------------------- audience


@dataclass(frozen=True, slots=True)
class _Target:
    customer_id: int
    opted_out: bool
    conversation_ref: str
    channel: str
    skip: str  # "" or a SkipReason


def _customer_filter(audience: Audience) -> Any:
    stmt = select(Customer.id, Customer.opted_out).where(Customer.merged_into_id.is_(None))
    if audience.statuses:
        stmt = stmt.where(Customer.status.in_(audience.statuses))
    if audience.tags:
        tags_text = func.cast(Customer.tags, type_=Customer.notes.type)
        stmt = stmt.where(
            or_(*(func.instr(tags_text, form) > 0 for t in audience.tags for form in _forms(t)))
        )
    if audience.segments:
        stmt = stmt.join(CustomerScore, CustomerScore.customer_id == Customer.id).where(
            CustomerScore.segment.in_(audience.segments)
        )
    return stmt


def _forms(tag: str) -> set[str]:
    """The tag as it can appear inside the stored JSON list (SQLAlchemy's JSON escapes
    non-ASCII by default; a list written by another tool may not)."""
    return {json.dumps(tag), json.dumps(tag, ensure_ascii=False)}


def _targets(
    session: Session, audience: Audience, now: dt.datetime
) -> tuple[int, list[_Target], int]:
    """(customers matched, one target per reachable or skipped customer, unreachable)."""
    matched = _customer_filter(audience).subquery()
    customers = {int(cid): bool(opt) for cid, opt in session.execute(select(matched))}
    best: dict[int, tuple[dt.datetime, str, str]] = {}
    unfollowed: set[int] = set()
    outside: dict[int, str] = {}  # only chats past Meta's 24-hour window: their channel
    last = func.coalesce(Conversation.last_message_at, Conversation.created_at)
    # When each Messenger/Instagram shopper last wrote (Meta's window counts from it).
    wrote = (
        select(ChatMessage.conversation_id, func.max(ChatMessage.created_at).label("at"))
        .join(Conversation, Conversation.id == ChatMessage.conversation_id)
        .where(
            ChatMessage.direction == Direction.IN,
            Conversation.channel.in_(meta_window.META_CHANNELS),
        )
        .group_by(ChatMessage.conversation_id)
        .subquery()
    )
    # A merged duplicate's conversations belong to the customer kept.
    owner = aliased(Customer)
    person = func.coalesce(owner.merged_into_id, owner.id)
    for cid, ref, channel, following, at, shopper_at in session.execute(
        select(
            person, Conversation.ref, Conversation.channel, Conversation.following, last, wrote.c.at
        )
        .join(owner, owner.id == Conversation.customer_id)
        .join(matched, matched.c.id == person)
        .outerjoin(wrote, wrote.c.conversation_id == Conversation.id)
        .where(Conversation.channel.in_(audience.channels))
    ):
        if channel == Channel.LINE and not following:
            unfollowed.add(cid)
            continue
        if channel in meta_window.META_CHANNELS and not _window_open(channel, shopper_at, now):
            outside[cid] = channel
            continue
        if cid not in best or (at, ref) > best[cid][:2]:
            best[cid] = (at, ref, channel)
    targets: list[_Target] = []
    unreachable = 0
    for cid, opted_out in customers.items():
        if opted_out:
            pick = best.get(cid)
            targets.append(
                _Target(
                    cid,
                    True,
                    pick[1] if pick else "",
                    pick[2] if pick else "",
                    SkipReason.OPTED_OUT,
                )
            )
        elif cid in best:
            _at, ref, channel = best[cid]
            targets.append(_Target(cid, False, ref, channel, ""))
        elif cid in unfollowed:
            targets.append(_Target(cid, False, "", Channel.LINE, SkipReason.UNFOLLOWED))
        elif cid in outside:
            targets.append(_Target(cid, False, "", outside[cid], SkipReason.OUTSIDE_WINDOW))
        else:
            unreachable += 1
    # most recent conversations first: they get the LINE quota when it is short
    order = {cid: best[cid][0] for cid in best}
    floor = dt.datetime.min.replace(tzinfo=dt.UTC)
    targets.sort(key=lambda t: (order.get(t.customer_id, floor), t.customer_id), reverse=True)
    return len(customers), targets, unreachable


def _window_open(channel: str, shopper_at: Any, now: dt.datetime) -> bool:
    """Whether a broadcast may go to this Messenger/Instagram chat now (within 24 hours of
    the shopper's last message; ``shopper_at`` None: they never wrote)."""
    at = None if shopper_at is None else meta_window.as_utc(shopper_at)
    return meta_window.messaging_window(channel, at, now).bot_may_send


def preview_audience(
    session: Session, audience: Audience, now: dt.datetime | None = None
) -> AudiencePreview:
    """Recipients by channel, who is left out and why, and the LINE quota left."""
    aud = _clean_audience(audience)
    matched, targets, unreachable = _targets(session, aud, now or utcnow())
    c = Counter(t.skip or t.channel for t in targets)
    return AudiencePreview(
        matched=matched,
        widget=c[Channel.WIDGET.value],
        line=c[Channel.LINE.value],
        opted_out=c[SkipReason.OPTED_OUT.value],
        unfollowed=c[SkipReason.UNFOLLOWED.value],
        unreachable=unreachable,
        quota=line_quota(session, now),
        messenger=c[Channel.MESSENGER.value],
        instagram=c[Channel.INSTAGRAM.value],
        outside_window=dict(
            Counter(str(t.channel) for t in targets if t.skip == SkipReason.OUTSIDE_WINDOW)
        ),
    )


def known_tags(session: Session) -> list[str]:
    """Every tag on a customer, sorted (for the audience picker)."""
    seen: set[str] = set()
    for tags in session.scalars(select(Customer.tags).where(Customer.merged_into_id.is_(None))):
        seen.update(tags or ())
    return sorted(seen)


# ---------------------------------------------------------------------------- sending


def _card(product: catalog.ProductView) -> p.Card:
    active = [v for v in product.variants if v.active] or list(product.variants)
    in_stock = [v for v in active if v.stock > 0 or not product.track_inventory]
    price = min((v.price_satang for v in (in_stock or active)), default=product.price_satang)
    compare = product.compare_at_satang
    rec = recommend.Recommendation(
        product_id=product.id,
        sku=product.sku,
        name_th=product.name_th,
        name_en=product.name_en,
        category=product.category,
        price_satang=price,
        price_max_satang=max((v.price_satang for v in active), default=price),
        compare_at_satang=compare if compare and compare > price else None,
        in_stock=bool(in_stock),
        stock=sum(v.stock for v in active) if product.track_inventory else None,
        units_sold=0,
        rating=None,
        review_count=0,
        score=0.0,
        reasons=(),
        variant_id=active[0].id if len(active) == 1 else None,
        options={},
        fits_price=None,
        image=product.images[0] if product.images else None,
    )
    return recommend.to_card(rec, "th")


def build_bodies(session: Session, text: str, product_ids: tuple[int, ...]) -> list[p.Body]:
    """The protocol messages one recipient gets: text, cards, or a carousel with the text as
    its intro (one message, one LINE push); a text longer than a carousel intro goes first as
    its own message. Products no longer for sale are left out."""
    cards = []
    for pid in product_ids:
        try:
            product = catalog.get_product(session, pid)
        except NotFound:
            continue
        if product.active:
            cards.append(_card(product))
    if not cards:
        return [p.Text(text)] if text else []
    if len(cards) == 1 and not text:
        return [p.ProductCard(cards[0])]
    if len(text) <= 1000:
        return [p.Carousel(tuple(cards), text or None)]
    return [p.Text(text), p.Carousel(tuple(cards))]


def _resolve(session: Session, b: Broadcast, now: dt.datetime) -> None:
    aud = Audience.from_obj(b.audience)
    _matched, targets, _unreachable = _targets(session, aud, now)
    quota = line_quota(session, now)
    left = quota.remaining if quota is not None else None
    rows = []
    stamp = now.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    for t in targets:
        status, detail = RecipientStatus.PENDING.value, ""
        if t.skip:
            status, detail = RecipientStatus.SKIPPED.value, str(t.skip)
        elif t.channel == Channel.LINE and left is not None:
            if left <= 0:
                status, detail = RecipientStatus.SKIPPED.value, SkipReason.LINE_QUOTA.value
            else:
                left -= 1
        rows.append(
            (b.id, t.customer_id, t.conversation_ref, str(t.channel), status, detail, stamp)
        )
    # Straight on the driver: a broadcast to 20,000 customers is one executemany.
    session.flush()
    if rows:
        session.connection().exec_driver_sql(
            "INSERT INTO broadcast_recipients (broadcast_id, customer_id, conversation_ref,"
            " channel, status, detail, message_uid, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, '', ?)",
            rows,
        )
    b.status = BroadcastStatus.SENDING
    session.flush()


def send_due(session: Session, now: dt.datetime, limit: int = BATCH) -> SendReport:
    """Resolve broadcasts that are due and queue up to ``limit`` messages. Call it every
    half minute or so, and again at once while ``more`` is true (wake the relay client when
    ``queued`` > 0)."""
    started = []
    for b in session.scalars(
        select(Broadcast)
        .where(Broadcast.status == BroadcastStatus.SCHEDULED, Broadcast.scheduled_at <= now)
        .order_by(Broadcast.scheduled_at, Broadcast.id)
    ):
        _resolve(session, b, now)
        started.append(b.id)
    queued = 0
    touched: list[int] = []
    finished = []
    budget = limit
    for b in session.scalars(
        select(Broadcast).where(Broadcast.status == BroadcastStatus.SENDING).order_by(Broadcast.id)
    ).all():
        if budget <= 0:
            break
        pending = list(
            session.scalars(
                select(BroadcastRecipient)
                .where(
                    BroadcastRecipient.broadcast_id == b.id,
                    BroadcastRecipient.status == RecipientStatus.PENDING,
                )
                .order_by(BroadcastRecipient.id)
                .limit(budget)
            )
        )
        if pending:
            bodies = build_bodies(
                session,
                str(b.message.get("text", "")),
                tuple(int(i) for i in b.message.get("product_ids", ())),
            )
            conv_ids: dict[str, int] = {
                ref: cid
                for ref, cid in session.execute(
                    select(Conversation.ref, Conversation.id).where(
                        Conversation.ref.in_({r.conversation_ref for r in pending})
                    )
                )
            }
            wrote = convs.last_shopper_messages(
                session,
                [
                    conv_ids[r.conversation_ref]
                    for r in pending
                    if r.channel in meta_window.META_CHANNELS and r.conversation_ref in conv_ids
                ],
            )
            for r in pending:
                budget -= 1
                r.updated_at = now
                cid = conv_ids.get(r.conversation_ref)
                if not bodies or cid is None:
                    r.status = RecipientStatus.FAILED
                    r.detail = "no_products" if not bodies else "no_conversation"
                    continue
                if not meta_window.messaging_window(r.channel, wrote.get(cid), now).bot_may_send:
                    # the window closed between resolving and sending (a long broadcast)
                    r.status = RecipientStatus.SKIPPED
                    r.detail = SkipReason.OUTSIDE_WINDOW.value
                    continue
                for body in bodies:
                    msg = convs.queue_outgoing(session, cid, body, AUTHOR, at=now)
                r.status = RecipientStatus.SENT
                r.message_uid = msg.uid
                queued += 1
                touched.append(cid)
        left = session.scalar(
            select(func.count(BroadcastRecipient.id)).where(
                BroadcastRecipient.broadcast_id == b.id,
                BroadcastRecipient.status == RecipientStatus.PENDING,
            )
        )
        if not left:
            b.status = BroadcastStatus.SENT
            b.sent_at = now
            finished.append(b.id)
    session.flush()
    more = bool(
        session.scalar(
            select(func.count(BroadcastRecipient.id))
            .join(Broadcast, Broadcast.id == BroadcastRecipient.broadcast_id)
            .where(
                Broadcast.status == BroadcastStatus.SENDING,
                BroadcastRecipient.status == RecipientStatus.PENDING,
            )
        )
    )
    return SendReport(queued, tuple(dict.fromkeys(touched)), tuple(started), tuple(finished), more)


def next_due(session: Session) -> dt.datetime | None:
    """When the next scheduled broadcast is due (for a scheduler that sleeps until then)."""
    return session.scalar(
        select(func.min(Broadcast.scheduled_at)).where(
            Broadcast.status == BroadcastStatus.SCHEDULED
        )
    )


# ---------------------------------------------------------------------------- results


def results(session: Session, broadcast_id: int) -> BroadcastResults:
    """Each recipient's outcome: pending, skipped or failed here, otherwise the state of the
    message they were sent (queued, sent, delivered, read, failed)."""
    view = get_broadcast(session, broadcast_id)
    rows = session.execute(
        select(
            BroadcastRecipient.customer_id,
            Customer.name,
            BroadcastRecipient.channel,
            BroadcastRecipient.status,
            BroadcastRecipient.detail,
            BroadcastRecipient.updated_at,
            ChatMessage.state,
        )
        .join(Customer, Customer.id == BroadcastRecipient.customer_id)
        .outerjoin(Conversation, Conversation.ref == BroadcastRecipient.conversation_ref)
        .outerjoin(
            ChatMessage,
            (ChatMessage.conversation_id == Conversation.id)
            & (ChatMessage.uid == BroadcastRecipient.message_uid),
        )
        .where(BroadcastRecipient.broadcast_id == broadcast_id)
        .order_by(BroadcastRecipient.id)
    )
    out = []
    for cid, name, channel, status, detail, at, state in rows:
        shown = (state or "queued") if status == RecipientStatus.SENT else status
        out.append(RecipientResult(cid, name, channel, shown, detail, at))
    counts = Counter(r.status for r in out)
    skipped = Counter(r.detail for r in out if r.status == RecipientStatus.SKIPPED)
    return BroadcastResults(view, dict(counts), tuple(out), dict(skipped))
