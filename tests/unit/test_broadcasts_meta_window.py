"""Broadcasts to Messenger and Instagram: Meta takes them only within 24 hours of the shopper's
last message. A customer past it is skipped with the reason (or reached through another of
their chats), counted by channel in the preview and the results, and checked again when each
message is queued (the window may close while a long broadcast is sent)."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from sqlalchemy import select

from minichat_desktop.domain.conversations import conversations as convs
from minichat_desktop.domain.customers import customers
from minichat_desktop.domain.marketing import broadcasts as bc
from minichat_desktop.domain.marketing.broadcasts import Audience
from minichat_desktop.storage.db import Database

NOW = dt.datetime(2026, 12, 6, 5, 0, tzinfo=dt.UTC)
H = dt.timedelta(hours=1)
_n = itertools.count(1)


def _chat(s: Any, ref: str, ago: dt.timedelta) -> int:
    """A conversation whose shopper last wrote ``ago`` before NOW; the customer id."""
    rec = convs.record_inbound(
        s, ref, {"id": f"in{next(_n)}", "kind": "text", "text": "สวัสดีค่ะ"}, NOW - ago
    )
    assert rec is not None and rec.conversation.customer_id is not None
    return rec.conversation.customer_id


def _shop(db: Database) -> dict[str, int]:
    """Fresh on Messenger (2 h), Late on Messenger (30 h), Gram on Instagram (3 days),
    Both: Messenger 30 h ago and the website a week ago (one person), Web on the website."""
    with db.write() as s:
        ids = {
            "fresh": _chat(s, "messenger:1001", 2 * H),
            "late": _chat(s, "messenger:1002", 30 * H),
            "gram": _chat(s, "instagram:2001", 72 * H),
            "both": _chat(s, "messenger:1003", 30 * H),
            "web": _chat(s, "widget:web-session-1", 5 * H),
        }
        site = _chat(s, "widget:both-session-1", 7 * 24 * H)
        customers.merge_customers(s, ids["both"], site, "owner")
    return ids


def test_the_preview_counts_who_is_past_the_window_by_channel(db: Database) -> None:
    _shop(db)
    with db.read() as s:
        pre = bc.preview_audience(s, Audience(), NOW)
        only_meta = bc.preview_audience(s, Audience(channels=("messenger", "instagram")), NOW)
    # Both is reached on the website instead of their stale Messenger chat
    assert (pre.widget, pre.line, pre.messenger, pre.instagram) == (2, 0, 1, 0)
    assert pre.recipients == 3
    assert pre.outside_window == {"messenger": 1, "instagram": 1}
    assert (only_meta.messenger, only_meta.recipients) == (1, 1)
    assert only_meta.outside_window == {"messenger": 2, "instagram": 1}


def test_sending_skips_them_with_the_reason_and_the_results_count_them(db: Database) -> None:
    ids = _shop(db)
    with db.write() as s:
        b = bc.create_broadcast(s, "owner", title="โปร", text="ลด 20% วันนี้เท่านั้น")
        bc.send_now(s, b.id, "owner", NOW)
        report = bc.send_due(s, NOW)
        res = bc.results(s, b.id)
        frames = [f for _, f in convs.pending_outbox(s, now=NOW)]
    assert report.queued == 3
    by_customer = {r.customer_id: (r.channel, r.status, r.detail) for r in res.recipients}
    assert by_customer[ids["late"]] == ("messenger", "skipped", "outside_window")
    assert by_customer[ids["gram"]] == ("instagram", "skipped", "outside_window")
    assert by_customer[ids["both"]][:2] == ("widget", "queued")
    assert by_customer[ids["fresh"]][:2] == ("messenger", "queued")
    assert res.skipped == {"outside_window": 2}
    assert res.outside_window == {"messenger": 1, "instagram": 1}
    # what goes to Messenger is no person's reply: never tagged human
    assert [f.get("human") for f in frames if f["conversation"] == "messenger:1001"] == [None]


def test_a_window_that_closes_while_the_broadcast_is_sent_skips_the_rest(db: Database) -> None:
    ids = _shop(db)
    later = NOW + 23 * H  # Fresh wrote 25 hours before this
    with db.write() as s:
        b = bc.create_broadcast(
            s, "owner", title="โปร", text="ลดราคา", audience=Audience(channels=("messenger",))
        )
        bc.send_now(s, b.id, "owner", NOW)
        bc.send_due(s, NOW, limit=0)  # resolved now, nothing queued yet
        pending = list(s.scalars(select(bc.BroadcastRecipient.status)))
        assert pending.count("pending") == 1
        report = bc.send_due(s, later)
        res = bc.results(s, b.id)
        assert convs.pending_outbox(s) == []
    assert (report.queued, report.finished) == (0, (b.id,))
    fresh = next(r for r in res.recipients if r.customer_id == ids["fresh"])
    assert (fresh.status, fresh.detail) == ("skipped", "outside_window")
    assert res.outside_window == {"messenger": 3}
