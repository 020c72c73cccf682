"""What a shopper's message means: its intent and the entities in it.

Offline and deterministic: rules and a lexicon (lexicon.py) over the cleaned text
(normalize.clean), plus the shop's catalog (catalog_match.CatalogMatcher) for product names.
When the rules are unsure (``confidence < UNSURE``) and the caller passes an ``ai`` function,
the AI's answer is taken if it names a known intent; the entities always come from the rules.

Intents (:data:`INTENTS`) — the seed's eight, under its names:

- ``product_inquiry`` — asks about products: what there is, colours, sizes, stock, material,
  a recommendation (``มีเสื้อยืดสีแดงไหม``, ``do you have this in M?``).
- ``price_check`` — asks a price, a total or a discount (``ราคาเท่าไหร่``, ``ลดได้ไหม``).
- ``order_status`` — asks where an order is (``ของถึงไหนแล้ว``, ``MC-2026-000123 ส่งยัง``).
- ``make_purchase`` — wants to buy or confirms (``CF``, ``เอา 2 ตัว``, ``สั่งเลย``, ``add to cart``).
- ``complaint`` — something went wrong (``ได้ของผิดไซส์``, ``ของแตก``, ``ขอคืนเงิน``, 😡).
- ``general_question`` — about the shop, not a product: shipping fees and times, carriers,
  COD, opening hours, address, payment methods, returns policy, tax invoices, care.
- ``greeting`` — hello (``สวัสดีค่ะ``, ``ดีจ้า``, ``hi``).
- ``goodbye`` — ends or thanks (``ขอบคุณค่ะ``, ``บายค่ะ``, ``ไว้ก่อนนะคะ``, ``thanks``).

and three more a Thai shop needs the bot to tell apart:

- ``ask_human`` — wants a person (``ขอคุยกับแอดมิน``, ``เป็นบอทหรือคน``): hand over.
- ``payment_notice`` — says they paid or sends a slip (``โอนแล้วค่ะ``, ``แนบสลิป``).
- ``provide_info`` — gives details asked for at checkout and nothing else (a name, an
  address, a phone number, an e-mail).

``unknown`` (confidence 0) is returned only for a message with no letters at all (empty,
punctuation, an emoji that signals nothing).

``confidence`` is 0..1: how sure the rules are — high when one intent has strong evidence and
the others little. Below :data:`UNSURE` (0.5) the caller should ask the AI or ask the shopper.

Entities (``Classification.entities``; a key is present only when found):

- ``product``: list of ``{"product_id": int, "sku": str, "name": str, "score": float}``, best
  first (at most five), products named in the message, matched against the catalog with
  spelling variants and typos (needs a ``catalog``).
- ``category``: list of the shop's category names mentioned (``["เสื้อยืด"]``; needs a
  ``catalog``).
- ``quantity``: int, how many (``2 ตัว``, ``สองตัว``, ``๓ ชิ้น``, ``x2``, ``เอา 2``, ``two``).
- ``color``: str, the canonical Thai colour as shops write variant options (``"แดง"`` for
  ``red``, ``สีแดง``, ``แดงๆ``); ``colors`` when more than one is named (list, in order).
- ``size``: str, upper case (``"M"``, ``"XL"``, ``"2XL"``, ``"FREE"``, a number for shoes,
  waists and rings: ``"40"``); ``sizes`` when more than one.
- ``price_min`` / ``price_max``: int **satang** (฿1 = 100 satang): ``งบ 500`` → price_max 50000;
  ``300-500 บาท`` → 30000 and 50000; ``1,000 ขึ้นไป`` → price_min 100000; ``ประมาณ 300`` →
  price_min 24000 and price_max 36000 (±20%).
- ``phone``: str, digits only, national form (``0812345678``; a 9-digit landline ``021234567``).
- ``email``: str, lower case.
- ``order_number``: str, upper case and zero-padded (``mc-2026-123`` → ``MC-2026-000123``).

The rules never produce a price, stock level or order fact: the entities are what the shopper
wrote; facts come from the database in the modules that answer (recommend.py and the dialogue).
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable, Mapping
from typing import Any, Final

from minichat_desktop import lexicon
from minichat_desktop.domain.bot.catalog_match import CatalogMatcher
from minichat_desktop.domain.bot.normalize import (
    EMOJI_RE,
    THAI_NUMBER_WORD_RE,
    clean,
    emoji_signals,
    parse_thai_number,
    strip_emoji,
)
from minichat_desktop.domain.thai import ThaiFormatError, normalize_phone

SEED_INTENTS: Final = (
    "product_inquiry",
    "price_check",
    "order_status",
    "make_purchase",
    "complaint",
    "general_question",
    "greeting",
    "goodbye",
)
EXTRA_INTENTS: Final = ("ask_human", "payment_notice", "provide_info")
INTENTS: Final = SEED_INTENTS + EXTRA_INTENTS
UNKNOWN: Final = "unknown"
UNSURE: Final = 0.5

AiClassifier = Callable[[str, "Classification"], "Mapping[str, Any] | None"]
"""``ai(text, rule_result)`` → ``{"intent": str, "confidence": float}`` or None (no answer)."""


@dataclasses.dataclass(frozen=True, slots=True)
class Classification:
    intent: str
    confidence: float
    entities: dict[str, Any] = dataclasses.field(default_factory=dict)
    source: str = "rules"  # "rules" or "ai"

    def to_obj(self) -> dict[str, Any]:
        """``{"intent", "confidence", "entities"}`` — the CLI contract's shape."""
        return {
            "intent": self.intent,
            "confidence": round(self.confidence, 3),
            "entities": self.entities,
        }

    def to_json(self) -> str:
        """One line of JSON, Thai as UTF-8 text (not ``\\u`` escapes)."""
        return json.dumps(self.to_obj(), ensure_ascii=False, separators=(", ", ": "))


