"""HTTP routes and the two WebSocket endpoints, and running them until SIGTERM."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import html
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from importlib import resources
from typing import Any

import aiohttp
from aiohttp import WSMsgType, web

from relay import fastframes as ff
from relay import line as ln
from relay import meta_routes
from relay import protocol as p
from relay.bodies import BodyIncomplete, BodyTooLarge, read_limited
from relay.images import ImageRejected, check_image
from relay.line_verify import endpoint_is_for, verify_line
from relay.metrics import CONTENT_TYPE
from relay.protocol.connection import (
    HELLO_TIMEOUT,
    TRANSPORT_FACTOR,
    Outcome,
    RelaySide,
)
from relay.ratelimit import ip_key
from relay.riding import RidingConn
from relay.server import (
    DESKTOP_LIVENESS,
    Conn,
    DesktopLink,
    Hub,
    RelayConfig,
)
from relay.storage import LineCredentials, NotFound, Shop, Store, StoreError, hash_token

log = logging.getLogger("relay")

HUB = web.AppKey("hub", Hub)
WIDGET_JS = web.AppKey("widget_js", bytes)
DEMO_HTML = web.AppKey("demo_html", str)
MAX_WEBHOOK_BODY = 1024 * 1024

# How long a notice waits for a frame to ride on (docs/adr/0011-fewer-frames.md): a widget's
# "sent" tick (``accepted``) and its delivered/read ticks; the desktop's ``accepted``, which only
# lets it clear its outbox (it offers a message again after 5 s without one).
WIDGET_HOLD = 0.05
DESKTOP_HOLD = 0.25

# seconds a widget refused for too many open sockets from its address is told to wait
IP_SOCKETS_RETRY = 30
# ... and a shopper's picture refused for want of disk space
DISK_RETRY = 300


@functools.cache
def _ride_settings() -> tuple[bool, float, float]:
    """Whether this relay grants ``ride`` and its two holds in seconds. The environment can
    turn it off (``MINICHAT_RELAY_RIDE=0``: every socket as in version 1, e.g. to compare) or
    change the holds (``MINICHAT_RELAY_RIDE_HOLD_MS``: both, in milliseconds); read once."""
    on = os.environ.get("MINICHAT_RELAY_RIDE", "1") != "0"
    raw = os.environ.get("MINICHAT_RELAY_RIDE_HOLD_MS", "")
    try:
        ms = float(raw) if raw else None
    except ValueError:
        log.warning("MINICHAT_RELAY_RIDE_HOLD_MS=%r is not a number: ignored", raw[:20])
        ms = None
    if ms is None or ms < 0:
        return on, WIDGET_HOLD, DESKTOP_HOLD
    return on, ms / 1000, ms / 1000


def _granted(hello: p.DesktopHello | p.WidgetHello) -> tuple[str, ...]:
    """The optional features this socket gets: those offered that this relay grants."""
    return (p.RIDE,) if p.RIDE in hello.features and _ride_settings()[0] else ()


def _hold(conn: Conn, text: str, delay: float) -> None:
    """Send a notice that may wait ``delay`` s for a frame to ride on (at once without ride)."""
    if isinstance(conn, RidingConn):
        conn.hold(text, delay)
    else:
        conn.send(text)


def _json_error(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> web.Response:
    return web.json_response({"error": code, "message": message}, status=status, headers=headers)


def client_ip(request: web.Request, hub: Hub) -> str:
    """The address the per-IP limits count: the peer's, or with ``--trust-proxy`` the last
    X-Forwarded-For entry, the one our own proxy wrote. Entries before it are whatever the
    client sent (nginx's $proxy_add_x_forwarded_for appends to them; Caddy replaces them):
    trusting the first would let a client pick a new address for every connection. An IPv6
    address counts as its /64 (:func:`relay.ratelimit.ip_key`)."""
    if hub.config.trust_proxy:
        fwd = request.headers.getall("X-Forwarded-For", [])
        last = fwd[-1].split(",")[-1].strip() if fwd else ""
        if last:
            return ip_key(last)
    return ip_key(request.remote or "?")


def _origin_allowed(request: web.Request, shop: Shop) -> bool:
    origin = request.headers.get("Origin")
    if origin is None:
        return True  # not a browser (apps, tests); browsers always send Origin on WebSockets
    origin = origin.rstrip("/").lower()
    own = f"{request.scheme}://{request.host}".lower()
    return origin == own or "*" in shop.allowed_origins or origin in shop.allowed_origins


def _cors(request: web.Request, shop: Shop | None) -> dict[str, str]:
    origin = request.headers.get("Origin")
    if origin is None or shop is None or not _origin_allowed(request, shop):
        return {}
    return {
        "Access-Control-Allow-Origin": origin,
        "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
        "Access-Control-Allow-Headers": "Authorization, Content-Type",
        "Access-Control-Max-Age": "600",
        "Vary": "Origin",
    }


def _bearer(request: web.Request) -> str | None:
    auth = request.headers.get("Authorization", "")
    if auth.startswith("Bearer "):
        return auth[7:].strip() or None
    return None


def _shop_or_none(hub: Hub, shop_id: str) -> Shop | None:
    if not p.is_valid_id(shop_id):
        return None
    try:
        return hub.store.shop(shop_id)
    except NotFound:
        return None


# ---------------------------------------------------------------------------------------------
# Plain HTTP


async def healthz(request: web.Request) -> web.Response:
    """Alive: the event loop runs (a supervisor restarts a process that stops answering).
    Says nothing of the store: a restart would not mend a full disk; see /readyz."""
    return web.json_response({"status": "ok", "protocol": p.PROTOCOL_VERSION})


async def readyz(request: web.Request) -> web.Response:
    """Ready for new traffic: the store answers a real query, the last commit went through,
    and no SIGTERM was received. 503 otherwise, with a short reason (details in the log)."""
    problem = request.app[HUB].readiness_problem()
    if problem is None:
        return web.json_response({"status": "ready"}, headers={"Cache-Control": "no-store"})
    return web.json_response(
        {"status": "unavailable", "reason": problem.reason},
        status=503,
        headers={"Cache-Control": "no-store"},
    )


async def metrics(request: web.Request) -> web.Response:
    """Prometheus' text format (only on the metrics listener, never the public port)."""
    body = request.app[HUB].metrics.exposition()
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE})


