"""The dialogue engine: what the bot answers to one shopper message.

:meth:`DialogueEngine.answer` takes a stored shopper message and returns the bot's replies
(:class:`~minichat_desktop.domain.bot.replies.Outgoing`), changing the cart, the checkout or
the conversation on the way; the caller queues the replies (and may let an AI reword the texts
that invite it). It promises:

- **Modes first** (the seed's takeover rules, :func:`conversations.bot_may_answer`): a
  conversation in ``human`` mode gets nothing; bot mode ``off`` gets nothing; ``passive``
  answers questions only (``?``, Thai question words, the shop's keywords) — and the buttons
  of the bot's own messages, which the shopper pressed to get an answer.
- **Escalation**: a complaint, or a request for a person (``ขอคุยกับแอดมิน``, ``พนักงาน``,
  ``human``) marks the conversation escalated and notifies the owner once; the shopper is told
  a person will answer. This happens in every bot mode (a shop that switched the bot off still
  wants to know).
- **Selling with no AI**: product questions get cards and a sentence with the price and stock
  from the database; "เอา 2 ตัว" adds the product last shown (asking for the option when it
  has several); the cart, checkout, payment, slips and order status run on rules
  (:mod:`cart`, :mod:`checkout`).
- **Grounded words only**: every price, stock level and order fact in a reply is read from
  the database in this transaction. A reply an AI may reword carries its facts block
  (:mod:`facts`); the guard sends the rule text when the model states anything else.

Understanding comes from :func:`nlu.classify` over the shop's catalog. ``ai`` is
``nlu.AiClassifier``: consulted when the rules are unsure. It is called inside the caller's
transaction, so callers pass one that answers at once (the runner asks the model *before*
opening the transaction and hands the answer in).
"""

from __future__ import annotations

import datetime as dt
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from minichat_desktop.domain.activity import analytics, notifications
from minichat_desktop.domain.bot import cart as carts
from minichat_desktop.domain.bot import (
    checkout,
    context,
    facts,
    flows,
    nlu,
    recommend,
    templates,
)
from minichat_desktop.domain.bot.catalog_match import CatalogMatcher
from minichat_desktop.domain.bot.replies import (
    Outgoing,
    PhraseRequest,
    lang_of,
    postback,
    say,
    text,
)
from minichat_desktop.domain.conversations import conversations as convs
from minichat_desktop.domain.models import (
    BotMode,
    Category,
    ChatMessage,
    Conversation,
    ConversationMode,
    ConversationStatus,
    Direction,
    Product,
    ProductVariant,
)
from minichat_desktop.domain.payments.slips import SlipPicture
from minichat_desktop.domain.shop import get_profile, get_setting, put_setting
from minichat_desktop.domain.thai import chat_baht
from minichat_desktop.errors import UserError
from relay import protocol as p

ENABLED_KEY = "bot.enabled"
ACTOR = "bot"
MAX_CARDS = 6
HUMAN_WORDS = re.compile(
    r"ขอคุยกับ(คน|พนักงาน|แอดมิน|เจ้าหน้าที่|admin)|คุยกับ(คน|พนักงาน|แอดมิน|เจ้าหน้าที่)"
    r"|ขอ(สาย)?(พนักงาน|แอดมิน|เจ้าหน้าที่)|เรียก(พนักงาน|แอดมิน|เจ้าหน้าที่)|ติดต่อ(แอดมิน|พนักงาน)"
    r"|\b(admin|human|real person|agent|staff)\b",
    re.IGNORECASE,
)
DISCOUNT = re.compile(
    r"(?:โค้ด|โค๊ด|code|คูปอง|coupon)\s*(?:ส่วนลด|discount)?\s*[:：]?\s*([A-Za-z0-9]{3,40})",
    re.IGNORECASE,
)
REMOVE_WORDS = re.compile(r"ลบ|เอาออก|เอา.{1,30}ออก|ไม่เอา.{1,30}แล้ว|\bremove\b|\bdelete\b", re.I)
CHANGE_WORDS = re.compile(r"เปลี่ยน|แก้(เป็น|จำนวน)|ขอเป็น|\bchange\b|\bmake it\b|\bswitch\b", re.I)
CART_WORDS = re.compile(r"ตะกร้า|ดูตะกร้า|\bcart\b|\bbasket\b", re.IGNORECASE)
CHECKOUT_WORDS = re.compile(
    r"สั่งเลย|สั่งซื้อเลย|ชำระเงิน|จ่ายเงิน|เช็คเอาท์|เช็คเอ้าท์|ยืนยันสั่ง|check ?out|pay now",
    re.IGNORECASE,
)

_SHOP_TOPIC = re.compile(
    r"ค่าส่ง|ค่าจัดส่ง|ส่งฟรี|จัดส่ง|ขนส่ง|ปลายทาง|shipping|delivery|\bcod\b", re.IGNORECASE
)


def _has_wish(entities: dict[str, Any]) -> bool:
    return any(k in entities for k in ("category", "color", "size", "price_min", "price_max"))


