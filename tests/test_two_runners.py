"""Two ``orderkit run`` processes on one PostgreSQL database over the same
shops share the work: every order is processed exactly once, every parcel is
booked and uploaded once (the timeline proves it), and both did some of it."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from .crash_support import run_cli, start_sandboxes, write_config
from .databases import drop_prefixed, new_prefix, server_url

pytestmark = [pytest.mark.slow, pytest.mark.postgres]


def test_two_runners_on_postgres_do_nothing_twice(tmp_path: Path) -> None:
    url = server_url("postgres")
    prefix = new_prefix()
    t0 = datetime.now(UTC).replace(microsecond=0)
    servers = start_sandboxes(t0, 1500, shops=2)
    try:
        config = write_config(tmp_path, url, servers, shops=2, prefix=prefix)
        runners = [run_cli(config), run_cli(config)]
        outputs = [runner.communicate(timeout=900) for runner in runners]
        for runner, (_, err) in zip(runners, outputs, strict=True):
            assert runner.returncode == 0, err[-3000:]
        engine = sa.create_engine(url)
        with engine.connect() as conn:
            events = conn.execute(
                sa.text(f"SELECT order_id, kind, actor, detail FROM {prefix}timeline")
            ).all()
            decided = conn.execute(
                sa.text(f"SELECT COUNT(*) FROM {prefix}orders WHERE decided_version IS NOT NULL")
            ).scalar()
            runs = dict(conn.execute(sa.text(f"SELECT name, runs FROM {prefix}jobs")).all())
        engine.dispose()
    finally:
        servers.stop()
        drop_prefixed(url, prefix)
    processed = Counter(e.order_id for e in events if e.kind.startswith("processed:"))
    assert decided and len(processed) >= decided * 0.9
    assert set(processed.values()) == {1}, "an order was processed twice"
    waybills = Counter(e.order_id for e in events if e.kind == "waybill")
    uploads = Counter(e.order_id for e in events if e.kind == "tracking_uploaded")
    assert waybills and uploads
    # one waybill per parcel: an order has as many waybill events as uploads (+ refusals)
    refused = Counter(e.order_id for e in events if e.kind == "tracking_refused")
    assert all(waybills[o] == uploads[o] + refused[o] for o in waybills)
    # the work was shared: processing is leased in shards, and both runners took some
    owners = {e.actor for e in events if e.kind.startswith("processed:")}
    assert owners == {"system:process"}
    assert sum(v for k, v in runs.items() if k.startswith("process:")) >= 4
    summaries = [out.strip().splitlines()[-1] for out, _ in outputs]
    done = [int(s.split("done=")[1].split()[0]) for s in summaries]
    assert all(n > 0 for n in done), summaries