def _static(name: str) -> bytes:
    return resources.files("relay").joinpath("static", name).read_bytes()


async def widget_js(request: web.Request) -> web.Response:
    body = request.app[WIDGET_JS]
    return web.Response(
        body=body,
        content_type="application/javascript",
        charset="utf-8",
        headers={"Cache-Control": "public, max-age=300", "Access-Control-Allow-Origin": "*"},
    )


async def widget_config(request: web.Request) -> web.Response:
    """The widget's look and texts, so the launcher shows before the socket opens."""
    hub = request.app[HUB]
    shop = _shop_or_none(hub, request.match_info["shop_id"])
    if shop is None:
        return _json_error(404, "not_found", "no such shop")
    return web.json_response(
        {"config": shop.widget_config.to_obj(), "presence": hub.live(shop.id).presence.value},
        headers={"Cache-Control": "no-cache", "Access-Control-Allow-Origin": "*"},
    )


async def demo_page(request: web.Request) -> web.Response:
    hub = request.app[HUB]
    shop = _shop_or_none(hub, request.match_info["shop_id"])
    if shop is None:
        return _json_error(404, "not_found", "no such shop")
    page = (
        request.app[DEMO_HTML]
        .replace("{{SHOP_ID}}", html.escape(shop.id))
        .replace("{{SHOP_NAME}}", html.escape(shop.name))
    )
    return web.Response(text=page, content_type="text/html", charset="utf-8")


async def media_get(request: web.Request) -> web.Response:
    hub = request.app[HUB]
    media_id = request.match_info["media_id"]
    m = hub.store.media(media_id) if p.is_valid_id(media_id) else None
    if m is None:
        return _json_error(404, "not_found", "no such media")
    return web.Response(
        body=m.data,
        content_type=m.mime,
        headers={
            "Cache-Control": "private, max-age=86400, immutable",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'",
            "Access-Control-Allow-Origin": "*",
        },
    )


async def _store_upload(
    request: web.Request, hub: Hub, shop_id: str, headers: dict[str, str]
) -> web.Response:
    limit = hub.config.max_upload
    declared = request.content_length if "Content-Encoding" not in request.headers else None
    try:
        data = await read_limited(request.content, limit, declared)
    except BodyTooLarge:
        return _json_error(413, "too_large", f"image: too large (max {limit} bytes)", headers)
    except (BodyIncomplete, ConnectionError, aiohttp.ClientPayloadError) as exc:
        log.info("shop %s: upload not stored: %s", shop_id, exc)
        return _json_error(400, "incomplete", "image: the upload ended early", headers)
    try:
        info = check_image(data, hub.config.max_upload)
    except ImageRejected as exc:
        return _json_error(415, "bad_image", str(exc), headers)
    try:
        m = hub.store.add_media(shop_id, info.mime, info.width, info.height, data)
        await hub.durable()
    except StoreError as exc:  # a full disk: the sender keeps the picture and tries again
        log.error("shop %s: upload of %d bytes not stored: %s", shop_id, len(data), exc)
        return _json_error(503, "unavailable", "image: not stored; try again shortly", headers)
    log.info("shop %s: stored media %s (%s, %d bytes)", shop_id, m.id, m.mime, m.size)
    return web.json_response(
        {
            "media_id": m.id,
            "url": hub.media_url(m.id),
            "mime": m.mime,
            "width": m.width,
            "height": m.height,
            "size": m.size,
        },
        status=201,
        headers=headers,
    )


async def widget_upload(request: web.Request) -> web.Response:
    """A shopper's picture (a payment slip): ``POST /widget/{shop_id}/upload`` with the
    session token as Bearer and the image bytes as the body."""
    hub = request.app[HUB]
    shop = _shop_or_none(hub, request.match_info["shop_id"])
    if shop is None:
        return _json_error(404, "not_found", "no such shop")
    cors = _cors(request, shop)
    if request.method == "OPTIONS":
        return web.Response(status=204 if cors else 403, headers=cors)
    if not _origin_allowed(request, shop):
        return _json_error(403, "forbidden", "origin not allowed for this shop")
    ip = client_ip(request, hub)
    if not hub.upload_limit.allow(ip):
        return _json_error(
            429,
            "rate_limited",
            "too many uploads; try again shortly",
            {**cors, "Retry-After": str(max(1, round(hub.upload_limit.retry_after(ip))))},
        )
    token = _bearer(request)
    sid = hub.store.session(shop.id, token) if token else None
    if sid is None:
        return _json_error(401, "unauthorized", "session token missing or wrong", cors)
    if not hub.shopper_limit.allow(f"{shop.id}:{sid}", 3):
        return _json_error(429, "rate_limited", "too many uploads; try again shortly", cors)
    if not hub.room_for_picture(request.content_length or hub.config.max_upload):
        return _json_error(
            503,
            "unavailable",
            "image: the relay is short of disk space; send it again later",
            {**cors, "Retry-After": str(DISK_RETRY)},
        )
    return await _store_upload(request, hub, shop.id, cors)


