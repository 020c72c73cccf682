"""Partial refunds: the arithmetic (discount shares, VAT, remainders), what may be refunded,
stock, credit notes one per refund, and the VAT report (issue 15 item 2)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from minichat_desktop.domain import shop
from minichat_desktop.domain.catalog import products as catalog
from minichat_desktop.domain.catalog import stock
from minichat_desktop.domain.catalog.products import ProductInput
from minichat_desktop.domain.models import Channel, OrderStatus, PaymentMethod, ProductVariant
from minichat_desktop.domain.reporting import reports
from minichat_desktop.domain.sales import orders, refunds
from minichat_desktop.domain.sales import tax_documents as docs
from minichat_desktop.domain.sales.orders import LineInput, NewOrder
from minichat_desktop.domain.sales.refunds import RefundRequest, apportion, half_up, vat_in
from minichat_desktop.domain.sql import DriverConnection
from minichat_desktop.errors import NotFound, UserError
from minichat_desktop.storage.db import Database

PAID = dt.datetime(2026, 10, 10, 3, 0, tzinfo=dt.UTC)
NOVEMBER = dt.datetime(2026, 11, 5, 3, 0, tzinfo=dt.UTC)
DECEMBER = dt.datetime(2026, 12, 2, 3, 0, tzinfo=dt.UTC)
ADDRESS = {
    "customer_name": "สมศรี ใจดี",
    "ship_name": "สมศรี ใจดี",
    "ship_address": "99/1 ซอยสุขุมวิท 11",
    "ship_province": "กรุงเทพมหานคร",
    "ship_postcode": "10110",
}


# ---------------------------------------------------------------------------- arithmetic


def test_apportion_gives_the_remainder_to_the_largest_remainders() -> None:
    """1,001 satang over lines of 321.00 and 99.99 baht: 763 and 238 (sum 1,001)."""
    assert apportion(1_001, [32_100, 9_999]) == [763, 238]
    assert apportion(10, [1, 1, 1]) == [4, 3, 3]  # equal remainders: the earlier line
    assert apportion(0, [5, 7]) == [0, 0]
    assert apportion(0, [0, 0]) == [0, 0]


@given(
    total=st.integers(0, 10**7),
    weights=st.lists(st.integers(0, 10**6), min_size=1, max_size=8).filter(lambda w: sum(w) > 0),
)
def test_apportion_parts_sum_to_the_whole_and_stay_within_one_satang(
    total: int, weights: list[int]
) -> None:
    """The parts sum to the total exactly and each is within 1 satang of its exact share."""
    parts = apportion(total, weights)
    assert sum(parts) == total
    whole = sum(weights)
    for part, w in zip(parts, weights, strict=True):
        assert abs(part * whole - total * w) < whole


def test_apportion_refuses_what_cannot_be_shared() -> None:
    with pytest.raises(ValueError):
        apportion(5, [0, 0])
    with pytest.raises(ValueError):
        apportion(-1, [1])


def test_vat_in_matches_the_orders_own_rounding() -> None:
    """7% inside 460.98 baht is 30.16; on top of 100.00 it is 7.00; half up."""
    assert vat_in(46_098, 700, prices_include_vat=True) == 3_016
    assert vat_in(10_000, 700, prices_include_vat=False) == 700
    assert vat_in(50, 700, prices_include_vat=False) == 4  # 3.5 rounds up
    assert vat_in(12_345, 0, prices_include_vat=True) == 0
    assert half_up(5, 2) == 3


@given(
    quantity=st.integers(1, 12),
    value=st.integers(0, 10**6),
    steps=st.lists(st.integers(1, 12), min_size=1, max_size=12),
)
def test_units_refunded_in_any_steps_refund_the_line_exactly(
    quantity: int, value: int, steps: list[int]
) -> None:
    """Giving a line back in any number of steps refunds its value to the satang."""
    r = refunds.Refundable(
        order_id=1,
        order_number="MC-2026-000001",
        status="delivered",
        payment_status="paid",
        lines=(refunds.RefundableLine(7, "P1", "เสื้อ", quantity, value, value, 0, 0, 0),),
        shipping_satang=0,
        shipping_refunded_satang=0,
        prices_include_vat=True,
        vat_rate_bp=700,
        order_vat_satang=vat_in(value, 700, prices_include_vat=True),
        total_satang=value,
        refunded_value_satang=0,
        refunded_vat_satang=0,
        refunded_satang=0,
        refund_count=0,
    )
    money = vat = units = 0
    for step in steps:
        left = quantity - units
        if left == 0:
            break
        q = min(step, left)
        plan = refunds.plan_refund(r, RefundRequest(quantities={7: q}))
        money, vat, units = money + plan.amount_satang, vat + plan.vat_satang, units + q
        assert vat <= r.order_vat_satang
        line = r.lines[0]
        r = refunds.Refundable(
            **{
                **{k: getattr(r, k) for k in refunds.Refundable.__dataclass_fields__},
                "lines": (
                    refunds.RefundableLine(7, "P1", "เสื้อ", quantity, value, value, units, money, 0),
                ),
                "refunded_value_satang": money,
                "refunded_vat_satang": vat,
                "refunded_satang": money,
            }
        )
        assert line.value_satang == value
    if units == quantity:
        assert (money, vat) == (value, r.order_vat_satang)


# ---------------------------------------------------------------------------- the shop


@pytest.fixture
def shopdb(db: Database) -> Database:
    with db.write() as s:
        shop.ensure_defaults(s)
        shop.update_profile(
            s, "owner", name="ร้านภาษี", tax_id="0105565123452", vat_registered=True,
            prices_include_vat=True, address="1 ถนนสีลม กรุงเทพฯ 10500",
        )  # fmt: skip
        catalog.save_product(
            s, ProductInput(sku="P1", name_th="เสื้อ", price_satang=10_700, stock=50), "o"
        )
        catalog.save_product(
            s, ProductInput(sku="P2", name_th="หมวก", price_satang=9_999, stock=50), "o"
        )
    return db


def _order(db: Database, *, paid: bool = True, named: bool = True) -> int:
    """3 × P1 (321.00) + 1 × P2 (99.99), 10.01 off, 50.00 shipping: 460.98 baht, VAT 30.16."""
    with db.write() as s:
        view = orders.place_order(
            s,
            NewOrder(
                channel=Channel.LINE,
                lines=[LineInput(quantity=3, sku="P1"), LineInput(quantity=1, sku="P2")],
                payment_method=PaymentMethod.BANK_TRANSFER,
                discount_satang=1_001,
                shipping_satang=5_000,
                created_at=PAID,
                **(ADDRESS if named else {}),
            ),
            "staff",
        )
        if paid:
            orders.mark_paid(s, view.id, "owner", paid_at=PAID)
    return view.id


def _items(db: Database, oid: int) -> tuple[int, int]:
    with db.read() as s:
        a, b = orders.get_order(s, oid).items
    return a.id, b.id


def _stock(db: Database, sku: str) -> int:
    with db.read() as s:
        vid = s.scalar(select(ProductVariant.id).where(ProductVariant.sku == sku))
        assert vid is not None
        return stock.level(s, vid).stock


def _vat(db: Database, month: str) -> list[tuple[str, int, int]]:
    with db.read() as s:
        rows = reports.vat_rows(DriverConnection(s), *reports.month_range(month))
    return [(r[1], r[5], r[6]) for r in rows]


def test_what_an_order_may_give_back_shares_the_discount(shopdb: Database) -> None:
    """The order discount is shared over the lines (763 and 238 satang); shipping is its own."""
    oid = _order(shopdb)
    with shopdb.read() as s:
        r = refunds.refundable(s, oid)
    assert [(ln.sku, ln.quantity_left, ln.satang_left) for ln in r.lines] == [
        ("P1", 3, 32_100 - 763),
        ("P2", 1, 9_999 - 238),
    ]
    assert (r.shipping_left, r.value_satang, r.order_vat_satang) == (5_000, 46_098, 3_016)


def test_partial_refunds_then_the_rest_credit_exactly_the_invoice(shopdb: Database) -> None:
    """One unit, then two, then the rest (change_status): three credit notes whose VAT sums
    to the invoice's 30.16 and whose money sums to the 460.98 paid; the order is refunded."""
    oid = _order(shopdb)
    p1, _p2 = _items(shopdb, oid)
    with shopdb.write() as s:
        first = refunds.refund_order(
            s, oid, RefundRequest({p1: 1}, reason="ชำรุด", restock=True), "owner", at=NOVEMBER
        )
    assert (first.amount_satang, first.vat_satang, first.credit_note) == (
        10_446,  # 313.37 / 3 units, rounded half up
        683,
        "CN2026-000001",
    )
    assert _stock(shopdb, "P1") == 48  # 50 - 3 reserved + 1 back
    with shopdb.write() as s:
        second = refunds.refund_order(
            s, oid, RefundRequest({p1: 2}, reason="ชำรุด"), "o", at=NOVEMBER
        )
        view = orders.get_order(s, oid)
    assert (second.amount_satang, second.vat_satang) == (31_337 - 10_446, 2_050 - 683)
    assert _stock(shopdb, "P1") == 48  # not restocked: the goods did not come back
    assert (view.status, view.payment_status, view.refunded_satang) == (
        "confirmed",
        "paid",
        31_337,
    )
    assert view.partly_refunded
    assert view.timeline[-2].note.startswith("คืนเงินบางส่วน ฿")
    with shopdb.write() as s:
        orders.change_status(s, oid, OrderStatus.REFUNDED, "owner", "ยกเลิกทั้งหมด", at=DECEMBER)
        view = orders.get_order(s, oid)
        rest = refunds.list_refunds(s, oid)[-1]
    assert (rest.amount_satang, rest.vat_satang, rest.completes) == (14_761, 3_016 - 2_050, True)
    assert (view.status, view.payment_status, view.refunded_satang) == (
        "refunded",
        "refunded",
        46_098,
    )
    assert _stock(shopdb, "P2") == 50  # the rest came back
    assert _vat(shopdb, "2026-10") == [("INV2026-000001", 46_098 - 3_016, 3_016)]
    assert _vat(shopdb, "2026-11") == [
        ("CN2026-000001", -(10_446 - 683), -683),
        ("CN2026-000002", -(20_891 - 1_367), -1_367),
    ]
    # The tax invoice the shop owed was issued by the first refund (dated at the tax point).
    with shopdb.read() as s:
        kinds = [(d.kind.value, d.number) for d in docs.list_documents(s, oid)]
    assert kinds == [
        ("full", "INV2026-000001"),
        ("credit_note", "CN2026-000001"),
        ("credit_note", "CN2026-000002"),
        ("credit_note", "CN2026-000003"),
    ]
    assert _vat(shopdb, "2026-12") == [("CN2026-000003", -(14_761 - 966), -966)]


