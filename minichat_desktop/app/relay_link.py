"""What the relay keeps a copy of — the website widget's look and the sites allowed to embed it,
the LINE channel credentials — kept in step with the shop; and what the link hands on from Meta
that is not a chat message: comments under the Page's posts (live selling).

The shop is the source of truth. Saving sends the change to the relay at once when online; when
it could not go out (offline, or the relay lost its copy), the relay's ``welcome`` on the next
connection is compared with what the shop has and :func:`catch_up` says what to send again. The
relay link (``sync.client``) does that by itself, whichever screens exist.

LINE's and Meta's credentials are secrets (the keyring holds them, never the database): only
*that* a change waits — ``"set"`` or ``"clear"`` under :data:`LINE_PENDING_KEY` or
:data:`META_PENDING_KEY` — is stored here.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import logging
from collections.abc import Iterator
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from minichat_desktop.app import live
from minichat_desktop.app.settings import load_widget_settings
from minichat_desktop.domain import shop
from minichat_desktop.domain.activity import notifications
from minichat_desktop.domain.customers import customers
from minichat_desktop.domain.live import selling
from minichat_desktop.domain.models import Conversation, IdentityKind, utcnow
from minichat_desktop.errors import DomainError
from relay import protocol as p

log = logging.getLogger(__name__)

LINE_PENDING_KEY = "line.pending_push"  # "set" / "clear": to send on the next connection
META_PENDING_KEY = "meta.pending_push"  # the same for the Facebook Page's credentials
Pending = Literal["set", "clear"]


@dataclasses.dataclass(frozen=True, slots=True)
class CatchUp:
    """What the relay's copy lacks: the widget config and allowed origins to send (origins
    None: leave the relay's), and a LINE or Meta change saved while offline."""

    widget: tuple[p.WidgetConfig, tuple[str, ...] | None] | None
    line: Pending | None
    meta: Pending | None = None


def catch_up(session: Session, welcome: p.DesktopWelcome) -> CatchUp:
    """Compare the relay's copy (its ``welcome``) with the shop's. A stored widget config the
    protocol no longer accepts is logged and not sent (the owner saves it again)."""
    stored = load_widget_settings(session)
    widget = None
    if stored.config is not None:
        try:
            config = p.WidgetConfig.from_obj(stored.config)
            origins = None if stored.origins is None else p.parse_origins(list(stored.origins))
        except p.ProtocolError:
            log.warning("stored widget config is invalid; not sending it to the relay")
        else:
            same_origins = origins is None or set(origins) == set(welcome.allowed_origins)
            if config != welcome.widget_config or not same_origins:
                widget = (config, origins)
    return CatchUp(widget, _pending(session, LINE_PENDING_KEY), _pending(session, META_PENDING_KEY))


def _pending(session: Session, key: str) -> Pending | None:
    value = shop.get_setting(session, key)
    return "set" if value == "set" else "clear" if value == "clear" else None


def line_pending(session: Session, pending: Pending | None) -> None:
    """Remember that the LINE credentials (``"set"``) or their removal (``"clear"``) still
    have to reach the relay; None once they did."""
    shop.put_setting(session, LINE_PENDING_KEY, pending)


def meta_pending(session: Session, pending: Pending | None) -> None:
    """The same for the Facebook Page's credentials (``meta_credentials``)."""
    shop.put_setting(session, META_PENDING_KEY, pending)


# ---------------------------------------------------------------------------- page comments


