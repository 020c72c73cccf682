"""Every byte of every picture, end to end, through the relay as a process.

Pictures are ~5 MB JPEG, PNG and WebP files made from noise (so they do not compress small),
sent slowly in small pieces (a raw socket writing 32 KB at a time, with a Content-Length or
chunked), and compared by sha256 where they arrive: widget slip → desktop, desktop → widget,
LINE (served slowly by the stand-in) → desktop. The desktop's side is
``minichat_desktop.sync.media``, the code the inbox and the bot use. The limit
(``protocol.MAX_IMAGE_BYTES``) is enforced while reading; a body cut off mid-way stores nothing.

Regressions from the outside checks: a 540 KB JPEG from LINE was stored as 128 KB; a 255 KB PNG
slip failed; a 540 KB JPEG through ``/desktop/media`` was answered 201 and stored as 98 KB;
PNG and WebP uploads were refused as corrupt (they had been cut off).
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import io
import json
import random
import sqlite3
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from PIL import Image
from support.relay_proc import Relay, line_env

from minichat_desktop.sync import media
from relay import protocol as p

SECRET = "channel-secret-pictures-0123456789"
TOKEN = "channel-token-pictures"
USER = "U206d25c2ea6bd87c17655609a1c37cb8"
CHUNK = 32 * 1024
PAUSE = 0.002  # between two pieces a client writes, so they reach the relay apart
MIME = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
# (width, height, save options) that make ~5 MB of noise in each format
FIVE_MB = {
    "JPEG": (2400, 1800, {"quality": 95}),
    "PNG": (1300, 1300, {}),
    "WEBP": (3000, 2000, {"quality": 90}),
}


@functools.cache
def noisy(fmt: str, width: int, height: int, seed: int = 14, **options: Any) -> bytes:
    """A picture of random pixels: it does not compress, so its size is real."""
    pixels = random.Random(seed).randbytes(width * height * 3)
    out = io.BytesIO()
    Image.frombytes("RGB", (width, height), pixels).save(out, fmt, **options)
    return out.getvalue()


def five_mb(fmt: str) -> bytes:
    width, height, options = FIVE_MB[fmt]
    data = noisy(fmt, width, height, **options)
    assert 4_500_000 <= len(data) <= 5_500_000, (fmt, len(data))
    return data


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def stored_media(relay: Relay) -> list[tuple[str, int]]:
    """(mime, size) of every picture in the relay's database, read from its file."""
    db = sqlite3.connect(f"file:{relay.data_dir / 'relay.sqlite3'}?mode=ro", uri=True)
    try:
        return list(db.execute("SELECT mime, size FROM media ORDER BY created_at"))
    finally:
        db.close()


# ---------------------------------------------------------------------------------------------
# A slow HTTP client on a raw socket


@dataclass
class Answer:
    status: int
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


async def slow_post(
    url: str,
    body: bytes,
    headers: dict[str, str],
    *,
    chunked: bool = False,
    declared: int | None = None,
    cut_after: int | None = None,
) -> Answer | None:
    """POST ``body`` in 32 KB pieces with a pause between them. ``declared`` overrides the
    Content-Length (unless ``chunked``); ``cut_after`` closes the connection after that many
    body bytes (the answer is then None)."""
    parts = urlsplit(url)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    head = [f"POST {parts.path} HTTP/1.1", f"Host: {parts.netloc}", "Connection: close"]
    head += [f"{k}: {v}" for k, v in headers.items()]
    if chunked:
        head.append("Transfer-Encoding: chunked")
    else:
        head.append(f"Content-Length: {len(body) if declared is None else declared}")
    writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1"))
    end = len(body) if cut_after is None else cut_after
    try:
        for at in range(0, end, CHUNK):
            piece = body[at : min(at + CHUNK, end)]
            writer.write(b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece)
            await writer.drain()
            await asyncio.sleep(PAUSE)  # the pieces arrive apart, as over a real network
        if cut_after is not None:
            writer.transport.abort()  # the phone lost its signal mid-upload
            return None
        if chunked:
            writer.write(b"0\r\n\r\n")
            await writer.drain()
    except (ConnectionResetError, BrokenPipeError):
        pass  # the relay answered early (413) and stopped listening: read its answer
    try:
        return await _answer(reader)
    finally:
        writer.close()