async def desktop_upload(request: web.Request) -> web.Response:
    """A picture from the shop (``POST /desktop/media`` with the shop token as Bearer)."""
    hub = request.app[HUB]
    token = _bearer(request)
    shop = hub.store.shop_by_token(token) if token else None
    if shop is None:
        return _json_error(401, "unauthorized", "shop token missing or wrong")
    return await _store_upload(request, hub, shop.id, {})


async def line_webhook(request: web.Request) -> web.Response:
    """LINE's webhook: signature on the raw body first; store; 200; process after. The time
    to each 200 goes to the metrics (LINE gives up on a webhook after a few seconds)."""
    started = time.perf_counter()
    res = await _line_webhook(request)
    if res.status == 200:
        request.app[HUB].metrics.webhook_ack.observe(time.perf_counter() - started)
    return res


async def _line_webhook(request: web.Request) -> web.Response:
    hub = request.app[HUB]
    shop_id = request.match_info["shop_id"]
    shop = _shop_or_none(hub, shop_id)
    if shop is None:
        return _json_error(404, "not_found", "no such shop")
    try:
        creds = hub.store.line_credentials(shop.id)
    except StoreError as exc:
        log.error("shop %s: %s", shop.id, exc)
        return _json_error(500, "internal", "cannot read line credentials")
    if creds is None:
        return _json_error(404, "not_found", "line is not configured for this shop")
    # LINE always sends a Content-Length and its bodies are a few KB: refuse before hashing
    if request.content_length is None:
        return _json_error(411, "length_required", "content-length missing")
    if request.content_length > MAX_WEBHOOK_BODY:
        return _json_error(413, "too_large", f"body larger than {MAX_WEBHOOK_BODY} bytes")
    try:
        body = await request.read()
    except web.HTTPRequestEntityTooLarge:
        return _json_error(413, "too_large", "body too large")
    if not ln.verify_signature(creds.channel_secret, body, request.headers.get("X-Line-Signature")):
        log.warning(
            "shop %s: line webhook with a missing or wrong signature from %s",
            shop.id,
            request.remote,
        )
        return _json_error(401, "unauthorized", "bad signature")
    try:
        payload = p.load_json(body)
    except p.ProtocolError:
        return _json_error(400, "bad_request", "body is not json")
    if not isinstance(payload, dict) or not isinstance(payload.get("events"), list):
        return _json_error(400, "bad_request", "events missing")
    if not payload["events"]:
        return web.json_response({})  # LINE's "verify" button
    try:
        hub.store.store_webhook(shop.id, body)
        await hub.durable()
    except StoreError as exc:  # not stored: LINE sends it again (with redelivery on)
        log.error("shop %s: webhook of %d bytes not stored: %s", shop.id, len(body), exc)
        return _json_error(503, "unavailable", "not stored; send it again later")
    hub.wake_webhooks()
    return web.json_response({})


# ---------------------------------------------------------------------------------------------
# WebSockets


async def _first_message(ws: web.WebSocketResponse) -> aiohttp.WSMessage:
    """The first message that is not a ping or a pong (a ping is answered)."""
    while True:
        msg = await ws.receive()
        if msg.type is WSMsgType.PING:
            await ws.pong(msg.data)
        elif msg.type is not WSMsgType.PONG:
            return msg


async def _handshake(ws: web.WebSocketResponse, conn: Conn, machine: RelaySide) -> Any:
    """The first frame of a socket, through ``machine``: the hello, or None after telling the
    peer why and closing."""
    try:
        msg = await asyncio.wait_for(_first_message(ws), HELLO_TIMEOUT)
    except TimeoutError:
        await _obey(conn, machine.hello_timeout())
        return None
    out = machine.receive_hello(msg.data if msg.type is WSMsgType.TEXT else None)
    await _obey(conn, out)
    return out.frame


async def _obey(conn: Conn, out: Outcome) -> bool:
    """Send the machine's reply and make its close; True when the socket is to end."""
    if out.reply is not None:
        conn.send_frame(out.reply)
    if out.close is not None:
        await conn.close(out.close.code, out.close.reason.encode())
        return True
    return False


# What a frame handler returns: None when it acted at once (the common frames: a widget's
# send or ack), else what to await before the next frame is read.
Handler = Callable[[Any], Awaitable[None] | None]
# The socket is closing or closed (what ``async for msg in ws`` stops at), or failed.
_SOCKET_ENDED = frozenset((WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED, WSMsgType.ERROR))


