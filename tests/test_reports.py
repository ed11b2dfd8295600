"""Reports upward: the period rules, and the DOCX/XLSX written by `python app.py report` from a
real database with the demo data, opened with python-docx and openpyxl."""
from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from dashboard.plans.availability import BadPeriod
from dashboard.reports import periodic

PROJECT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("kind, text, label, start, end", [
    ("monthly", "2026-11", "2026-11", date(2026, 11, 1), date(2026, 12, 1)),
    ("monthly", "2026-12", "2026-12", date(2026, 12, 1), date(2027, 1, 1)),
    ("quarterly", "2026-Q4", "2026-Q4", date(2026, 10, 1), date(2027, 1, 1)),
    ("quarterly", "2026-q1", "2026-Q1", date(2026, 1, 1), date(2026, 4, 1)),
    ("weekly", "2026-W48", "2026-W48", date(2026, 11, 23), date(2026, 11, 30)),
])
def test_periods(kind, text, label, start, end):
    period = periodic.parse_period(kind, text)
    assert (period.label, period.start, period.end) == (label, start, end)


@pytest.mark.parametrize("kind, text", [
    ("monthly", "2026-13"), ("monthly", "2026-Q4"), ("quarterly", "2026-Q5"), ("quarterly", "2026-11"),
    ("weekly", "2026-W54"), ("weekly", "2026-48"), ("yearly", "2026"), ("monthly", ""),
])
def test_bad_periods_say_what_is_expected(kind, text):
    with pytest.raises(BadPeriod, match="not valid"):
        periodic.parse_period(kind, text)


def run_report(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "app.py", "report", *args], cwd=PROJECT, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def demo_data_dir(tmp_path_factory, demo_network_module):
    """A database filled as the demo fills it: catalog, plans, inventory."""
    import os

    from dashboard.catalog.loader import apply_catalog, load_catalog
    from dashboard.config import DEMO_CATALOG
    from dashboard.demo.inventory import load_demo_inventory
    from dashboard.demo.network import env_for
    from dashboard.demo.plans import load_demo_plans
    from dashboard.readmodels.plans import local_today
    from dashboard.store.database import Database

    data_dir = tmp_path_factory.mktemp("report-data")
    db = Database(f"sqlite:///{data_dir / 'ioc.db'}")
    with db.session() as session:
        apply_catalog(session, load_catalog(DEMO_CATALOG, {**os.environ, **env_for(demo_network_module)}))
    with db.session() as session:
        load_demo_plans(session, local_today())
        load_demo_inventory(session, local_today())
    db.dispose()
    return data_dir


@pytest.fixture(scope="module")
def demo_network_module():
    from dashboard.demo.network import DemoNetwork

    network = DemoNetwork(seed=7).start()
    yield network
    network.stop()


def test_monthly_docx_has_the_national_layout_four_sections_and_charts(demo_data_dir, tmp_path):
    from docx import Document

    out = tmp_path / "r.docx"
    done = run_report("--kind", "monthly", "--period", "2026-11", "--format", "docx", "--out", str(out), "--data-dir", str(demo_data_dir))
    assert done.returncode == 0, done.stderr[-2000:]
    document = Document(str(out))
    text = "\n".join(p.text for p in document.paragraphs)
    cells = "\n".join(c.text for t in document.tables for row in t.rows for c in row.cells)
    everything = text + "\n" + cells
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in everything and "Độc lập - Tự do - Hạnh phúc" in everything
    assert "Số: …/BC-SKHCN" in everything and "Quảng Ngãi, ngày" in everything and "Nơi nhận:" in everything
    assert "GIÁM ĐỐC" in everything and "tháng 11/2026" in text
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    for section in periodic.SECTIONS[:4]:
        assert section in headings
    assert len(document.inline_shapes) >= 1  # charts embedded as images
    assert "Dữ liệu trình diễn" in text
    import re
    assert not re.search(r"\d\.\d%", everything)  # Vietnamese decimals: a comma, never a dot


def test_quarterly_xlsx_annex(demo_data_dir, tmp_path):
    from openpyxl import load_workbook

    out = tmp_path / "r.xlsx"
    done = run_report("--kind", "quarterly", "--period", "2026-Q4", "--format", "xlsx", "--out", str(out), "--data-dir", str(demo_data_dir))
    assert done.returncode == 0, done.stderr[-2000:]
    book = load_workbook(out)
    assert book.sheetnames == ["Tổng hợp", "Sẵn sàng", "Tích hợp theo đơn vị", "Tiến độ theo đơn vị", "Doanh nghiệp", "An toàn thông tin",
                               "Chứng chỉ sắp hết hạn"]
    assert book["Tích hợp theo đơn vị"].max_row == 108  # header + 107 agencies


