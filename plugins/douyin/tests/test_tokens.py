"""Token refresh: an expiring token is refreshed through the token API and the
new tokens land in the credentials table; a refused refresh stops the sync
loudly."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from orderkit.clock import FakeClock
from orderkit.errors import ChannelAuthError, ChannelResponseError
from orderkit.kit import OrderKit
from orderkit.specs import ShopContext
from orderkit.sync import SyncError
from orderkit.testing import make_kit
from structlog.testing import capture_logs

import orderkit_douyin
from orderkit_douyin.tokens import REFRESH_EXPIRY_KEY, grant_from_token_data, token_request

T0 = datetime(2026, 11, 11, tzinfo=UTC)
NOW = T0 + timedelta(minutes=1)


def kit_with(tmp_path: Path, *, refresh_token: bool = True, **settings: Any) -> OrderKit:
    shop: dict[str, Any] = {
        "id": "dy-main",
        "channel": "douyin",
        "endpoint": "sandbox",
        "app_key": "sandbox-app",
        "app_secret": "sandbox:demo-secret",
        "access_token": "sandbox:demo-session",
        "settings": {
            "page_size": 20,
            "initial_lookback_hours": 2,
            "calls_per_second": 1000,
            "burst": 1000,
            "sandbox": {
                "orders": 120,
                "seed": 9,
                "start": T0 - timedelta(hours=1),
                "end": T0,
                "churn_rate": 0.0,
            },
            **settings,
        },
    }
    if refresh_token:
        shop["refresh_token"] = "sandbox:demo-refresh"
    return make_kit(tmp_path, [("douyin", orderkit_douyin)], shops=[shop], clock=FakeClock(NOW))


def stored_ids(kit: OrderKit) -> set[str]:
    return {k.split("/", 1)[1] for k in _keys(kit)}


def _keys(kit: OrderKit) -> list[str]:
    import sqlalchemy as sa

    o = kit.store.tables.orders
    with kit.store.db.transaction() as conn:
        return [f"{s}/{e}" for s, e in conn.execute(sa.select(o.c.shop_id, o.c.external_id))]


def test_an_expired_token_is_refreshed_and_the_new_tokens_persisted(tmp_path: Path) -> None:
    kit = kit_with(tmp_path)
    box = kit.sandbox("dy-main")
    box.expire_session(after_calls=2, refreshable=True)
    with capture_logs() as events:
        report = kit.sync("dy-main")
    assert report.refreshed == 1
    stored, expires_at = kit.store.credentials("dy-main")
    # what token.refresh returned, every expiry included
    assert stored["access_token"] == box.access_token != "demo-session"
    assert stored["refresh_token"] == box.refresh_token != "demo-refresh"
    assert datetime.fromisoformat(stored[REFRESH_EXPIRY_KEY]) == NOW + timedelta(days=14)
    assert expires_at == NOW + timedelta(days=7)
    assert box.calls.get("token.refresh") == 1 and "token.create" not in box.calls
    assert stored_ids(kit) == set(box.ground_truth())
    text = json.dumps(events, default=str)
    assert box.access_token not in text and box.refresh_token not in text
    # the next pass uses the new token; the old one is refused by the platform
    box.add_order(modified_at=kit.clock.now())
    kit.clock.advance(60)
    assert kit.sync("dy-main").created == 1


def test_a_token_close_to_expiry_is_refreshed_before_the_sync(tmp_path: Path) -> None:
    kit = kit_with(tmp_path)
    box = kit.sandbox("dy-main")
    kit.save_credentials("dy-main", {}, NOW + timedelta(hours=3))  # within refresh_ahead (1 day)
    report = kit.sync("dy-main")
    assert report.refreshed == 1
    assert kit.store.credentials("dy-main")[0]["access_token"] == box.access_token


def test_without_a_refresh_token_a_self_use_app_creates_a_new_one(tmp_path: Path) -> None:
    kit = kit_with(tmp_path, refresh_token=False, douyin_shop_id=4463798)
    box = kit.sandbox("dy-main")
    box.expire_session(after_calls=1, refreshable=True)
    assert kit.sync("dy-main").refreshed == 1
    assert box.calls.get("token.create") == 1
    assert kit.store.credentials("dy-main")[0]["refresh_token"] == box.refresh_token


def test_a_refused_refresh_stops_the_sync_with_an_auth_error_and_a_log_line(
    tmp_path: Path,
) -> None:
    kit = kit_with(tmp_path)
    box = kit.sandbox("dy-main")
    box.expire_session(after_calls=2, refreshable=False)  # the seller revoked the app
    with capture_logs() as events, pytest.raises(SyncError) as info:
        kit.sync("dy-main")
    assert isinstance(info.value.__cause__, ChannelAuthError)
    assert "re-authorise" in str(info.value.__cause__)
    failed = [e for e in events if e["event"] == "token.refresh_failed"]
    assert failed and failed[0]["shop"] == "dy-main"
    state = kit.sync_engine.cursors.state("dy-main")
    assert state is not None and state.last_error and "ChannelAuthError" in state.last_error
    assert kit.store.credentials("dy-main")[0] == {}  # nothing half-written


def context(settings: dict[str, Any], values: dict[str, str]) -> ShopContext:
    def credential(name: str) -> str:
        if name not in values:
            raise ChannelAuthError(f"no {name} configured", channel="douyin")
        return values[name]

    return ShopContext(
        shop_id="dy",
        channel="douyin",
        endpoint="sandbox",
        settings=settings,
        credential=credential,
        http=None,  # type: ignore[arg-type]  # not used to build the request
        clock=FakeClock(NOW),
        sleeper=None,  # type: ignore[arg-type]
    )


def test_the_token_request_prefers_the_refresh_token() -> None:
    with_refresh = context({}, {"refresh_token": "r-1"})
    assert token_request(with_refresh) == (
        "token.refresh",
        {"grant_type": "refresh_token", "refresh_token": "r-1"},
    )
    self_use = context({"douyin_shop_id": 4463798}, {})
    assert token_request(self_use) == (
        "token.create",
        {"grant_type": "authorization_self", "code": "", "shop_id": "4463798"},
    )


def test_grants_fill_in_documented_lifetimes() -> None:
    grant = grant_from_token_data({"access_token": "a", "refresh_token": "r", "shop_id": 1}, NOW)
    assert grant.expires_at == NOW + timedelta(days=7)
    assert grant.values == {
        "access_token": "a",
        "refresh_token": "r",
        REFRESH_EXPIRY_KEY: (NOW + timedelta(days=14)).isoformat(),
        "douyin_shop_id": "1",
    }
    short = grant_from_token_data({"access_token": "a", "expires_in": 3600}, NOW)
    assert short.expires_at == NOW + timedelta(hours=1)
    with pytest.raises(ChannelAuthError):
        grant_from_token_data({"expires_in": 3600}, NOW)


def test_a_token_api_outage_is_transient_not_a_refusal(tmp_path: Path) -> None:
    kit = kit_with(tmp_path)
    box = kit.sandbox("dy-main")
    box.fail_next(1)
    shop = kit.sync_engine.runtime.context("dy-main")
    with pytest.raises(ChannelResponseError) as info:
        orderkit_douyin.refresh_credentials(shop)
    assert info.value.transient and not isinstance(info.value, ChannelAuthError)