async def _frames(
    ws: web.WebSocketResponse, conn: Conn, machine: RelaySide, handle: Handler
) -> None:
    """Read frames until the socket closes, feeding ``machine``; ``handle`` acts on each frame
    it lets through and may refuse one by raising ProtocolError."""
    receive = ws.receive
    while True:
        msg = await receive()
        conn.heard = True  # (Hub.check_sockets: the peer is there)
        kind = msg.type
        if kind is WSMsgType.TEXT:
            out = machine.receive(msg.data)
        elif kind is WSMsgType.BINARY:
            out = machine.receive_binary()
        elif kind in _SOCKET_ENDED:
            break
        else:
            if kind is WSMsgType.PING:  # (a pong needs nothing more: it was heard)
                await ws.pong(msg.data)
            continue
        if out.frame is not None:
            try:
                later = handle(out.frame)
                if later is not None:
                    await later
                machine.handled()
            except StoreError as exc:
                log.error("%s: storage failed: %s", conn.label, exc)
                out = machine.storage_failed()
            except NotFound:
                out = machine.shop_removed()
            except p.ProtocolError as exc:
                out = machine.refuse(exc, msg.data)
        if (out.reply is not None or out.close is not None) and await _obey(conn, out):
            break


async def desktop_ws(request: web.Request) -> web.StreamResponse:
    hub = request.app[HUB]
    token = _bearer(request)
    shop = hub.store.shop_by_token(token) if token else None
    if shop is None or token is None:
        log.warning("desktop socket refused: bad token from %s", request.remote)
        return _json_error(401, "unauthorized", "shop token missing or wrong")
    if hub.closing:
        return _json_error(503, "unavailable", "relay shutting down")
    ws = web.WebSocketResponse(
        max_msg_size=hub.config.max_desktop_frame * TRANSPORT_FACTOR,
        compress=False,
        autoping=False,  # pings answered and silence watched by _frames and Hub.check_sockets
    )
    await ws.prepare(request)
    label = f"desktop {shop.id}"
    machine = RelaySide(
        ff.decode_desktop_frame, p.DesktopHello, label, max_frame=hub.config.max_desktop_frame
    )
    conn = RidingConn(ws, label, machine, request.transport, hub.holds)
    conn.liveness = DESKTOP_LIVENESS
    hello = await _handshake(ws, conn, machine)
    if hello is None or machine.version is None:
        return ws
    version = machine.version
    features = _granted(hello)

    live = hub.live(shop.id)
    before = live.presence
    if live.desktop is not None:
        old = live.desktop.conn
        log.info("shop %s: a new desktop connection replaces the old one", shop.id)
        close = old.machine.replaced()
        hub.spawn(old.close(close.code, close.reason.encode()))
    acked, delivered = hub.store.ack_stream(shop.id, hello.after)
    _delivered_receipts(hub, shop.id, delivered)
    hub.store.set_presence(shop.id, hello.presence)
    await hub.durable()
    shop = hub.store.shop(shop.id)
    link = DesktopLink(conn, hello.presence, acked, hash_token(token))
    live.desktop = link
    live.committed_seq = max(live.committed_seq, hub.store.last_seq(shop.id))
    conn.send_frame(
        p.DesktopWelcome(
            version,
            shop.id,
            shop.name,
            acked,
            hub.store.pending_count(shop.id),
            shop.line_configured,
            shop.widget_config,
            shop.allowed_origins,
            hub.meta.configured(shop.id),
            features,
        )
    )
    if p.RIDE in features:
        conn.start_riding()  # after the welcome: it always goes first and alone
    conn.on_drain = lambda: hub.pump_desktop(shop.id)
    hub.pump_desktop(shop.id)
    hub.presence_changed(shop.id, before)
    hub.desktop_moved(shop.id, hello.presence, connected=True)
    log.info("shop %s: desktop connected (protocol %d, resuming after %d)", shop.id, version, acked)
    if shop.line_configured:
        hub.wake_line(shop.id)

    def handle(frame: p.DesktopFrame) -> Awaitable[None]:
        return _desktop_frame(hub, shop.id, link, frame)

    try:
        await _frames(ws, conn, machine, handle)
    finally:
        conn.stop()
        if live.desktop is link:
            before = live.presence
            live.desktop = None
            live.remote_presence = None
            hub.presence_changed(shop.id, before)
            hub.desktop_moved(shop.id, None, connected=False)
            log.info("shop %s: desktop disconnected", shop.id)
    return ws


def _desktop_ack(hub: Hub, shop_id: str, seq: int) -> None:
    """The desktop stored its stream up to ``seq`` (an ``ack``, alone or riding in a send)."""
    _, delivered = hub.store.ack_stream(shop_id, seq)
    _delivered_receipts(hub, shop_id, delivered)
    hub.commit_soon()


def _desktop_ack_in_commit(hub: Hub, shop_id: str, conn: Conn, seq: int) -> None:
    """A riding ack, applied once per commit with the highest one (a busy desktop sends one
    in every reply), inside the same commit as the replies that carried it: nothing can tell
    it from an ack applied at once, and it costs one pass over the stream, not one per send."""
    if not isinstance(conn, RidingConn):
        _desktop_ack(hub, shop_id, seq)
        return
    if conn.riding_ack is None:

        def apply() -> None:
            seq, conn.riding_ack = conn.riding_ack or 0, None
            with contextlib.suppress(NotFound):  # the shop was removed: its sockets close
                _desktop_ack(hub, shop_id, seq)

        hub.before_commit(apply)
    conn.riding_ack = max(seq, conn.riding_ack or 0)


