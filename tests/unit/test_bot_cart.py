"""The chat cart: stock-checked changes, current prices, discount codes and shipping rules."""

from __future__ import annotations

import datetime as dt

import pytest
from support.bot_shop import NOW, make_shop, new_conversation

from minichat_desktop.domain.bot import cart as carts
from minichat_desktop.domain.catalog import stock
from minichat_desktop.domain.models import MovementReason
from minichat_desktop.errors import NotFound, OutOfStock, UserError
from minichat_desktop.storage.db import Database


def test_add_items_reads_names_prices_and_merges_lines(db: Database) -> None:
    """Adding the same variant twice makes one line; prices come from the catalog."""
    ids = make_shop(db)
    conv = new_conversation(db)
    with db.write() as s:
        carts.add_item(s, conv, ids.tee_red_m, 2)
        carts.add_item(s, conv, ids.tee_black_m)
        view = carts.add_item(s, conv, ids.tee_red_m, 1)
    assert [(ln.sku, ln.quantity, ln.unit_price_satang) for ln in view.lines] == [
        ("TEE-RED-M", 3, 29000),
        ("TEE-BLK-M", 1, 31000),
    ]
    assert view.subtotal_satang == 3 * 29000 + 31000
    assert view.count == 4
    assert view.lines[0].variant_title == "แดง / M"


def test_cart_cannot_hold_more_than_the_stock(db: Database) -> None:
    """The second add that would pass the stock fails with the number left; nothing changes."""
    ids = make_shop(db)
    conv = new_conversation(db)
    with db.write() as s:
        carts.add_item(s, conv, ids.tee_red_l, 2)
    with pytest.raises(OutOfStock) as err, db.write() as s:
        carts.add_item(s, conv, ids.tee_red_l, 1)
    assert err.value.code == "cart.out_of_stock"
    assert err.value.params["available"] == 2
    with db.read() as s:
        assert carts.get_cart(s, conv).lines[0].quantity == 2


def test_set_quantity_remove_and_clear(db: Database) -> None:
    ids = make_shop(db)
    conv = new_conversation(db)
    with db.write() as s:
        carts.add_item(s, conv, ids.mug, 1)
        carts.add_item(s, conv, ids.cap, 1)
        view = carts.set_quantity(s, conv, ids.mug, 4)
        assert view.lines[0].quantity == 4
        with pytest.raises(OutOfStock):
            carts.set_quantity(s, conv, ids.mug, 11)
        view = carts.remove_item(s, conv, ids.cap)
        assert [ln.sku for ln in view.lines] == ["MUG"]
        with pytest.raises(NotFound) as err:
            carts.set_quantity(s, conv, ids.cap, 1)
        assert err.value.code == "cart.not_in_cart"
        carts.clear_cart(s, conv)
        assert carts.get_cart(s, conv).empty


def test_change_variant_keeps_quantity_and_checks_the_new_options_stock(db: Database) -> None:
    ids = make_shop(db)
    conv = new_conversation(db)
    with db.write() as s:
        carts.add_item(s, conv, ids.tee_red_m, 2)
        view = carts.change_variant(s, conv, ids.tee_red_m, ids.tee_black_m)
        assert [(ln.sku, ln.quantity, ln.unit_price_satang) for ln in view.lines] == [
            ("TEE-BLK-M", 2, 31000)
        ]
        carts.add_item(s, conv, ids.tee_red_m, 3)
        with pytest.raises(OutOfStock) as err:  # 3 red L > 2 in stock
            carts.change_variant(s, conv, ids.tee_red_m, ids.tee_red_l)
        assert err.value.params["available"] == 2
        with pytest.raises(UserError) as other:
            carts.change_variant(s, conv, ids.tee_red_m, ids.mug)
        assert other.value.code == "cart.other_product"


def test_cart_shows_the_price_and_stock_of_now(db: Database) -> None:
    """A price change after adding shows in the cart; so does stock sold meanwhile."""
    from minichat_desktop.domain.catalog import products as catalog
    from minichat_desktop.domain.catalog.products import ProductInput

    ids = make_shop(db)
    conv = new_conversation(db)
    with db.write() as s:
        carts.add_item(s, conv, ids.mug, 3)
        catalog.save_product(
            s,
            ProductInput(sku="MUG", name_th="แก้วมัคเซรามิก", price_satang=16000),
            "owner",
        )
        stock.adjust_stock(s, ids.mug, -8, MovementReason.ADJUSTMENT, "owner", "broken")
    with db.read() as s:
        line = carts.get_cart(s, conv).lines[0]
    assert line.unit_price_satang == 16000
    assert line.stock == 2 and line.short_of_stock


