"""Settings → Relay → Test connection: a real hello against a relay process on port 0 says
whether the relay is reachable, takes the token, and which shop it is; probing the app's own
shop does not leave the app's link stopped."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path
from typing import Any

from support.recorder import Recorder
from support.relay_proc import Relay, add_shop
from support.waiting import until

from minichat_desktop.storage.db import Database
from minichat_desktop.sync.client import Probe, RelayClient, probe, widget_test_page
from minichat_desktop.sync.status import LinkState


async def test_a_good_token_reaches_the_shop(relay: Any) -> None:
    """Reachable, token accepted, and the shop's name and id as the relay has them."""
    r, shop_id, token = relay
    assert await probe(r.url, token) == Probe(True, True, shop_id, "ร้านทดสอบ")


async def test_a_wrong_token_is_refused(relay: Any) -> None:
    """The relay answers but refuses the token: reachable, not accepted, no shop."""
    r, _shop_id, _token = relay
    assert await probe(r.url, "mcs_not-a-token") == Probe(
        True, False, problem="the relay refused the shop token"
    )


async def test_nothing_listening_is_unreachable() -> None:
    """Nothing on the port: not reachable, the token unknown, the reason in plain words."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    result = await probe(f"http://127.0.0.1:{port}", "mcs_x", timeout=5)
    assert result == Probe(False, None, problem="relay unreachable (connection refused)")


async def test_probing_the_apps_own_shop_keeps_the_link(relay: Any, db: Database) -> None:
    """The probe's hello replaces the app's link at the relay (one link per shop); the app's
    link connects again at once instead of waiting for the owner."""
    r, shop_id, token = relay
    rec = Recorder()
    client = RelayClient(db, r.url, lambda: token, rec, backoff_base=0.05, backoff_cap=0.3)
    task = asyncio.create_task(client.run())
    try:
        await asyncio.wait_for(rec.online.wait(), 10)
        before = len(rec.statuses)
        result = await client.probe(r.url, token)
        assert (result.token_accepted, result.shop_id) == (True, shop_id)
        # the link was replaced at the relay (it went offline) and is back online by itself
        await until(lambda: any(s.state is not LinkState.ONLINE for s in rec.statuses[before:]))
        await until(lambda: client.online)
        assert rec.statuses[-1].state is LinkState.ONLINE
    finally:
        await client.stop()
        await asyncio.wait_for(task, 10)


async def test_the_widget_test_page_is_the_relays_own_when_it_serves_one(
    relay: Any, tmp_path: Path
) -> None:
    """A relay without its test page: None (Set up then opens the shop's own site); one that
    serves it (``--demo-page``): its address."""
    r, shop_id, _token = relay
    assert await widget_test_page(r.url, shop_id) is None
    demo = Relay(tmp_path / "demo-relay", ["--demo-page"])
    demo.data_dir.mkdir(parents=True)
    demo_shop, _ = add_shop(demo.data_dir, "ร้านทดลอง")
    demo.start()
    try:
        assert await widget_test_page(demo.url, demo_shop) == f"{demo.url}/demo/{demo_shop}"
    finally:
        demo.stop()