def _delivered_receipts(hub: Hub, shop_id: str, delivered: dict[str, list[str]]) -> None:
    """The desktop has these shopper messages: tell the widgets (ticks)."""
    for conv, ids in delivered.items():
        # (not stored: history() derives "delivered" from the queue; see Store.history)
        if ids and conv.startswith("widget:"):
            text = ff.encode_widget_receipt(p.ReceiptStatus.DELIVERED, ids)
            hub.after_commit(
                functools.partial(_tick_session, hub, shop_id, conv.split(":", 1)[1], text)
            )


def _tick_session(hub: Hub, shop_id: str, sid: str, text: str) -> None:
    """A tick (receipt) for every tab of a widget session; here it may wait to ride on the
    next frame (the reply that usually follows it); on a shared store the tabs on the other
    relay processes get it too (ADR 0010)."""
    delay = _ride_settings()[1]
    for c in hub.live(shop_id).widgets.get(sid, ()):
        _hold(c, text, delay)
    if hub.store.shared:
        hub.to_session(shop_id, sid, text, skip=None, remote=True, here=False)


def _conversation_ok(hub: Hub, shop_id: str, conversation: str) -> bool:
    if conversation.startswith("widget:"):
        return hub.store.has_session(shop_id, conversation.split(":", 1)[1])
    return hub.store.shop(shop_id).line_configured


def _maybe_meta(frame: p.DesktopFrame) -> bool:
    """Whether Meta's hub may act on ``frame``: not on a send to a widget (the common frame)."""
    return type(frame) is not p.Send or not frame.conversation.startswith("widget:")


async def _desktop_frame(hub: Hub, shop_id: str, link: DesktopLink, frame: p.DesktopFrame) -> None:
    conn = link.conn
    live = hub.live(shop_id)
    if isinstance(frame, p.Send) and frame.ack is not None:  # a riding ack
        conn.machine.acked = max(conn.machine.acked, frame.ack)
        _desktop_ack_in_commit(hub, shop_id, conn, frame.ack)
    if _maybe_meta(frame) and await hub.meta.desktop_frame(shop_id, conn, frame):
        return  # Messenger / Instagram
    if isinstance(frame, p.Ack):
        _desktop_ack(hub, shop_id, frame.seq)
    elif isinstance(frame, p.Send):
        if not _conversation_ok(hub, shop_id, frame.conversation):
            conn.send_frame(
                p.Error(
                    p.ErrorCode.NOT_FOUND,
                    "conversation: not a conversation of this shop",
                    frame.message.id,
                )
            )
            return
        if isinstance(frame.message.body, p.Image) and frame.message.body.media_id:
            m = hub.store.media(frame.message.body.media_id)
            if m is None or m.shop_id != shop_id:
                conn.send_frame(
                    p.Error(
                        p.ErrorCode.NOT_FOUND, "message.media_id: no such media", frame.message.id
                    )
                )
                return
        hub.shop_message(shop_id, frame.conversation, frame.message)
        accepted = ff.encode_accepted(frame.message.id, frame.conversation)
        delay = _ride_settings()[2]
        hub.after_commit(lambda: _hold(conn, accepted, delay))
    elif isinstance(frame, p.Typing):
        if frame.conversation.startswith("widget:"):
            sid = frame.conversation.split(":", 1)[1]
            hub.to_session(shop_id, sid, p.encode(p.ShopTyping(frame.state)))
        elif frame.state:
            await _line_loading(hub, shop_id, frame.conversation)
    elif isinstance(frame, p.Read):
        cseq = hub.store.find_message(shop_id, frame.conversation, p.Origin.SHOPPER, frame.up_to)
        if cseq is None:
            conn.send_frame(
                p.Error(p.ErrorCode.NOT_FOUND, "up_to: no such message in this conversation")
            )
            return
        moved = hub.store.mark_shopper_messages(
            shop_id, frame.conversation, p.ReceiptStatus.READ, up_to_cseq=cseq
        )
        if moved and frame.conversation.startswith("widget:"):
            text = ff.encode_widget_receipt(p.ReceiptStatus.READ, moved)
            sid = frame.conversation.split(":", 1)[1]
            hub.after_commit(lambda: _tick_session(hub, shop_id, sid, text))
    elif isinstance(frame, p.SetPresence):
        before = live.presence
        link.presence = frame.state
        hub.store.set_presence(shop_id, frame.state)
        hub.commit_soon()
        hub.presence_changed(shop_id, before)
        hub.desktop_moved(shop_id, frame.state, connected=False)
    elif isinstance(frame, p.SetWidgetConfig):
        hub.store.set_widget_config(shop_id, frame.config)
        if frame.allowed_origins is not None:
            hub.store.set_origins(shop_id, frame.allowed_origins)
        if hub.store.shared:  # widgets on the other processes: they read the shop's row
            hub.store.notify({"k": "config", "s": shop_id})
        await hub.durable()
        text = p.encode(p.ConfigNotice(frame.config))
        for conns in live.widgets.values():
            for c in conns:
                c.send(text)
        conn.send_frame(p.Ok(frame.ref))
    elif isinstance(frame, p.SetLineCredentials):
        creds = None
        if frame.channel_secret is not None and frame.channel_token is not None:
            creds = LineCredentials(frame.channel_secret, frame.channel_token)
        hub.store.set_line(shop_id, creds)
        await hub.durable()
        log.info(
            "shop %s: line credentials %s from the desktop", shop_id, "set" if creds else "cleared"
        )
        conn.send_frame(p.Ok(frame.ref))
    elif isinstance(frame, p.GetLineQuota):
        q = await hub.refresh_quota(shop_id)
        await hub.durable()
        if q is not None:
            conn.send_frame(p.LineQuota(q.month, q.used, q.limit, q.exceeded, 0, frame.ref))
    elif isinstance(frame, p.VerifyLine):
        _verify_line(hub, shop_id, conn, frame)