@pytest.mark.parametrize(
    ("kwargs", "subtotal", "now", "expected"),
    [
        ({"kind": "percent", "value": 1000}, 61050, NOW, 6105),
        ({"kind": "percent", "value": 1250}, 15050, NOW, 1881),  # 1881.25 → 1881
        ({"kind": "fixed", "value": 5000}, 15050, NOW, 5000),
        ({"kind": "fixed", "value": 50000}, 15050, NOW, 15050),  # never above the subtotal
    ],
)
def test_discount_amounts(
    db: Database, kwargs: dict[str, object], subtotal: int, now: dt.datetime, expected: int
) -> None:
    with db.write() as s:
        carts.save_discount_code(s, "save", **kwargs)  # type: ignore[arg-type]
        assert carts.discount_amount(s, " Save ", subtotal, now) == ("SAVE", expected)


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"active": False}, "discount.inactive"),
        ({"starts_at": NOW + dt.timedelta(hours=1)}, "discount.not_started"),
        ({"ends_at": NOW}, "discount.expired"),
        ({"min_subtotal_satang": 100_000}, "discount.min_subtotal"),
        ({"max_uses": 1}, None),
    ],
)
def test_discount_rules(db: Database, kwargs: dict[str, object], code: str | None) -> None:
    with db.write() as s:
        carts.save_discount_code(s, "X10", "percent", 1000, **kwargs)  # type: ignore[arg-type]
    with db.write() as s:
        if code is None:
            carts.discount_amount(s, "X10", 50000, NOW)
            carts.redeem_discount(s, "X10")
            with pytest.raises(UserError) as err:
                carts.discount_amount(s, "X10", 50000, NOW)
            assert err.value.code == "discount.used_up"
            with pytest.raises(UserError):
                carts.redeem_discount(s, "X10")
        else:
            with pytest.raises(UserError) as err:
                carts.discount_amount(s, "X10", 50000, NOW)
            assert err.value.code == code
    with db.read() as s, pytest.raises(NotFound) as unknown:
        carts.discount_amount(s, "NOPE", 50000, NOW)
    assert unknown.value.code == "discount.unknown"


def test_bad_discount_codes_are_refused(db: Database) -> None:
    with db.write() as s:
        for kind, value in (("percent", 0), ("percent", 10_001), ("fixed", 0), ("gift", 10)):
            with pytest.raises(UserError):
                carts.save_discount_code(s, "BAD", kind, value)


def test_apply_discount_to_the_cart_and_lose_it_when_it_no_longer_applies(db: Database) -> None:
    ids = make_shop(db)
    conv = new_conversation(db)
    with db.write() as s:
        carts.save_discount_code(s, "MIN500", "fixed", 5000, min_subtotal_satang=50000)
        carts.add_item(s, conv, ids.tee_red_m, 2)
        view = carts.apply_discount(s, conv, "min500", NOW)
        assert (view.discount_code, view.discount_satang, view.goods_satang) == (
            "MIN500",
            5000,
            53000,
        )
        view = carts.set_quantity(s, conv, ids.tee_red_m, 1)
        assert view.discount_satang == 0 and view.discount_problem == "discount.min_subtotal"


def test_shipping_fee_rules(db: Database) -> None:
    rules = carts.DEFAULT_SHIPPING
    assert carts.shipping_fee(rules, "kerry", 50000, cod=False) == 5000
    assert carts.shipping_fee(rules, "thaipost_ems", 50000, cod=True) == 6000 + 3000
    assert carts.shipping_fee(rules, "flash", 100_000, cod=False) == 0  # free from ฿1,000
    assert carts.shipping_fee(rules, "flash", 100_000, cod=True) == 3000
    with pytest.raises(UserError) as err:
        carts.shipping_fee(rules, "dhl", 100, cod=False)
    assert err.value.code == "shipping.unknown_method"


def test_owner_edits_shipping_rules(db: Database) -> None:
    flat = carts.ShippingRules(
        methods=(carts.ShippingMethod("flat", "ส่งทั่วประเทศ", "Nationwide", 3500),),
        free_over_satang=None,
        cod_enabled=False,
    )
    with db.write() as s:
        assert carts.shipping_rules(s) == carts.DEFAULT_SHIPPING
        carts.save_shipping_rules(s, flat)
    with db.read() as s:
        rules = carts.shipping_rules(s)
    assert rules == flat
    assert carts.shipping_fee(rules, "flat", 10**7, cod=False) == 3500
    with pytest.raises(UserError) as err:
        carts.shipping_fee(rules, "flat", 100, cod=True)
    assert err.value.code == "shipping.no_cod"
    bad = carts.ShippingRules(methods=(carts.ShippingMethod("x", "x", "x", -1),))
    with db.write() as s, pytest.raises(UserError) as neg:
        carts.save_shipping_rules(s, bad)
    assert neg.value.code == "shipping.negative_fee"


def test_cart_message_is_a_valid_protocol_cart(db: Database) -> None:
    from relay import protocol as p

    ids = make_shop(db)
    conv = new_conversation(db)
    with db.write() as s:
        view = carts.add_item(s, conv, ids.tee_black_m, 2)
    body = carts.cart_message(view, shipping_satang=5000)
    obj = p.Message("m1", body).to_obj()
    again = p.Message.from_obj(obj, p.SHOP_KINDS)
    assert again.body == body
    assert obj["total_satang"] == 62000 + 5000
    assert obj["items"][0]["variant"] == "ดำ / M"
