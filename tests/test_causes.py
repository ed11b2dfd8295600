"""Causes in words, both languages (dashboard.domain.causes): tables of code + params -> short
line and full sentence, conditions in words, and conditions as the last check left them."""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from dashboard.domain.causes import (
    CODES,
    SHORT_MAX,
    cause_of,
    condition_label,
    condition_rows,
    condition_words,
    full_cause,
    localized,
    short_cause,
)

# (code, params, short vi, short en, full vi, full en)
TABLE = [
    ("conn_refused", {"host": "127.0.0.1", "port": 40857},
     "Không kết nối được", "Connection refused",
     "Không kết nối được: 127.0.0.1:40857 từ chối kết nối (không có dịch vụ nào lắng nghe ở cổng này)",
     "Cannot connect: 127.0.0.1:40857 refused the connection (nothing is listening on that port)"),
    ("timeout", {"phase": "answer", "seconds": 10.0},
     "Quá thời gian chờ 10 s", "Timed out after 10 s",
     "Quá thời gian chờ 10 s: không nhận được trả lời đầy đủ", "Timed out after 10 s: no complete answer"),
    ("timeout", {"phase": "connect", "seconds": 2.5, "host": "10.0.0.5", "port": 443},
     "Quá thời gian chờ 2,5 s", "Timed out after 2.5 s",
     "Quá thời gian chờ 2,5 s: không mở được kết nối tới 10.0.0.5:443 (gói tin bị chặn hoặc dịch vụ quá tải)",
     "Timed out after 2.5 s: no connection to 10.0.0.5:443 (packets dropped or the service is overloaded)"),
    ("tls_expired", {"date": "2026-11-22", "days": 10},
     "Chứng chỉ hết hạn 22/11/2026", "Certificate expired 22 Nov 2026",
     "Chứng chỉ đã hết hạn ngày 22/11/2026 (10 ngày trước)", "The certificate expired on 22 Nov 2026 (10 days ago)"),
    ("tls_hostname", {"expected": "lgsp.quangngai.gov.vn", "names": ["localhost", "127.0.0.1"]},
     "Chứng chỉ sai tên miền", "Certificate name mismatch",
     "Chứng chỉ cấp cho localhost, 127.0.0.1, không phải lgsp.quangngai.gov.vn (sai tên máy chủ)",
     "The certificate is for localhost, 127.0.0.1, not lgsp.quangngai.gov.vn (name mismatch)"),
    ("tls_untrusted", {"issuer": "Quang Ngai Demo CA", "self_signed": False},
     "Chứng chỉ không được tin cậy", "Untrusted certificate",
     "Chứng chỉ không được tin cậy: do Quang Ngai Demo CA cấp không phải CA tin cậy; khai báo ca_bundle nếu là CA nội bộ",
     "The certificate is not trusted: issued by Quang Ngai Demo CA is not a trusted CA; set ca_bundle for a private CA"),
    ("tls_other", {"verify_code": 26},
     "Chứng chỉ không hợp lệ", "Invalid certificate",
     "Chứng chỉ không hợp lệ (mã kiểm tra 26)", "Certificate verification failed (verify code 26)"),
    ("not_http", {"first_bytes": "SSH-2.0-OpenSSH_9.2p1"},
     "Không phải HTTP", "Not an HTTP answer",
     "Dịch vụ không trả lời bằng HTTP (bắt đầu bằng “SSH-2.0-OpenSSH_9.2p1”)",
     "The service does not answer in HTTP (it starts with “SSH-2.0-OpenSSH_9.2p1”)"),
    ("redirects", {"count": 5, "last_url": "http://x/loop"},
     "Chuyển hướng quá nhiều", "Too many redirects",
     "Chuyển hướng quá 5 lần (vòng lặp chuyển hướng?), lần cuối tới http://x/loop",
     "More than 5 redirects (a redirect loop?), the last to http://x/loop"),
    ("body_cap", {"bytes": 5000000, "cap": 1000000},
     "Nội dung quá lớn", "Body too large",
     "Nội dung trả về (5.000.000 byte) vượt giới hạn 1.000.000 byte",
     "The body (5,000,000 bytes) is larger than the 1,000,000-byte cap"),
    ("condition_failed", {"condition": "[STATUS] < 300", "observed": 503, "status": 503},
     "HTTP 503", "HTTP 503",
     "Mã trạng thái HTTP < 300 — nhận được 503", "HTTP status code < 300 — got 503"),
    ("condition_failed", {"condition": "[BODY].status == UP", "observed": "DOWN", "status": 200},
     "status = DOWN", "status = DOWN",
     "Trường status trong nội dung phải là UP — nhận được DOWN", "Field status in the body must be UP — got DOWN"),
    ("condition_failed", {"condition": "[RESPONSE_TIME] < 2000", "observed": 2525, "status": 200},
     "Phản hồi chậm: 2.525 ms", "Slow answer: 2,525 ms",
     "Thời gian phản hồi < 2.000 ms — đo được 2.525 ms", "Response time < 2,000 ms — measured 2,525 ms"),
    ("dns_nxdomain", {"name": "no-such-host.invalid"},
     "Không phân giải được tên miền", "Name does not resolve",
     "Tên miền no-such-host.invalid không phân giải được (không có bản ghi DNS)",
     "The name no-such-host.invalid does not resolve (no DNS record)"),
    ("heartbeat_late", {"age": 3725, "expected": 90, "last": "2026-12-02T07:00:00Z"},
     "Mất tín hiệu 1 giờ 2 phút", "Silent for 1 h 2 min",
     "Mất tín hiệu 1 giờ 2 phút (lần cuối lúc 02/12/2026 14:00:00); mong đợi mỗi 1 phút 30 giây",
     "No heartbeat for 1 h 2 min (last at 02/12/2026 14:00:00); expected every 1 min 30 s"),
    ("communes_silent", {"n": 3, "total": 96, "names": ["Xã Ba Tơ", "Xã Ba Vì", "Xã Sơn Hà"]},
     "3/96 xã mất tín hiệu", "3/96 communes silent",
     "3/96 xã mất tín hiệu: Xã Ba Tơ, Xã Ba Vì, Xã Sơn Hà", "3 of 96 communes silent: Xã Ba Tơ, Xã Ba Vì, Xã Sơn Hà"),
    ("link_down", {"state": "disconnected", "expected": "connected"},
     "Mất kết nối (disconnected)", "Link down (disconnected)",
     "Kết nối báo “disconnected” (kết nối tốt là “connected”)", "The link reports “disconnected” (connected means “connected”)"),
    ("ok", {"status": 200, "conditions": 2},
     "Hoạt động bình thường", "Working normally", "HTTP 200, đạt mọi điều kiện", "HTTP 200, all conditions met"),
    ("text", {"text": "connection refused (nothing listening on 127.0.0.1:1)"},
     "connection refused (nothing listening on 127.0.0.1:1)", "connection refused (nothing listening on 127.0.0.1:1)",
     "connection refused (nothing listening on 127.0.0.1:1)", "connection refused (nothing listening on 127.0.0.1:1)"),
]