def test_a_credit_note_shows_exactly_its_refund(shopdb: Database) -> None:
    """The second credit note lists its own lines, the invoice's value, what earlier credit
    notes took off, the right value, the difference and its VAT."""
    oid = _order(shopdb)
    p1, p2 = _items(shopdb, oid)
    with shopdb.write() as s:
        refunds.refund_order(s, oid, RefundRequest({p1: 1}, reason="ชำรุด"), "o", at=NOVEMBER)
        refunds.refund_order(
            s,
            oid,
            RefundRequest(amounts={p2: 2_000}, shipping=True, reason="ส่งช้า ลดราคา"),
            "o",
            at=NOVEMBER,
        )
        data = docs.document_data(s, docs.find_by_number(s, "CN2026-000002"))
    assert [(ln.sku, ln.description, ln.quantity, ln.amount_satang) for ln in data.lines] == [
        ("P2", "หมวก — ลดราคา", 0, 2_000),
        ("", "ค่าจัดส่ง (Shipping)", 0, 5_000),
    ]
    c = data.credit
    assert c is not None
    vat = vat_in(10_446 + 7_000, 700, prices_include_vat=True) - 683
    assert (c.invoice_number, c.reason, c.vat) == ("INV2026-000001", "ส่งช้า ลดราคา", vat)
    assert (c.original_value, c.earlier_credits, c.difference) == (
        46_098 - 3_016,
        10_446 - 683,
        7_000 - vat,
    )
    assert c.correct_value == c.original_value - c.earlier_credits - c.difference
    assert data.amount_words == "เจ็ดสิบบาทถ้วน"