async def _answer(reader: asyncio.StreamReader) -> Answer:
    status_line = await reader.readline()
    status = int(status_line.split()[1])
    length = 0
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode("latin-1").partition(":")
        if name.strip().lower() == "content-length":
            length = int(value.strip())
    return Answer(status, await reader.readexactly(length))


# ---------------------------------------------------------------------------------------------
# Fixtures


@dataclass
class Shop:
    relay: Relay
    shop_id: str
    token: str

    @property
    def hook(self) -> str:
        return f"{self.relay.url}/line/{self.shop_id}/webhook"

    @property
    def desktop_media(self) -> str:
        return f"{self.relay.url}/desktop/media"

    def widget_upload(self) -> str:
        return f"{self.relay.url}/widget/{self.shop_id}/upload"


@pytest.fixture
def shop(relay_factory: Any, clients: Any) -> Shop:
    r = relay_factory()
    shop_id, token = clients.add_shop(r.data_dir, "ร้านรูปภาพ")
    _set_line(clients, r, shop_id)
    r.start()
    return Shop(r, shop_id, token)


def _set_line(clients: Any, relay: Relay, shop_id: str) -> None:
    """The shop's LINE channel, from the environment as the relay takes it."""
    res = clients.run_cli(relay.data_dir, "shops", "line", shop_id, env=line_env(SECRET, TOKEN))
    assert res.returncode == 0, res.stderr


def line_image_event(clients: Any, message_id: str) -> tuple[bytes, dict[str, str]]:
    event = {
        "type": "message",
        "mode": "active",
        "timestamp": int(time.time() * 1000),
        "source": {"type": "user", "userId": USER},
        "webhookEventId": f"ev-{message_id}",
        "deliveryContext": {"isRedelivery": False},
        "replyToken": f"rt-{message_id}",
        "message": {"id": message_id, "type": "image", "contentProvider": {"type": "line"}},
    }
    body = json.dumps({"destination": "U0", "events": [event]}).encode()
    return body, {
        "Content-Type": "application/json",
        "X-Line-Signature": clients.sign(SECRET, body),
    }


# ---------------------------------------------------------------------------------------------
# Widget slip → relay → desktop


async def _slip_reaches_desktop(
    shop: Shop, clients: Any, data: bytes, *, chunked: bool, uid: str = "slip-1"
) -> p.Image:
    """A shopper uploads ``data`` slowly and sends it; what the desktop downloads is the same."""
    desk, _ = await clients.desktop(shop.relay, shop.token)
    w, ww = await clients.widget(shop.relay, shop.shop_id)
    answer = await slow_post(
        shop.widget_upload(), data, {"Authorization": f"Bearer {ww.session}"}, chunked=chunked
    )
    assert answer is not None and answer.status == 201, answer
    stored = answer.json()
    assert stored["size"] == len(data)
    await w.send(p.WidgetSend(p.Message(uid, p.Image(media_id=stored["media_id"]))))
    inbound = await desk.recv_type(p.Inbound, timeout=10)
    image = inbound.message.body
    assert isinstance(image, p.Image) and image.url is not None
    got = await media.download(image.url)
    assert (len(got), sha(got)) == (len(data), sha(data))
    await w.close()
    await desk.close()
    return image


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_five_mb_slip_from_the_widget_reaches_the_desktop_whole(
    shop: Shop, clients: Any, arun: Any, fmt: str, chunked: bool
) -> None:
    data = five_mb(fmt)
    image = arun(_slip_reaches_desktop(shop, clients, data, chunked=chunked))
    width, height, _ = FIVE_MB[fmt]
    assert (image.mime, image.width, image.height, image.size) == (
        MIME[fmt],
        width,
        height,
        len(data),
    )
    assert stored_media(shop.relay) == [(MIME[fmt], len(data))]


