"""What the bot remembers about one conversation, for a while (table ``bot_contexts``).

A :class:`ConversationContext` holds the products the shopper showed interest in (most recent
first), the price range they gave, their preferences (colour, size, category), the sales stage
(``browsing`` → ``considering`` → ``ready_to_buy`` → ``purchased``), the last intent, how many
messages were read, and contact details they typed. It is forgotten ``bot.context_ttl_minutes``
(a setting, default 30, 1 to 1440) after the last update: :func:`load_context` then returns a
fresh context, as the seed's context manager does.

Use :func:`remember` with each classified shopper message (it loads, merges and saves in the
caller's unit of work); :func:`set_stage` when something else moves the sale on (checkout
placing an order → ``purchased``).

Merging rules (:meth:`ConversationContext.merged`):

- products named now go to the front of ``interested_products`` (at most 10 kept); a message
  that names products replaces the *current* focus (``focus``) with them.
- a price bound given now replaces the old one; giving only one bound keeps the other unless
  it would make the range empty.
- colour, size and category given now replace the old ones.
- stage only moves forward, except that a new product question after ``purchased`` starts a
  new sale at ``browsing``/``considering``: greeting or product talk → at least ``browsing``;
  a named product, a price question or a colour/size → ``considering``; ``make_purchase`` →
  ``ready_to_buy``; an order placed → ``purchased`` (by :func:`set_stage`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any, Final

from sqlalchemy import delete
from sqlalchemy.orm import Session

from minichat_desktop.domain.bot.nlu import Classification
from minichat_desktop.domain.models import BotContext, utcnow
from minichat_desktop.domain.shop import get_setting, put_setting
from minichat_desktop.errors import UserError

TTL_SETTING: Final = "bot.context_ttl_minutes"
DEFAULT_TTL_MINUTES: Final = 30
MIN_TTL_MINUTES, MAX_TTL_MINUTES = 1, 24 * 60
MAX_INTERESTED: Final = 10

STAGES: Final = ("browsing", "considering", "ready_to_buy", "purchased")
_RANK: Final = {s: i for i, s in enumerate(STAGES)}


@dataclasses.dataclass(frozen=True, slots=True)
class ConversationContext:
    """The bot's memory of one conversation. Prices are integer satang."""

    conversation_id: int
    stage: str = "browsing"
    interested_products: tuple[int, ...] = ()
    focus: tuple[int, ...] = ()  # the products the latest product message was about
    price_min: int | None = None
    price_max: int | None = None
    color: str | None = None
    size: str | None = None
    category: str | None = None
    last_intent: str | None = None
    message_count: int = 0
    customer: dict[str, str] = dataclasses.field(default_factory=dict)  # phone, email, name
    updated_at: dt.datetime | None = None
    expires_at: dt.datetime | None = None

    @property
    def preferences(self) -> dict[str, str]:
        """Colour, size and category, those that are set."""
        prefs = {"color": self.color, "size": self.size, "category": self.category}
        return {k: v for k, v in prefs.items() if v}

    def merged(self, c: Classification) -> ConversationContext:
        """This context after reading one classified message (rules in the module docstring)."""
        e = c.entities
        named = [int(p["product_id"]) for p in e.get("product", ())]
        interested = tuple(dict.fromkeys([*named, *self.interested_products]))[:MAX_INTERESTED]
        lo, hi = self.price_min, self.price_max
        if "price_min" in e or "price_max" in e:
            new_lo, new_hi = e.get("price_min"), e.get("price_max")
            if new_lo is not None and new_hi is not None:
                lo, hi = new_lo, new_hi
            elif new_lo is not None:
                lo = new_lo
                if hi is not None and hi < lo:
                    hi = None
            else:
                hi = new_hi
                if lo is not None and hi is not None and lo > hi:
                    lo = None
        categories = e.get("category") or []
        customer = dict(self.customer)
        for key in ("phone", "email"):
            if key in e:
                customer[key] = str(e[key])
        return dataclasses.replace(
            self,
            stage=_next_stage(self.stage, c),
            interested_products=interested,
            focus=tuple(named) if named else self.focus,
            price_min=lo,
            price_max=hi,
            color=e.get("color", self.color),
            size=e.get("size", self.size),
            category=categories[0] if categories else self.category,
            last_intent=c.intent,
            message_count=self.message_count + 1,
            customer=customer,
        )

    def to_data(self) -> dict[str, Any]:
        """The JSON stored in ``bot_contexts.data`` (everything but the stage and times)."""
        return {
            "interested_products": list(self.interested_products),
            "focus": list(self.focus),
            "price_min": self.price_min,
            "price_max": self.price_max,
            "color": self.color,
            "size": self.size,
            "category": self.category,
            "last_intent": self.last_intent,
            "message_count": self.message_count,
            "customer": dict(self.customer),
        }


