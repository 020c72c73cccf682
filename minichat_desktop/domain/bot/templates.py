"""Template wording of recommendations, in Thai (the default) and English.

:func:`phrase_recommendations` is the one place a recommendation becomes words when no AI is
configured — and the fallback when an AI's wording is rejected. Every price and stock word in
it comes from the :class:`~minichat_desktop.domain.bot.recommend.Recommendation` it is given
(read from the database); nothing is invented. The shop speaks politely with ``ค่ะ``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from minichat_desktop.domain.bot.recommend import Criteria, Recommendation
from minichat_desktop.domain.thai import format_baht
from minichat_desktop.lexicon import COLOURS

_THAI = re.compile(r"[\u0e00-\u0e7f]")


def _price_range(low: int, high: int) -> str:
    """``฿290–450``: chat-style baht, the symbol once."""
    return f"{format_baht(low, symbol=True, trim_zero=True)}–{format_baht(high, trim_zero=True)}"


def _price(r: Recommendation) -> str:
    if r.price_max_satang > r.price_satang and r.variant_id is None:
        return _price_range(r.price_satang, r.price_max_satang)
    return format_baht(r.price_satang, symbol=True, trim_zero=True)


def _wanted_th(c: Criteria | None) -> str:
    if c is None:
        return ""
    bits = []
    if c.category:
        bits.append(c.category)
    if c.color:
        bits.append(f"สี{c.color}")
    if c.size:
        bits.append(f"ไซส์ {c.size}")
    if c.price_min is not None and c.price_max is not None:
        bits.append(f"ราคา {_price_range(c.price_min, c.price_max)}")
    elif c.price_max is not None:
        bits.append(f"งบไม่เกิน {format_baht(c.price_max, symbol=True, trim_zero=True)}")
    elif c.price_min is not None:
        bits.append(f"ราคาตั้งแต่ {format_baht(c.price_min, symbol=True, trim_zero=True)}")
    return " ".join(bits)


def _wanted_en(c: Criteria | None) -> str:
    if c is None:
        return ""
    bits = []
    if c.color:
        spellings = COLOURS.get(c.color)
        bits.append(spellings[1][0] if spellings and spellings[1] else c.color)
    if c.size:
        bits.append(f"size {c.size}")
    if c.category and not _THAI.search(c.category):
        bits.append(c.category)  # a Thai category name would not read in an English sentence
    if c.price_min is not None and c.price_max is not None:
        bits.append(f"at {_price_range(c.price_min, c.price_max)}")
    elif c.price_max is not None:
        bits.append(f"up to {format_baht(c.price_max, symbol=True, trim_zero=True)}")
    elif c.price_min is not None:
        bits.append(f"from {format_baht(c.price_min, symbol=True, trim_zero=True)}")
    return " ".join(bits)


def _line_th(i: int, r: Recommendation) -> str:
    line = f"{i}. {r.name_th} — {_price(r)}"
    if r.compare_at_satang:
        line += f" (จากปกติ {format_baht(r.compare_at_satang, symbol=True, trim_zero=True)})"
    if not r.in_stock:
        line += " · สินค้าหมดชั่วคราว"
    elif r.fits_price is False:
        line += " · เกินงบเล็กน้อย"
    if r.rating is not None:
        line += f" · ★ {r.rating}"
    return line


def _line_en(i: int, r: Recommendation) -> str:
    line = f"{i}. {r.name('en')} — {_price(r)}"
    if r.compare_at_satang:
        line += f" (was {format_baht(r.compare_at_satang, symbol=True, trim_zero=True)})"
    if not r.in_stock:
        line += " · out of stock for now"
    elif r.fits_price is False:
        line += " · a little over budget"
    if r.rating is not None:
        line += f" · ★ {r.rating}"
    return line


def phrase_recommendations(
    recs: Sequence[Recommendation], lang: str = "th", criteria: Criteria | None = None
) -> str:
    """The text that goes with the recommendation cards (or alone, where cards do not show).
    ``lang`` is ``th`` or ``en``; ``criteria``, when given, is echoed so the shopper sees what
    the bot understood."""
    en = lang == "en"
    wanted = _wanted_en(criteria) if en else _wanted_th(criteria)
    if not recs:
        if en:
            return (
                f"Sorry, we have nothing matching {wanted} right now. "
                "Could you tell me a bit more, such as the kind of product or your budget?"
                if wanted
                else "Sorry, I could not find a match. What kind of product are you looking for?"
            )
        return (
            f"ขออภัยค่ะ ตอนนี้ยังไม่มีสินค้าที่ตรงกับ {wanted} รบกวนบอกประเภทสินค้าหรืองบประมาณเพิ่มอีกนิดได้ไหมคะ"
            if wanted
            else "ขออภัยค่ะ ยังหาสินค้าที่ตรงไม่เจอ สนใจสินค้าประเภทไหนคะ"
        )
    if en:
        head = (
            f"Here {'is' if len(recs) == 1 else 'are'} our pick{'s' if len(recs) > 1 else ''}"
            + (f" for {wanted}" if wanted else "")
            + ":"
        )
        lines = [_line_en(i, r) for i, r in enumerate(recs, 1)]
        tail = "Tap “Add to cart” on the one you like, or ask me anything about them."
    else:
        if len(recs) == 1:
            head = f"แนะนำตัวนี้ค่ะ{' (' + wanted + ')' if wanted else ''}"
        else:
            head = f"แนะนำ{wanted + ' ' if wanted else 'สินค้า'}ให้ {len(recs)} ตัวเลือกค่ะ"
        lines = [_line_th(i, r) for i, r in enumerate(recs, 1)]
        tail = "ถูกใจตัวไหน กด “ใส่ตะกร้า” ได้เลย หรือสอบถามเพิ่มเติมได้นะคะ"
    return "\n".join([head, *lines, tail])
