"""A rotated token or a removed shop closes the sockets already open, at once (4001)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import websockets
from websockets.exceptions import ConnectionClosed

from relay import protocol as p


async def _closed_with(peer: Any, timeout: float = 5) -> tuple[int | None, str | None]:
    """Read until the relay closes the socket; the close code and reason it gave."""
    with pytest.raises(ConnectionClosed) as caught:
        async with asyncio.timeout(timeout):
            while True:
                await peer.ws.recv()
    rcvd = caught.value.rcvd
    return (rcvd.code, rcvd.reason) if rcvd is not None else (None, None)


def test_rotating_the_token_closes_the_open_desktop_link(
    shop_relay: Any, clients: Any, arun: Any
) -> None:
    r, shop_id = shop_relay.relay, shop_relay.shop_id

    async def go() -> None:
        peer, _ = await clients.desktop(r, shop_relay.token)
        res = clients.run_cli(r.data_dir, "shops", "rotate-token", shop_id)
        assert res.returncode == 0, res.stderr
        new_token = res.stdout.strip().splitlines()[-1].split('"token": "')[1].rstrip('"}')
        assert await _closed_with(peer) == (4001, "shop token rotated")
        # the old token is refused before the upgrade; the new one connects
        with pytest.raises(websockets.InvalidStatus) as refused:
            await clients.desktop(r, shop_relay.token)
        assert refused.value.response.status_code == 401
        fresh, welcome = await clients.desktop(r, new_token)
        assert welcome.shop_id == shop_id
        # other changes by the command line (origins) leave the link open
        res = clients.run_cli(r.data_dir, "shops", "origins", shop_id, "https://shop.example")
        assert res.returncode == 0, res.stderr
        await asyncio.sleep(1.5)  # longer than the relay's check interval
        await fresh.send(p.SetWidgetConfig("cfg-1", p.WidgetConfig(shop_name="ร้านใหม่")))
        assert (await fresh.recv_type(p.Ok)).ref == "cfg-1"
        await fresh.close()

    arun(go())


def test_removing_the_shop_closes_its_desktop_and_widgets(
    shop_relay: Any, clients: Any, arun: Any
) -> None:
    r, shop_id = shop_relay.relay, shop_relay.shop_id

    async def go() -> None:
        desk, _ = await clients.desktop(r, shop_relay.token)
        shopper, _ = await clients.widget(r, shop_id)
        res = clients.run_cli(r.data_dir, "shops", "remove", shop_id, "--yes")
        assert res.returncode == 0, res.stderr
        assert await _closed_with(desk) == (4001, "shop removed")
        assert await _closed_with(shopper) == (4001, "shop removed")

    arun(go())
