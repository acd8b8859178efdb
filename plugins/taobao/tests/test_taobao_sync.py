"""``fetch_orders`` against the sandbox: paging last to first, detail only
where needed, malformed trades as problems, throttling, session expiry,
window edges and overlaps."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from taobao_testkit import END, NOW, START, make_shop

import orderkit_taobao
from orderkit.clock import FakeClock, RecordingSleeper
from orderkit.errors import (
    ChannelAuthError,
    ChannelRateLimited,
    ChannelResponseError,
    OrderKitError,
)
from orderkit.host import PluginHost
from orderkit.models import Order
from orderkit.specs import FetchPage, FetchProblem, ShopContext, SyncWindow
from orderkit_taobao.paging import PageToken
from orderkit_taobao.protocol import FULLINFO_GET, INCREMENT_GET
from orderkit_taobao.sandbox import SandboxTransport, TaobaoSandbox
from orderkit_taobao.sync import fetch_orders, needs_detail

DAY = SyncWindow(START, END)


class SpyTransport(httpx.BaseTransport):
    """Records the form of every increment.get call, then lets the sandbox answer."""

    def __init__(self, sandbox: TaobaoSandbox) -> None:
        self.inner = SandboxTransport(sandbox)
        self.pages: list[tuple[int, bool]] = []
        self.detail_fields: set[str] = set()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        from orderkit_taobao.sandbox import form_params

        form = form_params(b"", request.read())
        if form.get("method") == INCREMENT_GET:
            self.pages.append((int(form["page_no"]), form["use_has_next"] == "true"))
        elif form.get("method") == FULLINFO_GET:
            self.detail_fields.add(form["fields"])
        return self.inner.handle_request(request)


def walk(shop: ShopContext, window: SyncWindow) -> Iterator[FetchPage]:
    """Every page of one window, as the engine asks for them."""
    page: str | None = None
    while True:
        result = fetch_orders(shop, window, page)
        yield result
        page = result.next_page
        if page is None:
            return


def fetch_all(shop: ShopContext, window: SyncWindow) -> tuple[list[Order], list[FetchProblem]]:
    orders: list[Order] = []
    problems: list[FetchProblem] = []
    for result in walk(shop, window):
        orders += result.orders
        problems += result.problems
    return orders, problems


def ids(orders: list[Order]) -> list[str]:
    return [order.external_id for order in orders]


def in_window(sandbox: TaobaoSandbox, window: SyncWindow) -> set[str]:
    return {
        eid
        for eid, truth in sandbox.ground_truth().items()
        if window.start <= truth.modified_at <= window.end
    }


def test_pages_are_walked_from_last_to_first(sandbox: TaobaoSandbox, clock: FakeClock) -> None:
    spy = SpyTransport(sandbox)
    shop = make_shop(sandbox, clock, settings={"page_size": 40})
    shop.http = httpx.Client(transport=spy)
    results = list(walk(shop, DAY))
    expected = in_window(sandbox, DAY)
    last = -(-len(expected) // 40)
    assert last > 3
    # A probe on page 1 learns the total, then last, last-1, ... 1 with has_next paging.
    assert spy.pages == [(1, False)] + [(page, True) for page in range(last, 0, -1)]
    assert results[0].orders == [] and results[0].total == len(expected)
    ids = [order.external_id for result in results for order in result.orders]
    assert len(ids) == len(set(ids)) == len(expected)
    assert set(ids) == expected


def test_a_window_on_one_page_takes_one_call(sandbox: TaobaoSandbox, clock: FakeClock) -> None:
    spy = SpyTransport(sandbox)
    shop = make_shop(sandbox, clock)
    shop.http = httpx.Client(transport=spy)
    window = SyncWindow(END - timedelta(minutes=30), END)
    (result,) = list(walk(shop, window))
    assert spy.pages == [(1, False)]
    assert {o.external_id for o in result.orders} == in_window(sandbox, window)
    assert result.next_page is None and result.total == len(result.orders)


def test_an_empty_window_is_an_empty_page(sandbox: TaobaoSandbox, shop: ShopContext) -> None:
    window = SyncWindow(START - timedelta(hours=2), START - timedelta(hours=1))
    result = fetch_orders(shop, window, None)
    assert result.orders == [] and result.problems == [] and result.next_page is None
    assert result.total == 0


def test_fullinfo_only_for_trades_the_list_left_short(
    sandbox: TaobaoSandbox, clock: FakeClock
) -> None:
    spy = SpyTransport(sandbox)
    shop = make_shop(sandbox, clock)
    shop.http = httpx.Client(transport=spy)
    orders, problems = fetch_all(shop, DAY)
    # Only what the list left out is asked for.
    assert spy.detail_fields == {"tid,buyer_message,seller_memo"}
    assert not problems
    listed = {
        eid: {
            k: v for k, v in sandbox.trade(eid).items() if k not in ("buyer_message", "seller_memo")
        }
        for eid in in_window(sandbox, DAY)
    }
    wanted = sum(1 for raw in listed.values() if needs_detail(raw))
    assert 0 < wanted < len(listed) / 2
    assert sandbox.calls[FULLINFO_GET] == wanted
    by_id = {order.external_id: order for order in orders}
    for eid, raw in listed.items():
        full = sandbox.trade(eid)
        assert by_id[eid].buyer.message == full.get("buyer_message")
        if full.get("seller_flag"):
            assert by_id[eid].seller_memo == full.get("seller_memo")
        completed = "+taobao.trade.fullinfo.get:" in (by_id[eid].raw_ref or "")
        assert completed == needs_detail(raw)


def test_fullinfo_always_and_never(sandbox: TaobaoSandbox, clock: FakeClock) -> None:
    window = SyncWindow(END - timedelta(hours=2), END)
    always = make_shop(sandbox, clock, settings={"fullinfo": "always"})
    orders, _ = fetch_all(always, window)
    assert sandbox.calls[FULLINFO_GET] == len(orders)
    never = make_shop(sandbox, clock, settings={"fullinfo": "never"})
    fetch_all(never, window)
    assert sandbox.calls[FULLINFO_GET] == len(orders)


def test_malformed_trades_are_problems_and_the_page_is_kept(clock: FakeClock) -> None:
    sandbox = TaobaoSandbox(
        orders=300, seed=3, clock=clock, start=START, end=END, malformed_rate=0.1
    )
    shop = make_shop(sandbox, clock, settings={"page_size": 50})
    orders, problems = fetch_all(shop, DAY)
    truth = {eid: t for eid, t in sandbox.ground_truth().items() if eid in in_window(sandbox, DAY)}
    broken = {eid: t.malformed for eid, t in truth.items() if t.malformed}
    assert broken and len(orders) + len(problems) == len(truth)
    assert {p.external_id: p.field for p in problems} == broken
    for problem in problems:
        assert problem.raw["tid_str"] == problem.external_id
        assert problem.field is not None and problem.field.split("[")[0] in problem.error


def test_throttling_carries_the_ban_time(
    sandbox: TaobaoSandbox, shop: ShopContext, clock: FakeClock
) -> None:
    sandbox.throttle(retry_after=6)
    with pytest.raises(ChannelRateLimited) as caught:
        fetch_orders(shop, DAY, None)
    assert caught.value.retry_after == 6.0
    clock.advance(2)
    with pytest.raises(ChannelRateLimited) as again:  # the ban outlasts the call
        fetch_orders(shop, DAY, None)
    assert again.value.retry_after == 4.0
    clock.advance(again.value.retry_after)
    assert fetch_orders(shop, DAY, None).total


def test_a_sync_completes_under_random_throttling(clock: FakeClock) -> None:
    sandbox = TaobaoSandbox(
        orders=300, seed=5, clock=clock, start=START, end=END, throttle_rate=0.2, ban_seconds=2
    )
    shop = make_shop(sandbox, clock, settings={"page_size": 20})
    sleeper = RecordingSleeper(clock)
    seen: set[str] = set()
    for window in windows(START, END, timedelta(hours=6)):
        page: str | None = None
        while True:
            try:
                result = fetch_orders(shop, window, page)
            except ChannelRateLimited as limited:
                sleeper.sleep(limited.retry_after)  # what the engine does
                continue
            seen.update(order.external_id for order in result.orders)
            page = result.next_page
            if page is None:
                break
    assert seen == in_window(sandbox, DAY)
    assert sleeper.waits and set(sleeper.waits) <= {3.0, 2.0, 1.0}


def test_session_expiry_is_an_auth_error_until_refreshed(
    sandbox: TaobaoSandbox, clock: FakeClock
) -> None:
    credentials = sandbox.credentials()
    shop = make_shop(sandbox, clock, credentials=credentials, settings={"page_size": 50})
    first = fetch_orders(shop, DAY, None)
    assert first.next_page is not None
    sandbox.expire_session()
    with pytest.raises(ChannelAuthError, match="re-authorise"):
        fetch_orders(shop, DAY, first.next_page)
    credentials.update(sandbox.refresh_session())
    assert fetch_orders(shop, DAY, first.next_page).orders


def test_session_expiring_mid_walk(sandbox: TaobaoSandbox, clock: FakeClock) -> None:
    shop = make_shop(sandbox, clock, settings={"page_size": 40, "fullinfo": "never"})
    sandbox.expire_session(after_calls=3)
    pages = walk(shop, DAY)
    for _ in range(3):
        next(pages)
    with pytest.raises(ChannelAuthError):
        next(pages)


def test_overlapping_windows_return_the_same_trades(shop: ShopContext) -> None:
    first, _ = fetch_all(shop, SyncWindow(END - timedelta(hours=3), END - timedelta(hours=1)))
    second, _ = fetch_all(shop, SyncWindow(END - timedelta(hours=2), END))
    again, _ = fetch_all(shop, SyncWindow(END - timedelta(hours=3), END - timedelta(hours=1)))
    assert sorted(ids(first)) == sorted(ids(again))
    assert len(set(ids(first))) == len(first)
    overlap = {o.external_id for o in first} & {o.external_id for o in second}
    assert overlap == {o.external_id for o in first if o.modified_at >= END - timedelta(hours=2)}


def test_a_trade_on_a_window_boundary_is_not_missed(
    sandbox: TaobaoSandbox, shop: ShopContext
) -> None:
    boundary = END - timedelta(hours=1)
    eid = sandbox.external_ids()[0]
    sandbox.touch(eid, at=boundary)
    before, _ = fetch_all(shop, SyncWindow(boundary - timedelta(minutes=30), boundary))
    after, _ = fetch_all(shop, SyncWindow(boundary, boundary + timedelta(minutes=30)))
    assert eid in {o.external_id for o in after}
    # TOP's end_modified may or may not be inclusive: a duplicate is fine, a gap is not.
    assert eid in {o.external_id for o in before} | {o.external_id for o in after}


def test_trades_changed_while_syncing_are_caught_by_a_later_window(clock: FakeClock) -> None:
    # Trades modified up to now; 20% change again within the next 30 minutes.
    sandbox = TaobaoSandbox(orders=400, seed=9, clock=clock, churn_rate=0.2)
    shop = make_shop(sandbox, clock)
    before = sandbox.ground_truth()
    first, _ = fetch_all(shop, SyncWindow(NOW - timedelta(days=1), NOW))
    assert {o.external_id for o in first} == set(before)
    clock.advance(3600)  # the sandbox clock passes the scheduled changes
    after = sandbox.ground_truth()
    changed = {eid for eid in after if after[eid].modified_at != before[eid].modified_at}
    assert len(changed) > 20
    later = SyncWindow(NOW, NOW + timedelta(hours=1))
    orders, _ = fetch_all(shop, later)
    assert {o.external_id for o in orders} == changed
    assert all(o.modified_at == after[o.external_id].modified_at for o in orders)


def test_a_window_that_grows_before_the_last_page_is_walked_again(clock: FakeClock) -> None:
    donor = TaobaoSandbox(orders=81, seed=1, clock=clock, start=START, end=END, churn_rate=0)
    sandbox = TaobaoSandbox(orders=0, clock=clock)
    trades = [donor.trade(eid) for eid in donor.external_ids()]
    for raw in trades[:80]:
        sandbox.add_trade(raw)
    shop = make_shop(sandbox, clock, settings={"page_size": 40, "fullinfo": "never"})
    probe = fetch_orders(shop, DAY, None)
    assert probe.total == 80 and probe.next_page is not None
    late = copy.deepcopy(trades[80])
    late["modified"] = "2026-11-11 10:59:59"  # newest: goes to the front of page 1
    sandbox.add_trade(late)
    seen: list[str] = []
    page: str | None = probe.next_page
    tokens: list[str] = []
    while page is not None:
        tokens.append(page)
        result = fetch_orders(shop, DAY, page)
        seen += [o.external_id for o in result.orders]
        page = result.next_page
    assert any(PageToken.decode(t, DAY).page == 0 for t in tokens)  # it probed again
    assert set(seen) == {str(raw["tid"]) for raw in trades}


def test_a_token_from_another_window_is_refused(shop: ShopContext) -> None:
    token = PageToken.for_window(DAY, total=100, page_size=40).encode()
    with pytest.raises(OrderKitError, match="another window"):
        fetch_orders(shop, SyncWindow(START, END - timedelta(hours=1)), token)
    with pytest.raises(OrderKitError, match="not a page token"):
        fetch_orders(shop, DAY, "page-2")


def test_an_oversized_window_is_refused_by_the_platform(shop: ShopContext) -> None:
    with pytest.raises(ChannelResponseError) as caught:
        fetch_orders(shop, SyncWindow(START - timedelta(hours=1), END), None)
    assert caught.value.code == "41" and not caught.value.transient
    assert caught.value.sub_code == "isv.invalid-parameter:end_modified"


def test_transient_platform_errors_are_raised_as_transient(
    sandbox: TaobaoSandbox, shop: ShopContext
) -> None:
    sandbox.fail_next()
    with pytest.raises(ChannelResponseError) as caught:
        fetch_orders(shop, DAY, None)
    assert caught.value.transient
    assert fetch_orders(shop, DAY, None).total


def test_page_size_setting_is_checked(shop: ShopContext) -> None:
    shop.settings = {"page_size": 101}
    with pytest.raises(ValueError, match="1-100"):
        fetch_orders(shop, DAY, None)


def test_fetch_is_routed_by_the_host(host: PluginHost, shop: ShopContext) -> None:
    assert "taobao" in host.channels
    result = host.fetch_orders(shop, SyncWindow(END - timedelta(minutes=30), END), None)
    assert isinstance(result, FetchPage) and result.orders
    assert all(order.channel == "taobao" for order in result.orders)
    assert orderkit_taobao.CODE == "taobao"


def windows(start: datetime, end: datetime, size: timedelta) -> Iterator[SyncWindow]:
    while start < end:
        yield SyncWindow(start, min(end, start + size))
        start += size


def test_fixture_times_are_utc() -> None:
    assert NOW.tzinfo is UTC and START < END < NOW


def _unused(_: Any) -> None:  # keep imports honest for type checkers
    return None
