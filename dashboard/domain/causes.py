"""Causes in words: a check's cause is stored as a code and its parameters (collectors set them,
the status engine composes them) and turned into text only here, when a page or the API reads
it, in the reader's language. Two forms: `short_cause` (one line of at most 60 characters, for
tiles, the wall, grids and feeds) and `full_cause` (the whole sentence, for the drill-down).

A cause is the plain dict {"code": ..., "params": {...}}. Rows stored before causes had codes
keep their text: `{"code": "text", "params": {"text": ...}}` renders that text as it is.

Conditions are put in words too (`condition_words`): `[STATUS] < 300` observed 503 reads
"Mã trạng thái HTTP < 300 — nhận được 503" / "HTTP status code < 300 — got 503".
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Any, Callable

from collectors.conditions import ConditionError, parse
from collectors.timeutil import parse_iso
from dashboard.i18n import duration_text, local_time

SHORT_MAX = 60
NAMES_SHOWN = 3
_MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


# ---------------------------------------------------------------------------- formatting


def number(value: Any, lang: str, decimals: int = 0) -> str:
    """1234.5 -> "1.234,5" (vi) / "1,234.5" (en); integers without decimals."""
    try:
        value = float(value)
    except (TypeError, ValueError):
        return str(value)
    if decimals == 0 or value == int(value):
        text = f"{round(value):,}"
    else:
        text = f"{value:,.{decimals}f}"
    if lang == "en":
        return text
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def seconds_text(value: Any, lang: str) -> str:
    """A timeout as configured: "10 s", "2,5 s" (vi) / "2.5 s" (en)."""
    try:
        text = f"{float(value):g}"
    except (TypeError, ValueError):
        return f"{value} s"
    return f"{text.replace('.', ',') if lang != 'en' else text} s"


def day_text(value: Any, lang: str) -> str:
    """An ISO date (or the date of an ISO time): "22/11/2026" (vi) / "22 Nov 2026" (en)."""
    if not value:
        return "?"
    try:
        day = date.fromisoformat(str(value)[:10])
    except ValueError:
        return str(value)
    if lang == "en":
        return f"{day.day} {_MONTHS_EN[day.month - 1]} {day.year}"
    return day.strftime("%d/%m/%Y")


def moment_text(value: Any) -> str:
    """An ISO time as Vietnam's clock reads it: "22/11/2026 14:05:09"."""
    if isinstance(value, datetime):
        return local_time(value, with_date=True)
    try:
        return local_time(parse_iso(str(value)), with_date=True)
    except (TypeError, ValueError):
        return str(value or "?")


def duration(value: Any, lang: str) -> str:
    try:
        return duration_text(float(value), lang)
    except (TypeError, ValueError):
        return "?"


def hostport(params: dict) -> str:
    host, port = params.get("host") or "?", params.get("port")
    shown = f"[{host}]" if ":" in str(host) else str(host)
    return f"{shown}:{port}" if port else shown


def names_text(names: list | None, lang: str, limit: int = NAMES_SHOWN, total: int | None = None) -> str:
    names = [str(n) for n in (names or []) if n]
    more = (total if total is not None else len(names)) - min(len(names), limit)
    shown = ", ".join(names[:limit])
    if more > 0:
        shown += f" và {more} nơi khác" if lang != "en" else f" and {more} more"
    return shown


def clip(text: str, limit: int = SHORT_MAX) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _quote(value: Any) -> str:
    return f"“{value}”"


# ---------------------------------------------------------------------------- conditions in words

_SUBJECT = {
    "STATUS": ("Mã trạng thái HTTP", "HTTP status code"),
    "RESPONSE_TIME": ("Thời gian phản hồi", "Response time"),
    "CERTIFICATE_EXPIRATION": ("Thời hạn còn lại của chứng chỉ", "Certificate time left"),
}
_OPS_WORDS = {
    "==": ("phải là", "must be"),
    "!=": ("không được là", "must not be"),
    "contains": ("phải chứa", "must contain"),
    "!contains": ("không được chứa", "must not contain"),
}
_OPS_SIGN = {"<": "<", "<=": "≤", ">": ">", ">=": "≥"}


