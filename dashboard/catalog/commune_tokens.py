"""Heartbeat tokens of the commune servers, derived from one secret (catalog `communes.heartbeat`).

token = base64url(HMAC-SHA256(secret, official unit code)), without '=' padding: 43 characters,
so the catalog holds one secret instead of 96 tokens, and any one unit's token can be printed
for installing on that commune's server:

    IOC_COMMUNE_HEARTBEAT_SECRET=... python -m dashboard.catalog.commune_tokens 21548
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import os
import sys

# The digest rule belongs to the heartbeat kind; re-exported for the ping receiver.
from collectors.heartbeat import token_digest  # noqa: F401

SECRET_ENV = "IOC_COMMUNE_HEARTBEAT_SECRET"
MIN_SECRET_CHARS = 16


def commune_token(secret: str, code: str) -> str:
    digest = hmac.new(secret.encode(), code.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m dashboard.catalog.commune_tokens",
        description=f"Print the heartbeat token of one commune-level unit (secret read from ${SECRET_ENV}).")
    parser.add_argument("code", help="official code of the unit, e.g. 21548 (Đặc khu Lý Sơn)")
    parser.add_argument("--secret-env", default=SECRET_ENV, help=f"environment variable holding the secret (default {SECRET_ENV})")
    args = parser.parse_args(argv)
    secret = os.environ.get(args.secret_env, "")
    if len(secret) < MIN_SECRET_CHARS:
        print(f"error: set {args.secret_env} to the secret of the catalog's communes.heartbeat block "
              f"(at least {MIN_SECRET_CHARS} characters)", file=sys.stderr)
        return 2
    from dashboard.domain.communes import province_units

    units = {unit.code: unit for unit in province_units()}
    code = args.code.strip().zfill(5)
    unit = units.get(code)
    if unit is None:
        print(f"error: {args.code!r} is not the official code of a commune-level unit of the province", file=sys.stderr)
        return 2
    token = commune_token(secret, code)
    print(f"# {unit.name} ({code}): POST /api/heartbeat/<token>", file=sys.stderr)
    print(token)
    return 0


if __name__ == "__main__":
    sys.exit(main())