def test_255_kb_png_slip_reaches_the_desktop_whole(shop: Shop, clients: Any, arun: Any) -> None:
    """Regression: a 255 KB PNG slip failed (only its first segments were read)."""
    data = noisy("PNG", 292, 292)
    assert 250_000 <= len(data) <= 260_000, len(data)
    image = arun(_slip_reaches_desktop(shop, clients, data, chunked=False))
    assert (image.mime, image.size) == ("image/png", len(data))


# ---------------------------------------------------------------------------------------------
# Desktop → relay → widget


async def _picture_reaches_widget(shop: Shop, clients: Any, data: bytes, media_id: str) -> None:
    desk, _ = await clients.desktop(shop.relay, shop.token)
    w, ww = await clients.widget(shop.relay, shop.shop_id)
    await desk.send(p.Send(ww.conversation, p.Message("pic-1", p.Image(media_id=media_id))))
    got = await w.recv_type(p.WidgetMessage, timeout=10)
    image = got.item.message.body
    assert isinstance(image, p.Image) and image.url is not None
    async with httpx.AsyncClient() as browser:
        res = await browser.get(image.url)
    assert res.status_code == 200
    assert (len(res.content), sha(res.content)) == (len(data), sha(data))
    await w.close()
    await desk.close()


@pytest.mark.parametrize("how", ["desktop-client", "slow-content-length", "slow-chunked"])
@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_five_mb_picture_from_the_desktop_reaches_the_widget_whole(
    shop: Shop, clients: Any, arun: Any, fmt: str, how: str
) -> None:
    data = five_mb(fmt)

    async def go() -> None:
        if how == "desktop-client":
            uploaded = await media.upload(shop.relay.url, shop.token, data)
            media_id, size = uploaded.media_id, uploaded.size
            assert uploaded.mime == MIME[fmt]
        else:
            answer = await slow_post(
                shop.desktop_media,
                data,
                {"Authorization": f"Bearer {shop.token}"},
                chunked=how == "slow-chunked",
            )
            assert answer is not None and answer.status == 201, answer
            media_id, size = answer.json()["media_id"], answer.json()["size"]
        assert size == len(data)
        await _picture_reaches_widget(shop, clients, data, media_id)

    arun(go())
    assert stored_media(shop.relay) == [(MIME[fmt], len(data))]


def test_540_kb_jpeg_through_desktop_media_is_stored_whole(
    shop: Shop, clients: Any, arun: Any
) -> None:
    """Regression: a 540 KB JPEG was answered 201 and stored as 98 KB."""
    data = noisy("JPEG", 800, 575, quality=95)
    assert 520_000 <= len(data) <= 560_000, len(data)

    async def go() -> None:
        answer = await slow_post(
            shop.desktop_media, data, {"Authorization": f"Bearer {shop.token}"}
        )
        assert answer is not None and answer.status == 201, answer
        assert answer.json()["size"] == len(data)
        await _picture_reaches_widget(shop, clients, data, answer.json()["media_id"])

    arun(go())
    assert stored_media(shop.relay) == [("image/jpeg", len(data))]


# ---------------------------------------------------------------------------------------------
# LINE → relay → desktop