W: dict[str, dict[str, str]] = {
    "th": {
        "greeting": "สวัสดีค่ะ ยินดีต้อนรับสู่{shop}ค่ะ 😊 สนใจสินค้าไหนบอกได้เลยนะคะ",
        "goodbye": "ขอบคุณที่แวะมานะคะ มีอะไรทักมาได้ตลอดเลยค่ะ 🙏",
        "escalated": "รับทราบค่ะ ส่งเรื่องให้เจ้าหน้าที่แล้ว จะรีบติดต่อกลับโดยเร็วที่สุดนะคะ 🙏",
        "escalated_again": "เจ้าหน้าที่ได้รับเรื่องแล้วค่ะ กำลังรีบตอบนะคะ",
        "found": "เจอสินค้าที่ตรงกับที่ถามค่ะ",
        "found_one": "{name} ราคา {price}{stock}",
        "in_stock": " มีของพร้อมส่งค่ะ",
        "stock_left": " เหลือ {stock} ชิ้นค่ะ",
        "sold_out": " ตอนนี้สินค้าหมดค่ะ",
        "variant": "{name} {title} ราคา {price}{stock}",
        "variant_missing": "{name} ไม่มีตัวเลือก {want} ค่ะ มี: {options}",
        "nothing": ("ขออภัยค่ะ ยังไม่เจอสินค้าที่ตรงกับที่ถาม ลองบอกชื่อสินค้าหรือหมวดที่สนใจได้นะคะ"),
        "ask_what": "สนใจสินค้าแบบไหนคะ เลือกหมวดหรือพิมพ์ชื่อสินค้ามาได้เลยค่ะ",
        "pick_option": "{name} มีหลายตัวเลือกค่ะ เลือกแบบที่ต้องการได้เลย",
        "added": "ใส่ {name}{title} {qty} ชิ้นลงตะกร้าแล้วค่ะ 🛒",
        "which_product": ("ต้องการสินค้าตัวไหนคะ พิมพ์ชื่อสินค้าหรือกดปุ่มใส่ตะกร้าที่การ์ดได้เลยค่ะ"),
        "cart_is_empty": "ตะกร้ายังว่างอยู่ค่ะ",
        "cart_cleared": "ล้างตะกร้าแล้วค่ะ",
        "discount_ok": "ใช้โค้ด {code} แล้ว ลด {amount} ค่ะ",
        "pay_notice": "ขอบคุณค่ะ รบกวนส่งรูปสลิปการโอนในแชทนี้ได้เลยนะคะ",
        "shipping": "ค่าจัดส่ง: {fees}",
        "free_over": "ซื้อครบ {amount} ส่งฟรีค่ะ",
        "cod": "มีเก็บเงินปลายทาง (ค่าบริการ {fee})",
        "payment": "ชำระเงินได้ทาง {ways}",
        "general": "ทางร้านจะตอบคำถามนี้ให้เร็ว ๆ นี้นะคะ",
        "unknown": ("ขออภัยค่ะ ไม่แน่ใจว่าหมายถึงอะไร เลือกจากปุ่มด้านล่างหรือพิมพ์ชื่อสินค้าได้เลยค่ะ"),
        "q_products": "ดูสินค้า",
        "q_cart": "ตะกร้า",
        "q_order": "เช็คออเดอร์",
        "q_human": "คุยกับแอดมิน",
        "q_checkout": "สั่งซื้อเลย",
        "q_more": "ดูสินค้าอื่น",
        "btn_add": "ใส่ตะกร้า",
        "btn_details": "รายละเอียด",
        "order_words": "ออเดอร์ของฉันถึงไหนแล้ว",
        "human_words": "ขอคุยกับแอดมิน",
        "notify_human": "ลูกค้าขอคุยกับเจ้าหน้าที่",
        "notify_complaint": "ลูกค้าแจ้งปัญหา",
        "repeat_step": "ต่อจากเมื่อกี้นะคะ",
    },
    "en": {
        "greeting": "Hello, welcome to {shop} 😊 Tell me what you are looking for.",
        "goodbye": "Thank you for dropping by! Message us any time 🙏",
        "escalated": "Got it — a staff member has been told and will reply as soon as possible 🙏",
        "escalated_again": "Our staff already have your message and will reply soon.",
        "found": "Here is what matches your question.",
        "found_one": "{name}: {price}.{stock}",
        "in_stock": " In stock.",
        "stock_left": " {stock} left.",
        "sold_out": " Sold out right now.",
        "variant": "{name} {title}: {price}.{stock}",
        "variant_missing": "{name} does not come in {want}. Options: {options}",
        "nothing": "Sorry, I could not find that product. Try its name or a category.",
        "ask_what": "What are you looking for? Pick a category or type a product name.",
        "pick_option": "{name} comes in several options; pick one.",
        "added": "Added {qty} × {name}{title} to your cart 🛒",
        "which_product": "Which product would you like? Type its name or press Add to cart.",
        "cart_is_empty": "Your cart is empty.",
        "cart_cleared": "Cart emptied.",
        "discount_ok": "Code {code} applied: {amount} off.",
        "pay_notice": "Thank you! Please send a picture of the transfer slip in this chat.",
        "shipping": "Shipping: {fees}",
        "free_over": "Free shipping from {amount}.",
        "cod": "Cash on delivery available (fee {fee}).",
        "payment": "You can pay by {ways}.",
        "general": "The shop will answer this question shortly.",
        "unknown": "Sorry, I am not sure what you mean. Use the buttons or type a product name.",
        "q_products": "Products",
        "q_cart": "Cart",
        "q_order": "My order",
        "q_human": "Talk to staff",
        "q_checkout": "Check out",
        "q_more": "More products",
        "btn_add": "Add to cart",
        "btn_details": "Details",
        "order_words": "where is my order",
        "human_words": "talk to staff",
        "notify_human": "A shopper asks for a person",
        "notify_complaint": "A shopper has a complaint",
        "repeat_step": "Back to where we were:",
    },
}


