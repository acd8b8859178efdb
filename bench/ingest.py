"""Ingest throughput and memory (issue 3).

    python bench/ingest.py [--orders 100000] [--runs 3] [--postgres-url URL]
                           [--memory-orders 20000 100000] [--json out.json]
                           [--profile N]

Per database (SQLite in a temporary file, always; PostgreSQL when a URL is
given or ``ORDERKIT_TEST_POSTGRES_URL`` is set), each run measures, on an
empty store:

- **floor**: a plain SQLAlchemy ``executemany`` insert of the same orders into
  a table with the columns of ``ok_orders`` (id, key columns, content hash of
  the snapshot, the snapshot JSON), 500 rows per transaction like ingest;
- **3-table floor** (for reference): the same, plus the ``created`` timeline
  row and the ``order.created`` outbox row ingest also writes;
- **fresh**: ``kit.ingest(orders)`` (order rows, timeline and outbox events);
- **re-ingest**: ``kit.ingest(orders)`` again, every order unchanged.

The input is N pre-built canonical ``Order`` objects. Figures are medians of
the runs; floor and ingest alternate within each run so machine noise hits
both. Targets: fresh >= 0.5x the floor; re-ingest >= 3x faster than fresh.

Memory: ``kit.ingest`` fed a generator stream vs a list, for each
``--memory-orders`` size, each in a fresh process (peak RSS growth while
building the input and ingesting it into SQLite). Target: the streamed peak
stays flat as N grows (rises at most 2 MiB).

``--profile N`` runs cProfile over a fresh ingest and a re-ingest of N orders
into SQLite and prints where the time goes.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import statistics
import sys
import tempfile
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import _common as bench
import sqlalchemy as sa

from orderkit.kit import OrderKit
from orderkit.models import Order
from orderkit.store import Tables, build_tables, create_engine
from orderkit.store.db import utcnow_naive
from orderkit.store.ids import content_hash, event_id, order_id
from orderkit.store.ingest import platform_digest

CHUNK = 500  # rows per transaction, as ingest's default chunk
FRESH_VS_FLOOR_TARGET = 0.5
REINGEST_SPEEDUP_TARGET = 3.0
#: "flat": the streamed peak may rise this much from the smallest to the largest N
#: (allowance for allocator and page-granularity noise in RSS)
STREAM_FLAT_ALLOWANCE = 2 * 2**20


def new_kit(url: str, prefix: str) -> OrderKit:
    return OrderKit.from_config(
        {"version": 1, "database": {"url": url, "table_prefix": prefix}}, entrypoints=False
    )


# -- the floor: plain executemany of the same rows ---------------------------------


def plain_rows(order: Order, now: datetime) -> tuple[dict[str, Any], ...]:
    """The order's ``ok_orders`` row built the plain way (no status mapping, no
    comparison; the snapshot is the order's JSON), then a ``created`` timeline
    row and an ``order.created`` outbox row like ingest's."""
    snapshot = order.model_dump_json()
    oid = order_id(order.channel, order.shop_id, order.external_id)
    row = {
        "id": oid,
        "channel": order.channel,
        "shop_id": order.shop_id,
        "external_id": order.external_id,
        "lifecycle": "paid",
        "platform_lifecycle": "paid",
        "refund": "none",
        "presale": "none",
        "on_hold": False,
        "platform_created_at": utcnow_naive(order.created_at),
        "platform_paid_at": utcnow_naive(order.paid_at) if order.paid_at else None,
        "platform_modified_at": utcnow_naive(order.modified_at),
        "content_hash": content_hash(snapshot.encode()),
        "version": 1,
        "snapshot": snapshot,
        "first_seen_at": now,
        "updated_at": now,
        # every ok_orders column ingest fills: the buyer column feeds an index
        # (duplicate checks), so leaving it out made the floor cheaper
        "buyer_id": order.buyer.buyer_id,
    }
    event = {
        "order_id": oid,
        "at": now,
        "actor": "system:ingest",
        "kind": "created",
        "from_state": None,
        "to_state": "paid",
        "reason": "first seen from the platform",
        "detail": json.dumps({"platform_status": order.platform_status}, ensure_ascii=False),
        "dedup_key": f"{oid}:created",
    }
    outbox = {
        "id": event_id("order.created", oid),
        "topic": "order.created",
        "order_id": oid,
        "payload": json.dumps(
            {
                "order_id": oid,
                "channel": order.channel,
                "shop_id": order.shop_id,
                "external_id": order.external_id,
                "lifecycle": "paid",
                "previous_lifecycle": None,
                "refund": "none",
            },
            ensure_ascii=False,
        ),
        "created_at": now,
        "attempts": 0,
    }
    return row, event, outbox


