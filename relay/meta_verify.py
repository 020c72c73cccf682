"""``meta_verify``: prove a shop's Facebook Page / Instagram connection works, for the owner's
Verify button.

Four questions to the Graph API (base ``MINICHAT_META_API_BASE``, as :mod:`relay.meta_send`),
each with the Page access token and its ``appsecret_proof`` — the hex HMAC-SHA256 of the token
keyed by the app secret (developers.facebook.com/docs/graph-api/security, "Securing Graph API
Requests"). Meta checks a proof whenever one is given, so a wrong app secret is refused on the
first question, before any webhook could fail its signature check:

1. ``GET /me?fields=id,name`` — the token (error 190: rejected) and the secret (error 100
   "Invalid appsecret_proof"); with a Page token, the Page's id and name.
2. ``GET /app`` — the app the token was issued for (its id, to find it in 3).
3. ``GET /{page-id}/subscribed_apps`` — whether that app is subscribed to the Page's
   webhooks, and to which of :data:`relay.protocol.META_FIELDS`.
4. ``GET /{page-id}?fields=instagram_business_account{id,username}`` — the linked Instagram
   account, if any (a failure here is not the owner's problem to fix: it reads as "none").

Nothing is stored; the answer names the first problem found, with Meta's code and words.
"""

from __future__ import annotations

import logging
from typing import Any

import aiohttp

from relay import meta_send as ms
from relay import protocol as p
from relay.meta_store import MetaCredentials

log = logging.getLogger("relay")

TIMEOUT = 15.0
_C = p.MetaCheck


class _Refused(Exception):
    """A Graph API answer that ends the verify: carries the result to give."""

    def __init__(self, result: p.MetaCheck, res: ms.MetaResult) -> None:
        super().__init__(result.value)
        self.result = result
        self.res = res


def _judge(res: ms.MetaResult) -> p.MetaCheck | None:
    """What a Graph API answer that is not a success means for the owner (None: success)."""
    if res.ok:
        return None
    if res.status >= 500 or res.rate_limited:
        return _C.META_UNAVAILABLE
    if res.code == 190:
        return _C.TOKEN_REJECTED
    if res.code == 100 and "appsecret_proof" in str(res.error.get("message") or ""):
        return _C.SECRET_WRONG
    return _C.META_REFUSED


class _Graph:
    """GET requests to the Graph API with one token and its proof, over one session."""

    def __init__(self, session: aiohttp.ClientSession, creds: MetaCredentials) -> None:
        self.session = session
        self.token = creds.page_token
        self.proof = ms.appsecret_proof(creds.app_secret, creds.page_token)
        self.base = ms.api_base()

    async def get(self, path: str, **params: str) -> ms.MetaResult:
        """``GET /{version}/{path}`` (the token in the header, never in the URL's log)."""
        url = f"{self.base}/{ms.API_VERSION}/{path}"
        query = {**params, "appsecret_proof": self.proof}
        headers = {"Authorization": f"Bearer {self.token}"}
        async with self.session.get(url, params=query, headers=headers) as resp:
            try:
                data = await resp.json(content_type=None)
            except (ValueError, aiohttp.ContentTypeError):
                data = None
            return ms.MetaResult(resp.status, data)

    async def need(self, path: str, **params: str) -> dict[str, Any]:
        """The JSON object of a successful answer; raises :class:`_Refused` otherwise."""
        res = await self.get(path, **params)
        result = _judge(res)
        if result is not None:
            raise _Refused(result, res)
        return res.body if isinstance(res.body, dict) else {}


def _text(value: Any, limit: int) -> str | None:
    return str(value)[:limit] or None if value else None


def _subscribed_fields(answer: dict[str, Any], app_id: str) -> list[str] | None:
    """The fields the app ``app_id`` is subscribed to on the Page (None: not subscribed)."""
    apps = answer.get("data")
    for app in apps if isinstance(apps, list) else []:
        if isinstance(app, dict) and str(app.get("id") or "") == app_id:
            fields = app.get("subscribed_fields")
            return [str(f) for f in fields] if isinstance(fields, list) else []
    return None


async def _instagram(graph: _Graph, page_id: str) -> str | None:
    """The username of the Instagram account linked to the Page (None: none, or unknown)."""
    try:
        res = await graph.get(page_id, fields="instagram_business_account{id,username}")
    except (aiohttp.ClientError, TimeoutError, OSError) as exc:
        log.info("meta verify: instagram account not read (%s)", type(exc).__name__)
        return None
    if not res.ok:
        log.info("meta verify: instagram account not read (%s)", res.describe())
        return None
    account = res.body.get("instagram_business_account") if isinstance(res.body, dict) else None
    if not isinstance(account, dict):
        return None
    return _text(account.get("username") or account.get("id"), 100)


async def _ask(graph: _Graph, ref: str) -> p.MetaVerified:
    me = await graph.need("me", fields="id,name")
    page_id = _text(me.get("id"), 64)
    name = _text(me.get("name"), 200)
    if page_id is None:
        return p.MetaVerified(ref, _C.META_REFUSED, name, detail="/me has no id")
    try:
        app = await graph.need("app")
        subs = await graph.need(f"{page_id}/subscribed_apps")
    except _Refused as exc:  # the token and secret were good: keep what was learnt
        return _answer(ref, exc, name, page_id)
    fields = _subscribed_fields(subs, str(app.get("id") or ""))
    instagram = await _instagram(graph, page_id)
    missing = tuple(f for f in p.META_FIELDS if f not in (fields or []))
    result = _C.FIELDS_MISSING if missing else _C.OK
    if fields is None:
        result = _C.NOT_SUBSCRIBED
    return p.MetaVerified(ref, result, name, page_id, instagram, missing)


def _answer(
    ref: str, exc: _Refused, name: str | None = None, page_id: str | None = None
) -> p.MetaVerified:
    err = exc.res.error
    detail = _text(err.get("message"), 500) or f"http {exc.res.status}"
    return p.MetaVerified(ref, exc.result, name, page_id, code=exc.res.code, detail=detail)


async def verify_meta(
    shop_id: str, creds: MetaCredentials | None, frame: p.VerifyMeta
) -> p.MetaVerified:
    """Ask the Graph API the questions of the module; never raises for Meta's or the
    network's failures (they are ``meta_unavailable`` and ``meta_unreachable``)."""
    ref = frame.ref
    if creds is None:
        return p.MetaVerified(ref, _C.NOT_CONFIGURED)
    timeout = aiohttp.ClientTimeout(total=TIMEOUT, connect=5)
    try:
        async with aiohttp.ClientSession(timeout=timeout) as session:
            return await _ask(_Graph(session, creds), ref)
    except _Refused as exc:
        log.info("shop %s: meta verify: %s (%s)", shop_id, exc.result.value, exc.res.describe())
        return _answer(ref, exc)
    except (aiohttp.ClientError, TimeoutError, OSError) as exc:
        log.info("shop %s: meta verify could not reach Meta (%s)", shop_id, type(exc).__name__)
        return p.MetaVerified(ref, _C.META_UNREACHABLE, detail=type(exc).__name__)
