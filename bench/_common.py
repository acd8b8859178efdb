"""Shared pieces of orderkit's benchmarks (``bench/*.py``).

- timing: :func:`timed`, :class:`Timings` (medians of several runs);
- memory: :func:`peak_memory` runs a function in a fresh spawned process and
  reports how far its peak RSS (and optionally the tracemalloc peak) rose;
- input: :func:`order_stream` / :func:`order_list` build realistic canonical
  orders (1-4 lines, Chinese titles and addresses, masked receiver, ~1.5 KB
  of JSON), deterministic per seed and index;
- databases: :func:`sqlite_url`, :func:`postgres_url`, :func:`drop_prefixed`;
- reporting: :func:`print_table`, :func:`machine`, :func:`write_json`.

A benchmark measures speed as a ratio against a baseline run in the same
process and the same run, so a noisy machine moves both sides alike.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import platform
import random
import resource
import statistics
import time
import tracemalloc
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa

from orderkit.models import Order

T = TypeVar("T")

# -- timing -----------------------------------------------------------------------


@dataclass(frozen=True)
class Elapsed:
    """Wall-clock seconds, and this process's CPU seconds (less disturbed by
    other load; it misses work done by a database server process)."""

    wall: float
    cpu: float


def timed(fn: Callable[..., T], *args: Any) -> tuple[T, Elapsed]:
    """``fn(*args)`` and the time it took."""
    wall, cpu = time.perf_counter(), time.process_time()
    value = fn(*args)
    return value, Elapsed(time.perf_counter() - wall, time.process_time() - cpu)


@dataclass
class Timings:
    """Repeated runs of one measurement; report the median."""

    name: str
    runs: list[Elapsed] = field(default_factory=list)

    def add(self, elapsed: Elapsed) -> None:
        self.runs.append(elapsed)

    @property
    def seconds(self) -> list[float]:
        return [r.wall for r in self.runs]

    @property
    def median(self) -> float:
        """Median wall-clock seconds."""
        return statistics.median(self.seconds)

    @property
    def median_cpu(self) -> float:
        return statistics.median(r.cpu for r in self.runs)

    def rate(self, items: int) -> float:
        """Items per wall-clock second at the median."""
        return items / self.median

    def as_dict(self, items: int | None = None) -> dict[str, Any]:
        data: dict[str, Any] = {
            "median_s": round(self.median, 4),
            "runs_s": [round(s, 4) for s in self.seconds],
            "median_cpu_s": round(self.median_cpu, 4),
        }
        if items is not None:
            data["per_s"] = round(self.rate(items), 1)
        return data


class StatementTimer:
    """Wall-clock time per SQL statement on an engine (driver execute only,
    commits not included), for "which statements cost what"."""

    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine
        self.totals: dict[str, list[float]] = {}  # statement -> [count, seconds]
        self._started: list[float] = []

    def __enter__(self) -> StatementTimer:
        sa.event.listen(self._engine, "before_cursor_execute", self._before)
        sa.event.listen(self._engine, "after_cursor_execute", self._after)
        return self

    def __exit__(self, *exc: object) -> None:
        sa.event.remove(self._engine, "before_cursor_execute", self._before)
        sa.event.remove(self._engine, "after_cursor_execute", self._after)

    def _before(self, *args: Any) -> None:
        self._started.append(time.perf_counter())

    def _after(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        self._add(" ".join(statement.split())[:70], time.perf_counter() - self._started.pop())

    def _add(self, key: str, seconds: float) -> None:
        entry = self.totals.setdefault(key, [0, 0.0])
        entry[0] += 1
        entry[1] += seconds

    def table(self, total: float) -> list[dict[str, Any]]:
        """Statements by time spent, with their share of ``total`` seconds."""
        return [
            {
                "statement": key,
                "count": int(count),
                "s": round(seconds, 3),
                "share": round(seconds / total, 3),
            }
            for key, (count, seconds) in sorted(self.totals.items(), key=lambda kv: -kv[1][1])
        ]


def per_item_us(fn: Callable[[Any], Any], items: Sequence[Any], repeat: int = 3) -> float:
    """Median microseconds of ``fn(item)`` per item over ``repeat`` passes."""
    passes = []
    for _ in range(repeat):
        start = time.perf_counter()
        for item in items:
            fn(item)
        passes.append((time.perf_counter() - start) / len(items))
    return round(statistics.median(passes) * 1e6, 1)


# -- memory -----------------------------------------------------------------------


def _proc_status_bytes(key: str) -> int | None:
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) * 1024  # kB
    except OSError:
        pass
    return None


def _reset_rss_peak() -> int:
    """Reset the peak-RSS mark where the OS allows it (Linux); return current RSS."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as clear:
            clear.write("5")  # 5: reset the peak RSS (VmHWM) to the current RSS
    except OSError:
        pass
    return _proc_status_bytes("VmRSS") or _rss_peak_bytes()


