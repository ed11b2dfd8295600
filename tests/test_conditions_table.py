"""The condition language as tables (after Gatus's named condition cases): each row is one
condition, what the probe saw, and the outcome; then the texts that must not parse, with the
message an operator reads. Pure: no server, no database."""
from __future__ import annotations

import pytest

from collectors.base import Status
from collectors.conditions import Observation, evaluate, parse, verdict

JSON = ('{"status": "UP", "version": "2.4.1", "count": 12, "ratio": 0.75, "ok": true, "off": false, '
        '"none": null, "items": [{"id": 1, "state": "connected"}, {"id": 2, "state": "down"}], '
        '"gateway": {"faults": 3, "queue": {"depth": 0}}, "name": "Sở Khoa học và Công nghệ", "empty": ""}')
SEEN = Observation(status=200, response_time_ms=123.4, body=JSON,
                   headers={"Content-Type": "application/json; charset=utf-8", "X-Version": "7"},
                   certificate_hours_left=30 * 24.0)
TEXT = Observation(status=503, response_time_ms=2500.0, body="Service Unavailable", headers={})
NOTHING = Observation()

# (name, condition, observation, passes, what the outcome reports as observed)
CASES = [
    # [STATUS]
    ("status equal", "[STATUS] == 200", SEEN, True, "200"),
    ("status not equal fails", "[STATUS] != 200", SEEN, False, "200"),
    ("status less than", "[STATUS] < 300", SEEN, True, "200"),
    ("status less or equal at the edge", "[STATUS] <= 200", SEEN, True, "200"),
    ("status greater than fails", "[STATUS] > 200", SEEN, False, "200"),
    ("status greater or equal", "[STATUS] >= 200", SEEN, True, "200"),
    ("status 503 is not under 400", "[STATUS] < 400", TEXT, False, "503"),
    ("status equal written as float", "[STATUS] == 200.0", SEEN, True, "200"),
    ("status missing fails equality", "[STATUS] == 200", NOTHING, False, "missing"),
    ("status missing passes inequality", "[STATUS] != 200", NOTHING, True, "missing"),
    ("status missing fails an order", "[STATUS] < 500", NOTHING, False, "missing"),
    # [RESPONSE_TIME] (rounded milliseconds)
    ("response time under", "[RESPONSE_TIME] < 200", SEEN, True, "123"),
    ("response time over", "[RESPONSE_TIME] < 2000", TEXT, False, "2500"),
    ("response time rounded", "[RESPONSE_TIME] == 123", SEEN, True, "123"),
    ("response time missing", "[RESPONSE_TIME] < 100", NOTHING, False, "missing"),
    # [BODY] as text
    ("body contains keyword", '[BODY] contains "UP"', SEEN, True, None),
    ("body contains without quotes", "[BODY] contains connected", SEEN, True, None),
    ("body does not contain", '[BODY] !contains "error"', SEEN, True, None),
    ("body contains fails", '[BODY] contains "maintenance"', SEEN, False, None),
    ("body !contains fails", "[BODY] !contains Unavailable", TEXT, False, '"Service Unavailable"'),
    ("whole body equality", '[BODY] == "Service Unavailable"', TEXT, True, '"Service Unavailable"'),
    ("body contains Vietnamese text", '[BODY] contains "Khoa học"', SEEN, True, None),
    ("body missing", '[BODY] contains "UP"', NOTHING, False, "missing"),
    ("body missing passes !contains", '[BODY] !contains "UP"', NOTHING, True, "missing"),
    # [BODY].path in JSON
    ("json string field", "[BODY].status == UP", SEEN, True, '"UP"'),
    ("json string field quoted", '[BODY].status == "UP"', SEEN, True, '"UP"'),
    ("json string field differs", "[BODY].status == DOWN", SEEN, False, '"UP"'),
    ("json string compared case-sensitively", "[BODY].status == up", SEEN, False, '"UP"'),
    ("json integer", "[BODY].count == 12", SEEN, True, "12"),
    ("json integer order", "[BODY].count > 10", SEEN, True, "12"),
    ("json float", "[BODY].ratio >= 0.75", SEEN, True, "0.75"),
    ("json float strictly under fails", "[BODY].ratio < 0.5", SEEN, False, "0.75"),
    ("json true", "[BODY].ok == true", SEEN, True, "true"),
    ("json true against false", "[BODY].ok == false", SEEN, False, "true"),
    ("json false", "[BODY].off == false", SEEN, True, "false"),
    ("json boolean words any case", "[BODY].ok == TRUE", SEEN, True, "true"),
    ("json null", "[BODY].none == null", SEEN, True, "null"),
    ("json nested object", "[BODY].gateway.faults < 100", SEEN, True, "3"),
    ("json deeply nested zero", "[BODY].gateway.queue.depth == 0", SEEN, True, "0"),
    ("json array index", "[BODY].items.0.state == connected", SEEN, True, '"connected"'),
    ("json second array item", "[BODY].items.1.state != connected", SEEN, True, '"down"'),
    ("json index out of range", "[BODY].items.5.state == connected", SEEN, False, "missing"),
    ("json missing key", "[BODY].uptime > 0", SEEN, False, "missing"),
    ("json missing key passes !=", "[BODY].uptime != 0", SEEN, True, "missing"),
    ("json string against a number", "[BODY].status > 3", SEEN, False, '"UP"'),
    ("json dotted version stays text", "[BODY].version == 2.4.1", SEEN, True, '"2.4.1"'),
    ("json object contains", "[BODY].gateway contains faults", SEEN, True, None),
    ("json empty string", '[BODY].empty == ""', SEEN, True, '""'),
    ("json unicode value", '[BODY].name contains "Công nghệ"', SEEN, True, None),
    ("path on a body that is not JSON", "[BODY].status == UP", TEXT, False, "a body that is not valid JSON"),
    ("path on a non-JSON body passes !=", "[BODY].status != UP", TEXT, True, "a body that is not valid JSON"),
    # [HEADER].name (case-insensitive names)
    ("header contains", "[HEADER].content-type contains json", SEEN, True, None),
    ("header name any case", "[HEADER].Content-Type contains json", SEEN, True, None),
    ("header equality", "[HEADER].x-version == 7", SEEN, True, '"7"'),
    ("header missing", "[HEADER].x-frame-options == DENY", SEEN, False, "missing"),
    ("header missing passes !contains", "[HEADER].server !contains Werkzeug", SEEN, True, "missing"),
    # [CERTIFICATE_EXPIRATION] (hours; the right side is a duration)
    ("certificate hours", "[CERTIFICATE_EXPIRATION] > 48h", SEEN, True, "720.0"),
    ("certificate in days", "[CERTIFICATE_EXPIRATION] > 14d", SEEN, True, "720.0"),
    ("certificate too close", "[CERTIFICATE_EXPIRATION] > 60d", SEEN, False, "720.0"),
    ("certificate bare number is seconds", "[CERTIFICATE_EXPIRATION] > 86400", SEEN, True, "720.0"),
    ("certificate minutes", "[CERTIFICATE_EXPIRATION] > 90m", SEEN, True, "720.0"),
    ("certificate missing", "[CERTIFICATE_EXPIRATION] > 48h", TEXT, False, "missing"),
    # len()
    ("length of a list", "len([BODY].items) == 2", SEEN, True, "2"),
    ("length of a list at least", "len([BODY].items) >= 1", SEEN, True, "2"),
    ("length of an object", "len([BODY].gateway) == 2", SEEN, True, "2"),
    ("length of a text", "len([BODY].status) == 2", SEEN, True, "2"),
    ("length of a Vietnamese text in characters", "len([BODY].name) == 24", SEEN, True, "24"),
    ("length of the whole body", "len([BODY]) > 100", SEEN, True, None),
    ("length of an empty text", "len([BODY].empty) == 0", SEEN, True, "0"),
    ("length of a number is missing", "len([BODY].count) == 2", SEEN, False, "missing"),
    ("length of a header", "len([HEADER].x-version) == 1", SEEN, True, "1"),
    ("length with spaces inside", "len( [BODY].items ) < 3", SEEN, True, "2"),
    # spacing
    ("extra spaces around", "   [STATUS]   ==   200   ", SEEN, True, "200"),
]


