"""Meta's messaging window on the desktop: the rule at its edges (a clock the tests set), the
``human`` flag on a person's replies only in the human-only part (decided again when the outbox
is read), no bot answers, takeover notices or timer replies past 24 hours (a note in the chat,
once), and a person's text refused after 7 days."""

from __future__ import annotations

import datetime as dt

import pytest

from minichat_desktop.domain.conversations import conversations as convs
from minichat_desktop.domain.conversations.window import (
    MessagingWindow,
    WindowState,
    messaging_window,
)
from minichat_desktop.errors import UserError
from minichat_desktop.storage.db import Database
from relay import protocol as p

NOW = dt.datetime(2026, 12, 6, 12, 0, tzinfo=dt.UTC)
H = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)
MESSENGER = "messenger:2233445566778899"


@pytest.mark.parametrize(
    ("ago", "expected"),
    [
        (dt.timedelta(0), MessagingWindow(WindowState.OPEN, 24 * H)),
        (-5 * H, MessagingWindow(WindowState.OPEN, 24 * H)),  # clocks apart: just now
        (
            dt.timedelta(hours=18, minutes=48),
            MessagingWindow(WindowState.OPEN, dt.timedelta(hours=5, minutes=12)),
        ),
        (24 * H, MessagingWindow(WindowState.OPEN, dt.timedelta(0))),
        (
            24 * H + dt.timedelta(seconds=1),
            MessagingWindow(WindowState.HUMAN_ONLY, 6 * DAY - dt.timedelta(seconds=1)),
        ),
        (30 * H, MessagingWindow(WindowState.HUMAN_ONLY, 7 * DAY - 30 * H)),
        (7 * DAY, MessagingWindow(WindowState.HUMAN_ONLY, dt.timedelta(0))),
        (7 * DAY + dt.timedelta(seconds=1), MessagingWindow(WindowState.CLOSED)),
    ],
)
def test_the_window_at_its_edges(ago: dt.timedelta, expected: MessagingWindow) -> None:
    """Open up to and including 24 h, human-only up to and including 7 days, then closed; the
    time left counts down to the next edge."""
    assert messaging_window("messenger", NOW - ago, NOW) == expected
    assert messaging_window("instagram", NOW - ago, NOW) == expected


def test_a_shopper_who_never_wrote_is_closed_and_other_channels_have_no_window() -> None:
    closed = messaging_window("messenger", None, NOW)
    assert closed == MessagingWindow(WindowState.CLOSED)
    assert (closed.bot_may_send, closed.person_may_send) == (False, False)
    for channel in ("widget", "line"):
        w = messaging_window(channel, NOW - 30 * DAY, NOW)
        assert w == MessagingWindow(WindowState.NOT_APPLICABLE)
        assert (w.bot_may_send, w.person_may_send, w.needs_human_tag) == (True, True, False)
    human = messaging_window("instagram", NOW - 2 * DAY, NOW)
    assert (human.bot_may_send, human.person_may_send, human.needs_human_tag) == (
        False,
        True,
        True,
    )


def _shopper_wrote(db: Database, ref: str, at: dt.datetime, uid: str = "m1") -> int:
    with db.write() as s:
        rec = convs.record_inbound(s, ref, {"id": uid, "kind": "text", "text": "สวัสดีค่ะ"}, at)
        assert rec is not None
        return rec.conversation.id


def _frames(db: Database, now: dt.datetime) -> dict[str, dict[str, object]]:
    with db.read() as s:
        return {uid: frame for uid, frame in convs.pending_outbox(s, now=now)}


def test_a_persons_reply_is_tagged_human_only_in_the_human_only_part(db: Database) -> None:
    """Inside 24 h no flag; after it a person's reply carries ``human``, the bot's never; the
    flag is decided again when the outbox is read (queued at 23:59, sent at 24:01)."""
    cid = _shopper_wrote(db, MESSENGER, NOW - 23 * H - 59 * dt.timedelta(minutes=1))
    with db.write() as s:
        early = convs.send_text(s, cid, "ตอบแล้วค่ะ", "owner", now=NOW)
        bot = convs.queue_outgoing(s, cid, p.Text("โปรโมชั่น"), "bot", at=NOW)
    assert "human" not in _frames(db, NOW)[early.uid]
    later = _frames(db, NOW + 2 * dt.timedelta(minutes=1))
    assert later[early.uid]["human"] is True
    assert "human" not in later[bot.uid]
    with db.write() as s:
        late = convs.send_text(s, cid, "ขอโทษที่ตอบช้าค่ะ", "สมศรี", now=NOW + 7 * H)
    with db.read() as s:
        assert convs.pending_outbox(s, now=NOW + 7 * H)[-1] == (
            late.uid,
            {
                "type": "send",
                "conversation": MESSENGER,
                "message": late.body,
                "human": True,
            },
        )
    # the shopper writes again: the window is open, the flag goes
    _shopper_wrote(db, MESSENGER, NOW + 8 * H, "m2")
    assert "human" not in _frames(db, NOW + 8 * H)[late.uid]


def test_a_persons_text_after_seven_days_is_refused_and_nothing_is_queued(db: Database) -> None:
    cid = _shopper_wrote(db, MESSENGER, NOW - 8 * DAY)
    with db.write() as s, pytest.raises(UserError) as caught:
        convs.send_text(s, cid, "ยังอยู่ไหมคะ", "owner", now=NOW)
    assert caught.value.code == "message.window_closed"
    assert _frames(db, NOW) == {}


def test_widget_and_line_replies_never_carry_the_flag(db: Database) -> None:
    for ref in ("line:U" + "2" * 32, "widget:abc"):
        cid = _shopper_wrote(db, ref, NOW - 30 * DAY)
        with db.write() as s:
            sent = convs.send_text(s, cid, "ค่ะ", "owner", now=NOW)
        assert "human" not in _frames(db, NOW)[sent.uid]


def test_takeover_after_a_day_sends_no_notice_to_the_shopper(db: Database) -> None:
    """The notice is the app's, not a person's words: Meta would refuse it past 24 h."""
    cid = _shopper_wrote(db, MESSENGER, NOW - 30 * H)
    with db.write() as s:
        view = convs.take_over(s, cid, "owner")
        assert view.mode == "human"
        assert convs.pending_outbox(s) == []
        convs.end_session(s, cid, "owner")
        assert convs.pending_outbox(s) == []
    fresh = _shopper_wrote(db, "messenger:99", NOW - H, "m9")
    with db.write() as s:
        convs.take_over(s, fresh, "owner")
        assert [f["message"]["kind"] for _, f in convs.pending_outbox(s)] == ["takeover"]


def test_the_bot_silent_note_is_written_once_per_unanswered_message(db: Database) -> None:
    cid = _shopper_wrote(db, MESSENGER, NOW - 30 * H)
    with db.write() as s:
        assert convs.window_of(s, cid, NOW).state is WindowState.HUMAN_ONLY
        assert convs.note_bot_silent(s, cid, NOW) is True
        assert convs.note_bot_silent(s, cid, NOW) is False
        notes = [m for m in convs.messages(s, cid) if m.kind == convs.NOTE_KIND]
        assert convs.pending_outbox(s) == []  # a note is never sent
    assert [(n.author, n.state, n.text) for n in notes] == [
        ("system", "note", convs.BOT_SILENT_NOTE[0])
    ]
    assert notes[0].body["text_en"] == convs.BOT_SILENT_NOTE[1]
    _shopper_wrote(db, MESSENGER, NOW - 29 * H, "m2")
    with db.write() as s:
        assert convs.note_bot_silent(s, cid, NOW) is True  # a new message, a new note
