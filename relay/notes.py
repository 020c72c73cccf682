"""When something was last done, per key, for "at most every N seconds" rules (LINE's loading
animation, Messenger's typing indicator), in memory that does not grow with the keys ever seen.

A relay runs for months and its shops' conversations are counted in years: a dict noting, for
every conversation ever typed in, when it last was would only grow. Only notes younger than
``every`` matter; the older ones go once there are ``kept`` of them, and if most are young
(a shop busy in many conversations at once) the next clean-up waits until they have doubled,
so that a note costs O(1) on average whatever the count.
"""

from __future__ import annotations

from collections.abc import Hashable


class RecentNotes[K: Hashable]:
    """When each key was last noted, the recent ones only."""

    def __init__(self, every: float, kept: int = 1000) -> None:
        self.every = every
        self.kept = kept
        self._at: dict[K, float] = {}
        self._clean_at = kept

    def due(self, key: K, now: float) -> bool:
        """Whether ``every`` seconds have passed since ``key`` was last noted (or it never
        was); if so, it is noted at ``now``."""
        if now - self._at.get(key, -1e18) < self.every:
            return False
        if len(self._at) >= self._clean_at:
            self._at = {k: t for k, t in self._at.items() if now - t < self.every}
            self._clean_at = max(self.kept, 2 * len(self._at))
        self._at[key] = now
        return True

    def __len__(self) -> int:
        return len(self._at)
