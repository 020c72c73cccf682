"""``minichat bot chat``: talk to the sales bot in the terminal, against the shop in the data
folder, before switching it on for shoppers (``minichat bot switch on``).

The chat is a real conversation of the shop (channel ``manual``, id ``cli:<random>``): the bot
reads the real catalog, the cart and checkout are real, and confirming places a real pending
order with stock reserved (cancel it in the app afterwards). Nothing is sent to the relay.

Type as a shopper would. ``#N`` presses button N of the bot's last messages; ``/slip FILE``
sends a picture as the transfer slip; ``/new`` starts a new conversation; ``/quit`` ends.
Product cards, carts and order statuses print as text; the PromptPay QR prints as a note with
the path of its PNG file. ``--ai`` lets the configured AI provider word the answers (and read
unsure messages); without it the bot answers on rules alone, as it does with no AI key.

Also here: ``minichat bot switch on|off`` (answer shoppers or not), ``minichat bot ai``
(provider, model, address, brand voice; the key is read from stdin into the keyring).
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from minichat_desktop.commands.common import EXIT_OK, CommandSet, UsageError, open_db
from minichat_desktop.domain.thai import format_baht

if TYPE_CHECKING:
    pass


def register(commands: CommandSet) -> None:
    """``chat``, ``switch`` and ``ai`` in the ``bot`` group :mod:`.bot` made."""
    group = commands.group_named("bot")
    add = commands.add
    chat = add("chat", cmd_bot_chat, "talk to the sales bot in the terminal (the real shop)", group)
    chat.add_argument("--ai", action="store_true", help="use the configured AI provider")
    chat.add_argument(
        "--english", action="store_true", help="show the help in English (the bot follows you)"
    )
    switch = add("switch", cmd_bot_switch, "switch the bot on or off for shoppers", group)
    switch.add_argument("state", choices=["on", "off"])
    ai = add("ai", cmd_bot_ai, "choose the AI provider (the key is read from stdin)", group)
    ai.add_argument("provider", choices=["none", "ollama", "openrouter", "groq", "anthropic"])
    ai.add_argument("--model", default="")
    ai.add_argument("--base-url", default="", help="e.g. http://127.0.0.1:11434 for Ollama")
    ai.add_argument("--voice", help="brand voice, e.g. 'friendly, playful, ends with ค่ะ'")
    ai.add_argument("--timeout", type=float, help="seconds for one answer (3-120)")
    ai.add_argument(
        "--key-stdin", action="store_true", help="read the API key from stdin (one line)"
    )


# ---------------------------------------------------------------------------- rendering


class Printer:
    """Bot messages as terminal text; remembers the buttons to press with #N."""

    def __init__(self, out: Any = None) -> None:
        self.out = out or sys.stdout
        self.buttons: list[Any] = []

    def line(self, text: str = "") -> None:
        print(text, file=self.out, flush=True)

    def _button(self, b: Any) -> str:
        self.buttons.append(b)
        return f"[#{len(self.buttons)} {b.label}]"

    def show(self, replies: list[Any]) -> None:
        from relay import protocol as p

        self.buttons = []
        if not replies:
            self.line("  (บอทไม่ตอบ / no answer)")
        for r in replies:
            body = r.body
            if r.image_path:
                self.line(f"🤖 [QR พร้อมเพย์] {r.caption or ''}")
                self.line(f"   ไฟล์ / file: {r.image_path}")
            elif isinstance(body, p.Text):
                for i, text in enumerate(body.text.splitlines() or [""]):
                    self.line(("🤖 " if i == 0 else "   ") + text)
            elif isinstance(body, p.Buttons):
                self.line(f"🤖 {body.text}")
                self.line("   " + " ".join(self._button(b) for b in body.buttons))
            elif isinstance(body, p.ProductCard | p.Carousel):
                cards = [body.card] if isinstance(body, p.ProductCard) else list(body.cards)
                if isinstance(body, p.Carousel) and body.text:
                    self.line(f"🤖 {body.text}")
                for c in cards:
                    was = (
                        f" (ปกติ {format_baht(c.compare_at_satang, symbol=True)})"
                        if c.compare_at_satang
                        else ""
                    )
                    stock = "" if c.in_stock else " — หมด"
                    self.line(
                        f"🛍  {c.title}  {format_baht(c.price_satang, symbol=True)}{was}{stock}"
                    )
                    if c.subtitle:
                        self.line(f"   {c.subtitle}")
                    if c.buttons:
                        self.line("   " + " ".join(self._button(b) for b in c.buttons))
            elif isinstance(body, p.CartSummary):
                self.line("🛒 ตะกร้า / cart")
                for it in body.items:
                    variant = f" ({it.variant})" if it.variant else ""
                    amount = format_baht(it.line_total_satang, symbol=True)
                    self.line(f"   {it.name}{variant} × {it.quantity}  {amount}")
                self.line(f"   รวมสินค้า {format_baht(body.subtotal_satang, symbol=True)}")
                if body.discount_satang:
                    self.line(f"   ส่วนลด -{format_baht(body.discount_satang, symbol=True)}")
                if body.shipping_satang:
                    self.line(f"   ค่าส่ง {format_baht(body.shipping_satang, symbol=True)}")
                self.line(f"   ยอดรวม {format_baht(body.total_satang, symbol=True)}")
                if body.buttons:
                    self.line("   " + " ".join(self._button(b) for b in body.buttons))
            elif isinstance(body, p.OrderStatus):
                parts = [f"📦 {body.order_no}: {body.status_label or body.status.value}"]
                parts.append(format_baht(body.total_satang, symbol=True))
                if body.tracking_no:
                    parts.append(f"{body.carrier or ''} {body.tracking_no}".strip())
                self.line(" · ".join(parts))
                if body.tracking_url:
                    self.line(f"   {body.tracking_url}")
            if r.quick_replies:
                self.line("   " + " ".join(self._button(b) for b in r.quick_replies))


