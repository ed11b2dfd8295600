"""python app.py agent --server URL [--token T] [--data-dir D]: run a remote agent.

The token is better given as IOC_AGENT_TOKEN (a flag shows in the process list). Every flag has
an IOC_AGENT_* variable; flags win."""
from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
from pathlib import Path

from collectors.timeutil import parse_duration
from dashboard.agent.buffer import DEFAULT_MAX_RESULTS, BufferInUse
from dashboard.agent.client import AgentSettings, RemoteAgent, SettingsError


def build_parser() -> argparse.ArgumentParser:
    env = os.environ.get
    parser = argparse.ArgumentParser(
        prog="app.py agent",
        description="A remote collector of the IOC monitor: checks the endpoints of its token's vantage and sends "
                    "the results to the server in signed batches, buffering them on disk while the server is away.")
    parser.add_argument("--server", default=env("IOC_AGENT_SERVER"), help="the IOC server, e.g. https://ioc.example.vn (env IOC_AGENT_SERVER)")
    parser.add_argument("--token", default=env("IOC_AGENT_TOKEN"), help="the agent token (better: env IOC_AGENT_TOKEN)")
    parser.add_argument("--data-dir", type=Path, default=Path(env("IOC_AGENT_DATA_DIR") or "agent-data"),
                        help="where the result buffer lives (env IOC_AGENT_DATA_DIR, default ./agent-data)")
    parser.add_argument("--batch-interval", default=env("IOC_AGENT_BATCH_INTERVAL") or "10s",
                        help="send results this often: 10, 10s, 1m (env IOC_AGENT_BATCH_INTERVAL, default 10s)")
    parser.add_argument("--max-buffer", type=int, default=int(env("IOC_AGENT_MAX_BUFFER") or DEFAULT_MAX_RESULTS),
                        help=f"results kept while the server is away; the oldest go first (default {DEFAULT_MAX_RESULTS})")
    parser.add_argument("--ca-bundle", default=env("IOC_AGENT_CA_BUNDLE"), help="CA file to trust for the server's certificate")
    parser.add_argument("--allow-http", action="store_true", help="allow plain http to a non-loopback server (trusted networks only)")
    parser.add_argument("--probe-workers", type=int, default=int(env("IOC_AGENT_PROBE_WORKERS") or 200))
    parser.add_argument("--log-level", default=env("IOC_LOG_LEVEL") or "INFO")
    return parser


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    from dashboard.logs import configure as configure_logging

    try:
        configure_logging(args.log_level)
        interval = parse_duration(args.batch_interval)
        settings = AgentSettings(server=args.server or "", token=(args.token or "").strip(), data_dir=args.data_dir,
                                 batch_interval_s=interval, max_buffer=args.max_buffer, ca_bundle=args.ca_bundle,
                                 allow_http=args.allow_http, probe_workers=args.probe_workers)
        os.umask(0o077)  # the buffer holds results and the assignment (targets, headers): this user's alone
        agent = RemoteAgent(settings)
    except (SettingsError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except BufferInUse as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 3
    logging.getLogger("urllib3").setLevel(logging.WARNING)
    signal.signal(signal.SIGTERM, lambda *_: agent.stop())
    print(f"agent running: server {agent.base}, buffer {agent.buffer.path}; Ctrl-C to stop", flush=True)
    try:
        agent.run()
    except KeyboardInterrupt:
        agent.stop()
    return 0
