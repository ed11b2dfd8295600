"""Reports upward: the period rules, and the DOCX/XLSX written by `python app.py report` from a
real database with the demo data, opened with python-docx and openpyxl."""
from __future__ import annotations

import io
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
    assert book.sheetnames == ["Tổng hợp", "Sẵn sàng", "Tích hợp theo đơn vị", "Tiến độ theo đơn vị", "Doanh nghiệp", "An toàn thông tin"]
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