# ---------------------------------------------------------------------------- the chat


class TerminalChat:
    """One terminal conversation with the bot on the shop's database."""

    def __init__(self, db: Any, data_dir: Path, ai: Any = None, out: Any = None) -> None:
        from minichat_desktop import paths
        from minichat_desktop.domain.bot.engine import DialogueEngine

        self.db = db
        self.data_dir = data_dir
        self.ai = ai
        self.engine = DialogueEngine(paths.media_dir(data_dir), phrases=ai is not None)
        self.printer = Printer(out)
        self.conversation_id = self.new_conversation()
        self._n = 0

    def new_conversation(self) -> int:
        from minichat_desktop.domain.models import BotMode, Channel, Conversation, utcnow

        ref = f"cli:{secrets.token_hex(8)}"
        with self.db.write() as s:
            conv = Conversation(
                ref=ref,
                channel=Channel.MANUAL,
                title="minichat bot chat",
                bot_mode=BotMode.ACTIVE,
                created_at=utcnow(),
                tags=["ทดลองบอท"],
            )
            s.add(conv)
            s.flush()
            self.ref = ref
            return conv.id

    def _uid(self) -> str:
        self._n += 1
        return f"cli-{secrets.token_hex(4)}-{self._n}"

    def send(self, message: dict[str, Any], slip: str | None = None, read: Any = None) -> list[Any]:
        """Store the shopper's message, let the bot answer, keep and print its replies."""
        from minichat_desktop.domain.bot.engine import record_local_replies
        from minichat_desktop.domain.conversations import conversations as convs
        from minichat_desktop.domain.models import utcnow

        now = utcnow()
        hint = None
        if self.ai is not None and message.get("kind") == "text":
            from minichat_desktop.domain.bot import nlu

            with self.db.read() as s:
                rules = nlu.classify(str(message["text"]), self.engine.matcher(s))
            if rules.confidence < nlu.UNSURE:
                hint = asyncio.run(self.ai.classify_fallback(str(message["text"])))
        classifier = (lambda _t, _r: hint) if hint is not None else None
        with self.db.write() as s:
            convs.record_inbound(s, self.ref, message, now)
            replies = self.engine.answer(
                s, self.conversation_id, message, now, classifier, slip=slip, slip_read=read
            )
        if self.ai is not None and replies:
            replies = asyncio.run(self.ai.finish(replies))
        with self.db.write() as s:
            record_local_replies(s, self.conversation_id, replies, utcnow())
        self.printer.show(replies)
        return replies

    def handle(self, line: str) -> bool:
        """One line typed; False to stop."""
        from relay import protocol as p

        line = line.strip()
        if not line:
            return True
        if line in ("/quit", "/exit", "/q"):
            return False
        if line == "/new":
            self.conversation_id = self.new_conversation()
            self.printer.line(f"(new conversation {self.ref})")
            return True
        if line.startswith("/slip"):
            self._slip(line[5:].strip())
            return True
        if line.startswith("#") and line[1:].isdigit():
            n = int(line[1:])
            if not 1 <= n <= len(self.printer.buttons):
                self.printer.line(f"(no button #{n})")
                return True
            b = self.printer.buttons[n - 1]
            if b.action is p.ButtonAction.POSTBACK:
                self.send({"id": self._uid(), "kind": "postback", "data": b.data, "label": b.label})
            elif b.action is p.ButtonAction.MESSAGE:
                self.printer.line(f"👤 {b.text}")
                self.send({"id": self._uid(), "kind": "text", "text": b.text})
            else:
                self.printer.line(f"(link: {b.url})")
            return True
        self.send({"id": self._uid(), "kind": "text", "text": line})
        return True

    def _slip(self, name: str) -> None:
        from minichat_desktop import paths

        source = Path(name).expanduser()
        if not source.is_file():
            self.printer.line(f"(no such file: {source})")
            return
        folder = paths.media_dir(self.data_dir) / "slips"
        folder.mkdir(parents=True, exist_ok=True)
        uid = self._uid()
        target = folder / f"{uid}{source.suffix.lower()}"
        shutil.copyfile(source, target)
        rel = str(target.relative_to(self.data_dir))
        from minichat_desktop.domain.payments.slips import SlipPicture
        from minichat_desktop.formats.qr_read import read_qr_file

        scan = read_qr_file(target)
        read = SlipPicture(scan.sha256, scan.texts)
        self.send({"id": uid, "kind": "image", "url": f"file://{target}"}, slip=rel, read=read)


