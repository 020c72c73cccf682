"""``meta_verify``: the relay proves a shop's Facebook Page / Instagram connection works — the
Page token and the app secret (Graph API ``/me`` with ``appsecret_proof``), the app's webhook
subscription on the Page and its fields, the linked Instagram account — and says which one is
wrong, with Meta's code and words. The relay runs as a process, the Graph API as a local
server checking tokens and proofs as Meta does (support.fake_meta)."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import socket
from typing import Any

from support.fake_meta import FakeMeta
from support.recorder import Recorder

from minichat_desktop.storage.db import Database
from minichat_desktop.sync.client import RelayClient
from relay import protocol as p

SECRET = "app-secret-0123456789"
TOKEN = "page-token-1"
VERIFY = "verify-me-42"
PAGE = "1122334455"
ALL = p.META_FIELDS
C = p.MetaCheck


def _meta(meta_api: FakeMeta, *, fields: tuple[str, ...] = ALL, ig: bool = True) -> None:
    """The Meta app as the owner left it: its secret, the Page subscribed with ``fields``, an
    Instagram account linked (or not)."""
    meta_api.app_secret = SECRET
    meta_api.subscriptions = {meta_api.app_id: list(fields)}
    meta_api.instagram = {"id": "17841400000000001", "username": "shop.ig"} if ig else None


def _verify(
    r: Any, token: str, clients: Any, arun: Any, creds: tuple[str | None, str | None]
) -> p.MetaVerified:
    """Store ``creds`` (app secret, page token; None: disconnect) on the relay as the desktop
    does, then verify."""

    async def go() -> p.MetaVerified:
        desk, _ = await clients.desktop(r, token)
        secret, page_token = creds
        verify = VERIFY if secret is not None else None
        await desk.send(p.SetMetaCredentials("cfg-1", secret, page_token, verify))
        assert await desk.recv_type(p.Ok) == p.Ok("cfg-1")
        await desk.send(p.VerifyMeta("v-1"))
        answer: p.MetaVerified = await desk.recv_type(p.MetaVerified, timeout=20)
        await desk.close()
        return answer

    result: p.MetaVerified = arun(go())
    return result


def _relay(relay_factory: Any, clients: Any, base: str) -> tuple[Any, str]:
    r = relay_factory(env={"MINICHAT_META_API_BASE": base})
    _, token = clients.add_shop(r.data_dir, "ร้านทดสอบ")
    r.start()
    return r, token


def test_verify_succeeds_with_the_pages_name_and_instagram(
    meta_api: FakeMeta, relay_factory: Any, clients: Any, arun: Any
) -> None:
    """Right token and secret, the app subscribed to every field: ok, with the Page's name and
    id and the linked Instagram username; every Graph request carried the token in the header
    (never the URL) and Meta's appsecret_proof for it."""
    r, token = _relay(relay_factory, clients, meta_api.url)
    _meta(meta_api)
    answer = _verify(r, token, clients, arun, (SECRET, TOKEN))
    assert answer == p.MetaVerified("v-1", C.OK, "ร้านทดสอบ", PAGE, "shop.ig")
    proof = hmac.new(SECRET.encode(), TOKEN.encode(), hashlib.sha256).hexdigest()
    paths = [path for path, _ in meta_api.graph_calls]
    assert paths == ["me", "app", f"{PAGE}/subscribed_apps", PAGE]
    assert all(q["appsecret_proof"] == proof for _, q in meta_api.graph_calls)
    assert all("access_token" not in q for _, q in meta_api.graph_calls)
    assert meta_api.graph_calls[3][1]["fields"] == "instagram_business_account{id,username}"
    assert TOKEN not in r.log() and SECRET not in r.log()


def test_verify_fails_with_a_wrong_token(
    meta_api: FakeMeta, relay_factory: Any, clients: Any, arun: Any
) -> None:
    """A token Meta does not know: token_rejected with Meta's code 190 and words; nothing more
    is asked."""
    r, token = _relay(relay_factory, clients, meta_api.url)
    _meta(meta_api)
    answer = _verify(r, token, clients, arun, (SECRET, "not-the-page-token"))
    assert (answer.result, answer.code, answer.page_name) == (C.TOKEN_REJECTED, 190, None)
    assert answer.detail == "Invalid OAuth access token - Cannot parse access token"
    assert [path for path, _ in meta_api.graph_calls] == ["me"]


