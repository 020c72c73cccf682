"""Waiting for something to become true in an async test, with a deadline."""

from __future__ import annotations

import asyncio
from collections.abc import Callable


async def until(pred: Callable[[], bool], timeout: float = 10.0) -> None:
    """Return as soon as ``pred()`` is true; fail the test after ``timeout`` seconds.

    The deadline is generous because a busy CI machine is slow; a passing test does not
    wait for it."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not pred():
        if loop.time() > end:
            raise AssertionError(f"condition not met within {timeout} s")
        await asyncio.sleep(0.02)
