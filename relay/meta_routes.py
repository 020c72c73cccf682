"""Meta's webhook routes, ``/meta/{shop_id}/webhook``: ``GET`` answers the subscription
handshake, ``POST`` checks ``X-Hub-Signature-256`` on the raw body before parsing, stores the
body and answers 200 at once (worked after by :class:`relay.meta_hub.MetaHub`), as LINE's."""

from __future__ import annotations

import functools
import logging
import time
from typing import TYPE_CHECKING

from aiohttp import web

from relay import meta as mt
from relay import protocol as p
from relay.meta_store import MetaCredentials
from relay.storage import StoreError

if TYPE_CHECKING:
    from relay.server import Hub

log = logging.getLogger("relay")

MAX_BODY = 1024 * 1024


def _error(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error": code, "message": message}, status=status)


def _credentials(hub: Hub, shop_id: str) -> MetaCredentials | web.Response | None:
    """The shop's Meta credentials (None: no such shop, or not set up), or a 500 to answer."""
    try:
        return hub.meta.store.credentials(shop_id) if p.is_valid_id(shop_id) else None
    except StoreError as exc:
        log.error("shop %s: %s", shop_id, exc)
        return _error(500, "internal", "cannot read meta credentials")


async def webhook_get(hub: Hub, request: web.Request) -> web.Response:
    """The subscription handshake: the challenge back as text/plain, else 403."""
    shop_id = request.match_info["shop_id"]
    creds = _credentials(hub, shop_id)
    if isinstance(creds, web.Response):
        return creds
    challenge = mt.handshake(request.query, creds.verify_token) if creds else None
    if challenge is None:
        log.warning("shop %s: meta webhook handshake refused", shop_id)
        return _error(403, "forbidden", "verify token missing or wrong")
    log.info("shop %s: meta webhook subscribed", shop_id)
    return web.Response(text=challenge, content_type="text/plain")


async def webhook_post(hub: Hub, request: web.Request) -> web.Response:
    """A webhook: stored and answered 200 at once; the time to each 200 goes to the metrics."""
    started = time.perf_counter()
    res = await _webhook_post(hub, request)
    if res.status == 200:
        hub.metrics.webhook_ack.observe(time.perf_counter() - started)
    return res


async def _webhook_post(hub: Hub, request: web.Request) -> web.Response:
    shop_id = request.match_info["shop_id"]
    creds = _credentials(hub, shop_id)
    if isinstance(creds, web.Response):
        return creds
    if creds is None:
        return _error(404, "not_found", "facebook/instagram is not set up for this shop")
    if request.content_length is None:
        return _error(411, "length_required", "content-length missing")
    if request.content_length > MAX_BODY:
        return _error(413, "too_large", f"body larger than {MAX_BODY} bytes")
    body = await request.read()
    signature = request.headers.get(mt.SIGNATURE_HEADER)
    if not signature:
        log.warning("shop %s: meta webhook without a signature from %s", shop_id, request.remote)
        return _error(401, "unauthorized", "X-Hub-Signature-256 missing")
    if not mt.verify_signature(creds.app_secret, body, signature):
        log.warning("shop %s: meta webhook with a wrong signature from %s", shop_id, request.remote)
        return _error(403, "forbidden", "bad signature")
    try:
        payload = p.load_json(body)
    except p.ProtocolError:
        return _error(400, "bad_request", "body is not json")
    if not isinstance(payload, dict) or payload.get("object") not in mt.CHANNELS:
        return web.Response(text="EVENT_RECEIVED")  # a field we do not use: nothing to keep
    try:
        hub.meta.store.store_webhook(shop_id, body)
        await hub.durable()
    except StoreError as exc:  # not stored: Meta sends it again
        log.error("shop %s: meta webhook of %d bytes not stored: %s", shop_id, len(body), exc)
        return _error(503, "unavailable", "not stored; send it again later")
    hub.meta.wake_inbox()
    return web.Response(text="EVENT_RECEIVED")


def add_routes(app: web.Application, hub: Hub) -> None:
    app.router.add_get("/meta/{shop_id}/webhook", functools.partial(webhook_get, hub))
    app.router.add_post("/meta/{shop_id}/webhook", functools.partial(webhook_post, hub))
