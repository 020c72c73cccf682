"""relay.bodies.read_limited on aiohttp's own StreamReader, fed the way a connection feeds it:
in pieces, with an end or a broken connection."""

from __future__ import annotations

import asyncio

import pytest
from aiohttp import StreamReader
from aiohttp.base_protocol import BaseProtocol

from relay.bodies import BodyIncomplete, BodyTooLarge, read_limited


def stream(loop: asyncio.AbstractEventLoop) -> StreamReader:
    protocol = BaseProtocol(loop)
    protocol.transport = asyncio.Transport()  # connected: a reader waits for more data
    return StreamReader(protocol, 2**16, loop=loop)


async def test_pieces_arriving_apart_are_read_to_the_end() -> None:
    """The defect: ``read(n)`` returned the first piece only."""
    loop = asyncio.get_running_loop()
    s = stream(loop)
    pieces = [bytes([i]) * 1000 for i in range(10)]

    async def arrive() -> None:
        for piece in pieces:
            s.feed_data(piece)
            await asyncio.sleep(0)  # the reader runs between two pieces
        s.feed_eof()

    feeder = asyncio.ensure_future(arrive())
    body = await read_limited(s, 10_000, 10_000)
    await feeder
    assert body == b"".join(pieces)


async def test_declared_length_over_the_limit_is_refused_before_reading() -> None:
    s = stream(asyncio.get_running_loop())
    s.feed_data(b"x" * 10)
    with pytest.raises(BodyTooLarge) as refused:
        await read_limited(s, 100, 101)
    assert (refused.value.limit, refused.value.seen) == (100, 101)
    assert s.read_nowait() == b"x" * 10  # nothing was read


async def test_reading_stops_as_soon_as_the_total_passes_the_limit() -> None:
    s = stream(asyncio.get_running_loop())
    s.feed_data(b"a" * 60)
    s.feed_data(b"b" * 60)
    s.feed_data(b"c" * 60)
    with pytest.raises(BodyTooLarge) as refused:
        await read_limited(s, 100)
    assert refused.value.seen == 101  # one byte past the limit, and no more, was taken
    assert s.read_nowait() == b"b" * 19 + b"c" * 60


async def test_exactly_the_limit_is_taken() -> None:
    s = stream(asyncio.get_running_loop())
    s.feed_data(b"z" * 100)
    s.feed_eof()
    assert await read_limited(s, 100) == b"z" * 100


async def test_a_body_shorter_than_declared_is_refused() -> None:
    s = stream(asyncio.get_running_loop())
    s.feed_data(b"y" * 40)
    s.feed_eof()
    with pytest.raises(BodyIncomplete) as short:
        await read_limited(s, 100, 50)
    assert (short.value.declared, short.value.got) == (50, 40)


async def test_a_broken_connection_is_raised() -> None:
    s = stream(asyncio.get_running_loop())
    s.feed_data(b"y" * 40)
    s.set_exception(ConnectionResetError("Connection lost"))
    with pytest.raises(ConnectionResetError):
        await read_limited(s, 100)