# ---------------------------------------------------------------------------- compiled rules

_INTENT_RULES: Final = {
    intent: tuple((re.compile("|".join(alternatives)), w) for alternatives, w in rules)
    for intent, rules in lexicon.INTENT_PATTERNS.items()
}
_PARTICLES_RE: Final = re.compile(
    "|".join(sorted((re.escape(p) for p in lexicon.PARTICLES), key=len, reverse=True))
)
_PUNCT: Final = re.compile(r"[\s.,!?~^*_\-:;\"'()\[\]/\\|…。、！？]+")

_TH_UNITS: Final = "|".join(sorted(lexicon.QUANTITY_UNITS_TH, key=len, reverse=True))
_EN_UNITS: Final = "|".join(sorted(lexicon.QUANTITY_UNITS_EN, key=len, reverse=True))
_QTY_DIGITS: Final = re.compile(rf"(?<![\d.,])(\d{{1,3}})\s*(?:{_TH_UNITS})(?![ก-ฮ]*บาท)")
_QTY_EN: Final = re.compile(rf"\b(\d{{1,3}})\s*(?:{_EN_UNITS})\b")
_QTY_WORDS_TH: Final = re.compile(rf"({THAI_NUMBER_WORD_RE.pattern})\s*(?:{_TH_UNITS})")
_QTY_TIMES: Final = re.compile(r"(?:(?<![a-z0-9])[x×*]\s?(\d{1,3})(?![\d]|\s*(?:xl|l\b|cm|ซม)))")
_QTY_VERB: Final = re.compile(
    r"(?:เอา|รับ|สั่ง|จอง|จำนวน|qty|quantity|ซื้อ|take|buy|order|เพิ่ม|add)\s*"
    r"(\d{1,2})(?![\d,.]|\s*(?:บาท|บ\.|฿|baht|bath|k\b|พัน|ร้อย|cm|ซม|นิ้ว|xl|l\b|m\b|s\b))"
)
_QTY_EN_WORDS: Final = re.compile(
    r"\b("
    + "|".join(
        sorted(
            (re.escape(k) for k in lexicon.ENGLISH_NUMBERS if k not in ("a", "an")),
            key=len,
            reverse=True,
        )
    )
    + rf")\s+(?:{_EN_UNITS}|of (?:them|these|those|it)|more)\b"
)

