"""The ingest rules, on SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa

from orderkit.kit import OrderKit
from orderkit.models import Order

from .conftest import make_order_payload

STATUSES = ["WAIT_PAY", "PAID", "SHIPPED", "SIGNED", "FINISHED"]


def version_of(i: int, v: int) -> dict[str, Any]:
    """Version ``v`` (0..4) of order ``i``: later versions are newer and further along."""
    return make_order_payload(
        external_id=f"E{i:05d}",
        modified_at=f"2026-11-11T1{v}:00:00+08:00",
        platform_status={"status": STATUSES[v]},
        buyer={"message": f"v{v}"},
    )


def counts(kit: OrderKit) -> Counter[str]:
    t = kit.store.tables
    with kit.store.db.transaction() as conn:
        return Counter(
            {
                "orders": conn.execute(
                    sa.select(sa.func.count()).select_from(t.orders)
                ).scalar_one(),
                "events": conn.execute(
                    sa.select(sa.func.count()).select_from(t.timeline)
                ).scalar_one(),
                "outbox": conn.execute(
                    sa.select(sa.func.count()).select_from(t.outbox)
                ).scalar_one(),
            }
        )


def test_reingest_shuffled_with_older_versions_interleaved(kit: OrderKit) -> None:
    n = 1000
    newest = {i: random.Random(i).randint(1, 4) for i in range(n)}
    payloads = [version_of(i, v) for i in range(n) for v in range(newest[i] + 1)]
    rng = random.Random(7)
    for round_ in range(3):
        rng.shuffle(payloads)
        result = kit.ingest(iter(payloads))  # a stream, consumed in chunks
        assert not result.rejected
        if round_ > 0:  # nothing new after the first pass
            assert result.created == 0 and result.updated == 0
    t = kit.store.tables
    with kit.store.db.transaction() as conn:
        rows = conn.execute(
            sa.select(t.orders.c.external_id, t.orders.c.lifecycle, t.orders.c.platform_modified_at)
        ).all()
        dedup = conn.execute(
            sa.select(t.timeline.c.dedup_key, sa.func.count())
            .group_by(t.timeline.c.dedup_key)
            .having(sa.func.count() > 1)
        ).all()
        created = conn.execute(
            sa.select(sa.func.count()).select_from(t.timeline).where(t.timeline.c.kind == "created")
        ).scalar_one()
    assert len(rows) == n
    expected = {
        "WAIT_PAY": "pending_payment",
        "PAID": "paid",
        "SHIPPED": "shipped",
        "SIGNED": "delivered",
        "FINISHED": "completed",
    }
    for row in rows:
        i = int(row.external_id[1:])
        assert row.lifecycle == expected[STATUSES[newest[i]]], row
        assert row.platform_modified_at.hour == 2 + newest[i]  # 1v:00 +08:00 in UTC
    assert dedup == []
    assert created == n


def test_identical_and_older_payloads_write_nothing(kit: OrderKit) -> None:
    kit.ingest([version_of(1, 2)])
    before = counts(kit)
    stored = kit.get("own-mini/E00001")
    assert kit.ingest([version_of(1, 2)]).unchanged == 1
    assert kit.ingest([version_of(1, 1)]).unchanged == 1
    assert counts(kit) == before
    assert kit.get("own-mini/E00001").version == stored.version


def test_equal_time_different_content_is_applied(kit: OrderKit) -> None:
    kit.ingest([version_of(1, 1)])
    changed = version_of(1, 1) | {"seller_memo": "加急"}
    result = kit.ingest([changed])
    assert result.updated == 1
    stored = kit.get("own-mini/E00001")
    assert stored.order.seller_memo == "加急" and stored.version == 2


def test_lower_ranked_status_is_kept_with_one_event_even_on_replay(kit: OrderKit) -> None:
    kit.ingest([version_of(1, 2)])  # shipped
    stale = make_order_payload(
        external_id="E00001",
        modified_at="2026-11-11T13:00:00+08:00",
        platform_status={"status": "PAID"},
    )
    for _ in range(3):
        kit.ingest([stale])
    stored = kit.get("own-mini/E00001")
    assert stored.lifecycle == "shipped" and stored.platform_lifecycle == "paid"
    kinds = [e.kind for e in kit.timeline("own-mini/E00001")]
    assert kinds.count("status_not_applied") == 1


def test_terminal_status_always_applies_and_intercepts_before_shipping(kit: OrderKit) -> None:
    kit.ingest([version_of(1, 1)])  # paid
    cancelled = make_order_payload(
        external_id="E00001",
        modified_at="2026-11-11T12:00:00+08:00",
        platform_status={"status": "CANCELLED"},
    )
    kit.ingest([cancelled])
    assert kit.get("own-mini/E00001").lifecycle == "cancelled"
    assert "interception" in [e.kind for e in kit.timeline("own-mini/E00001")]
    topics = [e.topic for e in kit.outbox.poll(100)]
    assert "order.intercept" in topics


def test_bad_payload_goes_to_dead_letters_and_the_batch_goes_on(kit: OrderKit) -> None:
    bad = make_order_payload(external_id="BAD1", amounts={"goods_total": "329.00", "paid": 32900})
    result = kit.ingest([version_of(1, 1), bad, version_of(2, 1), b"{not json"])
    assert result.created == 2
    assert [r.index for r in result.rejected] == [1, 3]
    assert result.rejected[0].field == "amounts.goods_total"
    letters = kit.dead_letters()
    assert len(letters) == 2
    assert letters[0].external_id == "BAD1" and "amounts.goods_total" in letters[0].error
    kit.ingest([bad])  # the same bad payload again only counts
    assert [letter.seen_count for letter in kit.dead_letters()] == [2, 1]


def test_fixed_dead_letter_replayed_is_ingested_once(kit: OrderKit) -> None:
    bad = make_order_payload(external_id="FIX1", amounts={"goods_total": "329.00", "paid": 32900})
    kit.ingest([bad])
    [letter] = kit.dead_letters()
    still_bad = kit.replay_dead_letters()
    assert still_bad.rejected and kit.dead_letters()[0].id == letter.id  # no second letter
    kit.store.dead_letters.fix(letter.id, make_order_payload(external_id="FIX1"))
    assert kit.replay_dead_letters([letter.id]).created == 1
    assert kit.replay_dead_letters().total == 0  # resolved: nothing to replay
    assert kit.ingest([make_order_payload(external_id="FIX1")]).unchanged == 1
    assert counts(kit)["orders"] == 1
    assert kit.dead_letters() == [] and kit.dead_letters(include_resolved=True)[0].resolution


def test_unmapped_status_is_held_not_guessed(kit: OrderKit) -> None:
    kit.ingest([make_order_payload(external_id="U1", platform_status={"status": "ON_THE_MOON"})])
    stored = kit.get("own-mini/U1")
    assert [h.code for h in stored.order.hold_reasons] == ["unmapped_status"]
    assert "unmapped_status" in [e.kind for e in kit.timeline("own-mini/U1")]
    # the platform's next word maps again: the hold goes
    kit.ingest([make_order_payload(external_id="U1", modified_at="2026-11-11T12:00:00+08:00")])
    assert kit.get("own-mini/U1").order.hold_reasons == []


def test_address_changed_after_payment_is_recorded_and_held(kit: OrderKit) -> None:
    kit.ingest(
        [make_order_payload(external_id="A1", receiver={"raw": "浙江省杭州市西湖区文三路1号"})]
    )
    moved = make_order_payload(
        external_id="A1",
        modified_at="2026-11-11T12:00:00+08:00",
        receiver={"raw": "浙江省杭州市上城区解放路9号"},
    )
    kit.ingest([moved])
    stored = kit.get("own-mini/A1")
    assert "address_changed_after_payment" in [h.code for h in stored.order.hold_reasons]
    events = [e for e in kit.timeline("own-mini/A1") if e.kind == "address_changed"]
    assert len(events) == 1 and events[0].detail["after"] == "浙江省杭州市上城区解放路9号"


def test_row_timeline_and_outbox_commit_together(kit: OrderKit) -> None:
    kit.ingest([version_of(i, 1) for i in range(5)])
    assert counts(kit) == Counter(orders=5, events=5, outbox=5)
    events = kit.outbox.poll(10)
    assert len({e.id for e in events}) == 5 and {e.topic for e in events} == {"order.created"}


def test_a_stream_is_consumed_in_chunks(kit: OrderKit) -> None:
    taken: list[int] = []

    def stream() -> Iterator[dict[str, Any]]:
        for i in range(1200):
            taken.append(i)
            yield version_of(i, 1)

    assert kit.ingest(stream()).created == 1200
    assert len(taken) == 1200


def test_alternating_equal_time_payloads_each_leave_an_event(kit: OrderKit) -> None:
    a = make_order_payload(external_id="Z1", seller_memo="A")
    b = make_order_payload(external_id="Z1", seller_memo="B")
    for payload in (a, b, a):
        kit.ingest([payload])
    stored = kit.get("own-mini/Z1")
    assert stored.order.seller_memo == "A" and stored.version == 3
    kinds = [e.kind for e in kit.timeline("own-mini/Z1")]
    assert kinds == ["created", "platform_update", "platform_update"]
    assert len(kit.outbox.poll(10)) == 3  # a consumer's last event matches the store


def test_snapshot_written_once_reads_back_equal(kit: OrderKit) -> None:
    payload = make_order_payload(
        external_id="S9",
        platform_status={"status": "ON_THE_MOON"},
        buyer={"buyer_id": "b1", "message": "快点"},
    )
    kit.ingest([payload])
    stored = kit.get("own-mini/S9").order
    expected = Order.model_validate(payload)
    assert stored.model_dump(exclude={"id", "status", "hold_reasons"}) == expected.model_dump(
        exclude={"id", "status", "hold_reasons"}
    )
    assert (
        stored.id and stored.status and [h.code for h in stored.hold_reasons] == ["unmapped_status"]
    )


def test_counts_only_for_long_streams(kit: OrderKit) -> None:
    result = kit.ingest((version_of(i, 1) for i in range(700)), keep_ids=False)
    assert result.created == 700 and result.created_ids == []
