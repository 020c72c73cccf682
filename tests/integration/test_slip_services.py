"""Online slip checks against local stand-ins that speak SlipOK's and EasySlip's documented wire
formats: each service's success and failure answers, what goes over the wire, timeouts and
garbage, and the use case end to end on a real shop database — with the key never in a log
line nor in any SQLite file."""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest
from support.slip_services import FakeEasySlip, FakeSlipOK, Slip

from minichat_desktop.app import slip_verify
from minichat_desktop.domain import shop
from minichat_desktop.domain.catalog import products as catalog
from minichat_desktop.domain.catalog.products import ProductInput
from minichat_desktop.domain.models import Channel
from minichat_desktop.domain.payments.verification import Code, Outcome
from minichat_desktop.domain.sales import orders
from minichat_desktop.domain.sales.orders import LineInput, NewOrder
from minichat_desktop.formats.slip_services import Service, ServiceConfig, SlipChecker
from minichat_desktop.secrets import Secrets, slip_key
from minichat_desktop.storage.db import Database

KEY = "SLIPOK-KEY-MUST-NEVER-BE-LOGGED-OR-STORED-7731"
ES_KEY = "0b3f9a2c-5d6e-4f70-8a91-b2c3d4e5f607"
PAYLOAD = "0041000600000101030040220014242082547BPM049885102TH9104E3F6"
WHEN = dt.datetime(2026, 12, 6, 7, 30, tzinfo=dt.UTC)  # 14:30 in Bangkok
SLIP = Slip(PAYLOAD, "014242082547BPM04988", Decimal("1040.5"), WHEN)


@pytest.fixture
async def slipok() -> AsyncIterator[FakeSlipOK]:
    fake = FakeSlipOK(KEY)
    fake.add(SLIP)
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def easyslip() -> AsyncIterator[FakeEasySlip]:
    fake = FakeEasySlip(ES_KEY)
    fake.add(SLIP)
    await fake.start()
    yield fake
    await fake.stop()


def _slipok(fake: FakeSlipOK, key: str = KEY, **kw: object) -> SlipChecker:
    config = ServiceConfig(Service.SLIPOK, fake.base_url, fake.branch, **kw)  # type: ignore[arg-type]
    return SlipChecker(config, key)


def _easyslip(fake: FakeEasySlip, key: str = ES_KEY, **kw: object) -> SlipChecker:
    return SlipChecker(ServiceConfig(Service.EASYSLIP, fake.base_url, **kw), key)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------- SlipOK


async def test_slipok_success_reads_every_field_exactly(slipok: FakeSlipOK) -> None:
    """A found slip: amount exact (1040.5 → 104050 satang), time in UTC, banks, receiver."""
    check = await _slipok(slipok).verify(PAYLOAD, 104050)
    assert check.outcome is Outcome.PASSED
    assert check.code is Code.OK
    assert (check.amount_satang, check.trans_ref, check.when) == (
        104050,
        "014242082547BPM04988",
        WHEN,
    )
    assert (check.sending_bank, check.receiving_bank) == ("004", "014")
    assert (check.receiver_name, check.receiver_account) == ("ร้าน มินิแชท", "xxx-x-x1234-x")


async def test_slipok_gets_the_key_header_and_an_exact_json_body(slipok: FakeSlipOK) -> None:
    await _slipok(slipok).verify(f"  {PAYLOAD}\n", 104050)
    [seen] = slipok.requests
    assert (seen.method, seen.path) == ("POST", "/api/line/apikey/12345")
    assert seen.headers["x-authorization"] == KEY
    assert seen.headers["Content-Type"] == "application/json"
    assert '"amount": 1040.50' in seen.body  # an exact number, never a float's digits
    assert json.loads(seen.body, parse_float=Decimal) == {
        "data": PAYLOAD,
        "log": True,
        "amount": Decimal("1040.50"),
    }