_EMAIL: Final = re.compile(r"[a-z0-9._%+\-]+@[a-z0-9.\-]+\.[a-z]{2,}")
_PHONE: Final = re.compile(r"(?<![\d])(?:\+?66|0)[\d\s\-.()]{7,15}\d(?![\d])")
_ORDER_NO: Final = re.compile(
    r"(?<![a-z0-9])([a-z]{1,6})\s?[-_/ ]?\s?(20\d\d)\s?[-_/ ]?\s?(\d{1,6})(?![\d])"
)

_NUM: Final = r"(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)\s*(k|พัน|ร้อย)?"
_CUR: Final = r"\s*(?:บาท|บ\.|฿|baht|bath|thb|-)?"
_RANGE: Final = re.compile(
    rf"(?:ระหว่าง|ช่วง|between|ราคา|งบ|budget|from)?\s*฿?{_NUM}{_CUR}\s*(?:-|–|~|ถึง|to|จนถึง|and)\s*฿?{_NUM}"
)
_MAX: Final = re.compile(
    r"(?:ไม่เกิน|ไม่ถึง|ต่ำกว่า|น้อยกว่า|ถูกกว่า|งบ(?:ประมาณ)?|มีงบ|budget(?: is| of)?|under|below"
    rf"|less than|cheaper than|up to|max(?:imum)?|within|<)\s*฿?{_NUM}"
)
_MIN: Final = re.compile(
    rf"(?:เกิน|มากกว่า|สูงกว่า|แพงกว่า|ตั้งแต่|over|above|more than|at least|min(?:imum)?|>)\s*฿?{_NUM}"
)
_MIN_AFTER: Final = re.compile(rf"฿?{_NUM}{_CUR}\s*(?:ขึ้นไป|or more|and up|and above)")
_MAX_AFTER: Final = re.compile(rf"฿?{_NUM}{_CUR}\s*(?:ลงมา|ลงไป|or less|and below|and under)")
_ABOUT: Final = re.compile(
    rf"(?:ประมาณ|ราวๆ|ราว|สัก|around|about|approx(?:imately)?|~)\s*฿?{_NUM}\s*(?:บาท|บ\.|฿|baht|bath)"
)
_WORD_PRICE: Final = re.compile(
    rf"(ไม่เกิน|ต่ำกว่า|งบ|เกิน|ตั้งแต่|ประมาณ)\s*({THAI_NUMBER_WORD_RE.pattern})\s*(?:บาท)?"
)

_LETTER_SIZE: Final = re.compile(
    r"(?<![a-z0-9'’])(xxxl|xxl|3xl|2xl|4xl|5xl|xl|xs|s|m|l)(?![a-z0-9'’])"
)
_NUM_SIZE: Final = re.compile(
    r"(?:ไซส์|ไซซ์|ไซด์|ไซท์|ไซ|size|sz|เบอร์|เบอ|เอว|waist|ขนาด)\s*[:.]?\s*(\d{2})(?!\d)"
)
_FREE_SIZE: Final = re.compile("|".join(re.escape(f) for f in lexicon.FREE_SIZE))
_LATIN_WORD: Final = re.compile(r"[a-z]{2,}")
_LETTER: Final = re.compile(r"[a-z\u0e01-\u0e2e]")
_ASKS_PRICE: Final = re.compile(r"เท่าไ|เท่ารัย|เท่าหร|กี่บาท|กี่ตัง|how much|\bprice\?|ราคา\s*\?|ราคาเท่า")
_PAST_ORDER: Final = re.compile(r"สั่งไป(แล้ว|เมื่อ|ตั้งแต่|อาทิตย์|วัน|นาน)|ที่สั่ง(ไป|ไว้)|สั่งตั้งแต่|สั่งเมื่อ")
_LATER: Final = re.compile(r"(เดี๋ยว|ไว้)(ค่อย)?(มา)?สั่ง")
_QUESTION_WORDS: Final = re.compile(r"\?|ยัง|เมื่อไหร่|เมื่อไร|ไหม|มั้ย|วันไหน|when")


