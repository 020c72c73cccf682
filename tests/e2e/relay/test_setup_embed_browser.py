"""The embed snippet Settings → Set up shows (``app.setup.embed_snippet``), pasted into a
shop's own page served on localhost — an allowed website — opens a working chat in headless
Chromium: the shopper's message reaches the desktop and the shop's answer shows."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import async_playwright
from test_relay_widget_browser import ARGS, CHROMIUM, W, _wait_text

from minichat_desktop.app.setup import embed_snippet
from relay import protocol as p

PAGE = """<!doctype html>
<html lang="th"><head><meta charset="utf-8"><title>ร้านของฉัน</title></head>
<body><h1>ร้านของฉัน</h1>
{snippet}
</body></html>
"""


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def shop_site(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A folder served over HTTP on 127.0.0.1 (the shop's own website): (folder, origin)."""
    site = tmp_path / "site"
    site.mkdir()
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Quiet, directory=str(site)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield site, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join(5)


def test_the_embed_snippet_opens_a_working_chat(
    shop_relay: Any, clients: Any, arun: Any, shop_site: tuple[Path, str]
) -> None:
    """The owner allows their site and pastes exactly the snippet shown; a shopper there sends
    a message that reaches the desktop, and sees the shop's answer."""
    site, origin = shop_site
    r = shop_relay.relay
    snippet = embed_snippet(r.url, shop_relay.shop_id)
    (site / "index.html").write_text(PAGE.format(snippet=snippet), encoding="utf-8")

    async def go() -> None:
        desk, welcome = await clients.desktop(r, shop_relay.token)
        await desk.send(p.SetWidgetConfig("cfg-1", welcome.widget_config, (origin,)))
        assert await desk.recv_type(p.Ok) == p.Ok("cfg-1")
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = await browser.new_page(viewport={"width": 1280, "height": 800})
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            await page.goto(f"{origin}/index.html")
            await page.click(W + ".launch")
            await page.fill(W + ".bar textarea", "สวัสดีค่ะ ทดสอบแชทจากเว็บไซต์")
            await page.keyboard.press("Enter")
            inbound = await desk.recv_type(p.Inbound, timeout=15)
            assert inbound.message.body == p.Text("สวัสดีค่ะ ทดสอบแชทจากเว็บไซต์")
            assert inbound.conversation.startswith("widget:")
            await desk.send(p.Ack(inbound.seq))
            await desk.send(p.Send(inbound.conversation, clients.text("r1", "ได้รับแล้วค่ะ")))
            await _wait_text(page, "ได้รับแล้วค่ะ")
            assert errors == []
            await browser.close()
        await desk.close()

    arun(go())


def test_a_site_not_allowed_gets_no_chat(
    shop_relay: Any, clients: Any, arun: Any, shop_site: tuple[Path, str]
) -> None:
    """The same snippet on a site the owner did not allow: the relay refuses the widget, no
    message can reach the shop (why Set up points at Allowed websites)."""
    site, origin = shop_site
    r = shop_relay.relay
    (site / "index.html").write_text(
        PAGE.format(snippet=embed_snippet(r.url, shop_relay.shop_id)), encoding="utf-8"
    )

    async def go() -> None:
        desk, welcome = await clients.desktop(r, shop_relay.token)
        await desk.send(
            p.SetWidgetConfig("cfg-1", welcome.widget_config, ("https://other.example",))
        )
        assert await desk.recv_type(p.Ok) == p.Ok("cfg-1")
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = await browser.new_page()
            await page.goto(f"{origin}/index.html")
            await page.click(W + ".launch")
            refused = f"widget socket refused for origin {origin}"
            for _ in range(200):
                if refused in r.log():
                    break
                await page.wait_for_timeout(50)
            assert refused in r.log()
            await browser.close()
        await desk.nothing(0.3)
        await desk.close()

    arun(go())
