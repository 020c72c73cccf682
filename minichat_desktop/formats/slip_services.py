"""Online slip checks through the service the owner chose — SlipOK or EasySlip — over httpx,
each in its own wire format, every answer turned into the neutral
:class:`~minichat_desktop.domain.payments.verification.OnlineCheck`.

**SlipOK** (where each fact comes from):

- ``POST https://api.slipok.com/api/line/apikey/<BRANCH_ID>``, header ``x-authorization:
  <API key>``; optional body field ``amount`` (number) to cross-check the slip's amount —
  slipok.com/api-documentation/check-slip/ ("Check Slip Request"). The QR payload goes in
  ``data`` (JSON), and ``log: true`` records the slip on SlipOK's side so a second check of the
  same slip answers 1012 and a wrong receiver 1014 — api-documentation changelog v1.2
  ("Add log parameter … Repeated slip sent will trigger error code 1012 … Wrong account will
  trigger error code 1014 … amount parameter … Wrong amount will trigger error code 1013").
- Success: ``{"success": true, "data": {"success": true, "message": "✅", "language",
  "receivingBank": "006", "sendingBank": "004", "transRef": "010092101507665143",
  "transDate": "20200401" (yyyyMMdd), "transTime": "10:15:07", "transTimestamp":
  "2020-04-01T03:15:07.000Z" (ISO 8601, UTC), "sender": {"displayName", "name", "proxy":
  {"type", "value"}, "account": {"type", "value"}}, "receiver": {same}, "amount": number}}``;
  proxy types NATID, MSISDN, EWALLETID, EMAIL, BILLERID; "the value is always masked" —
  check-slip page, "Check Slip Response" table (the sender half is in the stored copy; the
  receiver has the same shape in every client seen).
- Errors: ``{"code": <int>, "message": "…"}`` (1012 also carries the slip's ``data`` since
  v1.4; 1010 "delay" carries bankCode/bankName/delay) — changelog v1.1–v1.4. Codes 1010, 1012,
  1013, 1014 are confirmed by that changelog; 1000 (no QR data sent), 1001 (branch not found),
  1002 (bad authorization header), 1003 (package expired), 1004 (quota used up), 1005/1006
  (not an image), 1007 (no QR in the image), 1008 (not a payment slip QR), 1009 (bank data
  temporarily unavailable) and 1011 (QR expired or no such transfer) are from SlipOK's error
  table as published on the same site, *not* in the stored copy checked here — confirm them
  against slipok.com/api-documentation before relying on the distinction. We never branch on
  the HTTP status when a code is present.
- The connection test uses the quota route added in v1.3 (``GET …/<BRANCH_ID>/quota``, same
  header; its path is from SlipOK's documentation, not the stored copy).

**EasySlip** (API v1):

- ``GET https://developer.easyslip.com/api/v1/verify?payload=<QR payload>&checkDuplicate=true``
  with ``Authorization: Bearer <API key>`` — easyslip-document…/en/v1/verify/bank/payload and
  document.easyslip.com/documents/verify/bank/payload; the JS SDK
  (github.com/M4h45amu7x/easyslip-client-javascript, src/app/EasySlip.ts) calls it the same way.
- Success ``{"status": 200, "data": {"payload", "transRef", "date": ISO 8601 with offset,
  "countryCode", "amount": {"amount": number, "local": {…}}, "fee", "ref1..3", "sender",
  "receiver": {"bank": {"id", "name", "short"}, "account": {"name": {"th", "en"}, "bank":
  {"type": BANKAC|TOKEN|DUMMY, "account": masked}, "proxy": {"type", "account"}},
  "merchantId"}}}`` — same pages, and the SDK's src/types/Response.ts.
- Errors ``{"status": <http status>, "message": <code>}``; ``data`` is included with
  ``duplicate_slip`` — the v1 payload page ("ErrorResponse … data?: SlipData; // Included when
  duplicate_slip"). Codes from the SDK's ErrorResponse: invalid_payload, invalid_image,
  image_size_too_large, unauthorized, access_denied, account_not_verified,
  application_expired, application_deactivated, quota_exceeded, slip_not_found,
  qrcode_not_found, method_not_allowed, too_many_requests, server_error, api_server_error;
  plus duplicate_slip from the docs.
- Connection test: ``GET …/api/v1/me`` → ``{"status": 200, "data": {"application",
  "usedQuota", "maxQuota", "remainingQuota", "expiredAt", "currentCredit"}}`` —
  easyslip-document…/en/v1/me and document.easyslip.com/documents/me.

**Promises.** One request per check and **no retries**: each call spends the owner's quota,
and a retry after a timeout could spend it twice for nothing. Every failure — no key, refused
key, quota, network, timeout, a 5xx, HTML or garbage where JSON was due — is an
:class:`OnlineCheck` with outcome ``error`` and a code; nothing here raises for what the network
or a service does. Amounts are read from JSON as :class:`~decimal.Decimal` (never float) and
must be whole satang. The key is sent only in its header and never logged.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

import httpx

from minichat_desktop.domain.payments.verification import Code, OnlineCheck, Outcome
from minichat_desktop.domain.thai import BANGKOK, satang_to_decimal

log = logging.getLogger(__name__)


class Service(StrEnum):
    SLIPOK = "slipok"
    EASYSLIP = "easyslip"


SERVICE_NAMES = {Service.SLIPOK: "SlipOK", Service.EASYSLIP: "EasySlip"}
DEFAULT_BASE_URL = {
    Service.SLIPOK: "https://api.slipok.com/api/line/apikey",
    Service.EASYSLIP: "https://developer.easyslip.com/api/v1",
}
DEFAULT_TIMEOUT = 15.0
MAX_SATANG = 10**15  # ten trillion baht: anything larger is not a transfer but a broken answer

# SlipOK's error codes → (outcome, neutral code). See the module docstring for the sources.
SLIPOK_CODES: dict[int, tuple[Outcome, Code]] = {
    1000: (Outcome.ERROR, Code.BAD_REQUEST),
    1001: (Outcome.ERROR, Code.BAD_BRANCH),
    1002: (Outcome.ERROR, Code.BAD_KEY),
    1003: (Outcome.ERROR, Code.ACCOUNT_BLOCKED),
    1004: (Outcome.ERROR, Code.QUOTA),
    1005: (Outcome.FAILED, Code.NOT_A_SLIP),
    1006: (Outcome.FAILED, Code.NOT_A_SLIP),
    1007: (Outcome.FAILED, Code.NOT_A_SLIP),
    1008: (Outcome.FAILED, Code.NOT_A_SLIP),
    1009: (Outcome.ERROR, Code.UNAVAILABLE),
    1010: (Outcome.ERROR, Code.TOO_SOON),
    1011: (Outcome.FAILED, Code.NOT_FOUND),
    1012: (Outcome.FAILED, Code.DUPLICATE),
    1013: (Outcome.FAILED, Code.AMOUNT_MISMATCH),
    1014: (Outcome.FAILED, Code.RECEIVER_MISMATCH),
}

# EasySlip v1's error messages → (outcome, neutral code).
EASYSLIP_CODES: dict[str, tuple[Outcome, Code]] = {
    "invalid_payload": (Outcome.FAILED, Code.NOT_A_SLIP),
    "invalid_image": (Outcome.FAILED, Code.NOT_A_SLIP),
    "image_size_too_large": (Outcome.FAILED, Code.NOT_A_SLIP),
    "qrcode_not_found": (Outcome.FAILED, Code.NOT_A_SLIP),
    "slip_not_found": (Outcome.FAILED, Code.NOT_FOUND),
    "duplicate_slip": (Outcome.FAILED, Code.DUPLICATE),
    "unauthorized": (Outcome.ERROR, Code.BAD_KEY),
    "access_denied": (Outcome.ERROR, Code.ACCOUNT_BLOCKED),
    "account_not_verified": (Outcome.ERROR, Code.ACCOUNT_BLOCKED),
    "application_expired": (Outcome.ERROR, Code.ACCOUNT_BLOCKED),
    "application_deactivated": (Outcome.ERROR, Code.ACCOUNT_BLOCKED),
    "quota_exceeded": (Outcome.ERROR, Code.QUOTA),
    "too_many_requests": (Outcome.ERROR, Code.UNAVAILABLE),
    "server_error": (Outcome.ERROR, Code.UNAVAILABLE),
    "api_server_error": (Outcome.ERROR, Code.UNAVAILABLE),
    "method_not_allowed": (Outcome.ERROR, Code.BAD_REQUEST),
}


@dataclass(frozen=True, slots=True)
class ServiceConfig:
    """Which service, where (``base_url`` "" = the service's own), SlipOK's branch id and the
    time one check may take, connection included."""

    service: Service
    base_url: str = ""
    branch_id: str = ""
    timeout: float = DEFAULT_TIMEOUT

    @property
    def url(self) -> str:
        return (self.base_url or DEFAULT_BASE_URL[self.service]).rstrip("/")


class _BadAnswer(Exception):
    """The service's answer is not what its documentation describes."""


# ---------------------------------------------------------------------------- reading answers


def _loads(text: str) -> Any:
    """JSON with every non-integer number as a Decimal (money never passes through float)."""
    try:
        return json.loads(text, parse_float=Decimal)
    except ValueError as exc:
        raise _BadAnswer(f"not JSON: {text[:60]!r}") from exc


def _satang(value: Any) -> int | None:
    """A JSON amount in baht as exact satang; None when absent. Raises :class:`_BadAnswer`
    for anything else (a bool, text that is no number, a fraction of a satang, a negative,
    Infinity, an absurd size)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | Decimal | str):
        raise _BadAnswer(f"amount {value!r} is not a number")
    try:
        baht = Decimal(value) if not isinstance(value, Decimal) else value
        satang = baht.scaleb(2)
    except InvalidOperation as exc:
        raise _BadAnswer(f"amount {value!r} is not a number") from exc
    if not satang.is_finite() or satang != satang.to_integral_value() or satang < 0:
        raise _BadAnswer(f"amount {value!r} is not whole satang")
    if satang > MAX_SATANG:
        raise _BadAnswer(f"amount {value!r} is beyond any transfer")
    return int(satang)


def _utc(text: Any) -> dt.datetime | None:
    """An ISO 8601 time as aware UTC (a time without an offset is Bangkok time)."""
    if not isinstance(text, str) or not text:
        return None
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError as exc:
        raise _BadAnswer(f"time {text!r} is not ISO 8601") from exc
    if when.tzinfo is None:
        when = when.replace(tzinfo=BANGKOK)
    return when.astimezone(dt.UTC)


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _str(value: Any) -> str:
    return value if isinstance(value, str) else "" if value is None else str(value)


def _slipok_when(data: dict[str, Any]) -> dt.datetime | None:
    when = _utc(data.get("transTimestamp"))
    if when is not None:
        return when
    day, clock = _str(data.get("transDate")), _str(data.get("transTime")) or "00:00:00"
    if not day:
        return None
    try:
        local = dt.datetime.strptime(f"{day} {clock}", "%Y%m%d %H:%M:%S")
    except ValueError as exc:
        raise _BadAnswer(f"transDate/transTime {day!r} {clock!r}") from exc
    return local.replace(tzinfo=BANGKOK).astimezone(dt.UTC)


def slipok_check(outcome: Outcome, code: Code, data: dict[str, Any], raw: str) -> OnlineCheck:
    """SlipOK's slip ``data`` object as an :class:`OnlineCheck`."""
    receiver = _obj(data.get("receiver"))
    proxy, account = _obj(receiver.get("proxy")), _obj(receiver.get("account"))
    return OnlineCheck(
        outcome=outcome,
        code=code,
        provider=Service.SLIPOK,
        provider_code=raw,
        amount_satang=_satang(data.get("amount")),
        trans_ref=_str(data.get("transRef")),
        when=_slipok_when(data),
        sending_bank=_str(data.get("sendingBank")),
        receiving_bank=_str(data.get("receivingBank")),
        receiver_name=_str(receiver.get("displayName") or receiver.get("name")),
        receiver_account=_str(account.get("value")),
        receiver_proxy_type=_str(proxy.get("type")),
        receiver_proxy=_str(proxy.get("value")),
        message=_str(data.get("message")),
    )


def easyslip_check(outcome: Outcome, code: Code, data: dict[str, Any], raw: str) -> OnlineCheck:
    """EasySlip's slip ``data`` object as an :class:`OnlineCheck`."""
    sender, receiver = _obj(data.get("sender")), _obj(data.get("receiver"))
    account = _obj(receiver.get("account"))
    name = _obj(account.get("name"))
    bank_account, proxy = _obj(account.get("bank")), _obj(account.get("proxy"))

    def bank(party: dict[str, Any]) -> str:
        b = _obj(party.get("bank"))
        return _str(b.get("id") or b.get("short"))

    return OnlineCheck(
        outcome=outcome,
        code=code,
        provider=Service.EASYSLIP,
        provider_code=raw,
        amount_satang=_satang(_obj(data.get("amount")).get("amount")),
        trans_ref=_str(data.get("transRef")),
        when=_utc(data.get("date")),
        sending_bank=bank(sender),
        receiving_bank=bank(receiver),
        receiver_name=_str(name.get("th") or name.get("en")),
        receiver_account=_str(bank_account.get("account")),
        receiver_proxy_type=_str(proxy.get("type")),
        receiver_proxy=_str(proxy.get("account")),
    )


def _status_fallback(service: Service, status: int, message: str) -> OnlineCheck:
    """An answer without a code we know, sorted by its HTTP status."""
    if status in (401, 403):
        code = Code.BAD_KEY
    elif status == 429:
        code = Code.QUOTA
    elif status >= 500:
        code = Code.UNAVAILABLE
    else:
        code = Code.BAD_ANSWER
    return OnlineCheck(Outcome.ERROR, code, service, f"http {status}", message=message[:200])


def read_slipok(status: int, text: str) -> OnlineCheck:
    """SlipOK's answer (status and body) as an :class:`OnlineCheck`; raises
    :class:`_BadAnswer` when the body is not SlipOK's format."""
    body = _loads(text)
    if not isinstance(body, dict):
        raise _BadAnswer("not a JSON object")
    if body.get("success") is True and isinstance(body.get("data"), dict):
        data = body["data"]
        if data.get("success") is False:
            return OnlineCheck(Outcome.FAILED, Code.NOT_FOUND, Service.SLIPOK, "data.success")
        return slipok_check(Outcome.PASSED, Code.OK, data, "ok")
    code = body.get("code")
    if isinstance(code, int) and not isinstance(code, bool) and code in SLIPOK_CODES:
        outcome, neutral = SLIPOK_CODES[code]
        data = _obj(body.get("data"))
        if data.get("transRef") or data.get("amount") is not None:
            check = slipok_check(outcome, neutral, data, str(code))
        else:
            check = OnlineCheck(outcome, neutral, Service.SLIPOK, str(code))
        return _with_message(check, _str(body.get("message")))
    return _status_fallback(Service.SLIPOK, status, _str(body.get("message")))


def read_easyslip(status: int, text: str) -> OnlineCheck:
    """EasySlip's answer as an :class:`OnlineCheck`; raises :class:`_BadAnswer` when the body
    is not EasySlip's format."""
    body = _loads(text)
    if not isinstance(body, dict):
        raise _BadAnswer("not a JSON object")
    if status == 200 and body.get("status") == 200 and isinstance(body.get("data"), dict):
        return easyslip_check(Outcome.PASSED, Code.OK, body["data"], "ok")
    message = _str(body.get("message"))
    if message in EASYSLIP_CODES:
        outcome, neutral = EASYSLIP_CODES[message]
        data = _obj(body.get("data"))
        if data.get("transRef"):
            return easyslip_check(outcome, neutral, data, message)
        return OnlineCheck(outcome, neutral, Service.EASYSLIP, message)
    return _status_fallback(Service.EASYSLIP, status, message)


def _with_message(check: OnlineCheck, message: str) -> OnlineCheck:
    return replace(check, message=message[:200]) if message else check


# ---------------------------------------------------------------------------- the client


class SlipChecker:
    """One service, one key (from the keyring; None or "" when none is saved).

    :meth:`verify` checks one slip; :meth:`test_connection` asks the service about the
    account (quota) without spending a check. Both answer an :class:`OnlineCheck` and never
    raise for the network or the service."""

    def __init__(
        self,
        config: ServiceConfig,
        key: str | None,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.config = config
        self._key = key or ""
        self._transport = transport

    def __repr__(self) -> str:  # never the key
        return f"SlipChecker({self.config.service}, {self.config.url})"

    def _not_ready(self) -> OnlineCheck | None:
        service = self.config.service
        if not self._key:
            return OnlineCheck(Outcome.ERROR, Code.NO_KEY, service, "no key")
        if service is Service.SLIPOK and not self.config.branch_id.strip():
            return OnlineCheck(Outcome.ERROR, Code.BAD_BRANCH, service, "no branch id")
        return None

    def _request(self, payload: str, expected_satang: int | None) -> httpx.Request:
        cfg = self.config
        if cfg.service is Service.SLIPOK:
            body = json.dumps({"data": payload, "log": True}, ensure_ascii=False)
            if expected_satang is not None:
                # An exact JSON number (json.dumps would need a float for a Decimal).
                body = body[:-1] + f', "amount": {satang_to_decimal(expected_satang)}}}'
            return httpx.Request(
                "POST",
                f"{cfg.url}/{cfg.branch_id.strip()}",
                content=body.encode(),
                headers={"x-authorization": self._key, "Content-Type": "application/json"},
            )
        return httpx.Request(
            "GET",
            f"{cfg.url}/verify",
            params={"payload": payload, "checkDuplicate": "true"},
            headers={"Authorization": f"Bearer {self._key}"},
        )

    async def verify(self, payload: str, expected_satang: int | None = None) -> OnlineCheck:
        """Check the slip whose QR reads ``payload``; ``expected_satang`` (the order's total)
        is sent to services that cross-check it (SlipOK)."""
        not_ready = self._not_ready()
        if not_ready is not None:
            return not_ready
        if not payload.strip():
            return OnlineCheck(Outcome.FAILED, Code.NOT_A_SLIP, self.config.service, "empty")
        request = self._request(payload.strip(), expected_satang)
        reader = read_slipok if self.config.service is Service.SLIPOK else read_easyslip
        check = await self._send(request, reader)
        log.info(
            "slip check %s: %s %s (%s) ref %s",
            self.config.service,
            check.outcome,
            check.code,
            check.provider_code,
            check.trans_ref or "-",
        )
        return check

    async def test_connection(self) -> OnlineCheck:
        """Ask about the account without checking a slip: PASSED with the remaining quota
        in ``message`` when the key works, else ERROR with why."""
        not_ready = self._not_ready()
        if not_ready is not None:
            return not_ready
        cfg = self.config
        if cfg.service is Service.SLIPOK:
            request = httpx.Request(
                "GET",
                f"{cfg.url}/{cfg.branch_id.strip()}/quota",
                headers={"x-authorization": self._key},
            )
        else:
            request = httpx.Request(
                "GET", f"{cfg.url}/me", headers={"Authorization": f"Bearer {self._key}"}
            )
        return await self._send(request, self._read_account)

    def _read_account(self, status: int, text: str) -> OnlineCheck:
        body = _loads(text)
        if not isinstance(body, dict):
            raise _BadAnswer("not a JSON object")
        service = self.config.service
        data = _obj(body.get("data"))
        if service is Service.SLIPOK and body.get("success") is True:
            return OnlineCheck(
                Outcome.PASSED, Code.OK, service, "ok", message=f"quota {data.get('quota')}"
            )
        if service is Service.EASYSLIP and status == 200 and body.get("status") == 200:
            remaining = data.get("remainingQuota")
            return OnlineCheck(
                Outcome.PASSED,
                Code.OK,
                service,
                "ok",
                message=f"quota {'unlimited' if remaining is None else remaining}",
            )
        reader = read_slipok if service is Service.SLIPOK else read_easyslip
        check = reader(status, text)
        if check.outcome is not Outcome.ERROR:  # a slip answer to an account question
            raise _BadAnswer(f"unexpected answer {check.provider_code}")
        return check

    async def _send(self, request: httpx.Request, reader: Any) -> OnlineCheck:
        cfg = self.config
        service = cfg.service
        timeout = httpx.Timeout(cfg.timeout, connect=min(5.0, cfg.timeout))
        try:
            async with (
                asyncio.timeout(cfg.timeout),
                httpx.AsyncClient(timeout=timeout, transport=self._transport) as client,
            ):
                response = await client.send(request)
                text = (await response.aread()).decode("utf-8", errors="replace")
        except (TimeoutError, httpx.TimeoutException):
            return OnlineCheck(
                Outcome.ERROR, Code.TIMEOUT, service, "timeout", message=f"{cfg.timeout:g} s"
            )
        except httpx.HTTPError as exc:
            return OnlineCheck(
                Outcome.ERROR,
                Code.UNAVAILABLE,
                service,
                "network",
                message=type(exc).__name__,
            )
        try:
            check: OnlineCheck = reader(response.status_code, text)
        except _BadAnswer as exc:
            if response.status_code >= 500:  # a proxy's error page: the service is down
                log.info("slip service %s: http %s", service, response.status_code)
                return _status_fallback(service, response.status_code, "")
            log.warning(
                "slip service %s answered http %s in an unknown form: %s",
                service,
                response.status_code,
                exc,
            )
            return OnlineCheck(
                Outcome.ERROR,
                Code.BAD_ANSWER,
                service,
                f"http {response.status_code}",
                message=str(exc)[:200],
            )
        return check
