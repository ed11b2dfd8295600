"""The agent's side without a server: its buffer (order, cap, acknowledged results forgotten,
kept across a restart, one agent per directory) and the settings it refuses."""
from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from collectors.base import CheckResult, Status
from dashboard.agent.buffer import BufferInUse, ResultBuffer
from dashboard.agent.client import AgentSettings, SettingsError, check_settings, result_json
from dashboard.domain.agents import parse_batch


def item(n: int) -> dict:
    return {"id": str(uuid.UUID(int=n + 1)), "endpoint": "x.y", "n": n}


def test_results_come_out_in_order_and_only_acknowledged_ones_are_forgotten(tmp_path):
    buffer = ResultBuffer(tmp_path)
    buffer.append([item(n) for n in range(5)])
    assert [r["n"] for r in buffer.head(3)] == [0, 1, 2]
    buffer.remove([item(1)["id"], item(3)["id"]])
    assert [r["n"] for r in buffer.head(10)] == [0, 2, 4]
    buffer.append([item(2)])  # the same result again is not held twice
    assert len(buffer) == 3
    buffer.close()


def test_a_full_buffer_drops_the_oldest(tmp_path, caplog):
    buffer = ResultBuffer(tmp_path, max_results=3)
    assert buffer.append([item(n) for n in range(2)]) == 0
    assert buffer.append([item(n) for n in range(2, 5)]) == 2
    assert [r["n"] for r in buffer.head(10)] == [2, 3, 4] and buffer.dropped == 2
    buffer.append([item(5)])
    assert sum("buffer full" in r.getMessage() for r in caplog.records) == 1  # said once per outage
    buffer.close()


def test_the_buffer_and_the_assignment_survive_a_restart_and_one_agent_holds_a_directory(tmp_path):
    buffer = ResultBuffer(tmp_path)
    buffer.append([item(7)])
    buffer.save("assignment", {"vantage": "commune-net", "endpoints": []})
    with pytest.raises(BufferInUse):
        ResultBuffer(tmp_path)
    buffer.close()
    again = ResultBuffer(tmp_path)
    assert [r["n"] for r in again.head(5)] == [7]
    assert again.load("assignment") == {"vantage": "commune-net", "endpoints": []}
    assert (Path(tmp_path) / "agent-buffer.db").stat().st_mode & 0o077 == 0
    again.close()


def test_a_result_as_the_agent_sends_it_is_what_the_server_reads():
    made = CheckResult("dvc.portal", Status.DOWN, "connection refused", latency_ms=None, http_code=None,
                       detail={"excerpt": "x", "odd": object()}, missed=False)
    sent = result_json(made)
    parsed = parse_batch({"batch_id": str(uuid.uuid4()), "sent_at": made.checked_at.isoformat(), "results": [sent]})
    (only,) = parsed.results
    assert (only.id, only.endpoint_id, only.verdict, only.checked_at) == (sent["id"], "dvc.portal", "down", made.checked_at)
    assert result_json(made)["id"] != sent["id"]  # a new id per result made


GOOD = dict(server="https://ioc.quangngai.gov.vn", token="agent_" + "x" * 43, data_dir=Path("/tmp/x"))


@pytest.mark.parametrize("changes, message", [
    ({"server": "ioc.quangngai.gov.vn"}, "--server"),
    ({"server": "ftp://ioc"}, "--server"),
    ({"server": "http://10.10.0.5:8050"}, "in clear"),
    ({"token": ""}, "agent token"),
    ({"token": "ioc_readonly"}, "agent token"),
    ({"batch_interval_s": 0.1}, "--batch-interval"),
    ({"batch_size": 5000}, "--batch-size"),
    ({"max_buffer": 0}, "--max-buffer"),
])
def test_settings_that_would_leak_the_token_or_do_nothing_are_refused(changes, message):
    with pytest.raises(SettingsError) as caught:
        check_settings(AgentSettings(**{**GOOD, **changes}))
    assert message in str(caught.value)


@pytest.mark.parametrize("changes", [{}, {"server": "http://127.0.0.1:8050"}, {"server": "http://10.10.0.5", "allow_http": True}])
def test_settings_that_are_fine(changes):
    check_settings(AgentSettings(**{**GOOD, **changes}))