@pytest.mark.parametrize("code, params, short_vi, short_en, full_vi, full_en", TABLE, ids=[f"{r[0]}-{i}" for i, r in enumerate(TABLE)])
def test_cause_table(code, params, short_vi, short_en, full_vi, full_en):
    assert short_cause(code, params, "vi") == short_vi
    assert short_cause(code, params, "en") == short_en
    assert full_cause(code, params, "vi") == full_vi
    assert full_cause(code, params, "en") == full_en


LONG = {"host": "a-very-long-host-name-of-a-provincial-system.quangngai.gov.vn", "port": 443, "names": ["x" * 80],
        "expected": "y" * 80, "first_bytes": "z" * 40, "last_url": "http://" + "u" * 200, "reason": "r" * 200,
        "condition": "[BODY].gateway.status == UP", "observed": "D" * 120, "state": "s" * 100, "path": "p" * 100,
        "items": [{"code": "conn_refused", "params": {}}, {"code": "timeout", "params": {"seconds": 10}}],
        "cause": {"code": "tls_expired", "params": {"date": "2026-11-22"}}, "text": "t" * 300, "message": "m" * 300}


@pytest.mark.parametrize("code", sorted(CODES))
def test_every_code_renders_in_both_languages_with_a_short_line_of_at_most_60(code):
    for lang in ("vi", "en"):
        for params in ({}, LONG):
            short = short_cause(code, params, lang)
            assert 0 < len(short) <= SHORT_MAX, (code, lang, short)
            assert "\n" not in short
            assert full_cause(code, params, lang)


