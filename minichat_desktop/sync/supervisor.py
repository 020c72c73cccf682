"""Keeps the app's long-lived coroutines running: the relay link, the bot's flow timers, the
housekeeping rounds, the start-up chores. asyncio only; the UI hears of a crash through the
``on_crash`` callback.

A job is a function that makes a fresh coroutine. Each run is its own task (so a job that
asks ``asyncio.current_task()`` gets this run's). What a run does when it ends:

- returns: the job is done and not started again (a chore, or a link that was stopped);
- raises an ``Exception`` (or is cancelled by someone other than the supervisor): the
  traceback goes to the log, ``on_crash`` is told, and the job starts again after a capped,
  jittered exponential backoff — ``base · 2^(n-1)`` seconds after the n-th failure in a row,
  at most ``cap``, times a random factor in [0.5, 1]. A run that lasted ``healthy_after``
  seconds or more before failing counts as the first failure of a new streak;
- :meth:`Supervisor.stop` (or cancelling the task :meth:`Supervisor.start` returned) ends it.

The sleep, the clock and the random factor are injected so tests pass no wall-clock time.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

Job = Callable[[], Coroutine[Any, Any, None]]
Spawn = Callable[[str, Job], "asyncio.Task[None]"]


@dataclass(frozen=True, slots=True)
class Crash:
    """A run of a job that died: which job, with what, how many failures in a row (this one
    included), and in how many seconds it starts again."""

    job: str
    error: BaseException
    failures: int
    restart_in: float


class Supervisor:
    def __init__(
        self,
        on_crash: Callable[[Crash], None] | None = None,
        *,
        base: float = 1.0,
        cap: float = 300.0,
        healthy_after: float = 60.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        if base <= 0 or cap < base:
            raise ValueError(f"backoff needs 0 < base <= cap, not base={base} cap={cap}")
        self.on_crash = on_crash
        self.base = base
        self.cap = cap
        self.healthy_after = healthy_after
        self._sleep = sleep
        self._clock = clock
        self._jitter = jitter
        self.tasks: dict[str, asyncio.Task[None]] = {}
        self.crashes: list[Crash] = []  # every crash since start, oldest first

    def start(self, name: str, job: Job) -> asyncio.Task[None]:
        """Run ``job`` under supervision; the returned task ends when the job is done or
        stopped. Raises ``ValueError`` when a job of that name is still running."""
        running = self.tasks.get(name)
        if running is not None and not running.done():
            raise ValueError(f"job {name!r} is already running")
        task = asyncio.get_running_loop().create_task(
            self._keep(name, job), name=f"supervised {name}"
        )
        self.tasks[name] = task
        return task

    def delay(self, failures: int) -> float:
        """Seconds to wait before the next run after ``failures`` failures in a row."""
        full = min(self.cap, self.base * 2.0 ** min(max(failures, 1) - 1, 32))
        return float(full * (0.5 + 0.5 * self._jitter()))

    async def stop(self) -> None:
        """Cancel every job still running and wait until they have ended."""
        live = [t for t in self.tasks.values() if not t.done()]
        for task in live:
            task.cancel()
        await asyncio.gather(*live, return_exceptions=True)

    async def _keep(self, name: str, job: Job) -> None:
        failures = 0
        me = asyncio.current_task()
        while True:
            started = self._clock()
            run = asyncio.ensure_future(job())
            try:
                await run
                return
            except asyncio.CancelledError as exc:
                if me is None or me.cancelling():
                    raise  # stop(), or our task was cancelled: the job ends
                error: BaseException = exc  # the run alone was cancelled, by someone else
            except Exception as exc:
                error = exc
            if self._clock() - started >= self.healthy_after:
                failures = 0
            failures += 1
            crash = Crash(name, error, failures, self.delay(failures))
            self.crashes.append(crash)
            log.error(
                "%s stopped after an error (%d in a row); starting it again in %.1f s",
                name,
                failures,
                crash.restart_in,
                exc_info=error,
            )
            self._report(crash)
            await self._sleep(crash.restart_in)

    def _report(self, crash: Crash) -> None:
        if self.on_crash is None:
            return
        try:
            self.on_crash(crash)
        except Exception:
            log.exception("telling about the crash of %s failed", crash.job)