def _colour_pattern() -> tuple[re.Pattern[str], dict[str, str]]:
    """One pattern for every colour spelling (longest first, so "แดงอิฐ" wins over "แดง"),
    and the canonical colour of each spelling."""
    pats: list[tuple[str, int]] = []
    canon_of: dict[str, str] = {}
    for canon, (thai, english) in lexicon.COLOURS.items():
        for t in thai:
            pats.append((re.escape(t), len(t)))
            canon_of[t] = canon
        for e in english:
            pats.append((rf"\b{re.escape(e)}\b", len(e)))
            canon_of[e] = canon
    for t, canon in lexicon.COLOURS_AFTER_SI_ONLY.items():
        pats.append((rf"(?<=สี){re.escape(t)}", len(t) + 2))
        canon_of[t] = canon
    pats.sort(key=lambda p: p[1], reverse=True)
    return re.compile("|".join(rx for rx, _ in pats)), canon_of


_COLOURS, _COLOUR_OF = _colour_pattern()
_FALSE_FRIENDS: Final = re.compile("|".join(re.escape(w) for w in lexicon.COLOUR_FALSE_FRIENDS))


# ---------------------------------------------------------------------------- entities


def _baht(number: str, scale: str | None) -> int | None:
    """Satang of a number as written (``1,200``, ``1.5k``, ``2 พัน``); None when absurd."""
    try:
        value = float(number.replace(",", ""))
    except ValueError:
        return None
    if scale in ("k", "พัน"):
        value *= 1000
    elif scale == "ร้อย":
        value *= 100
    if not 0 < value < 10_000_000:
        return None
    return round(value * 100)


def _extract_contacts(text: str, entities: dict[str, Any]) -> str:
    """Take e-mail, order number and phone out of ``text`` (so their digits are not read as
    quantities, sizes or prices) and return what is left."""
    m = _EMAIL.search(text)
    if m:
        entities["email"] = m.group(0).strip(".")
        text = text[: m.start()] + " " + text[m.end() :]
    for m in _ORDER_NO.finditer(text):
        prefix, year, serial = m.groups()
        if prefix in ("size", "sz", "ไซส์") or len(serial) < 1:
            continue
        entities["order_number"] = f"{prefix.upper()}-{year}-{int(serial):06d}"
        text = text[: m.start()] + " " + text[m.end() :]
        break
    for m in _PHONE.finditer(text):
        try:
            digits = normalize_phone(m.group(0))
        except ThaiFormatError:
            continue
        entities["phone"] = digits
        text = text[: m.start()] + " " + text[m.end() :]
        break
    return text


def _extract_prices(text: str, entities: dict[str, Any]) -> str:
    lo = hi = None
    m = _RANGE.search(text)
    if m and (re.search(r"บาท|฿|baht|ราคา|งบ|ระหว่าง|between|budget|price", text)):
        a = _baht(m.group(1), m.group(2) or m.group(4))
        b = _baht(m.group(3), m.group(4))
        if a is not None and b is not None:
            lo, hi = min(a, b), max(a, b)
            text = text[: m.start()] + " " + text[m.end() :]
    if hi is None:
        m = _MAX.search(text) or _MAX_AFTER.search(text)
        if m:
            hi = _baht(m.group(1), m.group(2))
            text = text[: m.start()] + " " + text[m.end() :]
    if lo is None:
        m = _MIN.search(text) or _MIN_AFTER.search(text)
        if m:
            lo = _baht(m.group(1), m.group(2))
            text = text[: m.start()] + " " + text[m.end() :]
    if lo is None and hi is None:
        m = _ABOUT.search(text)
        if m:
            mid = _baht(m.group(1), m.group(2))
            if mid is not None:
                lo, hi = mid * 8 // 10, mid * 12 // 10
                text = text[: m.start()] + " " + text[m.end() :]
    if lo is None and hi is None:
        m = _WORD_PRICE.search(text)
        if m:
            value = parse_thai_number(m.group(2))
            if value and value < 10_000_000:
                satang = value * 100
                if m.group(1) in ("ไม่เกิน", "ต่ำกว่า", "งบ"):
                    hi = satang
                elif m.group(1) == "ประมาณ":
                    lo, hi = satang * 8 // 10, satang * 12 // 10
                else:
                    lo = satang
                text = text[: m.start()] + " " + text[m.end() :]
    if lo is not None:
        entities["price_min"] = lo
    if hi is not None:
        entities["price_max"] = hi
    return text