def _verify_line(hub: Hub, shop_id: str, conn: Conn, frame: p.VerifyLine) -> None:
    """Answer ``line_verify`` when LINE has answered (seconds: the desktop's other frames are
    not held up meanwhile)."""
    if not endpoint_is_for(frame.endpoint, shop_id):
        conn.send_frame(
            p.Error(p.ErrorCode.BAD_FRAME, "endpoint: not this shop's webhook URL", frame.ref)
        )
        return
    creds = hub.store.line_credentials(shop_id)

    async def go() -> None:
        result = await verify_line(hub.line, shop_id, creds, frame)
        log.info("shop %s: line verify: %s", shop_id, result.result.value)
        conn.send_frame(result)

    hub.spawn(go())


async def _line_loading(hub: Hub, shop_id: str, conversation: str) -> None:
    """LINE's loading animation while the shop or bot is answering (at most every 5 s)."""
    if not hub.live(shop_id).loading.due(conversation, asyncio.get_running_loop().time()):
        return
    creds = hub.store.line_credentials(shop_id)
    if creds is None:
        return

    async def go() -> None:
        try:
            res = await hub.line.start_loading(
                creds.channel_token, conversation.split(":", 1)[1], 20
            )
            if not res.ok:
                log.info("shop %s: loading animation refused (http %d)", shop_id, res.status)
        except Exception as exc:
            log.info("shop %s: loading animation failed (%s)", shop_id, type(exc).__name__)

    hub.spawn(go())


async def widget_ws(request: web.Request) -> web.StreamResponse:
    hub = request.app[HUB]
    shop = _shop_or_none(hub, request.query.get("shop", ""))
    if shop is None:
        return _json_error(404, "not_found", "no such shop")
    if not _origin_allowed(request, shop):
        log.warning(
            "shop %s: widget socket refused for origin %s",
            shop.id,
            request.headers.get("Origin", "")[:100],
        )
        return _json_error(403, "forbidden", "origin not allowed for this shop")
    ip = client_ip(request, hub)
    if not hub.ip_limit.allow(ip):
        return _json_error(
            429,
            "rate_limited",
            "too many connections; try again shortly",
            {"Retry-After": str(max(1, round(hub.ip_limit.retry_after(ip))))},
        )
    if hub.closing:
        return _json_error(503, "unavailable", "relay shutting down")
    if not hub.open_widget_socket(ip):
        return _json_error(
            429,
            "rate_limited",
            f"too many open connections from this address (at most {hub.config.ip_sockets});"
            " close some chat windows and try again",
            {"Retry-After": str(IP_SOCKETS_RETRY)},
        )
    try:
        return await _widget_session(request, hub, shop)
    finally:
        hub.close_widget_socket(ip)


async def _widget_session(request: web.Request, hub: Hub, shop: Shop) -> web.WebSocketResponse:
    """The widget's socket, from the upgrade until it ends (its limits were checked)."""
    ws = web.WebSocketResponse(
        max_msg_size=hub.config.max_widget_frame * TRANSPORT_FACTOR,
        compress=False,
        autoping=False,  # pings answered and silence watched by _frames and Hub.check_sockets
    )
    await ws.prepare(request)
    label = f"widget {shop.id}"
    machine = RelaySide(
        ff.decode_widget_frame, p.WidgetHello, label, max_frame=hub.config.max_widget_frame
    )
    conn = RidingConn(ws, label, machine, request.transport, hub.holds)
    hello = await _handshake(ws, conn, machine)
    if hello is None or machine.version is None:
        return ws
    version = machine.version
    features = _granted(hello)

    token = hello.session
    sid = hub.store.session(shop.id, token) if token else None
    if sid is None or token is None:
        sid, token = hub.store.new_session(shop.id)
        await hub.durable()
    conversation = f"widget:{sid}"
    live = hub.live(shop.id)
    history = tuple(hub.store.history(shop.id, conversation, hello.after))
    conn.send_frame(
        p.WidgetWelcome(
            version, token, conversation, live.presence, shop.widget_config, history, features
        )
    )
    if p.RIDE in features:
        conn.start_riding()  # after the welcome: it always goes first and alone
    live.widgets.setdefault(sid, set()).add(conn)
    limit_key = f"{shop.id}:{sid}"
    shop_id = shop.id

    def handle(frame: p.WidgetFrame) -> None:
        if isinstance(frame, p.WidgetSend):
            # riding acknowledgements first, as if they had come just before the message
            # (their receipts ride on the message's row: no row of their own, none updated)
            riding = Riding(conversation)
            if frame.ack is not None:
                conn.machine.acked = max(conn.machine.acked, frame.ack)
                _widget_ack(hub, shop_id, conversation, frame.ack, riding=riding)
            if frame.read is not None:
                _widget_ack(hub, shop_id, conversation, frame.read, read=True, riding=riding)
            _widget_send(hub, shop_id, sid, conn, frame.message, limit_key, riding)
        elif isinstance(frame, p.Ack | p.WidgetRead):
            _widget_ack(hub, shop_id, conversation, frame.seq, read=isinstance(frame, p.WidgetRead))
        elif isinstance(frame, p.WidgetTyping):
            if hub.typing_limit.allow(limit_key):
                hub.to_desktop(shop_id, p.encode(p.ShopperTyping(conversation, frame.state)))

    try:
        await _frames(ws, conn, machine, handle)
    finally:
        conn.stop()
        conns = live.widgets.get(sid)
        if conns is not None:
            conns.discard(conn)
            if not conns:
                del live.widgets[sid]
    return ws