def w(lang: str, key: str, **values: Any) -> str:
    return W.get(lang, W["th"]).get(key, W["th"][key]).format(**values)


def bot_enabled(session: Session) -> bool:
    """The owner's main switch (Settings → Bot); off until they switch it on."""
    return bool(get_setting(session, ENABLED_KEY, False))


def set_bot_enabled(session: Session, enabled: bool) -> None:
    """Switch the bot on (it answers shoppers, each conversation by its mode) or off."""
    put_setting(session, ENABLED_KEY, bool(enabled))


@dataclass(frozen=True, slots=True)
class _Sellable:
    product_id: int
    variant_id: int
    name: str
    title: str
    options: dict[str, str]
    price: int
    stock: int
    track: bool
    name_en: str = ""

    def label(self, lang: str) -> str:
        return self.name_en if lang == "en" and self.name_en else self.name


def _card_products(out: list[Outgoing]) -> list[int]:
    """The products on the product cards among ``out``, in order."""
    ids: list[int] = []
    for o in out:
        cards = (
            (o.body.card,)
            if isinstance(o.body, p.ProductCard)
            else o.body.cards
            if isinstance(o.body, p.Carousel)
            else ()
        )
        ids.extend(int(c.product_id) for c in cards if c.product_id.isdigit())
    return ids


