"""The app's own words in Thai and English: actors and the notes it writes on stock."""

from __future__ import annotations

import pytest

from minichat_desktop.domain.glossary import ACTORS, actor_name, stock_note


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