def _subject(condition, lang: str) -> str:
    en = lang == "en"
    if condition.placeholder in _SUBJECT:
        subject = _SUBJECT[condition.placeholder][en]
    elif condition.placeholder == "HEADER":
        subject = f"Header {condition.path[0]}" if en else f"Tiêu đề HTTP {condition.path[0]}"
    elif condition.path:
        path = ".".join(condition.path)
        subject = f"Field {path} in the body" if en else f"Trường {path} trong nội dung"
    else:
        subject = "The body" if en else "Nội dung trả về"
    if condition.function == "len":
        subject = f"Length of {subject[0].lower() + subject[1:]}" if en else f"Độ dài của {subject[0].lower() + subject[1:]}"
    return subject


def _value(condition, value: Any, lang: str) -> str:
    """A condition's value in its own unit: ms for response times, a duration for certificates."""
    if condition.placeholder == "RESPONSE_TIME" and isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"{number(value, lang)} ms"
    if condition.placeholder == "CERTIFICATE_EXPIRATION" and isinstance(value, (int, float)):
        hours = float(value)
        return ("-" if hours < 0 else "") + duration(abs(hours) * 3600, lang)
    if condition.placeholder == "STATUS":
        return str(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, (int, float)):
        return number(value, lang, 2)
    return str(value)


def condition_label(text: str, lang: str = "vi") -> str:
    """The condition alone, in words: "Mã trạng thái HTTP < 300"."""
    try:
        condition = parse(text)
    except ConditionError:
        return text
    op = _OPS_SIGN.get(condition.op) or _OPS_WORDS[condition.op][lang == "en"]
    return f"{_subject(condition, lang)} {op} {_value(condition, condition.expected, lang)}"


def observed_words(text: str, params: dict, lang: str = "vi") -> str:
    """What was seen, in words: "nhận được 503", "đo được 2.525 ms", "không có"."""
    en = lang == "en"
    state = params.get("state")
    if state == "missing":
        return "missing" if en else "không có"
    if state == "not_json":
        return "the body is not JSON" if en else "nội dung không phải JSON"
    if "observed" not in params:
        return "not evaluated" if en else "không đánh giá được"
    try:
        condition = parse(text)
    except ConditionError:
        condition = None
    measured = condition is not None and condition.placeholder in ("RESPONSE_TIME", "CERTIFICATE_EXPIRATION")
    verb = ("measured" if measured else "got") if en else ("đo được" if measured else "nhận được")
    value = _value(condition, params["observed"], lang) if condition is not None else str(params["observed"])
    return f"{verb} {value}"


def condition_words(text: str, params: dict, lang: str = "vi") -> str:
    """ "Mã trạng thái HTTP < 300 — nhận được 503" """
    return f"{condition_label(text, lang)} — {observed_words(text, params, lang)}"


def _condition_short(params: dict, lang: str) -> str:
    en = lang == "en"
    text = params.get("condition", "")
    try:
        condition = parse(text)
    except ConditionError:
        return clip(text)
    if condition.placeholder == "STATUS" and params.get("observed") is not None:
        return f"HTTP {params['observed']}"
    if params.get("state") == "not_json":
        return "Body is not JSON" if en else "Nội dung không phải JSON"
    if condition.placeholder == "RESPONSE_TIME" and "observed" in params:
        return f"Slow answer: {_value(condition, params['observed'], lang)}" if en else \
            f"Phản hồi chậm: {_value(condition, params['observed'], lang)}"
    if condition.placeholder == "CERTIFICATE_EXPIRATION" and "observed" in params:
        left = _value(condition, params["observed"], lang)
        return f"Certificate: {left} left" if en else f"Chứng chỉ còn {left}"
    if condition.op in ("contains", "!contains"):
        verb = {("contains", True): "lacks", ("!contains", True): "contains",
                ("contains", False): "thiếu", ("!contains", False): "có"}[(condition.op, en)]
        where = "Body" if en else "Nội dung"
        return f"{where} {verb} {_quote(condition.expected)}"
    observed = observed_words(text, params, lang)
    subject = ".".join(condition.path) if condition.path else _subject(condition, lang)
    if "observed" in params:
        return f"{subject} = {_value(condition, params['observed'], lang)}"
    return f"{subject}: {observed}"


# codes whose check got an answer the conditions could judge (the others never reached them)
ANSWERED = frozenset({"ok", "condition_failed", "smtp_ok", "link_ok"})