def insert_plain(engine: sa.Engine, tables: Tables, orders: list[Order], events: bool) -> None:
    """executemany, ``CHUNK`` orders per transaction: the order rows only, or
    with ``events`` the order, timeline and outbox rows."""
    targets = (tables.orders, tables.timeline, tables.outbox) if events else (tables.orders,)
    now = utcnow_naive(datetime.now(UTC))
    for start in range(0, len(orders), CHUNK):
        built = [plain_rows(order, now) for order in orders[start : start + CHUNK]]
        with engine.begin() as conn:
            for column, table in enumerate(targets):
                conn.execute(table.insert(), [rows[column] for rows in built])


# -- one database -------------------------------------------------------------------


class Target:
    """A database the runs write into; each measurement gets a fresh prefix."""

    def __init__(self, name: str, url: str | None, workdir: Path) -> None:
        self.name = name
        self._url = url
        self._workdir = workdir
        self._prefixes: list[tuple[str, str]] = []

    def fresh(self) -> tuple[str, str]:
        """(url, prefix) of an empty store location."""
        prefix = f"b{uuid.uuid4().hex[:8]}_"
        url = self._url or bench.sqlite_url(self._workdir, f"{prefix}.db")
        self._prefixes.append((url, prefix))
        return url, prefix

    def clean(self) -> None:
        for url, prefix in self._prefixes:
            if url.startswith("sqlite"):
                path = Path(url.removeprefix("sqlite:///"))
                for extra in ("", "-wal", "-shm"):
                    Path(f"{path}{extra}").unlink(missing_ok=True)
            else:
                engine = sa.create_engine(url)
                try:
                    bench.drop_prefixed(engine, prefix)
                finally:
                    engine.dispose()
        self._prefixes.clear()


def _warm_up(target: Target, orders: list[Order]) -> None:
    """One small untimed pass of each measurement (imports, statement caches)."""
    url, prefix = target.fresh()
    engine = create_engine(url)
    tables = build_tables(prefix)
    tables.metadata.create_all(engine, [tables.orders, tables.timeline, tables.outbox])
    insert_plain(engine, tables, orders, True)
    engine.dispose()
    url, prefix = target.fresh()
    kit = new_kit(url, prefix)
    kit.upgrade_database()
    kit.ingest(orders)
    kit.ingest(orders)
    if kit.engine is not None:
        kit.engine.dispose()
    target.clean()


def measure_database(target: Target, orders: list[Order], runs: int) -> dict[str, Any]:
    floor = bench.Timings("floor")
    floor_all = bench.Timings("floor, 3 tables")
    fresh = bench.Timings("fresh ingest")
    again = bench.Timings("re-ingest")
    n = len(orders)
    _warm_up(target, orders[:CHUNK])
    for run in range(runs):
        for timings, events in ((floor, False), (floor_all, True)):
            url, prefix = target.fresh()
            engine = create_engine(url)
            tables = build_tables(prefix)
            tables.metadata.create_all(engine, [tables.orders, tables.timeline, tables.outbox])
            try:
                timings.add(bench.timed(insert_plain, engine, tables, orders, events)[1])
            finally:
                engine.dispose()

        url, prefix = target.fresh()
        kit = new_kit(url, prefix)
        kit.upgrade_database()
        try:
            result, elapsed = bench.timed(kit.ingest, orders)
            assert result.created == n and not result.rejected, result.total
            fresh.add(elapsed)
            result, elapsed = bench.timed(kit.ingest, orders)
            assert result.unchanged == n, (result.created, result.updated, result.unchanged)
            again.add(elapsed)
        finally:
            if kit.engine is not None:
                kit.engine.dispose()
        target.clean()
        print(
            f"  {target.name} run {run + 1}/{runs}: floor {floor.seconds[-1]:.2f}s, "
            f"3-table floor {floor_all.seconds[-1]:.2f}s, "
            f"fresh {fresh.seconds[-1]:.2f}s, re-ingest {again.seconds[-1]:.2f}s",
            file=sys.stderr,
        )
    return {
        "orders": n,
        "floor": floor.as_dict(n),
        "floor_3_tables": floor_all.as_dict(n),
        "fresh": fresh.as_dict(n),
        "reingest": again.as_dict(n),
        "fresh_vs_floor": round(floor.median / fresh.median, 3),
        "fresh_vs_floor_cpu": round(floor.median_cpu / fresh.median_cpu, 3),
        "fresh_vs_3_table_floor": round(floor_all.median / fresh.median, 3),
        "reingest_speedup": round(fresh.median / again.median, 2),
        # per-run ratios show how much noise there was
        "fresh_vs_floor_runs": [
            round(f / i, 3) for f, i in zip(floor.seconds, fresh.seconds, strict=True)
        ],
    }


