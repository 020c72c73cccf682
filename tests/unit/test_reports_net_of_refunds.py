"""Sales, products, customers and the dashboard net of partial refunds, each refund at its own
date (issue 15 follow-up): a sale stays in the month it was placed, money given back counts in
the month it went back, as a credit note does in the VAT report."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from minichat_desktop.domain import shop
from minichat_desktop.domain.catalog import products as catalog
from minichat_desktop.domain.catalog.products import ProductInput
from minichat_desktop.domain.customers import customers
from minichat_desktop.domain.models import Channel, OrderStatus, PaymentMethod
from minichat_desktop.domain.reporting import dashboard, reports
from minichat_desktop.domain.sales import orders, refunds
from minichat_desktop.domain.sales import tax_documents as documents
from minichat_desktop.domain.sales.orders import LineInput, NewOrder
from minichat_desktop.domain.sales.refunds import RefundRequest
from minichat_desktop.domain.shop import BANGKOK
from minichat_desktop.domain.sql import DriverConnection
from minichat_desktop.storage.db import Database

OCTOBER = reports.month_range("2026-10")
NOVEMBER = reports.month_range("2026-11")
TODAY = dt.date(2026, 12, 20)
BUYER = documents.Buyer(name="สมศรี ใจดี", address="5 ถนนสีลม กรุงเทพฯ 10500")


def bkk(month: int, day: int, hour: int = 10, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=BANGKOK)


def _shop(db: Database) -> int:
    """A VAT-registered shop (prices include 7 %): P1 107.00, P2 53.50; a customer."""
    with db.write() as s:
        shop.ensure_defaults(s)
        shop.update_profile(
            s, "owner", name="ร้านคืนเงิน", tax_id="0105565123452", vat_registered=True,
            prices_include_vat=True, address="1 ถนนสีลม กรุงเทพฯ 10500",
        )  # fmt: skip
        catalog.save_product(
            s, ProductInput(sku="P1", name_th="เสื้อ", price_satang=10_700, stock=500), "o"
        )
        catalog.save_product(
            s, ProductInput(sku="P2", name_th="หมวก", price_satang=5_350, stock=500), "o"
        )
        return customers.create_customer(s, "owner", name="สมศรี ใจดี").id


def _tables(db: Database, kind: str, span: tuple[dt.date, dt.date]) -> dict[str, list[list[Any]]]:
    with db.read() as s:
        report = reports.build_report(s, kind, *span)
        return {t.title: [list(r) for r in t.rows] for t in report.tables}


@pytest.fixture
def boundary(db: Database) -> dict[str, Any]:
    """O1 10-30 LINE 2×P1 + 2×P2 = 321.00 (VAT 21.00), paid, full tax invoice; refunded one
    P1 (back into stock) on 10-31 23:30 Bangkok and 20.00 off P2 on 11-01 00:15 Bangkok — both
    on 31 October in UTC; O2 11-03 counter 1×P2 cash 53.50."""
    cid = _shop(db)
    with db.write() as s:
        o1 = orders.place_order(
            s,
            NewOrder(
                channel=Channel.LINE,
                lines=[LineInput(quantity=2, sku="P1"), LineInput(quantity=2, sku="P2")],
                customer_id=cid,
                customer_name="สมศรี ใจดี",
                created_at=bkk(10, 30),
            ),
            "owner",
        )
        orders.mark_paid(s, o1.id, "owner", paid_at=bkk(10, 30, 11))
        documents.issue_document(
            s, o1.id, documents.DocumentKind.FULL, "owner",
            documents.Buyer(name="สมศรี ใจดี", address="5 ถนนสีลม กรุงเทพฯ 10500"),
        )  # fmt: skip
        p1, p2 = (i.id for i in orders.get_order(s, o1.id).items)
        first = refunds.refund_order(
            s, o1.id, RefundRequest(quantities={p1: 1}, reason="ไซส์ไม่พอดี", restock=True),
            "owner", at=bkk(10, 31, 23, 30),
        )  # fmt: skip
        second = refunds.refund_order(
            s, o1.id, RefundRequest(amounts={p2: 2_000}, reason="สินค้ามีตำหนิ"),
            "owner", at=bkk(11, 1, 0, 15),
        )  # fmt: skip
        o2 = orders.place_order(
            s,
            NewOrder(
                channel=Channel.POS,
                lines=[LineInput(quantity=1, sku="P2")],
                completed=True,
                payment_method=PaymentMethod.CASH,
                created_at=bkk(11, 3),
            ),
            "owner",
        )
    assert (first.amount_satang, first.vat_satang) == (10_700, 700)
    assert (second.amount_satang, second.vat_satang) == (2_000, 131)
    return {"db": db, "o1": o1, "o2": o2, "first": first, "second": second}


def test_each_month_has_its_sales_less_the_refunds_made_in_it(boundary: dict[str, Any]) -> None:
    """October: O1 (321.00) less the 23:30 refund (107.00); November: O2 (53.50) less the
    00:15 refund (20.00). Both refunds were made on 31 October UTC: Bangkok days decide."""
    db = boundary["db"]
    octo = _tables(db, "sales", OCTOBER)["ยอดขายรายวัน"]
    nov = _tables(db, "sales", NOVEMBER)["ยอดขายรายวัน"]
    busy = [r for r in octo + nov if any(r[1:])]
    assert busy == [
        [dt.date(2026, 10, 30), 1, 32_100, 0, 0, 32_100, 0, 32_100, 30_000, 2_100],
        [dt.date(2026, 10, 31), 0, 0, 0, 0, 0, -10_700, -10_700, -10_000, -700],
        [dt.date(2026, 11, 1), 0, 0, 0, 0, 0, -2_000, -2_000, -1_869, -131],
        [dt.date(2026, 11, 3), 1, 5_350, 0, 0, 5_350, 0, 5_350, 5_000, 350],
    ]
    # The net VAT is what the VAT report declares: the sales at their tax points, less the
    # credit notes at their dates.
    with db.read() as s:
        for month, days in (("2026-10", octo), ("2026-11", nov)):
            vat = reports.vat_rows(DriverConnection(s), *reports.month_range(month))
            assert sum(r[6] for r in vat) == sum(r[9] for r in days)
            assert sum(r[5] for r in vat) == sum(r[8] for r in days)


def test_products_channels_payments_and_refund_list_net_the_refunds(
    boundary: dict[str, Any],
) -> None:
    db, o1 = boundary["db"], boundary["o1"]
    octo, nov = _tables(db, "sales", OCTOBER), _tables(db, "sales", NOVEMBER)
    assert [r[:9] for r in octo["ยอดขายตามสินค้า"]] == [
        ["P2", "หมวก", 2, 0, 2, 1, 10_700, 0, 10_700],
        ["P1", "เสื้อ", 2, -1, 1, 1, 21_400, -10_700, 10_700],
    ]
    # The amount off P2 gives no unit back.
    assert [r[:9] for r in nov["ยอดขายตามสินค้า"]] == [
        ["P2", "หมวก", 1, 0, 1, 1, 5_350, -2_000, 3_350],
    ]
    assert [r[:5] for r in nov["ยอดขายตามช่องทาง"]] == [
        ["หน้าร้าน", 1, 5_350, 0, 5_350],
        ["LINE", 0, 0, -2_000, -2_000],
    ]
    assert nov["ยอดขายตามวิธีชำระเงิน"] == [
        ["เงินสด", 1, 5_350, 0, 5_350],
        ["คืนเงินให้ลูกค้า", 1, -2_000, 0, -2_000],
    ]
    assert octo["รายการคืนเงิน"] == [
        [dt.date(2026, 10, 31), o1.number, dt.date(2026, 10, 30), "สมศรี ใจดี", "ไซส์ไม่พอดี",
         "CN2026-000001", 1, 10_000, 700, 10_700],
    ]  # fmt: skip
    assert [r[5] for r in octo["รายการคำสั่งซื้อ"]] == ["ยืนยันแล้ว · คืนเงินบางส่วน"]


def test_products_and_customers_reports_net_the_refunds(boundary: dict[str, Any]) -> None:
    db = boundary["db"]
    p_oct = {r[0]: r for r in _tables(db, "products", OCTOBER)["ประสิทธิภาพสินค้า"]}
    # sku: net units, units back, orders, net sales, refunded
    assert [p_oct["P1"][i] for i in (5, 6, 7, 8, 9)] == [1, -1, 1, 10_700, -10_700]
    p_nov = {r[0]: r for r in _tables(db, "products", NOVEMBER)["ประสิทธิภาพสินค้า"]}
    assert [p_nov["P2"][i] for i in (5, 6, 7, 8, 9)] == [1, 0, 1, 3_350, -2_000]
    assert p_nov["P1"][12] == 499  # 500 less O1's two, one came back

    c_oct = _tables(db, "customers", OCTOBER)["ลูกค้า"]
    c_nov = _tables(db, "customers", NOVEMBER)["ลูกค้า"]
    # name, orders in range, net in range, average, orders in all, net in all
    assert [(r[0], r[3], r[4], r[5], r[7], r[8]) for r in c_oct] == [
        ("สมศรี ใจดี", 1, 21_400, 21_400, 1, 19_400)
    ]
    # In November she bought nothing but got 20.00 back: listed, with no average.
    assert [(r[0], r[3], r[4], r[5], r[7], r[8]) for r in c_nov] == [
        ("สมศรี ใจดี", 0, -2_000, None, 1, 19_400)
    ]


def test_the_dashboard_nets_refunds_on_their_days_cached_or_not(boundary: dict[str, Any]) -> None:
    db = boundary["db"]
    with db.read() as s:
        direct = dashboard.dashboard(s, *NOVEMBER)
        cache = dashboard.DashboardCache(clock=lambda: 0.0)
        cache.warm(s, *NOVEMBER, today=TODAY)
        cached = dashboard.dashboard(s, *NOVEMBER, cache=cache, today=TODAY)
        october = dashboard.dashboard(s, *OCTOBER)
    assert cached == direct
    assert (direct.current.sales_satang, direct.current.orders) == (3_350, 1)
    assert (direct.previous.sales_satang, direct.previous.orders) == (21_400, 1)
    assert [(p.start.day, p.sales_satang) for p in direct.series if p.sales_satang] == [
        (1, -2_000),
        (3, 5_350),
    ]
    assert [(p.sku, p.quantity, p.sales_satang) for p in direct.top_products] == [("P2", 1, 3_350)]
    assert [(p.sku, p.quantity, p.sales_satang) for p in october.top_products] == [
        ("P2", 2, 10_700),
        ("P1", 1, 10_700),
    ]
    assert {c.channel: c.sales_satang for c in direct.channels if c.sales_satang} == {
        "pos": 5_350,
        "line": -2_000,
    }


def test_a_later_refund_leaves_a_cached_closed_month_and_moves_only_its_own_day(
    boundary: dict[str, Any],
) -> None:
    """A refund made in December on O1 (October) leaves October as it was — cached or read
    directly — and takes December's figures down."""
    db, o1 = boundary["db"], boundary["o1"]
    cache = dashboard.DashboardCache(clock=lambda: 0.0)
    with db.read() as s:
        before = dashboard.dashboard(s, *OCTOBER, cache=cache, today=TODAY)
        cache.warm(s, *OCTOBER, today=TODAY)
    with db.write() as s:
        p1 = orders.get_order(s, o1.id).items[0].id
        refunds.refund_order(
            s, o1.id, RefundRequest(quantities={p1: 1}, reason="ไม่ชอบสี"), "owner",
            at=bkk(12, 10),
        )  # fmt: skip
    december = (dt.date(2026, 12, 1), dt.date(2026, 12, 19))
    with db.read() as s:
        assert dashboard.dashboard(s, *OCTOBER, cache=cache, today=TODAY) == before
        cache.warm(s, *december, today=TODAY)
        dec = dashboard.dashboard(s, *december, cache=cache, today=TODAY)
        assert dec == dashboard.dashboard(s, *december)
    assert dec.current.sales_satang == -10_700
    assert _tables(db, "sales", OCTOBER)["ยอดขายรายวัน"][-2][7] == 32_100


