"""The widget's contact form (a ``contact`` message: phone, name, note) reaches the customer
(conversations.record_inbound), on a real SQLite file."""

from __future__ import annotations

import datetime as dt

from minichat_desktop.domain.conversations import conversations as convs
from minichat_desktop.domain.customers import customers
from minichat_desktop.storage.db import Database

AT = dt.datetime(2026, 12, 6, 7, 5, tzinfo=dt.UTC)  # 14:05 in Bangkok


def _contact(db: Database, ref: str, **fields: str) -> convs.Inbound:
    with db.write() as s:
        rec = convs.record_inbound(s, ref, {"id": "c1", "kind": "contact", **fields}, AT)
        assert rec is not None
        return rec


def test_name_phone_and_dated_note_reach_a_new_customer(db: Database) -> None:
    rec = _contact(
        db, "widget:formNew00001", phone="0812345678", name=" มาลี  ใจดี ", note="โทรหลังหกโมง"
    )
    with db.read() as s:
        c = customers.get_customer(s, rec.conversation.customer_id or 0)
    assert (c.name, c.phone) == ("มาลี ใจดี", "0812345678")
    assert c.notes == "ขอให้โทรกลับ 6 ธ.ค. 2569 14:05: โทรหลังหกโมง"
    assert rec.message.text == "[ขอให้โทรกลับ] 081-234-5678 มาลี ใจดี: โทรหลังหกโมง"


def test_a_phone_of_another_customer_keeps_the_name_and_the_note(db: Database) -> None:
    """The phone belongs to someone else (the owner merges them by hand): the name and the
    note still reach this customer, after the notes the owner wrote."""
    with db.write() as s:
        customers.create_customer(s, "owner", name="คนอื่น", phone="0899999999")
        first = convs.record_inbound(
            s, "widget:formTaken0001", {"id": "m0", "kind": "text", "text": "สวัสดีค่ะ"}, AT
        )
        assert first is not None and first.conversation.customer_id is not None
        customers.update_customer(
            s, first.conversation.customer_id, "owner", notes="ลูกค้าขอใบกำกับภาษี"
        )
    rec = _contact(db, "widget:formTaken0001", phone="0899999999", name="ต้น", note="ขอคุยด่วน")
    with db.read() as s:
        c = customers.get_customer(s, rec.conversation.customer_id or 0)
    assert (c.name, c.phone) == ("ต้น", "")
    assert c.notes == "ลูกค้าขอใบกำกับภาษี\nขอให้โทรกลับ 6 ธ.ค. 2569 14:05: ขอคุยด่วน"


def test_a_name_already_known_is_kept(db: Database) -> None:
    with db.write() as s:
        first = convs.record_inbound(
            s, "widget:formKnown0001", {"id": "m0", "kind": "text", "text": "hi"}, AT
        )
        assert first is not None and first.conversation.customer_id is not None
        customers.update_customer(s, first.conversation.customer_id, "owner", name="นก")
    rec = _contact(db, "widget:formKnown0001", phone="0811111111", name="Nok")
    with db.read() as s:
        c = customers.get_customer(s, rec.conversation.customer_id or 0)
    assert (c.name, c.phone, c.notes) == ("นก", "0811111111", "")
    assert rec.message.body["name"] == "Nok"  # still in the chat's bubble
