"""widget.js in headless Chromium against a real relay and a desktop on a real socket."""

from __future__ import annotations

import asyncio
import gzip
import io
import json
import resource
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from playwright.async_api import Page, async_playwright
from support.relay_proc import PROJECT, PYTHON, add_shop

from relay import protocol as p

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
W = "[data-minichat] >> "
WIDGET_JS = Path(__file__).resolve().parents[3] / "relay" / "static" / "widget.js"


def test_widget_js_is_small() -> None:
    """widget.js stays under 30 KB gzipped."""
    assert len(gzip.compress(WIDGET_JS.read_bytes(), 9)) <= 30 * 1024


async def _texts(page: Page) -> list[str]:
    return await page.locator(W + ".log .bub").all_inner_texts()


async def _wait_text(page: Page, text: str, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in await _texts(page):
            return
        await page.wait_for_timeout(50)
    raise AssertionError(f"{text!r} not shown; shown: {await _texts(page)}")


async def _open_chat(pw: Any, relay_url: str, shop_id: str) -> tuple[Any, Page]:
    """Chromium on the shop's demo page at 1366×728 with the chat opened: (browser, page)."""
    browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
    page = await browser.new_page(viewport={"width": 1366, "height": 728})
    await page.goto(f"{relay_url}/demo/{shop_id}")
    await page.click(W + ".launch")
    return browser, page


async def _type(page: Page, text: str) -> None:
    """The shopper types ``text`` in the open chat and presses Enter."""
    await page.fill(W + ".bar textarea", text)
    await page.keyboard.press("Enter")


def test_shopper_chats_sees_reply_and_history_after_reload(
    shop_relay: Any, clients: Any, arun: Any, tmp_path: Path
) -> None:
    """Open the test page, send a message, see the shop's reply (rendered as text, never HTML),
    products and quick replies; reload and see the history; upload a slip."""
    slip = tmp_path / "slip.png"
    Image.new("RGB", (300, 500), (240, 240, 255)).save(slip, "PNG")
    not_image = tmp_path / "slip.jpg"
    not_image.write_bytes(b"this is not a picture at all")

    async def go() -> None:
        r = shop_relay.relay
        desk, _ = await clients.desktop(r, shop_relay.token)
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = await browser.new_page(viewport={"width": 1280, "height": 800})
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            await page.goto(f"{r.url}/demo/{shop_relay.shop_id}")
            await page.click(W + ".launch")
            assert await page.locator(W + ".panel").is_visible()
            await page.fill(W + ".bar textarea", "มีเสื้อยืดสีแดงไหม ราคาเท่าไหร่")
            await page.keyboard.press("Enter")

            inbound = await desk.recv_type(p.Inbound, timeout=10)
            assert inbound.message.body == p.Text("มีเสื้อยืดสีแดงไหม ราคาเท่าไหร่")
            await desk.send(p.Ack(inbound.seq))
            conv = inbound.conversation
            await desk.send(p.Typing(conv, True))
            await page.locator(W + ".typing").wait_for(state="visible")
            await desk.send(
                p.Send(conv, clients.text("r1", "<b>มีค่ะ</b> <img src=x onerror=alert(1)>"))
            )
            card = p.Card(
                "p1",
                "เสื้อยืดคอกลม สีแดง",
                29000,
                None,
                None,
                35000,
                True,
                (p.Button("ใส่ตะกร้า", p.ButtonAction.POSTBACK, data="add=p1"),),
            )
            await desk.send(
                p.Send(
                    conv,
                    p.Message(
                        "r2",
                        p.Carousel((card,)),
                        (p.Button("ไซส์ M", p.ButtonAction.MESSAGE, text="เอาไซส์ M"),),
                    ),
                )
            )
            await _wait_text(page, "<b>มีค่ะ</b> <img src=x onerror=alert(1)>")
            assert await page.locator(W + ".log img").count() == 0  # the text stayed text
            assert await page.locator(W + ".card h4").inner_text() == "เสื้อยืดคอกลม สีแดง"
            assert await page.locator(W + ".card .price").inner_text() == "฿290฿350"
            # the shopper's message shows delivered once the desktop acknowledged it
            await page.locator(W + ".row.me .tick").filter(has_text="✓✓").wait_for()

            await page.click(W + ".chip")
            pressed = await desk.recv_type(p.Inbound)
            assert pressed.message.body == p.Text("เอาไซส์ M")
            await page.click(W + ".card .act")
            postback = await desk.recv_type(p.Inbound)
            assert postback.message.body == p.Postback("add=p1", "ใส่ตะกร้า")
            receipts = {(f.status, f.ids) for f in desk.skipped if isinstance(f, p.Receipt)}
            assert (p.ReceiptStatus.DELIVERED, ("r1",)) in receipts or (
                p.ReceiptStatus.DELIVERED,
                ("r1", "r2"),
            ) in receipts
            assert (p.ReceiptStatus.READ, ("r1", "r2")) in receipts or (
                p.ReceiptStatus.READ,
                ("r2",),
            ) in receipts

            # a file that is not a picture is refused in the browser; a real one is uploaded
            await page.set_input_files(W + "input[type=file]", str(not_image))
            await page.locator(W + ".note").filter(has_text="รองรับเฉพาะรูป").wait_for()
            await page.set_input_files(W + "input[type=file]", str(slip))
            image = await desk.recv_type(p.Inbound)
            assert isinstance(image.message.body, p.Image)
            assert (
                image.message.body.width,
                image.message.body.height,
                image.message.body.mime,
            ) == (300, 500, "image/png")
            await page.locator(W + ".row.me img").wait_for()

            # reload: the history is there, in order
            await page.reload()
            await page.click(W + ".launch")
            await _wait_text(page, "เอาไซส์ M")
            shown = await _texts(page)
            assert shown[1:4] == [
                "มีเสื้อยืดสีแดงไหม ราคาเท่าไหร่",
                "<b>มีค่ะ</b> <img src=x onerror=alert(1)>",
                "เอาไซส์ M",
            ]
            # keyboard: Escape closes the panel and gives focus back to the launcher
            await page.keyboard.press("Escape")
            assert not await page.locator(W + ".panel").is_visible()
            assert errors == []
            await browser.close()
        await desk.close()

    arun(go())


def test_page_css_does_not_leak_into_widget_and_away_form(
    shop_relay: Any, clients: Any, arun: Any
) -> None:
    """A hostile page stylesheet does not reach the Shadow DOM; with the desktop away the
    shopper leaves a phone number and the desktop gets it later."""

    async def go() -> None:
        r = shop_relay.relay
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = await browser.new_page(viewport={"width": 390, "height": 844})
            await page.goto(f"{r.url}/demo/{shop_relay.shop_id}")
            await page.add_style_tag(
                content="button, div, textarea { background: rgb(255, 0, 0) !important; "
                "font-size: 40px !important; display: block; }"
            )
            await page.click(W + ".launch")
            bg = await page.locator(W + ".launch").evaluate(
                "e => getComputedStyle(e).backgroundColor"
            )
            assert bg == "rgb(6, 199, 85)"  # the shop's colour, not the page's red
            # phone width: the panel takes the whole screen
            box = await page.locator(W + ".panel").bounding_box()
            assert box is not None and (box["width"], box["height"]) == (390, 844)
            assert await page.locator(W + ".banner").is_visible()
            await page.click(W + ".banner button")
            await page.fill(W + "input[type=tel]", "12")
            await page.click(W + "form .ok")
            assert (
                await page.locator(W + "form .err").inner_text() == "กรุณากรอกเบอร์โทร เช่น 0812345678"
            )
            await page.fill(W + "input[type=tel]", "081 234 5678")
            await page.fill(W + "input[autocomplete=name]", "สมหญิง")
            await page.click(W + "form .ok")
            await page.locator(W + ".row.me .tick").filter(has_text="✓").wait_for()
            await browser.close()

        desk, welcome = await clients.desktop(r, shop_relay.token)
        assert welcome.pending == 1
        got = await desk.recv_type(p.Inbound)
        assert got.message.body == p.Contact("0812345678", "สมหญิง", None)
        await desk.close()

    arun(go())


@pytest.mark.parametrize("content", [b"GIF89a not really", b"\x89PNG\r\n\x1a\ngarbage"])
def test_upload_checks_content_not_name(
    shop_relay: Any, clients: Any, arun: Any, content: bytes
) -> None:
    """Uploads are checked by magic bytes and a decodable header: junk → 415."""
    import httpx

    async def go() -> str:
        w, ww = await clients.widget(shop_relay.relay, shop_relay.shop_id)
        await w.close()
        return str(ww.session)

    session = arun(go())
    url = f"{shop_relay.relay.url}/widget/{shop_relay.shop_id}/upload"
    res = httpx.post(
        url,
        content=content,
        headers={"Authorization": f"Bearer {session}", "Content-Type": "image/png"},
    )
    assert res.status_code == 415
    assert res.json()["error"] == "bad_image"
    buf = io.BytesIO()
    Image.new("RGB", (10, 10)).save(buf, "JPEG")
    assert (
        httpx.post(url, content=buf.getvalue(), headers={"Content-Type": "image/jpeg"}).status_code
        == 401
    )
    ok = httpx.post(url, content=buf.getvalue(), headers={"Authorization": f"Bearer {session}"})
    assert ok.status_code == 201
    assert (ok.json()["mime"], ok.json()["width"], ok.json()["height"]) == ("image/jpeg", 10, 10)
    big = httpx.post(
        url,
        content=b"\xff\xd8\xff" + b"0" * p.MAX_IMAGE_BYTES,
        headers={"Authorization": f"Bearer {session}"},
    )
    assert big.status_code == 413


def test_widget_reconnects_after_relay_restart_and_sends_what_waited(
    shop_relay: Any, clients: Any, arun: Any
) -> None:
    """The relay restarts on the same port: the widget shows it is reconnecting, comes back by
    itself (backoff), resumes, and a message typed while it was down reaches the desktop once."""
    r = shop_relay.relay

    async def go() -> None:
        async with async_playwright() as pw:
            browser, page = await _open_chat(pw, r.url, shop_relay.shop_id)
            await _type(page, "ก่อนรีสตาร์ท")
            await page.locator(W + ".row.me .tick").filter(has_text="✓").wait_for()
            port = r.port
            await asyncio.get_running_loop().run_in_executor(None, r.stop)
            await page.locator(W + ".conn").wait_for(state="visible")
            assert await page.locator(W + ".conn").inner_text() == "กำลังเชื่อมต่อใหม่…"
            await _type(page, "ระหว่างรีสตาร์ท")
            await asyncio.get_running_loop().run_in_executor(None, lambda: r.start(port))
            await page.locator(W + ".conn").wait_for(state="hidden", timeout=15000)
            desk, welcome = await clients.desktop(r, shop_relay.token)
            assert welcome.pending == 2
            got = [await desk.recv_type(p.Inbound) for _ in range(2)]
            assert [g.message.body for g in got] == [p.Text("ก่อนรีสตาร์ท"), p.Text("ระหว่างรีสตาร์ท")]
            await desk.send(p.Ack(2))
            await desk.send(p.Send(got[0].conversation, clients.text("back", "กลับมาแล้วค่ะ")))
            await _wait_text(page, "กลับมาแล้วค่ะ")
            await desk.nothing(0.5, ignore=(p.Accepted, p.Receipt))
            await desk.close()
            await browser.close()

    arun(go())


def test_english_toggle_and_keyboard_only_use(shop_relay: Any, arun: Any) -> None:
    """Tab reaches the launcher, Enter opens the panel with focus in the text box; the language
    button switches every label to English and is remembered."""

    async def go() -> None:
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = await browser.new_page(viewport={"width": 1280, "height": 800})
            await page.goto(f"{shop_relay.relay.url}/demo/{shop_relay.shop_id}")
            await page.locator(W + ".launch").wait_for()
            await page.keyboard.press("Tab")
            root = "document.querySelector('[data-minichat]').shadowRoot"
            active = f"() => {root}.activeElement?.className"
            assert await page.evaluate(active) == "launch"
            await page.keyboard.press("Enter")
            tag = f"() => {root}.activeElement.tagName"
            assert await page.evaluate(tag) == "TEXTAREA"
            await page.keyboard.press("Escape")
            assert await page.evaluate(active) == "launch"  # focus goes back to the launcher
            await page.keyboard.press("Enter")
            await page.click(W + ".head .hbtn >> text=EN")
            assert (
                await page.locator(W + ".bar textarea").get_attribute("placeholder")
                == "Type a message…"
            )
            assert await page.locator(W + ".launch").get_attribute("aria-label") == (
                "Chat with the shop — ร้านทดสอบ"
            )
            await page.reload()
            await page.locator(W + ".launch").wait_for()
            assert (
                await page.locator(W + ".bar textarea").get_attribute("placeholder")
                == "Type a message…"
            )
            await browser.close()

    arun(go())


def test_widget_never_parses_html() -> None:
    """widget.js has no HTML sinks at all: text is only ever set with textContent."""
    source = WIDGET_JS.read_text()
    for sink in (
        "innerHTML",
        "outerHTML",
        "insertAdjacentHTML",
        "document.write",
        "eval(",
        "new Function",
    ):
        assert sink not in source, sink


ROOT = "document.querySelector('[data-minichat]').shadowRoot"
FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467"  # one grapheme, 8 UTF-16 units


async def _type_and_send(page: Page, js_text: str) -> None:
    """Put ``js_text`` (a JavaScript string expression) in the text box as if pasted, and
    press Enter (the box's maxlength does not limit a paste done by script)."""
    await page.evaluate(f"() => {{ {ROOT}.querySelector('.bar textarea').value = {js_text}; }}")
    await page.focus(W + ".bar textarea")
    await page.keyboard.press("Enter")


def test_widget_cuts_text_between_graphemes_and_never_sends_a_lone_surrogate(
    shop_relay: Any, clients: Any, arun: Any
) -> None:
    """Over-long text is cut to 5,000 UTF-16 units without splitting an emoji or a ZWJ family
    (Intl.Segmenter); without Segmenter the cut still keeps surrogate pairs whole; a lone
    surrogate typed or pasted becomes U+FFFD. The relay accepts every one of them."""

    async def go() -> None:
        r = shop_relay.relay
        desk, _ = await clients.desktop(r, shop_relay.token)
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = await browser.new_page(viewport={"width": 1280, "height": 800})
            await page.goto(f"{r.url}/demo/{shop_relay.shop_id}")
            await page.click(W + ".launch")
            await _type_and_send(page, f"'a'.repeat(4995) + '{FAMILY}' + 'z'")
            got = await desk.recv_type(p.Inbound, timeout=10)
            assert got.message.body == p.Text("a" * 4995)
            await _type_and_send(page, "'b'.repeat(4998) + '\U0001f600' + 'c'")
            got = await desk.recv_type(p.Inbound)
            assert got.message.body == p.Text("b" * 4998 + "\U0001f600")
            await page.close()

            # an older browser: no Intl.Segmenter, no String.prototype.toWellFormed
            old = await browser.new_page(viewport={"width": 1280, "height": 800})
            await old.add_init_script(
                "delete Intl.Segmenter; delete String.prototype.toWellFormed;"
            )
            await old.goto(f"{r.url}/demo/{shop_relay.shop_id}")
            await old.click(W + ".launch")
            await _type_and_send(old, "'d'.repeat(4999) + '\U0001f600' + 'e'")
            got = await desk.recv_type(p.Inbound, timeout=10)
            assert got.message.body == p.Text("d" * 4999)
            await _type_and_send(old, "'x\\ud83dy'")
            got = await desk.recv_type(p.Inbound)
            assert got.message.body == p.Text("x\ufffdy")
            await old.locator(W + ".row.me .tick").last.wait_for()
            assert await old.locator(W + ".fail").count() == 0
            await browser.close()
        await desk.close()

    arun(go())


def test_a_refused_message_shows_not_sent_with_the_reason(
    shop_relay: Any, clients: Any, arun: Any
) -> None:
    """A message an older widget left in the browser's outbox with a broken emoji: the relay
    refuses it by its id, and the widget shows it as not sent, with why, and no Retry."""

    async def go() -> None:
        r = shop_relay.relay
        desk, _ = await clients.desktop(r, shop_relay.token)
        key = f"minichat:{shop_relay.shop_id}:outbox"
        stored = "[{message: {id: 'w-old', kind: 'text', text: 'ok \\ud83d'}}]"
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = await browser.new_page(viewport={"width": 1280, "height": 800})
            await page.add_init_script(
                f"if (!sessionStorage.seeded) {{ sessionStorage.seeded = 1;"
                f" localStorage.setItem('{key}', JSON.stringify({stored})); }}"
            )
            await page.goto(f"{r.url}/demo/{shop_relay.shop_id}")
            await page.click(W + ".launch")
            fail = page.locator(W + ".row.me .fail")
            await fail.wait_for(timeout=10000)
            assert await fail.inner_text() == "ส่งไม่สำเร็จ: ข้อความนี้มีตัวอักษรที่ส่งไม่ได้"
            assert await fail.locator("button").count() == 0
            await desk.nothing(0.3, ignore=(p.ShopperTyping,))
            # the widget still works: the next message goes through
            await page.fill(W + ".bar textarea", "ส่งใหม่นะคะ")
            await page.keyboard.press("Enter")
            got = await desk.recv_type(p.Inbound, timeout=10)
            assert got.message.body == p.Text("ส่งใหม่นะคะ")
            await page.click(W + ".head .hbtn >> text=EN")
            assert await fail.inner_text() == "Not sent: it holds characters that can't be sent"
            await browser.close()
        await desk.close()

    arun(go())


class _RelayWithPipedLog:
    """A relay process whose log comes through a pipe (read by a thread), not a file: below,
    no file of the relay's may grow, and its log must still say what happened."""

    def __init__(self, data_dir: Path) -> None:
        serve = ["serve", "--port", "0", "--demo-page"]
        self.proc = subprocess.Popen(
            [PYTHON, "-m", "relay", "--data-dir", str(data_dir), *serve],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=PROJECT,
        )
        assert self.proc.stdout is not None and self.proc.stderr is not None
        port = json.loads(self.proc.stdout.readline())["port"]
        self.url, self.ws = f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}"
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self.lines.extend, args=(self.proc.stderr,))
        self._reader.start()

    def disk_full(self, full: bool) -> None:
        """No file of the relay's may grow (RLIMIT_FSIZE; Python ignores SIGXFSZ, so a write
        past it fails with EFBIG, as on a full disk), or they may again."""
        _, hard = resource.prlimit(self.proc.pid, resource.RLIMIT_FSIZE)
        resource.prlimit(self.proc.pid, resource.RLIMIT_FSIZE, (0 if full else hard, hard))

    def stop(self) -> str:
        self.proc.terminate()
        self.proc.wait(20)
        self._reader.join(10)
        assert self.proc.stdout is not None and self.proc.stderr is not None
        self.proc.stdout.close()
        self.proc.stderr.close()
        return "".join(self.lines)


