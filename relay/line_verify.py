"""``line_verify``: prove a shop's LINE channel works, for the owner's Verify button.

Three questions to LINE, in the order a person fixes them:

1. ``GET /v2/bot/info`` with the channel access token — 401: the token is wrong; 200: the
   bot's name and basic id.
2. ``POST /v2/bot/channel/webhook/test`` with the shop's webhook URL — LINE posts a test
   webhook signed with the channel secret *it* has to that URL; this relay's own signature
   check answers it (200, or 401 when the secret the relay holds is not the channel's), and
   LINE reports the status it got: 401 means the secret is wrong, anything else but 200 means
   LINE could not reach the URL.
3. ``GET /v2/bot/channel/webhook/endpoint`` — whether the LINE console has this URL and "Use
   webhook" on; without both, LINE sends the shop no chats.

Nothing is stored; the answer names the first problem found.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from relay import protocol as p
from relay.line import LineClient, LineResult
from relay.storage import LineCredentials

log = logging.getLogger(__name__)


def endpoint_is_for(endpoint: str, shop_id: str) -> bool:
    """Whether ``endpoint`` is a webhook URL of this shop (a relay must not be made to have
    LINE post to any URL it is handed)."""
    path = urlsplit(endpoint).path.rstrip("/")
    return path.endswith(f"/line/{shop_id}/webhook")


def _body(res: LineResult) -> dict[str, Any]:
    return res.body if isinstance(res.body, dict) else {}


async def verify_line(
    client: LineClient, shop_id: str, creds: LineCredentials | None, frame: p.VerifyLine
) -> p.LineVerified:
    """Ask LINE the three questions (see the module); never raises for LINE's or the
    network's failures (they are ``line_unavailable``)."""
    ref = frame.ref
    if creds is None:
        return p.LineVerified(ref, p.LineCheck.NOT_CONFIGURED)
    token = creds.channel_token
    try:
        info = await client.bot_info(token)
        if info.status == 401:
            return p.LineVerified(ref, p.LineCheck.TOKEN_REJECTED, detail=info.message or None)
        if not info.ok:
            return p.LineVerified(ref, p.LineCheck.LINE_UNAVAILABLE, detail=info.describe())
        name = str(_body(info).get("displayName") or "")[:200] or None
        basic = str(_body(info).get("basicId") or "")[:100] or None
        test = await client.test_webhook(token, frame.endpoint)
        if not test.ok:
            return p.LineVerified(
                ref, p.LineCheck.LINE_UNAVAILABLE, name, basic, detail=test.describe()
            )
        got = _body(test)
        status = got.get("statusCode")
        code = status if isinstance(status, int) and not isinstance(status, bool) else 0
        reason = " ".join(str(got.get(k) or "") for k in ("reason", "detail")).strip()[:500]
        if code == 401:
            return p.LineVerified(ref, p.LineCheck.SIGNATURE_WRONG, name, basic, code, reason)
        if not (got.get("success") is True and code == 200):
            return p.LineVerified(ref, p.LineCheck.WEBHOOK_UNREACHABLE, name, basic, code, reason)
        setting = await client.webhook_endpoint(token)
        where = _body(setting)
        if not setting.ok or str(where.get("endpoint") or "") != frame.endpoint:
            detail = str(where.get("endpoint") or "")[:500] or None
            return p.LineVerified(ref, p.LineCheck.WEBHOOK_NOT_SET, name, basic, code, detail)
        if where.get("active") is not True:
            return p.LineVerified(ref, p.LineCheck.WEBHOOK_OFF, name, basic, code)
        return p.LineVerified(ref, p.LineCheck.OK, name, basic, code)
    except (aiohttp.ClientError, TimeoutError) as exc:
        log.info("shop %s: line verify could not reach LINE (%s)", shop_id, type(exc).__name__)
        return p.LineVerified(ref, p.LineCheck.LINE_UNAVAILABLE, detail=type(exc).__name__)
