"""Reading an HTTP body whole, and never more than a limit: the pictures uploaded to the relay
and the ones it downloads from LINE's content API.

``StreamReader.read(n)`` returns what has *arrived so far*, not ``n`` bytes: a picture sent in
several TCP segments was cut off after the first ones. :func:`read_limited` reads until the
end of the body, refuses a declared ``Content-Length`` over the limit before reading anything,
stops as soon as the running total passes the limit (nothing unbounded is ever buffered) and
refuses a body that ended before its declared length (the sender went away mid-way).
"""

from __future__ import annotations

from aiohttp import StreamReader

PIECE = 64 * 1024


class BodyTooLarge(Exception):
    """The body is (or says it is) larger than the limit."""

    def __init__(self, limit: int, seen: int) -> None:
        super().__init__(f"body larger than {limit} bytes (at least {seen})")
        self.limit = limit
        self.seen = seen


class BodyIncomplete(Exception):
    """The body ended before the length its sender declared."""

    def __init__(self, declared: int, got: int) -> None:
        super().__init__(f"body ended after {got} of {declared} bytes")
        self.declared = declared
        self.got = got


async def read_limited(stream: StreamReader, limit: int, declared: int | None = None) -> bytes:
    """The whole body of ``stream``, at most ``limit`` bytes. ``declared`` is the sender's
    ``Content-Length`` of exactly these bytes (None when chunked or content-encoded): above the
    limit it is refused before reading; a body shorter than it is refused after.

    Raises :class:`BodyTooLarge`, :class:`BodyIncomplete`, or what the stream raises when the
    connection breaks (``aiohttp.ClientPayloadError``, ``ConnectionError``...)."""
    if declared is not None and declared > limit:
        raise BodyTooLarge(limit, declared)
    body = bytearray()
    # never more than one byte past the limit is taken from the stream
    while chunk := await stream.read(min(PIECE, limit + 1 - len(body))):
        body += chunk
        if len(body) > limit:
            raise BodyTooLarge(limit, len(body))
    if declared is not None and len(body) != declared:
        raise BodyIncomplete(declared, len(body))
    return bytes(body)
