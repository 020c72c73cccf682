"""Orders: pricing and VAT, numbering, stock reservation, and the status state machine."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule
from sqlalchemy import func, select

from minichat_desktop.domain import shop
from minichat_desktop.domain.catalog import products as catalog
from minichat_desktop.domain.catalog import stock
from minichat_desktop.domain.catalog.products import ProductInput
from minichat_desktop.domain.models import (
    Channel,
    Order,
    OrderStatus,
    PaymentMethod,
    PaymentStatus,
    StockMovement,
)
from minichat_desktop.domain.sales import orders
from minichat_desktop.domain.sales.orders import LineInput, NewOrder, compute_totals
from minichat_desktop.domain.sales.tax_documents import Buyer
from minichat_desktop.errors import InvalidTransition, NotFound, OutOfStock, UserError
from minichat_desktop.storage.db import Database

S = OrderStatus
# Who a refund's credit note names (s.86/10) when the order names nobody's address.
BUYER = Buyer(name="สมชาย ใจดี", address="1 ถนนสีลม กรุงเทพฯ 10500")


def _setup(db: Database, *, vat: bool = True, include: bool = True, stock_qty: int = 10) -> int:
    with db.write() as s:
        shop.ensure_defaults(s)
        shop.update_profile(
            s,
            "owner",
            name="ร้านทดสอบ",
            tax_id="1101700230708",
            vat_registered=vat,
            prices_include_vat=include,
        )
        view = catalog.save_product(
            s, ProductInput(sku="P1", name_th="สินค้า", price_satang=10700, stock=stock_qty), "owner"
        )
        return view.variants[0].id


def _order(db: Database, qty: int = 1, **kw: object) -> orders.OrderView:
    with db.write() as s:
        return orders.place_order(
            s,
            NewOrder(channel=Channel.WIDGET, lines=[LineInput(quantity=qty, sku="P1")], **kw),
            "bot",
        )  # type: ignore[arg-type]


def _level(db: Database, vid: int) -> int:
    with db.read() as s:
        return stock.level(s, vid).stock


# ---------------------------------------------------------------------------- money


def test_vat_included_is_extracted_from_the_gross() -> None:
    t = compute_totals(10700, 0, 0, vat_registered=True, prices_include_vat=True, rate_bp=700)
    assert (t.vat, t.total, t.net) == (700, 10700, 10000)


def test_vat_excluded_is_added_on_top_and_rounds_half_up() -> None:
    t = compute_totals(1050, 0, 0, vat_registered=True, prices_include_vat=False, rate_bp=700)
    assert (t.vat, t.total) == (74, 1124)  # 73.5 satang rounds up
    t = compute_totals(
        10000, 1000, 5000, vat_registered=True, prices_include_vat=False, rate_bp=700
    )
    assert (t.vat, t.total) == (980, 14980)


def test_no_vat_for_a_shop_not_registered() -> None:
    t = compute_totals(10000, 500, 4000, vat_registered=False, prices_include_vat=True, rate_bp=700)
    assert (t.vat_rate_bp, t.vat, t.total) == (0, 0, 13500)


def test_discount_above_subtotal_is_refused() -> None:
    with pytest.raises(UserError) as err:
        compute_totals(100, 101, 0, vat_registered=False, prices_include_vat=True, rate_bp=0)
    assert err.value.code == "order.discount_too_big"


money = st.integers(min_value=0, max_value=10**10)


@given(
    subtotal=money, shipping=money, rate=st.integers(0, 2000), include=st.booleans(), data=st.data()
)
def test_totals_always_add_up(
    subtotal: int, shipping: int, rate: int, include: bool, data: st.DataObject
) -> None:
    discount = data.draw(st.integers(0, subtotal))
    t = compute_totals(
        subtotal, discount, shipping, vat_registered=True, prices_include_vat=include, rate_bp=rate
    )
    gross = subtotal - discount + shipping
    assert t.net + t.vat == t.total
    assert t.total == (gross if include else gross + t.vat)
    # The VAT is the exact rate of the net value, to within half a satang.
    assert abs(t.vat * 10_000 - t.net * rate) <= 10_000 // 2 + rate
    assert isinstance(t.vat, int) and t.vat >= 0


@given(st.integers(0, 10**12), st.integers(1, 10**6))
def test_round_half_up_div_matches_decimal(n: int, d: int) -> None:
    from decimal import ROUND_HALF_UP, Decimal

    expect = int((Decimal(n) / Decimal(d)).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    assert orders.round_half_up_div(n, d) == expect


# ---------------------------------------------------------------------------- placing


def test_place_order_snapshots_items_prices_vat_and_reserves_stock(db: Database) -> None:
    vid = _setup(db)
    o = _order(db, 3, shipping_satang=5000, customer_name="สมหญิง", note="ห่อของขวัญ")
    assert o.number.startswith("MC-") and o.number.endswith("-000001")
    assert (o.subtotal_satang, o.shipping_satang, o.total_satang) == (32100, 5000, 37100)
    assert (o.vat_rate_bp, o.vat_satang) == (700, 2427)
    assert o.status == "pending" and o.payment_status == "pending"
    item = o.items[0]
    assert (item.sku, item.name, item.unit_price_satang, item.quantity) == ("P1", "สินค้า", 10700, 3)
    assert [n.text for n in o.notes] == ["ห่อของขวัญ"]
    assert _level(db, vid) == 7
    # A later price change does not touch the order.
    with db.write() as s:
        catalog.save_product(
            s, ProductInput(sku="P1", name_th="สินค้าใหม่", price_satang=99900), "owner"
        )
        again = orders.get_order_by_number(s, o.number.lower())
    assert again.items[0].unit_price_satang == 10700 and again.items[0].name == "สินค้า"


def test_order_numbers_are_sequential_per_bangkok_year(db: Database) -> None:
    _setup(db, stock_qty=100)
    # 31 Dec 2025 17:30 UTC is already 1 Jan 2026 in Bangkok.
    eve = dt.datetime(2025, 12, 31, 16, 59, tzinfo=dt.UTC)
    new_year = dt.datetime(2025, 12, 31, 17, 30, tzinfo=dt.UTC)
    numbers = [
        _order(db, created_at=eve).number,
        _order(db, created_at=eve).number,
        _order(db, created_at=new_year).number,
    ]
    assert numbers == ["MC-2025-000001", "MC-2025-000002", "MC-2026-000001"]


def test_vat_rate_is_the_one_in_force_on_the_order_date(db: Database) -> None:
    _setup(db, stock_qty=10)
    with db.write() as s:
        shop.set_vat_rate(s, "owner", 1000, dt.date(2027, 10, 1), "statutory rate")
    before = _order(db, created_at=dt.datetime(2027, 9, 30, 12, tzinfo=dt.UTC))
    after = _order(db, created_at=dt.datetime(2027, 10, 1, 12, tzinfo=dt.UTC))
    assert (before.vat_rate_bp, before.vat_satang) == (700, 700)
    assert (after.vat_rate_bp, after.vat_satang) == (1000, 973)


def test_out_of_stock_stores_nothing(db: Database) -> None:
    vid = _setup(db, stock_qty=2)
    with pytest.raises(OutOfStock) as err:
        _order(db, 3)
    assert err.value.code == "stock.insufficient"
    assert err.value.params["available"] == 2 and err.value.params["requested"] == 3
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(Order)) == 0
    assert _level(db, vid) == 2
    assert _order(db, 2).number.endswith("000001")  # no number was burnt


@pytest.mark.parametrize(
    ("line", "code"),
    [
        (LineInput(quantity=0, sku="P1"), "order.bad_quantity"),
        (LineInput(quantity=-1, sku="P1"), "order.bad_quantity"),
        (LineInput(quantity=1, sku="NOPE"), "order.unknown_item"),
        (LineInput(quantity=1, sku="P1", discount_satang=10701), "order.discount_too_big"),
        (LineInput(quantity=1, sku="P1", unit_price_satang=-1), "order.negative_money"),
    ],
)
def test_bad_lines_are_refused(db: Database, line: LineInput, code: str) -> None:
    _setup(db)
    with pytest.raises(UserError) as err, db.write() as s:
        orders.place_order(s, NewOrder(channel=Channel.POS, lines=[line]), "staff")
    assert err.value.code == code


def test_inactive_product_cannot_be_ordered(db: Database) -> None:
    _setup(db)
    with db.write() as s:
        pid = catalog.get_product_by_sku(s, "P1").id
        catalog.set_product_active(s, pid, False, "owner")
    with pytest.raises(UserError) as err:
        _order(db)
    assert err.value.code == "order.inactive_item"


def test_counter_sale_is_paid_delivered_and_takes_stock_as_a_sale(db: Database) -> None:
    vid = _setup(db)
    with db.write() as s:
        o = orders.place_order(
            s,
            NewOrder(
                channel=Channel.POS,
                completed=True,
                payment_method=PaymentMethod.CASH,
                lines=[LineInput(quantity=2, sku="P1", discount_satang=400)],
            ),
            "staff",
        )
    assert (o.status, o.payment_status, o.total_satang) == ("delivered", "paid", 21000)
    assert o.paid_at is not None and o.delivered_at is not None
    with db.read() as s:
        reasons = list(
            s.scalars(select(StockMovement.reason).where(StockMovement.order_id == o.id))
        )
    assert reasons == ["sale"] and _level(db, vid) == 8


def test_cancel_releases_stock_and_is_on_the_timeline(db: Database) -> None:
    vid = _setup(db)
    o = _order(db, 4)
    with db.write() as s:
        o = orders.change_status(s, o.id, S.CANCELLED, "owner", "ลูกค้าเปลี่ยนใจ")
    assert o.status == "cancelled" and o.cancel_reason == "ลูกค้าเปลี่ยนใจ"
    assert [(e.kind, e.status) for e in o.timeline] == [
        ("status", "pending"),
        ("status", "cancelled"),
    ]
    assert _level(db, vid) == 10
    with pytest.raises(InvalidTransition), db.write() as s:
        orders.change_status(s, o.id, S.CONFIRMED, "owner")


def test_paid_order_is_refunded_not_cancelled_and_stock_returns(db: Database) -> None:
    vid = _setup(db)
    o = _order(db, 2)
    with db.write() as s:
        o = orders.mark_paid(s, o.id, "owner", reference="slip 1234")
        assert (o.status, o.payment_status) == ("confirmed", "paid")
        with pytest.raises(InvalidTransition) as err:
            orders.change_status(s, o.id, S.CANCELLED, "owner")
        assert "refund it instead" in err.value.message
    with db.write() as s:
        orders.change_status(s, o.id, S.PROCESSING, "owner")
        orders.change_status(s, o.id, S.SHIPPED, "owner")
        o = orders.change_status(s, o.id, S.REFUNDED, "owner", "สินค้าชำรุด", buyer=BUYER)
    assert (o.status, o.payment_status) == ("refunded", "refunded")
    assert o.shipped_at is not None
    assert _level(db, vid) == 10


def test_unpaid_order_cannot_be_refunded_or_paid_twice(db: Database) -> None:
    _setup(db)
    o = _order(db)
    with pytest.raises(InvalidTransition) as err, db.write() as s:
        orders.change_status(s, o.id, S.REFUNDED, "owner")
    assert "not paid" in err.value.message
    with db.write() as s:
        orders.mark_paid(s, o.id, "owner")
    with pytest.raises(UserError) as uerr, db.write() as s:
        orders.mark_paid(s, o.id, "owner")
    assert uerr.value.code == "order.already_paid"


def test_shipping_details_slip_and_notes(db: Database) -> None:
    _setup(db)
    o = _order(db)
    with db.write() as s:
        orders.attach_slip(s, o.id, "media/slips/1.jpg", "line")
        orders.set_shipping(
            s, o.id, "owner", carrier="Thailand Post", tracking_number="ee 123 456 785 th"
        )
        o = orders.add_note(s, o.id, "โทรก่อนส่ง", "owner")
    assert (o.slip_path, o.carrier, o.tracking_number) == (
        "media/slips/1.jpg",
        "Thailand Post",
        "EE123456785TH",
    )
    assert [e.kind for e in o.timeline] == ["status", "slip", "shipping"]
    assert [n.text for n in o.notes] == ["โทรก่อนส่ง"]


def test_list_orders_filters_and_search(db: Database) -> None:
    _setup(db, stock_qty=50)
    a = _order(db, customer_name="สมชาย ใจดี", customer_phone="0812345678")
    b = _order(db, 2, customer_name="Jane")
    with db.write() as s:
        orders.mark_paid(s, b.id, "owner")
        f = orders.OrderFilters
        assert [o.number for o in orders.list_orders(s, f(status="pending"))] == [a.number]
        assert [o.number for o in orders.list_orders(s, f(search="081-234"))] == [a.number]
        assert [o.number for o in orders.list_orders(s, f(search="ใจดี"))] == [a.number]
        assert [o.number for o in orders.list_orders(s, f(search=b.number[-6:]))] == [b.number]
        assert [o.number for o in orders.list_orders(s, f(payment_status="paid"))] == [b.number]
        assert [o.item_count for o in orders.list_orders(s)] == [2, 1]
        with pytest.raises(UserError):
            orders.list_orders(s, f(status="lost"))
        with pytest.raises(NotFound):
            orders.get_order_by_number(s, "MC-1999-000001")


def test_bulk_status_change_reports_the_ones_that_cannot_move(db: Database) -> None:
    _setup(db, stock_qty=50)
    a, b = _order(db), _order(db)
    with db.write() as s:
        orders.change_status(s, b.id, S.CANCELLED, "owner")
        done, failed = orders.bulk_change_status(s, [a.id, b.id], S.CONFIRMED, "owner")
    assert [o.number for o in done] == [a.number]
    assert [oid for oid, _ in failed] == [b.id]


# ---------------------------------------------------------------------------- state machine


class OrderLifecycle(RuleBasedStateMachine):
    """Random sequences of placing, paying, moving, cancelling and refunding orders never
    lose or invent stock, never go below zero, and only make allowed moves."""

    make_db: Callable[[], Database]

    @initialize()
    def setup(self) -> None:
        self.db = self.make_db()
        self.start = 20
        self.vid = _setup(self.db, stock_qty=self.start)
        self.held: dict[int, int] = {}  # order id -> units still out of stock
        self.status: dict[int, str] = {}
        self.paid: set[int] = set()

    @rule(qty=st.integers(1, 8))
    def place(self, qty: int) -> None:
        available = self.start - sum(self.held.values())
        try:
            o = _order(self.db, qty)
        except OutOfStock:
            assert qty > available
            return
        assert qty <= available
        self.held[o.id] = qty
        self.status[o.id] = o.status

    @precondition(lambda self: bool(self.status))
    @rule(data=st.data(), to=st.sampled_from(list(OrderStatus)))
    def move(self, data: st.DataObject, to: OrderStatus) -> None:
        oid = data.draw(st.sampled_from(sorted(self.status)))
        allowed = orders.allowed_transitions(
            OrderStatus(self.status[oid]),
            PaymentStatus.PAID if oid in self.paid else PaymentStatus.PENDING,
        )
        try:
            with self.db.write() as s:
                o = orders.change_status(s, oid, to, "owner", buyer=BUYER)
        except InvalidTransition:
            assert to not in allowed
            return
        assert to in allowed
        self.status[oid] = o.status
        if to in (S.CANCELLED, S.REFUNDED):
            self.held[oid] = 0
        if to == S.REFUNDED:
            self.paid.discard(oid)

    @precondition(lambda self: bool(self.status))
    @rule(data=st.data())
    def pay(self, data: st.DataObject) -> None:
        oid = data.draw(st.sampled_from(sorted(self.status)))
        try:
            with self.db.write() as s:
                o = orders.mark_paid(s, oid, "owner")
        except UserError:
            assert oid in self.paid or self.status[oid] in ("cancelled", "refunded")
            return
        self.paid.add(oid)
        self.status[oid] = o.status

    @invariant()
    def stock_is_conserved(self) -> None:
        if not hasattr(self, "db"):
            return
        with self.db.read() as s:
            level = stock.level(s, self.vid).stock
            sums = stock.ledger_sums(s, [self.vid])
        assert level == self.start - sum(self.held.values())
        assert level == sums.get(self.vid, 0)
        assert level >= 0


@pytest.fixture
def lifecycle(new_db: Callable[[], Database]) -> type[OrderLifecycle]:
    OrderLifecycle.make_db = staticmethod(new_db)  # type: ignore[assignment]
    return OrderLifecycle


def test_order_lifecycle_state_machine(lifecycle: type[OrderLifecycle]) -> None:
    from hypothesis.stateful import run_state_machine_as_test

    run_state_machine_as_test(
        lifecycle,
        settings=settings(
            max_examples=25,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        ),
    )
