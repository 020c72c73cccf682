"""Reading SlipOK's and EasySlip's answers (no network: the readers take a status and a body):
amounts exact to the satang whatever JSON number the service writes, times in UTC, and the
documented error answers sorted into neutral codes."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from minichat_desktop.domain.payments.verification import Code, Outcome
from minichat_desktop.formats.slip_services import read_easyslip, read_slipok


def _number(satang: int, style: str) -> str:
    """How a JavaScript service may write the amount: 1040, 1040.5 or 1040.50."""
    baht = Decimal(satang).scaleb(-2)
    if style == "short":
        return format(baht.normalize(), "f") if satang else "0"
    return f"{baht:.2f}"


@given(satang=st.integers(min_value=0, max_value=10**11), style=st.sampled_from(["short", "2dp"]))
def test_any_amount_is_read_exactly(satang: int, style: str) -> None:
    number = _number(satang, style)
    slipok = read_slipok(200, f'{{"success": true, "data": {{"amount": {number}}}}}')
    easyslip = read_easyslip(
        200, f'{{"status": 200, "data": {{"amount": {{"amount": {number}}}}}}}'
    )
    assert slipok.amount_satang == easyslip.amount_satang == satang


@pytest.mark.parametrize("amount", ["1040.555", "-5", "true", '"abc"', "1e400", "Infinity"])
def test_an_amount_that_is_not_whole_satang_is_a_bad_answer_not_a_guess(amount: str) -> None:
    from minichat_desktop.formats import slip_services

    with pytest.raises(slip_services._BadAnswer):
        read_slipok(200, f'{{"success": true, "data": {{"amount": {amount}}}}}')


def test_slipok_time_comes_from_the_timestamp_or_the_bangkok_date_and_time() -> None:
    stamped = read_slipok(
        200,
        json.dumps(
            {"success": True, "data": {"transTimestamp": "2020-04-01T03:15:07.000Z", "amount": 1}}
        ),
    )
    local = read_slipok(
        200,
        json.dumps(
            {
                "success": True,
                "data": {"transDate": "20200401", "transTime": "10:15:07", "amount": 1},
            }
        ),
    )
    assert stamped.when == local.when == dt.datetime(2020, 4, 1, 3, 15, 7, tzinfo=dt.UTC)


def test_easyslip_time_with_an_offset_is_kept_in_utc() -> None:
    check = read_easyslip(
        200,
        '{"status": 200, "data": {"date": "2023-01-01T00:00:00+07:00", "amount": {"amount": 1}}}',
    )
    assert check.when == dt.datetime(2022, 12, 31, 17, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("code", "outcome", "neutral"),
    [
        (1000, Outcome.ERROR, Code.BAD_REQUEST),
        (1001, Outcome.ERROR, Code.BAD_BRANCH),
        (1002, Outcome.ERROR, Code.BAD_KEY),
        (1003, Outcome.ERROR, Code.ACCOUNT_BLOCKED),
        (1004, Outcome.ERROR, Code.QUOTA),
        (1007, Outcome.FAILED, Code.NOT_A_SLIP),
        (1008, Outcome.FAILED, Code.NOT_A_SLIP),
        (1009, Outcome.ERROR, Code.UNAVAILABLE),
        (1010, Outcome.ERROR, Code.TOO_SOON),
        (1011, Outcome.FAILED, Code.NOT_FOUND),
        (1012, Outcome.FAILED, Code.DUPLICATE),
        (1013, Outcome.FAILED, Code.AMOUNT_MISMATCH),
        (1014, Outcome.FAILED, Code.RECEIVER_MISMATCH),
    ],
)
def test_slipok_error_codes(code: int, outcome: Outcome, neutral: Code) -> None:
    check = read_slipok(400, json.dumps({"code": code, "message": "ข้อความ"}))
    assert (check.outcome, check.code, check.provider_code, check.message) == (
        outcome,
        neutral,
        str(code),
        "ข้อความ",
    )


def test_an_unknown_slipok_code_falls_back_on_the_http_status() -> None:
    assert read_slipok(503, '{"code": 4242}').code is Code.UNAVAILABLE
    assert read_slipok(401, '{"message": "nope"}').code is Code.BAD_KEY
    assert read_slipok(400, '{"code": "1012"}').code is Code.BAD_ANSWER  # a code is a number


@pytest.mark.parametrize(
    ("status", "message", "outcome", "neutral"),
    [
        (400, "invalid_payload", Outcome.FAILED, Code.NOT_A_SLIP),
        (401, "unauthorized", Outcome.ERROR, Code.BAD_KEY),
        (403, "access_denied", Outcome.ERROR, Code.ACCOUNT_BLOCKED),
        (403, "application_expired", Outcome.ERROR, Code.ACCOUNT_BLOCKED),
        (403, "quota_exceeded", Outcome.ERROR, Code.QUOTA),
        (404, "slip_not_found", Outcome.FAILED, Code.NOT_FOUND),
        (404, "qrcode_not_found", Outcome.FAILED, Code.NOT_A_SLIP),
        (400, "duplicate_slip", Outcome.FAILED, Code.DUPLICATE),
        (429, "too_many_requests", Outcome.ERROR, Code.UNAVAILABLE),
        (500, "server_error", Outcome.ERROR, Code.UNAVAILABLE),
        (500, "api_server_error", Outcome.ERROR, Code.UNAVAILABLE),
    ],
)
def test_easyslip_error_messages(
    status: int, message: str, outcome: Outcome, neutral: Code
) -> None:
    check = read_easyslip(status, json.dumps({"status": status, "message": message}))
    assert (check.outcome, check.code, check.provider_code) == (outcome, neutral, message)