@pytest.mark.parametrize(
    ("setup", "outcome", "code", "provider_code"),
    [
        ("bad_key", Outcome.ERROR, Code.BAD_KEY, "1002"),
        ("bad_branch", Outcome.ERROR, Code.BAD_BRANCH, "1001"),
        ("quota", Outcome.ERROR, Code.QUOTA, "1004"),
        ("unknown", Outcome.FAILED, Code.NOT_FOUND, "1011"),
        ("not_a_slip", Outcome.FAILED, Code.NOT_A_SLIP, "1008"),
        ("server_error", Outcome.ERROR, Code.UNAVAILABLE, "http 500"),
        ("html", Outcome.ERROR, Code.UNAVAILABLE, "http 502"),
        ("garbage", Outcome.ERROR, Code.BAD_ANSWER, "http 200"),
    ],
)
async def test_slipok_failures_are_sorted(
    slipok: FakeSlipOK, setup: str, outcome: Outcome, code: Code, provider_code: str
) -> None:
    """Each documented failure answer (and a broken one) becomes its neutral code."""
    key, branch, payload = KEY, slipok.branch, PAYLOAD
    if setup == "bad_key":
        key = "wrong"
    elif setup == "bad_branch":
        branch = "999"
    elif setup == "quota":
        slipok.quota = 0
    elif setup == "unknown":
        payload = "0041000600000101030040220014999999999BPM000000102TH9104ABCD"
    elif setup == "not_a_slip":
        payload = "00020101021129370016A000000677010111011300668123456785802TH5303764"
    else:
        slipok.force = setup
    checker = SlipChecker(ServiceConfig(Service.SLIPOK, slipok.base_url, branch), key)
    check = await checker.verify(payload, 104050)
    assert (check.outcome, check.code, check.provider_code) == (outcome, code, provider_code)


async def test_slipok_duplicate_carries_the_slip_data(slipok: FakeSlipOK) -> None:
    """With ``log: true`` a second check of the same slip is 1012, with the slip's data."""
    first = await _slipok(slipok).verify(PAYLOAD, 104050)
    again = await _slipok(slipok).verify(PAYLOAD, 104050)
    assert first.outcome is Outcome.PASSED
    assert (again.outcome, again.code, again.provider_code) == (
        Outcome.FAILED,
        Code.DUPLICATE,
        "1012",
    )
    assert (again.amount_satang, again.trans_ref) == (104050, "014242082547BPM04988")


async def test_slipok_wrong_amount_by_one_satang_is_1013(slipok: FakeSlipOK) -> None:
    check = await _slipok(slipok).verify(PAYLOAD, 104051)
    assert (check.outcome, check.code, check.provider_code) == (
        Outcome.FAILED,
        Code.AMOUNT_MISMATCH,
        "1013",
    )
    assert check.amount_satang == 104050


async def test_no_key_and_no_branch_are_said_without_a_request(slipok: FakeSlipOK) -> None:
    no_key = await _slipok(slipok, key="").verify(PAYLOAD)
    config = ServiceConfig(Service.SLIPOK, slipok.base_url, "")
    no_branch = await SlipChecker(config, KEY).verify(PAYLOAD)
    assert (no_key.code, no_branch.code) == (Code.NO_KEY, Code.BAD_BRANCH)
    assert slipok.requests == []


async def test_a_service_that_never_answers_is_a_timeout_and_no_retry(slipok: FakeSlipOK) -> None:
    """One request only: a retry could spend the owner's quota twice."""
    slipok.force = "hang"
    check = await _slipok(slipok, timeout=0.3).verify(PAYLOAD, 104050)
    assert (check.outcome, check.code) == (Outcome.ERROR, Code.TIMEOUT)
    assert len(slipok.requests) == 1


async def test_an_unreachable_service_is_unavailable() -> None:
    config = ServiceConfig(Service.SLIPOK, "http://127.0.0.1:9", "12345", timeout=3)
    check = await SlipChecker(config, KEY).verify(PAYLOAD)
    assert (check.outcome, check.code, check.provider_code) == (
        Outcome.ERROR,
        Code.UNAVAILABLE,
        "network",
    )


async def test_slipok_connection_test_reads_the_quota(slipok: FakeSlipOK) -> None:
    ok = await _slipok(slipok).test_connection()
    refused = await _slipok(slipok, key="wrong").test_connection()
    assert (ok.outcome, ok.message) == (Outcome.PASSED, "quota 100")
    assert (refused.outcome, refused.code) == (Outcome.ERROR, Code.BAD_KEY)
    assert slipok.requests[0].path == "/api/line/apikey/12345/quota"


# ---------------------------------------------------------------------------- EasySlip


async def test_easyslip_success_reads_every_field_exactly(easyslip: FakeEasySlip) -> None:
    check = await _easyslip(easyslip).verify(PAYLOAD, 104050)
    assert (check.outcome, check.code) == (Outcome.PASSED, Code.OK)
    assert (check.amount_satang, check.trans_ref, check.when) == (
        104050,
        "014242082547BPM04988",
        WHEN,
    )
    assert (check.sending_bank, check.receiving_bank, check.receiver_account) == (
        "004",
        "014",
        "xxx-x-x1234-x",
    )
    [seen] = easyslip.requests
    assert (seen.method, seen.path) == ("GET", "/api/v1/verify")
    assert seen.query == {"payload": PAYLOAD, "checkDuplicate": "true"}
    assert seen.headers["Authorization"] == f"Bearer {ES_KEY}"


