"""widget.js with the ``ride`` feature (docs/adr/0011-fewer-frames.md) in headless Chromium,
against a real relay process and a desktop on a real socket: its ack and read ride in the
next message the shopper sends, or go alone after a short idle; what rides on the relay's
frames (accepted, ticks) is shown as before."""

from __future__ import annotations

import datetime as dt
import json
import time
from typing import Any

from playwright.async_api import async_playwright
from support.relay_proc import add_shop
from test_relay_fewer_frames import GENEROUS, desktop
from test_relay_widget_browser import ARGS, CHROMIUM, W, _wait_text

from relay import protocol as p

START = dt.datetime(2026, 12, 6, 10, 0, tzinfo=dt.UTC)


def _keep(sent: list[dict[str, Any]], data: str) -> None:
    frame = json.loads(data)
    if frame["type"] != "typing":  # typing notices come and go with the keyboard
        sent.append(frame)


async def _seen(page: Any, frames: list[Any], n: int, timeout: float = 20) -> None:
    """Wait until the browser reported ``n`` frames (its events come a moment after)."""
    await _until(page, lambda: len(frames) >= n, timeout)
    assert len(frames) >= n, frames


async def _until(page: Any, done: Any, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not done() and time.monotonic() < deadline:
        await page.wait_for_timeout(20)


def test_the_widget_rides_its_acks_and_reads_riders(relay_factory: Any, arun: Any) -> None:
    r = relay_factory("--demo-page", env=GENEROUS)
    shop_id, token = add_shop(r.data_dir, "ร้านทดสอบ")
    r.start()

    async def go() -> None:
        desk, _ = await desktop(r, token, ride=True)
        try:
            await chat(desk)
        finally:
            await desk.ws.close()

    async def chat(desk: Any) -> None:
        sent: list[dict[str, Any]] = []
        received: list[dict[str, Any]] = []
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = await browser.new_page(viewport={"width": 1280, "height": 800})
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))

            def watch(ws: Any) -> None:
                ws.on("framesent", lambda data: _keep(sent, data))
                ws.on("framereceived", lambda data: received.append(json.loads(data)))

            page.on("websocket", watch)
            # the page's clock stands still: the widget's idle timer runs only when told to
            await page.clock.install(time=START)
            await page.clock.pause_at(START + dt.timedelta(seconds=1))
            await page.goto(f"{r.url}/demo/{shop_id}")
            await page.click(W + ".launch")
            await page.fill(W + ".bar textarea", "มีเสื้อยืดสีแดงไหม")
            await page.keyboard.press("Enter")
            await _seen(page, received, 1)
            assert sent[0]["features"] == ["ride"] and received[0]["features"] == ["ride"]

            inbound = await desk.recv_type(p.Inbound)
            conv = inbound.conversation
            await desk.send(p.Send(conv, p.Message("r1", p.Text("มีค่ะ")), ack=inbound.seq))
            await _wait_text(page, "มีค่ะ")
            # the accepted tick and the delivered tick rode on the reply: shown as before
            await page.locator(W + ".row.me .tick").filter(has_text="✓✓").wait_for()
            await _until(page, lambda: any(f["type"] == "message" for f in received))
            carrier = [f for f in received if f["type"] == "message"][-1]
            assert [f["type"] for f in carrier["with"]] == ["accepted", "receipt"]

            # the shopper writes again: the ack and read of the reply ride in that send
            await page.fill(W + ".bar textarea", "ไซส์ M มีไหม")
            await page.keyboard.press("Enter")
            second = await desk.recv_type(p.Inbound)
            assert second.message.body == p.Text("ไซส์ M มีไหม")
            ticks = [(f.status, f.ids) for f in desk.of(p.Receipt)]
            assert ticks == [
                (p.ReceiptStatus.DELIVERED, ("r1",)),
                (p.ReceiptStatus.READ, ("r1",)),
            ]
            await _seen(page, sent, 3)
            carrying = sent[-1]
            reply_seq = carrier["seq"]
            assert (carrying["ack"], carrying["read"]) == (reply_seq, reply_seq)
            assert [f["type"] for f in sent] == ["hello", "send", "send"]

            # nothing more to send: after the idle time the ack and read go alone
            await desk.send(p.Send(conv, p.Message("r2", p.Text("มีค่ะ ไซส์ M")), ack=second.seq))
            await _wait_text(page, "มีค่ะ ไซส์ M")
            await page.clock.run_for(150)
            await desk.until(lambda log: len(desk.of(p.Receipt)) == 4)
            assert [(f.status, f.ids) for f in desk.of(p.Receipt)][2:] == [
                (p.ReceiptStatus.DELIVERED, ("r2",)),
                (p.ReceiptStatus.READ, ("r2",)),
            ]
            await _seen(page, sent, 5)
            assert [f["type"] for f in sent][3:] == ["ack", "read"]
            assert errors == []
            await browser.close()

    arun(go())
