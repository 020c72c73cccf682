"""Customers across channels, pipeline, and merging duplicates."""

from __future__ import annotations

import pytest

from minichat_desktop.domain import shop
from minichat_desktop.domain.catalog import products as catalog
from minichat_desktop.domain.catalog.products import ProductInput
from minichat_desktop.domain.customers import customers
from minichat_desktop.domain.models import Channel, Conversation, IdentityKind, PaymentMethod
from minichat_desktop.domain.sales import orders
from minichat_desktop.domain.sales.orders import LineInput, NewOrder
from minichat_desktop.errors import UserError
from minichat_desktop.storage.db import Database


def test_identity_links_to_an_existing_customer_by_phone(db: Database) -> None:
    """A LINE user who gives a phone already known from the widget is the same customer."""
    with db.write() as s:
        web = customers.find_or_create(
            s, IdentityKind.WIDGET, "sess-1", "bot", name="Nok", phone="081 234 5678"
        )
        line = customers.find_or_create(
            s, IdentityKind.LINE, "U" + "a" * 32, "bot", phone="+66 81-234-5678"
        )
        again = customers.find_or_create(s, IdentityKind.LINE, "U" + "a" * 32, "bot")
    assert web.id == line.id == again.id
    assert line.identities == (
        ("line", "U" + "a" * 32),
        ("phone", "0812345678"),
        ("widget", "sess-1"),
    )


def test_invalid_phone_is_a_user_error(db: Database) -> None:
    with pytest.raises(UserError) as err, db.write() as s:
        customers.create_customer(s, "owner", name="X", phone="12")
    assert err.value.code == "customer.invalid_phone"


def test_update_fields_tags_and_pipeline(db: Database) -> None:
    with db.write() as s:
        c = customers.create_customer(s, "owner", name="สมศรี", phone="0891112222")
        c = customers.update_customer(
            s,
            c.id,
            "owner",
            status="qualified",
            tags=["vip", " vip ", "ลูกค้าประจำ"],
            province="เชียงใหม่",
        )
        assert (c.status, c.tags, c.province) == ("qualified", ("vip", "ลูกค้าประจำ"), "เชียงใหม่")
        with pytest.raises(UserError):
            customers.update_customer(s, c.id, "owner", status="hot")
        with pytest.raises(UserError):
            customers.update_customer(s, c.id, "owner", password="x")
        assert [v.id for v in customers.list_customers(s, tag="vip")] == [c.id]
        assert [v.id for v in customers.list_customers(s, search="111-22")] == [c.id]
        assert customers.list_customers(s, status="lost") == []


def test_merge_moves_identities_orders_and_spend(db: Database) -> None:
    with db.write() as s:
        shop.ensure_defaults(s)
        catalog.save_product(s, ProductInput(sku="A", name_th="ก", price_satang=5000, stock=9), "o")
        keep = customers.find_or_create(s, IdentityKind.LINE, "Uline", "bot", name="Mai")
        dup = customers.find_or_create(
            s, IdentityKind.WIDGET, "web-9", "bot", name="ใหม่", phone="0899999999"
        )
        customers.update_customer(s, dup.id, "owner", tags=["vip"], notes="ชอบสีฟ้า")
        o = orders.place_order(
            s,
            NewOrder(
                channel=Channel.WIDGET,
                customer_id=dup.id,
                payment_method=PaymentMethod.PROMPTPAY,
                lines=[LineInput(quantity=2, sku="A")],
            ),
            "bot",
        )
        orders.mark_paid(s, o.id, "owner")
        chat = Conversation(ref="widget:web-9", channel=Channel.WIDGET, customer_id=dup.id)
        s.add(chat)
        s.flush()
        merged = customers.merge_customers(s, keep.id, dup.id, "owner")
        assert chat.customer_id == keep.id  # the inbox shows the kept customer on the chat
        assert merged.id == keep.id
        assert merged.name == "Mai" and merged.phone == "0899999999"
        assert merged.tags == ("vip",) and merged.notes == "ชอบสีฟ้า"
        assert merged.total_spent_satang == 10000 and merged.order_count == 1
        assert {k for k, _ in merged.identities} == {"line", "widget", "phone"}
        # The old id resolves to the kept customer; the list shows one.
        assert customers.get_customer(s, dup.id).id == keep.id
        assert [c.id for c in customers.list_customers(s)] == [keep.id]
        assert customers.find_by_identity(s, IdentityKind.WIDGET, "web-9").id == keep.id  # type: ignore[union-attr]
        with pytest.raises(UserError):
            customers.merge_customers(s, keep.id, keep.id, "owner")


def test_duplicate_groups_by_phone(db: Database) -> None:
    with db.write() as s:
        a = customers.create_customer(s, "o", name="A", phone="0811111111")
        b = customers.create_customer(s, "o", name="B")
        customers.update_customer(s, b.id, "o", notes="x")
        # Same phone typed on a record made before the phone was known.
        c = customers.find_or_create(s, IdentityKind.WIDGET, "w1", "bot", name="C")
        with pytest.raises(UserError) as err:
            customers.update_customer(s, c.id, "o", phone="081-111-1111")
        assert err.value.code == "customer.phone_taken"
        assert customers.duplicate_groups(s) == []
        assert a.id != c.id


def test_a_phone_identity_makes_one_customer(db: Database) -> None:
    with db.write() as s:
        first = customers.find_or_create(s, IdentityKind.PHONE, "081-999-0000", "pos", name="ก")
        again = customers.find_or_create(s, IdentityKind.PHONE, "0819990000", "pos")
    assert first.id == again.id and first.identities == (("phone", "0819990000"),)