class DialogueEngine:
    """One per shop (it caches the catalog matcher and the recommendation index).
    ``media_dir``: where PromptPay QR images are written (``<data>/media``); None sends payment
    details without the QR picture."""

    def __init__(
        self,
        media_dir: Path | None = None,
        refresh_seconds: float = 5.0,
        *,
        phrases: bool = False,
    ) -> None:
        self.media_dir = media_dir
        # Only an AI rewords texts: without one, the facts blocks are not worth building.
        self.phrases = phrases
        self.refresh_seconds = refresh_seconds
        self._matcher: CatalogMatcher | None = None
        self._checked = 0.0
        self._index: recommend.RecommendIndex | None = None
        self._index_stale = False

    def catalog_changed(self) -> None:
        """The products changed (the database said so): look at the next message instead of
        up to ``refresh_seconds`` later, so a product added a moment ago is found at once.
        Safe to call from any thread (it only marks)."""
        self._checked = float("-inf")
        self._index_stale = True

    # ------------------------------------------------------------------ entry

    def matcher(self, session: Session) -> CatalogMatcher:
        """The catalog matcher, rebuilt when the catalog changed — checked at most every
        ``refresh_seconds`` (the check itself costs a few milliseconds on 10,000 products;
        a product added a moment ago is found a few seconds later)."""
        now = time.monotonic()
        if self._matcher is None:
            self._matcher = CatalogMatcher.load(session)
            self._checked = now
        elif now - self._checked >= self.refresh_seconds:
            self._matcher = self._matcher.refreshed(session)
            self._checked = now
        return self._matcher

    def recommend_index(
        self, session: Session, max_age: float | None = None
    ) -> recommend.RecommendIndex:
        """The recommendation index, rebuilt when products, stock, sales or reviews changed —
        checked at most every ``max_age`` seconds (default ``refresh_seconds``, as the
        matcher; 0 checks now). Ranking in memory takes a few milliseconds where the SQL
        aggregates take ~14 ms on 10,000 products, but a rebuild takes about a second there:
        the bot runner refreshes it after each answer, outside the write transaction."""
        if self._index is None:
            self._index = recommend.RecommendIndex.load(session)
        else:
            age = self.refresh_seconds if max_age is None else max_age
            if self._index_stale:
                self._index_stale, age = False, 0.0
            self._index = self._index.refreshed(session, max_age=age)
        return self._index

    def _recommend(
        self,
        session: Session,
        crit: recommend.Criteria,
        limit: int,
        now: dt.datetime | None = None,
    ) -> list[recommend.Recommendation]:
        return recommend.recommend(
            session, crit, limit=limit, index=self.recommend_index(session), now=now
        )

    def answer(
        self,
        session: Session,
        conversation_id: int,
        message: dict[str, Any],
        now: dt.datetime,
        ai: nlu.AiClassifier | None = None,
        *,
        slip: str | None = None,
        slip_read: SlipPicture | None = None,
        silent: bool = False,
    ) -> list[Outgoing]:
        """The bot's replies to ``message`` (a protocol message object the shopper sent).
        ``slip``: where a picture message was saved (else its URL is kept); ``slip_read``: what
        was read from that file (its QRs, its hash) for the slip check. A picture is
        attached to the conversation's unpaid order in every mode — also ``silent`` (the bot
        switched off) — but answered only when the bot may speak. Each product shown on a
        card is recorded as viewed (analytics)."""
        out = self._answer(
            session, conversation_id, message, now, ai, slip=slip, read=slip_read, silent=silent
        )
        for product_id in _card_products(out):
            analytics.record(
                session,
                analytics.PRODUCT_VIEWED,
                conversation_id=conversation_id,
                product_id=product_id,
            )
        return out

    def _answer(
        self,
        session: Session,
        conversation_id: int,
        message: dict[str, Any],
        now: dt.datetime,
        ai: nlu.AiClassifier | None,
        *,
        slip: str | None,
        read: SlipPicture | None,
        silent: bool,
    ) -> list[Outgoing]:
        conv = session.get(Conversation, conversation_id)
        if conv is None:
            return []
        kind = str(message.get("kind", "text"))
        if kind == "image":
            # A transfer slip goes on the order whoever is answering; only the bot's words
            # depend on the mode.
            where = slip or str(message.get("url") or message.get("media_id") or "")
            replies = checkout.receive_slip(
                session, conversation_id, where, self._lang(session, conversation_id, ""), read
            )
            quiet = silent or conv.mode == ConversationMode.HUMAN or conv.bot_mode == BotMode.OFF
            return [] if quiet else replies
        if silent or conv.mode == ConversationMode.HUMAN:
            return []
        if kind == "postback":
            said = str(message.get("data", ""))
        elif kind in ("text", "contact"):
            said = str(message.get("text") or message.get("phone") or "")
        else:
            said = ""
        typed = said if kind == "text" else str(message.get("label") or "")
        lang = self._lang(session, conversation_id, typed)
        result = None
        if kind == "text" and said.strip():
            result = nlu.classify(said, self.matcher(session), ai=ai)
            wants_person = bool(HUMAN_WORDS.search(said)) or (
                result.intent == "ask_human" and result.confidence >= nlu.UNSURE
            )
            complaint = result.intent == "complaint" and result.confidence >= nlu.UNSURE
            if wants_person or (
                complaint
                and not self._busy_with_cart(session, conversation_id, said)
                and not flows.waiting_for_answer(session, conversation_id)
            ):
                return self._escalate(session, conv, said, lang, complaint=not wants_person)
        if conv.bot_mode == BotMode.OFF:
            return []
        # Sales flows first: a run waiting for this answer, a flow button, a trigger.
        may_start = conv.bot_mode != BotMode.PASSIVE or convs.bot_may_answer(
            session, conversation_id, said
        )
        taken = flows.on_message(
            session, conversation_id, kind, said, result, now, lang, may_start=may_start
        )
        if taken is not None:
            return taken
        if kind == "postback":
            return self._postback(session, conv, said, lang, now)
        if result is None:
            return []
        if not convs.bot_may_answer(session, conversation_id, said) and not (
            # A passive bot still takes the answer to the checkout question it asked.
            conv.bot_mode == BotMode.PASSIVE and self._in_checkout(session, conversation_id)
        ):
            return []
        return self._text(session, conv, said, lang, now, result)

    # ------------------------------------------------------------------ helpers

    def _lang(self, session: Session, conversation_id: int, said: str) -> str:
        """The language of what the shopper wrote; for a button or a picture, of the last
        thing they typed (Thai when nothing)."""
        if said:
            return lang_of(said)
        last = session.scalar(
            select(ChatMessage.text)
            .where(
                ChatMessage.conversation_id == conversation_id,
                ChatMessage.direction == Direction.IN,
                ChatMessage.kind == "text",
            )
            .order_by(ChatMessage.id.desc())
            .limit(1)
        )
        return lang_of(last or "")

    @staticmethod
    def _in_checkout(session: Session, conversation_id: int) -> bool:
        return checkout.in_checkout(carts.get_cart(session, conversation_id))

    @staticmethod
    def _busy_with_cart(session: Session, conversation_id: int, said: str) -> bool:
        """In checkout, or changing the cart ("ขอเปลี่ยนเป็นสีดำ" reads like an exchange
        request, a complaint, to the rules): not something to hand to a person."""
        view = carts.get_cart(session, conversation_id)
        if checkout.in_checkout(view):
            return True
        return not view.empty and bool(CHANGE_WORDS.search(said) or REMOVE_WORDS.search(said))

    def _quick(self, lang: str, *keys: str) -> tuple[p.Button, ...]:
        out = []
        for key in keys:
            if key == "q_products":
                out.append(postback(w(lang, key), "browse"))
            elif key == "q_cart":
                out.append(postback(w(lang, key), "cart:view"))
            elif key == "q_order":
                out.append(say(w(lang, key), w(lang, "order_words")))
            elif key == "q_human":
                out.append(say(w(lang, key), w(lang, "human_words")))
            elif key == "q_checkout":
                out.append(postback(w(lang, key), "checkout:start"))
            elif key == "q_more":
                out.append(postback(w(lang, key), "browse"))
        return tuple(out)

    def _escalate(
        self, session: Session, conv: Conversation, said: str, lang: str, *, complaint: bool
    ) -> list[Outgoing]:
        """Hand over to a person: status escalated, the owner notified once."""
        if conv.status == ConversationStatus.ESCALATED:
            reply = [text(w(lang, "escalated_again"))]
        else:
            convs.set_status(session, conv.id, ConversationStatus.ESCALATED)
            view = convs.get_conversation(session, conv.id)
            key = "notify_complaint" if complaint else "notify_human"
            notifications.notify(
                session,
                notifications.NotificationKind.ESCALATED,
                f"{w('th', key)}: {view.display_name}",
                said[:300],
                ref=f"conversation:{conv.id}",
                en=(f"{w('en', key)}: {view.display_name}", said[:300]),
            )
            reply = [text(w(lang, "escalated"))]
        return reply if conv.bot_mode != BotMode.OFF else []

    # ------------------------------------------------------------------ postbacks

    def _postback(
        self, session: Session, conv: Conversation, data: str, lang: str, now: dt.datetime
    ) -> list[Outgoing]:
        head, _, rest = data.partition(":")
        try:
            if head == "cart" and rest.startswith("add:"):
                vid, _, qty = rest[4:].partition(":")
                return self._add(session, conv, int(vid), int(qty or 1), lang)
            if head == "product" and rest.startswith("options:"):
                return self._pick(session, int(rest[8:]), lang)
            if head == "product" and rest.startswith("detail:"):
                return self._describe(session, [int(rest[7:])], "", lang, {}, details=True)
            if head == "browse":
                return self._browse(session, conv, lang, now)
            if head == "cat":
                return self._category(session, rest, lang)
            if head == "cart":
                return self._cart_action(session, conv, rest, lang)
            if head == "checkout":
                if rest == "start":
                    return checkout.start_checkout(session, conv.id, lang)
                if rest == "confirm":
                    return checkout.confirm_checkout(session, conv.id, now, self.media_dir)
                if rest == "edit":
                    return checkout.edit_checkout(session, conv.id)
                if rest == "cancel":
                    return checkout.cancel_checkout(session, conv.id, lang)
            if head == "ship":
                return checkout.choose_shipping(session, conv.id, rest)
            if head == "pay":
                return checkout.choose_payment(session, conv.id, rest == "cod")
        except ValueError:
            pass  # a malformed postback (an old button): answer as unknown
        except UserError as exc:
            return [text(checkout.error_text(exc, lang))]
        return [text(w(lang, "unknown"), self._quick(lang, "q_products", "q_cart", "q_human"))]

    def _cart_action(
        self, session: Session, conv: Conversation, action: str, lang: str
    ) -> list[Outgoing]:
        verb, _, vid = action.partition(":")
        if verb == "clear":
            carts.clear_cart(session, conv.id)
            return [text(w(lang, "cart_cleared"), self._quick(lang, "q_products"))]
        if verb in ("inc", "dec", "remove"):
            view = carts.get_cart(session, conv.id)
            line = next((ln for ln in view.lines if ln.variant_id == int(vid)), None)
            if line is None:
                raise UserError("cart.not_in_cart", "not in the cart")
            qty = {"inc": line.quantity + 1, "dec": line.quantity - 1, "remove": 0}[verb]
            carts.set_quantity(session, conv.id, line.variant_id, qty)
        return self._show_cart(session, conv, lang)

    def _show_cart(self, session: Session, conv: Conversation, lang: str) -> list[Outgoing]:
        view = carts.get_cart(session, conv.id)
        if view.empty:
            return [text(w(lang, "cart_is_empty"), self._quick(lang, "q_products"))]
        out = [Outgoing(carts.cart_message(view, lang=lang), self._cart_quick(view, lang))]
        if view.discount_problem:
            problem = UserError(view.discount_problem, "", discount=view.discount_code)
            out.insert(0, text(checkout.error_text(problem, lang)))
        return out

    # ------------------------------------------------------------------ products

    def _sellables(self, session: Session, product_ids: list[int]) -> dict[int, list[_Sellable]]:
        rows = session.execute(
            select(
                Product.id,
                ProductVariant.id,
                Product.name_th,
                ProductVariant.title,
                ProductVariant.options,
                ProductVariant.price_satang,
                Product.price_satang,
                ProductVariant.stock,
                Product.track_inventory,
                Product.name_en,
            )
            .join(ProductVariant, ProductVariant.product_id == Product.id)
            .where(Product.id.in_(product_ids), Product.active, ProductVariant.active)
            .order_by(ProductVariant.position, ProductVariant.id)
        )
        out: dict[int, list[_Sellable]] = {}
        for pid, vid, name, title, options, vprice, pprice, stock, track, name_en in rows:
            out.setdefault(pid, []).append(
                _Sellable(
                    pid,
                    vid,
                    name,
                    title,
                    dict(options or {}),
                    vprice if vprice is not None else pprice,
                    stock,
                    bool(track),
                    name_en or "",
                )
            )
        return out

    @staticmethod
    def _stock_words(lang: str, vs: list[_Sellable]) -> str:
        if not vs[0].track:
            return w(lang, "in_stock")
        total = sum(v.stock for v in vs)
        if total <= 0:
            return w(lang, "sold_out")
        return w(lang, "stock_left", stock=total)

    def _phrase(
        self,
        session: Session,
        said: str,
        lang: str,
        purpose: str,
        recs: list[recommend.Recommendation] | None = None,
    ) -> PhraseRequest | None:
        """An invitation for the AI to reword, with the facts it may use (None without AI)."""
        if not self.phrases:
            return None
        if recs is not None:
            block = facts.build_facts(session, product_ids=[r.product_id for r in recs], shop=False)
        else:
            block = facts.build_facts(session)
        return PhraseRequest(said, block, lang, purpose)

    def _recommend_reply(
        self,
        session: Session,
        recs: list[recommend.Recommendation],
        sentence: str,
        said: str,
        lang: str,
    ) -> list[Outgoing]:
        """The sentence (with its facts, for an AI to reword) and the cards."""
        if not recs:
            return [text(sentence, self._quick(lang, "q_products", "q_human"))]
        body = recommend.to_message(recs, lang)
        out = [text(sentence, phrase=self._phrase(session, said, lang, "recommend", recs))]
        if body is not None:
            out.append(Outgoing(body, self._quick(lang, "q_cart", "q_more")))
        return out

    def _variant_lines(
        self, session: Session, product_ids: list[int], entities: dict[str, Any], lang: str
    ) -> list[str]:
        """Price and stock from the database for each product — of the option the shopper
        named, when they named one."""
        sell = self._sellables(session, product_ids)
        lines = []
        for pid in product_ids[:3]:
            vs = sell.get(pid)
            if not vs:
                continue
            chosen = self._named_variants(vs, entities)
            if chosen is None:
                want = " ".join(str(entities[k]) for k in ("color", "size") if entities.get(k))
                options = ", ".join(v.title for v in vs[:8])
                lines.append(
                    w(lang, "variant_missing", name=vs[0].label(lang), want=want, options=options)
                )
            elif chosen and len(vs) > 1:
                lines += [
                    w(
                        lang,
                        "variant",
                        name=v.label(lang),
                        title=v.title,
                        price=chat_baht(v.price),
                        stock=self._stock_words(lang, [v]),
                    )
                    for v in chosen[:4]
                ]
            else:
                lines.append(
                    w(
                        lang,
                        "found_one",
                        name=vs[0].label(lang),
                        price=chat_baht(min(v.price for v in vs)),
                        stock=self._stock_words(lang, vs),
                    )
                )
        return lines

    def _describe(
        self,
        session: Session,
        product_ids: list[int],
        said: str,
        lang: str,
        entities: dict[str, Any],
        *,
        details: bool = False,
    ) -> list[Outgoing]:
        """Named products: a sentence with price and stock (of the option asked for) and
        their cards."""
        product_ids = product_ids[:3]
        crit = recommend.Criteria(
            product_ids=tuple(product_ids),
            color=entities.get("color"),
            size=entities.get("size"),
        )
        recs = [
            r
            for r in self._recommend(session, crit, len(product_ids) or 1)
            if r.product_id in product_ids
        ]
        lines = self._variant_lines(session, product_ids, entities, lang)
        if details:
            for pid in product_ids[:1]:
                product = session.get(Product, pid)
                if product is not None and product.description:
                    lines.append(" ".join(product.description.split())[:600])
        if not recs:
            return [text(w(lang, "nothing"), self._quick(lang, "q_products", "q_human"))]
        return self._recommend_reply(
            session, recs, "\n".join(lines) or w(lang, "found"), said, lang
        )

    @staticmethod
    def _named_variants(vs: list[_Sellable], entities: dict[str, Any]) -> list[_Sellable] | None:
        """The variants matching the colour/size named ([] when none was named or the
        product has one option; None when the product has no such option). A colour or size
        that is part of the product's name (``เสื้อยืดสีแดง``) is not an option to match."""
        wanted = [str(entities[k]).upper() for k in ("color", "size") if entities.get(k)]
        wanted = [x for x in wanted if x not in vs[0].name.upper()] if vs else wanted
        if not wanted or len(vs) == 1:
            return []
        found = [
            v
            for v in vs
            if all(any(x == str(o).upper() for o in v.options.values()) for x in wanted)
        ]
        return found or None

    def _pick(self, session: Session, product_id: int, lang: str) -> list[Outgoing]:
        vs = self._sellables(session, [product_id]).get(product_id, [])
        if not vs:
            return [text(w(lang, "nothing"))]
        quick = tuple(
            postback(f"{v.title} {chat_baht(v.price)}", f"cart:add:{v.variant_id}")
            for v in vs
            if v.stock > 0 or not v.track
        )
        if not quick:
            return [text(f"{vs[0].label(lang)}{w(lang, 'sold_out')}")]
        return [text(w(lang, "pick_option", name=vs[0].label(lang)), quick)]

    def _add(
        self, session: Session, conv: Conversation, variant_id: int, qty: int, lang: str
    ) -> list[Outgoing]:
        line = carts.sellable(session, variant_id)
        view = carts.add_item(session, conv.id, variant_id, qty)
        title = f" ({line.variant_title})" if line.variant_title else ""
        added = text(w(lang, "added", name=line.display_name(lang), title=title, qty=qty))
        return [added, Outgoing(carts.cart_message(view, lang=lang), self._cart_quick(view, lang))]

    def _cart_quick(self, view: carts.CartView, lang: str) -> tuple[p.Button, ...]:
        """One more / one less of each line (the latest four), and more products."""
        quick: list[p.Button] = []
        for line in view.lines[-4:]:
            short = line.display_name(lang)[:14]
            quick.append(postback(f"➕ {short}", f"cart:inc:{line.variant_id}"))
            quick.append(postback(f"➖ {short}", f"cart:dec:{line.variant_id}"))
        return (*quick, *self._quick(lang, "q_more"))

    def _edit_cart(
        self,
        session: Session,
        conv: Conversation,
        view: carts.CartView,
        said: str,
        entities: dict[str, Any],
        lang: str,
    ) -> list[Outgoing] | None:
        """ "ลบหมวกออก", "เปลี่ยนเป็น 3 ตัว", "ขอเปลี่ยนเป็นสีดำ ไซส์ L": the line of the product
        named, else the only or the latest line. None when the message is not a cart edit."""
        removing = bool(REMOVE_WORDS.search(said))
        changing = bool(CHANGE_WORDS.search(said))
        if not (removing or changing):
            return None
        named = {int(x["product_id"]) for x in entities.get("product", [])}
        lines = [ln for ln in view.lines if ln.product_id in named] or list(view.lines[-1:])
        if not lines:
            return None
        line = lines[-1]
        if removing:
            carts.remove_item(session, conv.id, line.variant_id)
            return self._show_cart(session, conv, lang)
        wanted = {k: entities[k] for k in ("color", "size") if entities.get(k)}
        if wanted:
            vs = self._sellables(session, [line.product_id]).get(line.product_id, [])
            current = next((v for v in vs if v.variant_id == line.variant_id), None)
            match = self._named_variants(vs, wanted)
            if not match:
                options = ", ".join(v.title for v in vs[:8])
                return [
                    text(
                        w(
                            lang,
                            "variant_missing",
                            name=line.display_name(lang),
                            want=" ".join(str(x) for x in wanted.values()),
                            options=options,
                        )
                    )
                ]
            # Keep the other option (the size when only the colour changes), when it exists.
            same = current.options if current else {}
            best = max(match, key=lambda v: sum(v.options.get(k) == o for k, o in same.items()))
            carts.change_variant(session, conv.id, line.variant_id, best.variant_id)
        elif entities.get("quantity"):
            carts.set_quantity(session, conv.id, line.variant_id, int(entities["quantity"]))
        else:
            return None
        return self._show_cart(session, conv, lang)

    def _browse(
        self, session: Session, conv: Conversation, lang: str, now: dt.datetime
    ) -> list[Outgoing]:
        """What the shop recommends (best sellers, newest), with the categories to pick."""
        cats = session.scalars(
            select(Category.name).order_by(Category.position, Category.name)
        ).all()
        quick = tuple(postback(c, f"cat:{c}") for c in cats[:12])
        ctx = context.load_context(session, conv.id, now)
        crit = recommend.Criteria.from_context(ctx)
        recs = self._recommend(session, crit, MAX_CARDS, now)
        if not recs:
            return [text(w(lang, "ask_what"), quick)]
        out = self._recommend_reply(
            session, recs, templates.phrase_recommendations(recs, lang, crit), "", lang
        )
        return [*out[:-1], Outgoing(out[-1].body, quick or out[-1].quick_replies)]

    def _category(self, session: Session, category: str, lang: str) -> list[Outgoing]:
        crit = recommend.Criteria(category=category)
        recs = self._recommend(session, crit, MAX_CARDS)
        return self._recommend_reply(
            session, recs, templates.phrase_recommendations(recs, lang, crit), category, lang
        )

    def _last_shown(self, session: Session, conversation_id: int) -> list[int]:
        """Products of the bot's latest card message in this conversation."""
        bodies = session.scalars(
            select(ChatMessage.body)
            .where(
                ChatMessage.conversation_id == conversation_id,
                ChatMessage.direction == Direction.OUT,
                ChatMessage.kind.in_(("product_card", "carousel")),
            )
            .order_by(ChatMessage.id.desc())
            .limit(1)
        ).all()
        if not bodies:
            return []
        body = bodies[0]
        cards = [body["card"]] if "card" in body else body.get("cards", [])
        return [int(c["product_id"]) for c in cards if str(c.get("product_id", "")).isdigit()]

    # ------------------------------------------------------------------ text

    def _text(
        self,
        session: Session,
        conv: Conversation,
        said: str,
        lang: str,
        now: dt.datetime,
        result: nlu.Classification,
    ) -> list[Outgoing]:
        view = carts.get_cart(session, conv.id, now)
        code = DISCOUNT.search(said)
        if code and not view.empty:
            try:
                applied = carts.apply_discount(session, conv.id, code.group(1), now)
            except UserError as exc:
                return [text(checkout.error_text(exc, lang))]
            done = text(
                w(
                    lang,
                    "discount_ok",
                    code=applied.discount_code,
                    amount=chat_baht(applied.discount_satang),
                )
            )
            if checkout.in_checkout(applied):
                return [done, *checkout.prompt(session, conv.id, dict(applied.checkout))]
            return [done, *self._show_cart(session, conv, lang)]
        intent, entities = result.intent, result.entities
        ctx = context.remember(session, conv.id, result, now)
        if checkout.in_checkout(view) and intent not in ("order_status", "product_inquiry"):
            if not (convs.is_question(said) and intent in ("price_check", "general_question")):
                replies = checkout.take_answer(session, conv.id, said, now, self.media_dir)
                if replies is not None:
                    return replies
        if CHECKOUT_WORDS.search(said):
            if view.empty:
                # "สั่งเลย" right after a product: that product, then the first question.
                named = [int(x["product_id"]) for x in entities.get("product", [])]
                added = self._purchase(session, conv, named, ctx, entities, lang)
                if carts.get_cart(session, conv.id).empty:
                    return added
                return [*added[:1], *checkout.start_checkout(session, conv.id, lang)]
            return checkout.start_checkout(session, conv.id, lang)
        if not view.empty and intent != "order_status":
            try:
                edited = self._edit_cart(session, conv, view, said, entities, lang)
            except UserError as exc:
                return [text(checkout.error_text(exc, lang))]
            if edited is not None:
                return edited
        if CART_WORDS.search(said) and not (entities.get("product") or entities.get("quantity")):
            return self._show_cart(session, conv, lang)
        products = [int(x["product_id"]) for x in entities.get("product", [])]
        if intent == "greeting":
            return self._greeting(session, lang, said)
        if intent == "goodbye":
            return [text(w(lang, "goodbye"))]
        if intent == "order_status":
            return checkout.order_status_replies(session, conv.id, said, lang)
        if intent == "payment_notice":
            return [text(w(lang, "pay_notice"))]
        wants_some = (
            intent == "product_inquiry"
            and entities.get("quantity")
            and not products
            and (ctx.focus or self._last_shown(session, conv.id))
        )
        if intent == "make_purchase" or wants_some:
            return self._purchase(session, conv, products, ctx, entities, lang)
        if products and intent in ("product_inquiry", "price_check", "general_question"):
            return self._describe(session, products, said, lang, self._with_context(entities, ctx))
        if intent == "price_check" and not _SHOP_TOPIC.search(said):
            focus = list(ctx.focus) or self._last_shown(session, conv.id)
            if focus:
                return self._describe(
                    session, focus[:1], said, lang, self._with_context(entities, ctx)
                )
        if intent == "product_inquiry" or (intent == "price_check" and _has_wish(entities)):
            return self._inquiry(session, result, ctx, said, lang, now)
        if intent in ("general_question", "price_check"):
            return self._general(session, said, lang)
        return [text(w(lang, "unknown"), self._quick(lang, "q_products", "q_cart", "q_human"))]

    def _greeting(self, session: Session, lang: str, said: str) -> list[Outgoing]:
        shop = get_profile(session).name
        quick = self._quick(lang, "q_products", "q_cart", "q_order")
        return [
            text(
                w(lang, "greeting", shop=shop or ""),
                quick,
                phrase=self._phrase(session, said, lang, "greeting"),
            )
        ]

    @staticmethod
    def _with_context(entities: dict[str, Any], ctx: context.ConversationContext) -> dict[str, Any]:
        """The message's entities, with the colour and size remembered when it names none."""
        merged = dict(entities)
        for key in ("color", "size"):
            remembered = getattr(ctx, key)
            if key not in merged and remembered:
                merged[key] = remembered
        return merged

    def _inquiry(
        self,
        session: Session,
        result: nlu.Classification,
        ctx: context.ConversationContext,
        said: str,
        lang: str,
        now: dt.datetime,
    ) -> list[Outgoing]:
        """A product question naming no product: the recommendation engine picks (category,
        colour, size, budget, then best sellers)."""
        crit = recommend.Criteria.from_classification(result, ctx)
        recs = self._recommend(session, crit, 3, now)
        return self._recommend_reply(
            session, recs, templates.phrase_recommendations(recs, lang, crit), said, lang
        )

    def _purchase(
        self,
        session: Session,
        conv: Conversation,
        products: list[int],
        ctx: context.ConversationContext,
        entities: dict[str, Any],
        lang: str,
    ) -> list[Outgoing]:
        """Add what the shopper wants: the product named, else the one in focus or last shown,
        in the option named now or earlier (asking for it when the product has several)."""
        target = products[:1] or list(ctx.focus[:1]) or self._last_shown(session, conv.id)[:1]
        entities = self._with_context(entities, ctx)
        if not target:
            view = carts.get_cart(session, conv.id)
            if not view.empty:
                return checkout.start_checkout(session, conv.id, lang)
            return [text(w(lang, "which_product"), self._quick(lang, "q_products"))]
        vs = self._sellables(session, target).get(target[0], [])
        if not vs:
            return [text(w(lang, "nothing"))]
        qty = int(entities.get("quantity") or 1)
        named = self._named_variants(vs, entities)
        if len(vs) == 1:
            chosen = vs[0]
        elif named:
            chosen = named[0]
        else:
            return self._pick(session, target[0], lang)
        try:
            return self._add(session, conv, chosen.variant_id, qty, lang)
        except UserError as exc:
            return [text(checkout.error_text(exc, lang))]

    def _general(self, session: Session, said: str, lang: str) -> list[Outgoing]:
        rules = carts.shipping_rules(session)
        profile = get_profile(session)
        fees = ", ".join(
            f"{m.label(lang)} {chat_baht(m.fee_satang)}" for m in rules.enabled_methods
        )
        lines = [w(lang, "shipping", fees=fees)]
        if rules.free_over_satang is not None:
            lines.append(w(lang, "free_over", amount=chat_baht(rules.free_over_satang)))
        if rules.cod_enabled:
            lines.append(w(lang, "cod", fee=chat_baht(rules.cod_fee_satang)))
        ways = []
        if profile.promptpay_id:
            ways.append("PromptPay")
        ways += [a.bank for a in profile.bank_accounts]
        if ways:
            lines.append(w(lang, "payment", ways=", ".join(ways)))
        return [
            text(
                "\n".join(lines),
                self._quick(lang, "q_products", "q_human"),
                phrase=self._phrase(session, said, lang, "answer"),
            )
        ]