@dataclass(slots=True)
class Riding:
    """The receipts a widget's ack and read mark riding in its send made, for the message's
    row to carry (ADR 0012): the cseqs (after, up_to) each covers, and the read one's ids."""

    conversation: str
    delivered: tuple[int, int] | None = None
    read: tuple[int, int, tuple[str, ...]] | None = None

    def alone(self, hub: Hub, shop_id: str) -> None:
        """The message is refused (or failed): the receipts go as rows of their own."""
        conv, delivered, read = self.conversation, self.delivered, self.read
        self.delivered = self.read = None
        if delivered is not None:
            hub.delivered_receipt(shop_id, conv, *delivered)
        if read is not None:
            status, ids = p.ReceiptStatus.READ, read[2]
            hub.push_stream(shop_id, lambda s: p.Receipt(conv, status, ids, s))
        hub.commit_soon()


def _widget_ack(
    hub: Hub,
    shop_id: str,
    conversation: str,
    seq: int,
    *,
    read: bool = False,
    riding: Riding | None = None,
) -> None:
    """The widget shows (``read``: the shopper has seen) the conversation up to ``seq``:
    receipts for the desktop (an ``ack``/``read``, alone or riding in a send). With
    ``riding`` (riding in a send) the receipt is not made here but left in it for the
    message's row to carry (``_widget_send``)."""
    had = hub.store.conversation_state(shop_id, conversation)[1 if read else 0]
    ids = hub.store.widget_ack(shop_id, conversation, seq, read=read)
    if not ids:
        return
    ids_t = tuple(i for i in ids if not i.startswith("relay-"))
    now = hub.store.conversation_state(shop_id, conversation)[1 if read else 0]
    if ids_t and riding is not None:
        if read:
            riding.read = (had, now, ids_t)
        else:
            riding.delivered = (had, now)
        return
    if ids_t and read:
        status = p.ReceiptStatus.READ
        hub.push_stream(shop_id, lambda s: p.Receipt(conversation, status, ids_t, s))
    elif ids_t:  # "delivered": kept on the messages' own rows
        hub.delivered_receipt(shop_id, conversation, had, seq)
    hub.commit_soon()


def _widget_send(
    hub: Hub,
    shop_id: str,
    sid: str,
    conn: Conn,
    message: p.Message,
    limit_key: str,
    riding: Riding,
) -> None:
    """Store a widget's message; ``riding``: the receipts its riding ack and read mark
    made, for its row to carry (or rows of their own, when the message is refused)."""
    conversation = f"widget:{sid}"
    if not hub.shopper_limit.allow(limit_key):
        riding.alone(hub, shop_id)
        conn.send_frame(
            p.Error(
                p.ErrorCode.RATE_LIMITED, "rate limited (429): slow down and resend", message.id
            )
        )
        return
    body = message.body
    if isinstance(body, p.Image):
        m = hub.store.media(body.media_id) if body.media_id else None
        if m is None or m.shop_id != shop_id:
            riding.alone(hub, shop_id)
            conn.send_frame(
                p.Error(
                    p.ErrorCode.NOT_FOUND, "message.media_id: upload the image first", message.id
                )
            )
            return
        message = message.with_body(
            p.Image(m.id, None, m.mime, m.width, m.height, m.size, body.caption)
        )
    try:
        cseq, is_new, stored = hub.shopper_message(
            shop_id, conversation, message, delivered=riding.delivered, read=riding.read
        )
    except Exception:
        riding.alone(hub, shop_id)  # the ack and read mark were taken: tell them
        raise
    accepted = ff.encode_accepted(message.id, None, cseq)
    if is_new and hub.store.shared:  # the session's tabs on other processes read the row
        hub.store.notify({"k": "msg", "s": shop_id, "c": conversation, "n": cseq})
    if is_new and len(hub.live(shop_id).widgets.get(sid, ())) > 1:
        echo = p.encode(p.WidgetMessage(p.HistoryItem(cseq, p.Origin.SHOPPER, stored)))

        def done() -> None:
            conn.send(accepted)
            hub.to_session(shop_id, sid, echo, skip=conn, remote=False)

        hub.after_commit(done)
    else:
        delay = _ride_settings()[1]
        hub.after_commit(lambda: _hold(conn, accepted, delay))


# ---------------------------------------------------------------------------------------------
# Application and main loop


