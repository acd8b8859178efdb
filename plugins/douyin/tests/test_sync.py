"""Sync over ``order.searchList``: the page walk, orders changing while it
runs, ``order.orderDetail`` only where needed, and 20,000 orders through
throttling and a token expiry."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from orderkit.clock import FakeClock
from orderkit.kit import OrderKit
from orderkit.specs import SyncWindow
from orderkit.testing import make_kit

import orderkit_douyin
from orderkit_douyin.paging import PageToken
from orderkit_douyin.sandbox import DouyinSandbox
from orderkit_douyin.sync import fetch_orders, page_size

T0 = datetime(2026, 11, 11, tzinfo=UTC)
SHOP = "dy-main"


def douyin_kit(
    tmp_path: Path, *, page: int = 100, now: datetime | None = None, **sandbox: Any
) -> OrderKit:
    options = {"orders": 300, "seed": 21, "start": T0 - timedelta(hours=1), "end": T0, **sandbox}
    shop = {
        "id": SHOP,
        "channel": "douyin",
        "endpoint": "sandbox",
        "app_key": "sandbox-app",
        "app_secret": "sandbox:demo-secret",
        "access_token": "sandbox:demo-session",
        "refresh_token": "sandbox:demo-refresh",
        "settings": {
            "page_size": page,
            "initial_lookback_hours": 2,
            "calls_per_second": 100000,
            "burst": 100000,
            "sandbox": options,
        },
    }
    clock = FakeClock(now or T0 + timedelta(minutes=1))
    return make_kit(tmp_path, [("douyin", orderkit_douyin)], shops=[shop], clock=clock)


def stored(kit: OrderKit) -> list[str]:
    o = kit.store.tables.orders
    with kit.store.db.transaction() as conn:
        return list(conn.execute(sa.select(o.c.external_id).where(o.c.shop_id == SHOP)).scalars())


def spy_pages(kit: OrderKit, on_page: Callable[[int], None] | None = None) -> list[int]:
    """Record the ``page`` of every searchList call (and run ``on_page`` after it)."""
    box = kit.sandbox(SHOP)
    inner = box.transport()
    pages: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        response = inner.handle_request(request)
        if request.url.path == "/order/searchList":
            page = json.loads(request.content)["page"]
            pages.append(page)
            if on_page is not None:
                on_page(page)
        response.read()
        return response

    context = kit.sync_engine.runtime.context(SHOP)
    context.http = httpx.Client(transport=httpx.MockTransport(handler))
    return pages


def one_window(kit: OrderKit) -> SyncWindow:
    return SyncWindow(T0 - timedelta(minutes=30), T0)


def walk(kit: OrderKit, window: SyncWindow) -> list[str]:
    """Every external id one window's walk returns, in order (duplicates kept)."""
    shop = kit.sync_engine.runtime.context(SHOP)
    ids: list[str] = []
    page: str | None = None
    while True:
        result = fetch_orders(shop, window, page)
        assert not result.problems
        ids += [o.external_id for o in result.orders]
        if result.next_page is None:
            return ids
        page = result.next_page


def in_window(box: DouyinSandbox, window: SyncWindow) -> set[str]:
    return {
        k for k, v in box.ground_truth().items() if window.start <= v["modified_at"] <= window.end
    }


def test_pages_are_read_back_to_front_and_page_0_again(tmp_path: Path) -> None:
    kit = douyin_kit(tmp_path, page=10, churn_rate=0.0, thin_rate=0.0)
    window = one_window(kit)
    box = kit.sandbox(SHOP)
    expected = in_window(box, window)
    pages = spy_pages(kit)
    ids = walk(kit, window)
    last = (len(expected) - 1) // 10
    assert pages == [0, *range(last, 0, -1), 0]
    assert set(ids) == expected


def test_an_order_changing_mid_walk_makes_no_other_order_skipped(tmp_path: Path) -> None:
    kit = douyin_kit(tmp_path, page=10, churn_rate=0.0, thin_rate=0.0)
    window = one_window(kit)
    box = kit.sandbox(SHOP)
    expected = in_window(box, window)
    order = sorted(expected, key=lambda k: (box.ground_truth()[k]["modified_at"], int(k)))
    moved: list[str] = []

    def change_early_orders(page: int) -> None:
        # after each page past the first, an order near the front changes and
        # leaves the window: everything behind it moves one place forward
        if page > 0 and len(moved) < 3:
            victim = order[len(moved) * 2 + 1]
            kit.clock.advance(1)
            box.touch(victim)
            moved.append(victim)

    spy_pages(kit, change_early_orders)
    ids = walk(kit, window)
    assert len(moved) == 3
    # none of the others is skipped; the moved ones now belong to a later window
    assert set(ids) >= expected - set(moved)
    truth = box.ground_truth()
    assert all(truth[victim]["modified_at"] > window.end for victim in moved)


def test_a_window_that_grows_while_walked_is_walked_again(tmp_path: Path) -> None:
    kit = douyin_kit(tmp_path, page=10, churn_rate=0.0, thin_rate=0.0)
    window = one_window(kit)
    box = kit.sandbox(SHOP)
    late: list[str] = []

    def late_index_update(page: int) -> None:
        if page == 1 and not late:  # an order indexed late, inside the window
            late.append(box.add_order(modified_at=window.start + timedelta(minutes=5)))

    pages = spy_pages(kit, late_index_update)
    ids = walk(kit, window)
    assert late and late[0] in ids
    assert pages.count(0) == 3  # opening read, closing read, closing read after the restart