def _extract_quantity(text: str, entities: dict[str, Any]) -> None:
    for rx in (_QTY_DIGITS, _QTY_EN, _QTY_TIMES, _QTY_VERB):
        m = rx.search(text)
        if m:
            n = int(m.group(1))
            if 0 < n <= 999:
                entities["quantity"] = n
                return
    m = _QTY_WORDS_TH.search(text)
    if m:
        qty = parse_thai_number(m.group(1))
        if qty and 0 < qty <= 999:
            entities["quantity"] = qty
            return
    m = _QTY_EN_WORDS.search(text)
    if m:
        entities["quantity"] = lexicon.ENGLISH_NUMBERS[m.group(1)]


def _extract_colours(text: str, entities: dict[str, Any]) -> str:
    probe = _FALSE_FRIENDS.sub(" ", text)
    names = list(dict.fromkeys(_COLOUR_OF[m.group(0)] for m in _COLOURS.finditer(probe)))
    if names:
        entities["color"] = names[0]
        if len(names) > 1:
            entities["colors"] = names
    return text


def _extract_sizes(text: str, entities: dict[str, Any]) -> None:
    sizes: list[tuple[int, str]] = []
    for m in _FREE_SIZE.finditer(text):
        sizes.append((m.start(), "FREE"))
    for m in _NUM_SIZE.finditer(text):
        sizes.append((m.start(), m.group(1)))
    latin = _LATIN_WORD.findall(text)
    english_prose = (
        len([w for w in latin if w not in ("xs", "xl", "xxl", "xxxl", "size", "sz", "cf")]) >= 3
    )
    for m in _LETTER_SIZE.finditer(text):
        size = m.group(1)
        if size in ("s", "m", "l"):
            # A lone letter in English prose is rarely a size unless "size" is written near it.
            before = text[max(0, m.start() - 8) : m.start()]
            sized = re.search(r"size|sz|ไซ|เบอร์", before) is not None
            if english_prose and not sized:
                continue
        sizes.append((m.start(), {"xxl": "2XL", "xxxl": "3XL"}.get(size, size.upper())))
    names = list(dict.fromkeys(s for _, s in sorted(sizes)))
    if names:
        entities["size"] = names[0]
        if len(names) > 1:
            entities["sizes"] = names


def extract_entities(text: str, catalog: CatalogMatcher | None = None) -> dict[str, Any]:
    """The entities of one message (see the module docstring for their shapes)."""
    cleaned = clean(text)
    entities: dict[str, Any] = {}
    # Contacts first, so the digits of a phone or an order number never match a product code.
    rest = _extract_contacts(strip_emoji(cleaned), entities)
    if catalog is not None:
        found: dict[str, Any] = {}
        categories = catalog.match_categories(rest)
        products = catalog.match_products(rest, categories=categories)
        if products:
            found["product"] = [p.to_obj() for p in products]
        if categories:
            found["category"] = categories
        entities = {**found, **entities}
    rest = _extract_prices(rest, entities)
    _extract_colours(rest, entities)
    _extract_sizes(rest, entities)
    _extract_quantity(rest, entities)
    return entities


# ---------------------------------------------------------------------------- intents