# ---------------------------------------------------------------------------- properties

_order = st.tuples(
    st.integers(0, 60),  # day after 1 October (Bangkok)
    st.integers(0, 23),  # hour
    st.lists(st.tuples(st.sampled_from(["P1", "P2"]), st.integers(1, 3)), min_size=1, max_size=3),
    st.sampled_from([0, 0, 1_001, 2_500]),  # order discount
    st.sampled_from([0, 5_000]),  # shipping
    st.booleans(),  # paid
)
_refund = st.tuples(
    st.integers(0, 20),  # which order (modulo)
    st.integers(0, 30),  # days after the sale
    st.sampled_from(["units", "amount", "shipping"]),
    st.integers(1, 3),
)


def _build(db: Database, spec: list[Any], backs: list[Any], rest: bool) -> tuple[int, int, int]:
    """Places ``spec``'s orders and makes ``backs``'s refunds (those that are allowed); with
    ``rest`` the rest of every paid order is refunded on 15 December. (orders' totals,
    refunds' money, line totals of the orders not paid)."""
    cid = _shop(db)
    start = dt.datetime(2026, 10, 1, tzinfo=BANGKOK)
    placed: list[tuple[int, dt.datetime]] = []
    total = back = unpaid = 0
    with db.write() as s:
        for day, hour, lines, discount, shipping, paid in spec:
            when = start + dt.timedelta(days=day, hours=hour)
            view = orders.place_order(
                s,
                NewOrder(
                    channel=Channel.LINE,
                    lines=[LineInput(quantity=q, sku=k) for k, q in lines],
                    customer_id=cid,
                    discount_satang=discount,
                    shipping_satang=shipping,
                    created_at=when,
                ),
                "owner",
            )
            total += view.total_satang
            if paid:
                orders.mark_paid(s, view.id, "owner", paid_at=when)
                placed.append((view.id, when))
            else:
                unpaid += sum(i.line_total_satang for i in view.items)
        for which, after, kind, n in backs:
            if not placed:
                break
            oid, when = placed[which % len(placed)]
            state = refunds.refundable(s, oid)
            if state.payment_status != "paid":
                continue
            line = state.lines[n % len(state.lines)]
            if kind == "units" and line.quantity_left:
                request = RefundRequest(quantities={line.item_id: min(n, line.quantity_left)})
            elif kind == "amount" and line.satang_left:
                request = RefundRequest(amounts={line.item_id: min(n * 700, line.satang_left)})
            elif kind == "shipping" and state.shipping_left:
                request = RefundRequest(shipping=True)
            else:
                continue
            request = replace(request, reason="ทดสอบ")
            at = when + dt.timedelta(days=after, minutes=1)
            made = refunds.refund_order(s, oid, request, "owner", at=at, buyer=BUYER)
            back += made.amount_satang
        if rest:
            for oid, _ in placed:
                state = refunds.refundable(s, oid)
                if state.payment_status == "paid":
                    left = refunds.plan_rest(state).amount_satang
                    orders.change_status(
                        s, oid, OrderStatus.REFUNDED, "owner", "คืนทั้งหมด", at=bkk(12, 15),
                        buyer=BUYER,
                    )  # fmt: skip
                    back += left
    return total, back, unpaid


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    spec=st.lists(_order, min_size=1, max_size=6),
    backs=st.lists(_refund, max_size=6),
    rest=st.booleans(),
)
def test_report_rows_add_up_to_the_orders_less_the_refunds(
    new_db: Callable[[], Database], spec: list[Any], backs: list[Any], rest: bool
) -> None:
    """Over October–December the days' net sales, the customers' net spending and the
    dashboard's sales are the orders' totals less the refunds' money; October + November +
    December make the quarter (each refund counted once, in its own month); units sold less
    units back is what the products table nets; when every paid order was refunded in full,
    its product lines net to exactly nothing."""
    db = new_db()
    total, back, unpaid = _build(db, spec, backs, rest)
    quarter = (dt.date(2026, 10, 1), dt.date(2026, 12, 31))
    whole = _tables(db, "sales", quarter)
    assert sum(r[7] for r in whole["ยอดขายรายวัน"]) == total - back
    assert -sum(r[9] for r in whole["รายการคืนเงิน"]) == -back
    months = [reports.month_range(f"2026-{m}") for m in ("10", "11", "12")]
    by_month = [_tables(db, "sales", m) for m in months]
    for title, col in (("ยอดขายรายวัน", 7), ("ยอดขายตามสินค้า", 8), ("ยอดขายตามช่องทาง", 4)):
        assert sum(r[col] for t in by_month for r in t[title]) == sum(r[col] for r in whole[title])
    assert sum(r[4] for r in _tables(db, "customers", quarter)["ลูกค้า"]) == total - back
    products = whole["ยอดขายตามสินค้า"]
    assert sum(r[4] for r in products) == sum(r[2] for r in products) + sum(r[3] for r in products)
    with db.read() as s:
        assert dashboard.dashboard(s, *quarter).current.sales_satang == total - back
    if rest:
        assert sum(r[8] for r in products) == unpaid