async def _line_picture_reaches_desktop(
    shop: Shop, clients: Any, line_api: Any, message_id: str
) -> p.Image:
    body, headers = line_image_event(clients, message_id)
    async with httpx.AsyncClient() as http:
        assert (await http.post(shop.hook, content=body, headers=headers)).status_code == 200
    desk, _ = await clients.desktop(shop.relay, shop.token)
    inbound = await desk.recv_type(p.Inbound, timeout=20)
    await desk.close()
    assert inbound.message.id == f"line-{message_id}"
    image = inbound.message.body
    assert isinstance(image, p.Image), image
    assert image.url is not None
    data = line_api.content[message_id]
    got = await media.download(image.url)
    assert (len(got), sha(got)) == (len(data), sha(data))
    return image


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_five_mb_picture_from_line_served_slowly_reaches_the_desktop_whole(
    shop: Shop, clients: Any, line_api: Any, arun: Any, fmt: str, chunked: bool
) -> None:
    data = five_mb(fmt)
    line_api.content["9001"] = data
    line_api.content_chunk = CHUNK
    line_api.content_chunked = chunked
    image = arun(_line_picture_reaches_desktop(shop, clients, line_api, "9001"))
    assert (image.mime, image.size) == (MIME[fmt], len(data))
    assert stored_media(shop.relay) == [(MIME[fmt], len(data))]


def test_540_kb_jpeg_from_line_reaches_the_desktop_whole(
    shop: Shop, clients: Any, line_api: Any, arun: Any
) -> None:
    """Regression: a 540 KB JPEG sent by a LINE user was stored as 128 KB."""
    data = noisy("JPEG", 800, 575, quality=95)
    line_api.content["9002"] = data
    line_api.content_chunk = 16 * 1024
    image = arun(_line_picture_reaches_desktop(shop, clients, line_api, "9002"))
    assert (image.mime, image.size) == ("image/jpeg", len(data))
    assert line_api.calls_to("/v2/bot/message/9002/content")[0]["auth"] == f"Bearer {TOKEN}"


def test_line_picture_cut_off_is_never_stored(
    shop: Shop, clients: Any, line_api: Any, arun: Any
) -> None:
    """LINE's connection drops mid-body every time: the relay tries again, then tells the shop
    the picture could not be downloaded; no partial picture is stored."""
    data = noisy("JPEG", 800, 575, quality=95)
    line_api.content["9003"] = data
    line_api.content_chunk = CHUNK
    line_api.content_cut = len(data) // 2

    async def go() -> p.Message:
        body, headers = line_image_event(clients, "9003")
        async with httpx.AsyncClient() as http:
            assert (await http.post(shop.hook, content=body, headers=headers)).status_code == 200
        desk, _ = await clients.desktop(shop.relay, shop.token)
        inbound = await desk.recv_type(p.Inbound, timeout=20)
        await desk.close()
        return inbound.message

    message = arun(go())
    assert message.body == p.Text(
        "[รูปภาพจาก LINE ดาวน์โหลดไม่ได้ / LINE image could not be downloaded]"
    )
    assert len(line_api.calls_to("/v2/bot/message/9003/content")) == 3
    assert stored_media(shop.relay) == []


# ---------------------------------------------------------------------------------------------
# The limit, enforced while reading; bodies cut off


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_one_byte_over_the_limit_is_413_and_nothing_is_stored(
    shop: Shop, arun: Any, chunked: bool
) -> None:
    """A picture of MAX_IMAGE_BYTES + 1 bytes: with a Content-Length it is refused before its
    body is read; chunked, as soon as the running total passes the limit."""
    # a real JPEG padded after its end marker: only its size is wrong
    data = noisy("JPEG", 64, 64, quality=95)
    over = data + b"\0" * (p.MAX_IMAGE_BYTES + 1 - len(data))
    assert len(over) == p.MAX_IMAGE_BYTES + 1

    async def go() -> None:
        auth = {"Authorization": f"Bearer {shop.token}"}
        answer = await slow_post(shop.desktop_media, over, auth, chunked=chunked)
        assert answer is not None and answer.status == 413, answer
        assert answer.json()["error"] == "too_large"
        assert str(p.MAX_IMAGE_BYTES) in answer.json()["message"]
        # exactly at the limit is taken
        at_limit = over[:-1]
        answer = await slow_post(shop.desktop_media, at_limit, auth, chunked=chunked)
        assert answer is not None and answer.status == 201, answer
        assert answer.json()["size"] == p.MAX_IMAGE_BYTES

    arun(go())
    assert stored_media(shop.relay) == [("image/jpeg", p.MAX_IMAGE_BYTES)]


