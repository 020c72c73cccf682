"""The rule behind "online": a session is open and the relay was heard from within the bound
(sync/liveness.py), on an injected clock."""

from __future__ import annotations

import pytest

from minichat_desktop.sync.liveness import BOUND, PING_INTERVAL, PING_TIMEOUT, Liveness, Proof


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_no_session_is_no_link_whatever_was_seen() -> None:
    clock = Clock()
    live = Liveness(clock)
    live.saw_frame()  # a frame without a session proves nothing
    assert live.state() is Proof.NO_LINK
    assert live.silent_for() == 0.0


def test_a_welcomed_session_is_fresh_until_the_bound_passes_in_silence() -> None:
    clock = Clock()
    live = Liveness(clock, bound=25.0)
    live.opened()
    clock.now += 25.0
    assert live.state() is Proof.FRESH
    clock.now += 0.5
    assert live.state() is Proof.SILENT
    assert live.silent_for() == 25.5


def test_a_frame_or_pong_renews_the_proof() -> None:
    clock = Clock()
    live = Liveness(clock, bound=25.0)
    live.opened()
    clock.now += 20.0
    live.saw_frame()
    clock.now += 20.0
    assert live.state() is Proof.FRESH
    assert live.state(now=clock.now + 5.1) is Proof.SILENT  # ``now`` may be given


def test_a_closed_session_is_no_link_again() -> None:
    clock = Clock()
    live = Liveness(clock)
    live.opened()
    live.closed()
    clock.now += 1000
    assert live.state() is Proof.NO_LINK


def test_the_bound_outlasts_a_healthy_keepalive_round() -> None:
    """On a healthy link the relay is silent at most a ping interval plus a pong's wait."""
    assert BOUND > PING_INTERVAL + PING_TIMEOUT
    assert BOUND == 25.0


def test_a_bound_must_be_positive() -> None:
    with pytest.raises(ValueError, match="bound must be positive, not 0"):
        Liveness(Clock(), bound=0)
