"""Wires one process together: demo systems, catalog, database, collector."""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field

from dashboard.alerts.jobs import install as install_alert_jobs
from dashboard.alerts.settings import AlertSettings
from dashboard.catalog.loader import Catalog, apply_catalog, load_catalog
from dashboard.config import Settings
from dashboard.domain.status import FlapSettings
from dashboard.monitoring.collector import Collector, RetentionPolicy
from dashboard.monitoring.spool import Spool
from dashboard.reports.snapshots import install as install_snapshot_job
from dashboard.store.database import Database

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    settings: Settings
    db: Database
    catalog: Catalog
    collector: Collector | None = None
    demo: object | None = None  # dashboard.demo.network.DemoNetwork when the demo runs
    notes: list[str] = field(default_factory=list)

    def stop(self) -> None:
        if self.collector:
            self.collector.stop()
        if self.demo:
            self.demo.stop()
        self.db.dispose()


def start(settings: Settings, collect: bool = True) -> Runtime:
    """Start the demo (if asked), validate the catalog, migrate and fill the database, and
    start the collector. A bad catalog raises CatalogError before the database is touched."""
    demo = None
    env = dict(os.environ)
    if settings.demo:
        # The demo package (simulated systems, plans, feeds) is imported only when the demo runs,
        # so a production process never loads it.
        from dashboard.demo import alert_feed as demo_alerts
        from dashboard.demo.network import DemoNetwork, env_for

        demo = DemoNetwork(host="127.0.0.1", base_port=settings.demo_port_base).start()
        env.update(env_for(demo))
    try:
        catalog = load_catalog(settings.catalog_path, env)
        if settings.database_url is None:
            settings.data_dir.mkdir(parents=True, exist_ok=True)
        db = Database(settings.db_url)
        with db.session() as session:
            counts = apply_catalog(session, catalog)
        log.info("catalog %s applied: %s", catalog.source, counts)
        if settings.demo:
            from dashboard.demo.plans import load_demo_plans
            from dashboard.readmodels.plans import local_today

            with db.session() as session:
                if load_demo_plans(session, local_today()):
                    log.info("demo plans loaded (Dữ liệu trình diễn / demo data)")
            from dashboard.demo.inventory import load_demo_inventory

            with db.session() as session:
                if load_demo_inventory(session, local_today()):
                    log.info("demo inventory loaded (Dữ liệu trình diễn / demo data)")
            from dashboard.demo.history import seed_in_background

            # beside the start, not before it: a loaded machine then still serves within seconds
            seed_in_background(db)
        runtime = Runtime(settings, db, catalog, demo=demo)
        if collect:
            from collectors.heartbeat import use_source
            from dashboard.monitoring.heartbeats import PingReader

            use_source(PingReader(db))  # the heartbeat probe reads received pings through this
            runtime.collector = Collector(db, workers=settings.probe_workers, retention=RetentionPolicy(
                settings.raw_retention_days, settings.hourly_retention_days, settings.daily_retention_days),
                flap=FlapSettings(settings.flap_changes, settings.flap_window_s, settings.flap_quiet_s),
                spool=Spool(settings.data_dir / "spool", settings.spool_max_results))
            runtime.collector.start()
            alert_settings = AlertSettings.from_env()
            if settings.demo:
                alert_settings = demo_alerts.with_demo_siem(alert_settings)
            jobs = install_alert_jobs(runtime.collector, alert_settings)
            install_snapshot_job(runtime.collector, settings.verified_days)
            if settings.demo:
                demo_alerts.install(runtime.collector, jobs, settings)
        return runtime
    except BaseException:
        if demo:
            demo.stop()
        raise
