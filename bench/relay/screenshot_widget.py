"""Screenshots of the widget in headless Chromium, on a desktop and a phone width.

Starts a relay (subprocess, port 0, demo page on), a simulated shop desktop that answers with
text, a product carousel, quick replies, a cart and an order status, then drives the demo page
as a shopper. Writes PNGs to bench/out/widget/ (or the folder given as the first argument).
Also shows the away state with the contact form. Loopback only; takes about 15 s.

    .venv/bin/python bench/relay/screenshot_widget.py [OUT_DIR]
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import websockets
from playwright.async_api import Page, async_playwright

from relay import protocol as p

ROOT = Path(__file__).resolve().parents[2]
PYTHON = str(ROOT / ".venv" / "bin" / "python")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def start_relay(data: Path) -> tuple[subprocess.Popen[str], str, str, str]:
    out = subprocess.run(
        [PYTHON, "-m", "relay", "--data-dir", str(data), "shops", "add", "ร้านเสื้อผ้าคุณแม่"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    shop = json.loads(out.stdout.strip().splitlines()[-1])
    proc = subprocess.Popen(
        [PYTHON, "-m", "relay", "--data-dir", str(data), "serve", "--port", "0", "--demo-page"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=ROOT,
    )
    assert proc.stdout is not None
    info = json.loads(proc.stdout.readline())
    return proc, info["url"], shop["shop_id"], shop["token"]


def card(
    pid: str, title: str, price: int, compare: int | None = None, stock: bool = True
) -> p.Card:
    return p.Card(
        pid,
        title,
        price,
        "ผ้าคอตตอน 100% ใส่สบาย",
        None,
        compare,
        stock,
        (
            p.Button("ใส่ตะกร้า", p.ButtonAction.POSTBACK, data=f"add={pid}"),
            p.Button("ดูรายละเอียด", p.ButtonAction.POSTBACK, data=f"show={pid}"),
        ),
    )


async def shop_desktop(url: str, token: str, stop: asyncio.Event) -> None:
    """Answers like the desktop's bot would."""
    async with websockets.connect(
        url.replace("http", "ws") + "/ws/desktop",
        additional_headers={"Authorization": f"Bearer {token}"},
    ) as ws:
        await ws.send(p.encode(p.DesktopHello()))
        await ws.send(
            p.encode(
                p.SetWidgetConfig(
                    "cfg",
                    p.WidgetConfig(
                        shop_name="ร้านเสื้อผ้าคุณแม่",
                        color="#E4572E",
                        welcome_th="สวัสดีค่ะ ร้านเสื้อผ้าคุณแม่ยินดีต้อนรับ สอบถามสินค้าได้เลยค่ะ 😊",
                        welcome_en="Hi! Welcome to Mom's Clothes. Ask us anything.",
                    ),
                )
            )
        )
        counts: dict[str, int] = {}
        while not stop.is_set():
            try:
                raw = await asyncio.wait_for(ws.recv(), 0.2)
            except TimeoutError:
                continue
            frame = p.decode_to_desktop(raw)
            if not isinstance(frame, p.Inbound):
                continue
            await ws.send(p.encode(p.Ack(frame.seq)))
            conv = frame.conversation
            await ws.send(p.encode(p.Read(conv, frame.message.id)))
            n = counts[conv] = counts.get(conv, 0) + 1
            if n == 1:
                await ws.send(p.encode(p.Typing(conv, True)))
                await asyncio.sleep(0.4)
                replies = [
                    p.Message("r1", p.Text("มีค่ะ เสื้อยืดสีแดงมี 3 แบบ ราคาเริ่มต้น 290 บาทค่ะ")),
                    p.Message(
                        "r2",
                        p.Carousel(
                            (
                                card("p1", "เสื้อยืดคอกลม สีแดง", 29000, 35000),
                                card("p2", "เสื้อยืดโอเวอร์ไซซ์ สีแดงเลือดหมู", 39000),
                                card("p3", "เสื้อโปโล สีแดง", 45000, stock=False),
                            )
                        ),
                    ),
                    p.Message(
                        "r3",
                        p.Text("สนใจไซส์ไหนคะ"),
                        (
                            p.Button("S", p.ButtonAction.MESSAGE, text="ไซส์ S"),
                            p.Button("M", p.ButtonAction.MESSAGE, text="ไซส์ M"),
                            p.Button("L", p.ButtonAction.MESSAGE, text="ไซส์ L"),
                            p.Button("ตารางไซส์", p.ButtonAction.POSTBACK, data="sizes"),
                        ),
                    ),
                ]
            else:
                replies = [
                    p.Message(
                        f"c{n}",
                        p.CartSummary(
                            (
                                p.CartItem("เสื้อยืดคอกลม สีแดง", 2, 29000, 58000, "M"),
                                p.CartItem("หมวกแก๊ปปักลาย", 1, 35000, 35000),
                            ),
                            93000,
                            88000,
                            10000,
                            5000,
                            (p.Button("ชำระเงิน", p.ButtonAction.POSTBACK, data="checkout"),),
                        ),
                    ),
                    p.Message(
                        f"o{n}",
                        p.OrderStatus(
                            "MC-2026-0042",
                            p.OrderState.SHIPPED,
                            88000,
                            "จัดส่งแล้ว",
                            "ไปรษณีย์ไทย",
                            "EF582621151TH",
                            "https://track.thailandpost.co.th/?trackNumber=EF582621151TH",
                        ),
                    ),
                ]
            for m in replies:
                await ws.send(p.encode(p.Send(conv, m)))


