"""The demo's shopper who says he paid sends a real slip: a picture in the data folder (not an
address that never loads) whose bank QR a decoder reads, for the amount of the order he names."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from minichat_desktop.demo.chats import prepare_demo_shop
from minichat_desktop.demo.slip_picture import DEMO_REF
from minichat_desktop.domain.conversations import conversations as convs
from minichat_desktop.domain.models import ChatMessage, Order
from minichat_desktop.domain.payments.slips import QrKind, classify
from minichat_desktop.formats.qr_read import read_qr_file
from minichat_desktop.storage.db import Database


def test_the_demo_slip_is_a_real_picture_of_the_named_orders_amount(db: Database) -> None:
    prepare_demo_shop(db)
    with db.read() as s:
        (url,) = [
            str(m.body["url"])
            for m in s.scalars(select(ChatMessage).where(ChatMessage.kind == "image"))
            if m.body.get("caption") == "สลิปโอนเงิน"
        ]
        total = s.scalar(select(Order.total_satang).where(Order.number == "MC-2026-000210"))
        assert convs.find_conversation(s, "line:U4af4980629dem0c0ffee0123456789ab") is not None
    assert url == "media/slips/demo-slip.jpg"  # kept in the data folder
    picture = Path(db.path).parent / url
    scan = read_qr_file(picture)
    reading = classify(scan.texts)
    assert reading.kind == QrKind.SLIP and reading.slip is not None
    assert reading.slip.trans_ref == DEMO_REF and reading.slip.bank_code == "004"
    assert total is not None and picture.stat().st_size > 20_000