def test_detail_is_fetched_only_for_orders_the_list_left_thin(tmp_path: Path) -> None:
    kit = douyin_kit(tmp_path, churn_rate=0.0, thin_rate=0.2)
    box = kit.sandbox(SHOP)
    inner = box.transport()
    detailed: set[str] = set()

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/order/orderDetail":
            detailed.add(json.loads(request.content)["shop_order_id"])
        response = inner.handle_request(request)
        response.read()
        return response

    kit.sync_engine.runtime.context(SHOP).http = httpx.Client(
        transport=httpx.MockTransport(handler)
    )
    kit.sync(SHOP)
    thin = {k for k in box.ground_truth() if box._book._records[int(k)].base.thin}
    assert thin and detailed == thin
    assert sorted(stored(kit)) == sorted(box.ground_truth())
    for external_id in thin:
        order = kit.get(f"{SHOP}/{external_id}").order
        assert order.lines and order.receiver.province


def test_without_detail_a_thin_order_is_dead_lettered_not_lost(tmp_path: Path) -> None:
    kit = douyin_kit(tmp_path, churn_rate=0.0, thin_rate=0.2)
    kit.config.shop(SHOP).settings["detail"] = "never"
    box = kit.sandbox(SHOP)
    report = kit.sync(SHOP)
    assert report.problems > 0 and "order.orderDetail" not in box.calls
    letters = {d.external_id for d in kit.dead_letters()}
    assert letters | set(stored(kit)) == set(box.ground_truth())


def test_an_order_changed_during_a_pass_arrives_in_the_next_one(tmp_path: Path) -> None:
    kit = douyin_kit(tmp_path, churn_rate=0.3, throttle_rate=0.0)
    box = kit.sandbox(SHOP)
    box.throttle(calls=4, retry_after=30.0)  # the pass takes two minutes of platform time
    kit.sync(SHOP)
    kit.clock.advance(31 * 60)
    kit.sync(SHOP)
    truth = box.ground_truth()
    assert sorted(stored(kit)) == sorted(truth)
    for external_id, expected in truth.items():
        order = kit.get(f"{SHOP}/{external_id}")
        assert order.order.modified_at == expected["modified_at"]
        assert order.lifecycle == expected["lifecycle"]


def test_page_size_is_capped_at_100() -> None:
    assert page_size({}) == 100
    assert page_size({"page_size": 500}) == 100
    assert page_size({"page_size": 20}) == 20
    with pytest.raises(ValueError):
        page_size({"page_size": 0})


def test_a_page_token_of_another_window_is_refused() -> None:
    from orderkit.errors import ChannelResponseError

    window = SyncWindow(T0, T0 + timedelta(minutes=30))
    token = PageToken.first(window, 100).following(250)
    assert token is not None and token.page == 2
    with pytest.raises(ChannelResponseError):
        PageToken.decode(token.encode(), SyncWindow(T0, T0 + timedelta(minutes=31)))
    assert PageToken.decode(token.encode(), window) == token


@pytest.mark.slow
def test_20000_orders_through_throttling_and_a_token_expiry(tmp_path: Path) -> None:
    started = time.perf_counter()
    kit = douyin_kit(
        tmp_path,
        now=T0 + timedelta(minutes=1),
        orders=20_000,
        seed=2026,
        start=T0 - timedelta(hours=24),
        throttle_rate=0.05,  # 60000 on one call in twenty
        retry_after=1.0,
    )
    kit.config.shop(SHOP).settings["initial_lookback_hours"] = 25
    box = kit.sandbox(SHOP)
    box.expire_session(after_calls=100, refreshable=True)
    first = kit.sync(SHOP)
    assert first.throttled > 0 and first.refreshed == 1
    # the new tokens are in the credentials table, and they are what the platform accepts
    tokens, expires_at = kit.store.credentials(SHOP)
    assert tokens["access_token"] == box.access_token != "demo-session"
    assert tokens["refresh_token"] == box.refresh_token != "demo-refresh"
    assert expires_at is not None and expires_at > kit.clock.now() + timedelta(days=6)
    # orders the platform changed during the pass come with the next one
    kit.clock.advance(31 * 60)
    kit.sync(SHOP)

    truth = box.ground_truth()
    ids = stored(kit)
    assert len(truth) == 20_000
    assert len(ids) == 20_000 and not [k for k, n in Counter(ids).items() if n > 1]
    assert set(ids) == set(truth)
    assert not kit.dead_letters()
    o = kit.store.tables.orders
    columns = (o.c.external_id, o.c.lifecycle, o.c.refund, o.c.presale, o.c.snapshot)
    with kit.store.db.transaction() as conn:
        rows = list(conn.execute(sa.select(*columns).where(o.c.shop_id == SHOP)))
    mismatched = [
        external_id
        for external_id, lifecycle, refund, presale, snapshot in rows
        if (lifecycle, refund, presale)
        != (
            truth[external_id]["lifecycle"],
            truth[external_id]["refund"],
            truth[external_id]["presale"],
        )
        or datetime.fromisoformat(json.loads(snapshot)["modified_at"])
        != truth[external_id]["modified_at"]
    ]
    assert not mismatched, (
        f"{len(mismatched)} orders differ from the sandbox, e.g. {mismatched[:3]}"
    )
    assert time.perf_counter() - started < 60
