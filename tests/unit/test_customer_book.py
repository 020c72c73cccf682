"""The customers screen's reads: filters with segments and Thai tags, a profile across merged
channels, the pipeline counts, and the export."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest
from openpyxl import load_workbook

from minichat_desktop.app import customer_book as book
from minichat_desktop.domain.conversations import conversations as convs
from minichat_desktop.domain.customers import customers, rfm
from minichat_desktop.domain.models import (
    Channel,
    IdentityKind,
    Order,
    PaymentMethod,
    PaymentStatus,
)
from minichat_desktop.errors import UserError
from minichat_desktop.storage.db import Database

NOW = dt.datetime(2026, 11, 23, 5, 0, tzinfo=dt.UTC)


def _setup(db: Database) -> tuple[int, int]:
    """Nok chatted on the widget and on LINE (merged by phone) and bought twice; Pim never
    bought."""
    with db.write() as s:
        web = convs.record_inbound(
            s,
            "widget:nok-session-1",
            {"id": "a", "kind": "text", "text": "สวัสดี"},
            NOW - dt.timedelta(days=3),
        )
        line = convs.record_inbound(
            s,
            "line:U" + "b" * 32,
            {"id": "b", "kind": "text", "text": "ยังมีของไหม"},
            NOW - dt.timedelta(hours=1),
        )
        assert web is not None and line is not None
        nok = web.conversation.customer_id
        dup = line.conversation.customer_id
        assert nok is not None and dup is not None
        customers.update_customer(
            s, nok, "owner", name="นก", phone="0812345678", tags=["ลูกค้าประจำ"], notes="ชอบสีแดง"
        )
        for i, baht in enumerate((890, 1_250)):
            s.add(
                Order(
                    number=f"CB{i}",
                    channel=Channel.LINE,
                    customer_id=dup,
                    subtotal_satang=baht * 100,
                    total_satang=baht * 100,
                    payment_method=PaymentMethod.PROMPTPAY,
                    payment_status=PaymentStatus.PAID,
                    created_at=NOW - dt.timedelta(days=10 * (i + 1)),
                )
            )
        customers.merge_customers(s, nok, dup, "owner")
        pim = customers.create_customer(s, "owner", name="พิม", status="contacted").id
        rfm.recompute(s, NOW)
    return nok, pim


def test_profile_gathers_every_channel_orders_and_scores(db: Database) -> None:
    nok, _pim = _setup(db)
    with db.read() as s:
        prof = book.profile(s, nok)
    assert [c.channel for c in prof.conversations] == [Channel.LINE, Channel.WIDGET]
    assert [o.number for o in prof.orders] == ["CB0", "CB1"]
    row = prof.row
    assert (row.customer.total_spent_satang, row.customer.order_count) == (214_000, 2)
    assert (row.segment, row.recency, row.frequency, row.monetary) == (
        "potential_loyalist",
        5,
        2,
        3,
    )
    assert len(prof.merged_ids) == 1


def test_filters_by_segment_tag_status_and_search(db: Database) -> None:
    nok, pim = _setup(db)
    with db.write() as s:
        ids = lambda **kw: [r.customer.id for r in book.list_rows(s, **kw)]  # noqa: E731
        assert ids() == [pim, nok]
        assert ids(segment="potential_loyalist") == [nok]
        assert ids(segment=book.NO_SEGMENT) == [pim]
        assert ids(tag="ลูกค้าประจำ") == [nok]
        assert ids(status="contacted") == [pim]
        assert ids(search="สีแดง") == [nok]
        assert ids(search="081-234") == [nok]
        assert book.count_rows(s, segment="potential_loyalist") == 1
        assert book.pipeline_counts(s) == {
            "new": 1,
            "contacted": 1,
            "qualified": 0,
            "converted": 0,
            "lost": 0,
        }
        book.set_status(s, pim, "qualified", "owner")
        assert book.pipeline_counts(s)["qualified"] == 1
        assert book.known_tags(s) == ["ลูกค้าประจำ"]


def test_export_xlsx_and_csv(db: Database, tmp_path: Path) -> None:
    nok, _pim = _setup(db)
    with db.read() as s:
        res = book.export_customers(s, tmp_path / "c.xlsx", tag="ลูกค้าประจำ")
        assert res.rows == 1
        book.export_customers(s, tmp_path / "c.csv")
        with pytest.raises(UserError) as err:
            book.export_customers(s, tmp_path / "c.pdf")
    assert err.value.code == "export.unsupported_format"
    ws = load_workbook(tmp_path / "c.xlsx").active
    assert ws is not None
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][:6] == ("รหัสลูกค้า", "ชื่อ", "โทรศัพท์", "อีเมล", "สถานะ", "กลุ่มลูกค้า (RFM)")
    assert rows[1][:6] == (nok, "นก", "0812345678", None, "ลูกค้าใหม่", "มีแววเป็นขาประจำ")
    assert rows[1][10] == 2140
    assert rows[1][11] == dt.datetime(2026, 11, 13, 12, 0)  # Bangkok time
    text = (tmp_path / "c.csv").read_text(encoding="utf-8-sig")
    got = list(csv.reader(text.splitlines()))
    assert len(got) == 3 and got[1][1] == "นก" and got[1][10] == "2140.00"
    assert got[1][12] == "LINE, แชทหน้าเว็บ"


def test_a_phone_in_the_notes_points_to_the_duplicate(db: Database) -> None:
    """The widget shopper who wrote her number in the chat (kept in the notes) and the LINE
    customer with that phone are offered for merging; so are two records with one phone."""
    with db.write() as s:
        web = customers.create_customer(
            s, "owner", name="ธนวัฒน์", notes="แจ้งเบอร์ 084-699-3425 ในแชท"
        )
        line = customers.create_customer(s, "owner", name="ธนวัฒน์ รักไทย", phone="0846993425")
        customers.create_customer(s, "owner", name="อื่น", notes="โทร 02-123-4567 ก่อนส่ง")
        assert book.duplicate_groups(s) == [sorted((web.id, line.id))]


def test_the_same_name_on_messenger_and_line_is_offered_and_the_merge_moves_the_meta_identity(
    db: Database,
) -> None:
    """A shopper named by her Messenger profile and by her LINE profile shows as two
    customers: they are offered as one group (two LINE customers of one name are not), and
    merging keeps one customer reached on both channels, with the picture."""
    with db.write() as s:
        line = customers.find_or_create(s, IdentityKind.LINE, "Uaaa111", "relay", name="Nok Ja")
        fb = customers.set_channel_profile(
            s, IdentityKind.MESSENGER, "2233445566778899", "nok  ja", "media/profiles/ab12"
        )
        customers.find_or_create(s, IdentityKind.LINE, "Ubbb222", "relay", name="Nok Ja")
        customers.find_or_create(s, IdentityKind.INSTAGRAM, "1784", "relay", name="Pim")
        assert book.duplicate_groups(s) == [[line.id, fb]]
        kept = customers.merge_customers(s, line.id, fb, "owner")
    assert kept.identities == (("line", "Uaaa111"), ("messenger", "2233445566778899"))
    assert (kept.name, kept.picture) == ("Nok Ja", "media/profiles/ab12")
    with db.read() as s:
        moved = customers.find_by_identity(s, IdentityKind.MESSENGER, "2233445566778899")
        assert moved is not None and moved.id == line.id
        assert book.duplicate_groups(s) == []
