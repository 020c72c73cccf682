"""LINE's loading animation is asked for at most every 5 s per conversation, and the notes
of when it was asked do not pile up: a shop's LINE conversations go on for years, and each
one the shop ever typed in used to stay in memory for as long as the relay ran."""

from __future__ import annotations

from relay.server import LOADING_EVERY, LOADING_KEPT, ShopLive


def test_at_most_every_5_s_per_conversation() -> None:
    live = ShopLive()
    assert live.loading_due("line:U1", 100.0)
    assert not live.loading_due("line:U1", 100.0 + LOADING_EVERY - 0.01)
    assert live.loading_due("line:U2", 100.5)  # (another conversation: its own clock)
    assert live.loading_due("line:U1", 100.0 + LOADING_EVERY)


def test_old_notes_go_recent_ones_stay() -> None:
    live = ShopLive()
    now = 0.0
    for i in range(10 * LOADING_KEPT):  # ten thousand conversations, one every 10 ms
        now = i * 0.01
        assert live.loading_due(f"line:U{i}", now)
        assert len(live.loading_sent) <= LOADING_KEPT
    # the last 5 s are all still known: none of them may be asked again yet
    recent = [i for i in range(10 * LOADING_KEPT) if now - i * 0.01 < LOADING_EVERY - 0.5]
    assert len(recent) > 400
    assert not any(live.loading_due(f"line:U{i}", now + 0.1) for i in recent)


def test_a_shop_typing_in_many_conversations_at_once_is_not_pruned_at_every_call() -> None:
    """More conversations within 5 s than LOADING_KEPT: they are all kept, and the notes are
    not rebuilt at every call (only once they have doubled)."""
    live = ShopLive()
    for i in range(3 * LOADING_KEPT):  # all within one second
        assert live.loading_due(f"line:U{i}", i / (3 * LOADING_KEPT))
    assert len(live.loading_sent) == 3 * LOADING_KEPT
    assert live.loading_prune_at > 3 * LOADING_KEPT  # (the next prune waits for more)