# -- memory ---------------------------------------------------------------------------


def _memory_setup(database: str, n: int, as_list: bool) -> OrderKit:
    kit = new_kit(database, "ok_")
    kit.upgrade_database()
    return kit


def ingest_for_memory(kit: OrderKit, database: str, n: int, as_list: bool) -> None:
    orders = bench.order_list(n, seed=7) if as_list else bench.order_stream(n, seed=7)
    # a long stream asks for counts only: the ids of 100k orders are memory too
    result = kit.ingest(orders, keep_ids=as_list)
    assert result.created == n


ingest_for_memory.setup = _memory_setup  # type: ignore[attr-defined]


def measure_memory(sizes: list[int], trace: bool, workdir: Path) -> dict[str, Any]:
    report: dict[str, Any] = {}
    for as_list in (False, True):
        kind = "list" if as_list else "stream"
        for n in sizes:
            database = bench.sqlite_url(workdir, f"memory-{kind}-{n}.db")
            peak = bench.peak_memory(ingest_for_memory, database, n, as_list, trace=trace)
            report[f"{kind}_{n}"] = {"orders": n, "input": kind, **peak}
            print(
                f"  memory {kind} {n}: +{bench.mib(peak['rss_growth_bytes'])} MiB peak RSS",
                file=sys.stderr,
            )
    small, large = min(sizes), max(sizes)
    for kind in ("stream", "list"):
        rise = (
            report[f"{kind}_{large}"]["rss_growth_bytes"]
            - report[f"{kind}_{small}"]["rss_growth_bytes"]
        )
        report[f"{kind}_rise_bytes"] = rise
        report[f"{kind}_bytes_per_extra_order"] = round(rise / max(large - small, 1), 1)
    report["stream_flat"] = report["stream_rise_bytes"] <= STREAM_FLAT_ALLOWANCE
    return report


# -- profile ---------------------------------------------------------------------------

#: The steps of ingest whose cumulative time the profile reports, by function
#: name (orderkit's own functions, plus the database round trips).
_STEPS = [
    ("ingest (total)", "orderkit/store/ingest.py", "ingest"),
    ("validate + digest per item (_prepare)", "orderkit/store/ingest.py", "_prepare"),
    ("  content hash (platform_digest)", "orderkit/store/ingest.py", "platform_digest"),
    ("  deterministic id (order_id)", "orderkit/store/ids.py", "order_id"),
    ("decide (_plan: lookup + rows/events)", "orderkit/store/ingest.py", "_plan"),
    ("  new order (_plan_insert)", "orderkit/store/ingest.py", "_plan_insert"),
    ("    status mapping (map_status hook)", "orderkit/kit.py", "map_status"),
    ("    order row + snapshot (_row)", "orderkit/store/ingest.py", "_row"),
    ("    timeline event (_event)", "orderkit/store/ingest.py", "_event"),
    ("    outbox event (_outbox)", "orderkit/store/ingest.py", "_outbox"),
    ("write (_write: 3 executemany)", "orderkit/store/ingest.py", "_write"),
    ("  check after insert (_verify)", "orderkit/store/ingest.py", "_verify"),
    ("pydantic model_dump_json (all)", "pydantic/main.py", "model_dump_json"),
    ("pydantic model_copy (all)", "pydantic/main.py", "model_copy"),
    ("SQLAlchemy Connection.execute (all)", "sqlalchemy/engine/base.py", "execute"),
    ("SQLAlchemy commit (all)", "sqlalchemy/engine/base.py", "_commit_impl"),
]


def _step_times(stats: pstats.Stats) -> list[tuple[str, float]]:
    entries = stats.stats  # type: ignore[attr-defined]
    times = []
    for label, file_part, func in _STEPS:
        cumulative = sum(
            ct
            for (filename, _line, name), (_cc, _nc, _tt, ct, _callers) in entries.items()
            if name == func and file_part in filename.replace("\\", "/")
        )
        times.append((label, cumulative))
    return times


