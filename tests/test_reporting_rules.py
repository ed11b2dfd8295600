"""The rules of an agency's report, as tables: percent, status, dates, notes, links, files,
reviews and freshness. Pure functions: no database."""
from __future__ import annotations

import io
import zipfile
from datetime import date

import pytest

from dashboard.plans import reporting
from dashboard.plans.reporting import Proposed, check_review, check_update, freshness, sniff_evidence

TODAY = date(2026, 12, 2)
LONG = "x" * (reporting.NOTE_LIMIT + 1)

# (current percent, current status), proposed -> refusal codes (empty: accepted)
UPDATES = [
    ((40, "dang_thuc_hien"), Proposed(percent=60), []),
    ((40, "dang_thuc_hien"), Proposed(percent="60%"), []),
    ((40, "dang_thuc_hien"), Proposed(percent="60,5"), []),
    ((40, "dang_thuc_hien"), Proposed(percent=101), ["percent_range"]),
    ((40, "dang_thuc_hien"), Proposed(percent=-1), ["percent_range"]),
    ((40, "dang_thuc_hien"), Proposed(percent="nhiều"), ["percent_not_number"]),
    ((40, "dang_thuc_hien"), Proposed(percent=float("nan")), ["percent_not_number"]),
    ((40, "dang_thuc_hien"), Proposed(percent=True), ["percent_not_number"]),
    ((40, "dang_thuc_hien"), Proposed(percent=50, status="xong"), ["bad_status"]),
    # backwards needs a note: a lower percent, or an earlier status
    ((40, "dang_thuc_hien"), Proposed(percent=30), ["backwards_needs_note"]),
    ((40, "dang_thuc_hien"), Proposed(percent=30, note="Nhà thầu rút, làm lại"), []),
    ((100, "hoan_thanh"), Proposed(percent=100, status="dang_thuc_hien"), ["backwards_needs_note"]),
    ((40, "dang_thuc_hien"), Proposed(status="chua_bat_dau", percent=40), ["backwards_needs_note"]),
    ((40, "dang_thuc_hien"), Proposed(status="tam_dung", percent=40), []),  # on hold: work stands still, not back
    # done: 100 %, never in the future
    ((90, "dang_thuc_hien"), Proposed(percent=100, status="hoan_thanh"), []),
    ((90, "dang_thuc_hien"), Proposed(percent=100, status="hoan_thanh", done_on="2026-12-01"), []),
    ((90, "dang_thuc_hien"), Proposed(percent=100, status="hoan_thanh", done_on="01/12/2026"), []),
    ((90, "dang_thuc_hien"), Proposed(percent=100, status="hoan_thanh", done_on="2026-12-03"), ["done_in_future"]),
    ((90, "dang_thuc_hien"), Proposed(percent=95, status="hoan_thanh"), ["done_not_100"]),
    ((90, "dang_thuc_hien"), Proposed(percent=95, done_on="2026-12-01"), ["done_on_not_done"]),
    ((90, "dang_thuc_hien"), Proposed(percent=100, status="hoan_thanh", done_on="31/02/2026"), ["bad_date"]),
    # notes and links
    ((40, "dang_thuc_hien"), Proposed(percent=50, note=LONG), ["note_too_long"]),
    ((40, "dang_thuc_hien"), Proposed(percent=50, note=12), ["not_text"]),
    ((40, "dang_thuc_hien"), Proposed(percent=50, evidence_url="https://vanban.quangngai.gov.vn/qd-12.pdf"), []),
    ((40, "dang_thuc_hien"), Proposed(percent=50, evidence_url="javascript:alert(1)"), ["bad_url"]),
    ((40, "dang_thuc_hien"), Proposed(percent=50, evidence_url="ftp://x/y"), ["bad_url"]),
    # nothing changed is not an update: it is the weekly confirmation
    ((40, "dang_thuc_hien"), Proposed(percent=40), ["nothing_changed"]),
    ((40, "dang_thuc_hien"), Proposed(percent=40, note="Đã họp với nhà thầu"), []),
    ((40, "dang_thuc_hien"), Proposed(kind="no_change"), []),
    ((40, "dang_thuc_hien"), Proposed(kind="no_change", note=LONG), ["note_too_long"]),
    ((40, "dang_thuc_hien"), Proposed(kind="maybe"), ["bad_kind", "nothing_changed"]),
    # every broken rule is listed at once
    ((40, "dang_thuc_hien"), Proposed(percent=150, status="?", note=LONG), ["note_too_long", "percent_range", "bad_status"]),
]