class _SameTransaction:
    """A unit of work over the session the link stores its stream position in, so a comment's
    reservation, its private reply in the outbox and the acknowledged position commit together
    (a savepoint: a comment that fails leaves the rest of the batch)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    @contextlib.contextmanager
    def write(self) -> Iterator[Session]:
        with self.session.begin_nested():
            yield self.session

    @contextlib.contextmanager
    def read(self) -> Iterator[Session]:
        yield self.session


PROFILE_KINDS = {
    "messenger": IdentityKind.MESSENGER,
    "instagram": IdentityKind.INSTAGRAM,
    "line": IdentityKind.LINE,
}


def profile(session: Session, item: p.Profile, picture: str | None) -> list[int]:
    """Keep what a shopper's platform says of them on their customer (the name only where the
    owner has not named them; ``picture``: the file kept, inside the data folder, or None when
    none came). Returns the ids of the conversations whose rows show it."""
    channel, _, user = item.conversation.partition(":")
    kind = PROFILE_KINDS.get(channel)
    if kind is None or not user:
        log.info("profile of %s ignored: not a channel with profiles", item.conversation)
        return []
    customer_id = customers.set_channel_profile(
        session, kind, user, item.name, "" if item.picture is None else picture
    )
    return list(
        session.scalars(select(Conversation.id).where(Conversation.customer_id == customer_id))
    )


def page_comment(session: Session, item: p.PageComment) -> live.Outcome | None:
    """Hand a comment under a Page or Instagram post to the live that is running (None:
    nothing done)."""
    live_id = selling.current_live_id(session)
    if live_id is None:
        # No live is running: a comment is only an order while the owner sells live, with the
        # codes and stock they picked. Kept, it would reserve under a later live for words
        # written before it began, and Meta keeps the comment on Facebook anyway.
        return None
    try:
        at = dt.datetime.fromisoformat(item.at.replace("Z", "+00:00"))
    except ValueError:
        at = utcnow()
    at = at if at.tzinfo else at.replace(tzinfo=dt.UTC)
    platform = selling.Platform(item.platform.value)
    comment = live.Comment(item.comment_id, item.from_id, item.from_name, item.text, at, platform)
    try:
        return live.record_comment(_SameTransaction(session), live_id, comment)
    except DomainError as exc:
        log.warning("live %s: comment %s not worked: %s", live_id, item.comment_id, exc)
        return None


_REPLY_NOT_SENT = ("ตอบความเห็นในไลฟ์ไม่สำเร็จ", "Reply to a live comment not sent")


def comment_receipt(session: Session, receipt: p.Receipt) -> None:
    """What became of a private reply to a comment (``comment:<comment_id>``): there is no
    conversation to show it in, so only a failure is told to the owner, in Meta's words (Meta
    allows one reply per comment, within 7 days of it)."""
    if receipt.status is not p.ReceiptStatus.FAILED:
        return
    comment_id = receipt.conversation.removeprefix(p.COMMENT_PREFIX)
    for uid in receipt.ids:
        selling.reply_not_sent(session, uid, receipt.reason or "ส่งไม่สำเร็จ / not delivered")
    notifications.notify(
        session,
        notifications.NotificationKind.MESSAGE_FAILED,
        _REPLY_NOT_SENT[0],
        f"ความเห็น {comment_id}: {receipt.reason or 'ส่งไม่สำเร็จ'}",
        en=(_REPLY_NOT_SENT[1], f"Comment {comment_id}: {receipt.reason or 'not delivered'}"),
    )


def comment_reply_refused(session: Session, error: p.Error) -> bool:
    """The relay refused a live comment's private reply at once (``error`` answers its
    message id: a comment over 7 days old, Meta not set up…): it leaves the outbox, the live
    screen shows why, and the owner is told in the relay's words (Thai and English). False
    when ``error`` is about no live reply."""
    if not error.ref:
        return False
    comment_id = selling.reply_not_sent(session, error.ref, error.message)
    if comment_id is None:
        return False
    thai, _, english = error.message.partition(" / ")
    notifications.notify(
        session,
        notifications.NotificationKind.MESSAGE_FAILED,
        _REPLY_NOT_SENT[0],
        f"ความเห็น {comment_id}: {thai}",
        en=(_REPLY_NOT_SENT[1], f"Comment {comment_id}: {english or thai}"),
    )
    return True
