"""The run loop's scheduling: leases, ``--once`` passes, intervals, graceful
stop, failing jobs, SQLite's one-runner rule, pushes marking a shop."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from orderkit.clock import FakeClock, RecordingSleeper
from orderkit.kit import OrderKit
from orderkit.run import Job, JobResult, Runner, RunnerBusy
from orderkit.run.jobs import Renew, Stop

from .conftest import kit_config


@pytest.fixture()
def rkit(db_url: str, table_prefix: str) -> Iterator[OrderKit]:
    clock = FakeClock()
    kit = OrderKit.from_config(
        kit_config(db_url, table_prefix),
        entrypoints=False,
        clock=clock,
        sleeper=RecordingSleeper(clock),
    )
    kit.upgrade_database()
    yield kit
    if kit.engine is not None:
        kit.engine.dispose()


class Counter:
    """A job with ``work`` units to do, ``per_call`` at a time."""

    def __init__(self, work: int, per_call: int = 1) -> None:
        self.left = work
        self.per_call = per_call
        self.calls = 0

    def __call__(self, stop: Stop, renew: Renew) -> JobResult:
        self.calls += 1
        done = min(self.left, self.per_call)
        self.left -= done
        return JobResult(done=done)


def job(name: str, fn: Any, every: int = 60, repeat: bool = True) -> Job:
    return Job(name, timedelta(seconds=every), fn, repeat=repeat)


def test_once_repeats_passes_until_nothing_is_left(rkit: OrderKit) -> None:
    sync, refresh = Counter(3), Counter(5)
    runner = Runner(rkit, jobs=[job("refresh", refresh, repeat=False), job("sync", sync)])
    report = runner.run_once()
    assert sync.left == 0 and sync.calls == 4  # 3 passes with work, one that found none
    assert refresh.calls == 1  # refreshes run once per --once
    assert report.passes == 4 and report.done["sync"] == 3


def test_a_failing_job_is_recorded_and_the_others_still_run(rkit: OrderKit) -> None:
    def broken(stop: Stop, renew: Renew) -> JobResult:
        raise RuntimeError("ERP database unreachable")

    after = Counter(1)
    runner = Runner(rkit, jobs=[job("stock", broken), job("after", after)])
    report = runner.run_once()
    assert after.left == 0
    assert "ERP database unreachable" in report.errors["stock"]
    states = {s.name: s for s in runner.leases.states()}
    assert states["stock"].consecutive_failures == 1
    assert states["stock"].lease_owner is None  # released even though it failed
    assert states["after"].last_ok_at is not None
    runner.run_once()
    assert {s.name: s for s in runner.leases.states()}["stock"].consecutive_failures == 2


def test_run_forever_honours_intervals_with_a_fake_clock(rkit: OrderKit) -> None:
    fast, slow = Counter(100, per_call=0), Counter(100, per_call=0)
    runner = Runner(rkit, jobs=[job("fast", fast, every=30), job("slow", slow, every=300)])
    clock: Any = rkit.clock
    waits: list[float] = []

    def idle(seconds: float) -> None:
        waits.append(seconds)
        clock.advance(30)

    runner.run_forever(idle=idle, max_ticks=10)  # 10 ticks, 30 s apart: 270 s
    assert fast.calls == 10
    assert slow.calls == 1  # due again only at 300 s
    assert all(0.2 <= w <= 5.0 for w in waits)


def test_stop_finishes_the_current_unit_and_releases_leases(rkit: OrderKit) -> None:
    runner_box: list[Runner] = []
    units: list[int] = []

    def long(stop: Stop, renew: Renew) -> JobResult:
        for unit in range(100):
            if stop():
                break
            units.append(unit)
            if unit == 4:
                runner_box[0].request_stop()  # SIGTERM arrives mid-job
        return JobResult(done=len(units))

    never = Counter(1)
    runner = Runner(rkit, jobs=[job("long", long), job("never", never)])
    runner_box.append(runner)
    report = runner.run_once()
    assert units == [0, 1, 2, 3, 4]
    assert report.stopped and never.calls == 0
    assert all(s.lease_owner is None for s in runner.leases.states())


def test_a_leased_job_is_left_to_its_holder(rkit: OrderKit) -> None:
    first, second = Counter(1), Counter(1)
    a = Runner(rkit, jobs=[job("sync:shop-1", first)], owner="elsewhere:1:a")
    b = Runner(rkit, jobs=[job("sync:shop-1", second)], owner="elsewhere:2:b")
    a.leases.ensure(["sync:shop-1"], rkit.clock.now())
    assert a.leases.acquire("sync:shop-1", a.owner, rkit.clock.now(), a.ttl, due_only=False)
    if rkit.store.db.dialect == "sqlite":
        pytest.skip("SQLite runs one runner (test_sqlite_refuses_a_second_runner_clearly)")
    b.run_once()
    assert second.calls == 0  # held by a
    clock: Any = rkit.clock
    clock.advance(a.ttl.total_seconds() + 1)  # a's lease ran out (a crashed elsewhere)
    b.run_once()
    assert second.left == 0 and first.calls == 0


def test_a_dead_local_holder_is_taken_over_at_once(rkit: OrderKit) -> None:
    import socket

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    owner = f"{socket.gethostname()}:{dead.stdout.strip()}:gone"
    work = Counter(1)
    runner = Runner(rkit, jobs=[job("process", work)])
    runner.leases.ensure(["process", "runner:sqlite"], rkit.clock.now())
    for name in ("process", "runner:sqlite"):
        assert runner.leases.acquire(name, owner, rkit.clock.now(), runner.ttl, due_only=False)
    runner.run_once()  # no waiting for the killed runner's leases to expire
    assert work.left == 0


def test_a_push_makes_the_shop_due_now(rkit: OrderKit) -> None:
    class Marks:
        def __init__(self) -> None:
            self.marked: set[str] = set()

        def take(self) -> frozenset[str]:
            taken, self.marked = frozenset(self.marked), set()
            return taken

    marks = Marks()
    sync = Counter(100, per_call=0)
    runner = Runner(rkit, jobs=[job("sync:dy-1", sync, every=300)], marks=marks)
    clock: Any = rkit.clock
    runner.run_forever(idle=lambda s: clock.advance(10), max_ticks=3)
    assert sync.calls == 1
    marks.marked.add("dy-1")
    runner.run_forever(idle=lambda s: clock.advance(10), max_ticks=1)
    assert sync.calls == 2  # synced at once, not 5 minutes later


def test_sqlite_refuses_a_second_runner_clearly(tmp_path: Any) -> None:
    clock = FakeClock()
    kit = OrderKit.from_config(
        kit_config(f"sqlite:///{tmp_path / 'ok.db'}", "ok_"), entrypoints=False, clock=clock
    )
    kit.upgrade_database()
    holder = Runner(kit, jobs=[], owner="other-host:1:x")
    holder.leases.ensure(["runner:sqlite"], clock.now())
    holder.leases.acquire("runner:sqlite", holder.owner, clock.now(), holder.ttl, due_only=False)
    with pytest.raises(RunnerBusy, match="SQLite allows one runner"):
        Runner(kit, jobs=[job("sync", Counter(1))]).run_once()


def test_a_shop_lease_is_exclusive_until_its_holder_dies(rkit: OrderKit) -> None:
    import socket

    cursors = rkit.sync_engine.cursors
    ttl = timedelta(minutes=10)
    assert cursors.acquire("tb-1", "taobao", "other-host:1:a", ttl)
    assert not cursors.acquire("tb-1", "taobao", "other-host:2:b", ttl)  # a live worker elsewhere
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    gone = f"{socket.gethostname()}:{dead.stdout.strip()}:x"
    assert cursors.acquire("tb-2", "taobao", gone, ttl)
    assert cursors.acquire("tb-2", "taobao", "this-host:3:c", ttl)  # killed here: taken over


def test_a_push_in_another_process_makes_the_shop_due(rkit: OrderKit) -> None:
    from orderkit.errors import OrderKitError

    with pytest.raises(OrderKitError, match="no shop 'nope'"):
        rkit.request_sync("nope")
    sync = Counter(100, per_call=0)
    shop = {"id": "own-2", "channel": "own", "name": "Own"}
    kit = OrderKit.from_config(
        {**rkit.config.model_dump(mode="json"), "shops": [shop]},
        engine=rkit.engine,
        entrypoints=False,
        clock=rkit.clock,
    )
    runner = Runner(kit, jobs=[job("sync:own-2", sync, every=300)])
    clock: Any = rkit.clock
    runner.run_forever(idle=lambda s: clock.advance(10), max_ticks=2)
    assert sync.calls == 1
    kit.request_sync("own-2")  # e.g. from the web process that took the push
    runner.run_forever(idle=lambda s: clock.advance(10), max_ticks=1)
    assert sync.calls == 2


def test_the_cli_refuses_a_database_without_tables(tmp_path: Any) -> None:
    from typer.testing import CliRunner

    from orderkit.cli.app import app

    config = tmp_path / "orderkit.yaml"
    config.write_text(f"version: 1\ndatabase: {{url: 'sqlite:///{tmp_path / 'x.db'}'}}\n")
    result = CliRunner().invoke(app, ["run", "--once", "-c", str(config)])
    assert result.exit_code == 2
    assert "orderkit db upgrade" in result.output