def _rss_peak_bytes() -> int:
    peak = _proc_status_bytes("VmHWM")
    if peak is not None:
        return peak
    # elsewhere ru_maxrss: KiB on Linux, bytes on macOS; never reset
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if platform.system() == "Darwin" else peak * 1024


def _measure_in_child(
    fn: Callable[..., Any], args: tuple[Any, ...], trace: bool, conn: Any
) -> None:
    try:
        setup = getattr(fn, "setup", None)
        state = setup(*args) if setup else None
        if trace:
            tracemalloc.start()
        before = _reset_rss_peak()
        if state is None:
            fn(*args)
        else:
            fn(state, *args)
        peak = _rss_peak_bytes()
        report = {
            "rss_before_bytes": before,
            "rss_peak_bytes": peak,
            "rss_growth_bytes": peak - before,
        }
        if trace:
            report["tracemalloc_peak_bytes"] = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
        conn.send(("ok", report))
    except BaseException as exc:  # report, do not hang the parent
        conn.send(("error", repr(exc)))
    finally:
        conn.close()


def peak_memory(fn: Callable[..., Any], *args: Any, trace: bool = False) -> dict[str, int]:
    """Run ``fn(*args)`` in a fresh spawned process and return its memory peak.

    ``rss_growth_bytes`` is how far the process's peak RSS rose while ``fn``
    ran (imports and ``fn.setup(*args)``, if ``fn`` has one, come before and
    are not counted; ``fn`` then gets ``setup``'s result first). With
    ``trace`` the tracemalloc peak (Python allocations only, slower) is added.
    ``fn`` must be importable (defined at module level).
    """
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe(duplex=False)
    process = ctx.Process(target=_measure_in_child, args=(fn, args, trace, child))
    process.start()
    child.close()
    status, value = parent.recv()
    process.join()
    if status != "ok":
        raise RuntimeError(f"memory measurement failed: {value}")
    return dict(value)


def mib(n_bytes: float) -> float:
    return round(n_bytes / 2**20, 1)


# -- input ------------------------------------------------------------------------

_BRANDS = (
    "欧莱雅",
    "兰蔻",
    "雅诗兰黛",
    "资生堂",
    "三只松鼠",
    "良品铺子",
    "小米",
    "安踏",
    "李宁",
    "蕉内",
    "全棉时代",
    "百雀羚",
    "花西子",
    "完美日记",
    "元气森林",
)
_PRODUCTS = (
    ("复颜玻尿酸水光充盈导入面霜", "50ml"),
    ("小黑瓶精华肌底液", "100ml"),
    ("每日坚果混合果仁礼盒", "750g/30袋"),
    ("夏威夷果奶油味", "500g×2袋"),
    ("米家智能电动牙刷", "T300 青春版"),
    ("氮科技跑步鞋男款缓震透气", "42码 黑白"),
    ("纯棉洗脸巾一次性加厚", "100抽×6包"),
    ("无糖气泡水白桃味", "480ml×15瓶"),
    ("凉感短袖T恤女款宽松", "M 雾霾蓝"),
    ("空气蜜粉散粉持久控油", "8g 01号"),
)
_PROMOS = ("【双11预售】", "【官方旗舰店】", "【顺丰包邮】", "【会员专享】", "")
_PLACES = (
    ("浙江省", "杭州市", "西湖区", "文三路", "华星时代广场A座"),
    ("广东省", "深圳市", "南山区", "科技园南区高新南七道", "数字技术园B2栋"),
    ("上海市", "上海市", "浦东新区", "张江镇碧波路", "汤臣豪园三期"),
    ("四川省", "成都市", "武侯区", "天府大道北段", "环球中心W6区"),
    ("江苏省", "苏州市", "工业园区", "星湖街", "金鸡湖大厦东门保安室"),
    ("北京市", "北京市", "朝阳区", "望京街道阜通东大街", "望京SOHO塔3"),
    ("湖北省", "武汉市", "洪山区", "珞喻路", "光谷广场国际大厦"),
)
_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
_MESSAGES = ("请尽快发货，谢谢", "周末不在家，请放快递柜", "送人的，不要放发票", "", "", "")
_LINE_COUNTS = (1, 1, 1, 1, 1, 2, 2, 3, 4)  # most orders have one line
_STATUSES = ("PAID",) * 7 + ("WAIT_PAY", "SHIPPED", "PAID")
_BASE_TIME = datetime(2026, 11, 11, 0, 0, tzinfo=UTC)


