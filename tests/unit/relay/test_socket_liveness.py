"""The relay's own watch on silent sockets (it replaced aiohttp's heartbeat, which reset a
timer for every chunk received): a peer silent for a while is pinged; one that answers stays,
one that does not is closed; and the relay answers a peer's ping with its payload (RFC 6455
§5.5.2), before the hello too.

The relay runs in this process (its Hub and aiohttp app on a real port 0 socket, a real
SQLite file); the peers are real aiohttp WebSocket clients. The sweeps are called directly
(Hub.check_sockets), so no test waits for the clock."""

from __future__ import annotations

import asyncio
import json

import aiohttp
from aiohttp import WSMsgType
from support.relay_inproc import InProcessRelay
from support.waiting import until

from relay.server import DESKTOP_LIVENESS, WIDGET_LIVENESS, Hub


async def _widget(
    session: aiohttp.ClientSession, base: str, shop_id: str, *, autoping: bool
) -> aiohttp.ClientWebSocketResponse:
    ws = await session.ws_connect(f"{base}/ws/widget?shop={shop_id}", autoping=autoping)
    await ws.send_str(json.dumps({"type": "hello", "protocol": [1]}))
    welcome = await ws.receive(timeout=20)
    assert json.loads(welcome.data)["type"] == "welcome"
    return ws


def _sweep(hub: Hub, times: int) -> None:
    for _ in range(times):
        hub.check_sockets()


async def test_a_silent_widget_is_pinged_and_closed_when_it_does_not_answer(
    relay: InProcessRelay,
) -> None:
    hub, base, shop_id = relay.hub, relay.http, relay.shop_id
    async with aiohttp.ClientSession() as session:
        ws = await _widget(session, base, shop_id, autoping=False)  # it answers nothing
        _sweep(hub, 1 + WIDGET_LIVENESS.ping_after)  # (the first sweep forgets the hello)
        ping = await ws.receive(timeout=20)
        assert ping.type is WSMsgType.PING
        _sweep(hub, WIDGET_LIVENESS.give_up_after - 1)
        await asyncio.sleep(0)
        assert hub.shops[shop_id].widgets  # not yet
        _sweep(hub, 1)
        closing = await ws.receive(timeout=20)
        assert closing.type is WSMsgType.CLOSE
        assert closing.data == 1001 and closing.extra == "no answer to ping"
        await until(lambda: not hub.shops[shop_id].widgets, 20)


async def test_a_widget_that_answers_pings_stays(relay: InProcessRelay) -> None:
    hub, base, shop_id = relay.hub, relay.http, relay.shop_id
    async with aiohttp.ClientSession() as session:
        ws = await _widget(session, base, shop_id, autoping=True)  # its pongs go by themselves
        reader = asyncio.create_task(ws.receive())  # (a client reads to answer pings)
        conn = next(iter(next(iter(hub.shops[shop_id].widgets.values()))))
        for _ in range(3):  # three times silent long enough to be pinged, and answering
            _sweep(hub, 1 + WIDGET_LIVENESS.ping_after)
            await until(lambda: conn.heard, 20)  # its pong
        _sweep(hub, WIDGET_LIVENESS.ping_after)
        assert not ws.closed and not reader.done()
        assert hub.shops[shop_id].widgets
        reader.cancel()
        await ws.close()


async def test_the_desktop_is_pinged_sooner(relay: InProcessRelay) -> None:
    hub, base, token = relay.hub, relay.http, relay.token
    async with aiohttp.ClientSession() as session:
        ws = await session.ws_connect(
            f"{base}/ws/desktop", headers={"Authorization": f"Bearer {token}"}, autoping=False
        )
        await ws.send_str(json.dumps({"type": "hello", "protocol": [1]}))
        assert json.loads((await ws.receive(timeout=20)).data)["type"] == "welcome"
        assert DESKTOP_LIVENESS.ping_after < WIDGET_LIVENESS.ping_after
        _sweep(hub, 1 + DESKTOP_LIVENESS.ping_after)
        assert (await ws.receive(timeout=20)).type is WSMsgType.PING
        await ws.close()


async def test_the_relay_answers_a_ping_with_its_payload_before_and_after_the_hello(
    relay: InProcessRelay,
) -> None:
    base, shop_id = relay.http, relay.shop_id
    async with aiohttp.ClientSession() as session:
        ws = await session.ws_connect(f"{base}/ws/widget?shop={shop_id}", autoping=False)
        await ws.ping(b"before")
        pong = await ws.receive(timeout=20)
        assert (pong.type, pong.data) == (WSMsgType.PONG, b"before")
        await ws.send_str(json.dumps({"type": "hello", "protocol": [1]}))
        assert json.loads((await ws.receive(timeout=20)).data)["type"] == "welcome"
        await ws.ping(b"after")
        pong = await ws.receive(timeout=20)
        assert (pong.type, pong.data) == (WSMsgType.PONG, b"after")
        await ws.close()
