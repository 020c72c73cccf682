"""A message the shop's page sent from elsewhere (Meta's echo, a ``page_echo`` stream item) is
shown in its conversation as the shop's, already sent, once; a conversation of a channel this
version keeps none of is left alone."""

from __future__ import annotations

import datetime as dt

from minichat_desktop.domain.conversations import conversations as convs
from minichat_desktop.storage.db import Database

AT = dt.datetime(2026, 12, 6, 3, 0, tzinfo=dt.UTC)
REF = "line:U" + "1" * 32


def test_an_echo_is_stored_once_as_the_pages_sent_message(db: Database) -> None:
    echo = {"id": "meta-echo-1", "kind": "text", "text": "ส่งจากมือถือค่ะ"}
    with db.write() as s:
        rec = convs.record_inbound(s, REF, {"id": "in1", "kind": "text", "text": "ถามค่ะ"}, AT)
        assert rec is not None
        later = AT + dt.timedelta(minutes=1)
        assert convs.record_page_echo(s, REF, echo, later) == rec.conversation.id
        assert convs.record_page_echo(s, REF, echo, later) is None  # redelivered
        shown = convs.messages(s, rec.conversation.id, limit=10)
        view = convs.get_conversation(s, rec.conversation.id)
    mine = [m for m in shown if m.uid == "meta-echo-1"]
    assert len(mine) == 1
    assert (mine[0].author, mine[0].state, mine[0].text) == ("page", "sent", "ส่งจากมือถือค่ะ")
    assert view.last_preview == "ส่งจากมือถือค่ะ"
    with db.read() as s:
        assert convs.pending_outbox(s) == []  # sent by the page: nothing to send


def test_an_echo_for_a_channel_without_conversations_here_is_skipped(db: Database) -> None:
    with db.write() as s:
        got = convs.record_page_echo(s, "comment:900_1", {"id": "e2", "kind": "text"}, AT)
    assert got is None
