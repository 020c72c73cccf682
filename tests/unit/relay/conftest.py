"""Fixtures of the relay's unit tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from support.relay_inproc import InProcessRelay, relay_in_process


@pytest.fixture
async def relay(tmp_path: Path) -> AsyncIterator[InProcessRelay]:
    """The relay in this process, with one shop (support.relay_inproc)."""
    async with relay_in_process(tmp_path) as r:
        yield r
