"""Settings → Facebook & Instagram on a real database, a real relay process and Meta's Graph
API as a local server (support.fake_meta): save, verify, wrong secret, disconnect, offline."""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import shiboken6
from PySide6.QtGui import QGuiApplication
from support.fake_meta import FakeMeta
from support.relay_proc import Relay, add_shop
from support.waiting import until

from minichat_desktop.app import relay_link
from minichat_desktop.domain.shop import get_setting
from minichat_desktop.secrets import (
    META_APP_SECRET,
    META_PAGE_TOKEN,
    META_VERIFY_TOKEN,
    RELAY_TOKEN,
)
from minichat_desktop.ui.app import start_relay_link
from minichat_desktop.ui.context import AppContext
from minichat_desktop.ui.settings_common import Tone
from minichat_desktop.ui.settings_meta import MetaPage
from minichat_desktop.ui.settings_screen import SettingsScreen
from relay import protocol as p

SECRET = "app-secret-0123456789"
TOKEN = "page-token-1"


@pytest.fixture
def meta_relay(tmp_path: Path, meta_api: FakeMeta) -> Iterator[tuple[Relay, str, str]]:
    """A relay process asking the stand-in Graph API, with one shop: (relay, shop, token)."""
    r = Relay(tmp_path / "relay", env={"MINICHAT_META_API_BASE": meta_api.url})
    r.data_dir.mkdir(parents=True)
    shop_id, token = add_shop(r.data_dir, "ร้านทดสอบ")
    r.start()
    yield r, shop_id, token
    if r.proc is not None:
        r.stop()


Session = contextlib.AbstractAsyncContextManager[tuple[AppContext, MetaPage, Callable[[], None]]]


@pytest.fixture
def linked(
    meta_relay: tuple[Relay, str, str], make_ctx: Callable[..., AppContext]
) -> Callable[..., Session]:
    """``async with linked(lang) as (ctx, page, start)``: the settings screen's Facebook page
    with the app's relay link pointed at the relay (``start()`` connects); the link stops
    inside the test's loop."""
    r, _shop, token = meta_relay

    @contextlib.asynccontextmanager
    async def session(lang: str = "th") -> AsyncIterator[tuple[AppContext, MetaPage, Any]]:
        ctx = make_ctx(lang=lang)
        ctx.secrets.set(RELAY_TOKEN, token)
        ctx.settings.setValue("relay/url", r.url)
        client = start_relay_link(ctx, backoff_base=0.05)
        screen = SettingsScreen(ctx)
        tasks: list[asyncio.Future[None]] = []
        try:
            yield ctx, screen.meta, lambda: tasks.append(asyncio.ensure_future(client.run()))
        finally:
            await client.stop()
            for task in tasks:
                await asyncio.wait_for(task, 10)
            if shiboken6.isValid(screen):
                shiboken6.delete(screen)
            gc.collect()

    return session


def _the_app(meta_api: FakeMeta) -> None:
    """The owner's Meta app: its secret, the Page subscribed to every field, Instagram linked."""
    meta_api.app_secret = SECRET
    meta_api.subscriptions = {meta_api.app_id: list(p.META_FIELDS)}
    meta_api.instagram = {"id": "17841400000000001", "username": "shop.ig"}


async def test_save_then_verify_shows_the_page_name(
    meta_relay: tuple[Relay, str, str],
    linked: Callable[..., Session],
    meta_api: FakeMeta,
    dialogs: list[Any],
) -> None:
    """Online: the callback URL names the shop; Save keeps the secrets in the keyring and
    sends them (with the verify token made by the app) to the relay, whose webhook handshake
    then answers Meta; Verify says it works, with the Page's name and the Instagram account."""
    r, shop_id, _ = meta_relay
    _the_app(meta_api)
    async with linked() as (ctx, page, start):
        verify_token = ctx.secrets.get(META_VERIFY_TOKEN)
        assert verify_token and len(verify_token) >= 32
        assert page.verify_token.text() == verify_token
        start()
        hook = f"{r.url}/meta/{shop_id}/webhook"
        await until(lambda: page.webhook.text() == hook, 10)
        page.copy_webhook.click()
        assert QGuiApplication.clipboard().text() == hook
        page.secret.setText(SECRET)
        page.token.setText(TOKEN)
        assert await page.save_now()
        assert (ctx.secrets.get(META_APP_SECRET), ctx.secrets.get(META_PAGE_TOKEN)) == (
            SECRET,
            TOKEN,
        )
        assert page.feedback.tone is Tone.OK
        handshake = f"hub.mode=subscribe&hub.verify_token={verify_token}&hub.challenge=42"
        got = await asyncio.to_thread(_get, f"{hook}?{handshake}")
        assert got == (200, "42")  # what Meta's "Verify and save" does with what was pasted
        page.verify.click()
        await until(lambda: page.verify_result.status_tone == "ok", 20)
        assert page.verify_result.text() == (
            "ใช้งานได้แล้ว แชทที่ส่งถึงเพจ “ร้านทดสอบ” จะเข้ามาที่ MiniChat ผูกกับ Instagram @shop.ig แล้วด้วย"
        )
        assert page.verify.isEnabled()
        assert dialogs == []


