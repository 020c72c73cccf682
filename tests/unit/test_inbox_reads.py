"""The first-paint reads (plain SQL, no SQLAlchemy): the same conversations, order, filters and
badges as the ORM gives, on a real database file."""

from __future__ import annotations

import dataclasses
import datetime as dt
import sqlite3

import pytest
from sqlalchemy import select

from minichat_desktop.domain import inbox_reads
from minichat_desktop.domain.activity import notifications
from minichat_desktop.domain.conversations import conversations as convs
from minichat_desktop.domain.models import Conversation, ConversationStatus, Customer
from minichat_desktop.errors import EnvironmentProblem
from minichat_desktop.storage.db import Database

T0 = dt.datetime(2026, 5, 1, 9, 0, tzinfo=dt.UTC)


def _fill(db: Database) -> dict[str, int]:
    """Five chats: named customers, one with a phone, one without a customer, one with no
    message time, tags and notes, statuses, and texts holding LIKE's wildcards."""
    ids: dict[str, int] = {}
    with db.write() as s:
        for i, (ref, text) in enumerate(
            [
                ("widget:a", "มีเสื้อยืดสีแดงไหม"),
                ("line:Ub", "ลด 50% ไหมคะ"),
                ("widget:c", "ส่ง kerry_express ได้ไหม"),
                ("widget:d", "ขอบคุณค่ะ"),
            ]
        ):
            got = convs.record_inbound(
                s, ref, {"id": f"m{i}", "kind": "text", "text": text}, T0 + dt.timedelta(minutes=i)
            )
            assert got is not None
            ids[ref] = got.conversation.id
        a = s.get(Conversation, ids["widget:a"])
        assert a is not None and a.customer_id is not None
        customer = s.get(Customer, a.customer_id)
        assert customer is not None
        customer.name, customer.phone = "สมหญิง ใจดี", "0812345678"
        convs.update_details(s, ids["line:Ub"], tags=["vip", "ส่งด่วน"], notes="โทรก่อนส่ง")
        convs.set_status(s, ids["widget:c"], ConversationStatus.RESOLVED)
        d = s.get(Conversation, ids["widget:d"])
        assert d is not None
        d.customer_id = None
        s.add(Conversation(ref="widget:e", channel="widget", title="ยังไม่ทัก"))
        s.flush()
        ids["widget:e"] = s.scalar(select(Conversation.id).where(Conversation.ref == "widget:e"))
    return ids


def _orm_views(db: Database) -> dict[int, inbox_reads.ConversationView]:
    with db.read() as s:
        rows = s.execute(
            select(Conversation, Customer).outerjoin(
                Customer, Customer.id == Conversation.customer_id
            )
        )
        return {c.id: convs._conversation_view(c, cu) for c, cu in rows}


def test_page_matches_the_orm_views_newest_first(db: Database) -> None:
    """Every field as the ORM reads it (aware UTC times, tags, booleans); newest message
    first, the chat without messages last."""
    ids = _fill(db)
    with db.peek() as conn:
        page = inbox_reads.conversation_page(conn)
    assert [v.id for v in page] == [
        ids["widget:d"], ids["widget:c"], ids["line:Ub"], ids["widget:a"], ids["widget:e"],
    ]  # fmt: skip
    orm = _orm_views(db)
    for view in page:
        expected = orm[view.id]
        if expected.customer_phone is None:  # the ORM's None; the page's str says ""
            expected = dataclasses.replace(expected, customer_phone="")
        assert view == expected
    first = page[2]
    assert first.tags == ("vip", "ส่งด่วน") and first.notes == "โทรก่อนส่ง"
    assert first.last_message_at == T0 + dt.timedelta(minutes=1)
    assert first.last_message_at.tzinfo is dt.UTC
    assert page[0].customer_id is None and page[0].customer_name == ""


def test_filters_and_search(db: Database) -> None:
    """Status keeps one status; search finds names, titles and any message, and phone
    digits from three on; % and _ are plain characters."""
    ids = _fill(db)
    with db.write() as s:
        assert [v.id for v in convs.list_conversations(s, status="resolved")] == [ids["widget:c"]]
        assert [v.id for v in convs.list_conversations(s, search="สมหญิง")] == [ids["widget:a"]]
        assert [v.id for v in convs.list_conversations(s, search="ยังไม่")] == [ids["widget:e"]]
        assert [v.id for v in convs.list_conversations(s, search="0812")] == [ids["widget:a"]]
        assert convs.list_conversations(s, search="08") == []  # two digits: not a phone search
        assert [v.id for v in convs.list_conversations(s, search="50%")] == [ids["line:Ub"]]
        assert convs.list_conversations(s, search="%") == [
            v for v in convs.list_conversations(s) if v.id == ids["line:Ub"]
        ]
        assert [v.id for v in convs.list_conversations(s, search="_")] == [ids["widget:c"]]
        assert [v.id for v in convs.list_conversations(s, search="KERRY")] == [ids["widget:c"]]
        page = convs.list_conversations(s, limit=2, offset=2)
        assert [v.id for v in page] == [ids["line:Ub"], ids["widget:a"]]
        assert convs.list_conversations(s, status="resolved", search="ขอบคุณ") == []
        # Any message, not only the last one: widget:a's first question, answered since.
        convs.record_inbound(
            s,
            "widget:a",
            {"id": "later", "kind": "text", "text": "โอเคค่ะ"},
            T0 + dt.timedelta(hours=1),
        )
        assert [v.id for v in convs.list_conversations(s, search="สีแดงไหม")] == [ids["widget:a"]]


def test_badges_and_shop_name(db: Database) -> None:
    """The unread badge counts shoppers' messages not yet seen; the bell counts unread
    notifications; both the same through the ORM use cases."""
    ids = _fill(db)
    with db.write() as s:
        convs.mark_read(s, ids["widget:a"])
        notes = notifications.list_notifications(s, limit=100)
        if notes:
            notifications.mark_read(s, [notes[0].id])
        orm_unread, orm_bell = convs.unread_total(s), notifications.unread_count(s)
    with db.peek() as conn:
        assert inbox_reads.unread_total(conn) == orm_unread == 3
        assert inbox_reads.unread_notifications(conn) == orm_bell
        assert inbox_reads.shop_name(conn) == ""
    with db.peek() as conn:
        count = conn.execute("SELECT count(*) FROM notifications WHERE read_at IS NULL")
        assert count.fetchone()[0] == orm_bell


def test_peek_only_reads(db: Database) -> None:
    """The first-paint connection cannot change the file."""
    with db.peek() as conn, pytest.raises(sqlite3.OperationalError, match="readonly"):
        conn.execute("DELETE FROM conversations")


def test_peek_on_a_broken_file_is_an_environment_problem(db: Database) -> None:
    """A file that is not a database says so, with its path, instead of a traceback."""
    db.dispose()
    db.path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(EnvironmentProblem) as caught, db.peek() as conn:
        inbox_reads.unread_total(conn)
    assert caught.value.code == "env.db_error" and str(db.path) in caught.value.message
