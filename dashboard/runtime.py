"""Wires one process together: demo systems, catalog, database, collector."""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field, replace

from dashboard.alerts import rules as alert_rules
from dashboard.alerts.jobs import install as install_alert_jobs
from dashboard.alerts.settings import AlertSettings
from dashboard.catalog import revisions
from dashboard.catalog.loader import Catalog, CatalogError, apply_catalog, load_catalog, notification_warnings, validate_document
from dashboard.catalog.watch import CatalogFileWatcher
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
    watcher: CatalogFileWatcher | None = None  # the authoritative catalog file, re-read on change

    def reload_catalog(self) -> None:
        """Re-read the catalog file now (SIGHUP); nothing when the database is authoritative."""
        if self.watcher is not None:
            self.watcher.reload_now()

    def stop(self) -> None:
        if self.watcher:
            self.watcher.stop()
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
        from_file = settings.catalog is not None or settings.demo
        # a catalog file is read and validated before the database is touched
        catalog = load_catalog(settings.catalog_path, env) if from_file else None
        if settings.database_url is None:
            settings.data_dir.mkdir(parents=True, exist_ok=True)
        db = Database(settings.db_url)
        catalog = _load_into_database(db, settings, catalog)
        for warning in notification_warnings(catalog.spec):
            log.warning("catalog %s: %s", catalog.source, warning)
        if settings.demo:
            # The inventory first: the plans' past coverage points count its connections too.
            from dashboard.demo.inventory import load_demo_inventory
            from dashboard.demo.plans import load_demo_plans
            from dashboard.readmodels.plans import local_today

            with db.session() as session:
                if load_demo_inventory(session, local_today()):
                    log.info("demo inventory loaded (Dữ liệu trình diễn / demo data)")
            with db.session() as session:
                if load_demo_plans(session, local_today()):
                    log.info("demo plans loaded (Dữ liệu trình diễn / demo data)")
            from dashboard.demo.reporters import load_demo_reports

            with db.session() as session:
                if load_demo_reports(session, local_today()):
                    log.info("demo agency reports loaded (Dữ liệu trình diễn / demo data)")
            from dashboard.demo.history import seed_in_background

            # beside the start, not before it: a loaded machine then still serves within seconds
            seed_in_background(db)
        runtime = Runtime(settings, db, catalog, demo=demo)
        if collect and settings.catalog is not None:
            runtime.watcher = CatalogFileWatcher(settings.catalog, env, db, on_problem=_catalog_file_invalid,
                                                 on_good=_catalog_file_good).start()
        if collect:
            from collectors.heartbeat import use_source
            from dashboard.monitoring.heartbeats import PingReader

            use_source(PingReader(db))  # the heartbeat probe reads received pings through this
            runtime.collector = Collector(db, workers=settings.probe_workers, retention=RetentionPolicy(
                settings.raw_retention_days, settings.hourly_retention_days, settings.daily_retention_days),
                flap=FlapSettings(settings.flap_changes, settings.flap_window_s, settings.flap_quiet_s),
                spool=Spool(settings.data_dir / "spool", settings.spool_max_results), own_process=True)
            runtime.collector.start()
            alert_settings = AlertSettings.from_env()
            if not alert_settings.public_url:  # messages link to this server's pages
                alert_settings = replace(alert_settings, public_url=f"http://{settings.host}:{settings.port}")
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


CATALOG_ALERT_KEY = "catalog-file-invalid"


def _load_into_database(db: Database, settings: Settings, catalog: Catalog | None) -> Catalog:
    """The catalog in force, applied to the tables. With a file (`--catalog`, or the demo's own
    catalog, whose ports change at every start) the file is stored as a revision when it differs
    from the last one; without, the newest revision in the database is the catalog."""
    with db.session() as session:
        if catalog is not None:
            source = settings.catalog_path
            revisions.save(session, None, catalog=catalog, from_file=True, apply=False,
                           action="file" if settings.catalog is not None else "demo", author=f"file:{source.name}")
            # the file decides when given; the demo's catalog is a starting point to edit
            revisions.set_mode(session, f"file:{source}" if settings.catalog is not None else "db")
        else:
            row = revisions.current(session)
            if row is None:
                raise CatalogError("database", ["the database holds no catalog yet: import one with "
                                                "`python app.py catalog import FILE`, or start with --catalog FILE"])
            catalog = validate_document(row.document, f"catalog revision {row.id}")
            revisions.set_mode(session, "db")
        counts = apply_catalog(session, catalog)
    log.info("catalog %s applied: %s", catalog.source, counts)
    return catalog


def _catalog_file_invalid(session, problems: list[str], kept: int | None) -> None:
    """A visible alert on the security page (and its notifications) while the file is bad."""
    alert_rules.raise_alert(session, alert_rules.AlertInput(
        source_kind="manual", source="catalog", severity="high", category="catalog",
        title=f"Tệp danh mục không hợp lệ, giữ phiên bản {kept} / Catalog file invalid, revision {kept} kept",
        description="\n".join(problems[:50]), fingerprint=CATALOG_ALERT_KEY))


def _catalog_file_good(session, revision: int | None) -> None:
    alert_rules.auto_resolve(session, CATALOG_ALERT_KEY, f"catalog file valid again (revision {revision})")
