"""Shop profile validation, bank accounts, VAT rates and the audit log."""

from __future__ import annotations

import datetime as dt

import pytest

from minichat_desktop.domain import shop
from minichat_desktop.errors import UserError
from minichat_desktop.storage.db import Database


def test_profile_changes_are_validated_and_audited(db: Database) -> None:
    with db.write() as s:
        shop.ensure_defaults(s)
        p = shop.update_profile(
            s,
            "owner",
            name="ร้านใบเตย",
            tax_id="1-1017-00230-70-8",
            vat_registered=True,
            promptpay_id="081-234-5678",
            order_prefix="bt",
        )
        assert (p.tax_id, p.promptpay_id, p.order_prefix) == ("1101700230708", "0812345678", "BT")
        assert p.branch_label == "สำนักงานใหญ่"
        log = shop.audit_log(s, entity="shop")
    assert log[0].actor == "owner" and log[0].changes["name"] == ["", "ร้านใบเตย"]


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("tax_id", "1101700230709", "shop.invalid_tax_id"),
        ("tax_id", "12345", "shop.invalid_tax_id"),
        ("promptpay_id", "12", "shop.invalid_promptpay"),
        ("branch_code", "1", "shop.invalid_branch"),
        ("order_prefix", "มช", "shop.invalid_prefix"),
        ("colour", "red", "shop.unknown_field"),
    ],
)
def test_bad_profile_values(db: Database, field: str, value: str, code: str) -> None:
    with pytest.raises(UserError) as err, db.write() as s:
        shop.update_profile(s, "owner", **{field: value})
    assert err.value.code == code


def test_vat_registration_needs_a_tax_id(db: Database) -> None:
    with pytest.raises(UserError) as err, db.write() as s:
        shop.update_profile(s, "owner", vat_registered=True)
    assert err.value.code == "shop.vat_needs_tax_id"


def test_branch_label(db: Database) -> None:
    with db.write() as s:
        p = shop.update_profile(s, "o", branch_code="00002", branch_name="ลาดพร้าว")
    assert p.branch_label == "สาขาที่ 00002 ลาดพร้าว"


def test_bank_accounts(db: Database) -> None:
    with db.write() as s:
        a = shop.add_bank_account(
            s, "owner", bank="กสิกรไทย", account_name="ร้านใบเตย", account_number="123-4-56789-0"
        )
        with pytest.raises(UserError):
            shop.add_bank_account(s, "owner", bank="x", account_name="y", account_number="12")
        assert [b.account_number for b in shop.get_profile(s).bank_accounts] == ["123-4-56789-0"]
        shop.remove_bank_account(s, "owner", a.id)
        assert shop.get_profile(s).bank_accounts == ()


def test_vat_rate_history(db: Database) -> None:
    with db.write() as s:
        shop.ensure_defaults(s)
        default_rate, default_from, _ = shop.DEFAULT_VAT
        shop.set_vat_rate(s, "owner", 1000, dt.date(2027, 10, 1))
        assert shop.vat_rate_bp(s, dt.date(2027, 9, 30)) == default_rate
        assert shop.vat_rate_bp(s, dt.date(2027, 10, 1)) == 1000
        with pytest.raises(UserError) as err:
            shop.vat_rate_bp(s, default_from - dt.timedelta(days=1))
        assert err.value.code == "vat.no_rate"
        with pytest.raises(UserError):
            shop.set_vat_rate(s, "owner", -1, dt.date(2028, 1, 1))


def test_settings_round_trip(db: Database) -> None:
    with db.write() as s:
        assert shop.get_setting(s, "ui.lang", "th") == "th"
        shop.put_setting(s, "ui.lang", "en")
        assert shop.get_setting(s, "ui.lang") == "en"


def test_bangkok_today() -> None:
    assert shop.bangkok_today(dt.datetime(2026, 1, 1, 17, 0, tzinfo=dt.UTC)) == dt.date(2026, 1, 2)
