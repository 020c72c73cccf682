"""Shoppers' names and pictures: the relay as a process asks Meta's User Profile API and LINE's
Get profile (local servers speaking their wire formats) once per conversation, copies the
picture into its media before the platform's URL expires, and puts a ``profile`` item on the
shop's stream; a refusal or an expired picture harms no message."""

from __future__ import annotations

import io
import threading
import urllib.request
from types import SimpleNamespace
from typing import Any

import pytest
from PIL import Image
from support.fake_line import FakeLine
from support.fake_meta import FakeMeta, user_message, webhook
from support.relay_proc import line_env
from support.waiting import until
from test_relay_line import USER, event, signed_post

from relay import protocol as p

PAGE = "1122334455"
PSID = "2233445566778899"
IGSID = "17841400000000001"
SECRET = "app-secret-0123456789"
TOKEN = "page-token-1"
LINE_SECRET = "channel-secret-0123456789abcdef"
LINE_TOKEN = "channel-token-XYZ"


def _jpeg(colour: tuple[int, int, int] = (30, 120, 200)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (48, 48), colour).save(out, "JPEG")
    return out.getvalue()


def _fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as resp:
        data: bytes = resp.read()
        return data


@pytest.fixture
def shop(meta_api: FakeMeta, relay_factory: Any, clients: Any) -> Any:
    # (meta_api first: set up first, it is torn down last, after the relay that talks to it)
    """A shop with Messenger/Instagram and LINE set up."""
    r = relay_factory(env={"MINICHAT_META_API_BASE": meta_api.url})
    shop_id, token = clients.add_shop(r.data_dir, "ร้านทดสอบ")
    meta_env = {
        "MINICHAT_META_APP_SECRET": SECRET,
        "MINICHAT_META_PAGE_TOKEN": TOKEN,
        "MINICHAT_META_VERIFY_TOKEN": "verify-me",
    }
    res = clients.run_cli(r.data_dir, "shops", "meta", shop_id, env=meta_env)
    assert res.returncode == 0, res.stderr
    res = clients.run_cli(
        r.data_dir, "shops", "line", shop_id, env=line_env(LINE_SECRET, LINE_TOKEN)
    )
    assert res.returncode == 0, res.stderr
    r.start()
    return SimpleNamespace(
        relay=r,
        shop=shop_id,
        shop_token=token,
        endpoint=f"{r.url}/meta/{shop_id}/webhook",
        line_hook=f"{r.url}/line/{shop_id}/webhook",
    )


def test_a_messenger_profile_is_fetched_once_with_its_picture_copied_before_it_expires(
    shop: Any, meta_api: FakeMeta, clients: Any, arun: Any
) -> None:
    """Two messages while the fetch is slow make one profile call; the picture URL (one GET,
    then expired) is read at once and served by the relay; later messages ask nothing."""
    photo = _jpeg()
    meta_api.profiles[PSID] = {
        "first_name": "สมหญิง",
        "last_name": "ใจดี",
        "profile_pic": meta_api.host("psid-pic.jpg", photo),
        "locale": "th_TH",
    }
    meta_api.profile_gate = threading.Event()

    async def go() -> None:
        desk, _ = await clients.desktop(shop.relay, shop.shop_token)
        for n in (1, 2):
            body = webhook("page", PAGE, user_message(PSID, PAGE, f"m_p_{n}", text=f"สวัสดี {n}"))
            assert meta_api.post_webhook(shop.endpoint, body, SECRET)[0] == 200
        first = await desk.recv_type(p.Inbound)
        second = await desk.recv_type(p.Inbound)
        assert (first.message.id, second.message.id) != (None, None)
        meta_api.profile_gate.set()  # type: ignore[union-attr]
        prof = await desk.recv_type(p.Profile, timeout=20)
        assert (prof.conversation, prof.name, prof.username) == (
            f"messenger:{PSID}",
            "สมหญิง ใจดี",
            None,
        )
        assert prof.picture is not None and prof.picture.mime == "image/jpeg"
        assert prof.picture.url == f"{shop.relay.url}/media/{prof.picture.media_id}"
        assert _fetch(prof.picture.url) == photo
        later = webhook("page", PAGE, user_message(PSID, PAGE, "m_p_3", text="ยังอยู่ไหม"))
        assert meta_api.post_webhook(shop.endpoint, later, SECRET)[0] == 200
        await desk.recv_type(p.Inbound)
        await desk.nothing(0.8)
        await desk.close()

    arun(go())
    assert meta_api.profile_calls == [
        {
            "user": PSID,
            "fields": ["first_name", "last_name", "profile_pic"],
            "auth": f"Bearer {TOKEN}",
        }
    ]
    assert meta_api.fetched == [("psid-pic.jpg", 200)]


