"""The counter: code lookup, shifts, split tenders and change, refunds, held sales, Z reports."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from minichat_desktop.domain import shop
from minichat_desktop.domain.catalog import products as catalog
from minichat_desktop.domain.catalog import stock
from minichat_desktop.domain.catalog.products import ProductInput, VariantInput
from minichat_desktop.domain.models import (
    Channel,
    Order,
    OrderPayment,
    OrderStatus,
    PaymentMethod,
    PaymentStatus,
)
from minichat_desktop.domain.sales import orders, pos, refunds
from minichat_desktop.domain.sales.pos import CartLine, Tender
from minichat_desktop.domain.sales.tax_documents import Buyer
from minichat_desktop.errors import OutOfStock, UserError
from minichat_desktop.storage.db import Database

CASH, PP, CARD = PaymentMethod.CASH, PaymentMethod.PROMPTPAY, PaymentMethod.CARD


@pytest.fixture
def shopdb(db: Database) -> Database:
    with db.write() as s:
        shop.ensure_defaults(s)
        shop.update_profile(
            s,
            "owner",
            name="ร้านทดสอบ",
            tax_id="1101700230708",
            vat_registered=True,
            prices_include_vat=True,
        )
        catalog.save_product(
            s,
            ProductInput(
                sku="TEA",
                name_th="ชาไทย",
                price_satang=4500,
                variants=[VariantInput(sku="TEA-1", barcode="8850001000017", stock=20)],
            ),
            "owner",
        )
        catalog.save_product(
            s,
            ProductInput(sku="SHIRT", name_th="เสื้อยืด", price_satang=25000, stock=3),
            "owner",
        )
    return db


def _find(db: Database, code: str) -> pos.Sellable:
    with db.read() as s:
        found = pos.lookup_code(s, code)
    assert found is not None
    return found


def _line(item: pos.Sellable, qty: int = 1, discount: int = 0) -> CartLine:
    return CartLine(item.variant_id, qty, item.price_satang, discount)


def _stock(db: Database, variant_id: int) -> int:
    with db.read() as s:
        return stock.level(s, variant_id).stock


def _open(db: Database, float_satang: int = 100000) -> None:
    with db.write() as s:
        pos.open_shift(s, float_satang, "staff")


def test_a_scanned_barcode_or_typed_sku_finds_the_variant(shopdb: Database) -> None:
    by_barcode = _find(shopdb, "8850001000017")
    assert (by_barcode.sku, by_barcode.name, by_barcode.price_satang) == ("TEA-1", "ชาไทย", 4500)
    assert _find(shopdb, " tea-1 ").variant_id == by_barcode.variant_id
    with shopdb.read() as s:
        assert pos.lookup_code(s, "0000000000000") is None
        assert pos.lookup_code(s, "  ") is None


def test_selling_needs_an_open_shift(shopdb: Database) -> None:
    tea = _find(shopdb, "TEA-1")
    with pytest.raises(UserError) as err, shopdb.write() as s:
        pos.ring_up(s, [_line(tea)], [Tender(CASH, 4500)], "staff")
    assert err.value.code == "pos.no_shift"


def test_cash_sale_gives_change_takes_stock_and_records_the_tender(shopdb: Database) -> None:
    _open(shopdb)
    tea = _find(shopdb, "8850001000017")
    with shopdb.write() as s:
        sale = pos.ring_up(
            s, [_line(tea, 3)], [Tender(CASH, 13500, tendered_satang=20000)], "staff"
        )
    assert sale.change_satang == 6500
    assert sale.order.channel == Channel.POS
    assert (sale.order.status, sale.order.payment_status) == (
        OrderStatus.DELIVERED,
        PaymentStatus.PAID,
    )
    assert (sale.order.total_satang, sale.order.vat_satang) == (13500, 883)
    assert _stock(shopdb, tea.variant_id) == 17
    with shopdb.read() as s:
        (payment,) = s.scalars(select(OrderPayment)).all()
        assert (payment.amount_satang, payment.tendered_satang, payment.change_satang) == (
            13500,
            20000,
            6500,
        )


def test_split_payment_must_add_up_and_only_cash_gives_change(shopdb: Database) -> None:
    _open(shopdb)
    shirt = _find(shopdb, "SHIRT")
    with pytest.raises(UserError) as err, shopdb.write() as s:
        pos.ring_up(s, [_line(shirt)], [Tender(CASH, 10000), Tender(PP, 10000)], "staff")
    assert err.value.code == "pos.tenders_mismatch"
    with pytest.raises(UserError) as err, shopdb.write() as s:
        pos.ring_up(s, [_line(shirt)], [Tender(PP, 25000, tendered_satang=30000)], "staff")
    assert err.value.code == "pos.bad_tender"
    with shopdb.write() as s:
        sale = pos.ring_up(
            s,
            [_line(shirt)],
            [Tender(CASH, 5000, tendered_satang=10000), Tender(PP, 20000, ref="slip 1")],
            "staff",
        )
    assert sale.change_satang == 5000
    assert sale.order.payment_method == PP  # the larger tender names the order's method
    assert sale.order.payment_ref == "split"
    with shopdb.read() as s:
        assert s.scalar(select(func.count()).select_from(Order)) == 1  # failures stored nothing


def test_line_and_order_discounts_reach_the_order(shopdb: Database) -> None:
    _open(shopdb)
    tea, shirt = _find(shopdb, "TEA-1"), _find(shopdb, "SHIRT")
    lines = [_line(tea, 2, discount=1000), _line(shirt)]
    with shopdb.read() as s:
        totals = pos.sale_totals(s, lines, 2000)
    assert (totals.subtotal, totals.discount, totals.total) == (33000, 2000, 31000)
    with shopdb.write() as s:
        sale = pos.ring_up(
            s, lines, [Tender(CARD, 31000, ref="ap 123")], "staff", order_discount_satang=2000
        )
    assert sale.order.total_satang == 31000
    assert [i.discount_satang for i in sale.order.items] == [1000, 0]
    with pytest.raises(UserError) as err, shopdb.read() as s:
        pos.sale_totals(s, [_line(tea, 1, discount=5000)])
    assert err.value.code == "order.line_discount_too_big"


def test_a_sale_is_totalled_on_the_shops_terms_without_vat_in_the_prices(
    shopdb: Database,
) -> None:
    """Prices excluding VAT: ฿100.00 of goods less a ฿10.00 discount is ฿96.30 (VAT ฿6.30) in
    the pure totals the till shows, in sale_totals and in the stored sale."""
    _open(shopdb)
    with shopdb.write() as s:
        shop.update_profile(s, "owner", prices_include_vat=False)
    shirt = _find(shopdb, "SHIRT")
    lines = [CartLine(shirt.variant_id, 1, 10000)]
    with shopdb.read() as s:
        terms = pos.sale_terms(s)
        via_session = pos.sale_totals(s, lines, 1000)
    assert terms == pos.SaleTerms(vat_registered=True, prices_include_vat=False, vat_rate_bp=700)
    totals = pos.totals_of(lines, 1000, terms)
    assert totals == via_session
    assert (totals.subtotal, totals.discount, totals.vat, totals.total) == (10000, 1000, 630, 9630)
    with shopdb.write() as s:
        sale = pos.ring_up(s, lines, [Tender(CASH, 9630)], "staff", order_discount_satang=1000)
    assert (sale.order.vat_satang, sale.order.total_satang) == (630, 9630)


def test_selling_more_than_the_stock_stores_nothing(shopdb: Database) -> None:
    _open(shopdb)
    shirt = _find(shopdb, "SHIRT")
    with pytest.raises(OutOfStock), shopdb.write() as s:
        pos.ring_up(s, [_line(shirt, 4)], [Tender(CASH, 100000)], "staff")
    assert _stock(shopdb, shirt.variant_id) == 3
    with shopdb.read() as s:
        assert s.scalar(select(func.count()).select_from(OrderPayment)) == 0


def test_refund_returns_stock_and_pays_back_the_way_it_came(shopdb: Database) -> None:
    _open(shopdb, 50000)
    shirt = _find(shopdb, "SHIRT")
    with shopdb.write() as s:
        sale = pos.ring_up(
            s, [_line(shirt)], [Tender(CASH, 15000, 20000), Tender(PP, 10000)], "staff"
        )
    assert _stock(shopdb, shirt.variant_id) == 2
    with pytest.raises(UserError) as err, shopdb.write() as s:
        pos.refund_sale(s, sale.order.id, "staff", "  ")
    assert err.value.code == "pos.refund_reason"
    # A VAT sale's credit note names the buyer; this walk-in left no name: asked for first.
    with pytest.raises(UserError) as err, shopdb.write() as s:
        pos.refund_sale(s, sale.order.id, "staff", "wrong size")
    assert err.value.code == "document.credit_note_buyer_required"
    assert _stock(shopdb, shirt.variant_id) == 2  # nothing happened
    buyer = Buyer(name="สมใจ ดีมาก", address="3 ถนนราชดำเนิน กรุงเทพฯ 10200")
    with shopdb.write() as s:
        view = pos.refund_sale(s, sale.order.id, "staff", "wrong size", buyer=buyer)
    assert (view.status, view.payment_status) == (OrderStatus.REFUNDED, PaymentStatus.REFUNDED)
    assert _stock(shopdb, shirt.variant_id) == 3
    with shopdb.read() as s:
        report = pos.shift_report(s)
    assert report.by_method == {"cash": 0, "promptpay": 0}
    assert (report.sales_count, report.refunds_count, report.net_sales_satang) == (1, 1, 0)
    assert report.expected_cash_satang == 50000
    with pytest.raises(UserError) as err, shopdb.write() as s:
        pos.refund_sale(s, sale.order.id, "staff", "again")
    assert err.value.code == "pos.not_refundable"


def test_a_partial_counter_refund_pays_back_from_the_first_tenders(shopdb: Database) -> None:
    """One of three teas back (45.00) from a cash + PromptPay sale: the cash goes back first
    and the drawer and the Z report count 45.00 refunded; the rest later empties the cash
    tender and then the PromptPay one, and the sale is refunded."""
    _open(shopdb, 50000)
    tea = _find(shopdb, "TEA-1")
    buyer = Buyer(name="สมใจ ดีมาก", address="3 ถนนราชดำเนิน กรุงเทพฯ 10200")
    with shopdb.write() as s:
        sale = pos.ring_up(s, [_line(tea, 3)], [Tender(CASH, 6000), Tender(PP, 7500)], "staff")
        item = sale.order.items[0]
        view = pos.refund_sale(
            s,
            sale.order.id,
            "staff",
            "ชาหก",
            buyer=buyer,
            request=refunds.RefundRequest({item.id: 1}, restock=True),
        )
    assert (view.status, view.payment_status, view.refunded_satang) == (
        OrderStatus.DELIVERED,
        PaymentStatus.PAID,
        4500,
    )
    assert _stock(shopdb, tea.variant_id) == 18
    with shopdb.read() as s:
        report = pos.shift_report(s)
    assert report.by_method == {"cash": 1500, "promptpay": 7500}
    assert (report.refunds_count, report.refunds_total_satang) == (1, 4500)
    assert report.expected_cash_satang == 51500
    with shopdb.write() as s:
        view = pos.refund_sale(s, sale.order.id, "staff", "คืนที่เหลือ")
        back = [t.amount_satang for t in pos.tenders_of(s, sale.order.id) if t.amount_satang < 0]
    assert (view.status, view.refunded_satang) == (OrderStatus.REFUNDED, 13500)
    assert back == [-4500, -1500, -7500]
    assert _stock(shopdb, tea.variant_id) == 20


def test_cash_refund_cannot_take_more_than_the_drawer_holds(shopdb: Database) -> None:
    _open(shopdb, 0)
    shirt = _find(shopdb, "SHIRT")
    with shopdb.write() as s:
        sale = pos.ring_up(s, [_line(shirt)], [Tender(CASH, 25000)], "staff")
        pos.cash_movement(s, -20000, "bank deposit", "owner")
    with pytest.raises(UserError) as err, shopdb.write() as s:
        pos.refund_sale(s, sale.order.id, "staff", "faulty")
    assert err.value.code == "pos.cash_short"
    assert _stock(shopdb, shirt.variant_id) == 2  # nothing happened


def test_z_report_sums_match_the_sales_and_the_count(shopdb: Database) -> None:
    _open(shopdb, 100000)
    tea, shirt = _find(shopdb, "TEA-1"), _find(shopdb, "SHIRT")
    with shopdb.write() as s:
        a = pos.ring_up(s, [_line(tea, 2)], [Tender(CASH, 9000, 10000)], "staff")
        b = pos.ring_up(s, [_line(shirt)], [Tender(PP, 25000)], "staff")
        c = pos.ring_up(s, [_line(tea)], [Tender(CARD, 4500)], "staff")
        pos.cash_movement(s, 20000, "change from the bank", "owner")
        pos.cash_movement(s, -5000, "ice", "staff")
        with pytest.raises(UserError):
            pos.cash_movement(s, 100, " ", "staff")
    # a web order paid by transfer is not the drawer's business
    with shopdb.write() as s:
        orders.place_order(
            s,
            orders.NewOrder(channel=Channel.WIDGET, lines=[orders.LineInput(1, sku="TEA-1")]),
            "bot",
        )
    with shopdb.write() as s:
        z = pos.close_shift(s, 123500, "staff", "all good")
    sales = a.order.total_satang + b.order.total_satang + c.order.total_satang
    assert z.z_number == 1
    assert (z.sales_count, z.sales_total_satang) == (3, sales)
    assert z.by_method == {"card": 4500, "cash": 9000, "promptpay": 25000}
    assert sum(z.by_method.values()) == sales
    assert z.vat_satang == a.order.vat_satang + b.order.vat_satang + c.order.vat_satang
    assert (z.cash_in_satang, z.cash_out_satang) == (20000, 5000)
    assert z.expected_cash_satang == 100000 + 9000 + 20000 - 5000
    assert z.difference_satang == -500
    assert (z.first_order, z.last_order) == (a.order.number, c.order.number)
    with shopdb.read() as s:
        assert pos.current_shift(s) is None
        again = pos.shift_report(s, z.shift_id)
    assert again == z  # the closed report reads back the same
    with shopdb.write() as s:
        pos.open_shift(s, 0, "staff")
        with pytest.raises(UserError) as err:
            pos.open_shift(s, 0, "staff")
        assert err.value.code == "pos.shift_open"
    with shopdb.write() as s:
        z2 = pos.close_shift(s, 0, "staff")
    assert (z2.z_number, z2.sales_count, z2.difference_satang) == (2, 0, 0)


def test_held_sales_come_back_whole_and_leave_the_list(shopdb: Database) -> None:
    tea, shirt = _find(shopdb, "TEA-1"), _find(shopdb, "SHIRT")
    lines = [_line(tea, 2, 500), _line(shirt)]
    with shopdb.write() as s:
        held = pos.hold_sale(s, lines, "คุณเอ", "staff", order_discount_satang=1000)
        with pytest.raises(UserError):
            pos.hold_sale(s, [], "", "staff")
    assert (held.item_count, held.total_satang, held.label) == (3, 32500, "คุณเอ")
    with shopdb.write() as s:
        assert [h.id for h in pos.list_held(s)] == [held.id]
        back, discount = pos.resume_held(s, held.id)
    assert (back, discount) == (lines, 1000)
    with shopdb.write() as s:
        assert pos.list_held(s) == []
        with pytest.raises(UserError) as err:
            pos.resume_held(s, held.id)
    assert err.value.code == "pos.unknown_held"


def test_favourites_are_chosen_or_else_the_best_sellers(shopdb: Database) -> None:
    _open(shopdb)
    tea, shirt = _find(shopdb, "TEA-1"), _find(shopdb, "SHIRT")
    with shopdb.write() as s:
        pos.ring_up(s, [_line(tea, 5)], [Tender(CASH, 22500)], "staff")
        pos.ring_up(s, [_line(shirt)], [Tender(CASH, 25000)], "staff")
    with shopdb.read() as s:
        assert [f.sku for f in pos.favourites(s)] == ["TEA-1", "SHIRT"]
    with shopdb.write() as s:
        pos.set_favourites(s, [shirt.variant_id])
    with shopdb.read() as s:
        assert [f.sku for f in pos.favourites(s)] == ["SHIRT"]
    with pytest.raises(UserError), shopdb.write() as s:
        pos.set_favourites(s, list(range(1, 40)))
