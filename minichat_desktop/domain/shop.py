"""The shop's profile, bank accounts, VAT rates, settings and the audit log.

Every change to the profile or bank accounts is written to the audit log with who made it and
each field's value before and after.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, fields
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from minichat_desktop.domain.models import AuditEntry, BankAccount, Setting, Shop, VatRate
from minichat_desktop.domain.promptpay import PromptPayError, normalize_promptpay_id
from minichat_desktop.domain.thai import BANGKOK as BANGKOK
from minichat_desktop.domain.thai import ThaiFormatError, validate_tax_id
from minichat_desktop.errors import NotFound, UserError

# VAT in Thailand is 10 % by statute, cut to 7 % by a Royal Decree renewed every year. A new
# database starts with the reduced rate; the owner records a change with set_vat_rate().
DEFAULT_VAT = (700, dt.date(2025, 10, 1), "อัตราลดตามพระราชกฤษฎีกา (ต่ออายุทุกปี)")


def bangkok_today(now: dt.datetime | None = None) -> dt.date:
    return (now or dt.datetime.now(dt.UTC)).astimezone(BANGKOK).date()


@dataclass(frozen=True, slots=True)
class BankAccountView:
    id: int
    bank: str
    account_name: str
    account_number: str
    branch: str


@dataclass(frozen=True, slots=True)
class ShopProfile:
    name: str
    name_en: str
    address: str
    phone: str
    email: str
    tax_id: str
    branch_code: str
    branch_name: str
    vat_registered: bool
    prices_include_vat: bool
    promptpay_id: str
    order_prefix: str
    logo_path: str
    bank_accounts: tuple[BankAccountView, ...]
    pos_number: str = ""  # the cash register's registration number (abbreviated invoices)

    @property
    def branch_label(self) -> str:
        """How the branch reads on a tax invoice."""
        if self.branch_code == "00000":
            return "สำนักงานใหญ่"
        return f"สาขาที่ {self.branch_code}" + (f" {self.branch_name}" if self.branch_name else "")


_EDITABLE = {
    "name",
    "name_en",
    "address",
    "phone",
    "email",
    "tax_id",
    "branch_code",
    "branch_name",
    "vat_registered",
    "prices_include_vat",
    "promptpay_id",
    "order_prefix",
    "logo_path",
    "pos_number",
}


def _shop_row(session: Session) -> Shop:
    shop = session.get(Shop, 1)
    if shop is None:
        shop = Shop(id=1)
        session.add(shop)
        session.flush()
    return shop


def ensure_defaults(session: Session) -> None:
    """A new database gets its shop row and the current VAT rate."""
    _shop_row(session)
    if session.scalar(select(VatRate.id).limit(1)) is None:
        rate, since, note = DEFAULT_VAT
        session.add(VatRate(rate_bp=rate, effective_from=since, note=note))
        session.flush()


def get_profile(session: Session) -> ShopProfile:
    shop = session.get(Shop, 1) or Shop(
        id=1,
        name="",
        name_en="",
        address="",
        phone="",
        email="",
        tax_id="",
        branch_code="00000",
        branch_name="",
        vat_registered=False,
        prices_include_vat=True,
        promptpay_id="",
        order_prefix="MC",
        logo_path="",
        pos_number="",
    )
    accounts = session.scalars(select(BankAccount).order_by(BankAccount.position, BankAccount.id))
    return ShopProfile(
        **{f.name: getattr(shop, f.name) for f in fields(ShopProfile) if f.name != "bank_accounts"},
        bank_accounts=tuple(
            BankAccountView(a.id, a.bank, a.account_name, a.account_number, a.branch)
            for a in accounts
        ),
    )


def _clean(field: str, value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
    if field == "tax_id" and value:
        try:
            return validate_tax_id(value)
        except ThaiFormatError as exc:
            raise UserError("shop.invalid_tax_id", str(exc), field="tax_id", value=value) from exc
    if field == "promptpay_id" and value:
        try:
            return normalize_promptpay_id(value)[1]
        except PromptPayError as exc:
            raise UserError(
                "shop.invalid_promptpay", str(exc), field="promptpay_id", value=value
            ) from exc
    if field == "branch_code":
        if not (isinstance(value, str) and len(value) == 5 and value.isdigit()):
            raise UserError(
                "shop.invalid_branch",
                "the branch code is 5 digits (00000 for the head office)",
                field="branch_code",
                value=value,
            )
    if field == "pos_number":
        text = "".join(str(value).split()).upper()
        if text and not re.fullmatch(r"[A-Z0-9][A-Z0-9/-]{0,39}", text):
            raise UserError(
                "shop.invalid_pos_number",
                "the cash register's registration number is letters and digits "
                "(as the Revenue Department issued it, e.g. E0123456789012)",
                field="pos_number",
                value=value,
            )
        return text
    if field == "order_prefix":
        if not (
            isinstance(value, str) and 1 <= len(value) <= 6 and value.isalnum() and value.isascii()
        ):
            raise UserError(
                "shop.invalid_prefix",
                "the order prefix is 1-6 letters or digits",
                field="order_prefix",
                value=value,
            )
        return value.upper()
    return value


def update_profile(session: Session, actor: str, **changes: Any) -> ShopProfile:
    """Change fields of the profile. Raises :class:`UserError` naming the first bad field
    (unknown field, tax ID with a wrong check digit, invalid PromptPay ID, …); nothing is
    changed then."""
    unknown = set(changes) - _EDITABLE
    if unknown:
        raise UserError(
            "shop.unknown_field", f"no shop field {sorted(unknown)[0]}", field=sorted(unknown)[0]
        )
    cleaned = {k: _clean(k, v) for k, v in changes.items()}
    shop = _shop_row(session)
    diff = {k: [getattr(shop, k), v] for k, v in cleaned.items() if getattr(shop, k) != v}
    if cleaned.get("vat_registered", shop.vat_registered) and not cleaned.get(
        "tax_id", shop.tax_id
    ):
        raise UserError(
            "shop.vat_needs_tax_id", "a VAT-registered shop needs its tax ID", field="tax_id"
        )
    for k, v in cleaned.items():
        setattr(shop, k, v)
    if diff:
        shop.updated_at = dt.datetime.now(dt.UTC)
        session.add(
            AuditEntry(
                actor=actor, action="shop.update", entity="shop", entity_id="1", changes=diff
            )
        )
    session.flush()
    return get_profile(session)


def add_bank_account(
    session: Session,
    actor: str,
    *,
    bank: str,
    account_name: str,
    account_number: str,
    branch: str = "",
) -> BankAccountView:
    digits = "".join(ch for ch in account_number if ch.isdigit())
    if not bank.strip() or not account_name.strip():
        raise UserError("bank.required", "give the bank and the account name")
    if not 10 <= len(digits) <= 15:
        raise UserError(
            "bank.invalid_number",
            f"account number {account_number!r} should have 10 to 15 digits",
            field="account_number",
            value=account_number,
        )
    position = len(session.scalars(select(BankAccount.id)).all())
    acc = BankAccount(
        bank=bank.strip(),
        account_name=account_name.strip(),
        account_number=account_number.strip(),
        branch=branch.strip(),
        position=position,
    )
    session.add(acc)
    session.flush()
    session.add(
        AuditEntry(
            actor=actor,
            action="bank.add",
            entity="bank_account",
            entity_id=str(acc.id),
            changes={"account_number": [None, acc.account_number]},
        )
    )
    return BankAccountView(acc.id, acc.bank, acc.account_name, acc.account_number, acc.branch)


def remove_bank_account(session: Session, actor: str, account_id: int) -> None:
    acc = session.get(BankAccount, account_id)
    if acc is None:
        raise NotFound("bank.not_found", f"no bank account with id {account_id}", id=account_id)
    session.add(
        AuditEntry(
            actor=actor,
            action="bank.remove",
            entity="bank_account",
            entity_id=str(acc.id),
            changes={"account_number": [acc.account_number, None]},
        )
    )
    session.delete(acc)
    session.flush()


# ---------------------------------------------------------------------------- VAT


def vat_rate_bp(session: Session, on: dt.date) -> int:
    """The VAT rate (basis points) in force on a Bangkok date. Raises :class:`UserError` when
    no rate has been set for that date."""
    rate = session.scalar(
        select(VatRate.rate_bp)
        .where(VatRate.effective_from <= on)
        .order_by(VatRate.effective_from.desc())
        .limit(1)
    )
    if rate is None:
        raise UserError(
            "vat.no_rate", f"no VAT rate is set for {on.isoformat()}", date=on.isoformat()
        )
    return int(rate)


def set_vat_rate(
    session: Session, actor: str, rate_bp: int, effective_from: dt.date, note: str = ""
) -> None:
    if not 0 <= rate_bp <= 10000:
        raise UserError("vat.invalid_rate", "a VAT rate is between 0 and 100 %", value=rate_bp)
    row = session.scalar(select(VatRate).where(VatRate.effective_from == effective_from))
    before = row.rate_bp if row else None
    if row is None:
        row = VatRate(rate_bp=rate_bp, effective_from=effective_from, note=note)
        session.add(row)
    else:
        row.rate_bp, row.note = rate_bp, note
    session.add(
        AuditEntry(
            actor=actor,
            action="vat.set",
            entity="vat_rate",
            entity_id=effective_from.isoformat(),
            changes={"rate_bp": [before, rate_bp]},
        )
    )
    session.flush()


def vat_rates(session: Session) -> list[tuple[dt.date, int, str]]:
    return [
        (r.effective_from, r.rate_bp, r.note)
        for r in session.scalars(select(VatRate).order_by(VatRate.effective_from))
    ]


# ---------------------------------------------------------------------------- settings, audit


def get_setting(session: Session, key: str, default: Any = None) -> Any:
    row = session.get(Setting, key)
    return default if row is None else row.value.get("v", default)


def put_setting(session: Session, key: str, value: Any) -> None:
    row = session.get(Setting, key)
    if row is None:
        session.add(Setting(key=key, value={"v": value}))
    else:
        row.value = {"v": value}
    session.flush()


@dataclass(frozen=True, slots=True)
class AuditView:
    at: dt.datetime
    actor: str
    action: str
    entity: str
    entity_id: str
    changes: dict[str, Any]


def audit_log(session: Session, *, entity: str | None = None, limit: int = 200) -> list[AuditView]:
    stmt = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if entity:
        stmt = stmt.where(AuditEntry.entity == entity)
    return [
        AuditView(a.at, a.actor, a.action, a.entity, a.entity_id, dict(a.changes))
        for a in session.scalars(stmt)
    ]
