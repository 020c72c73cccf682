"""Fixtures of the integration tests that link a desktop to a relay (the one-shop relay
process is ``tests/conftest.py``'s ``relay``): the desktop's relay client on the test's
database (online before the test starts) and a widget shopper's socket. A test module may
define its own ``relay`` (e.g. with a LINE stand-in) or ``desktop``; those win."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from support.recorder import Recorder
from support.shopper import Shopper

from minichat_desktop.storage.db import Database
from minichat_desktop.sync.client import RelayClient


@pytest.fixture
async def desktop(relay: Any, db: Database) -> AsyncIterator[tuple[RelayClient, Recorder]]:
    r, _shop_id, token = relay
    rec = Recorder()
    client = RelayClient(db, r.url, lambda: token, rec, backoff_base=0.05, backoff_cap=0.3)
    task = asyncio.create_task(client.run())
    await asyncio.wait_for(rec.online.wait(), 10)
    yield client, rec
    await client.stop()
    await asyncio.wait_for(task, 10)


@pytest.fixture
async def shopper(relay: Any) -> AsyncIterator[Shopper]:
    r, shop_id, _ = relay
    s = Shopper(r, shop_id)
    await s.connect()
    yield s
    await s.close()