async def test_a_wrong_secret_is_named_and_disconnect_clears_it(
    linked: Callable[..., Session], meta_api: FakeMeta, dialogs: list[Any]
) -> None:
    """A secret that is not the app's: Verify says the app secret is wrong, with Meta's words
    (in English here); Disconnect removes both from the keyring and from the relay, and Verify
    then says Facebook is not set up."""
    _the_app(meta_api)
    async with linked("en") as (ctx, page, start):
        start()
        await until(lambda: bool(page.webhook.text()), 10)
        page.secret.setText("some-other-secret-abcdef")
        page.token.setText(TOKEN)
        assert await page.save_now()
        answer = await page.verify_now()
        assert answer is not None and answer.code == 100
        assert page.verify_result.status_tone == "error"
        assert page.verify_result.text() == (
            "The app secret is wrong: it is not the secret of the app this Page access token"
            " belongs to. Copy it again from App settings → Basic and press Save and connect."
            " (Meta said: 100: Invalid appsecret_proof provided in the API argument)"
        )
        assert await page.disconnect_now()
        assert ctx.secrets.get(META_APP_SECRET) is None
        assert ctx.secrets.get(META_PAGE_TOKEN) is None
        assert page.feedback.text() == "Facebook and Instagram disconnected."
        await page.verify_now()
        assert page.verify_result.text().startswith("Facebook is not set up on the relay yet")
        assert dialogs == []


async def test_offline_the_page_says_so_and_the_link_sends_it_on_connect(
    linked: Callable[..., Session], meta_api: FakeMeta, dialogs: list[Any]
) -> None:
    """No relay link yet: Verify says the relay is not connected; Save keeps the secrets and
    says they wait, and the shop remembers that they wait. The settings screen is closed
    before the link connects: the link sends them by itself, and the relay's next welcome
    says the shop is connected (the page's status line shows it)."""
    _the_app(meta_api)
    async with linked() as (ctx, page, start):
        assert page.configured.text() == "ยังไม่ทราบ จนกว่า MiniChat จะเชื่อมต่อรีเลย์"
        assert await page.verify_now() is None
        assert page.verify_result.text().startswith("MiniChat ยังไม่ได้เชื่อมต่อรีเลย์")
        assert page.webhook.text() == "" and not page.copy_webhook.isEnabled()
        page.secret.setText(SECRET)
        page.token.setText(TOKEN)
        assert not await page.save_now()
        assert page.feedback.tone is Tone.INFO
        assert ctx.secrets.get(META_PAGE_TOKEN) == TOKEN

        def waiting() -> object:
            with ctx.ops.db.read() as s:
                return get_setting(s, relay_link.META_PENDING_KEY)

        assert waiting() == "set"
        shiboken6.delete(page.window())  # the settings screen is gone
        start()
        await until(lambda: waiting() is None, 10)
        relay = ctx.relay
        assert relay is not None
        answer = await relay.verify_meta()
        assert answer is not None and answer.result is p.MetaCheck.OK
        assert answer.page_name == "ร้านทดสอบ"
        relay.reconfigure()  # connect again: the welcome now says the relay holds them
        await until(lambda: relay.welcome is not None and relay.welcome.meta_configured, 10)
        screen = SettingsScreen(ctx)
        assert screen.meta.configured.text() == "เชื่อมต่อแล้ว"
        shiboken6.delete(screen)
        assert dialogs == []


async def test_save_needs_both_fields(linked: Callable[..., Session], dialogs: list[Any]) -> None:
    """Only the secret typed: nothing is kept, and the owner is told (a box and the page's
    line) to give both."""
    async with linked() as (ctx, page, _start):
        page.secret.setText(SECRET)
        assert not await page.save_now()
        assert page.feedback.text() == "กรุณาใส่ทั้ง App secret และ Page access token"
        assert ctx.secrets.get(META_APP_SECRET) is None
        assert dialogs == [("กรุณาตรวจสอบ", "กรุณาใส่ทั้ง App secret และ Page access token")]


def _get(url: str) -> tuple[int, str]:
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()
