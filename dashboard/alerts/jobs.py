"""The alert jobs on the collector's scheduler: probe-derived alerts every minute,
notification detection and delivery every few seconds, and the SIEM pull. Every job runs only
while this collector holds the lease, and catches its own errors: a failing job never stops
the scheduler.

`install(collector)` is called once after the collector starts (dashboard/runtime.py).
"""
from __future__ import annotations

import logging

from dashboard.alerts.settings import AlertSettings

log = logging.getLogger(__name__)

DERIVE_EVERY_S = 60.0
NOTIFY_EVERY_S = 5.0  # a route's first message goes out within a check interval + this
REMIND_EVERY_S = 3600.0  # the weekly reminder is stored once a week; hourly runs catch up after an outage


def install(collector, alert_settings: AlertSettings | None = None) -> AlertJobs:
    alert_settings = alert_settings or AlertSettings.from_env()
    jobs = AlertJobs(collector, alert_settings)
    scheduler = collector.scheduler
    scheduler.add_job(jobs.derive, "interval", seconds=DERIVE_EVERY_S, id="_alerts_derive")
    scheduler.add_job(jobs.notify, "interval", seconds=NOTIFY_EVERY_S, id="_alerts_notify")
    scheduler.add_job(jobs.remind, "interval", seconds=REMIND_EVERY_S, id="_reporters_remind")
    if alert_settings.wazuh_url:
        scheduler.add_job(jobs.pull_siem, "interval", seconds=alert_settings.wazuh_interval_s, id="_alerts_siem")
    return jobs


class AlertJobs:
    def __init__(self, collector, settings: AlertSettings):
        self.collector = collector
        self.settings = settings
        self._sender = None
        self._mail = None  # (the reminders' per-address sender factory or None,) once read

    def guarded(self, name: str, job) -> None:
        if not self.collector.is_leader:
            return
        try:
            job()
        except Exception:  # noqa: BLE001 - log and carry on; the next run tries again
            log.exception("alert job %s failed; will run again", name)

    def derive(self) -> None:
        from dashboard.alerts.probe_alerts import derive_probe_alerts

        def run():
            with self.collector.db.session() as session:
                derive_probe_alerts(session, self.settings)
        self.guarded("probe alerts", run)

    def sender(self):
        if self._sender is None and self.settings.notify_urls:
            from dashboard.alerts.notify import AppriseSender

            self._sender = AppriseSender(list(self.settings.notify_urls))
        return self._sender

    def notify(self) -> None:
        from dashboard.alerts.notify import deliver_pending, queue_escalations, queue_state_changes
        from dashboard.alerts.reminders import mail_sender_factory

        if self._mail is None:
            self._mail = (mail_sender_factory(),)

        def run():
            with self.collector.db.session() as session:
                queue_state_changes(session)
            with self.collector.db.session() as session:
                queue_escalations(session)
            deliver_pending(self.collector.db.session, self.sender(), self.settings.notify_max_per_minute,
                            link_base=self.settings.public_url or "", recipient_sender=self._mail[0])
        self.guarded("notifications", run)

    def remind(self) -> None:
        from dashboard.alerts.reminders import queue_weekly_reminders

        def run():
            with self.collector.db.session() as session:
                queued = queue_weekly_reminders(session)
            if queued:
                log.info("weekly reminders stored for %d reporter(s)", queued)
        self.guarded("weekly reminders", run)

    def pull_siem(self) -> None:
        from dashboard.alerts.siem import pull

        def run():
            report = pull(self.collector.db, self.settings)
            if report.fetched:
                log.info("Wazuh: %d alerts fetched, %d new", report.fetched, report.created)
        self.guarded("SIEM pull", run)
