"""The relay's garbage-collector tuning (relay/cli.py): what start-up made is frozen and young
objects are collected far less often, so no full collection stalls a busy loop every 2 s."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from relay.cli import GC_YOUNG, calm_garbage_collector


@pytest.fixture
def restore_gc() -> Iterator[None]:
    before = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*before)


@pytest.mark.usefixtures("restore_gc")
def test_serving_freezes_start_up_and_collects_young_objects_rarely() -> None:
    gc.unfreeze()
    calm_garbage_collector()
    assert gc.get_freeze_count() > 1000  # the modules and objects start-up made
    assert gc.get_threshold()[0] == GC_YOUNG > 10 * 700  # Python's default is 700
    made = [[] for _ in range(GC_YOUNG // 2)]  # half the threshold: no collection yet
    assert gc.get_count()[0] >= len(made)