@pytest.mark.parametrize(
    ("setup", "outcome", "code", "provider_code"),
    [
        ("bad_key", Outcome.ERROR, Code.BAD_KEY, "unauthorized"),
        ("quota", Outcome.ERROR, Code.QUOTA, "quota_exceeded"),
        ("unknown", Outcome.FAILED, Code.NOT_FOUND, "slip_not_found"),
        ("malformed", Outcome.FAILED, Code.NOT_A_SLIP, "invalid_payload"),
        ("server_error", Outcome.ERROR, Code.UNAVAILABLE, "server_error"),
        ("html", Outcome.ERROR, Code.UNAVAILABLE, "http 502"),
        ("garbage", Outcome.ERROR, Code.BAD_ANSWER, "http 200"),
    ],
)
async def test_easyslip_failures_are_sorted(
    easyslip: FakeEasySlip, setup: str, outcome: Outcome, code: Code, provider_code: str
) -> None:
    key, payload = ES_KEY, PAYLOAD
    if setup == "bad_key":
        key = "00000000-0000-0000-0000-000000000000"
    elif setup == "quota":
        easyslip.quota = 0
    elif setup == "unknown":
        payload = "0041000600000101030040220014999999999BPM000000102TH9104ABCD"
    elif setup == "malformed":
        payload = "x" * 300
    else:
        easyslip.force = setup
    check = await _easyslip(easyslip, key=key).verify(payload)
    assert (check.outcome, check.code, check.provider_code) == (outcome, code, provider_code)


async def test_easyslip_duplicate_carries_the_slip_data(easyslip: FakeEasySlip) -> None:
    await _easyslip(easyslip).verify(PAYLOAD)
    again = await _easyslip(easyslip).verify(PAYLOAD)
    assert (again.outcome, again.code, again.provider_code) == (
        Outcome.FAILED,
        Code.DUPLICATE,
        "duplicate_slip",
    )
    assert again.amount_satang == 104050


async def test_easyslip_connection_test_reads_the_remaining_quota(easyslip: FakeEasySlip) -> None:
    ok = await _easyslip(easyslip).test_connection()
    assert (ok.outcome, ok.message) == (Outcome.PASSED, "quota 100")
    assert easyslip.requests[0].path == "/api/v1/me"


# ---------------------------------------------------------------------------- the use case


def _shop_with_order(db: Database) -> int:
    with db.write() as s:
        shop.ensure_defaults(s)
        shop.update_profile(s, "owner", name="ร้านทดสอบ", promptpay_id="0812345678")
        shop.add_bank_account(
            s, "owner", bank="กสิกรไทย", account_name="ร้านทดสอบ", account_number="123-4-51234-5"
        )
        catalog.save_product(
            s, ProductInput(sku="P1", name_th="เสื้อ", price_satang=104050, stock=5), "owner"
        )
        order = orders.place_order(
            s, NewOrder(channel=Channel.WIDGET, lines=[LineInput(quantity=1, sku="P1")]), "bot"
        )
        return order.id


def _file_bytes(db: Database) -> bytes:
    path = Path(db.path)
    data = b""
    for p in path.parent.rglob("*"):
        if p.is_file():
            data += p.read_bytes()
    return data


async def test_the_use_case_passes_a_good_slip_and_allows_auto_confirm_only_when_on(
    db: Database, tmp_path: Path, slipok: FakeSlipOK, caplog: pytest.LogCaptureFixture
) -> None:
    """End to end on a real database: the settings, the key from the keyring, the stand-in,
    the rules. The key is in no log line and in no file of the data folder."""
    caplog.set_level(logging.DEBUG)
    order_id = _shop_with_order(db)
    with db.read() as s:
        placed = orders.get_order(s, order_id).created_at
    slipok.slips.clear()
    slipok.add(Slip(PAYLOAD, "014242082547BPM04988", Decimal("1040.50"), placed))
    secrets = Secrets(tmp_path)
    secrets.set(slip_key("slipok"), KEY)
    with db.write() as s:
        slip_verify.save_settings(s, "slipok", branch_id="12345", base_url=slipok.base_url)
    now = placed + dt.timedelta(minutes=10)

    result = await slip_verify.check_slip(db, secrets, order_id, PAYLOAD, now=now)
    assert (result.status, result.note, result.amount_satang, result.at) == (
        "passed",
        "",
        104050,
        now,
    )
    assert result.auto_confirm is False  # the owner did not turn it on

    with db.write() as s:
        settings = slip_verify.save_settings(
            s, "slipok", branch_id="12345", base_url=slipok.base_url, auto_confirm=True
        )
    assert settings.auto_confirm
    slipok.used.clear()
    again = await slip_verify.check_slip(db, secrets, order_id, PAYLOAD, now=now)
    assert (again.status, again.auto_confirm) == ("passed", True)

    assert all(KEY not in r.getMessage() for r in caplog.records)
    assert KEY not in caplog.text
    assert KEY.encode() not in _file_bytes(db)