def condition_rows(conditions: list[dict], last: dict | None, lang: str = "vi") -> list[dict]:
    """Each configured condition ({"condition", "severity"}) as the last check left it:
    state "failed" (with what was observed), "met", or "not_evaluated" when the check got no
    answer to judge (refused, timed out, ...): never a green tick for a condition not judged.
    `label` and `observed` are in words, in `lang`."""
    code = (last or {}).get("code")
    params = (last or {}).get("params") or {}
    failed = {}
    if code == "condition_failed":
        for item in [params, *(params.get("others") or [])]:
            failed[item.get("condition")] = item
    rows = []
    for item in conditions:
        text = item["condition"]
        if text in failed:
            state, observed = "failed", observed_words(text, failed[text], lang)
        elif code in ANSWERED:
            state, observed = "met", None
        else:
            state, observed = "not_evaluated", ("not evaluated" if lang == "en" else "không đánh giá được")
        rows.append({"condition": text, "severity": item.get("severity", "down"), "label": condition_label(text, lang),
                     "state": state, "observed": observed})
    return rows


# ---------------------------------------------------------------------------- the table

def _timeout_full(p: dict, lang: str) -> str:
    en = lang == "en"
    phase = p.get("phase")
    where = hostport(p) if p.get("host") else None
    what = {
        "dns": (f"không nhận được trả lời DNS cho {p.get('host')}", f"no DNS answer for {p.get('host')}"),
        "connect": (f"không mở được kết nối tới {where} (gói tin bị chặn hoặc dịch vụ quá tải)",
                    f"no connection to {where} (packets dropped or the service is overloaded)"),
        "tls": ("máy chủ nhận kết nối nhưng không hoàn tất bắt tay TLS",
                "the server accepted the connection but never completed the TLS handshake"),
        "body": ("nội dung trả về chưa nhận hết", "the body did not arrive in full"),
        "certificate": ("không đọc được chứng chỉ kịp", "the certificate could not be read in time"),
        "greeting": ("máy chủ thư không gửi lời chào", "the mail server never sent its greeting"),
    }.get(phase, ("không nhận được trả lời đầy đủ", "no complete answer"))
    return (f"Timed out after {seconds_text(p.get('seconds'), lang)}: {what[1]}" if en
            else f"Quá thời gian chờ {seconds_text(p.get('seconds'), lang)}: {what[0]}")


def _conditions_full(p: dict, lang: str) -> str:
    items = [p, *(p.get("others") or [])]
    text = "; ".join(condition_words(item.get("condition", ""), item, lang) for item in items)
    return text


def _tls_untrusted_full(p: dict, lang: str) -> str:
    issuer = p.get("issuer")
    if lang == "en":
        who = f"issued by {issuer}" if issuer else "its issuer"
        kind = " (self-signed)" if p.get("self_signed") else ""
        return f"The certificate is not trusted: {who}{kind} is not a trusted CA; set ca_bundle for a private CA"
    who = f"do {issuer} cấp" if issuer else "nơi cấp"
    kind = " (tự ký)" if p.get("self_signed") else ""
    return f"Chứng chỉ không được tin cậy: {who}{kind} không phải CA tin cậy; khai báo ca_bundle nếu là CA nội bộ"


def _link_down_full(p: dict, lang: str) -> str:
    en = lang == "en"
    text = (f"The link reports {_quote(p.get('state'))} (connected means {_quote(p.get('expected'))})" if en
            else f"Kết nối báo {_quote(p.get('state'))} (kết nối tốt là {_quote(p.get('expected'))})")
    if p.get("error"):
        text += f": {p['error']}"
    if p.get("age") is not None:
        text += (f"; last exchange {duration(p['age'], lang)} ago" if en
                 else f"; lần trao đổi cuối {duration(p['age'], lang)} trước")
    return text


def _communes(p: dict, lang: str, verb_vi: str, verb_en: str) -> str:
    head = (f"{p.get('n')} of {p.get('total')} communes {verb_en}" if lang == "en"
            else f"{p.get('n')}/{p.get('total')} xã {verb_vi}")
    names = names_text(p.get("names"), lang, total=p.get("n"))
    return f"{head}: {names}" if p.get("names") else head


