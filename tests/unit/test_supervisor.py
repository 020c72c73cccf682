"""The supervisor keeps long-lived jobs running: a job that dies is logged with its traceback,
reported and started again after a capped, jittered backoff (real asyncio; the sleep and the
clock are injected, so no wall-clock time passes)."""

from __future__ import annotations

import asyncio
import logging

import pytest

from minichat_desktop.sync.supervisor import Crash, Supervisor


class Time:
    """A fake clock whose sleep moves it on at once (and lets other tasks run)."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


class Flaky:
    """A job that fails ``fails`` times, then runs until told to finish."""

    def __init__(self, fails: int, time: Time, runs_for: float = 0.0) -> None:
        self.fails = fails
        self.time = time
        self.runs_for = runs_for
        self.started = 0
        self.running = asyncio.Event()
        self.finish = asyncio.Event()

    async def __call__(self) -> None:
        self.started += 1
        self.time.now += self.runs_for
        if self.started <= self.fails:
            raise RuntimeError(f"failure {self.started}")
        self.running.set()
        await self.finish.wait()


async def test_a_job_that_fails_three_times_runs_on_the_fourth(
    caplog: pytest.LogCaptureFixture,
) -> None:
    time = Time()
    told: list[Crash] = []
    sup = Supervisor(told.append, base=1.0, cap=300.0, sleep=time.sleep, clock=time.clock)
    job = Flaky(3, time)
    with caplog.at_level(logging.ERROR, "minichat_desktop.sync.supervisor"):
        task = sup.start("housekeeping", job)
        await asyncio.wait_for(job.running.wait(), 5)
    assert job.started == 4
    assert [(c.job, str(c.error), c.failures) for c in told] == [
        ("housekeeping", "failure 1", 1),
        ("housekeeping", "failure 2", 2),
        ("housekeeping", "failure 3", 3),
    ]
    # Backoff doubles from ``base``, each time times a random factor in [0.5, 1].
    for slept, full in zip(time.slept, (1.0, 2.0, 4.0), strict=True):
        assert full * 0.5 <= slept <= full
    assert [c.restart_in for c in told] == time.slept
    # Each failure is in the log with its traceback.
    records = [r for r in caplog.records if r.name == "minichat_desktop.sync.supervisor"]
    assert len(records) == 3
    assert records[0].getMessage().startswith("housekeeping stopped after an error (1 in a row)")
    assert records[0].exc_info is not None and str(records[0].exc_info[1]) == "failure 1"
    job.finish.set()
    await asyncio.wait_for(task, 5)
    assert task.result() is None  # done: a job that returns is not started again
    assert job.started == 4


async def test_backoff_is_capped_and_jittered() -> None:
    sup = Supervisor(base=1.0, cap=30.0, jitter=lambda: 1.0)
    assert [sup.delay(n) for n in (1, 2, 3, 5, 6, 40)] == [1.0, 2.0, 4.0, 16.0, 30.0, 30.0]
    low = Supervisor(base=1.0, cap=30.0, jitter=lambda: 0.0)
    assert [low.delay(n) for n in (1, 6)] == [0.5, 15.0]


async def test_a_run_that_lasted_a_while_starts_a_new_streak() -> None:
    """A job that fails after a healthy minute waits ``base`` again, not an ever-longer time."""
    time = Time()
    told: list[Crash] = []
    sup = Supervisor(
        told.append,
        base=1.0,
        healthy_after=60.0,
        sleep=time.sleep,
        clock=time.clock,
        jitter=lambda: 1.0,
    )
    job = Flaky(3, time, runs_for=61.0)
    task = sup.start("bot flow timers", job)
    await asyncio.wait_for(job.running.wait(), 5)
    assert [c.failures for c in told] == [1, 1, 1]
    assert time.slept == [1.0, 1.0, 1.0]
    await sup.stop()
    assert task.cancelled()


async def test_stop_ends_a_running_job_and_one_waiting_to_restart() -> None:
    time = Time()
    waiting = asyncio.Event()

    async def never_wake(seconds: float) -> None:
        waiting.set()
        await asyncio.Event().wait()

    sup = Supervisor(sleep=never_wake, clock=time.clock)
    running = Flaky(0, time)
    sup.start("relay link", running)
    sup.start("analytics purge", Flaky(1, time))
    await asyncio.wait_for(running.running.wait(), 5)
    await asyncio.wait_for(waiting.wait(), 5)
    await asyncio.wait_for(sup.stop(), 5)
    assert all(t.done() for t in sup.tasks.values())
    assert running.started == 1


async def test_a_run_cancelled_by_someone_else_is_started_again() -> None:
    time = Time()
    told: list[Crash] = []
    sup = Supervisor(told.append, sleep=time.sleep, clock=time.clock)
    runs: list[asyncio.Task[None]] = []
    second = asyncio.Event()

    async def job() -> None:
        me = asyncio.current_task()
        assert me is not None
        runs.append(me)
        if len(runs) == 2:
            second.set()
        await asyncio.Event().wait()

    sup.start("relay link", job)
    while not runs:
        await asyncio.sleep(0)
    runs[0].cancel()  # the run's own task, not the supervisor's
    await asyncio.wait_for(second.wait(), 5)
    assert [(c.job, type(c.error).__name__) for c in told] == [("relay link", "CancelledError")]
    await sup.stop()


async def test_a_failing_crash_callback_does_not_stop_the_supervision(
    caplog: pytest.LogCaptureFixture,
) -> None:
    time = Time()

    def broken(crash: Crash) -> None:
        raise LookupError("no window")

    sup = Supervisor(broken, sleep=time.sleep, clock=time.clock)
    job = Flaky(1, time)
    with caplog.at_level(logging.ERROR):
        sup.start("thai word list", job)
        await asyncio.wait_for(job.running.wait(), 5)
    assert "telling about the crash of thai word list failed" in caplog.text
    await sup.stop()


async def test_one_name_runs_once() -> None:
    time = Time()
    sup = Supervisor(sleep=time.sleep, clock=time.clock)
    sup.start("housekeeping", Flaky(0, time))
    with pytest.raises(ValueError, match="job 'housekeeping' is already running"):
        sup.start("housekeeping", Flaky(0, time))
    await sup.stop()


def test_backoff_needs_a_positive_base_under_the_cap() -> None:
    with pytest.raises(ValueError, match=r"base=5\.0 cap=1\.0"):
        Supervisor(base=5.0, cap=1.0)
