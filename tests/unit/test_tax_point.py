"""The tax point and the VAT report over any sequence of what a shop does (hypothesis).

Sales (one or two lines, with discounts and shipping) are placed, paid, shipped, delivered,
printed (full or abbreviated tax invoices), reprinted, replaced by a full invoice, refunded in
part (units of a line, an amount off a line, the shipping) and in full, each at a time that
only moves forward (hours, days or weeks apart, so months change). After every step:

- every month's VAT report figures (value before VAT, VAT, and each non-zero row) are what
  they were before, except the month the step happened in — printing, reprinting or issuing a
  full invoice late never moves money between months, and a refund reduces VAT only through
  a credit note dated when it happened (Revenue Code s.78(1), s.82/10, s.86/10);
- a sale is in the report of exactly one month once it has a tax point, and in none before;
- document numbers run 1, 2, 3… per kind and year with no gap, cancelled ones kept;
- a sale's credit notes (one per refund) never credit more VAT than it was charged, and
  exactly that VAT once it is refunded in full.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from minichat_desktop.domain import shop
from minichat_desktop.domain.catalog import products as catalog
from minichat_desktop.domain.catalog.products import ProductInput
from minichat_desktop.domain.models import (
    Channel,
    OrderStatus,
    PaymentMethod,
    Refund,
    TaxDocument,
)
from minichat_desktop.domain.reporting import reports
from minichat_desktop.domain.sales import orders, refunds
from minichat_desktop.domain.sales import tax_documents as docs
from minichat_desktop.domain.sales.orders import LineInput, NewOrder
from minichat_desktop.domain.sales.refunds import RefundRequest
from minichat_desktop.domain.sales.tax_documents import Buyer, DocumentKind
from minichat_desktop.domain.shop import BANGKOK
from minichat_desktop.domain.sql import DriverConnection
from minichat_desktop.errors import DomainError
from minichat_desktop.storage.db import Database

START = dt.datetime(2025, 10, 6, 3, 0, tzinfo=dt.UTC)  # the VAT rate starts on 1 Oct 2025
MONTHS = [f"{y}-{m:02d}" for y in range(2025, 2031) for m in range(1, 13)][9:]
BUYER = Buyer(name="บริษัท ทดสอบ จำกัด", address="9 ถนนสาทร กรุงเทพฯ 10120")
ADDRESS: dict[str, Any] = {
    "customer_name": "สมศรี ใจดี",
    "ship_name": "สมศรี ใจดี",
    "ship_address": "99/1 ซอยสุขุมวิท 11",
    "ship_province": "กรุงเทพมหานคร",
    "ship_postcode": "10110",
}

# Hours between one step and the next: often the same day, sometimes weeks (months change).
GAPS = st.sampled_from([0, 1, 5, 30, 24 * 9, 24 * 20, 24 * 33])
Figures = dict[str, tuple[int, int, tuple[tuple[int, int], ...]]]


class ShopDays(RuleBasedStateMachine):
    make_db: Callable[[], Database]

    def __init__(self) -> None:
        super().__init__()
        self.db = self.make_db()
        with self.db.write() as s:
            shop.ensure_defaults(s)
            shop.update_profile(
                s, "owner", name="ร้านภาษี", tax_id="0105565123452", vat_registered=True,
                prices_include_vat=True, address="1 ถนนสีลม กรุงเทพฯ 10500",
            )  # fmt: skip
            catalog.save_product(
                s, ProductInput(sku="P1", name_th="เสื้อ", price_satang=10_700, stock=10_000), "o"
            )
            catalog.save_product(
                s, ProductInput(sku="P2", name_th="หมวก", price_satang=9_999, stock=10_000), "o"
            )
        self.now = START
        self.ids: list[int] = []
        self.figures = self._figures()

    # ---- what the report says

    def _months(self) -> list[str]:
        """The months from the start to now: nothing can be dated later."""
        last = self.now.astimezone(BANGKOK).strftime("%Y-%m")
        return MONTHS[: MONTHS.index(last) + 1]

    def _figures(self) -> Figures:
        out: Figures = {}
        with self.db.read() as s:
            raw = DriverConnection(s)
            for month in self._months():
                rows = reports.vat_rows(raw, *reports.month_range(month))
                amounts = tuple(sorted((r[5], r[6]) for r in rows if (r[5], r[6]) != (0, 0)))
                out[month] = (sum(r[5] for r in rows), sum(r[6] for r in rows), amounts)
        return out

    def _step(self, gap: int, change: Callable[[Any], object], *, may_refuse: bool = True) -> None:
        """``gap`` hours later, run one change at ``self.now`` (refused ones change nothing),
        then check that only this month's figures moved."""
        self.now += dt.timedelta(hours=gap)
        try:
            with self.db.write() as s:
                change(s)
        except DomainError:
            if not may_refuse:
                raise
        after = self._figures()
        month = self.now.astimezone(BANGKOK).strftime("%Y-%m")
        for m in self._months():
            if m != month:
                before = self.figures.get(m, (0, 0, ()))
                assert after[m] == before, f"{m} changed by a step in {month}"
        self.figures = after

    def _pick(self, data: st.DataObject) -> int:
        return data.draw(st.sampled_from(self.ids))

    # ---- what the shop does

    @rule(
        gap=GAPS,
        counter=st.booleans(),
        named=st.booleans(),
        quantities=st.lists(st.integers(1, 3), min_size=1, max_size=2),
        discount=st.sampled_from([0, 1, 333, 1_001]),
        shipping=st.sampled_from([0, 5_000, 3_333]),
    )
    def place(
        self,
        gap: int,
        counter: bool,
        named: bool,
        quantities: list[int],
        discount: int,
        shipping: int,
    ) -> None:
        def go(s: Any) -> None:
            new = NewOrder(
                channel=Channel.POS if counter else Channel.LINE,
                lines=[
                    LineInput(quantity=q, sku=sku)
                    for q, sku in zip(quantities, ("P1", "P2"), strict=False)
                ],
                payment_method=PaymentMethod.CASH if counter else PaymentMethod.BANK_TRANSFER,
                completed=counter,
                created_at=self.now,
                discount_satang=discount,
                shipping_satang=0 if counter else shipping,
                **(ADDRESS if named else {}),
            )
            self.ids.append(orders.place_order(s, new, "staff").id)

        self._step(gap, go, may_refuse=False)

    @precondition(lambda self: self.ids)
    @rule(gap=GAPS, data=st.data())
    def pay(self, gap: int, data: st.DataObject) -> None:
        oid = self._pick(data)
        self._step(gap, lambda s: orders.mark_paid(s, oid, "owner", paid_at=self.now))

    @precondition(lambda self: self.ids)
    @rule(
        gap=GAPS,
        data=st.data(),
        to=st.sampled_from([OrderStatus.PROCESSING, OrderStatus.SHIPPED, OrderStatus.DELIVERED]),
    )
    def move(self, gap: int, data: st.DataObject, to: OrderStatus) -> None:
        oid = self._pick(data)
        self._step(gap, lambda s: orders.change_status(s, oid, to, "staff", at=self.now))

    @precondition(lambda self: self.ids)
    @rule(
        gap=GAPS,
        data=st.data(),
        kind=st.sampled_from([DocumentKind.FULL, DocumentKind.ABBREVIATED]),
    )
    def print_invoice(self, gap: int, data: st.DataObject, kind: DocumentKind) -> None:
        oid = self._pick(data)

        def go(s: Any) -> None:
            doc = docs.issue_document(s, oid, kind, "owner", BUYER, now=self.now)
            docs.record_print(s, doc, "owner", now=self.now)

        self._step(gap, go)

    @precondition(lambda self: self.ids)
    @rule(gap=GAPS, data=st.data(), replacement=st.booleans())
    def reprint(self, gap: int, data: st.DataObject, replacement: bool) -> None:
        oid = self._pick(data)

        def go(s: Any) -> None:
            for doc in docs.list_documents(s, oid):
                why = "ลูกค้าทำต้นฉบับหาย" if replacement else None
                docs.record_print(s, doc, "owner", replacement=why, now=self.now)

        self._step(gap, go)

    @precondition(lambda self: self.ids)
    @rule(gap=GAPS, data=st.data(), named=st.booleans())
    def refund(self, gap: int, data: st.DataObject, named: bool) -> None:
        oid = self._pick(data)
        buyer = BUYER if named else None
        self._step(
            gap,
            lambda s: orders.change_status(
                s, oid, OrderStatus.REFUNDED, "owner", "คืนสินค้า", at=self.now, buyer=buyer
            ),
        )

    @precondition(lambda self: self.ids)
    @rule(
        gap=GAPS,
        data=st.data(),
        named=st.booleans(),
        how=st.sampled_from(["units", "amount", "shipping"]),
    )
    def partial_refund(self, gap: int, data: st.DataObject, named: bool, how: str) -> None:
        oid = self._pick(data)
        with self.db.read() as s:
            left = refunds.refundable(s, oid)
        line = data.draw(st.sampled_from(left.lines))
        if how == "units":
            ask = RefundRequest(
                quantities={line.item_id: data.draw(st.integers(1, max(1, line.quantity_left)))},
                reason="คืนบางชิ้น",
                restock=data.draw(st.booleans()),
            )
        elif how == "amount":
            most = max(1, line.satang_left)
            ask = RefundRequest(
                amounts={line.item_id: data.draw(st.integers(1, most))}, reason="ลดราคาให้"
            )
        else:
            ask = RefundRequest(shipping=True, reason="คืนค่าส่ง")
        buyer = BUYER if named else None
        self._step(
            gap,
            lambda s: refunds.refund_order(s, oid, ask, "owner", at=self.now, buyer=buyer),
        )

    # ---- what must always hold

    @invariant()
    def credit_notes_never_credit_more_than_the_invoice(self) -> None:
        """The credit notes of a sale credit at most its VAT and money; a sale refunded in
        full (in one step or many) credits exactly its VAT, and gives back exactly its total."""
        with self.db.read() as s:
            for oid in self.ids:
                order = orders.get_order(s, oid)
                rows = s.query(Refund).filter(Refund.order_id == oid).all()
                credited_vat = sum(r.vat_satang for r in rows if r.credit_note_id is not None)
                notes = s.query(TaxDocument).filter(
                    TaxDocument.order_id == oid, TaxDocument.kind == "credit_note"
                )
                assert notes.count() == sum(1 for r in rows if r.credit_note_id is not None)
                assert credited_vat <= order.vat_satang
                assert sum(r.amount_satang for r in rows) <= order.total_satang
                if order.payment_status == "refunded":
                    assert sum(r.amount_satang for r in rows) == order.total_satang
                    if notes.count():
                        assert credited_vat == order.vat_satang

    @invariant()
    def each_sale_with_a_tax_point_is_in_one_month(self) -> None:
        with self.db.read() as s:
            views = [orders.get_order(s, oid) for oid in self.ids]
            raw = DriverConnection(s)
            listed: dict[str, int] = defaultdict(int)
            for month in self._months():
                for row in reports.vat_rows(raw, *reports.month_range(month)):
                    listed[row[1]] += 1
            invoices = {
                d.order_id: d.number
                for d in s.query(TaxDocument).filter(
                    TaxDocument.kind.in_(["full", "abbreviated"]),
                    TaxDocument.cancelled_at.is_(None),
                )
            }
        for v in views:
            shown = invoices.get(v.id, v.number)
            expected = 1 if v.tax_point_at is not None else 0
            if v.tax_point_at is None:
                assert shown not in listed, f"{v.number} listed without a tax point"
            else:
                assert listed[shown] == expected, f"{v.number} listed {listed[shown]} times"
            if v.tax_point_at is not None and v.status != OrderStatus.REFUNDED:
                assert v.payment_status == "paid" or v.delivered_at is not None

    @invariant()
    def numbers_have_no_gaps(self) -> None:
        with self.db.read() as s:
            numbers = [n for (n,) in s.query(TaxDocument.number)]
        runs: dict[tuple[str, str], list[int]] = defaultdict(list)
        for n in numbers:
            m = re.fullmatch(r"([A-Z]+)(\d{4})-(\d{6})", n)
            assert m is not None, n
            runs[(m[1], m[2])].append(int(m[3]))
        for key, seq in runs.items():
            assert sorted(seq) == list(range(1, len(seq) + 1)), key

    def teardown(self) -> None:
        self.db.dispose()


@pytest.fixture
def machine(new_db: Callable[[], Database]) -> type[ShopDays]:
    ShopDays.make_db = staticmethod(new_db)  # type: ignore[assignment]
    return ShopDays


def test_no_later_step_moves_a_past_month(machine: type[ShopDays]) -> None:
    from hypothesis.stateful import run_state_machine_as_test

    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=60,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        ),
    )
