"""Quảng Ngãi IOC monitor — command line.

    python app.py                 web + collector, with the built-in demo systems
    python app.py serve           web only (production: collector runs as its own process)
    python app.py collect         collector only
    python app.py check-catalog F validate a catalog file and exit
    python app.py catalog …       the catalog in the database: export --out F, import F [--dry-run], revisions, rollback REV
    python app.py user …          accounts: create, list, set-role, disable, enable, reset-password, logout-all
    python app.py token …         read-only API tokens and wall kiosk tokens: create, list, revoke
    python app.py agent --server URL  a remote collector (token in IOC_AGENT_TOKEN): docs/agents.md
    python app.py report …        --kind monthly|quarterly|weekly --period 2026-11|2026-Q4|2026-W48 --format docx|xlsx --out F
"""
from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import sys
import threading
from pathlib import Path

from dashboard import config


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="app.py",
        description="Monitoring dashboard of the Quảng Ngãi Intelligent Operations Center (IOC).",
        epilog="Every flag has an IOC_* environment variable; flags win. Without --catalog the built-in demo systems start.",
    )
    parser.add_argument(
        "command", nargs="?", default="all", choices=("all", "serve", "collect", "check-catalog"),
        help="all (default): web and collector in one process; serve: web only; collect: collector only; "
        "check-catalog: validate the catalog and exit",
    )
    parser.add_argument("catalog_file", nargs="?", help=argparse.SUPPRESS)
    config.add_arguments(parser)
    return parser


@contextlib.contextmanager
def _demo_env(missing: list[str]):
    """The demo catalog's ${IOC_DEMO_…} values, made as `python app.py` makes them: from a demo
    network started (on loopback, ephemeral ports) for the check and stopped after it."""
    from dashboard.demo.network import DemoNetwork, env_for

    network = DemoNetwork(host="127.0.0.1").start()
    try:
        yield env_for(network), "from a demo network started for this check, as `python app.py` does"
    finally:
        network.stop()


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in ("user", "token"):  # access control
        from dashboard.auth import cli

        return cli.main(argv)
    if argv and argv[0] == "catalog":  # the catalog kept in the database: export, import, revisions
        from dashboard.catalog import cli as catalog_cli

        return catalog_cli.main(argv[1:])

    if argv and argv[0] == "agent":  # a remote collector in another network (docs/agents.md)
        from dashboard.agent import cli as agent_cli

        return agent_cli.main(argv[1:])
    if argv and argv[0] == "report":  # monthly / quarterly / weekly reports upward (DOCX, XLSX)
        from dashboard.reports import cli as report_cli

        return report_cli.main(argv[1:])
    args = build_parser().parse_args(argv)
    if args.command == "check-catalog" and args.catalog_file:
        args.catalog = args.catalog_file
    settings = config.from_args(args)
    from dashboard.logs import configure as configure_logging

    try:
        configure_logging(settings.log_level)  # IOC_LOG_FORMAT=json for JSON lines; tracebacks rate-limited
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    # Werkzeug logs every request at INFO: too loud with a wall refreshing every few seconds.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)  # one line per migration plugin otherwise

    from dashboard.catalog.loader import CatalogError, load_catalog

    if args.command == "check-catalog":
        from dashboard.catalog.check import check

        demo = Path(settings.catalog_path).resolve() == config.DEMO_CATALOG.resolve()
        report = check(settings.catalog_path, fill_env=_demo_env if demo else None)
        print(report.text, file=sys.stdout if report.ok else sys.stderr)
        return report.exit_code

    # Start-up checks, before anything is written: settings that would refuse later, then the
    # lock that keeps a second instance off this data directory / database.
    from dashboard.store.instance_lock import AlreadyRunning, InstanceLock, restrict_data_dir

    os.umask(0o077)  # whatever this process creates (database, WAL, spool, lock) is its user's alone
    if settings.catalog is not None:
        # a catalog file is read and validated first (nothing is written): its errors come first
        try:
            load_catalog(settings.catalog_path)
        except CatalogError as exc:
            print(f"error: {exc}\nNothing was loaded; fix the catalog and start again.", file=sys.stderr)
            return 2
    if args.command in ("all", "serve"):
        from dashboard.auth.settings import SettingsError, from_env

        try:
            from_env(demo=settings.demo)
        except SettingsError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    try:
        lock = InstanceLock(settings.data_dir, settings.database_url, exclusive=args.command == "all").acquire()
    except AlreadyRunning as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 3
    restrict_data_dir(settings.data_dir)

    from dashboard import runtime as runtime_module

    try:
        runtime = runtime_module.start(settings, collect=args.command in ("all", "collect"))
    except CatalogError as exc:
        lock.release()
        print(f"error: {exc}\nNothing was loaded; fix the catalog and start again.", file=sys.stderr)
        return 2
    restrict_data_dir(settings.data_dir)

    def terminate(*_):
        raise SystemExit(0)  # unwinds app.run / the wait below, so `finally` stops the runtime

    signal.signal(signal.SIGTERM, terminate)
    if hasattr(signal, "SIGHUP"):
        # re-read the catalog file now (with --catalog FILE; it is also re-read when it changes)
        signal.signal(signal.SIGHUP, lambda *_: runtime.reload_catalog())
    try:
        if args.command == "collect":
            print(f"collector running ({runtime.db.engine.url.render_as_string(hide_password=True)}); Ctrl-C to stop", flush=True)
            threading.Event().wait()
        else:
            from dashboard.auth.settings import SettingsError
            from dashboard.web.app import create_app

            try:
                app = create_app(runtime)
            except SettingsError as exc:
                print(f"error: {exc}", file=sys.stderr)
                return 2
            if runtime.demo:
                from dashboard.demo import accounts as demo_access

                name, password, kiosk = demo_access.prepare(runtime.db)
                base = f"http://{settings.host}:{settings.port}"
                print(f"demo login: {name} / {password}  (one-time password, new at each start)", flush=True)
                print(f"wall kiosk link (no login): {base}/wall?kiosk={kiosk}", flush=True)
                from dashboard.demo import reporters as demo_reporters

                names, reporter_password = demo_reporters.prepare(runtime.db)
                print(f"demo reporters (agencies' focal points, /my): {', '.join(names)} / {reporter_password}", flush=True)
                print("demo systems: " + ", ".join(f"{k}={v}" for k, v in runtime.demo.urls().items()), flush=True)
                # The simulated commune server pushes heartbeats to this web server.
                local = "127.0.0.1" if settings.host in ("0.0.0.0", "::", "") else settings.host
                runtime.demo.start_heartbeats(f"http://{local}:{settings.port}")
            print(f"IOC dashboard on http://{settings.host}:{settings.port}/", flush=True)
            # No reloader: it would start a second collector in the child process.
            from dashboard.web.server import QuietRequestHandler

            app.run(host=settings.host, port=settings.port, debug=False, use_reloader=False, threaded=True,
                    request_handler=QuietRequestHandler)
    except KeyboardInterrupt:
        pass
    finally:
        runtime.stop()
        lock.release()
    return 0


if __name__ == "__main__":
    sys.exit(main())
