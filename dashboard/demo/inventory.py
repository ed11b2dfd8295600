"""A generated inventory of information systems for the demo ("Dữ liệu trình diễn / demo
data"): a few hundred rows, every one marked source="demo" and named with a "[Demo]" suffix so
nobody mistakes it for the province's real list. Deterministic (seeded); loaded only while the
inventory is empty. It goes through the same validation and import as a real file."""
from __future__ import annotations

import random
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from dashboard.plans import inventory as inv
from dashboard.plans import store
from dashboard.plans.progress import COMMUNE_KINDS
from dashboard.plans.reference import load_reference
from dashboard.store.models import Agency, InventorySystem, Link

DEMO_LABEL = "[Demo]"
# (code suffix, name, kind, platforms it must connect to, monitored shared system)
DEPARTMENT_SYSTEMS = (
    ("qlvb", "Phần mềm quản lý văn bản và điều hành", "chuyen_nganh", ("national-axis",), "qlvb"),
    ("motcua", "Hệ thống một cửa điện tử", "chuyen_nganh", ("national-dvc", "ndxp"), "dvc"),
    ("csdl", "Cơ sở dữ liệu chuyên ngành", "csdl", ("ndxp", "national-data-portal"), "data-platform"),
    ("cong", "Cổng thông tin điện tử", "chuyen_nganh", (), None),
    ("bao-cao", "Hệ thống thông tin báo cáo", "chuyen_nganh", ("central-source",), "httt-nguon"),
)
COMMUNE_SYSTEMS = (
    ("motcua", "Hệ thống một cửa điện tử cấp xã", "chuyen_nganh", ("national-dvc",), "dvc"),
    ("hotich", "Cơ sở dữ liệu hộ tịch", "csdl", ("ndxp",), "lgsp"),
)
HOSTING = ("Trung tâm dữ liệu tỉnh", "Đám mây doanh nghiệp", "Tại đơn vị")


def demo_rows(agencies: list[Agency], platforms: frozenset[str], linked: set[tuple[str, str]], today: date,
              seed: int = 16) -> list[dict]:
    """Rows in the template's columns. A row is declared integrated (with an evidence number)
    only where its monitored system really has a link to the platform, so live checks can
    verify it; others stay declared-not-verified or not declared."""
    rng = random.Random(seed)
    rows = []
    for agency in agencies:
        commune = agency.kind in COMMUNE_KINDS
        catalog = COMMUNE_SYSTEMS if commune else DEPARTMENT_SYSTEMS[: rng.randint(3, len(DEPARTMENT_SYSTEMS))]
        for suffix, name, kind, needs, system in catalog:
            wanted = tuple(p for p in needs if p in platforms)
            monitored = system if system and any((system, p) in linked for p in wanted) else None
            declared = bool(wanted) and rng.random() < (0.55 if monitored else 0.3)
            level = rng.choice((1, 2, 2, 3, 3, 4)) if kind != "csdl" or rng.random() < 0.8 else None
            rows.append({
                "code": f"{agency.id}-{suffix}"[:64], "name": f"{name} — {agency.name_vi} {DEMO_LABEL}",
                "agency": agency.id, "kind": kind, "platforms": list(wanted), "hosting": rng.choice(HOSTING),
                "partner": agency.partner, "security_level": level,
                "dossier": bool(level) and rng.random() < 0.6, "system": monitored,
                "integrated_on": today - timedelta(days=rng.randint(10, 120)) if declared else None,
                "evidence": f"Công văn số {rng.randint(100, 999)}/{agency.id.upper()[:8]}-CNTT (demo)" if declared else None,
            })
    return rows


def load_demo_inventory(session: Session, today: date) -> bool:
    """Fill an empty inventory with the demo set; False when the inventory has rows already."""
    if session.scalar(select(InventorySystem.id).limit(1)) is not None:
        return False
    agencies = session.scalars(select(Agency).order_by(Agency.id)).all()
    reference = load_reference(session)
    linked = {(l.system_id, l.platform_id) for l in session.scalars(select(Link).where(Link.active.is_(True)))}
    rows = demo_rows(agencies, reference.platforms, linked, today)
    report = inv.parse_inventory_file("demo.csv", inv.build_csv(rows), reference)
    if not report.ok:  # the generator and the validator must agree; say which row if not
        raise ValueError(f"demo inventory invalid: {[(p.row, p.column, p.code) for p in report.problems[:5]]}")
    store.apply_inventory(session, report, source="demo")
    return True
