"""WSGI entry for production web workers (gunicorn): the web app only, never a collector.

    gunicorn --config deploy/gunicorn.conf.py wsgi:app

Settings come from the environment (IOC_DATABASE_URL, IOC_CATALOG, IOC_SECRET_KEY, …); the
collector runs as its own process (`python app.py collect`). See docs/deployment.md.
"""
from __future__ import annotations

import os

from dashboard import config


def create_wsgi_app():
    """The Flask server of the Dash app, for a WSGI server."""
    settings = config.from_env()
    from dashboard.logs import configure as configure_logging

    configure_logging(settings.log_level)  # IOC_LOG_FORMAT=json for JSON lines; tracebacks rate-limited
    if settings.demo:
        raise SystemExit("error: the WSGI app serves a real catalog: set IOC_CATALOG (the demo runs with `python app.py`)")
    if not config.environment().get("IOC_SECRET_KEY"):
        raise SystemExit("error: IOC_SECRET_KEY is not set: every web worker must sign sessions with the same secret")
    from dashboard.auth.settings import SettingsError
    from dashboard.auth.settings import from_env as auth_settings

    try:
        auth_settings(demo=False)  # a weak secret key is refused before the database is touched
    except SettingsError as exc:
        raise SystemExit(f"error: {exc}") from None
    os.umask(0o077)  # whatever the workers create (SQLite files, spool) is the service user's alone
    from dashboard import runtime as runtime_module
    from dashboard.web.app import create_app

    runtime = runtime_module.start(settings, collect=False)  # web only: no scheduler here
    return create_app(runtime).server


app = create_wsgi_app()
