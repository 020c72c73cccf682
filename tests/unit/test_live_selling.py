"""Live selling on a real shop database: reservations through the stock ledger, one reply per
comment, dedupe by comment id, carts, checkout and releasing unpaid carts after the time."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from minichat_desktop.app import live
from minichat_desktop.domain.catalog import products as catalog
from minichat_desktop.domain.catalog.products import ProductInput
from minichat_desktop.domain.live.selling import Comment, PickedProduct, Result, suggest_code
from minichat_desktop.domain.models import OutboxItem, ProductVariant
from minichat_desktop.errors import UserError
from minichat_desktop.storage.db import Database

T0 = dt.datetime(2026, 12, 6, 12, 0, tzinfo=dt.UTC)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, at: dt.datetime = T0) -> None:
        self.at = at

    def __call__(self) -> dt.datetime:
        return self.at


def product(db: Database, sku: str, stock: int, price: int = 25_900) -> int:
    with db.write() as s:
        view = catalog.save_product(
            s, ProductInput(sku=sku, name_th=f"เสื้อ {sku}", price_satang=price, stock=stock), "o"
        )
    return view.variants[0].id


def stock_of(db: Database, vid: int) -> int:
    with db.read() as s:
        return int(s.scalar(select(ProductVariant.stock).where(ProductVariant.id == vid)) or 0)


def replies(db: Database) -> dict[str, dict[str, object]]:
    with db.read() as s:
        frames = s.scalars(select(OutboxItem.frame)).all()
    return {str(f["conversation"]): f["message"] for f in frames}


def comment(cid: str, who: str, text: str, at: dt.datetime = T0) -> Comment:
    return Comment(cid, who, f"คุณ {who}", text, at)


def test_cf_reserves_stock_and_queues_a_private_reply_with_the_cart(db: Database) -> None:
    a = product(db, "TS-001", 5)
    b = product(db, "TS-002", 5, price=10_000)
    live_id = live.start_live(
        db, "ไลฟ์เย็นนี้", [PickedProduct("a12", a), PickedProduct("B3", b)], 60, "owner"
    )
    out = live.record_comment(db, live_id, comment("c1", "u1", "CF A12 x2"))
    assert (out.result, out.code, out.quantity) == (Result.RESERVED, "A12", 2)
    live.record_comment(db, live_id, comment("c2", "u1", "เอา B3 1 ตัว"))
    assert (stock_of(db, a), stock_of(db, b)) == (3, 4)
    sent = replies(db)
    assert set(sent) == {"comment:c1", "comment:c2"}
    last = sent["comment:c2"]
    assert last["kind"] == "buttons"
    assert "รวม ฿618" in str(last["text"])  # 2 × ฿259 + ฿100
    assert last["buttons"] == [
        {"label": "ชำระเงิน", "action": "postback", "data": f"live:{live_id}:checkout:u1"}
    ]
    board = live.board(db, live_id)
    assert [(p.code, p.stock_left, p.reserved) for p in board.products] == [
        ("A12", 3, 2),
        ("B3", 4, 1),
    ]
    assert board.reserved_satang == 61_800
    assert board.carts == 1


def test_a_redelivered_comment_changes_nothing(db: Database) -> None:
    a = product(db, "A1", 5)
    live_id = live.start_live(db, "", [PickedProduct("A12", a)], 60, "owner")
    first = live.record_comment(db, live_id, comment("c1", "u1", "CF A12"))
    again = live.record_comment(db, live_id, comment("c1", "u1", "CF A12"))
    assert again.duplicate and again.reply_uid == first.reply_uid
    assert stock_of(db, a) == 4
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(OutboxItem)) == 1


def test_sold_out_questions_unknown_codes_and_chatter(db: Database) -> None:
    a = product(db, "A1", 1)
    live_id = live.start_live(db, "", [PickedProduct("A12", a)], 60, "owner")
    results = [
        live.record_comment(db, live_id, comment(f"c{n}", f"u{n}", text)).result
        for n, text in enumerate(
            ["CF A12 2", "CF A12", "CF A12", "A12 ราคาเท่าไหร่", "CF Z9", "สวยจัง"]
        )
    ]
    assert results == [
        Result.SOLD_OUT,
        Result.RESERVED,
        Result.SOLD_OUT,
        Result.QUESTION,
        Result.UNKNOWN_CODE,
        Result.NOT_UNDERSTOOD,
    ]
    sent = replies(db)
    assert "เหลือ 1 ชิ้น" in str(sent["comment:c0"]["text"])
    assert "หมดแล้ว" in str(sent["comment:c2"]["text"])
    assert "฿259" in str(sent["comment:c3"]["text"])
    assert "A12" in str(sent["comment:c4"]["text"])
    assert "comment:c5" not in sent  # chatter gets no reply
    assert stock_of(db, a) == 0


def test_unpaid_carts_go_back_after_the_owners_time_checked_out_ones_stay(db: Database) -> None:
    clock = Clock()
    a = product(db, "A1", 10)
    live_id = live.start_live(db, "", [PickedProduct("A12", a)], 60, "owner", clock)
    live.record_comment(db, live_id, comment("c1", "u1", "CF A12 3"), clock)
    live.record_comment(db, live_id, comment("c2", "u2", "CF A12 2"), clock)
    order_id = live.checkout(db, live_id, "u2", "owner")
    assert order_id > 0 and stock_of(db, a) == 5  # the order holds u2's two now
    clock.at = T0 + dt.timedelta(minutes=30)
    assert live.end_live(db, live_id, 45, clock) == T0 + dt.timedelta(minutes=75)
    late = live.record_comment(
        db, live_id, comment("c3", "u3", "CF A12", clock.at + dt.timedelta(seconds=1)), clock
    )
    assert late.result is Result.LATE and stock_of(db, a) == 5
    clock.at = T0 + dt.timedelta(minutes=74)
    assert live.release_due(db, clock) == 0 and stock_of(db, a) == 5
    clock.at = T0 + dt.timedelta(minutes=75)
    assert live.release_due(db, clock) == 1
    assert stock_of(db, a) == 8  # u1's three back on the shelf; the order keeps its two
    board = live.board(db, live_id)
    assert (board.status, board.reserved_satang, board.ordered_satang) == ("closed", 0, 51_800)
    assert live.release_due(db, clock) == 0


def test_starting_checks_codes_and_one_live_at_a_time(db: Database) -> None:
    a = product(db, "A1", 1)
    with pytest.raises(UserError) as err:
        live.start_live(db, "", [PickedProduct("A12", a), PickedProduct("a12", a)], 60, "o")
    assert err.value.code == "live.code_twice"
    with pytest.raises(UserError) as err:
        live.start_live(db, "", [PickedProduct("A-12", a)], 60, "o")
    assert err.value.code == "live.bad_code"
    live.start_live(db, "", [PickedProduct("A12", a)], 60, "o")
    with pytest.raises(UserError) as err:
        live.start_live(db, "", [PickedProduct("A12", a)], 60, "o")
    assert err.value.code == "live.already_running"


def test_codes_are_suggested_from_the_sku() -> None:
    assert suggest_code("TS-001-RED", set()) == "TS1"
    assert suggest_code("TS-001-BLUE", {"TS1"}) == "T1"
    assert suggest_code("mug", set()) == "M1"
