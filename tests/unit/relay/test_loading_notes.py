"""LINE's loading animation and Messenger's typing indicator are asked for at most every 5 s
per conversation (relay/notes.py, RecentNotes), and the notes of when do not pile up: a
shop's conversations go on for years, and each one the shop ever typed in used to stay in
memory for as long as the relay ran."""

from __future__ import annotations

from relay.notes import RecentNotes
from relay.server import LOADING_EVERY, ShopLive


def test_at_most_every_5_s_per_conversation() -> None:
    notes = ShopLive().loading
    assert notes.due("line:U1", 100.0)
    assert not notes.due("line:U1", 100.0 + LOADING_EVERY - 0.01)
    assert notes.due("line:U2", 100.5)  # (another conversation: its own clock)
    assert notes.due("line:U1", 100.0 + LOADING_EVERY)


def test_old_notes_go_recent_ones_stay() -> None:
    notes: RecentNotes[str] = RecentNotes(5.0, kept=1000)
    now = 0.0
    for i in range(10_000):  # ten thousand conversations, one every 10 ms
        now = i * 0.01
        assert notes.due(f"line:U{i}", now)
        assert len(notes) <= 1000
    # the last 5 s are all still known: none of them may be asked again yet
    recent = [i for i in range(10_000) if now - i * 0.01 < 4.5]
    assert len(recent) > 400
    assert not any(notes.due(f"line:U{i}", now + 0.1) for i in recent)


def test_many_conversations_at_once_are_all_kept_and_not_cleaned_at_every_call() -> None:
    """More conversations within 5 s than ``kept``: all are kept (each still within its
    5 s), and the clean-up waits until the notes have doubled, not at every call."""
    notes: RecentNotes[tuple[str, str]] = RecentNotes(5.0, kept=1000)
    for i in range(3000):  # all within one second
        assert notes.due(("shop", f"messenger:{i}"), i / 3000)
    assert len(notes) == 3000
    assert notes._clean_at > 3000  # (the next clean-up waits for more)
    assert not notes.due(("shop", "messenger:0"), 1.0)