def answer(
    session: Session,
    conversation_id: int,
    message: dict[str, Any],
    now: dt.datetime,
    ai: nlu.AiClassifier | None = None,
    *,
    media_dir: Path | None = None,
    slip: str | None = None,
) -> list[Outgoing]:
    """One-off :meth:`DialogueEngine.answer` (builds the catalog matcher each time; keep a
    :class:`DialogueEngine` to answer many messages)."""
    return DialogueEngine(media_dir).answer(session, conversation_id, message, now, ai, slip=slip)


def record_local_replies(
    session: Session, conversation_id: int, replies: list[Outgoing], at: dt.datetime
) -> None:
    """Keep the bot's replies in a conversation that has no relay behind it (``minichat bot
    chat``): stored as sent messages, not put in the outbox. The engine reads them back (the
    product last shown)."""
    for n, reply in enumerate(replies):
        if reply.body is None:
            continue
        message = p.Message(convs.new_uid(), reply.body, reply.quick_replies).to_obj()
        session.add(
            ChatMessage(
                conversation_id=conversation_id,
                uid=f"{message['id']}{n}"[:64],
                direction=Direction.OUT,
                author=ACTOR,
                kind=reply.body.KIND.value,
                text=convs.preview_text(message),
                body=message,
                state="sent",
                created_at=at,
            )
        )
    session.flush()
