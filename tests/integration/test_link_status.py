"""The relay link's status never lies (a real relay process, the real client): it is online
only while the client's task runs and the relay was heard from within the liveness bound."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import pytest
from support.recorder import Recorder
from support.shopper import Shopper
from support.waiting import until

from minichat_desktop.storage.db import Database
from minichat_desktop.sync.client import DIED, SILENT, RelayClient
from minichat_desktop.sync.liveness import BOUND
from minichat_desktop.sync.status import LinkState, Status
from minichat_desktop.sync.supervisor import Crash, Supervisor
from relay import protocol as p


class Clock:
    """Real monotonic time plus whatever the test skips ahead."""

    def __init__(self) -> None:
        self.skipped = 0.0

    def __call__(self) -> float:
        return time.monotonic() + self.skipped


async def no_wait(seconds: float) -> None:
    await asyncio.sleep(0)


async def test_a_link_silent_past_the_bound_is_not_online_until_the_relay_speaks(
    relay: Any, db: Database
) -> None:
    """What a stuck event loop looks like to the status: no frame and no pong for longer than
    the bound. A shopper's message (a frame) proves the link again."""
    r, shop_id, token = relay
    rec, clock = Recorder(), Clock()
    client = RelayClient(db, r.url, lambda: token, rec, backoff_base=0.05, clock=clock)
    task = asyncio.create_task(client.run())
    try:
        await asyncio.wait_for(rec.online.wait(), 10)
        assert client.online
        clock.skipped += BOUND + 1
        assert client.status == Status(LinkState.CONNECTING, SILENT)
        assert not client.online
        # Nothing goes out on a silent link.
        assert not await client.send_live(p.Typing("widget:nobody", True))
        assert client.check() == Status(LinkState.CONNECTING, SILENT)
        assert rec.statuses[-1] == Status(LinkState.CONNECTING, SILENT)  # reported once
        client.check()
        assert rec.statuses.count(Status(LinkState.CONNECTING, SILENT)) == 1

        shopper = Shopper(r, shop_id)
        await shopper.connect()
        await shopper.say("m-1", "ยังอยู่ไหมคะ")
        await until(lambda: len(rec.stored) == 1)
        await shopper.close()
        assert client.online
        assert client.check() == Status(LinkState.ONLINE)
        assert rec.statuses[-1] == Status(LinkState.ONLINE)
    finally:
        await client.stop()
        await asyncio.wait_for(task, 10)


async def test_a_cancelled_link_task_is_offline(relay: Any, db: Database) -> None:
    r, _shop_id, token = relay
    rec = Recorder()
    client = RelayClient(db, r.url, lambda: token, rec, backoff_base=0.05)
    task = asyncio.create_task(client.run())
    await asyncio.wait_for(rec.online.wait(), 10)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert client.status.state is LinkState.OFFLINE
    assert not client.online
    assert rec.statuses[-1].state is LinkState.OFFLINE
    await client.stop()


async def test_a_link_that_dies_says_so_is_logged_and_comes_back_under_the_supervisor(
    relay: Any, db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    """An error nobody caught (here the keyring failing while reconnecting) ends the client's
    task: the status turns offline at once, the traceback is logged, the owner is told, and
    the supervisor starts the link again — which comes back online and delivers."""
    r, shop_id, token = relay
    rec = Recorder()
    broken = {"keyring": False}

    def shop_token() -> str:
        if broken["keyring"]:
            broken["keyring"] = False  # fails once
            raise RuntimeError("keyring backend crashed")
        return token

    told: list[Crash] = []
    sup = Supervisor(told.append, sleep=no_wait)
    client = RelayClient(db, r.url, shop_token, rec, backoff_base=0.01, spawn=sup.start)
    sup.start("relay link", client.run)
    try:
        await asyncio.wait_for(rec.online.wait(), 10)
        with caplog.at_level(logging.ERROR):
            broken["keyring"] = True
            client.reconfigure()  # drop the link: the reconnect asks the keyring again
            await until(lambda: len(told) == 1)
            await asyncio.wait_for(rec.online.wait(), 10)
        assert Status(LinkState.OFFLINE, DIED) in rec.statuses
        died = rec.statuses.index(Status(LinkState.OFFLINE, DIED))
        assert rec.statuses[-1] == Status(LinkState.ONLINE)
        assert died < len(rec.statuses) - 1
        assert [(c.job, str(c.error)) for c in told] == [("relay link", "keyring backend crashed")]
        logged = [r for r in caplog.records if r.name == "minichat_desktop.sync.supervisor"]
        assert logged and logged[0].exc_info is not None
        assert logged[0].getMessage().startswith("relay link stopped after an error")

        shopper = Shopper(r, shop_id)
        await shopper.connect()
        await shopper.say("m-after", "สวัสดีค่ะ")
        await until(lambda: any(s.message.uid == "m-after" for s in rec.stored))
        await shopper.close()
    finally:
        await client.stop()
        await sup.stop()


async def test_a_stuck_link_is_restarted_by_its_supervisor(relay: Any, db: Database) -> None:
    """Silent for twice the bound (a task that cannot run any more, as after a nested event
    loop): the next check cancels the link's task and the supervisor starts it again."""
    r, _shop_id, token = relay
    rec, clock = Recorder(), Clock()
    told: list[Crash] = []
    sup = Supervisor(told.append, sleep=no_wait)
    client = RelayClient(db, r.url, lambda: token, rec, backoff_base=0.01, clock=clock)
    sup.start("relay link", client.run)
    try:
        await asyncio.wait_for(rec.online.wait(), 10)
        clock.skipped += 2 * BOUND - 1
        assert client.check() == Status(LinkState.CONNECTING, SILENT)
        assert not told  # silent, not yet stuck
        clock.skipped += 2
        client.check()
        await until(lambda: len(told) == 1)
        assert (told[0].job, type(told[0].error).__name__) == ("relay link", "CancelledError")
        await until(lambda: client.online)
        assert rec.statuses[-1] == Status(LinkState.ONLINE)
    finally:
        await client.stop()
        await sup.stop()