def make_app(hub: Hub) -> web.Application:
    app = web.Application(client_max_size=max(hub.config.max_upload, 1024 * 1024) + 1024)
    app[HUB] = hub
    app[WIDGET_JS] = _static("widget.js")
    app[DEMO_HTML] = _static("demo.html").decode("utf-8")
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/widget.js", widget_js)
    app.router.add_get("/widget/{shop_id}/config", widget_config)
    app.router.add_route("*", "/widget/{shop_id}/upload", widget_upload)
    app.router.add_get("/media/{media_id}", media_get)
    app.router.add_post("/desktop/media", desktop_upload)
    app.router.add_post("/line/{shop_id}/webhook", line_webhook)
    meta_routes.add_routes(app, hub)  # Messenger / Instagram
    app.router.add_get("/ws/desktop", desktop_ws)
    app.router.add_get("/ws/widget", widget_ws)
    if hub.config.demo_page:
        app.router.add_get("/demo/{shop_id}", demo_page)
    return app


def _stop_at_stdin_eof(loop: asyncio.AbstractEventLoop, stop: asyncio.Event) -> None:
    """Set ``stop`` once standard input reaches its end: the parent that started this relay
    holds the pipe's other end, and the OS closes it when the parent exits, even by SIGKILL
    (a blocking read on a thread: portable to Windows, where the loop cannot watch a pipe)."""

    fd = sys.stdin.fileno()

    def watch() -> None:
        # os.read, not sys.stdin: a daemon thread must hold no lock of the io objects, which
        # the interpreter takes at exit.
        with contextlib.suppress(OSError):
            while os.read(fd, 4096):
                pass
        log.info("parent gone (stdin closed): stopping")
        with contextlib.suppress(RuntimeError):  # the loop already closed
            loop.call_soon_threadsafe(stop.set)

    threading.Thread(target=watch, name="stdin-watch", daemon=True).start()


class ListenFailed(Exception):
    """A listener could not bind (the port is taken, or the address is not this machine's)."""

    def __init__(self, address: str, reason: str) -> None:
        super().__init__(f"cannot listen on {address}: {reason}")
        self.address = address
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Listening:
    """Where a started relay answers (ports resolved when 0 was asked for)."""

    host: str
    port: int
    metrics_port: int | None = None


async def _listen(runner: web.AppRunner, host: str, port: int) -> tuple[str, int]:
    """Bind ``runner`` to host:port; the bound address. Raises ListenFailed."""
    await runner.setup()
    site = web.TCPSite(runner, host, port, reuse_address=True, backlog=4096)
    try:
        await site.start()
    except OSError as exc:
        await runner.cleanup()
        raise ListenFailed(f"{host}:{port}", exc.strerror or str(exc)) from exc
    address = runner.addresses[0]  # the bound (host, port, ...) — port 0 resolved
    return str(address[0]), int(address[1])


def metrics_app(hub: Hub) -> web.Application:
    """The metrics listener's app: ``GET /metrics`` and nothing else."""
    app = web.Application()
    app[HUB] = hub
    app.router.add_get("/metrics", metrics)
    return app


async def _drain(hub: Hub, stop: asyncio.Event) -> None:
    """After SIGTERM: /readyz answers 503 at once; the sockets stay open for the configured
    grace, so a load balancer stops sending new clients before they are closed (a second
    SIGTERM ends the grace)."""
    hub.draining = True
    grace = hub.config.drain_grace
    if grace <= 0:
        return
    log.info("draining: /readyz answers 503; closing the sockets in %.0f s", grace)
    stop.clear()
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), grace)


async def serve(
    store: Store,
    config: RelayConfig,
    ready: Callable[[Listening], None],
    *,
    stop_at_stdin_eof: bool = False,
) -> None:
    """Run until SIGTERM/SIGINT (or, with ``stop_at_stdin_eof``, until standard input closes:
    a relay started by an app dies with it), then shut down gracefully. Raises ListenFailed."""
    hub = Hub(store, config)
    runner = web.AppRunner(make_app(hub), handle_signals=False, access_log=None, shutdown_timeout=5)
    host, port = await _listen(runner, config.host, config.port)
    metrics_runner: web.AppRunner | None = None
    metrics_port: int | None = None
    if config.metrics_port is not None:
        metrics_runner = web.AppRunner(metrics_app(hub), handle_signals=False, access_log=None)
        try:
            at = await _listen(metrics_runner, config.metrics_host, config.metrics_port)
            metrics_port = at[1]
        except ListenFailed:
            await runner.cleanup()
            raise
    if not hub.public_url:
        shown = f"[{host}]" if ":" in host else host
        hub.public_url = f"http://{shown}:{port}"
    hub.spawn(hub.webhook_worker())
    hub.spawn(hub.housekeeping())
    hub.spawn(hub.watch_sockets())
    hub.spawn(hub.watch_shops())
    if store.shared:
        hub.listen_to_others()
    hub.meta.start()
    for shop_id in store.line_shops_pending():
        hub.wake_line(shop_id)
    ready(Listening(host, port, metrics_port))

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    if stop_at_stdin_eof:
        _stop_at_stdin_eof(loop, stop)
    await stop.wait()
    await _drain(hub, stop)
    log.info("shutting down")
    for site in list(runner.sites):
        await site.stop()  # stop accepting
    await hub.close()  # close sockets with 1001, finish workers, commit
    await runner.cleanup()
    if metrics_runner is not None:
        await metrics_runner.cleanup()
    store.close()
    log.info("stopped")