def test_over_refunds_are_refused_naming_the_line(shopdb: Database) -> None:
    """More units or money than a line has left, units and an amount on one line, nothing
    chosen, shipping twice: refused with what is left."""
    oid = _order(shopdb)
    p1, p2 = _items(shopdb, oid)
    with shopdb.write() as s:
        refunds.refund_order(s, oid, RefundRequest({p1: 2}, shipping=True, reason="x"), "o")
    cases = [
        (RefundRequest({p1: 2}, reason="x"), "refund.too_many", {"left": 1, "asked": 2}),
        (RefundRequest(amounts={p2: 9_762}, reason="x"), "refund.too_much", {"left": "฿97.61"}),
        (RefundRequest({p2: 1}, {p2: 1}, reason="x"), "refund.both", {"sku": "P2"}),
        (RefundRequest(reason="x"), "refund.empty", {}),
        (RefundRequest(shipping=True, reason="x"), "refund.shipping_refunded", {}),
        (RefundRequest({p1: 1}), "refund.reason", {}),
    ]
    for ask, code, details in cases:
        with pytest.raises(UserError) as err, shopdb.write() as s:
            refunds.refund_order(s, oid, ask, "o")
        assert err.value.code == code
        for key, value in details.items():
            assert err.value.params[key] == value
    with pytest.raises(NotFound) as missing, shopdb.write() as s:
        refunds.refund_order(s, oid, RefundRequest({999: 1}, reason="x"), "o")
    assert missing.value.code == "refund.unknown_line"