async def shoot(page: Page, out: Path, name: str) -> None:
    await page.wait_for_timeout(400)
    await page.screenshot(path=str(out / f"{name}.png"))
    print(out / f"{name}.png")


async def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        proc, url, shop_id, token = start_relay(Path(tmp))
        stop = asyncio.Event()
        desk: asyncio.Task[None] | None = None
        try:
            async with async_playwright() as pw:
                browser = await pw.chromium.launch(
                    executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
                )
                # away first: no desktop yet
                page = await browser.new_page(viewport={"width": 1280, "height": 800})
                await page.goto(f"{url}/demo/{shop_id}")
                await page.click("[data-minichat] >> .launch")
                await page.click("[data-minichat] >> .banner button")
                await page.fill("[data-minichat] >> input[type=tel]", "0812345678")
                await shoot(page, out, "desktop-away-form")
                await page.close()

                desk = asyncio.create_task(shop_desktop(url, token, stop))
                await asyncio.sleep(0.5)
                for label, viewport in (
                    ("desktop", {"width": 1280, "height": 800}),
                    ("phone", {"width": 390, "height": 844}),
                ):
                    ctx = await browser.new_context(
                        viewport=viewport,
                        locale="th-TH",
                        is_mobile=label == "phone",
                        has_touch=label == "phone",
                    )
                    page = await ctx.new_page()
                    await page.goto(f"{url}/demo/{shop_id}")
                    await page.wait_for_selector("[data-minichat] >> .launch")
                    await shoot(page, out, f"{label}-closed")
                    await page.click("[data-minichat] >> .launch")
                    await page.fill("[data-minichat] >> .bar textarea", "มีเสื้อยืดสีแดงไหม ราคาเท่าไหร่")
                    await page.keyboard.press("Enter")
                    await page.wait_for_selector("[data-minichat] >> .card")
                    await page.wait_for_selector("[data-minichat] >> .chip")
                    await shoot(page, out, f"{label}-products")
                    await page.click("[data-minichat] >> .chip >> nth=1")
                    await page.wait_for_selector("[data-minichat] >> .pill")
                    await shoot(page, out, f"{label}-cart-order")
                    await ctx.close()
                # English, on a phone, after a reload (history comes back)
                ctx = await browser.new_context(
                    viewport={"width": 390, "height": 844}, is_mobile=True
                )
                page = await ctx.new_page()
                await page.goto(f"{url}/demo/{shop_id}")
                await page.click("[data-minichat] >> .launch")
                await page.click("[data-minichat] >> .head .hbtn >> text=EN")
                await page.fill("[data-minichat] >> .bar textarea", "Do you have a red T-shirt?")
                await page.keyboard.press("Enter")
                await page.wait_for_selector("[data-minichat] >> .card")
                await page.reload()
                await page.click("[data-minichat] >> .launch")
                await page.wait_for_selector("[data-minichat] >> .card")
                await shoot(page, out, "phone-english-history")
                await ctx.close()
                await browser.close()
        finally:
            stop.set()
            if desk is not None:
                await desk
            proc.send_signal(signal.SIGTERM)
            proc.wait(10)
            if proc.stdout:
                proc.stdout.close()


if __name__ == "__main__":
    os.chdir(ROOT)
    asyncio.run(main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "bench" / "out" / "widget"))
