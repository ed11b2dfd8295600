"""Catalogs shared by the catalog and probe tests, built in one place.

`minimal_catalog()` and `kinds_catalog()` are fixed texts (tests name their line numbers);
`catalog_with(endpoints)` builds a one-system catalog around any endpoints, for a new probe kind.
"""
from __future__ import annotations

import certifi
import yaml

HEARTBEAT_TOKEN = "Zt4uV0n9W2xq-commune-21025"
# the CA bundle must be a file that exists: any real PEM bundle will do
KINDS_ENV = {"HB": HEARTBEAT_TOKEN, "CA": certifi.where()}

DEMO_ENV = {f"IOC_DEMO_{name}_URL": f"http://127.0.0.1:{9000 + i}" for i, name in enumerate(
    ["LGSP", "QLVB", "HOP_KHONG_GIAY", "HTTT_NGUON", "DATA_PLATFORM", "IOC", "DVC"])}
DEMO_ENV.update({"IOC_DEMO_LGSP_PORT": "9000", "IOC_DEMO_DVC_TLS_PORT": "9443", "IOC_DEMO_CA_BUNDLE": certifi.where(),
                 "IOC_DEMO_HEARTBEAT_TOKEN": "demo-heartbeat-token-0123456789",
                 "IOC_DEMO_COMMUNE_SECRET": "demo-commune-secret-0123456789"})  # commune heartbeats

_MINIMAL = """\
version: 1
national_platforms:
  - id: ndxp
    name_vi: Nền tảng NDXP
    name_en: NDXP
agencies:
  - id: skhcn
    name_vi: Sở Khoa học và Công nghệ
    name_en: Department of Science and Technology
communes:
  include: false
systems:
  - id: lgsp
    name_vi: Nền tảng LGSP
    name_en: LGSP
    owner: skhcn
    partner: VNPT
    endpoints:
      - id: health
        url: http://127.0.0.1:9/health
        interval: 30s
        timeout: 5s
        conditions:
          - "[STATUS] == 200"
          - {condition: "[RESPONSE_TIME] < 2000", severity: degraded}
    connections:
      - platform: ndxp
        endpoint: health
"""

_KINDS = """\
version: 1
national_platforms:
  - id: ndxp
    name_vi: Nền tảng NDXP
    name_en: NDXP
agencies:
  - id: skhcn
    name_vi: Sở Khoa học và Công nghệ
    name_en: Department of Science and Technology
communes:
  include: false
systems:
  - id: lgsp
    name_vi: Nền tảng LGSP
    name_en: LGSP
    owner: skhcn
    endpoints:
      - id: port
        kind: tcp
        host: 127.0.0.1
        port: 8280
      - id: cert
        kind: tls
        host: lgsp.quangngai.gov.vn
        ca_bundle: ${CA}
        warning_days: 21
        critical_days: 5
      - id: name
        kind: dns
        host: lgsp.quangngai.gov.vn
        expected_addresses: [10.10.0.5, "2001:db8::5"]
      - id: hb
        kind: heartbeat
        token: ${HB}
        period: 5m
        interval: 1m
        timeout: 5s
      - id: link-ndxp
        kind: connection
        url: http://127.0.0.1:8280/links
        state_path: links.ndxp.state
        max_age: 10m
      - id: ndxp-direct
        kind: connection
        host: ndxp.gov.vn
        port: 443
    connections:
      - platform: ndxp
        endpoint: link-ndxp
"""


def minimal_catalog() -> str:
    """One system with one http endpoint (two conditions) linked to one national platform."""
    return _MINIMAL


def kinds_catalog() -> str:
    """One system with an endpoint of each built-in kind but http; ${HB} is the heartbeat token,
    ${CA} a CA bundle file."""
    return _KINDS


def catalog_with(endpoints: list[dict]) -> str:
    """A valid catalog with one system holding `endpoints` (dicts as written in YAML)."""
    document = {
        "version": 1,
        "agencies": [{"id": "skhcn", "name_vi": "Sở Khoa học và Công nghệ", "name_en": "Department of Science and Technology"}],
        "communes": {"include": False},
        "systems": [{"id": "mail", "name_vi": "Hệ thống thư điện tử", "name_en": "Mail system", "owner": "skhcn",
                     "endpoints": endpoints}],
    }
    return yaml.safe_dump(document, allow_unicode=True, sort_keys=False)


def one_big_system(n: int, interval: str = "60s", extra: str = "") -> str:
    """A catalog of one system with `n` HTTP endpoints (province-size imports and benchmarks);
    `extra` is added to every endpoint, e.g. its timeout and conditions."""
    endpoints = "".join(f"""      - id: e{i}
        url: http://127.0.0.1:{20000 + i % 1000}/health
        interval: {interval}
{extra}""" for i in range(n))
    return f"""version: 1
agencies:
  - id: skhcn
    name_vi: Sở Khoa học và Công nghệ
    name_en: Department of Science and Technology
communes:
  include: false
systems:
  - id: big
    name_vi: Hệ thống lớn
    name_en: A big system
    owner: skhcn
    endpoints:
{endpoints}"""
