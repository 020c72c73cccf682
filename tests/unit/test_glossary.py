"""The app's own words in Thai and English: actors, the notes it writes on stock, and the
names of order and payment statuses, payment methods and channels."""

from __future__ import annotations

from enum import StrEnum

import pytest

from minichat_desktop.domain import glossary
from minichat_desktop.domain.customers.rfm import Segment
from minichat_desktop.domain.enums import (
    Channel,
    MovementReason,
    OrderStatus,
    PaymentMethod,
    PaymentStatus,
    PipelineStatus,
)
from minichat_desktop.domain.glossary import ACTORS, actor_name, stock_note
from minichat_desktop.ui.chat_models import Answering


@pytest.mark.parametrize(
    ("actor", "th", "en"),
    [("owner", "เจ้าของร้าน", "Owner"), ("bot", "บอท", "Bot"), ("สมศรี", "สมศรี", "สมศรี")],
)
def test_actors_are_named_in_the_screens_language_and_people_as_typed(
    actor: str, th: str, en: str
) -> None:
    assert (actor_name(actor, "th"), actor_name(actor, "en")) == (th, en)


def test_every_actor_has_thai_and_english() -> None:
    assert all(th and en and th != key for key, (th, en) in ACTORS.items() if key != "system")


def test_the_apps_own_stock_notes_are_translated_and_reasons_kept() -> None:
    assert stock_note("opening stock", "th") == "สต็อกตั้งต้น"
    assert stock_note("import สินค้า.xlsx", "th") == "นำเข้าจาก สินค้า.xlsx"
    assert stock_note("import a.csv", "en") == "Imported from a.csv"
    assert stock_note("แตก 2 ใบ", "en") == "แตก 2 ใบ"


@pytest.mark.parametrize(
    ("words", "codes"),
    [
        (glossary.ORDER_STATUS, OrderStatus),
        (glossary.PAYMENT_STATUS, PaymentStatus),
        (glossary.PAYMENT_METHOD, PaymentMethod),
        (glossary.CHANNEL, Channel),
        (glossary.PIPELINE, PipelineStatus),
        (glossary.STOCK_REASON, MovementReason),
        (glossary.CHAT_STATE, Answering),
    ],
)
def test_every_stored_code_has_one_word_in_each_language(
    words: dict[str, tuple[str, str]], codes: type[StrEnum]
) -> None:
    """A status, method or channel added to the model without its words would show as its
    code ("processing") on a Thai screen: each has a Thai and an English word, no two codes
    share one (an owner could not tell them apart in a filter)."""
    assert set(words) == {c.value for c in codes}
    for lang in ("th", "en"):
        names = [glossary.name_of(words, c.value, lang) for c in codes]
        assert all(n and n != c.value for n, c in zip(names, codes, strict=True) if c != "line")
        assert len(set(names)) == len(names)
    assert glossary.name_of(words, "from a newer version", "th") == "from a newer version"


def test_every_segment_has_its_words_and_no_orders_is_named_too() -> None:
    assert set(glossary.SEGMENT) == {s.value for s in Segment} | {""}
    assert glossary.name_of(glossary.SEGMENT, "", "th") == "ยังไม่มีออเดอร์"
    # the pipeline's first stage and the segment of a first purchase are told apart
    assert glossary.name_of(glossary.PIPELINE, "new", "th") != glossary.name_of(
        glossary.SEGMENT, "new", "th"
    )
