"""Slips the owner attaches from a file (app/slips.py) on a real SQLite file: copied once under
media/slips, checked like chat slips, refused clearly when not a picture or not readable, and
old unchecked slips checked on demand."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import delete
from support.slips import KBANK_QR, encode, slip_screen

from minichat_desktop.app import slips as app_slips
from minichat_desktop.domain import shop
from minichat_desktop.domain.catalog import products as catalog
from minichat_desktop.domain.catalog.products import ProductInput
from minichat_desktop.domain.models import Channel, PaymentSlip, SlipCheck
from minichat_desktop.domain.sales import orders
from minichat_desktop.domain.sales.orders import LineInput, NewOrder
from minichat_desktop.errors import EnvironmentProblem, UserError
from minichat_desktop.storage.db import Database


def _order(db: Database) -> orders.OrderView:
    """An order in a fresh shop (one per test)."""
    with db.write() as s:
        shop.ensure_defaults(s)
        catalog.save_product(
            s, ProductInput(sku="P1", name_th="สินค้า", price_satang=50000, stock=9), "owner"
        )
        return orders.place_order(
            s, NewOrder(channel=Channel.MANUAL, lines=[LineInput(quantity=1, sku="P1")]), "owner"
        )


def test_a_slip_file_is_copied_once_and_checked(db: Database, tmp_path: Path) -> None:
    """The picture lands under media/slips with its hash in the name; the same file again is
    the same copy and the same check."""
    data_dir = db.path.parent
    order = _order(db)
    source = tmp_path / "slip.PNG"
    source.write_bytes(encode(slip_screen(KBANK_QR), "PNG"))
    one = app_slips.attach_slip_file(db, data_dir, order.id, source, "owner")
    two = app_slips.attach_slip_file(db, data_dir, order.id, source, "owner")
    assert one.slip_check is not None and two.slip_check is not None
    assert (one.slip_check.check, one.slip_check.trans_ref) == (
        SlipCheck.READ,
        "016340141523ATF05798",
    )
    assert two.slip_check.id == one.slip_check.id
    copies = sorted((data_dir / "media" / "slips").iterdir())
    assert [c.name for c in copies] == [f"order-{order.id}-{one.slip_check.sha256[:16]}.png"]
    assert copies[0].read_bytes() == source.read_bytes()


def test_not_a_picture_and_unreadable_files_are_refused(db: Database, tmp_path: Path) -> None:
    """Text named .jpg → slip.not_image naming the file; a missing file → slip.unreadable;
    nothing is recorded."""
    order = _order(db)
    text = tmp_path / "notes.jpg"
    text.write_text("hello")
    with pytest.raises(UserError) as err:
        app_slips.attach_slip_file(db, db.path.parent, order.id, text, "owner")
    assert (err.value.code, err.value.params["file"]) == ("slip.not_image", "notes.jpg")
    with pytest.raises(EnvironmentProblem) as env:
        app_slips.attach_slip_file(db, db.path.parent, order.id, tmp_path / "gone.jpg", "owner")
    assert env.value.code == "slip.unreadable"
    with db.read() as s:
        assert orders.get_order(s, order.id).slip_check is None


def test_an_unchecked_slip_is_checked_on_demand_once(db: Database) -> None:
    """A slip with no check row (attached before checks) is read from its file and recorded;
    asking again changes nothing."""
    data_dir = db.path.parent
    order = _order(db)
    (data_dir / "media" / "slips").mkdir(parents=True)
    (data_dir / "media" / "slips" / "old.jpg").write_bytes(encode(slip_screen(KBANK_QR), "JPEG"))
    with db.write() as s:
        orders.attach_slip(s, order.id, "media/slips/old.jpg", "bot")
        s.execute(delete(PaymentSlip))
    checked = app_slips.check_attached_slip(db, data_dir, order.id)
    again = app_slips.check_attached_slip(db, data_dir, order.id)
    assert checked.slip_check is not None
    assert (checked.slip_check.check, checked.slip_check.path) == (
        SlipCheck.READ,
        "media/slips/old.jpg",
    )
    assert again.slip_check == checked.slip_check


def test_confirming_a_slip_pays_by_transfer_with_its_reference(db: Database) -> None:
    """Confirmed from the slip: paid, the slip's reference kept; a PromptPay order stays
    PromptPay, one to be paid another way becomes a bank transfer; a slip of another order
    is refused."""
    from minichat_desktop.domain.models import PaymentMethod, PaymentStatus

    order = _order(db)
    with db.write() as s:
        other = orders.place_order(
            s,
            NewOrder(
                channel=Channel.LINE,
                lines=[LineInput(quantity=1, sku="P1")],
                payment_method=PaymentMethod.OTHER,
            ),
            "bot",
        )
        first = orders.attach_slip(s, order.id, "a.jpg", "bot", payloads=(KBANK_QR,)).slip_check
        second = orders.attach_slip(s, other.id, "b.jpg", "bot", payloads=()).slip_check
    assert first is not None and second is not None
    with db.write() as s, pytest.raises(UserError) as err:
        app_slips.confirm_slip_payment(s, order.id, second.id, "owner")
    assert err.value.code == "slip.not_found"
    with db.write() as s:
        paid = app_slips.confirm_slip_payment(s, order.id, first.id, "owner").order
        transfer = app_slips.confirm_slip_payment(s, other.id, second.id, "owner").order
    assert (paid.payment_status, paid.payment_method, paid.payment_ref) == (
        PaymentStatus.PAID,
        PaymentMethod.PROMPTPAY,  # the order's own method (NewOrder's default)
        "016340141523ATF05798",
    )
    assert (transfer.payment_status, transfer.payment_method, transfer.payment_ref) == (
        PaymentStatus.PAID,
        PaymentMethod.BANK_TRANSFER,
        "",
    )