def test_widget_upload_over_the_limit_is_413(shop: Shop, clients: Any, arun: Any) -> None:
    data = five_mb("PNG")
    over = data + b"\0" * (p.MAX_IMAGE_BYTES + 1 - len(data))

    async def go() -> None:
        w, ww = await clients.widget(shop.relay, shop.shop_id)
        answer = await slow_post(
            shop.widget_upload(), over, {"Authorization": f"Bearer {ww.session}"}, chunked=True
        )
        assert answer is not None and answer.status == 413, answer
        await w.close()

    arun(go())
    assert stored_media(shop.relay) == []


def test_declared_length_over_the_limit_is_refused_before_the_body(shop: Shop, arun: Any) -> None:
    """Content-Length says 1 GB: 413 at once, while the client has sent only its headers."""

    async def go() -> None:
        parts = urlsplit(shop.desktop_media)
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
        writer.write(
            (
                f"POST {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
                f"Authorization: Bearer {shop.token}\r\nContent-Length: {1 << 30}\r\n\r\n"
            ).encode()
        )
        await writer.drain()
        answer = await asyncio.wait_for(_answer(reader), 10)
        writer.close()
        assert answer.status == 413
        assert answer.json()["error"] == "too_large"

    arun(go())
    assert stored_media(shop.relay) == []


@pytest.mark.parametrize("where", ["desktop", "widget"])
def test_upload_cut_off_mid_way_stores_nothing(
    shop: Shop, clients: Any, arun: Any, where: str
) -> None:
    """The client goes away after half of a 5 MB picture: nothing is stored, and the relay
    goes on taking pictures."""
    data = five_mb("JPEG")

    async def go() -> None:
        w, ww = await clients.widget(shop.relay, shop.shop_id)
        if where == "desktop":
            url, auth = shop.desktop_media, {"Authorization": f"Bearer {shop.token}"}
        else:
            url, auth = shop.widget_upload(), {"Authorization": f"Bearer {ww.session}"}
        assert await slow_post(url, data, auth, cut_after=len(data) // 2) is None
        deadline = time.monotonic() + 10
        while "upload not stored" not in shop.relay.log():
            assert time.monotonic() < deadline, shop.relay.log()
            await asyncio.sleep(0.02)
        assert stored_media(shop.relay) == []
        answer = await slow_post(url, data, auth)
        assert answer is not None and answer.status == 201, answer
        await w.close()

    arun(go())
    assert stored_media(shop.relay) == [("image/jpeg", len(data))]


# ---------------------------------------------------------------------------------------------
# The desktop's download: every byte of a body that arrives slowly, never more than the limit


def test_desktop_download_reads_a_slow_body_whole_and_refuses_one_cut_off(
    line_api: Any, arun: Any
) -> None:
    """``media.download`` against a server that sends 16 KB at a time (chunked, then with a
    Content-Length), then one that drops the connection half-way, then one over the limit."""
    data = five_mb("WEBP")
    line_api.content["d1"] = data
    line_api.content_chunk = 16 * 1024
    url = f"{line_api.url}/v2/bot/message/d1/content"

    async def go() -> None:
        for chunked in (True, False):
            line_api.content_chunked = chunked
            got = await media.download(url)
            assert sha(got) == sha(data)
        with pytest.raises(media.MediaError) as refused:
            await media.download(url, max_bytes=len(data) - 1)
        assert refused.value.problem is media.Problem.TOO_LARGE
        line_api.content_cut = len(data) // 2
        for chunked in (True, False):
            line_api.content_chunked = chunked
            with pytest.raises(media.MediaError) as cut:
                await media.download(url)
            assert cut.value.problem in (media.Problem.NETWORK, media.Problem.INCOMPLETE)

    arun(go())
