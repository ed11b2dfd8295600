"""The collector keeps checking through a database outage: a dedicated PostgreSQL cluster is
stopped for ~30 s under a running collector; every check made meanwhile goes to the local
spool and is stored exactly once when the database is back, with the state changes and the
incident it implies stamped at the time they happened."""
from __future__ import annotations

import logging
import os
import shutil
import subprocess
import tempfile
import threading
import time
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import select

from dashboard.monitoring.collector import Collector
from dashboard.monitoring.spool import Spool
from dashboard.store.database import Database
from dashboard.store.models import Agency, CheckResult, Endpoint, Incident, StateEvent, System
from tests.conftest import _pg_bindir, free_port, wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

OUTAGE_S = 30.0


class Cluster:
    """A throwaway PostgreSQL cluster of this test alone, so that stopping it harms no other test."""

    def __init__(self):
        bindir = _pg_bindir()
        if bindir is None:
            pytest.skip("PostgreSQL is not installed")
        self.bindir = bindir
        self.base = Path(tempfile.mkdtemp(prefix="ioc-outage-pg-"))
        self.datadir, self.port = self.base / "data", free_port()
        self.as_user = []
        if os.geteuid() == 0:
            shutil.chown(self.base, "postgres")
            self.as_user = ["runuser", "-u", "postgres", "--"]
        self.run("initdb", "-D", str(self.datadir), "-U", "ioc", "--auth=trust", "-E", "UTF8", "--locale=C")
        self.start()
        self.run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "ioc", "ioc_test")
        self.url = f"postgresql+psycopg://ioc@127.0.0.1:{self.port}/ioc_test"

    def run(self, tool, *args):
        subprocess.run(self.as_user + [str(self.bindir / tool), *args], check=True, capture_output=True, text=True)

    def start(self):
        self.run("pg_ctl", "-D", str(self.datadir), "-w", "-l", str(self.base / "log"),
                 "-o", f"-p {self.port} -k {self.base} -c listen_addresses=127.0.0.1 -c fsync=off", "start")

    def stop(self):
        self.run("pg_ctl", "-D", str(self.datadir), "-m", "fast", "-w", "stop")

    def destroy(self):
        subprocess.run(self.as_user + [str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-m", "immediate", "stop"],
                       capture_output=True)
        shutil.rmtree(self.base, ignore_errors=True)


@pytest.fixture
def cluster():
    cluster = Cluster()
    yield cluster
    cluster.destroy()


@pytest.fixture
def target():
    state = {"failing": False}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's name
            code = 500 if state["failing"] and self.path == "/b" else 200
            self.send_response(code)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", state
    server.shutdown()


def test_checks_during_a_postgres_outage_are_stored_exactly_once(cluster, target, tmp_path, caplog):
    url, state = target
    db = Database(cluster.url)
    with db.session() as session:
        session.add(Agency(id="skhcn", name_vi="Sở KH&CN", name_en="DoST", kind="department"))
        session.add(System(id="lgsp", name_vi="LGSP", name_en="LGSP", owner_agency_id="skhcn"))
        session.flush()
        for name in ("a", "b"):
            session.add(Endpoint(id=f"lgsp.{name}", system_id="lgsp", name=name, kind="http", target=f"{url}/{name}",
                                 interval_s=1.0, timeout_s=0.8, options={"conditions": ["[STATUS] == 200"]}))
    produced: list[tuple[str, datetime]] = []
    collector = Collector(db, housekeeping=False, spool=Spool(tmp_path / "spool"))
    original_put = collector._results_put

    def put(result):  # every result the engine hands to the writer, as it hands it
        produced.append((result.endpoint_id, result.checked_at))
        original_put(result)

    collector.engine.on_result = put
    caplog.set_level(logging.INFO, logger="dashboard.monitoring.collector")
    collector.start()
    try:
        def stored() -> list[CheckResult]:
            with db.session() as session:
                return session.scalars(select(CheckResult).order_by(CheckResult.checked_at)).all()

        wait_for(lambda: len(stored()) >= 4, 30, message="results before the outage")
        cluster.stop()
        down_at = datetime.now(timezone.utc)
        stopped = time.monotonic()
        wait_for(lambda: collector.db_down_since is not None, 15, message="the collector notices the outage")
        wait_for(lambda: time.monotonic() - stopped > OUTAGE_S / 2, OUTAGE_S)
        state["failing"] = True  # the service breaks while our database is down
        wait_for(lambda: len(collector.spool) > 0 and time.monotonic() - stopped > OUTAGE_S, OUTAGE_S + 10,
                 message="results spooled during the outage")
        spooled = len(collector.spool)
        assert collector.is_leader  # it kept checking
        cluster.start()
        up_at = datetime.now(timezone.utc)
        wait_for(lambda: collector.db_down_since is None and len(collector.spool) == 0, 60, 0.2,
                 message="the spool is replayed")
        wait_for(lambda: any(r.checked_at > up_at for r in stored() if r.endpoint_id == "lgsp.a"), 20)
    finally:
        collector.stop()

    rows = stored()
    during = [(r.endpoint_id, r.checked_at) for r in rows if down_at <= r.checked_at <= up_at]
    expected = [(e, t) for e, t in produced if down_at <= t <= up_at]
    # every check made during the outage is stored, exactly once
    assert len(expected) >= 2 * (OUTAGE_S - 3) and spooled >= 2 * (OUTAGE_S - 10)
    assert sorted(during) == sorted(expected)
    assert len(set(during)) == len(during)
    assert collector.replayed >= spooled
    # derived as if live: the failure during the outage opened an incident at its time
    with db.session() as session:
        incident = session.scalars(select(Incident).where(Incident.subject_id == "lgsp.b")).one()
        assert down_at < incident.started_at < up_at
        event = session.scalars(select(StateEvent).where(StateEvent.subject_id == "lgsp.b",
                                                         StateEvent.new_status == "down")).one()
        assert down_at < event.at < up_at
    db.dispose()
    # the log tells the story in two lines, with no traceback
    lines = [r.getMessage() for r in caplog.records if r.name == "dashboard.monitoring.collector"]
    assert sum("database unreachable since" in line for line in lines) == 1
    back = [line for line in lines if line.startswith("database back after")]
    assert len(back) == 1 and f"{collector.replayed} spooled results replayed" in back[0], lines
    assert not [r for r in caplog.records if r.exc_info]