def _several_full(p: dict, lang: str) -> str:
    parts = []
    for item in p.get("items") or []:
        text = full_cause(item.get("code"), item.get("params") or {}, lang)
        parts.append(f"{item['name']}: {text}" if item.get("name") else text)
    return "; ".join(parts)


def _several_short(p: dict, lang: str) -> str:
    # the same line once: three endpoints refusing is still "Không kết nối được"
    shorts = list(dict.fromkeys(short_cause(i.get("code"), i.get("params") or {}, lang) for i in p.get("items") or []))
    if not shorts:
        return ""
    if len(shorts) == 1:
        return shorts[0]
    more = f" (+{len(shorts) - 1})"
    return clip(shorts[0], SHORT_MAX - len(more)) + more


def _pending_full(p: dict, lang: str) -> str:
    head = (f"failure {p.get('failures')} of {p.get('of')}, awaiting confirmation" if lang == "en"
            else f"lỗi lần {p.get('failures')}/{p.get('of')}, chờ xác nhận")
    inner = p.get("cause")
    return f"{head}: {full_cause(inner['code'], inner.get('params') or {}, lang)}" if inner else head


def _pending_short(p: dict, lang: str) -> str:
    inner = p.get("cause")
    head = "Unconfirmed" if lang == "en" else "Chờ xác nhận"
    return f"{head}: {short_cause(inner['code'], inner.get('params') or {}, lang)}" if inner else head


def _bilingual(vi: str, en: str) -> Callable[[dict, str], str]:
    """A template in both languages; params fill it (missing ones read "?")."""
    def render(p: dict, lang: str) -> str:
        return (en if lang == "en" else vi).format_map(_Params(p, lang))
    return render


class _Params(dict):
    """str.format_map over params with derived fields: {where} is host:port, {days_n} a
    formatted number, missing keys show "?"."""

    def __init__(self, params: dict, lang: str):
        super().__init__(params)
        self.lang = lang

    def __missing__(self, key: str) -> str:
        p, lang = dict(self), self.lang
        derived = {
            "where": lambda: hostport(p),
            "date_text": lambda: day_text(p.get("date"), lang),
            "days_text": lambda: number(p.get("days"), lang) if p.get("days") is not None else "?",
            "threshold_text": lambda: number(p.get("threshold"), lang, 1),
            "minutes_text": lambda: number(p.get("minutes"), lang, 1),
            "ms_text": lambda: f"{number(p.get('ms'), lang, 1)} ms",
            "age_text": lambda: duration(p.get("age"), lang),
            "expected_text": lambda: duration(p.get("expected"), lang),
            "max_age_text": lambda: duration(p.get("max_age"), lang),
            "due_text": lambda: moment_text(p.get("due")),
            "since_text": lambda: moment_text(p.get("since")),
            "last_text": lambda: moment_text(p.get("last")),
            "addresses_text": lambda: ", ".join(p.get("addresses") or []) or "?",
            "missing_text": lambda: ", ".join(p.get("missing") or []) or "?",
            "names_text": lambda: ", ".join(p.get("names") or []) or "?",
            "bytes_text": lambda: number(p.get("bytes"), lang),
            "cap_text": lambda: number(p.get("cap"), lang),
            "first_text": lambda: _quote(p.get("first_bytes")) if p.get("first_bytes") else "",
        }
        if key in derived:
            return derived[key]()
        return "?"


Render = Callable[[dict, str], str]