async def test_the_use_case_fails_a_slip_from_before_the_order_to_another_account(
    db: Database, tmp_path: Path, easyslip: FakeEasySlip, caplog: pytest.LogCaptureFixture
) -> None:
    """EasySlip end to end: both reasons, no auto-confirm; the Bearer key in no log line
    and no file of the data folder."""
    caplog.set_level(logging.DEBUG)
    order_id = _shop_with_order(db)
    with db.read() as s:
        placed = orders.get_order(s, order_id).created_at
    easyslip.slips.clear()
    easyslip.add(
        Slip(
            PAYLOAD,
            "014242082547BPM04988",
            Decimal("1040.50"),
            placed - dt.timedelta(days=2),
            receiver_account="xxx-x-x9999-x",
        )
    )
    secrets = Secrets(tmp_path)
    secrets.set(slip_key("easyslip"), ES_KEY)
    with db.write() as s:
        slip_verify.save_settings(s, "easyslip", base_url=easyslip.base_url, auto_confirm=True)
    result = await slip_verify.check_slip(
        db, secrets, order_id, PAYLOAD, now=placed + dt.timedelta(minutes=1)
    )
    assert result.status == "failed"
    assert result.auto_confirm is False
    assert [r.code for r in result.reasons] == [Code.RECEIVER_MISMATCH, Code.BEFORE_ORDER]
    assert result.note.splitlines()[0] == (
        "บัญชีผู้รับ xxx-x-x9999-x ไม่ใช่บัญชีของร้าน (ตรวจเลขบัญชีในหน้าข้อมูลร้าน)"
    )
    assert ES_KEY not in caplog.text
    assert ES_KEY.encode() not in _file_bytes(db)


async def test_the_use_case_without_a_service_is_an_error_not_a_pass(
    db: Database, tmp_path: Path
) -> None:
    order_id = _shop_with_order(db)
    result = await slip_verify.check_slip(db, Secrets(tmp_path), order_id, PAYLOAD)
    assert (result.status, result.auto_confirm) == ("error", False)
    assert result.note == "ยังไม่ได้ตั้งค่าการตรวจสลิปออนไลน์ (ตั้งค่า → ตรวจสลิปออนไลน์)"


def test_settings_refuse_what_cannot_work(db: Database) -> None:
    from minichat_desktop.errors import UserError

    cases = [
        (("paypal",), {}, "slipcheck.unknown_provider"),
        (("slipok",), {"branch_id": ""}, "slipcheck.bad_branch"),
        (("easyslip",), {"base_url": "ftp://x"}, "slipcheck.bad_url"),
        (("easyslip",), {"timeout_s": 1.0}, "slipcheck.bad_timeout"),
    ]
    for args, kwargs, code in cases:
        with pytest.raises(UserError) as caught, db.write() as s:
            slip_verify.save_settings(s, *args, **kwargs)  # type: ignore[arg-type]
        assert caught.value.code == code
    with db.read() as s:
        assert slip_verify.load_settings(s) == slip_verify.SlipCheckSettings()


async def test_checking_the_same_slip_again_for_its_order_is_not_called_a_reuse(
    db: Database, tmp_path: Path, slipok: FakeSlipOK
) -> None:
    """SlipOK answers 1012 to a second check of a logged slip: with the reference recorded
    for this order it still passes; for another order it is a reuse."""
    order_id = _shop_with_order(db)
    with db.read() as s:
        placed = orders.get_order(s, order_id).created_at
    slipok.slips.clear()
    slipok.add(Slip(PAYLOAD, "014242082547BPM04988", Decimal("1040.50"), placed))
    secrets = Secrets(tmp_path)
    secrets.set(slip_key("slipok"), KEY)
    with db.write() as s:
        slip_verify.save_settings(s, "slipok", branch_id="12345", base_url=slipok.base_url)
    now = placed + dt.timedelta(minutes=3)
    first = await slip_verify.check_slip(db, secrets, order_id, PAYLOAD, now=now)
    ours = frozenset({first.check.trans_ref})
    again = await slip_verify.check_slip(db, secrets, order_id, PAYLOAD, now=now, checked_refs=ours)
    reused = await slip_verify.check_slip(db, secrets, order_id, PAYLOAD, now=now)
    assert (first.status, again.status, reused.status) == ("passed", "passed", "failed")
    assert again.check.provider_code == "1012"
    assert [r.code for r in reused.reasons] == [Code.DUPLICATE]