@pytest.mark.parametrize("text, seen, passes, observed", [pytest.param(*case[1:], id=case[0]) for case in CASES])
def test_condition(text, seen, passes, observed):
    outcome = evaluate([parse(text)], seen)[0]
    assert outcome.ok is passes, outcome.describe()
    if observed is not None:
        assert outcome.describe() == f"{text.strip()} — observed {observed}"


# (name, text, part of the message)
BAD = [
    ("empty", "", "a condition must be a non-empty text"),
    ("only spaces", "   ", "a condition must be a non-empty text"),
    ("single equals", "[STATUS] = 200", "cannot read condition '[STATUS] = 200'"),
    ("no operator", "[STATUS] 200", "expected '[PLACEHOLDER] OPERATOR VALUE'"),
    ("no right side", "[STATUS] ==", "cannot read condition"),
    ("no placeholder brackets", "STATUS == 200", "cannot read condition"),
    ("lower-case placeholder", "[status] == 200", "cannot read condition"),
    ("unknown placeholder", "[STAUTS] == 200", "unknown placeholder [STAUTS]"),
    ("unknown placeholder lists the known", "[CODE] == 200", "known: STATUS, RESPONSE_TIME, BODY, HEADER, CERTIFICATE_EXPIRATION"),
    ("status takes no path", "[STATUS].code == 200", "[STATUS] takes no path"),
    ("response time takes no path", "[RESPONSE_TIME].ms < 2", "[RESPONSE_TIME] takes no path"),
    ("certificate takes no path", "[CERTIFICATE_EXPIRATION].days > 2", "[CERTIFICATE_EXPIRATION] takes no path"),
    ("header needs a name", "[HEADER] contains json", "[HEADER] needs one header name"),
    ("header takes one name", "[HEADER].a.b == 1", "[HEADER] needs one header name"),
    ("order needs a number", "[STATUS] < abc", "operator < needs a number on the right"),
    ("order needs a number on a path", "[BODY].count >= many", "operator >= needs a number on the right"),
    ("certificate needs a duration", "[CERTIFICATE_EXPIRATION] > soon", "'soon' is not a duration"),
    ("unknown function", "size([BODY]) == 1", "unknown function size()"),
    ("len of a status", "len([STATUS]) == 3", "len() takes [BODY] or [HEADER], not [STATUS]"),
    ("len compared with text", "len([BODY].items) == two", "len() is compared with a whole number"),
    ("len with contains", "len([BODY]) contains 3", "len() is compared with a whole number"),
    ("len unclosed", "len([BODY] == 1", "cannot read condition"),
]


