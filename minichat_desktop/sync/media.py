"""Pictures to and from the relay over HTTP: :func:`upload` (``POST /desktop/media``) and
:func:`download` (``GET /media/<id>``, or any image URL a message carries).

Both move every byte or fail: a download is read to its end, never more than
:data:`relay.protocol.MAX_IMAGE_BYTES` (a declared ``Content-Length`` above it is refused before
reading; the running total is checked while reading), and one that ends before its declared
length is refused. The screens and the bot call these; no HTTP lives in ``ui/``.
"""

from __future__ import annotations

import asyncio
import enum
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from minichat_desktop.files import atomic_write_bytes
from relay import protocol as p

UPLOAD_TIMEOUT = httpx.Timeout(120.0, connect=10.0)  # 10 MB at 1 Mbit/s takes ~80 s
DOWNLOAD_TIMEOUT = httpx.Timeout(60.0, connect=10.0)
IMAGE_TYPES = {
    b"\x89PNG\r\n\x1a\n": ("image/png", ".png"),
    b"\xff\xd8\xff": ("image/jpeg", ".jpg"),
    b"GIF87a": ("image/gif", ".gif"),
    b"GIF89a": ("image/gif", ".gif"),
}


def sniff(data: bytes) -> tuple[str, str] | None:
    """(mime, file extension) of a picture from its first bytes, or None."""
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp", ".webp"
    return next((v for magic, v in IMAGE_TYPES.items() if data.startswith(magic)), None)


class Problem(enum.StrEnum):
    """Why a picture did not travel; the screens word each one for the person."""

    NOT_AN_IMAGE = "not_an_image"  # not a JPEG/PNG/WebP/GIF by its bytes
    TOO_LARGE = "too_large"  # over MAX_IMAGE_BYTES (here or at the relay: 413)
    REFUSED = "refused"  # the relay answered with an error (401, 415, 429...)
    INCOMPLETE = "incomplete"  # the body ended before its declared length
    NETWORK = "network"  # no connection, a timeout, a broken connection


class MediaError(Exception):
    """A picture not uploaded or not downloaded; ``detail`` is for the log and the person."""

    def __init__(self, problem: Problem, detail: str, status: int | None = None) -> None:
        super().__init__(f"{problem.value}: {detail}")
        self.problem = problem
        self.detail = detail
        self.status = status


@dataclass(frozen=True, slots=True)
class Uploaded:
    """What the relay stored (its ``201`` answer)."""

    media_id: str
    url: str | None
    mime: str
    width: int | None
    height: int | None
    size: int | None

    def image(self, caption: str | None = None) -> p.Image:
        return p.Image(
            media_id=self.media_id,
            url=self.url,
            mime=self.mime,
            width=self.width,
            height=self.height,
            size=self.size,
            caption=caption,
        )


async def upload(
    relay_url: str,
    token: str,
    data: bytes,
) -> Uploaded:
    """Store ``data`` on the relay (``POST /desktop/media`` with the shop token). Raises
    :class:`MediaError`."""
    mime = check(data)
    url = f"{relay_url.rstrip('/')}/desktop/media"
    headers = {"Authorization": f"Bearer {token}", "Content-Type": mime}
    try:
        async with httpx.AsyncClient(timeout=UPLOAD_TIMEOUT) as client:
            res = await client.post(url, content=data, headers=headers)
    except httpx.HTTPError as exc:
        raise MediaError(Problem.NETWORK, f"{type(exc).__name__}: {exc}") from exc
    if res.status_code == 413:
        raise MediaError(Problem.TOO_LARGE, "the relay refused its size", 413)
    if res.status_code != 201:
        raise MediaError(Problem.REFUSED, _reason(res), res.status_code)
    try:
        obj = res.json()
        return Uploaded(
            media_id=str(obj["media_id"]),
            url=_opt(obj, "url", str),
            mime=str(obj.get("mime") or mime),
            width=_opt(obj, "width", int),
            height=_opt(obj, "height", int),
            size=_opt(obj, "size", int),
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise MediaError(Problem.REFUSED, "the relay's answer is not understood", 201) from exc


async def download(
    url: str,
    *,
    max_bytes: int = p.MAX_IMAGE_BYTES,
) -> bytes:
    """Every byte of the picture at ``url``, at most ``max_bytes``. Raises :class:`MediaError`."""
    try:
        async with (
            httpx.AsyncClient(timeout=DOWNLOAD_TIMEOUT) as client,
            client.stream("GET", url) as res,
        ):
            if res.status_code != 200:
                raise MediaError(Problem.REFUSED, f"HTTP {res.status_code}", res.status_code)
            return await _read_limited(res, max_bytes)
    except httpx.HTTPError as exc:
        raise MediaError(Problem.NETWORK, f"{type(exc).__name__}: {exc}") from exc


async def _read_limited(res: httpx.Response, max_bytes: int) -> bytes:
    declared: int | None = None
    if "Content-Encoding" not in res.headers and "Content-Length" in res.headers:
        try:
            declared = int(res.headers["Content-Length"])
        except ValueError:
            declared = None
    if declared is not None and declared > max_bytes:
        raise MediaError(Problem.TOO_LARGE, f"{declared} bytes, max {max_bytes}")
    body = bytearray()
    async for chunk in res.aiter_bytes():
        body += chunk
        if len(body) > max_bytes:
            raise MediaError(Problem.TOO_LARGE, f"more than {max_bytes} bytes")
    if declared is not None and len(body) != declared:
        raise MediaError(Problem.INCOMPLETE, f"{len(body)} of {declared} bytes")
    return bytes(body)


def _reason(res: httpx.Response) -> str:
    try:
        obj = res.json()
        message = obj.get("message") if isinstance(obj, dict) else None
    except ValueError:
        message = None
    return str(message or f"HTTP {res.status_code}")[:200]


def _opt[T](obj: dict[str, Any], key: str, kind: type[T]) -> T | None:
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, kind) or isinstance(value, bool):
        raise TypeError(f"{key}: {value!r}")
    return value


def check(data: bytes) -> str:
    """The MIME type of a picture the relay will take, before any network. Raises
    :class:`MediaError` (not a picture, too large)."""
    kind = sniff(data)
    if kind is None:
        raise MediaError(Problem.NOT_AN_IMAGE, "only JPEG, PNG, WebP or GIF pictures")
    if len(data) > p.MAX_IMAGE_BYTES:
        raise MediaError(Problem.TOO_LARGE, f"{len(data)} bytes, max {p.MAX_IMAGE_BYTES}")
    return kind[0]


async def cached(url: str, folder: Path) -> Path:
    """The picture at ``url`` as a file in ``folder`` (named by the URL's hash), downloaded
    whole the first time. What is not a JPEG, PNG, WebP or GIF by its bytes (a proxy's page,
    an error answered with 200) is refused and not kept, so it cannot stand in for the
    picture later. Raises :class:`MediaError`, ``OSError``."""
    target = folder / hashlib.sha256(url.encode()).hexdigest()[:32]
    if not target.exists():
        data = await download(url)
        if sniff(data) is None:
            raise MediaError(Problem.NOT_AN_IMAGE, f"{url} is not a picture ({len(data)} bytes)")
        await asyncio.to_thread(_save, target, data)
    return target


def _save(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(target, data)