@pytest.mark.parametrize("args, message", [
    (("--kind", "monthly", "--period", "2026-13"), "the month must be 01–12"),
    (("--kind", "weekly", "--period", "2026-11"), "expected YYYY-Www"),
])
def test_a_bad_period_exits_2_and_writes_nothing(demo_data_dir, tmp_path, args, message):
    out = tmp_path / "nothing.docx"
    done = run_report(*args, "--format", "docx", "--out", str(out), "--data-dir", str(demo_data_dir))
    assert done.returncode == 2 and message in done.stderr
    assert not out.exists()


@pytest.mark.parametrize("days, listed", [(-3.0, True), (0.0, True), (6.5, True), (30.0, True), (30.1, False), (200.0, False), (None, False)])
def test_which_certificates_the_report_lists(days, listed):
    from dashboard.readmodels.certificates import expiring_rows

    row = {"system_vi": "Cổng DVC", "endpoint": "https", "days_left": days}
    assert (expiring_rows([row]) == [row]) is listed


def test_expired_first_then_soonest():
    from dashboard.readmodels.certificates import expiring_rows

    rows = [{"system_vi": s, "endpoint": "e", "days_left": d} for s, d in (("B", 12.0), ("A", -2.0), ("C", 3.0))]
    assert [r["system_vi"] for r in expiring_rows(rows)] == ["A", "C", "B"]


def test_the_security_section_lists_expiring_certificates(demo_data_dir, tmp_path):
    """A certificate that expires in 10 days is in the DOCX and the XLSX; one with 90 days is not."""
    import shutil
    from datetime import datetime, timedelta, timezone

    from docx import Document
    from openpyxl import load_workbook
    from sqlalchemy import select

    from dashboard.store.database import Database
    from dashboard.store.models import Endpoint

    data_dir = tmp_path / "data"
    data_dir.mkdir()
    shutil.copy(demo_data_dir / "ioc.db", data_dir / "ioc.db")
    db = Database(f"sqlite:///{data_dir / 'ioc.db'}")
    now = datetime.now(timezone.utc)
    with db.session() as session:
        soon, later = session.scalars(select(Endpoint).order_by(Endpoint.id).limit(2)).all()
        soon.last_detail = {"certificate": {"subject": "CN=soon", "not_after": (now + timedelta(days=10)).isoformat()}}
        later.last_detail = {"certificate": {"subject": "CN=later", "not_after": (now + timedelta(days=90)).isoformat()}}
        soon_name, later_name = soon.name, later.name
        expiry = (now + timedelta(days=10)).astimezone(periodic.VN_TZ).strftime("%d/%m/%Y")
    db.dispose()

    out = tmp_path / "r.docx"
    done = run_report("--kind", "monthly", "--period", "2026-11", "--format", "docx", "--out", str(out), "--data-dir", str(data_dir))
    assert done.returncode == 0, done.stderr[-2000:]
    document = Document(str(out))
    header = ["Hệ thống", "Điểm kiểm tra", "Hết hạn ngày", "Còn lại (ngày)"]
    tables = [[[c.text for c in row.cells] for row in t.rows] for t in document.tables]
    (certificates,) = [t for t in tables if t[0] == header]
    assert len(certificates) == 2  # the header and the one that expires within 30 days
    assert certificates[1][1:3] == [soon_name, expiry] and certificates[1][3] in ("9", "10")
    assert later_name != soon_name
    text = "\n".join(p.text for p in document.paragraphs)
    assert "Chứng chỉ số (TLS) đã hết hạn hoặc hết hạn trong 30 ngày tới: 1." in text

    annex = tmp_path / "r.xlsx"
    done = run_report("--kind", "monthly", "--period", "2026-11", "--format", "xlsx", "--out", str(annex), "--data-dir", str(data_dir))
    assert done.returncode == 0, done.stderr[-2000:]
    sheet = load_workbook(annex)["Chứng chỉ sắp hết hạn"]
    assert [c.value for c in sheet[2]][1] == soon_name and sheet.max_row == 2
