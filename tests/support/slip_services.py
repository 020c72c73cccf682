"""Stand-ins for the slip-verification services, as local aiohttp servers on port 0 that speak
each service's documented wire format (see the sources in
``minichat_desktop/formats/slip_services.py``):

- :class:`FakeSlipOK` — ``POST /api/line/apikey/<branch>`` with ``x-authorization``, a JSON
  body ``{"data": <QR payload>, "amount"?, "log"?}``; ``{"success": true, "data": {…}}`` or
  ``{"code": 10xx, "message": …}`` (1012 with the slip's data); ``GET …/<branch>/quota``.
- :class:`FakeEasySlip` — ``GET /api/v1/verify?payload=…&checkDuplicate=…`` with ``Authorization:
  Bearer``; ``{"status": 200, "data": {…}}`` or ``{"status": 4xx, "message": "slip_not_found"}``
  (duplicate_slip with the data); ``GET /api/v1/me``.

Each knows some slips (:class:`Slip`), one key, a quota; ``force`` makes the next answers a
given failure ("html", "garbage", "hang", "server_error"). Every request is recorded with its
headers and body, so tests can check what went over the wire.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from aiohttp import web

BANGKOK = dt.timezone(dt.timedelta(hours=7))


@dataclass(frozen=True)
class Slip:
    """One transfer the bank knows, as both services would describe it."""

    payload: str
    trans_ref: str
    amount: Decimal
    when: dt.datetime  # aware
    sending_bank: str = "004"
    receiving_bank: str = "014"
    receiver_name: str = "ร้าน มินิแชท"
    receiver_account: str = "xxx-x-x1234-x"
    proxy_type: str = ""
    proxy_value: str = ""


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: str


def _json(obj: Any, status: int = 200) -> web.Response:
    """JSON with Decimal amounts written as exact numbers (as a JS service would)."""
    marker = "@@decimal@@"

    def default(o: Any) -> Any:
        if isinstance(o, Decimal):
            return f"{marker}{o}"
        raise TypeError(type(o).__name__)

    text = json.dumps(obj, default=default, ensure_ascii=False)
    while f'"{marker}' in text:
        start = text.index(f'"{marker}')
        end = text.index('"', start + 1)
        text = text[:start] + text[start + 1 + len(marker) : end] + text[end + 1 :]
    return web.Response(text=text, status=status, content_type="application/json")


@dataclass
class _Fake:
    key: str
    slips: dict[str, Slip] = field(default_factory=dict)
    quota: int = 100
    force: str = ""  # "", "html", "garbage", "hang", "server_error"
    requests: list[Seen] = field(default_factory=list)
    used: set[str] = field(default_factory=set)
    url: str = ""
    _runner: web.AppRunner | None = None
    _hang: asyncio.Event = field(default_factory=asyncio.Event)

    def add(self, *slips: Slip) -> None:
        for slip in slips:
            self.slips[slip.payload] = slip

    def routes(self, app: web.Application) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    async def start(self) -> None:
        app = web.Application()
        self.routes(app)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        self._hang.set()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _record(self, request: web.Request) -> Seen:
        seen = Seen(
            request.method,
            request.path,
            dict(request.query),
            dict(request.headers),
            await request.text(),
        )
        self.requests.append(seen)
        return seen

    async def _forced(self) -> web.Response | None:
        if self.force == "hang":
            await self._hang.wait()  # until the server stops: the client's timeout fires
            return web.Response(status=504)
        if self.force == "html":
            return web.Response(
                text="<html><body><h1>502 Bad Gateway</h1></body></html>",
                status=502,
                content_type="text/html",
            )
        if self.force == "garbage":
            return web.Response(text="{'success': tru", status=200, content_type="text/plain")
        return None


class FakeSlipOK(_Fake):
    """SlipOK: one branch id, one key; ``log: true`` remembers slips (a second check of
    the same slip is 1012)."""

    def __init__(self, key: str, branch: str = "12345", **kw: Any) -> None:
        super().__init__(key=key, **kw)
        self.branch = branch

    @property
    def base_url(self) -> str:
        return f"{self.url}/api/line/apikey"

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/api/line/apikey/{branch}", self._check)
        app.router.add_get("/api/line/apikey/{branch}/quota", self._quota)

    @staticmethod
    def error(code: int, message: str, data: Any = None) -> web.Response:
        body: dict[str, Any] = {"code": code, "message": message}
        if data is not None:
            body["data"] = data
        return _json(body, 400)

    def _auth(self, request: web.Request) -> web.Response | None:
        if request.headers.get("x-authorization") != self.key:
            return self.error(1002, "Authorization Header ไม่ถูกต้อง")
        if request.match_info["branch"] != self.branch:
            return self.error(1001, "ไม่พบข้อมูลสาขา กรุณาตรวจสอบ Branch ID")
        return None

    @staticmethod
    def data(slip: Slip) -> dict[str, Any]:
        local = slip.when.astimezone(BANGKOK)
        receiver: dict[str, Any] = {
            "displayName": slip.receiver_name,
            "name": "MINICHAT SHOP",
            "account": {"type": "BANKAC", "value": slip.receiver_account},
        }
        if slip.proxy_type:
            receiver["proxy"] = {"type": slip.proxy_type, "value": slip.proxy_value}
        return {
            "success": True,
            "message": "✅",
            "language": "TH",
            "receivingBank": slip.receiving_bank,
            "sendingBank": slip.sending_bank,
            "transRef": slip.trans_ref,
            "transDate": f"{local:%Y%m%d}",
            "transTime": f"{local:%H:%M:%S}",
            "transTimestamp": slip.when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "sender": {
                "displayName": "นาย ลูกค้า ท",
                "name": "MR. LUKKA T",
                "proxy": {"type": None, "value": None},
                "account": {"type": "BANKAC", "value": "xxx-x-x9876-x"},
            },
            "receiver": receiver,
            "amount": slip.amount,
            "paidLocalAmount": slip.amount,
            "paidLocalCurrency": "764",
            "countryCode": "TH",
            "transFeeAmount": 0,
            "ref1": "",
            "ref2": "",
            "ref3": "",
            "toMerchantId": "",
        }

    async def _check(self, request: web.Request) -> web.Response:
        seen = await self._record(request)
        forced = await self._forced()
        if forced is not None:
            return forced
        if self.force == "server_error":
            return web.Response(text="Internal Server Error", status=500)
        refused = self._auth(request)
        if refused is not None:
            return refused
        try:
            body = json.loads(seen.body, parse_float=Decimal)
        except ValueError:
            body = {}
        payload = body.get("data") if isinstance(body, dict) else None
        if not isinstance(payload, str) or not payload:
            return self.error(1000, "กรุณาใส่ข้อมูล QR Code ให้ครบใน field data, files หรือ url")
        if self.quota <= 0:
            return self.error(1004, "Package ของคุณใช้เกินโควต้าแล้ว")
        slip = self.slips.get(payload)
        if slip is None:
            if not payload.startswith("0041"):
                return self.error(1008, "QR ดังกล่าวไม่ใช่ QR สำหรับการตรวจสอบการชำระเงิน")
            return self.error(1011, "QR Code หมดอายุ หรือ ไม่มีรายการอยู่จริง")
        self.quota -= 1
        if body.get("log") is True:
            if payload in self.used:
                return self.error(1012, "สลิปซ้ำ สลิปนี้เคยส่งเข้ามาแล้ว", self.data(slip))
            self.used.add(payload)
        amount = body.get("amount")
        if amount is not None and Decimal(str(amount)) != slip.amount:
            return self.error(1013, "ยอดเงินไม่ตรงกับยอดในสลิป", self.data(slip))
        return _json({"success": True, "data": self.data(slip)})

    async def _quota(self, request: web.Request) -> web.Response:
        await self._record(request)
        forced = await self._forced()
        if forced is not None:
            return forced
        refused = self._auth(request)
        if refused is not None:
            return refused
        return _json({"success": True, "data": {"quota": self.quota, "specialQuota": 0}})


class FakeEasySlip(_Fake):
    """EasySlip API v1: one key; ``checkDuplicate=true`` remembers slips."""

    @property
    def base_url(self) -> str:
        return f"{self.url}/api/v1"

    def routes(self, app: web.Application) -> None:
        app.router.add_get("/api/v1/verify", self._verify)
        app.router.add_get("/api/v1/me", self._me)

    @staticmethod
    def error(status: int, message: str, data: Any = None) -> web.Response:
        body: dict[str, Any] = {"status": status, "message": message}
        if data is not None:
            body["data"] = data
        return _json(body, status)

    @staticmethod
    def data(slip: Slip) -> dict[str, Any]:
        account: dict[str, Any] = {
            "name": {"th": slip.receiver_name, "en": "MINICHAT SHOP"},
            "bank": {"type": "BANKAC", "account": slip.receiver_account},
        }
        if slip.proxy_type:
            account["proxy"] = {"type": slip.proxy_type, "account": slip.proxy_value}
        return {
            "payload": slip.payload,
            "transRef": slip.trans_ref,
            "date": slip.when.astimezone(BANGKOK).isoformat(),
            "countryCode": "TH",
            "amount": {"amount": slip.amount, "local": {"amount": 0, "currency": ""}},
            "fee": 0,
            "ref1": "",
            "ref2": "",
            "ref3": "",
            "sender": {
                "bank": {"id": slip.sending_bank, "name": "กสิกรไทย", "short": "KBANK"},
                "account": {
                    "name": {"th": "นาย ลูกค้า ท", "en": "MR. LUKKA T"},
                    "bank": {"type": "BANKAC", "account": "xxx-x-x9876-x"},
                },
            },
            "receiver": {
                "bank": {"id": slip.receiving_bank, "name": "ไทยพาณิชย์", "short": "SCB"},
                "account": account,
            },
        }

    def _auth(self, request: web.Request) -> web.Response | None:
        if request.headers.get("Authorization") != f"Bearer {self.key}":
            return self.error(401, "unauthorized")
        return None

    async def _verify(self, request: web.Request) -> web.Response:
        await self._record(request)
        forced = await self._forced()
        if forced is not None:
            return forced
        if self.force == "server_error":
            return self.error(500, "server_error")
        refused = self._auth(request)
        if refused is not None:
            return refused
        payload = request.query.get("payload", "")
        if not 1 <= len(payload) <= 255:
            return self.error(400, "invalid_payload")
        if self.quota <= 0:
            return self.error(403, "quota_exceeded")
        slip = self.slips.get(payload)
        if slip is None:
            return self.error(404, "slip_not_found")
        self.quota -= 1
        if request.query.get("checkDuplicate") == "true":
            if payload in self.used:
                return self.error(400, "duplicate_slip", self.data(slip))
            self.used.add(payload)
        return _json({"status": 200, "data": self.data(slip)})

    async def _me(self, request: web.Request) -> web.Response:
        await self._record(request)
        forced = await self._forced()
        if forced is not None:
            return forced
        refused = self._auth(request)
        if refused is not None:
            return refused
        return _json(
            {
                "status": 200,
                "data": {
                    "application": "MiniChat test",
                    "usedQuota": 0,
                    "maxQuota": 35000,
                    "remainingQuota": self.quota,
                    "expiredAt": "2027-02-22T18:47:34+07:00",
                    "currentCredit": 1000,
                },
            }
        )