HELP_TH = (
    "คุยกับบอทขายของของร้าน (ข้อมูลจริง: ตะกร้า ออเดอร์ และสต็อกเป็นของจริง)\n"
    "พิมพ์เหมือนลูกค้า · #N กดปุ่มที่ N · /slip ไฟล์ ส่งรูปสลิป · /new เริ่มแชทใหม่ · /quit ออก"
)
HELP_EN = (
    "Talk to the shop's sales bot (real data: carts, orders and stock are real)\n"
    "Type as a shopper · #N presses button N · /slip FILE sends a slip · /new · /quit"
)


def cmd_bot_chat(args: argparse.Namespace) -> int:
    from minichat_desktop.errors import UserError

    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(encoding="utf-8")
    stdin = sys.stdin
    if hasattr(stdin, "reconfigure"):
        stdin.reconfigure(encoding="utf-8", errors="replace")
    db = open_db(args)
    try:
        ai = None
        if args.ai:
            from minichat_desktop.ai.assist import BotAI
            from minichat_desktop.secrets import Secrets

            with db.read() as s:
                ai = BotAI.from_settings(s, Secrets(args.data_path))
            if ai is None:
                raise UserError(
                    "bot.no_ai",
                    "no AI provider is set up (or its key is missing); "
                    "run `minichat bot ai PROVIDER --key-stdin` first, or chat without --ai",
                )
        chat = TerminalChat(db, args.data_path, ai)
        chat.printer.line(HELP_EN if args.english else HELP_TH)
        interactive = stdin.isatty()
        while True:
            if interactive:
                try:
                    line = input("👤 ")
                except EOFError:
                    break
            else:
                raw = stdin.readline()
                if not raw:
                    break
                line = raw.rstrip("\r\n")
                if line.strip():
                    chat.printer.line(f"👤 {line}")
            if not chat.handle(line):
                break
        if ai is not None:
            st = ai.stats
            chat.printer.line(
                f"(AI: asked {st.asked}, used {st.used}, rejected {st.rejected}, "
                f"failed {st.failed})"
            )
    finally:
        db.dispose()
    return EXIT_OK


def cmd_bot_switch(args: argparse.Namespace) -> int:
    from minichat_desktop.domain.bot.engine import ENABLED_KEY
    from minichat_desktop.domain.shop import put_setting

    db = open_db(args)
    try:
        with db.write() as s:
            put_setting(s, ENABLED_KEY, args.state == "on")
    finally:
        db.dispose()
    print(f"bot {args.state}")
    return EXIT_OK


def cmd_bot_ai(args: argparse.Namespace) -> int:
    from minichat_desktop.ai.config import save_config
    from minichat_desktop.secrets import Secrets, ai_key

    provider = "" if args.provider == "none" else args.provider
    key = None
    if args.key_stdin:
        key = sys.stdin.readline().strip()
        if not key:
            raise UsageError("bot.empty_key", "--key-stdin: the first line of stdin is empty")
    db = open_db(args)
    try:
        with db.write() as s:
            config = save_config(
                s,
                provider,
                model=args.model,
                base_url=args.base_url,
                brand_voice=args.voice,
                timeout_s=args.timeout,
            )
    finally:
        db.dispose()
    if key is not None and provider:
        Secrets(args.data_path).set(ai_key(provider), key)
    if config is None:
        print("AI off: the bot answers on rules")
    else:
        print(f"AI: {config.provider} {config.model_name} at {config.url}")
    return EXIT_OK