# code -> (full, short); each a function of (params, lang)
CAUSES: dict[str, tuple[Render, Render]] = {
    "text": (lambda p, lang: str(p.get("text") or ""), lambda p, lang: clip(str(p.get("text") or ""))),
    "ok": (lambda p, lang: (f"HTTP {p['status']}, " if p.get("status") is not None else "")
           + (("all conditions met" if p.get("conditions", 1) else "reachable") if lang == "en"
              else ("đạt mọi điều kiện" if p.get("conditions", 1) else "truy cập được")),
           _bilingual("Hoạt động bình thường", "Working normally")),
    "condition_failed": (_conditions_full, lambda p, lang: _condition_short(p, lang)),
    "conn_refused": (_bilingual("Không kết nối được: {where} từ chối kết nối (không có dịch vụ nào lắng nghe ở cổng này)",
                                "Cannot connect: {where} refused the connection (nothing is listening on that port)"),
                     _bilingual("Không kết nối được", "Connection refused")),
    "conn_failed": (_bilingual("Không kết nối được tới {where} (mạng không tới được máy chủ)",
                               "Cannot connect to {where} (the network cannot reach the server)"),
                    _bilingual("Không kết nối được", "Cannot connect")),
    "timeout": (_timeout_full, lambda p, lang: (f"Timed out after {seconds_text(p.get('seconds'), lang)}" if lang == "en"
                                                 else f"Quá thời gian chờ {seconds_text(p.get('seconds'), lang)}")),
    "dns_nxdomain": (_bilingual("Tên miền {name} không phân giải được (không có bản ghi DNS)",
                                "The name {name} does not resolve (no DNS record)"),
                     _bilingual("Không phân giải được tên miền", "Name does not resolve")),
    "dns_mismatch": (_bilingual("{name} phân giải ra {addresses_text}, thiếu địa chỉ mong đợi {missing_text}",
                                "{name} resolves to {addresses_text}, not to the expected {missing_text}"),
                     _bilingual("Sai địa chỉ DNS", "Wrong DNS address")),
    "dns_ok": (_bilingual("{name} phân giải ra {addresses_text}", "{name} resolves to {addresses_text}"),
               _bilingual("Phân giải DNS bình thường", "DNS resolves")),
    "tcp_ok": (_bilingual("Kết nối được tới {where} trong {ms_text}", "Connected to {where} in {ms_text}"),
               _bilingual("Kết nối bình thường", "Connected")),
    "tls_ok": (_bilingual("Chứng chỉ hợp lệ đến {date_text} (còn {days_text} ngày), được tin cậy, đúng tên {name}",
                          "Certificate valid until {date_text} ({days_text} days left), trusted, matches {name}"),
               _bilingual("Chứng chỉ còn {days_text} ngày", "Certificate: {days_text} days left")),
    "tls_expiring": (_bilingual("Chứng chỉ sắp hết hạn: còn {days_text} ngày (hết hạn {date_text}), dưới ngưỡng {threshold_text} ngày",
                                "Certificate expires soon: {days_text} days left (on {date_text}), under the {threshold_text}-day threshold"),
                     _bilingual("Chứng chỉ hết hạn {date_text}", "Certificate expires {date_text}")),
    "tls_expired": (lambda p, lang: (f"The certificate expired on {day_text(p.get('date'), lang)}"
                                     + (f" ({number(p['days'], lang)} days ago)" if p.get("days") is not None else "")
                                     if lang == "en" else
                                     f"Chứng chỉ đã hết hạn ngày {day_text(p.get('date'), lang)}"
                                     + (f" ({number(p['days'], lang)} ngày trước)" if p.get("days") is not None else "")),
                    _bilingual("Chứng chỉ hết hạn {date_text}", "Certificate expired {date_text}")),
    "tls_not_yet_valid": (_bilingual("Chứng chỉ chưa có hiệu lực (hiệu lực từ {date_text})",
                                     "The certificate is not valid yet (valid from {date_text})"),
                          _bilingual("Chứng chỉ chưa có hiệu lực", "Certificate not valid yet")),
    "tls_hostname": (_bilingual("Chứng chỉ cấp cho {names_text}, không phải {expected} (sai tên máy chủ)",
                                "The certificate is for {names_text}, not {expected} (name mismatch)"),
                     _bilingual("Chứng chỉ sai tên miền", "Certificate name mismatch")),
    "tls_untrusted": (_tls_untrusted_full, _bilingual("Chứng chỉ không được tin cậy", "Untrusted certificate")),
    "tls_other": (_bilingual("Chứng chỉ không hợp lệ (mã kiểm tra {verify_code})",
                             "Certificate verification failed (verify code {verify_code})"),
                  _bilingual("Chứng chỉ không hợp lệ", "Invalid certificate")),
    "tls_not_tls": (_bilingual("{where} không trả lời bằng TLS (có thể là HTTP thường hoặc giao thức khác)",
                               "{where} does not speak TLS (plain HTTP or another protocol?)"),
                    _bilingual("Không phải dịch vụ TLS", "Not a TLS service")),
    "tls_handshake": (_bilingual("Bắt tay TLS với {where} thất bại", "The TLS handshake with {where} failed"),
                      _bilingual("Lỗi bắt tay TLS", "TLS handshake failed")),
    "ca_bundle": (_bilingual("Không dùng được tệp CA {path}", "The CA bundle {path} cannot be used"),
                  _bilingual("Lỗi tệp CA", "CA bundle error")),
    "not_http": (lambda p, lang: ("The service does not answer in HTTP" if lang == "en"
                                  else "Dịch vụ không trả lời bằng HTTP")
                 + ((f" (it starts with {_quote(p['first_bytes'])})" if lang == "en"
                     else f" (bắt đầu bằng {_quote(p['first_bytes'])})") if p.get("first_bytes") else ""),
                 _bilingual("Không phải HTTP", "Not an HTTP answer")),
    "not_smtp": (lambda p, lang: ("The server does not answer in SMTP" if lang == "en"
                                  else "Máy chủ không trả lời theo giao thức SMTP")
                 + ((f" (it starts with {_quote(p['first_bytes'])})" if lang == "en"
                     else f" (bắt đầu bằng {_quote(p['first_bytes'])})") if p.get("first_bytes") else ""),
                 _bilingual("Không phải máy chủ thư", "Not an SMTP server")),
    "redirects": (_bilingual("Chuyển hướng quá {count} lần (vòng lặp chuyển hướng?), lần cuối tới {last_url}",
                             "More than {count} redirects (a redirect loop?), the last to {last_url}"),
                  _bilingual("Chuyển hướng quá nhiều", "Too many redirects")),
    "body_cap": (lambda p, lang: (
        (f"The body ({number(p['bytes'], lang)} bytes) is larger than the {number(p.get('cap'), lang)}-byte cap"
         if lang == "en" else f"Nội dung trả về ({number(p['bytes'], lang)} byte) vượt giới hạn {number(p.get('cap'), lang)} byte")
        if p.get("bytes") is not None else
        (f"The body is larger than the {number(p.get('cap'), lang)}-byte cap (reading stopped)" if lang == "en"
         else f"Nội dung trả về vượt giới hạn {number(p.get('cap'), lang)} byte (đã dừng đọc)")),
        _bilingual("Nội dung quá lớn", "Body too large")),
    "body_broken": (_bilingual("Nội dung trả về bị cắt ngang hoặc sai định dạng", "The body was cut off or malformed"),
                    _bilingual("Nội dung bị lỗi", "Broken body")),
    "disconnected": (_bilingual("Máy chủ đóng kết nối trước khi trả lời đầy đủ",
                                "The server closed the connection before a complete answer"),
                     _bilingual("Máy chủ ngắt kết nối", "Connection closed")),
    "bad_request": (_bilingual("Địa chỉ hoặc yêu cầu kiểm tra không hợp lệ", "The check's address or request is not valid"),
                    _bilingual("Cấu hình kiểm tra sai", "Invalid check")),
    "request_failed": (_bilingual("Yêu cầu thất bại ({error})", "The request failed ({error})"),
                       _bilingual("Yêu cầu thất bại", "Request failed")),
    "probe_error": (_bilingual("Lỗi của bộ kiểm tra ({error})", "The probe failed ({error})"),
                    _bilingual("Lỗi bộ kiểm tra", "Probe error")),
    "missed": (_bilingual("Không kiểm tra kịp lúc (bộ thu thập quá tải)", "The check could not start on time (collector overloaded)"),
               _bilingual("Bỏ lỡ lượt kiểm tra", "Check missed")),
    "smtp_refused": (_bilingual("Máy chủ thư từ chối ở bước {step} (mã {code})", "The mail server refused at {step} (code {code})"),
                     _bilingual("Máy chủ thư từ chối ({code})", "Mail server refused ({code})")),
    "smtp_no_starttls": (_bilingual("Máy chủ thư không hỗ trợ STARTTLS", "The mail server does not offer STARTTLS"),
                         _bilingual("Không hỗ trợ STARTTLS", "No STARTTLS")),
    "smtp_ok": (lambda p, lang: ("The mail server answers normally" if lang == "en" else "Máy chủ thư trả lời bình thường")
                + ((f" (STARTTLS, certificate: {number(p['days'], lang)} days left)" if lang == "en"
                    else f" (STARTTLS, chứng chỉ còn {number(p['days'], lang)} ngày)") if p.get("days") is not None else ""),
                _bilingual("Máy chủ thư bình thường", "Mail server OK")),
    "heartbeat_waiting": (_bilingual("Đang chờ tín hiệu đầu tiên (hạn {due_text}; mong đợi mỗi {expected_text})",
                                     "Waiting for the first heartbeat (due by {due_text}; expected every {expected_text})"),
                          _bilingual("Chờ tín hiệu đầu tiên", "Awaiting first heartbeat")),
    "heartbeat_never": (_bilingual("Chưa nhận được tín hiệu nào từ khi bắt đầu giám sát lúc {since_text} (mong đợi mỗi {expected_text})",
                                   "No heartbeat since monitoring started at {since_text} (expected every {expected_text})"),
                        _bilingual("Chưa có tín hiệu", "No heartbeat yet")),
    "heartbeat_late": (_bilingual("Mất tín hiệu {age_text} (lần cuối lúc {last_text}); mong đợi mỗi {expected_text}",
                                  "No heartbeat for {age_text} (last at {last_text}); expected every {expected_text}"),
                       _bilingual("Mất tín hiệu {age_text}", "Silent for {age_text}")),
    "heartbeat_reported": (lambda p, lang: (
        ("The sender reports a failure" if p.get("status") == "down" else "The sender reports degraded service")
        if lang == "en" else ("Bên gửi báo lỗi" if p.get("status") == "down" else "Bên gửi báo dịch vụ suy giảm"))
        + (f": {p['message']}" if p.get("message") else ""),
        lambda p, lang: (("Sender reports a failure" if p.get("status") == "down" else "Sender reports degraded")
                         if lang == "en" else ("Bên gửi báo lỗi" if p.get("status") == "down" else "Bên gửi báo suy giảm"))),
    "heartbeat_ok": (lambda p, lang: _bilingual("Tín hiệu gần nhất {age_text} trước (mong đợi mỗi {expected_text})",
                                                "Last heartbeat {age_text} ago (expected every {expected_text})")(p, lang)
                     + (f": {p['message']}" if p.get("message") else ""),
                     _bilingual("Có tín hiệu", "Heartbeat received")),
    "heartbeat_unreadable": (_bilingual("Không đọc được tín hiệu (cơ sở dữ liệu chậm hoặc không truy cập được)",
                                        "Heartbeats cannot be read (database slow or unreachable)"),
                             _bilingual("Không đọc được tín hiệu", "Heartbeats unreadable")),
    "link_report_http": (_bilingual("Không đọc được trạng thái kết nối: trang trạng thái trả về HTTP {status}",
                                    "Cannot read the link state: the status page answered HTTP {status}"),
                         _bilingual("Trang trạng thái lỗi HTTP {status}", "Status page HTTP {status}")),
    "link_report_not_json": (_bilingual("Không đọc được trạng thái kết nối: báo cáo không phải JSON",
                                        "Cannot read the link state: the report is not JSON"),
                             _bilingual("Báo cáo kết nối sai định dạng", "Link report unreadable")),
    "link_state_missing": (_bilingual("Không đọc được trạng thái kết nối: báo cáo không có trường {path}",
                                      "Cannot read the link state: {path} is missing from the report"),
                           _bilingual("Thiếu trạng thái kết nối", "Link state missing")),
    "link_down": (_link_down_full, lambda p, lang: clip(f"Link down ({p.get('state')})" if lang == "en"
                                                        else f"Mất kết nối ({p.get('state')})")),
    "link_stale": (_bilingual("Kết nối báo tốt nhưng lần trao đổi cuối đã {age_text} trước (cho phép {max_age_text})",
                              "The link reports connected, but the last exchange was {age_text} ago ({max_age_text} allowed)"),
                   _bilingual("Lâu không trao đổi dữ liệu", "No recent exchange")),
    "link_no_exchange": (_bilingual("Kết nối báo tốt nhưng không rõ lần trao đổi cuối ({path})",
                                    "The link reports connected, but its last exchange is unknown ({path})"),
                         _bilingual("Không rõ lần trao đổi cuối", "Last exchange unknown")),
    "link_ok": (lambda p, lang: ("The link is connected" if lang == "en" else "Kết nối tốt")
                + ((f", last exchange {duration(p['age'], lang)} ago" if lang == "en"
                    else f", trao đổi cuối {duration(p['age'], lang)} trước") if p.get("age") is not None else ""),
                _bilingual("Kết nối tốt", "Connected")),
    # composed by the status engine and the read models
    "flapping": (_bilingual("Dao động: {n} lần đổi trạng thái trong {minutes_text} phút",
                            "Flapping: {n} state changes in {minutes_text} minutes"),
                 _bilingual("Dao động ({n} lần/{minutes_text} phút)", "Flapping ({n} in {minutes_text} min)")),
    "maintenance": (_bilingual("Bảo trì: {reason}", "Maintenance: {reason}"),
                    lambda p, lang: clip(("Maintenance: " if lang == "en" else "Bảo trì: ") + str(p.get("reason") or ""))),
    "maintenance_over": (_bilingual("Hết bảo trì, chờ lượt kiểm tra tiếp theo", "Maintenance over: waiting for the next check"),
                         _bilingual("Hết bảo trì, chờ kiểm tra", "Maintenance over")),
    "pending": (_pending_full, lambda p, lang: clip(_pending_short(p, lang))),
    "stale": (_bilingual("Không có kết quả từ {since_text} (bộ thu thập đã dừng hoặc quá tải?)",
                         "No result since {since_text} (collector stopped or overloaded?)"),
              _bilingual("Không có dữ liệu mới", "No recent data")),
    "agent_silent": (_bilingual("Trạm thu thập từ xa của vùng mạng {vantage} không liên lạc; kết quả cuối lúc {since_text}",
                                "The remote agent of vantage {vantage} is silent; last result at {since_text}"),
                     _bilingual("Trạm thu thập {vantage} mất liên lạc", "Agent {vantage} silent")),
    "not_checked": (_bilingual("Chưa kiểm tra", "Not checked yet"), _bilingual("Chưa kiểm tra", "Not checked yet")),
    "communes_silent": (lambda p, lang: _communes(p, lang, "mất tín hiệu", "silent"),
                        _bilingual("{n}/{total} xã mất tín hiệu", "{n}/{total} communes silent")),
    "communes_degraded": (lambda p, lang: _communes(p, lang, "báo dịch vụ suy giảm", "reporting degraded service"),
                          _bilingual("{n}/{total} xã báo suy giảm", "{n}/{total} communes degraded")),
    "several": (_several_full, _several_short),
}
CODES = frozenset(CAUSES)