def _micro_costs(kit: OrderKit, orders: list[Order]) -> dict[str, float]:
    """Microseconds per order of the pieces ingest does per order, timed bare."""
    sample = orders[:5000]
    stamped = [o.model_copy(update={"id": "o" + "0" * 24}) for o in sample]
    return {
        "model_dump_json (snapshot)": bench.per_item_us(lambda o: o.model_dump_json(), stamped),
        "platform_digest (dump minus ours + blake2b)": bench.per_item_us(platform_digest, sample),
        "order_id (blake2b + base32)": bench.per_item_us(
            lambda o: order_id(o.channel, o.shop_id, o.external_id), sample
        ),
        "map_status (pluggy hook + table)": bench.per_item_us(kit.map_status, sample),
        "model_copy (id, status, holds)": bench.per_item_us(
            lambda o: o.model_copy(update={"id": "x", "hold_reasons": []}), sample
        ),
    }


def profile_ingest(n: int, urls: dict[str, str]) -> dict[str, Any]:
    """Where ingest's time goes: per SQL statement on each database (no
    profiler), per step under cProfile (first database), and the bare cost
    per order of serialising, hashing and status mapping."""
    orders = bench.order_list(n, seed=11)
    report: dict[str, Any] = {"orders": n, "statements": {}}
    for index, (name, url) in enumerate(urls.items()):
        prefix = f"p{uuid.uuid4().hex[:8]}_"
        kit = new_kit(url, prefix)
        kit.upgrade_database()
        assert kit.engine is not None
        try:
            report["statements"][name] = {}
            for phase in ("fresh", "reingest"):
                with bench.StatementTimer(kit.engine) as timer:
                    _, elapsed = bench.timed(kit.ingest, orders)
                report["statements"][name][phase] = {
                    "wall_s": round(elapsed.wall, 3),
                    "statements": timer.table(elapsed.wall),
                }
            if index == 0:
                report["micro_us"] = _micro_costs(kit, orders)
                report["cprofile"] = {"database": name}
                kit.engine.dispose()
                bench.drop_prefixed(kit.engine, prefix)
                kit.upgrade_database()
                for phase in ("fresh", "reingest"):
                    report["cprofile"][phase] = _cprofile(kit, orders)
        finally:
            kit.engine.dispose()
            bench.drop_prefixed(kit.engine, prefix)
            kit.engine.dispose()
    return report


def _cprofile(kit: OrderKit, orders: list[Order]) -> dict[str, Any]:
    profiler = cProfile.Profile()
    profiler.enable()
    kit.ingest(orders)
    profiler.disable()
    steps = _step_times(pstats.Stats(profiler))
    total = steps[0][1]
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(20)
    return {
        "total_s": round(total, 3),
        "steps": [
            {"step": label, "s": round(t, 3), "share": round(t / total, 3)} for label, t in steps
        ],
        "top_self_time": out.getvalue(),
    }


# -- main ---------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--postgres-url",
        default=None,
        help="default: $ORDERKIT_TEST_POSTGRES_URL; PostgreSQL is skipped when neither is set",
    )
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument(
        "--memory-orders",
        type=int,
        nargs="*",
        default=[20_000, 100_000],
        help="stream vs list sizes; none to skip the memory measurement",
    )
    parser.add_argument(
        "--tracemalloc", action="store_true", help="also report the tracemalloc peak (slower)"
    )
    parser.add_argument(
        "--profile",
        type=int,
        default=0,
        metavar="N",
        help="cProfile a fresh ingest and a re-ingest of N orders (SQLite)",
    )
    parser.add_argument("--verbose", action="store_true", help="print cProfile's top functions")
    parser.add_argument("--json", type=Path, default=None, help="write the figures here")
    args = parser.parse_args(argv)

    report: dict[str, Any] = {
        "benchmark": "ingest",
        "machine": bench.machine(),
        "runs": args.runs,
        "databases": {},
    }
    print(f"building {args.orders} orders...", file=sys.stderr)
    orders = bench.order_list(args.orders)
    sizes = [len(o.model_dump_json().encode()) for o in orders[:5000]]
    report["order_json_bytes"] = {
        "median": statistics.median(sizes),
        "mean": round(statistics.mean(sizes)),
    }

    with tempfile.TemporaryDirectory(prefix="orderkit-bench-") as tmp:
        workdir = Path(tmp)
        targets = []
        if not args.no_sqlite:
            targets.append(Target("sqlite", None, workdir))
        pg = bench.postgres_url(args.postgres_url)
        if pg:
            targets.append(Target("postgresql", pg, workdir))
        for target in targets:
            try:
                report["databases"][target.name] = measure_database(target, orders, args.runs)
            finally:
                target.clean()
        del orders
        if args.memory_orders:
            report["memory"] = measure_memory(sorted(args.memory_orders), args.tracemalloc, workdir)
        if args.profile:
            urls = {} if args.no_sqlite else {"sqlite": bench.sqlite_url(workdir, "profile.db")}
            if pg:
                urls["postgresql"] = pg
            report["profile"] = profile_ingest(args.profile, urls)

    print_report(report, verbose=args.verbose)
    if args.json:
        bench.write_json(args.json, report)
    return 0


