"""The local result spool: order, the cap (oldest dropped), exactly-once removal, a spool left by
an ended run discarded, a running collector's spool left alone, bad settings refused."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from collectors.base import CheckResult, Status
from dashboard.monitoring.spool import Spool

T0 = datetime(2026, 12, 2, 5, 0, tzinfo=timezone.utc)


def results(n, start=0):
    return [(7, CheckResult(f"e.{i}", Status.DOWN if i % 2 else Status.UP, f"reason {i} — “đ”", checked_at=T0 + timedelta(seconds=i),
                            latency_ms=1.5, http_code=500 if i % 2 else 200, detail={"excerpt": "x"} if i % 2 else {}))
            for i in range(start, start + n)]


def test_round_trip_in_order_and_removal(tmp_path):
    spool = Spool(tmp_path)
    spool.append(results(5))
    spool.append(results(3, start=5))
    head = spool.head(100)
    assert [r.endpoint_id for _, _, r in head] == [f"e.{i}" for i in range(8)]
    seq, epoch, first = head[1]
    assert epoch == 7 and first == results(2)[1][1]  # every field survives
    spool.remove_up_to(head[3][0])
    assert [r.endpoint_id for _, _, r in spool.head(2)] == ["e.4", "e.5"] and len(spool) == 4
    spool.close()
    assert not list(tmp_path.iterdir())  # an empty spool leaves nothing behind


def test_when_full_the_oldest_are_dropped(tmp_path):
    spool = Spool(tmp_path, max_results=5)
    spool.append(results(4))
    spool.append(results(4, start=4))
    assert len(spool) == 5 and spool.dropped == 3
    assert [r.endpoint_id for _, _, r in spool.head(10)] == [f"e.{i}" for i in range(3, 8)]
    spool.close()


def test_a_spool_of_an_ended_run_is_discarded_a_running_one_kept(tmp_path, caplog):
    ended = Spool(tmp_path)
    ended.append(results(3))
    ended.close(remove=False)  # e.g. killed during an outage
    running = Spool(tmp_path)
    running.append(results(2))
    fresh = Spool(tmp_path)
    assert not ended.path.exists() and "discarding 3 results spooled by an earlier collector run" in caplog.text
    assert running.path.exists() and len(running) == 2 and len(fresh) == 0
    running.close()
    fresh.close()


def test_bad_cap_refused(tmp_path):
    with pytest.raises(ValueError):
        Spool(tmp_path, max_results=0)