def test_unpaid_cancelled_and_refunded_orders_are_refused(shopdb: Database) -> None:
    unpaid = _order(shopdb, paid=False)
    cancelled = _order(shopdb, paid=False)
    whole = _order(shopdb)
    with shopdb.write() as s:
        orders.change_status(s, cancelled, OrderStatus.CANCELLED, "o", "ลูกค้าเปลี่ยนใจ")
        orders.change_status(s, whole, OrderStatus.REFUNDED, "o", "คืนทั้งหมด")
    for oid, code in ((unpaid, "refund.not_paid"), (cancelled, "refund.cancelled")):
        p1, _ = _items(shopdb, oid)
        with pytest.raises(UserError) as err, shopdb.write() as s:
            refunds.refund_order(s, oid, RefundRequest({p1: 1}, reason="x"), "o")
        assert err.value.code == code
    p1, _ = _items(shopdb, whole)
    with pytest.raises(UserError) as err, shopdb.write() as s:
        refunds.refund_order(s, whole, RefundRequest({p1: 1}, reason="x"), "o")
    assert err.value.code == "refund.already_refunded"


def test_refunding_every_line_in_parts_makes_the_order_refunded(shopdb: Database) -> None:
    """The refund that gives back the last satang moves the order to refunded itself."""
    oid = _order(shopdb)
    p1, p2 = _items(shopdb, oid)
    with shopdb.write() as s:
        refunds.refund_order(s, oid, RefundRequest({p1: 3}, reason="x"), "o", at=NOVEMBER)
        last = refunds.refund_order(
            s, oid, RefundRequest({p2: 1}, shipping=True, reason="y"), "o", at=NOVEMBER
        )
        view = orders.get_order(s, oid)
    assert last.completes
    assert (view.status, view.payment_status, view.refunded_satang) == (
        "refunded",
        "refunded",
        46_098,
    )
    assert view.timeline[-2].status == "refunded"