def test_vietnamese_never_falls_back_to_english_words():
    """A Vietnamese rendering uses none of the English sentence's words (params aside)."""
    english_words = re.compile(r"\b(connection|refused|timed out|certificate|expired|observed|communes|silent|"
                               r"all conditions met|does not|cannot|failed)\b", re.I)
    for code, params, *_ in TABLE:
        if code == "text":
            continue
        for text in (short_cause(code, params, "vi"), full_cause(code, params, "vi")):
            assert not english_words.search(text), (code, text)


def test_an_unknown_code_says_so_instead_of_failing():
    assert full_cause("from_the_future", {}, "vi") == "Nguyên nhân chưa rõ (from_the_future)"
    assert short_cause(None, None, "en") == "Unknown cause (None)"


def test_old_rows_keep_their_stored_text_and_new_rows_their_code():
    assert cause_of(None, "HTTP 503") == {"code": "text", "params": {"text": "HTTP 503"}}
    assert cause_of({"code": "ok", "params": None}, "ignored") == {"code": "ok", "params": {}}
    assert cause_of(None, None) is None
    assert localized(None) == {"cause": None, "reason": None, "short_reason": None}
    shown = localized({"code": "conn_refused", "params": {"host": "h", "port": 1}}, "en")
    assert shown["reason"].startswith("Cannot connect: h:1") and shown["short_reason"] == "Connection refused"


def test_several_causes_show_the_first_line_and_how_many_more():
    several = {"items": [{"name": "API", "code": "conn_refused", "params": {"host": "h", "port": 1}},
                         {"name": "Cổng", "code": "conn_refused", "params": {"host": "h", "port": 2}},
                         {"name": None, "code": "communes_silent", "params": {"n": 3, "total": 96}}]}
    assert short_cause("several", several, "vi") == "Không kết nối được (+1)"  # the same line counted once
    assert full_cause("several", several, "vi").startswith("API: Không kết nối được: h:1 từ chối kết nối")
    assert full_cause("several", several, "en").endswith("; 3 of 96 communes silent")


def test_a_pending_failure_says_it_awaits_confirmation():
    pending = {"failures": 1, "of": 2, "cause": {"code": "timeout", "params": {"seconds": 10}}}
    assert short_cause("pending", pending, "vi") == "Chờ xác nhận: Quá thời gian chờ 10 s"
    assert full_cause("pending", pending, "en").startswith("failure 1 of 2, awaiting confirmation: Timed out after 10 s")