def test_a_message_whose_commit_failed_goes_again_by_itself(
    tmp_path: Path, clients: Any, arun: Any
) -> None:
    """The relay's disk fills while a chat is open: the shopper's message is not stored (the
    COMMIT fails; the socket stays open, so nothing reconnects and nothing resends on that
    account). Once there is room again the widget sends it again by itself — the shopper
    does nothing more — and the desktop gets it once; the relay logs why it could not."""
    shop_id, token = add_shop(tmp_path, "ร้านดิสก์เต็ม")
    relay = _RelayWithPipedLog(tmp_path)
    try:

        async def go() -> None:
            desk, _ = await clients.desktop(relay, token)
            try:
                await chat(desk)
            finally:
                await desk.close()

        async def chat(desk: Any) -> None:
            async with async_playwright() as pw:
                browser, page = await _open_chat(pw, relay.url, shop_id)
                await _type(page, "ก่อนดิสก์เต็ม")
                first = await desk.recv_type(p.Inbound, timeout=10)
                await desk.send(p.Ack(first.seq))
                await page.locator(W + ".row.me .tick").filter(has_text="✓").wait_for()
                relay.disk_full(True)
                await _type(page, "โอนแล้วค่ะ 💳 ระหว่างดิสก์เต็ม")
                await desk.nothing(2.0, ignore=(p.ShopperTyping, p.Receipt))  # not stored
                sent = page.locator(W + ".row.me .tick").filter(has_text="✓")
                assert await sent.count() == 1  # (the second still shows it waits: 🕓)
                relay.disk_full(False)
                got = await desk.recv_type(p.Inbound, timeout=15)  # resent within 5 s
                assert got.message.body == p.Text("โอนแล้วค่ะ 💳 ระหว่างดิสก์เต็ม")
                await desk.send(p.Ack(got.seq))
                await sent.nth(1).wait_for(timeout=10000)
                await desk.nothing(1.0, ignore=(p.ShopperTyping, p.Receipt))  # once
                await browser.close()

        arun(go())
    finally:
        log = relay.stop()
    assert "ERROR relay: commit failed: " in log  # (SQLite: "database or disk is full")
    assert "Traceback" not in log, log[-3000:]
