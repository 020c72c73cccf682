"""The desktop's picture transfers (``minichat_desktop.sync.media``, used by the inbox and the
bot) against the relay process: byte-identical both ways, bounded, and each failure named."""

from __future__ import annotations

import hashlib
import io
import random
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from minichat_desktop.sync import media
from relay import protocol as p


def noisy_jpeg(width: int, height: int) -> bytes:
    pixels = random.Random(width).randbytes(width * height * 3)
    out = io.BytesIO()
    Image.frombytes("RGB", (width, height), pixels).save(out, "JPEG", quality=95)
    return out.getvalue()


async def test_a_five_mb_photo_goes_up_and_comes_back_identical(relay: Any, tmp_path: Path) -> None:
    r, _shop_id, token = relay
    data = noisy_jpeg(2400, 1800)
    assert 4_500_000 <= len(data) <= 5_500_000
    up = await media.upload(r.url, token, data)
    assert (up.mime, up.width, up.height, up.size) == ("image/jpeg", 2400, 1800, len(data))
    assert up.url == f"{r.url}/media/{up.media_id}"
    assert up.image("สลิป") == p.Image(
        up.media_id, up.url, "image/jpeg", 2400, 1800, len(data), caption="สลิป"
    )
    got = await media.download(up.url)
    assert hashlib.sha256(got).digest() == hashlib.sha256(data).digest()
    # the inbox's cache: fetched whole once, then read from the file
    cache = tmp_path / "cache"
    first = await media.cached(up.url, cache)
    assert first.read_bytes() == data
    r.stop()
    assert await media.cached(up.url, cache) == first


async def test_the_cache_keeps_only_pictures(relay: Any, tmp_path: Path) -> None:
    """A 200 answer that is no picture (here the relay's widget script) is refused as not a
    picture and not kept: it cannot stand in for the picture later."""
    r, _shop_id, _token = relay
    cache = tmp_path / "cache"
    with pytest.raises(media.MediaError) as page:
        await media.cached(f"{r.url}/widget.js", cache)
    assert page.value.problem is media.Problem.NOT_AN_IMAGE
    assert not cache.exists() or list(cache.iterdir()) == []


async def test_each_failure_is_named(relay: Any) -> None:
    r, _shop_id, token = relay
    jpeg = noisy_jpeg(40, 30)
    with pytest.raises(media.MediaError) as not_image:
        await media.upload(r.url, token, b"%PDF-1.7 not a picture")
    assert not_image.value.problem is media.Problem.NOT_AN_IMAGE
    with pytest.raises(media.MediaError) as too_large:
        await media.upload(r.url, token, jpeg + b"\0" * p.MAX_IMAGE_BYTES)
    assert too_large.value.problem is media.Problem.TOO_LARGE
    with pytest.raises(media.MediaError) as wrong_token:
        await media.upload(r.url, "wrong-token", jpeg)
    assert (wrong_token.value.problem, wrong_token.value.status) == (media.Problem.REFUSED, 401)
    assert wrong_token.value.detail == "shop token missing or wrong"
    with pytest.raises(media.MediaError) as corrupt:  # a JPEG's head and nothing else
        await media.upload(r.url, token, jpeg[:200])
    assert (corrupt.value.problem, corrupt.value.status) == (media.Problem.REFUSED, 415)
    with pytest.raises(media.MediaError) as missing:
        await media.download(f"{r.url}/media/m_nosuchpicture")
    assert (missing.value.problem, missing.value.status) == (media.Problem.REFUSED, 404)
    up = await media.upload(r.url, token, jpeg)
    assert up.url is not None
    with pytest.raises(media.MediaError) as over:
        await media.download(up.url, max_bytes=len(jpeg) - 1)
    assert over.value.problem is media.Problem.TOO_LARGE
    url = r.url
    r.stop()
    with pytest.raises(media.MediaError) as down:
        await media.upload(url, token, jpeg)
    assert down.value.problem is media.Problem.NETWORK