@pytest.mark.parametrize("text, vi, en", [
    ("[STATUS] == 200", "Mã trạng thái HTTP phải là 200", "HTTP status code must be 200"),
    ("[STATUS] < 300", "Mã trạng thái HTTP < 300", "HTTP status code < 300"),
    ("[RESPONSE_TIME] <= 1500", "Thời gian phản hồi ≤ 1.500 ms", "Response time ≤ 1,500 ms"),
    ("[BODY].status == UP", "Trường status trong nội dung phải là UP", "Field status in the body must be UP"),
    ('[BODY] contains "UP"', "Nội dung trả về phải chứa UP", "The body must contain UP"),
    ('[BODY] !contains "ERROR"', "Nội dung trả về không được chứa ERROR", "The body must not contain ERROR"),
    ("[HEADER].content-type contains json", "Tiêu đề HTTP content-type phải chứa json", "Header content-type must contain json"),
    ("len([BODY].items) >= 1", "Độ dài của trường items trong nội dung ≥ 1", "Length of field items in the body ≥ 1"),
    ("[CERTIFICATE_EXPIRATION] > 48h", "Thời hạn còn lại của chứng chỉ > 2 ngày", "Certificate time left > 2 d"),
])
def test_conditions_in_words(text, vi, en):
    assert condition_label(text, "vi") == vi
    assert condition_label(text, "en") == en


def test_conditions_with_what_was_observed():
    assert condition_words("[BODY].status == UP", {"state": "missing"}, "vi") == \
        "Trường status trong nội dung phải là UP — không có"
    assert condition_words("[BODY].status == UP", {"state": "not_json"}, "en") == \
        "Field status in the body must be UP — the body is not JSON"


CONDITIONS = [{"condition": "[STATUS] == 200", "severity": "down"}, {"condition": "[BODY].status == UP", "severity": "down"},
              {"condition": "[RESPONSE_TIME] < 2000", "severity": "degraded"}]


def test_conditions_not_evaluated_when_the_check_got_no_answer():
    """A refused connection never reached the conditions: none of them is ticked."""
    rows = condition_rows(CONDITIONS, {"code": "conn_refused", "params": {"host": "h", "port": 1}}, "vi")
    assert [r["state"] for r in rows] == ["not_evaluated"] * 3
    assert all(r["observed"] == "không đánh giá được" for r in rows)
    assert condition_rows(CONDITIONS, None, "en")[0]["observed"] == "not evaluated"  # never checked


def test_conditions_failed_and_met_as_the_last_answer_left_them():
    last = {"code": "condition_failed", "params": {"condition": "[STATUS] == 200", "observed": 503, "status": 503,
                                                   "others": [{"condition": "[BODY].status == UP", "observed": "DOWN"}]}}
    rows = condition_rows(CONDITIONS, last, "vi")
    assert [(r["state"], r["observed"]) for r in rows] == [("failed", "nhận được 503"), ("failed", "nhận được DOWN"),
                                                           ("met", None)]
    assert rows[0]["label"] == "Mã trạng thái HTTP phải là 200"
    assert [r["state"] for r in condition_rows(CONDITIONS, {"code": "ok", "params": {"status": 200}}, "vi")] == ["met"] * 3


def test_every_cause_a_probe_or_the_engine_can_give_has_words():
    """Every cause code written in collectors/ and dashboard/ (cause="…", a ProbeFailure's or a
    result's code, {"code": "…"}) is one the renderer knows."""
    root = Path(__file__).resolve().parent.parent
    used: set[str] = set()
    # dashboard/web is left out: its JSON error bodies have a "code" of their own (e.g. bad_body)
    for path in [*root.joinpath("collectors").glob("*.py"), *root.joinpath("dashboard").rglob("*.py")]:
        if root.joinpath("dashboard", "web") in path.parents:
            continue
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.keyword) and node.arg == "cause" and isinstance(node.value, ast.Constant) \
                    and isinstance(node.value.value, str):
                used.add(node.value.value)
            if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) in ("ProbeFailure", "failed", "result") \
                    and len(node.args) >= 2 and isinstance(node.args[1], ast.Constant) and isinstance(node.args[1].value, str):
                used.add(node.args[1].value)
            if isinstance(node, ast.Dict):
                for key, value in zip(node.keys, node.values):
                    if isinstance(key, ast.Constant) and key.value == "code" and isinstance(value, ast.Constant):
                        used.add(value.value)
    used = {u for u in used if re.fullmatch(r"[a-z_]+", u)}
    assert len(used) > 30, sorted(used)
    assert used <= CODES, sorted(used - CODES)
