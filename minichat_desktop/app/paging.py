"""A page of a long list, as the screens read them a page at a time."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Page[R]:
    """One answer of a paged list: its rows, where the next page starts, whether there is
    one. A page may hold fewer rows than asked for (rows filtered out after reading) while
    ``more`` is still true."""

    rows: Sequence[R]
    next_offset: int
    more: bool