def test_a_sale_without_a_tax_invoice_refunds_without_moving_vat(db: Database) -> None:
    """A shop that is not VAT-registered: no credit note, no negative VAT row, the money back."""
    with db.write() as s:
        shop.ensure_defaults(s)
        shop.update_profile(s, "owner", name="ร้านเล็ก", vat_registered=False)
        catalog.save_product(
            s, ProductInput(sku="P1", name_th="เสื้อ", price_satang=10_700, stock=5), "o"
        )
    oid = _order_plain(db)
    with db.write() as s:
        item = orders.get_order(s, oid).items[0]
        done = refunds.refund_order(s, oid, RefundRequest({item.id: 1}, reason="x"), "o")
        documents = docs.list_documents(s, oid)
    assert (done.amount_satang, done.vat_satang, done.credit_note, documents) == (10_700, 0, "", [])
    assert _vat(db, "2026-10") == [("MC-2026-000001", 21_400, 0)]  # the sale, as before


def _order_plain(db: Database) -> int:
    with db.write() as s:
        view = orders.place_order(
            s,
            NewOrder(
                channel=Channel.LINE,
                lines=[LineInput(quantity=2, sku="P1")],
                payment_method=PaymentMethod.BANK_TRANSFER,
                created_at=PAID,
            ),
            "staff",
        )
        orders.mark_paid(s, view.id, "owner", paid_at=PAID)
    return view.id


def test_prices_before_vat_add_the_vat_to_the_money_back(db: Database) -> None:
    """A shop whose prices exclude VAT: 1 of 2 units at 100.00 gives back 107.00."""
    with db.write() as s:
        shop.ensure_defaults(s)
        shop.update_profile(
            s, "owner", name="ร้านภาษี", tax_id="0105565123452", vat_registered=True,
            prices_include_vat=False, address="1 ถนนสีลม",
        )  # fmt: skip
        catalog.save_product(
            s, ProductInput(sku="P1", name_th="เสื้อ", price_satang=10_000, stock=5), "o"
        )
    oid = _order_plain(db)
    with db.write() as s:
        item = orders.get_order(s, oid).items[0]
        done = refunds.refund_order(
            s, oid, RefundRequest({item.id: 1}, reason="x"), "o", buyer=docs.Buyer("ก", address="ข")
        )
    assert (done.amount_satang, done.vat_satang) == (10_700, 700)


def test_an_abbreviated_sale_asks_for_the_buyer_once(shopdb: Database) -> None:
    """A walk-in sale's credit note needs a buyer; the next refund reuses the one given."""
    oid = _order(shopdb, named=False)
    p1, _ = _items(shopdb, oid)
    with pytest.raises(UserError) as err, shopdb.write() as s:
        refunds.refund_order(s, oid, RefundRequest({p1: 1}, reason="x"), "o")
    assert err.value.code == "document.credit_note_buyer_required"
    buyer = docs.Buyer(name="บริษัท ทดสอบ จำกัด", address="9 ถนนสาทร")
    with shopdb.write() as s:
        refunds.refund_order(s, oid, RefundRequest({p1: 1}, reason="x"), "o", buyer=buyer)
        refunds.refund_order(s, oid, RefundRequest({p1: 1}, reason="y"), "o")
        names = [d.buyer.name for d in docs.list_documents(s, oid) if d.kind.value == "credit_note"]
    assert names == ["บริษัท ทดสอบ จำกัด", "บริษัท ทดสอบ จำกัด"]