@pytest.mark.parametrize("current, proposed, codes", UPDATES)
def test_update_rules(current, proposed, codes):
    checked = check_update(float(current[0]), current[1], proposed, TODAY)
    assert [r.code for r in checked.refusals] == codes
    for refusal in checked.refusals:  # every refusal says something in both languages
        assert refusal.message("vi") != f"rep.err.{refusal.code}" and refusal.message("en")


def test_an_accepted_update_carries_its_values():
    checked = check_update(40.0, "dang_thuc_hien", Proposed(percent="100", status="hoan_thanh"), TODAY)
    assert (checked.percent, checked.status, checked.done_on) == (100.0, "hoan_thanh", TODAY)
    same = check_update(40.0, "dang_thuc_hien", Proposed(kind="no_change", percent=99), TODAY)
    assert (same.kind, same.percent, same.status) == ("no_change", 40.0, "dang_thuc_hien")  # a confirmation changes nothing


def docx_bytes() -> bytes:
    import docx

    document = docx.Document()
    document.add_paragraph("Biên bản nghiệm thu")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 40


def plain_zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("a.txt", "x")
    return out.getvalue()


# content, file name -> (kind, stored name) or (refusal code, HTTP status)
FILES = [
    (PDF, "bien-ban.pdf", ("pdf", "bien-ban.pdf")),
    (PDF, "BIEN-BAN.PDF", ("pdf", "BIEN-BAN.PDF")),
    (PNG, "anh.png", ("png", "anh.png")),
    (JPEG, "anh.jpeg", ("jpeg", "anh.jpeg")),
    (JPEG, "anh.jpg", ("jpeg", "anh.jpg")),
    (docx_bytes(), "quyet-dinh.docx", ("docx", "quyet-dinh.docx")),
    (PDF, "khong-duoi", ("pdf", "khong-duoi.pdf")),  # no extension: the content names it
    (PDF, "C:\\Users\\a\\bien-ban.pdf", ("pdf", "bien-ban.pdf")),  # a path is never kept
    (PNG, "bien-ban.pdf", ("file_lies", 415)),  # the name lies about the content
    (b"MZ\x90\x00" + b"\x00" * 60, "bien-ban.pdf", ("file_type", 415)),  # a program named .pdf
    (b"<html><script>alert(1)</script>", "a.pdf", ("file_type", 415)),
    (plain_zip(), "a.docx", ("file_type", 415)),  # a zip is not a Word file
    (b"GIF89a" + b"\x00" * 20, "a.gif", ("file_type", 415)),
    (b"", "a.pdf", ("file_empty", 400)),
    (PDF + b"\x00" * reporting.EVIDENCE_MAX_BYTES, "big.pdf", ("file_too_large", 413)),
]


@pytest.mark.parametrize("data, name, expected", FILES, ids=[f[1] + str(i) for i, f in enumerate(FILES)])
def test_evidence_type_is_read_from_the_content(data, name, expected):
    evidence, refusals = sniff_evidence(data, name)
    if evidence is not None:
        assert (evidence.kind, evidence.name) == expected and not refusals
        assert evidence.size == len(data)
    else:
        assert [(r.code, r.http_status) for r in refusals] == [expected]


# decision, comment, current review state -> refusal codes
REVIEWS = [
    ("accept", None, "pending", []),
    ("accept", "Đúng với biên bản", "pending", []),
    ("return", "Thiếu biên bản nghiệm thu", "pending", []),
    ("return", "  ", "pending", ["return_needs_comment"]),
    ("approve", None, "pending", ["bad_decision"]),
    ("accept", "x" * (reporting.REVIEW_COMMENT_LIMIT + 1), "pending", ["comment_too_long"]),
    ("accept", None, "accepted", ["already_reviewed"]),
    ("return", "lại", "returned", ["already_reviewed"]),
]


@pytest.mark.parametrize("decision, comment, state, codes", REVIEWS)
def test_review_rules(decision, comment, state, codes):
    assert [r.code for r in check_review(decision, comment, state)] == codes


@pytest.mark.parametrize("last, silent_days, expected", [
    (date(2026, 12, 2), 14, "fresh"),
    (date(2026, 11, 25), 14, "fresh"),  # 7 days
    (date(2026, 11, 24), 14, "stale"),
    (date(2026, 11, 18), 14, "stale"),  # 14 days
    (date(2026, 11, 17), 14, "silent"),
    (date(2026, 11, 17), 30, "stale"),  # the setting moves the line
    (None, 14, "silent"),  # never reported
])
def test_freshness(last, silent_days, expected):
    assert freshness(last, TODAY, silent_days) == expected