def _scores(cleaned: str) -> dict[str, float]:
    scores = dict.fromkeys(INTENTS, 0.0)
    for intent, rules in _INTENT_RULES.items():
        for rx, weight in rules:
            if rx.search(cleaned):
                scores[intent] += weight
    for signal in emoji_signals(cleaned):
        scores[signal] += 0.5
    return scores


def _bare(cleaned: str) -> str:
    """The message without emoji, punctuation and politeness particles."""
    text = strip_emoji(cleaned)
    text = _PARTICLES_RE.sub(" ", text)
    return _PUNCT.sub(" ", text).strip()


def _adjust(scores: dict[str, float], cleaned: str, entities: dict[str, Any]) -> None:
    """Evidence from entities and from the message's shape."""
    bare = _bare(cleaned)
    compact = bare.replace(" ", "")
    if _PAST_ORDER.search(cleaned):
        # "สั่งไปอาทิตย์ที่แล้ว", "ที่สั่งไว้": an order made before, not one being made now.
        scores["make_purchase"] *= 0.3
    if scores["goodbye"] >= 3 and _LATER.search(cleaned):
        scores["make_purchase"] *= 0.3  # "เดี๋ยวมาสั่ง": not now
    if compact in lexicon.ONLY_GREETING:
        scores["greeting"] += 4
    if compact in lexicon.ONLY_GOODBYE or bare in lexicon.ONLY_GOODBYE:
        scores["goodbye"] += 4
    if compact in lexicon.ONLY_PURCHASE:
        scores["make_purchase"] += 4
    if "order_number" in entities:
        if scores["complaint"] < 3 and scores["payment_notice"] < 3:
            scores["order_status"] += 3
    has_product = "product" in entities or "category" in entities
    question = bool(re.search(r"\?|ไหม|มั้ย|มั๊ย|มัย|ป่าว|ปะ|ป่ะ|รึเปล่า|หรือเปล่า|หรือยัง|ยัง$|มีไหม", cleaned))
    if has_product:
        if scores["make_purchase"] == 0 and scores["price_check"] == 0:
            scores["product_inquiry"] += 1.5
        scores["general_question"] -= 0.5
    if ("color" in entities or "size" in entities) and scores["make_purchase"] == 0:
        scores["product_inquiry"] += 0.8 if question or has_product else 0.3
    if "quantity" in entities and (has_product or "color" in entities or "size" in entities):
        scores["make_purchase"] += 1.5
    if ("price_min" in entities or "price_max" in entities) and not _ASKS_PRICE.search(cleaned):
        # A budget ("งบ 500 มีอะไรบ้าง", "ราคาไม่เกิน 250") is shopping, not asking a price.
        scores["product_inquiry"] += 2
        scores["price_check"] = max(0.0, scores["price_check"] - 3)
    if "phone" in entities or "email" in entities:
        contact_only = not any(scores[i] >= 2.5 for i in INTENTS if i != "provide_info")
        scores["provide_info"] += 3 if contact_only else 1
    # Greetings and thanks lose to anything substantial in the same message.
    substantial = max(
        scores[i] for i in INTENTS if i not in ("greeting", "goodbye", "provide_info")
    )
    if substantial >= 2:
        scores["greeting"] *= 0.3
        if compact not in lexicon.ONLY_GOODBYE:
            scores["goodbye"] *= 0.4
    if re.search(r"ส่วนลด|ลด.{0,8}(ไหม|มั้ย|มั๊ย|ได้|ป่าว|ปะ)|discount", cleaned):
        scores["make_purchase"] *= 0.5  # "ซื้อ 2 ตัวมีส่วนลดไหม" asks a price
    if scores["complaint"] >= 3:
        scores["order_status"] *= 0.6
        scores["make_purchase"] *= 0.5
    if scores["payment_notice"] >= 3:
        scores["make_purchase"] *= 0.4
        if scores["order_status"] >= 3 and _QUESTION_WORDS.search(cleaned):
            # "โอนไปแล้ว เมื่อไหร่จะส่ง": paid already, asking about the order.
            scores["payment_notice"] *= 0.3
        else:
            scores["order_status"] *= 0.7
    if scores["ask_human"] >= 3:
        scores["greeting"] *= 0.3
    if scores["general_question"] >= 3 and scores["price_check"] >= 3 and not has_product:
        # "ค่าส่งเท่าไหร่": the price of shipping is a shop question.
        if re.search(r"ค่าส่ง|ค่าจัดส่ง|ส่งฟรี|shipping|delivery", cleaned):
            scores["price_check"] -= 2