def test_an_instagram_profile_carries_the_name_and_the_username(
    shop: Any, meta_api: FakeMeta, clients: Any, arun: Any
) -> None:
    """Instagram's fields are ``name,username,profile_pic``; a shopper with no picture set
    gets ``picture: null``."""
    meta_api.profiles[IGSID] = {"name": "Nok Shop Lover", "username": "nok.lover"}

    async def go() -> None:
        desk, _ = await clients.desktop(shop.relay, shop.shop_token)
        body = webhook("instagram", PAGE, user_message(IGSID, PAGE, "m_ig_p", text="hi"))
        assert meta_api.post_webhook(shop.endpoint, body, SECRET)[0] == 200
        prof = await desk.recv_type(p.Profile, timeout=20)
        assert prof == p.Profile(prof.seq, f"instagram:{IGSID}", "Nok Shop Lover", "nok.lover")
        await desk.send(p.Ack(prof.seq))
        await desk.close()

    arun(go())
    assert meta_api.profile_calls[0]["fields"] == ["name", "username", "profile_pic"]


def test_a_line_profile_comes_from_get_profile(
    shop: Any, line_api: FakeLine, clients: Any, arun: Any
) -> None:
    """LINE's ``displayName`` and ``pictureUrl`` (fetched with the channel token)."""
    photo = _jpeg((10, 200, 80))
    line_api.profiles[USER] = {
        "displayName": "ต้นกล้า",
        "pictureUrl": line_api.picture_url("u1.jpg", photo),
        "statusMessage": "ขายของออนไลน์",
        "language": "th",
    }

    async def go() -> None:
        desk, _ = await clients.desktop(shop.relay, shop.shop_token)
        message = {"type": "text", "id": "7001", "text": "มีของไหมคะ", "quoteToken": "q"}
        res = signed_post(clients, shop.line_hook, [event("message", "01LP1", message=message)])
        assert res.status_code == 200
        prof = await desk.recv_type(p.Profile, timeout=20)
        assert (prof.conversation, prof.name) == (f"line:{USER}", "ต้นกล้า")
        assert prof.picture is not None
        assert _fetch(prof.picture.url) == photo
        await desk.close()

    arun(go())
    calls = line_api.calls_to(f"/v2/bot/profile/{USER}")
    assert [(c["method"], c["auth"]) for c in calls] == [("GET", f"Bearer {LINE_TOKEN}")]


def test_a_refused_profile_or_an_expired_picture_harms_no_message(
    shop: Any, meta_api: FakeMeta, clients: Any, arun: Any
) -> None:
    """Meta's #100 (no profile for this user) leaves the conversation without a profile item
    and is not asked again at once; a picture URL that expired gives the name alone."""
    other = "9988776655443322"
    meta_api.profiles[other] = {
        "first_name": "Mali",
        "profile_pic": f"{meta_api.url}/cdn/expired-long-ago.jpg",
    }

    async def go() -> None:
        desk, _ = await clients.desktop(shop.relay, shop.shop_token)
        body = webhook("page", PAGE, user_message(PSID, PAGE, "m_r_1", text="ขอดูของค่ะ"))
        assert meta_api.post_webhook(shop.endpoint, body, SECRET)[0] == 200
        got = await desk.recv_type(p.Inbound)
        assert got.message.body == p.Text("ขอดูของค่ะ")
        await until(lambda: len(meta_api.profile_calls) == 1)
        again = webhook("page", PAGE, user_message(PSID, PAGE, "m_r_2", text="ค่ะ"))
        assert meta_api.post_webhook(shop.endpoint, again, SECRET)[0] == 200
        await desk.recv_type(p.Inbound)
        body = webhook("page", PAGE, user_message(other, PAGE, "m_r_3", text="hello"))
        assert meta_api.post_webhook(shop.endpoint, body, SECRET)[0] == 200
        prof = await desk.recv_type(p.Profile, timeout=20)
        assert prof == p.Profile(prof.seq, f"messenger:{other}", "Mali", None, None)
        await desk.nothing(0.5)
        await desk.close()

    arun(go())
    assert [c["user"] for c in meta_api.profile_calls] == [PSID, other]
    log = shop.relay.log()
    assert f"no profile for messenger:{PSID}" in log
    assert f"profile picture of messenger:{other} not kept" in log
