"""``orderkit run``: one synchronous scheduler over the jobs of a day.

Each job runs under a lease (``JobLeases``), so runners sharing a PostgreSQL
or MySQL database split the work and never do one job twice at once. SQLite
allows one runner: a second one is refused with a message that says so.

Stopping (SIGINT/SIGTERM, ``request_stop``) is graceful: the current unit of
work finishes (a sync window, an order, an upload), then the runner releases
its leases and returns. A killed runner's leases expire, or are taken over at
once by a runner on the same host that sees the holder's process is gone.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from types import FrameType
from typing import TYPE_CHECKING, Any

import structlog

from orderkit._process import holder_is_dead, process_owner
from orderkit.errors import OrderKitError
from orderkit.run.jobs import Job, JobResult, day_jobs
from orderkit.run.leases import JobLeases

if TYPE_CHECKING:
    from orderkit.kit import OrderKit

log = structlog.get_logger("orderkit.run")

RUNNER_LOCK = "runner:sqlite"
#: ``--once`` runs passes until one finds nothing to do, at most this many.
MAX_PASSES = 8


class RunnerBusy(OrderKitError):
    """Another runner holds the database (SQLite allows one)."""


@dataclass
class JobOutcome:
    job: str
    ran: bool
    result: JobResult | None = None
    error: str | None = None


@dataclass
class RunReport:
    passes: int = 0
    #: job name -> units of work done over the run
    done: dict[str, int] = field(default_factory=dict)
    failed: dict[str, int] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    stopped: bool = False

    def add(self, outcome: JobOutcome) -> None:
        if outcome.result is not None:
            self.done[outcome.job] = self.done.get(outcome.job, 0) + outcome.result.done
            if outcome.result.failed:
                self.failed[outcome.job] = self.failed.get(outcome.job, 0) + outcome.result.failed
                self.errors[outcome.job] = "; ".join(outcome.result.errors[:3])
        if outcome.error:
            self.errors[outcome.job] = outcome.error


class Runner:
    def __init__(
        self,
        kit: OrderKit,
        *,
        owner: str | None = None,
        marks: Any = None,
        on_job: Callable[[Job, JobOutcome], None] | None = None,
        on_start: Callable[[Job], None] | None = None,
        jobs: Iterable[Job] | None = None,
    ) -> None:
        self._kit = kit
        self.owner = owner or process_owner()
        self.jobs = list(jobs) if jobs is not None else day_jobs(kit)
        self.leases = JobLeases(kit.store.db, kit.store.tables)
        self.ttl = timedelta(seconds=kit.config.run.lease)
        #: shops marked by a push (anything with ``take() -> Iterable[shop_id]``)
        self._marks = marks
        self._on_job = on_job
        self._on_start = on_start
        self._stop = threading.Event()
        self._exclusive = kit.store.db.dialect == "sqlite"

    # -- stopping ---------------------------------------------------------------------

    def request_stop(self) -> None:
        self._stop.set()

    def stopping(self) -> bool:
        return self._stop.is_set()

    def wait(self, seconds: float) -> None:
        """Sleep up to ``seconds``; a stop request ends it at once."""
        self._stop.wait(seconds)

    def install_signal_handlers(self) -> None:
        """SIGINT/SIGTERM finish the current unit of work and stop; a second
        SIGINT stops at once."""

        def handle(signum: int, frame: FrameType | None) -> None:
            if self._stop.is_set() and signum == signal.SIGINT:
                raise KeyboardInterrupt
            log.info("run.stopping", signal=signal.Signals(signum).name)
            self._stop.set()

        signal.signal(signal.SIGINT, handle)
        signal.signal(signal.SIGTERM, handle)

    # -- running ------------------------------------------------------------------------

    def run_once(self, *, max_passes: int = MAX_PASSES) -> RunReport:
        """Run every job now (due or not), then again while any finds work,
        until a pass does nothing: everything that can be done now is done."""
        report = RunReport()
        with self._session():
            while report.passes < max_passes and not self.stopping():
                first = report.passes == 0
                report.passes += 1
                busy = 0
                for job in self.jobs:
                    if self.stopping():
                        break
                    if not first and (not job.repeat or job.name in report.errors):
                        continue  # refreshes run once; a failed job waits for its next turn
                    outcome = self._run_job(job, due_only=False)
                    report.add(outcome)
                    if outcome.result is not None:
                        busy += outcome.result.done
                if busy == 0:
                    break
        report.stopped = self.stopping()
        return report

    def run_forever(
        self,
        *,
        idle: Callable[[float], None] | None = None,
        max_ticks: int | None = None,
    ) -> RunReport:
        """Run due jobs until stopped. ``idle(seconds)`` waits between ticks
        (default: an interruptible sleep); tests pass one that moves a fake clock."""
        wait = idle or self.wait
        report = RunReport()
        ticks = 0
        with self._session():
            while not self.stopping() and (max_ticks is None or ticks < max_ticks):
                ticks += 1
                report.passes += 1
                self._take_marks()
                for job in self.jobs:
                    if self.stopping():
                        break
                    report.add(self._run_job(job, due_only=True))
                if not self.stopping():
                    wait(self._seconds_to_next())
        report.stopped = self.stopping()
        return report

    # -- one job ---------------------------------------------------------------------------

    def _run_job(self, job: Job, *, due_only: bool) -> JobOutcome:
        clock = self._kit.clock
        if self._exclusive:
            self.leases.renew(RUNNER_LOCK, self.owner, clock.now(), self.ttl)
        if not self._acquire(job.name, due_only=due_only):
            return JobOutcome(job.name, ran=False)
        error: str | None = None
        result: JobResult | None = None
        if self._on_start is not None:
            self._on_start(job)
        try:
            result = job.work(self.stopping, self._renewer(job.name))
            if result.failed:
                error = f"{result.failed} failed: " + "; ".join(result.errors[:3])
        except OrderKitError as exc:
            error = f"{type(exc).__name__}: {exc}"
        except Exception as exc:  # a job's bug must not stop the other jobs
            error = f"{type(exc).__name__}: {exc}"
            log.exception("run.job_crashed", job=job.name)
        finally:
            self.leases.finish(
                job.name, self.owner, clock.now(), next_due=clock.now() + job.interval, error=error
            )
        outcome = JobOutcome(job.name, ran=True, result=result, error=error)
        if error:
            log.error("run.job_failed", job=job.name, error=error)
        elif result is not None and result.done:  # idle ticks stay out of the log
            log.info("run.job", job=job.name, done=result.done, note=result.note)
        if self._on_job is not None:
            self._on_job(job, outcome)
        return outcome

    def _acquire(self, name: str, *, due_only: bool) -> bool:
        now = self._kit.clock.now()
        if self.leases.acquire(name, self.owner, now, self.ttl, due_only=due_only):
            return True
        holder = self.leases.holder(name, now)
        if holder is not None and holder_is_dead(holder):
            log.warning("run.lease_taken_over", job=name, dead_owner=holder)
            self.leases.release(name, holder)
            return self.leases.acquire(name, self.owner, now, self.ttl, due_only=due_only)
        return False

    def _renewer(self, name: str) -> Callable[[], bool]:
        def renew() -> bool:
            now = self._kit.clock.now()
            ok = self.leases.renew(name, self.owner, now, self.ttl)
            if self._exclusive:
                self.leases.renew(RUNNER_LOCK, self.owner, now, self.ttl)
            return ok

        return renew

    # -- helpers -------------------------------------------------------------------------------

    def _session(self) -> _Session:
        return _Session(self)

    def _take_marks(self) -> None:
        if self._marks is None:
            return
        now = self._kit.clock.now()
        for shop_id in self._marks.take():
            self.leases.make_due(f"sync:{shop_id}", now)

    def _seconds_to_next(self) -> float:
        now = self._kit.clock.now()
        names = {job.name for job in self.jobs}
        due = [s.next_due_at for s in self.leases.states() if s.name in names and s.next_due_at]
        if not due:
            return 1.0
        return max(0.2, min(5.0, (min(due) - now).total_seconds()))


class _Session:
    """Create the job rows; on SQLite hold the one-runner lock for the run."""

    def __init__(self, runner: Runner) -> None:
        self._r = runner

    def __enter__(self) -> None:
        r = self._r
        now = r._kit.clock.now()
        r.leases.ensure([RUNNER_LOCK, *(job.name for job in r.jobs)], now)
        if r._exclusive and not r._acquire(RUNNER_LOCK, due_only=False):
            holder = r.leases.holder(RUNNER_LOCK, now)
            raise RunnerBusy(
                f"another orderkit run ({holder}) is using this SQLite database. SQLite "
                "allows one runner; stop the other one, or use PostgreSQL or MySQL to "
                "run several"
            )

    def __exit__(self, *exc: object) -> None:
        r = self._r
        if r._exclusive:
            now = r._kit.clock.now()
            r.leases.finish(RUNNER_LOCK, r.owner, now, next_due=now, error=None)