def print_report(report: dict[str, Any], *, verbose: bool = False) -> None:
    sizes = report["order_json_bytes"]
    print(
        f"\ningest, {report['runs']} runs (medians); order JSON median {sizes['median']} B, "
        f"mean {sizes['mean']} B; {report['machine']['cpus']} CPUs"
    )
    rows = []
    for name, db in report["databases"].items():
        rows.append(
            [
                name,
                db["orders"],
                db["floor"]["per_s"],
                db["floor_3_tables"]["per_s"],
                db["fresh"]["per_s"],
                db["reingest"]["per_s"],
                f"{db['fresh_vs_floor']}x",
                _verdict(db["fresh_vs_floor"] >= FRESH_VS_FLOOR_TARGET),
                f"{db['fresh_vs_3_table_floor']}x",
                f"{db['reingest_speedup']}x",
                _verdict(db["reingest_speedup"] >= REINGEST_SPEEDUP_TARGET),
            ]
        )
    print(
        "orders per second (wall clock); floor = plain executemany of the order rows; "
        "3-table floor = plain executemany of the order, timeline and outbox rows"
    )
    bench.print_table(
        [
            "database",
            "orders",
            "floor/s",
            "3-table floor/s",
            "fresh/s",
            "re-ingest/s",
            "fresh÷floor",
            ">=0.5x",
            "fresh÷3-table floor",
            "re-ingest speed-up",
            ">=3x",
        ],
        rows,
    )
    memory = report.get("memory")
    if memory:
        print("\npeak RSS growth while building the input and ingesting it (SQLite)")
        mem_rows = [
            [
                v["input"],
                v["orders"],
                bench.mib(v["rss_growth_bytes"]),
                bench.mib(v["tracemalloc_peak_bytes"]) if "tracemalloc_peak_bytes" in v else "-",
            ]
            for k, v in memory.items()
            if isinstance(v, dict)
        ]
        bench.print_table(["input", "orders", "RSS MiB", "tracemalloc MiB"], mem_rows)
        rise = {
            kind: f"{bench.mib(memory[f'{kind}_rise_bytes'])} MiB "
            f"({memory[f'{kind}_bytes_per_extra_order']} B per extra order)"
            for kind in ("stream", "list")
        }
        allowance = bench.mib(STREAM_FLAT_ALLOWANCE)
        print(f"from the smallest to the largest N the peak rose {rise['stream']} streamed,")
        print(f"{rise['list']} as a list; flat stream (<= {allowance} MiB): ", end="")
        print(_verdict(memory["stream_flat"]))
    profile = report.get("profile")
    if profile:
        print_profile(profile, verbose=verbose)


def print_profile(profile: dict[str, Any], *, verbose: bool) -> None:
    n = profile["orders"]
    for name, phases in profile["statements"].items():
        for phase, data in phases.items():
            print(
                f"\n{name}, {phase} ingest of {n} orders: {data['wall_s']} s wall; "
                "time in each SQL statement (driver execute):"
            )
            bench.print_table(
                ["statement", "count", "seconds", "share"],
                [
                    [s["statement"], s["count"], s["s"], f"{s['share']:.0%}"]
                    for s in data["statements"]
                ],
            )
    if "micro_us" in profile:
        print("\nbare cost per order (microseconds, no profiler)")
        bench.print_table(["piece", "us/order"], list(profile["micro_us"].items()))
    cprof = profile.get("cprofile", {})
    for phase in ("fresh", "reingest"):
        if phase not in cprof:
            continue
        data = cprof[phase]
        print(
            f"\ncProfile, {phase} ingest of {n} orders ({cprof['database']}, "
            f"{data['total_s']} s under the profiler), cumulative time per step:"
        )
        bench.print_table(
            ["step", "seconds", "share"],
            [[s["step"], s["s"], f"{s['share']:.0%}"] for s in data["steps"]],
        )
        if verbose:
            print(data["top_self_time"])


def _verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


if __name__ == "__main__":
    raise SystemExit(main())
