"""Shoppers' names and pictures end to end: a relay process with a shop on Facebook, Meta as a
local server (support.fake_meta) with the User Profile API and its expiring picture URLs, the
desktop's relay client on a real SQLite file. A Messenger message names its customer and
leaves the picture as a file in the data folder; a name the owner typed stays."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from support.fake_meta import FakeMeta, user_message, webhook
from support.recorder import Recorder
from support.relay_proc import Relay, meta_shop_relay
from support.waiting import until

from minichat_desktop.domain.customers import customers
from minichat_desktop.domain.models import IdentityKind
from minichat_desktop.storage.db import Database
from minichat_desktop.sync.client import RelayClient

PAGE = "1122334455"
PSID = "2233445566778899"
REGULAR = "2233445566770000"
SECRET = "app-secret-0123456789"
TOKEN = "page-token-1"


@pytest.fixture
def relay(tmp_path: Path, meta_api: FakeMeta) -> Iterator[tuple[Relay, str, str]]:
    """A relay process whose one shop has its Facebook Page set up (by the operator's CLI)."""
    r, shop_id, token = meta_shop_relay(tmp_path / "relay", meta_api.url, SECRET, TOKEN)
    yield r, shop_id, token
    r.stop()


@pytest.fixture
async def desktop(relay: Any, db: Database) -> AsyncIterator[RelayClient]:
    r, _shop_id, token = relay
    rec = Recorder()
    client = RelayClient(
        db, r.url, lambda: token, rec, backoff_base=0.05, backoff_cap=0.3, bot=False
    )
    task = asyncio.create_task(client.run())
    await asyncio.wait_for(rec.online.wait(), 10)
    yield client
    await client.stop()
    await asyncio.wait_for(task, 10)


def _jpeg(colour: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 64), colour).save(out, "JPEG")
    return out.getvalue()


def _customer(db: Database, user: str) -> customers.CustomerView | None:
    with db.read() as s:
        return customers.find_by_identity(s, IdentityKind.MESSENGER, user)


def _picture(db: Database, user: str) -> str:
    view = _customer(db, user)
    return "" if view is None else view.picture


async def _message_from(relay: Any, meta_api: FakeMeta, db: Database, user: str, mid: str) -> None:
    """``user`` writes to the page; returns once their customer has a picture kept."""
    r, shop_id, _ = relay
    body = webhook("page", PAGE, user_message(user, PAGE, mid, text="สวัสดีค่ะ"))
    assert meta_api.post_webhook(f"{r.url}/meta/{shop_id}/webhook", body, SECRET)[0] == 200
    await until(lambda: _picture(db, user) != "", timeout=30)


async def test_a_messenger_message_names_the_customer_and_keeps_the_picture_file(
    relay: Any, db: Database, desktop: RelayClient, meta_api: FakeMeta
) -> None:
    photo = _jpeg((220, 90, 40))
    meta_api.profiles[PSID] = {
        "first_name": "สมหญิง",
        "last_name": "ใจดี",
        "profile_pic": meta_api.host("somying.jpg", photo),
    }
    await _message_from(relay, meta_api, db, PSID, "m_prof_1")
    view = _customer(db, PSID)
    assert view is not None and view.name == "สมหญิง ใจดี"
    kept = db.path.parent / _picture(db, PSID)
    assert kept.is_relative_to(db.path.parent / "media" / "profiles")
    assert kept.read_bytes() == photo
    assert meta_api.fetched == [("somying.jpg", 200)]  # the relay copied it: Meta's URL is spent


async def test_a_name_the_owner_typed_is_kept_and_only_the_picture_arrives(
    relay: Any, db: Database, desktop: RelayClient, meta_api: FakeMeta
) -> None:
    with db.write() as s:
        known = customers.find_or_create(s, IdentityKind.MESSENGER, REGULAR, "owner")
        customers.update_customer(s, known.id, "owner", name="ป้าแดง ลูกค้าประจำ")
    photo = _jpeg((20, 160, 90))
    meta_api.profiles[REGULAR] = {
        "first_name": "Daeng",
        "last_name": "S.",
        "profile_pic": meta_api.host("daeng.jpg", photo),
    }
    await _message_from(relay, meta_api, db, REGULAR, "m_prof_2")
    view = _customer(db, REGULAR)
    assert view is not None and (view.id, view.name) == (known.id, "ป้าแดง ลูกค้าประจำ")
    assert (db.path.parent / _picture(db, REGULAR)).read_bytes() == photo