def _confidence(ranked: list[tuple[str, float]]) -> float:
    (_, top), (_, second) = ranked[0], ranked[1]
    if top <= 0:
        return 0.0
    strength = top / (top + 1.5)  # 3 points of evidence → 0.67, 6 → 0.8
    margin = (top - max(second, 0.0)) / top
    return max(0.0, min(1.0, strength * (0.45 + 0.55 * margin) + 0.15 * margin))


def classify(
    text: str,
    catalog: CatalogMatcher | None = None,
    *,
    ai: AiClassifier | None = None,
) -> Classification:
    """Classify one shopper message (see the module docstring for intents and entities).

    ``catalog`` enables the ``product`` and ``category`` entities. ``ai`` is consulted only
    when the rules are unsure; it may return None (no answer, provider down) and never raises
    into here — an exception from it is the caller's bug and propagates.
    """
    cleaned = clean(text)
    entities = extract_entities(text, catalog)
    if not _LETTER.search(cleaned) and not EMOJI_RE.search(cleaned) and not entities:
        return Classification(UNKNOWN, 0.0, {})
    if not _bare(cleaned) and _LETTER.search(cleaned) and not entities:
        # Only particles and a name for the shop ("แอดมินคะ", "ค่ะ"): calling for attention.
        return Classification("greeting", 0.6, {})
    scores = _scores(cleaned)
    _adjust(scores, cleaned, entities)
    ranked = sorted(scores.items(), key=lambda kv: (-kv[1], INTENTS.index(kv[0])))
    if ranked[0][1] <= 0:
        if not _bare(cleaned):
            return Classification(UNKNOWN, 0.0, entities)
        # Words but no known signal: most often a question about something we do not list.
        result = Classification("general_question", 0.2, entities)
    else:
        result = Classification(ranked[0][0], _confidence(ranked), entities)
    if ai is not None and result.confidence < UNSURE:
        answer = ai(text, result)
        if answer is not None:
            intent = str(answer.get("intent", ""))
            if intent in INTENTS:
                try:
                    conf = float(answer.get("confidence", 0.6))
                except (TypeError, ValueError):
                    conf = 0.6
                return Classification(intent, max(0.0, min(1.0, conf)), entities, "ai")
    return result


def ai_prompt(text: str) -> str:
    """The instruction for an AI provider asked to classify ``text`` (English instructions,
    the message verbatim). The answer is read by :func:`parse_ai_answer`."""
    return (
        "You classify one message a shopper sent to a small Thai online shop. Answer with JSON "
        'only: {"intent": one of '
        + ", ".join(INTENTS)
        + ', "confidence": a number from 0 to 1}. Messages mix Thai and English, use '
        "slang, particles (ครับ ค่ะ จ้า), typos and live-selling shorthand (CF means 'I buy').\n"
        f"Message: {text}"
    )


def parse_ai_answer(raw: str) -> dict[str, Any] | None:
    """``{"intent", "confidence"}`` from an AI's reply (the first JSON object in it), or None
    when it names no known intent."""
    m = re.search(r"\{.*?\}", raw, re.S)
    if not m:
        return None
    try:
        obj = json.loads(m.group(0))
    except json.JSONDecodeError:
        return None
    if not isinstance(obj, dict) or obj.get("intent") not in INTENTS:
        return None
    try:
        conf = float(obj.get("confidence", 0.6))
    except (TypeError, ValueError):
        conf = 0.6
    return {"intent": obj["intent"], "confidence": max(0.0, min(1.0, conf))}