def make_order(
    index: int,
    *,
    seed: int = 0,
    shop_id: str = "bench-shop",
    channel: str = "own",
    modified_offset: timedelta = timedelta(0),
) -> Order:
    """One realistic canonical order, the same for the same (seed, index)."""
    rng = random.Random(seed * 1_000_003 + index)
    created = _BASE_TIME + timedelta(seconds=index * 7 + rng.randrange(7))
    lines: list[dict[str, Any]] = []
    for n in range(rng.choice(_LINE_COUNTS)):
        brand = rng.choice(_BRANDS)
        product, spec = rng.choice(_PRODUCTS)
        price = rng.randrange(990, 59900, 10)
        quantity = rng.choice((1, 1, 1, 2, 3))
        lines.append(
            {
                "line_id": f"{index:09d}{n:02d}",
                "sku": f"SKU-{rng.randrange(1, 2000):05d}",
                "item_id": str(600_000_000_000 + rng.randrange(10**9)),
                "sku_id": str(4_000_000_000_000 + rng.randrange(10**10)),
                "title": f"{rng.choice(_PROMOS)}{brand}{product} {spec}",
                "quantity": quantity,
                "unit_price": price,
                "paid": price * quantity,
                "platform_status": "WAIT_SELLER_SEND_GOODS",
            }
        )
    goods = sum(line["unit_price"] * line["quantity"] for line in lines)
    province, city, district, road, building = rng.choice(_PLACES)
    phone_tail = rng.randrange(10_000)
    status = rng.choice(_STATUSES)
    return Order.model_validate(
        {
            "channel": channel,
            "shop_id": shop_id,
            "external_id": str(3_900_000_000_000_000_000 + seed * 10**9 + index),
            "created_at": created,
            "paid_at": created + timedelta(minutes=2) if status != "WAIT_PAY" else None,
            "modified_at": created + timedelta(minutes=5) + modified_offset,
            "amounts": {"goods_total": goods, "discount": 0, "post_fee": 0, "paid": goods},
            "lines": lines,
            "receiver": {
                "raw": f"{province}{city}{district}{road}{rng.randrange(1, 999)}号{building}"
                f"{rng.randrange(1, 30)}楼{rng.randrange(1, 20):02d}室",
                "name_masked": f"{rng.choice(_SURNAMES)}**",
                "phone_masked": f"1{rng.choice('3578')}{rng.randrange(10)}****{phone_tail:04d}",
                "name_encrypted": f"~{rng.getrandbits(128):032x}~1~",
                "phone_encrypted": f"${rng.getrandbits(160):040x}$1$",
                "address_token": f"{rng.getrandbits(96):024x}",
            },
            "buyer": {
                "buyer_id": f"AAH{rng.getrandbits(64):016x}",
                "nick": f"t**{rng.randrange(10)}",
                "message": rng.choice(_MESSAGES) or None,
            },
            "tags": ["双11"] if rng.random() < 0.3 else [],
            "platform_status": {"status": status},
        }
    )


def order_stream(n: int, *, seed: int = 0, **kwargs: Any) -> Iterator[Order]:
    """``n`` orders, built one at a time (a stream: nothing is kept)."""
    for index in range(n):
        yield make_order(index, seed=seed, **kwargs)


def order_list(n: int, *, seed: int = 0, **kwargs: Any) -> list[Order]:
    return list(order_stream(n, seed=seed, **kwargs))


# -- databases -----------------------------------------------------------------------


def sqlite_url(directory: Path, name: str = "bench.db") -> str:
    return f"sqlite:///{directory / name}"


def postgres_url(explicit: str | None) -> str | None:
    """``--postgres-url``, else ``ORDERKIT_TEST_POSTGRES_URL``, else None."""
    return explicit or os.environ.get("ORDERKIT_TEST_POSTGRES_URL") or None


def drop_prefixed(engine: sa.Engine, prefix: str) -> None:
    """Drop every table whose name starts with ``prefix``."""
    with engine.begin() as conn:
        quote = conn.dialect.identifier_preparer.quote
        for name in sa.inspect(conn).get_table_names():
            if name.startswith(prefix):
                conn.execute(sa.text(f"DROP TABLE {quote(name)}"))


# -- reporting -----------------------------------------------------------------------


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    return {
        "cpus": os.cpu_count(),
        "load_avg_1m": round(os.getloadavg()[0], 2),
        "python": platform.python_version(),
        "sqlalchemy": sa.__version__,
        "platform": platform.platform(terse=True),
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def print_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """A plain, aligned text table (numbers right-aligned)."""
    cells = [[str(h) for h in headers], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    numeric = [all(_is_number(row[i]) for row in cells[1:]) for i in range(len(headers))]
    for n, row in enumerate(cells):
        print(
            "  ".join(
                c.rjust(w) if numeric[i] else c.ljust(w)
                for i, (c, w) in enumerate(zip(row, widths, strict=True))
            ).rstrip()
        )
        if n == 0:
            print("  ".join("-" * w for w in widths))


def _is_number(text: str) -> bool:
    try:
        float(text.rstrip("x%"))
    except ValueError:
        return False
    return True


def write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def synced_orders(kit: Any, shop_id: str) -> list[Order]:
    """Sync ``shop_id`` with ``kit`` and return every canonical order its
    pages carried (for a baseline; the sync that collects them is untimed)."""
    orders: list[Order] = []
    fetch = kit.host.fetch_orders

    def collecting(*args: Any, **kwargs: Any) -> Any:
        page = fetch(*args, **kwargs)
        orders.extend(page.orders)
        return page

    kit.host.fetch_orders = collecting
    kit.sync(shop_id)
    return orders
