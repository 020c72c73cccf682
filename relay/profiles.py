"""Who a Messenger, Instagram or LINE shopper is: their name and picture, fetched from the
platform once when their conversation first writes (and again at a message after
:data:`MAX_AGE`), the picture copied into the relay's media at once (Meta's URLs expire), and
told to the desktop as a ``profile`` stream item (docs/protocol.md §3).

- Messenger: ``GET /{version}/{PSID}?fields=first_name,last_name,profile_pic`` (User Profile
  API), Instagram: ``GET /{version}/{IGSID}?fields=name,username,profile_pic``, both with the
  page token, on ``MINICHAT_META_API_BASE``.
- LINE: ``GET /v2/bot/profile/{userId}`` (``displayName``, ``pictureUrl``) with the channel
  token, on ``MINICHAT_LINE_API_BASE``.

A failure (no permission, not a friend, 404, a timeout) is logged and harms nothing: the
message was stored before the fetch began. A refusal is remembered like a fetch (asked again
after :data:`MAX_AGE`); a network failure is not (asked again at the next message). At most one
fetch runs per conversation, across the relay processes of a shared store too: a fetch begins
with a claim on the conversation's ``shopper_profiles`` row (:meth:`MetaStore.claim_profile`),
which another process's claim finds taken; the claim of a process that died ends after
:data:`LEASE`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import quote

import aiohttp

from relay import protocol as p
from relay.bodies import BodyTooLarge
from relay.images import ImageRejected, check_image
from relay.line import LineClient
from relay.meta_hub import Hub  # what is used of relay.server.Hub (no import back)
from relay.meta_send import API_VERSION, MetaClient
from relay.meta_store import MetaStore
from relay.storage import StoreError

log = logging.getLogger("relay")

MAX_AGE = 7 * 24 * 3600.0  # a profile older than this is fetched again at the next message
PARALLEL = 8  # profile fetches in flight per relay process (a burst of new shoppers queues)
LEASE = 300.0  # seconds a claimed fetch is left to its process (then another may take it up)
FETCHED_KEPT = 100_000  # profiles' fetch times remembered (then forgotten, read from rows again)
CHANNELS = ("messenger:", "instagram:", "line:")
META_FIELDS = {
    "messenger": "first_name,last_name,profile_pic",
    "instagram": "name,username,profile_pic",
}


class Platform(Protocol):
    """The HTTP calls a fetch makes (the relay's Meta and LINE clients answer them)."""

    async def meta_profile(
        self, token: str, user_id: str, fields: str, secret: str | None = None
    ) -> tuple[int, Any]: ...
    async def line_profile(self, token: str, user_id: str) -> tuple[int, Any]: ...
    async def picture(self, url: str, max_bytes: int) -> bytes: ...


@dataclass(frozen=True, slots=True)
class Found:
    """A profile as the platform gave it (``picture_url`` not fetched yet)."""

    name: str
    username: str | None
    picture_url: str | None


class Refused(Exception):
    """The platform will not say (no permission, not a friend, no such user)."""


def due(fetched_at: float | None, now: float) -> bool:
    """Whether a conversation's profile should be fetched now."""
    return fetched_at is None or now - fetched_at >= MAX_AGE


def _text(obj: Any, key: str, limit: int) -> str:
    value = obj.get(key) if isinstance(obj, dict) else None
    return " ".join(value.split())[:limit] if isinstance(value, str) else ""


def _http_url(value: str) -> str | None:
    return value if value.startswith(("https://", "http://")) else None


def read_profile(channel: str, status: int, body: Any) -> Found:
    """The profile in a platform's answer. Raises :class:`Refused` (an error answer)."""
    if status != 200 or not isinstance(body, dict) or "error" in body:
        err = body.get("error") if isinstance(body, dict) else None
        said = err.get("message") if isinstance(err, dict) else None
        said = said or (body.get("message") if isinstance(body, dict) else None)
        raise Refused(f"http {status}: {str(said or '')[:200]}")
    if channel == "messenger":
        parts = (_text(body, "first_name", 100), _text(body, "last_name", 100))
        name = " ".join(part for part in parts if part)
        return Found(name, None, _http_url(_text(body, "profile_pic", 2000)))
    if channel == "instagram":
        username = _text(body, "username", 100) or None
        name = _text(body, "name", 200) or (username or "")
        return Found(name, username, _http_url(_text(body, "profile_pic", 2000)))
    return Found(_text(body, "displayName", 200), None, _http_url(_text(body, "pictureUrl", 2000)))


class ProfileFetcher:
    """The profiles of one relay process (owned by :class:`relay.server.Hub`)."""

    def __init__(
        self, hub: Hub, platform: Platform, clock: Callable[[], float] = time.time
    ) -> None:
        self.hub = hub
        self.platform = platform
        self.clock = clock
        self._running: set[tuple[str, str]] = set()
        self._slots = asyncio.Semaphore(PARALLEL)
        self._fetched: dict[tuple[str, str], float | None] = {}

    def noticed(self, shop_id: str, conversation: str) -> None:
        """A shopper of ``conversation`` wrote (their message is stored): fetch their profile
        when it is due and no fetch of it runs (here or, on a shared store, elsewhere)."""
        if not conversation.startswith(CHANNELS) or self.hub.closing:
            return
        key = (shop_id, conversation)
        if key in self._running:
            return
        try:
            now = self.clock()
            if not due(self._fetched_at(key), now):
                return
            claimed = self.store.claim_profile(shop_id, conversation, now - MAX_AGE, LEASE)
            self.hub.commit_soon()  # (on a shared store the claim holds the shop's lock)
            if not claimed:
                self._fetched.pop(key, None)  # another fetch has it: read the row again later
                return
        except StoreError as exc:
            log.warning("shop %s: profile of %s not checked: %s", shop_id, conversation, exc)
            return
        self._running.add(key)
        self.hub.spawn(self._fetch(shop_id, conversation))

    @property
    def store(self) -> MetaStore:
        return MetaStore(self.hub.store)

    def _fetched_at(self, key: tuple[str, str]) -> float | None:
        """When the profile was last fetched, as far as this process knows (a time is
        remembered: another process can only have made it later)."""
        at = self._fetched.get(key)
        if at is None:
            at = self.store.profile_fetched_at(*key)
            if at is not None:
                if len(self._fetched) >= FETCHED_KEPT:  # (a cache of the rows: read again)
                    self._fetched.clear()
                self._fetched[key] = at
        return at

    def _remember(self, shop_id: str, conversation: str) -> None:
        at = self.clock()
        self.store.profile_fetched(shop_id, conversation, at)
        self._fetched[(shop_id, conversation)] = at

    def _give_back(self, shop_id: str, conversation: str) -> None:
        """The fetch failed on the network: due again at the next message."""
        self.store.profile_fetched(shop_id, conversation, self.clock() - MAX_AGE)
        self._fetched.pop((shop_id, conversation), None)

    async def _fetch(self, shop_id: str, conversation: str) -> None:
        try:
            async with self._slots:
                if not self.hub.closing:
                    await self._fetch_one(shop_id, conversation)
        except StoreError as exc:
            log.error("shop %s: profile of %s not kept: %s", shop_id, conversation, exc)
        except Exception:  # a bug: logged; the next message tries again
            log.exception("shop %s: profile of %s not fetched", shop_id, conversation)
        finally:
            self._running.discard((shop_id, conversation))

    async def _fetch_one(self, shop_id: str, conversation: str) -> None:
        channel, _, user_id = conversation.partition(":")
        asking = self._token(shop_id, channel)
        if asking is None:
            return  # not set up (any more): nothing to ask with
        token, secret = asking
        try:
            if channel == "line":
                status, body = await self.platform.line_profile(token, user_id)
            else:
                status, body = await self.platform.meta_profile(
                    token, user_id, META_FIELDS[channel], secret
                )
            found = read_profile(channel, status, body)
        except Refused as exc:
            log.info("shop %s: no profile for %s (%s)", shop_id, conversation, exc)
            self._remember(shop_id, conversation)
            await self.hub.durable()
            return
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            log.warning(
                "shop %s: profile of %s not fetched (%s)", shop_id, conversation, type(exc).__name__
            )
            self._give_back(shop_id, conversation)
            await self.hub.durable()
            return
        picture = await self._picture(shop_id, conversation, found.picture_url)
        self._remember(shop_id, conversation)
        self.hub.push_stream(
            shop_id,
            lambda seq: p.Profile(seq, conversation, found.name, found.username, picture),
        )
        await self.hub.durable()
        log.info(
            "shop %s: profile of %s fetched (%s)",
            shop_id,
            conversation,
            "with a picture" if picture else "no picture",
        )

    def _token(self, shop_id: str, channel: str) -> tuple[str, str | None] | None:
        """The token to ask with, and for Meta the app secret (its ``appsecret_proof``)."""
        if channel == "line":
            line = self.hub.store.line_credentials(shop_id)
            return None if line is None else (line.channel_token, None)
        creds = self.store.credentials(shop_id)
        return None if creds is None else (creds.page_token, creds.app_secret)

    async def _picture(self, shop_id: str, conversation: str, url: str | None) -> p.Image | None:
        """The profile picture copied into the relay's media, or None (none, or unusable)."""
        if url is None:
            return None
        limit = self.hub.config.max_upload
        try:
            data = await self.platform.picture(url, limit)
            info = check_image(data, limit)
        except (ImageRejected, BodyTooLarge, LookupError) as exc:
            log.info("shop %s: profile picture of %s not kept: %s", shop_id, conversation, exc)
            return None
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            log.warning(
                "shop %s: profile picture of %s not fetched (%s)",
                shop_id,
                conversation,
                type(exc).__name__,
            )
            return None
        m = self.hub.store.add_media(shop_id, info.mime, info.width, info.height, data)
        return p.Image(m.id, self.hub.media_url(m.id), m.mime)


class HttpPlatform:
    """:class:`Platform` over the relay's own Meta and LINE clients (their connection pools)."""

    def __init__(self, meta: MetaClient, line: LineClient) -> None:
        self.meta = meta
        self.line = line

    async def meta_profile(
        self, token: str, user_id: str, fields: str, secret: str | None = None
    ) -> tuple[int, Any]:
        path = f"/{API_VERSION}/{quote(user_id, safe='')}"
        res = await self.meta.get(token, path, {"fields": fields}, secret)
        return res.status, res.body

    async def line_profile(self, token: str, user_id: str) -> tuple[int, Any]:
        res = await self.line.profile(token, quote(user_id, safe=""))
        return res.status, res.body

    async def picture(self, url: str, max_bytes: int) -> bytes:
        return await self.meta.download(url, max_bytes)