def test_verify_fails_with_a_wrong_secret(
    meta_api: FakeMeta, relay_factory: Any, clients: Any, arun: Any
) -> None:
    """The relay holds another secret than the app's: the token is fine, but Meta refuses the
    appsecret_proof made with it (code 100): secret_wrong, not token_rejected."""
    r, token = _relay(relay_factory, clients, meta_api.url)
    _meta(meta_api)
    answer = _verify(r, token, clients, arun, ("some-other-secret-abcdef", TOKEN))
    assert (answer.result, answer.code) == (C.SECRET_WRONG, 100)
    assert answer.detail == "Invalid appsecret_proof provided in the API argument"


def test_verify_lists_the_fields_missing_or_says_the_app_is_not_subscribed(
    meta_api: FakeMeta, relay_factory: Any, clients: Any, arun: Any
) -> None:
    """Credentials right but the app subscribed to only some fields: fields_missing, listing
    the others; only another app subscribed to the Page: not_subscribed, listing all six. The
    Page's name comes along (the token and secret were good); no Instagram linked: none."""
    r, token = _relay(relay_factory, clients, meta_api.url)
    _meta(meta_api, fields=("messages", "messaging_postbacks"), ig=False)
    answer = _verify(r, token, clients, arun, (SECRET, TOKEN))
    assert answer == p.MetaVerified(
        "v-1",
        C.FIELDS_MISSING,
        "ร้านทดสอบ",
        PAGE,
        None,
        ("message_reads", "message_deliveries", "message_echoes", "feed"),
    )
    meta_api.subscriptions = {"5550001": list(ALL)}  # someone else's app, not this token's
    answer = _verify(r, token, clients, arun, (SECRET, TOKEN))
    assert (answer.result, answer.missing, answer.page_name) == (
        C.NOT_SUBSCRIBED,
        ALL,
        "ร้านทดสอบ",
    )


def test_verify_without_credentials_after_a_disconnect(
    meta_api: FakeMeta, relay_factory: Any, clients: Any, arun: Any
) -> None:
    """Disconnected (all three null): not_configured, and Meta is not asked at all."""
    r, token = _relay(relay_factory, clients, meta_api.url)
    _meta(meta_api)
    assert _verify(r, token, clients, arun, (None, None)) == p.MetaVerified("v-1", C.NOT_CONFIGURED)
    assert meta_api.graph_calls == []


def test_verify_says_meta_is_down_on_a_5xx(
    meta_api: FakeMeta, relay_factory: Any, clients: Any, arun: Any
) -> None:
    """The Graph API answers 500: meta_unavailable with Meta's code and words (try later), not
    a problem with the owner's settings."""
    r, token = _relay(relay_factory, clients, meta_api.url)
    _meta(meta_api)
    meta_api.graph_status = 500
    answer = _verify(r, token, clients, arun, (SECRET, TOKEN))
    assert (answer.result, answer.code) == (C.META_UNAVAILABLE, 2)
    assert answer.detail == "An unexpected error has occurred. Please retry."


def test_verify_says_meta_is_unreachable(relay_factory: Any, clients: Any, arun: Any) -> None:
    """Nothing listens where the relay looks for the Graph API: meta_unreachable."""
    with socket.socket() as s:  # a port that was free a moment ago: nothing listens there
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    r, token = _relay(relay_factory, clients, f"http://127.0.0.1:{port}")
    answer = _verify(r, token, clients, arun, (SECRET, TOKEN))
    assert answer.result is C.META_UNREACHABLE
    assert answer.detail == "ClientConnectorError"


def test_the_desktops_link_asks_and_gets_the_answer(
    meta_api: FakeMeta, relay_factory: Any, clients: Any, arun: Any, db: Database
) -> None:
    """The app's own relay link (``RelayClient.verify_meta``) sends ``meta_verify`` and returns
    the relay's answer; offline it returns None at once."""
    r, token = _relay(relay_factory, clients, meta_api.url)
    _meta(meta_api)

    async def go() -> tuple[Any, Any]:
        rec = Recorder()
        client = RelayClient(db, r.url, lambda: token, rec, backoff_base=0.05, bot=False)
        offline = await client.verify_meta()
        task = asyncio.create_task(client.run())
        try:
            await asyncio.wait_for(rec.online.wait(), 10)
            creds = p.SetMetaCredentials("cfg-1", SECRET, TOKEN, VERIFY)
            assert await client.send_live(creds)
            return offline, await client.verify_meta(timeout=20)
        finally:
            await client.stop()
            await asyncio.wait_for(task, 10)

    offline, answer = arun(go())
    assert offline is None
    assert (answer.result, answer.page_name, answer.instagram) == (C.OK, "ร้านทดสอบ", "shop.ig")