def _next_stage(stage: str, c: Classification) -> str:
    e = c.entities
    if c.intent == "make_purchase":
        wanted = "ready_to_buy"
    elif (
        "product" in e
        or c.intent == "price_check"
        or any(k in e for k in ("color", "size", "price_min", "price_max"))
    ):
        wanted = "considering"
    else:
        wanted = "browsing"
    if stage == "purchased":
        # A finished sale stays finished until the shopper starts shopping again.
        if c.intent in ("product_inquiry", "price_check", "make_purchase"):
            return wanted
        return stage
    return wanted if _RANK[wanted] > _RANK.get(stage, 0) else stage


def _from_row(row: BotContext) -> ConversationContext:
    d = row.data or {}
    return ConversationContext(
        conversation_id=row.conversation_id,
        stage=row.stage if row.stage in _RANK else "browsing",
        interested_products=tuple(int(i) for i in d.get("interested_products", ())),
        focus=tuple(int(i) for i in d.get("focus", ())),
        price_min=d.get("price_min"),
        price_max=d.get("price_max"),
        color=d.get("color"),
        size=d.get("size"),
        category=d.get("category"),
        last_intent=d.get("last_intent"),
        message_count=int(d.get("message_count", 0)),
        customer=dict(d.get("customer") or {}),
        updated_at=row.updated_at,
        expires_at=row.expires_at,
    )


# ---------------------------------------------------------------------------- settings


def ttl_minutes(session: Session) -> int:
    """The context lifetime setting; a stored value out of range falls back to the default."""
    value = get_setting(session, TTL_SETTING, DEFAULT_TTL_MINUTES)
    if isinstance(value, bool) or not isinstance(value, int):
        return DEFAULT_TTL_MINUTES
    if not MIN_TTL_MINUTES <= value <= MAX_TTL_MINUTES:
        return DEFAULT_TTL_MINUTES
    return value


def set_ttl_minutes(session: Session, minutes: int) -> None:
    """Store the context lifetime. Raises :class:`UserError` ``bot.bad_ttl`` out of range."""
    if isinstance(minutes, bool) or not isinstance(minutes, int):
        raise UserError("bot.bad_ttl", f"context lifetime {minutes!r} is not a whole number")
    if not MIN_TTL_MINUTES <= minutes <= MAX_TTL_MINUTES:
        raise UserError(
            "bot.bad_ttl",
            f"context lifetime {minutes} minutes is out of range "
            f"({MIN_TTL_MINUTES} to {MAX_TTL_MINUTES})",
            minutes=minutes,
        )
    put_setting(session, TTL_SETTING, minutes)


# ---------------------------------------------------------------------------- load and save


def load_context(
    session: Session, conversation_id: int, now: dt.datetime | None = None
) -> ConversationContext:
    """The conversation's context, or a fresh one when none is stored or it has expired
    (an expired row is deleted)."""
    now = now or utcnow()
    row = session.get(BotContext, conversation_id)
    if row is None:
        return ConversationContext(conversation_id)
    if row.expires_at <= now:
        session.delete(row)
        session.flush()
        return ConversationContext(conversation_id)
    return _from_row(row)


def save_context(
    session: Session, ctx: ConversationContext, now: dt.datetime | None = None
) -> ConversationContext:
    """Store ``ctx``; it expires the TTL after ``now``. Returns it with its new times."""
    now = now or utcnow()
    expires = now + dt.timedelta(minutes=ttl_minutes(session))
    row = session.get(BotContext, ctx.conversation_id)
    if row is None:
        row = BotContext(conversation_id=ctx.conversation_id)
        session.add(row)
    row.stage = ctx.stage
    row.data = ctx.to_data()
    row.updated_at = now
    row.expires_at = expires
    session.flush()
    return dataclasses.replace(ctx, updated_at=now, expires_at=expires)


def remember(
    session: Session, conversation_id: int, c: Classification, now: dt.datetime | None = None
) -> ConversationContext:
    """Load, merge one classified shopper message, save; returns the new context."""
    now = now or utcnow()
    return save_context(session, load_context(session, conversation_id, now).merged(c), now)


def set_stage(
    session: Session, conversation_id: int, stage: str, now: dt.datetime | None = None
) -> ConversationContext:
    """Move the sale to ``stage`` (any direction: this is the caller's decision, e.g. an order
    placed → ``purchased``). Raises ValueError for a stage not in :data:`STAGES`."""
    if stage not in _RANK:
        raise ValueError(f"unknown stage {stage!r}; expected one of {', '.join(STAGES)}")
    now = now or utcnow()
    ctx = load_context(session, conversation_id, now)
    return save_context(session, dataclasses.replace(ctx, stage=stage), now)


def forget(session: Session, conversation_id: int) -> None:
    """Drop the conversation's context now (the shopper asked to start over)."""
    session.execute(delete(BotContext).where(BotContext.conversation_id == conversation_id))


def purge_expired(session: Session, now: dt.datetime | None = None) -> int:
    """Delete every expired context; returns how many."""
    now = now or utcnow()
    result = session.execute(delete(BotContext).where(BotContext.expires_at <= now))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
