"""Help → About's update check against a real HTTP server on port 0: a newer version, the same,
an older one, broken JSON, an error status, a server that is not there, and no feed at all;
versions compared as versions, not as text."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from support.feed_server import Feed, feed_server, release

from minichat_desktop.app import updates
from minichat_desktop.app.updates import Outcome


@pytest.fixture
def feed() -> Iterator[Feed]:
    with feed_server() as served:
        yield served


def test_a_newer_version_is_announced_with_its_notes_and_downloads(feed: Feed) -> None:
    feed.serve(release("0.2.0"))
    check = updates.check_for_update("0.1.0", feed.url)
    assert check.outcome is Outcome.NEWER
    assert check.release == updates.Release(
        version="0.2.0",
        date="2027-01-15",
        notes_th="สลิปตรวจเร็วขึ้น",
        notes_en="Slips are checked faster",
        downloads=release("0.2.0")["downloads"],
    )
    assert check.release.download_for("windows").endswith("MiniChat-0.2.0-setup.exe")
    assert check.release.notes("en") == "Slips are checked faster"
    assert feed.hits == 1


@pytest.mark.parametrize("feed_version", ["0.1.0", "0.0.9", "0.1.0rc1"])
def test_the_same_or_an_older_version_is_current(feed: Feed, feed_version: str) -> None:
    feed.serve(release(feed_version))
    check = updates.check_for_update("0.1.0", feed.url)
    assert check.outcome is Outcome.CURRENT


@pytest.mark.parametrize(
    ("current", "feed_version", "outcome"),
    [
        ("0.9.0", "0.10.0", Outcome.NEWER),  # as text "0.10.0" < "0.9.0"
        ("0.2.0rc1", "0.2.0", Outcome.NEWER),
        ("1.0.0", "1.0", Outcome.CURRENT),
        ("1.0.0", "1.0.0.post1", Outcome.NEWER),
    ],
)
def test_versions_compare_as_versions(current: str, feed_version: str, outcome: Outcome) -> None:
    assert (
        updates.compare(
            current, updates.parse_feed(f'{{"version": "{feed_version}"}}'.encode())
        ).outcome
        is outcome
    )


@pytest.mark.parametrize(
    ("raw", "detail"),
    [
        (b"{not json", "not JSON"),
        (b"[1, 2]", "not a JSON object"),
        (b'{"date": "2027-01-15"}', "'version' must be a non-empty string"),
        (b'{"version": "soon"}', "'soon' is not a version"),
        (
            b'{"version": "0.2.0", "downloads": {"windows": "ftp://x/y.exe"}}',
            "is not an http(s) URL",
        ),
        (
            b'{"version": "0.2.0", "downloads": ["https://x/y.exe"]}',
            "'downloads' must be an object",
        ),
    ],
)
def test_a_broken_feed_is_invalid_and_says_why(feed: Feed, raw: bytes, detail: str) -> None:
    feed.serve(raw=raw)
    check = updates.check_for_update("0.1.0", feed.url)
    assert check.outcome is Outcome.INVALID
    assert detail in check.detail
    assert check.release is None


def test_an_error_status_is_unreachable_with_the_status(feed: Feed) -> None:
    feed.serve(status=503, raw=b"maintenance")
    check = updates.check_for_update("0.1.0", feed.url)
    assert (check.outcome, check.detail, check.host) == (
        Outcome.UNREACHABLE,
        "HTTP 503",
        "127.0.0.1",
    )


def test_a_server_that_is_not_there_is_unreachable() -> None:
    with socket.socket() as sock:  # a port nobody listens on: bound, never listening
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}/feed.json"
        check = updates.check_for_update("0.1.0", url, timeout=5)
    assert check.outcome is Outcome.UNREACHABLE
    assert check.detail != ""


def test_no_feed_address_asks_nobody() -> None:
    assert updates.check_for_update("0.1.0", "") == updates.UpdateCheck(Outcome.NO_FEED, "")


def test_a_feed_too_big_to_be_one_is_invalid(feed: Feed) -> None:
    feed.serve(raw=b'{"version": "0.2.0", "notes_en": "' + b"x" * 100_000 + b'"}')
    check = updates.check_for_update("0.1.0", feed.url)
    assert (check.outcome, check.detail) == (Outcome.INVALID, "larger than 64 KB")


def test_the_systems_keys() -> None:
    assert [updates.this_system(p) for p in ("win32", "darwin", "linux")] == list(updates.SYSTEMS)