# ---------------------------------------------------------------------------- the two entry points


def _unknown(code: str | None, lang: str) -> str:
    return f"Unknown cause ({code})" if lang == "en" else f"Nguyên nhân chưa rõ ({code})"


def full_cause(code: str | None, params: dict | None, lang: str = "vi") -> str:
    """The whole sentence, in `lang` ("vi" or "en")."""
    entry = CAUSES.get(code or "")
    text = entry[0](params or {}, lang) if entry is not None else ""
    return text or _unknown(code, lang)  # (a code with the parameters it needs missing)


def short_cause(code: str | None, params: dict | None, lang: str = "vi") -> str:
    """One line of at most 60 characters, in `lang`."""
    entry = CAUSES.get(code or "")
    text = entry[1](params or {}, lang) if entry is not None else ""
    return clip(text or _unknown(code, lang))


def cause_of(stored: dict | None, legacy_text: str | None = None) -> dict | None:
    """The cause to render: the stored {code, params}, or a row's old text as a "text" cause."""
    if isinstance(stored, dict) and stored.get("code"):
        return {"code": stored["code"], "params": stored.get("params") or {}}
    if legacy_text:
        return {"code": "text", "params": {"text": legacy_text}}
    return None


def render(cause: dict | None, lang: str = "vi", short: bool = False) -> str | None:
    if not cause:
        return None
    function = short_cause if short else full_cause
    return function(cause.get("code"), cause.get("params") or {}, lang)


def localized(cause: dict | None, lang: str = "vi") -> dict:
    """The fields a read model adds for a cause: `cause` ({code, params} or None), `reason`
    (the full sentence) and `short_reason` (the tile's line), in `lang`."""
    return {"cause": cause, "reason": render(cause, lang), "short_reason": render(cause, lang, short=True)}


def text_cause(text: str | None) -> dict | None:
    return {"code": "text", "params": {"text": text}} if text else None
