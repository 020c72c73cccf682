"""First-run setup: each step is done when the shop's data says so, skipped steps come back,
and only the owner's choices (skipped, hidden) are stored."""

from __future__ import annotations

from decimal import Decimal

import pytest

from minichat_desktop.app import setup
from minichat_desktop.app.settings import store_widget_settings
from minichat_desktop.app.setup import Outside, Step, StepState
from minichat_desktop.domain import promptpay, shop
from minichat_desktop.domain.catalog import products as catalog
from minichat_desktop.domain.catalog.products import ProductInput
from minichat_desktop.domain.conversations import conversations as convs
from minichat_desktop.domain.sales import tax_documents as docs
from minichat_desktop.errors import UserError
from minichat_desktop.formats.qr_read import read_qr_codes
from minichat_desktop.storage.db import Database

TAX_ID = "0105558096348"  # a valid 13-digit tax ID (check digit 8)


NOTHING_OUTSIDE = Outside()


def _list(db: Database, outside: Outside = NOTHING_OUTSIDE) -> setup.Checklist:
    with db.read() as s:
        return setup.checklist(s, outside)


def test_a_new_shop_has_everything_to_do(db: Database) -> None:
    """A new empty shop: 0 of 7 done, nothing skipped, the checklist on the dashboard."""
    c = _list(db)
    assert [v.step for v in c.steps] == list(Step)
    assert {v.state for v in c.steps} == {StepState.TODO}
    assert (c.done, c.total, c.complete, c.on_dashboard) == (0, 7, False, True)


def test_steps_are_done_from_the_shops_data(db: Database) -> None:
    """Profile (name, phone, address), PromptPay, a product, allowed
    websites, printer settings; LINE and the relay from outside the database."""
    with db.write() as s:
        shop.update_profile(s, "owner", name="ร้านป้าแดง", phone="0812345678")
    assert _list(db).state(Step.PROFILE) is StepState.TODO  # no address yet
    with db.write() as s:
        shop.update_profile(s, "owner", address="1 ถนนสุขุมวิท กรุงเทพฯ", tax_id=TAX_ID)
        shop.update_profile(s, "owner", vat_registered=True, promptpay_id="0812345678")
        catalog.save_product(s, ProductInput(sku="T1", name_th="ชาไทย", price_satang=3500), "o")
        store_widget_settings(s, {}, ["https://shop.example"])
        docs.save_printer_settings(s, docs.PrinterSettings())
    assert _list(db).done == 5
    c = _list(db, Outside(line_configured=True, relay_linked=True))
    assert (c.done, c.complete, c.on_dashboard) == (7, True, False)


def test_a_bad_tax_id_is_refused_by_the_profile(db: Database) -> None:
    """The profile step's tax ID check is the shop's own: a wrong check digit is refused."""
    with db.write() as s, pytest.raises(UserError) as err:
        shop.update_profile(s, "owner", tax_id="0105558096349")
    assert err.value.code == "shop.invalid_tax_id"


def test_a_website_chat_counts_as_the_website_done(db: Database) -> None:
    """A shopper already chatted from the website: the snippet is in place."""
    with db.write() as s:
        convs.record_inbound(s, "widget:abc", {"id": "m1", "kind": "text", "text": "สวัสดี"})
    assert _list(db).state(Step.WEBSITE) is StepState.DONE


def test_skipped_steps_come_back(db: Database) -> None:
    """Skipping is stored; "do it now" takes a step back to the to-do list; a step done after
    being skipped counts as done."""
    with db.write() as s:
        setup.skip_step(s, Step.LINE)
        setup.skip_step(s, Step.PRINTERS)
    c = _list(db)
    assert c.skipped == (Step.LINE, Step.PRINTERS)
    assert c.state(Step.LINE) is StepState.SKIPPED
    with db.write() as s:
        setup.skip_step(s, Step.LINE, skipped=False)
    assert _list(db).skipped == (Step.PRINTERS,)
    assert _list(db, Outside(line_configured=True)).state(Step.LINE) is StepState.DONE
    with db.write() as s:
        docs.save_printer_settings(s, docs.PrinterSettings())
    assert _list(db).state(Step.PRINTERS) is StepState.DONE


def test_hiding_takes_the_checklist_off_the_dashboard(db: Database) -> None:
    with db.write() as s:
        setup.hide_checklist(s)
    c = _list(db)
    assert (c.hidden, c.on_dashboard, c.done) == (True, False, 0)
    with db.write() as s:
        setup.hide_checklist(s, False)
    assert _list(db).on_dashboard is True


def test_the_embed_snippet_and_webhook_url() -> None:
    """The widget's script tag for the shop (as widget.js reads it) and LINE's webhook URL."""
    assert setup.embed_snippet("https://relay.example/", "shop_1") == (
        '<script src="https://relay.example/widget.js" data-shop="shop_1" async></script>'
    )
    assert setup.webhook_url("https://relay.example", "shop_1") == (
        "https://relay.example/line/shop_1/webhook"
    )


def test_the_promptpay_test_card_is_for_one_baht(db: Database) -> None:
    """No PromptPay ID: no card. With one: a PNG whose QR pays ฿1.00 to that ID."""
    with db.read() as s:
        assert setup.promptpay_test_card(s) is None
    with db.write() as s:
        shop.update_profile(s, "owner", name="ร้านป้าแดง", promptpay_id="0812345678")
    with db.read() as s:
        png = setup.promptpay_test_card(s)
    assert png is not None and png.startswith(b"\x89PNG")
    assert read_qr_codes(png).texts == (promptpay.promptpay_payload("0812345678", Decimal("1.00")),)
