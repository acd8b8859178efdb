"""Crash safety: ``orderkit run --once`` killed with SIGKILL at random points
and restarted ends exactly where an uninterrupted run ends: the same orders,
statuses, gifts, reservations, waybills and outbox ids; nothing lost, nothing
done twice (the timeline counts every kind of event per order). Monitor
alerts are left out of the outbox comparison: they read the wall clock."""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from .crash_support import fingerprint, run_cli, workspace

ORDERS = 8000
KILLS = 5

pytestmark = pytest.mark.slow


def test_sigkill_at_random_points_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    t0 = datetime.now(UTC).replace(microsecond=0)
    results = {}
    for name in ("straight", "killed"):
        with workspace(tmp_path, name, t0, ORDERS) as (config, url):
            kills = 0
            if name == "killed":
                rng = random.Random(2026)
                while kills < KILLS:
                    process = run_cli(config)
                    time.sleep(rng.uniform(1.5, 4.0))
                    if process.poll() is not None:
                        break  # finished before we struck: the rest runs straight
                    process.kill()  # SIGKILL: no handler, no cleanup
                    process.wait()
                    kills += 1
            final = run_cli(config)
            _, err = final.communicate(timeout=900)
            assert final.returncode == 0, err[-3000:]
            results[name] = fingerprint(url)
            if name == "killed":
                assert kills >= KILLS, f"the run finished after {kills} kills; size it up"
    straight, killed = results["straight"], results["killed"]
    assert len(straight["orders"]) >= ORDERS * 0.9
    assert sum(1 for s in straight["shipments"] if s[-1] == "uploaded") > 500
    for key in ("orders", "reservations", "shipments", "gift_claims", "outbox", "timeline"):
        assert killed[key] == straight[key], f"{key} differ after crashes"