@pytest.mark.parametrize("text, message", [pytest.param(*case[1:], id=case[0]) for case in BAD])
def test_bad_condition(text, message):
    with pytest.raises(ValueError) as caught:
        parse(text)
    assert message in str(caught.value)


@pytest.mark.parametrize("severity, expected", [("down", Status.DOWN), ("degraded", Status.DEGRADED)])
def test_severity_decides_the_verdict(severity, expected):
    outcomes = evaluate([parse("[STATUS] == 200", severity), parse("[RESPONSE_TIME] < 10000")], TEXT)
    status, reason = verdict(outcomes)
    assert status == expected and reason == "[STATUS] == 200 — observed 503"


def test_the_worst_failed_severity_wins_and_every_failure_is_named():
    outcomes = evaluate([parse("[RESPONSE_TIME] < 100", "degraded"), parse("[STATUS] < 400")], TEXT)
    assert verdict(outcomes) == (Status.DOWN, "[RESPONSE_TIME] < 100 — observed 2500; [STATUS] < 400 — observed 503")


def test_an_unknown_severity_is_refused():
    with pytest.raises(ValueError):
        parse("[STATUS] == 200", "warning")


def test_no_condition_is_up():
    assert verdict(evaluate([], SEEN)) == (Status.UP, "reachable")


def test_the_tables_are_large():
    assert len(CASES) + len(BAD) >= 60
