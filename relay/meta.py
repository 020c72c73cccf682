"""Meta's webhooks (Facebook Messenger and Instagram Messaging): the subscription handshake, the
``X-Hub-Signature-256`` check, and webhook bodies → events in protocol terms.

Wire formats, as Meta documents them:

- Handshake and signature: developers.facebook.com/docs/graph-api/webhooks/getting-started
  (``hub.mode=subscribe``, ``hub.verify_token``, echo ``hub.challenge``; ``X-Hub-Signature-256``
  is ``sha256=`` + hex HMAC-SHA256 of the raw body, keyed with the app secret).
- Messenger: developers.facebook.com/docs/messenger-platform/reference/webhook-events —
  ``messages`` (``mid``, ``text``, ``quick_reply.payload``, ``attachments[].type`` image, video,
  audio, file, fallback, reel…, ``payload.url``), ``message_echoes`` (``is_echo``, ``app_id``,
  ``metadata``), ``messaging_postbacks`` (``postback.mid``, ``title``, ``payload``),
  ``message_reads`` (``read.watermark``), ``message_deliveries`` (``delivery.mids``,
  ``watermark``). Body: ``{"object": "page", "entry": [{"id", "time", "messaging": [...]}]}``.
- Instagram: developers.facebook.com/docs/instagram-messaging/webhooks and
  developers.facebook.com/docs/instagram-platform/webhooks/examples — the same ``messaging``
  items under ``"object": "instagram"`` (``entry.id`` is the Instagram account); echoes come
  with the ``messages`` field; a read is ``read.mid`` (``messaging_seen``).

- Page feed comments: developers.facebook.com/docs/graph-api/webhooks/reference/page (the
  ``feed`` field) and developers.facebook.com/docs/pages-api/webhooks-for-pages — under
  ``"object": "page"``, ``entry[].changes[]`` with ``field: "feed"`` and a ``value`` of
  ``item`` ("comment"), ``verb`` ("add", "edited", "remove"), ``comment_id``, ``post_id``,
  ``parent_id``, ``from {id, name}``, ``message``, ``created_time`` (Unix seconds). Only new
  comments (``verb: add``) not written by the page itself are kept.
- Instagram comments: developers.facebook.com/docs/instagram-platform/webhooks/examples and
  developers.facebook.com/docs/graph-api/webhooks/reference/instagram — under
  ``"object": "instagram"`` (``entry.id`` the Instagram professional account, ``entry.time``
  when Meta sent it), ``entry[].changes[]`` with ``field`` ``comments`` (posts, reels, ads) or
  ``live_comments`` (during an Instagram Live) and a ``value`` of ``id`` (the comment),
  ``from {id (the commenter's IGSID), username}``, ``text``, ``media {id,
  media_product_type}``, ``parent_id``. The value has no creation time: ``entry.time`` stands in
  (never before the comment was written, so the 7-day check errs towards asking Meta). The
  account's own comments (``from.id`` is ``entry.id``) are skipped.

A conversation is ``messenger:<PSID>`` or ``instagram:<IGSID>`` (the page-scoped id of the
shopper), as LINE's are ``line:<userId>``.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from relay import protocol as p

SIGNATURE_HEADER = "X-Hub-Signature-256"
OURS = "minichat:"  # the ``metadata`` of what the relay sends: its echo is not shown again
TEXT_BUTTON = "minichat-text:"  # a payload standing for "the shopper typed this text"
CHANNELS = {"page": "messenger", "instagram": "instagram"}
APP_NAMES = {"messenger": "Messenger", "instagram": "Instagram"}


def verify_signature(app_secret: str, body: bytes, header: str | None) -> bool:
    """``sha256=`` + hex HMAC-SHA256(app secret, raw body) == the header, in constant time."""
    if not header or not header.startswith("sha256="):
        return False
    expected = "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), header.strip().encode("ascii", "replace"))


def sign(app_secret: str, body: bytes) -> str:
    """The ``X-Hub-Signature-256`` value Meta sends with ``body``."""
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def handshake(query: Mapping[str, str], verify_token: str) -> str | None:
    """The challenge to echo for a subscription request, or None (then: 403)."""
    given = query.get("hub.verify_token", "")
    challenge = query.get("hub.challenge", "")
    ok_token = hmac.compare_digest(given.encode(), verify_token.encode())
    if query.get("hub.mode") != "subscribe" or not ok_token or not challenge:
        return None
    if len(challenge) > 200 or not challenge.isprintable():
        return None
    return challenge


# ---------------------------------------------------------------------------------------------
# Events in


@dataclass(frozen=True, slots=True)
class MetaEvent:
    """One thing that happened in a conversation, in protocol terms.

    ``key`` is what redeliveries are recognised by (the message ``mid``, with ``#n`` for the
    n-th attachment); reads and deliveries have none (they are idempotent). ``image_url`` is a
    picture to download now (Meta's URLs expire). ``echo``: the page sent it (from elsewhere).
    """

    conversation: str
    timestamp: float  # seconds, Meta's clock
    key: str | None = None
    message: p.Message | None = None
    image_url: str | None = None
    echo: bool = False
    read_watermark: float | None = None  # seconds: everything sent up to then was read
    read_mid: str | None = None  # Instagram: the last message read
    delivered_mids: tuple[str, ...] = ()
    delivered_watermark: float | None = None

    @property
    def from_shopper(self) -> bool:
        """A message or postback the shopper sent: it (re)opens the 24-hour window."""
        return not self.echo and (self.message is not None or self.image_url is not None)


def message_id(key: str) -> str:
    """Our message id for a Meta ``mid`` (theirs are long and use characters ours don't)."""
    return "meta-" + hashlib.sha256(key.encode()).hexdigest()[:40]


def parse_events(payload: Any) -> list[MetaEvent]:
    """The events of a webhook body a shop needs; anything else (other objects, fields Meta
    adds over time, group threads, malformed items) is skipped, never an error."""
    if not isinstance(payload, dict):
        raise p.ProtocolError("body: not an object")
    channel = CHANNELS.get(payload.get("object"))  # type: ignore[arg-type]
    entries = payload.get("entry")
    if channel is None or not isinstance(entries, list):
        return []
    out: list[MetaEvent] = []
    for entry in entries:
        items = entry.get("messaging") if isinstance(entry, dict) else None
        for item in items if isinstance(items, list) else []:
            if isinstance(item, dict):
                try:
                    out.extend(_parse_item(channel, item))
                except (p.ProtocolError, TypeError, ValueError, AttributeError):
                    continue
    return out


def _id_of(obj: Any) -> str | None:
    value = obj.get("id") if isinstance(obj, dict) else None
    return value if isinstance(value, str) and value.isdigit() and len(value) <= 40 else None


def _seconds(value: Any) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        return float(value) / 1000.0
    return 0.0


def _parse_item(channel: str, item: dict[str, Any]) -> list[MetaEvent]:
    sender, recipient = _id_of(item.get("sender")), _id_of(item.get("recipient"))
    ts = _seconds(item.get("timestamp"))
    msg = item.get("message")
    if isinstance(msg, dict):
        echo = msg.get("is_echo") is True
        user = recipient if echo else sender
        if user is None or msg.get("is_deleted") or (echo and _ours(msg)):
            return []
        return _message_events(channel, f"{channel}:{user}", ts, msg, echo)
    if sender is None:
        return []
    conversation = f"{channel}:{sender}"
    pb = item.get("postback")
    if isinstance(pb, dict):
        payload = pb.get("payload")
        if not isinstance(payload, str) or not payload:
            return []
        given = pb.get("mid")
        mid = given if isinstance(given, str) and given else f"pb:{sender}:{ts}"
        body = _postback(payload, pb.get("title"))
        return [MetaEvent(conversation, ts, mid, p.Message(message_id(mid), body))]
    read = item.get("read")
    if isinstance(read, dict):
        seen = read.get("mid")
        mark = _seconds(read.get("watermark")) or None
        last = seen if isinstance(seen, str) else None
        return [MetaEvent(conversation, ts, read_watermark=mark, read_mid=last)]
    delivery = item.get("delivery")
    if isinstance(delivery, dict):
        mids = tuple(m for m in (delivery.get("mids") or []) if isinstance(m, str))
        mark = _seconds(delivery.get("watermark")) or None
        return [MetaEvent(conversation, ts, delivered_mids=mids, delivered_watermark=mark)]
    return []


def _ours(msg: dict[str, Any]) -> bool:
    metadata = msg.get("metadata")
    return isinstance(metadata, str) and metadata.startswith(OURS)


def _postback(payload: str, label: Any) -> p.Text | p.Postback:
    """A button or quick reply the shopper pressed: a "typed text" button comes back as that
    text; the others as a postback with our ``data`` (and the button's label)."""
    if payload.startswith(TEXT_BUTTON):
        return p.Text(payload[len(TEXT_BUTTON) :][: p.MAX_TEXT] or "?")
    shown = label[: p.MAX_LABEL] if isinstance(label, str) and label.strip() else None
    return p.Postback(payload[: p.MAX_DATA], shown)


_KINDS = {
    "video": ("วิดีโอ", "a video"),
    "audio": ("ข้อความเสียง", "a voice message"),
    "file": ("ไฟล์", "a file"),
    "location": ("ตำแหน่ง", "a location"),
    "fallback": ("ลิงก์", "a link"),
    "reel": ("คลิป Reels", "a reel"),
    "ig_reel": ("คลิป Reels", "a reel"),
    "story_mention": ("การกล่าวถึงในสตอรี่", "a story mention"),
    "share": ("โพสต์ที่แชร์", "a shared post"),
    "template": ("ข้อความแบบการ์ด", "a card"),
}


def attachment_text(kind: str, channel: str, url: str | None = None) -> str:
    """What the desktop shows for an attachment it cannot show itself (Thai, then English)."""
    th, en = _KINDS.get(kind, ("ไฟล์แนบ", "an attachment"))
    app = APP_NAMES[channel]
    text = f"[ส่ง{th}มา เปิดดูใน {app} / sent {en}: open {app} to see it]"
    if url and url.startswith("https://") and kind in ("fallback", "share"):
        text += f"\n{url[:1000]}"
    return text


def _message_events(
    channel: str, conversation: str, ts: float, msg: dict[str, Any], echo: bool
) -> list[MetaEvent]:
    mid = msg.get("mid")
    if not isinstance(mid, str) or not mid or len(mid) > 500:
        return []
    out: list[MetaEvent] = []
    text = msg.get("text") if isinstance(msg.get("text"), str) else None
    quick = msg.get("quick_reply") if isinstance(msg.get("quick_reply"), dict) else None
    payload = quick.get("payload") if quick else None
    if isinstance(payload, str) and payload and not echo:
        body: p.Text | p.Postback = _postback(payload, text)
        out.append(MetaEvent(conversation, ts, mid, p.Message(message_id(mid), body)))
    elif text and text.strip():
        message = p.Message(message_id(mid), p.Text(p.fit_text(text)))
        out.append(MetaEvent(conversation, ts, mid, message, echo=echo))
    attachments = msg.get("attachments")
    for n, att in enumerate(attachments if isinstance(attachments, list) else []):
        if not isinstance(att, dict) or not isinstance(att.get("type"), str):
            continue
        key = mid if n == 0 and not out else f"{mid}#{n}"
        kind = att["type"]
        data = att.get("payload")
        url = data.get("url") if isinstance(data, dict) else None
        url = url if isinstance(url, str) else None
        if kind == "image" and url and url.startswith(("https://", "http://")):
            out.append(MetaEvent(conversation, ts, key, image_url=url, echo=echo))
            continue
        shown = p.Text(attachment_text(kind, channel, url))
        out.append(MetaEvent(conversation, ts, key, p.Message(message_id(key), shown), echo=echo))
    return out


# ---------------------------------------------------------------------------------------------
# Page feed comments (live selling)


@dataclass(frozen=True, slots=True)
class FeedComment:
    """A new comment under a post of the page or of its Instagram account; ``key``
    recognises its redeliveries. ``account_id`` is the Page's or the Instagram account's id
    (``entry.id``): an Instagram private reply is sent through that account's endpoint."""

    comment_id: str
    post_id: str
    from_id: str
    from_name: str
    text: str
    created: float  # seconds, Meta's clock (0: not given)
    platform: p.CommentPlatform = p.CommentPlatform.FACEBOOK
    account_id: str = ""

    @property
    def key(self) -> str:
        return "comment:" + self.comment_id


_FEED_ID = re.compile(r"^[0-9]{1,40}(_[0-9]{1,40})?$")


INSTAGRAM_COMMENT_FIELDS = ("comments", "live_comments")


def parse_comments(payload: Any) -> list[FeedComment]:
    """The new comments in a ``page`` webhook body's ``feed`` changes and an ``instagram``
    body's ``comments``/``live_comments`` changes; anything else (likes, edits, removals, the
    account's own comments, malformed values) is skipped."""
    kind = payload.get("object") if isinstance(payload, dict) else None
    if kind not in ("page", "instagram"):
        return []
    entries = payload.get("entry")
    out: list[FeedComment] = []
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict):
            continue
        changes = entry.get("changes")
        account = entry.get("id")
        for change in changes if isinstance(changes, list) else []:
            if kind == "page":
                comment = _feed_comment(change, account)
            else:
                comment = _instagram_comment(change, account, _entry_seconds(entry.get("time")))
            if comment is not None:
                out.append(comment)
    return out


def _entry_seconds(value: Any) -> float:
    """``entry.time``: Unix seconds, or milliseconds (Meta uses both); 0 when not given."""
    if not isinstance(value, int | float) or isinstance(value, bool) or value <= 0:
        return 0.0
    return float(value) / 1000.0 if value > 1e11 else float(value)


def _commenter(
    v: dict[str, Any], id_key: str, name_key: str, account: Any
) -> tuple[str, str, str] | None:
    """(comment id, commenter id, name) of a comment value, or None when malformed or written
    by the account itself (answering under its own post)."""
    cid = v.get(id_key)
    sender = v.get("from")
    from_id = _id_of(sender)
    if not (isinstance(cid, str) and _FEED_ID.match(cid)) or from_id is None:
        return None
    if from_id == account:
        return None
    name = sender.get(name_key) if isinstance(sender, dict) else None
    return cid, from_id, name[:200] if isinstance(name, str) else ""


def _instagram_comment(change: Any, account: Any, sent: float) -> FeedComment | None:
    if not isinstance(change, dict) or change.get("field") not in INSTAGRAM_COMMENT_FIELDS:
        return None
    v = change.get("value")
    if not isinstance(v, dict):
        return None
    who = _commenter(v, "id", "username", account)
    if who is None:
        return None
    cid, from_id, name = who
    text = v.get("text")
    return FeedComment(
        comment_id=cid,
        post_id=_id_of(v.get("media")) or "",
        from_id=from_id,
        from_name=name,
        text=p.fit_text(text) if isinstance(text, str) else "",
        created=sent,
        platform=p.CommentPlatform.INSTAGRAM,
        account_id=account if isinstance(account, str) and account.isdigit() else "",
    )


def _feed_comment(change: Any, page_id: Any) -> FeedComment | None:
    if not isinstance(change, dict) or change.get("field") != "feed":
        return None
    v = change.get("value")
    if not isinstance(v, dict) or v.get("item") != "comment" or v.get("verb") != "add":
        return None
    who = _commenter(v, "comment_id", "name", page_id)
    if who is None:
        return None
    cid, from_id, name = who
    post = v.get("post_id")
    post_id = post if isinstance(post, str) and _FEED_ID.match(post) else ""
    text = v.get("message")
    created = v.get("created_time")
    return FeedComment(
        comment_id=cid,
        post_id=post_id,
        from_id=from_id,
        from_name=name,
        text=p.fit_text(text) if isinstance(text, str) else "",
        created=float(created)
        if isinstance(created, int | float) and not isinstance(created, bool) and created > 0
        else 0.0,
        account_id=page_id if isinstance(page_id, str) and page_id.isdigit() else "",
    )
