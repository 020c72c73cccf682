"""Is there a newer MiniChat? Help → About asks the release feed (docs/packaging.md).

The feed is one JSON object at a URL fixed when the program is built
(:func:`minichat_desktop.build_info.release_feed_url`)::

    {
      "version": "0.2.0",
      "date": "2027-01-15",
      "notes_th": "…", "notes_en": "…",
      "downloads": {"windows": "https://…/MiniChat-0.2.0-setup.exe",
                    "macos": "https://…/MiniChat-0.2.0.dmg",
                    "linux": "https://…/MiniChat-0.2.0-linux.tar.gz"}
    }

Versions are compared as versions (``packaging.version``: 0.10.0 is newer than 0.9.0, and
0.2.0rc1 older than 0.2.0), never as text. :func:`check_for_update` never raises for what the
network or the feed does: it returns an :class:`UpdateCheck` saying which of the outcomes it
was, so the screen can say so plainly. It blocks: run it off the UI thread.
"""

from __future__ import annotations

import json
import logging
import sys
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

import httpx
from packaging.version import InvalidVersion, Version

log = logging.getLogger(__name__)

TIMEOUT_S = 10.0
MAX_FEED_BYTES = 64 * 1024  # a feed is a few hundred bytes; anything this big is not one
SYSTEMS = ("windows", "macos", "linux")


class Outcome(StrEnum):
    NEWER = "newer"  # a newer version is out: ``release`` says which
    CURRENT = "current"  # this version is the newest (or newer than the feed's)
    UNREACHABLE = "unreachable"  # no answer, or not a 200: ``detail`` says what happened
    INVALID = "invalid"  # an answer that is not a feed: ``detail`` says what is wrong
    NO_FEED = "no_feed"  # this build has no feed address


class FeedError(ValueError):
    """The feed's text is not a release feed; the message names what is wrong."""


@dataclass(frozen=True)
class Release:
    version: str
    date: str
    notes_th: str
    notes_en: str
    downloads: dict[str, str] = field(default_factory=dict)

    def notes(self, lang: str) -> str:
        """The notes in ``lang`` ("th" or "en"), else in the other language."""
        first, second = (
            (self.notes_th, self.notes_en)
            if lang == "th"
            else (
                self.notes_en,
                self.notes_th,
            )
        )
        return first or second

    def download_for(self, system: str) -> str:
        """The download's URL for ``system`` (one of :data:`SYSTEMS`); "" when there is none."""
        return self.downloads.get(system, "")


@dataclass(frozen=True)
class UpdateCheck:
    outcome: Outcome
    url: str
    release: Release | None = None
    detail: str = ""

    @property
    def host(self) -> str:
        """The feed's host, to name where the answer came from (or did not)."""
        return urlsplit(self.url).hostname or self.url


def this_system(platform: str = sys.platform) -> str:
    """This computer's key in the feed's ``downloads``."""
    if platform == "win32":
        return "windows"
    if platform == "darwin":
        return "macos"
    return "linux"


def _text(obj: dict[str, Any], key: str, *, required: bool) -> str:
    value = obj.get(key, "")
    if not isinstance(value, str) or (required and not value.strip()):
        raise FeedError(
            f"{key!r} must be a non-empty string" if required else f"{key!r} must be a string"
        )
    return value.strip()


def parse_feed(data: bytes) -> Release:
    """The release the feed describes. Raises :class:`FeedError` when ``data`` is not JSON,
    not an object, lacks ``version`` or gives one that is not a version, or has
    ``downloads`` that are not http(s) URLs by system."""
    try:
        obj = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FeedError(f"not JSON: {exc}") from exc
    if not isinstance(obj, dict):
        raise FeedError("not a JSON object")
    version = _text(obj, "version", required=True)
    try:
        Version(version)
    except InvalidVersion as exc:
        raise FeedError(f"{version!r} is not a version") from exc
    downloads = obj.get("downloads", {})
    if not isinstance(downloads, dict):
        raise FeedError("'downloads' must be an object of URLs by system")
    links: dict[str, str] = {}
    for system, link in downloads.items():
        if not isinstance(link, str) or urlsplit(link).scheme not in ("https", "http"):
            raise FeedError(f"the download for {system!r} is not an http(s) URL")
        links[str(system)] = link
    return Release(
        version=version,
        date=_text(obj, "date", required=False),
        notes_th=_text(obj, "notes_th", required=False),
        notes_en=_text(obj, "notes_en", required=False),
        downloads=links,
    )


def compare(current: str, release: Release, url: str = "") -> UpdateCheck:
    """NEWER when the feed's version is newer than ``current``, else CURRENT."""
    newer = Version(release.version) > Version(current)
    return UpdateCheck(Outcome.NEWER if newer else Outcome.CURRENT, url, release)


def _fetch(url: str, timeout: float) -> bytes:
    with (
        httpx.Client(timeout=timeout, follow_redirects=True) as client,
        client.stream("GET", url, headers={"Accept": "application/json"}) as response,
    ):
        if response.status_code != 200:
            raise httpx.HTTPStatusError(
                f"HTTP {response.status_code}", request=response.request, response=response
            )
        body = b""
        for chunk in response.iter_bytes():
            body += chunk
            if len(body) > MAX_FEED_BYTES:
                raise FeedError(f"larger than {MAX_FEED_BYTES // 1024} KB")
        return body


def check_for_update(current: str, url: str, *, timeout: float = TIMEOUT_S) -> UpdateCheck:
    """Fetch the feed at ``url`` and compare its version with ``current`` (blocks up to about
    ``timeout`` seconds). Never raises for the network or the feed's contents."""
    if not url:
        return UpdateCheck(Outcome.NO_FEED, url)
    try:
        body = _fetch(url, timeout)
        release = parse_feed(body)
    except FeedError as exc:
        log.warning("update check: the feed at %s is not usable: %s", url, exc)
        return UpdateCheck(Outcome.INVALID, url, detail=str(exc))
    except httpx.HTTPStatusError as exc:
        log.info("update check: %s answered %s", url, exc)
        return UpdateCheck(Outcome.UNREACHABLE, url, detail=str(exc))
    except (httpx.HTTPError, OSError, ValueError) as exc:
        # ValueError: an address httpx cannot use at all
        log.info("update check: %s cannot be reached: %s", url, exc)
        return UpdateCheck(Outcome.UNREACHABLE, url, detail=str(exc) or type(exc).__name__)
    return compare(current, release, url)
