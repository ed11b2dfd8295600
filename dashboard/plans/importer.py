"""Reading a filled plan template (.xlsx or .csv) into validated tasks. Pure: it knows the
valid agency and system codes through a `Reference`, never the database.

Every row is checked and every problem reported with its row number (as the spreadsheet
shows it: the header is row 1) and reason; a report with any problem imports nothing.
"""
from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime

from dashboard.domain.limits import limit_of
from dashboard.i18n import t
from dashboard.plans.export_safety import from_csv_text
from dashboard.plans.template import (
    CATEGORIES,
    COLUMNS,
    DONE,
    PARTNERS,
    SHEET_NAME,
    STATUSES,
    header_aliases,
    normalize,
)

# A real plan file: ~108 agencies x a few dozen tasks, a few hundred kB. Far above that is refused.
MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20_000
# An .xlsx is a zip: a small file can unpack to gigabytes (one 100 MB cell compresses to ~100 kB).
# The sizes its directory declares are checked before anything is unpacked, and the reading
# stops when the parts really unpack to more (a lying directory).
MAX_UNPACKED_BYTES = 30 * 1024 * 1024
MAX_CELLS = 400_000  # 20,000 rows x 20 columns
MAX_PROBLEMS_LISTED = 500
COLUMN_BY_KEY = {c.key: c for c in COLUMNS}
PLAN_FIELDS = ("plan.title", "plan.owner", "plan.notes")
CELL_LIMIT = limit_of("plan.cell")


@dataclass(frozen=True)
class Reference:
    """What the file may name: agency ids (with their default partner), official commune
    codes, and shared system ids."""

    agencies: dict[str, str | None]
    official_codes: dict[str, str]
    systems: frozenset[str]
    platforms: frozenset[str] = frozenset()  # national platform ids (the inventory names them)


@dataclass(frozen=True)
class Problem:
    row: int | None  # None: the file as a whole
    column: str | None  # a column key
    code: str  # an i18n key suffix: plans.err.<code>
    params: tuple[tuple[str, object], ...] = ()

    def message(self, lang: str = "vi") -> str:
        return t(f"plans.err.{self.code}", lang, **dict(self.params))

    def column_label(self, lang: str = "vi") -> str:
        if self.column is None:
            return ""
        column = COLUMN_BY_KEY[self.column]
        return column.en if lang == "en" else column.vi


@dataclass(frozen=True)
class ParsedTask:
    row: int
    agency_id: str
    partner: str | None
    title: str
    category: str
    owner: str | None
    start: date | None
    due: date
    status: str
    percent: float
    systems: tuple[str, ...]
    notes: str | None
    code: str | None = None  # the stable task code; None: a new task (or one matched by its title)


CODE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


@dataclass
class ImportReport:
    filename: str
    tasks: list[ParsedTask] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    rows_read: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems and bool(self.tasks)

    def agencies(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for task in self.tasks:
            counts[task.agency_id] = counts.get(task.agency_id, 0) + 1
        return counts

    def partners(self) -> dict[str, str | None]:
        return {task.agency_id: task.partner for task in self.tasks}


def _file_problem(report, code: str, **params):
    report.problems.append(Problem(None, None, code, tuple(params.items())))
    return report


def parse_plan_file(filename: str, data: bytes, reference: Reference) -> ImportReport:
    """Validate a whole file. `report.ok` means every row is good and it may be imported."""
    report = ImportReport(filename=filename or "")
    rows = read_rows(filename, data, report)
    if rows is None:
        return report
    _validate(rows, reference, report)
    return report


def _zip_problem(data: bytes, report: ImportReport) -> bool:
    """Refuse, before openpyxl unpacks anything, a workbook that would unpack to too much, or
    whose XML declares a DOCTYPE (entity tricks; Excel never writes one). True: refused."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        _file_problem(report, "not_xlsx", detail=str(exc)[:120])
        return True
    with archive:
        declared = sum(m.file_size for m in members)
        if declared > MAX_UNPACKED_BYTES:
            _file_problem(report, "too_large_unpacked", size=f"{declared / 1_048_576:.0f}", limit=MAX_UNPACKED_BYTES // 1_048_576)
            return True
        unpacked = 0
        for member in members:
            if not member.filename.lower().endswith((".xml", ".rels", ".vml")):
                continue
            try:
                with archive.open(member) as part:
                    head = part.read(4096)
                    # read the rest in chunks, never more than the budget: a directory may lie
                    unpacked += len(head)
                    while chunk := part.read(1 << 20):
                        unpacked += len(chunk)
                        if unpacked > MAX_UNPACKED_BYTES:
                            _file_problem(report, "too_large_unpacked", size=f"> {MAX_UNPACKED_BYTES // 1_048_576}",
                                          limit=MAX_UNPACKED_BYTES // 1_048_576)
                            return True
            except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
                _file_problem(report, "not_xlsx", detail=str(exc)[:120])
                return True
            if b"<!doctype" in head.lower():
                _file_problem(report, "xml_doctype")
                return True
    return False


def read_rows(filename: str, data: bytes, report, sheet_name: str = SHEET_NAME) -> list[tuple[int, list]] | None:
    """The numbered rows of an .xlsx (its `sheet_name` sheet) or .csv file, or None with the
    file's problem added to `report` (any object with a `problems` list). Shared by the plan
    and the inventory imports."""
    if len(data) > MAX_BYTES:
        _file_problem(report, "too_large", size=f"{len(data) / 1_048_576:.1f}", limit=MAX_BYTES // 1_048_576)
        return None
    if not data.strip():
        _file_problem(report, "empty_file")
        return None
    name = (filename or "").lower()
    if name.endswith(".xlsx") or data[:4] == b"PK\x03\x04":
        return _xlsx_rows(data, report, sheet_name)
    if name.endswith((".csv", ".txt")):
        return _csv_rows(data, report)
    _file_problem(report, "unknown_format")
    return None


def decode_upload(contents: str, report) -> bytes | None:
    """A dcc.Upload value ("data:<mime>;base64,<data>") decoded, or None with the problem added
    to `report`: the size is checked on the encoded text, so a huge file is never decoded."""
    import base64
    import binascii

    _, _, encoded = (contents or "").partition(",")
    approx = len(encoded) * 3 // 4
    if approx > MAX_BYTES:
        _file_problem(report, "too_large", size=f"{approx / 1_048_576:.1f}", limit=MAX_BYTES // 1_048_576)
        return None
    try:
        return base64.b64decode(encoded, validate=False)
    except (binascii.Error, ValueError):
        _file_problem(report, "unknown_format")
        return None


def _xlsx_rows(data: bytes, report, sheet_name: str = SHEET_NAME) -> list[tuple[int, list]] | None:
    from xml.etree.ElementTree import ParseError

    from openpyxl import load_workbook

    if _zip_problem(data, report):
        return None
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, ParseError) as exc:
        # ValueError includes defusedxml's refusals (openpyxl parses through it when installed)
        _file_problem(report, "not_xlsx", detail=str(exc)[:120])
        return None
    try:
        wanted = normalize(sheet_name)
        sheet = next((book[n] for n in book.sheetnames if normalize(n) == wanted), None)
        if sheet is None:
            _file_problem(report, "wrong_sheet", sheet=sheet_name, found=", ".join(book.sheetnames))
            return None
        # The declared dimension lets a huge sheet be refused before any row is read.
        declared = sheet.max_row if isinstance(sheet.max_row, int) else 0
        if declared > MAX_ROWS + 1:
            _file_problem(report, "too_many_rows", rows=declared - 1, limit=MAX_ROWS)
            return None
        columns = sheet.max_column if isinstance(sheet.max_column, int) else 0
        if declared * columns > MAX_CELLS:
            _file_problem(report, "too_many_cells", cells=declared * columns, limit=MAX_CELLS)
            return None
        rows = []
        cells = 0
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            if number > MAX_ROWS + 1:
                _file_problem(report, "too_many_rows", rows=f"> {MAX_ROWS}", limit=MAX_ROWS)
                return None
            cells += len(values)
            if cells > MAX_CELLS:
                _file_problem(report, "too_many_cells", cells=f"> {MAX_CELLS}", limit=MAX_CELLS)
                return None
            rows.append((number, list(values)))
        return rows
    finally:
        book.close()


def _csv_rows(data: bytes, report) -> list[tuple[int, list]] | None:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        _file_problem(report, "not_utf8")
        return None
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    rows = []
    cells = 0
    try:
        for number, values in enumerate(csv.reader(io.StringIO(text), delimiter=delimiter), start=1):
            if number > MAX_ROWS + 1:
                _file_problem(report, "too_many_rows", rows=f"> {MAX_ROWS}", limit=MAX_ROWS)
                return None
            cells += len(values)
            if cells > MAX_CELLS:
                _file_problem(report, "too_many_cells", cells=f"> {MAX_CELLS}", limit=MAX_CELLS)
                return None
            rows.append((number, [from_csv_text(v) for v in values]))  # an export's "'=…" is "=…" again
    except csv.Error as exc:  # e.g. a field over the csv module's own limit
        _file_problem(report, "not_csv", detail=str(exc)[:120])
        return None
    return rows


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _validate(rows: list[tuple[int, list]], reference: Reference, report: ImportReport) -> None:
    rows = [(n, values) for n, values in rows if not all(_blank(v) for v in values)]
    if not rows:
        _file_problem(report, "empty_file")
        return
    header_number, header = rows[0]
    aliases = header_aliases()
    positions: dict[str, int] = {}
    for index, name in enumerate(header):
        key = aliases.get(normalize(name))
        if key and key not in positions:
            positions[key] = index
    missing = [c for c in COLUMNS if c.required and c.key not in positions]
    if missing:
        _file_problem(report, "missing_columns", columns=", ".join(f"“{c.vi}” ({c.en})" for c in missing), row=header_number)
        return
    data_rows = rows[1:]
    if not data_rows:
        _file_problem(report, "no_rows")
        return
    report.rows_read = len(data_rows)
    seen_titles: dict[tuple[str, str], int] = {}
    seen_codes: dict[str, int] = {}
    partner_of: dict[str, tuple[str, int]] = {}
    for number, values in data_rows:
        cells = {key: (values[i] if i < len(values) else None) for key, i in positions.items()}
        problems: list[Problem] = []

        def bad(column: str, code: str, **params) -> None:
            problems.append(Problem(number, column, code, tuple(params.items())))

        # every cell, whatever its column, has a length limit: nothing huge reaches the preview
        for key, value in cells.items():
            limit = limit_of(f"plan.{key}") if f"plan.{key}" in PLAN_FIELDS else CELL_LIMIT
            if isinstance(value, str) and len(value) > limit:
                bad(key, "too_long", limit=limit)
                cells[key] = None
        if problems:
            report.problems.extend(problems)
            continue

        agency_id = _agency(cells.get("agency"), reference)
        if _blank(cells.get("agency")):
            bad("agency", "required")
        elif agency_id is None:
            bad("agency", "unknown_agency", value=_text(cells["agency"]))

        partner = None
        if not _blank(cells.get("partner")):
            partner = next((p for p in PARTNERS if p.lower() == _text(cells["partner"]).lower()), None)
            if partner is None:
                bad("partner", "unknown_partner", value=_text(cells["partner"]), known=", ".join(PARTNERS))
        elif agency_id:
            partner = reference.agencies.get(agency_id)
        if agency_id and partner:
            earlier = partner_of.setdefault(agency_id, (partner, number))
            if earlier[0] != partner:
                bad("partner", "partner_conflict", value=partner, other=earlier[0], other_row=earlier[1])

        title = _text(cells.get("title"))
        if not title:
            bad("title", "required")
        elif len(title) > limit_of("plan.title"):
            bad("title", "too_long", limit=limit_of("plan.title"))
        elif agency_id:
            key = (agency_id, normalize(title))
            if key in seen_titles:
                bad("title", "duplicate", other_row=seen_titles[key])
            else:
                seen_titles[key] = number

        category = _code(cells.get("category"), CATEGORIES)
        if _blank(cells.get("category")):
            bad("category", "required")
        elif category is None:
            bad("category", "unknown_code", value=_text(cells["category"]), known=", ".join(CATEGORIES))

        status = _code(cells.get("status"), STATUSES)
        if _blank(cells.get("status")):
            bad("status", "required")
        elif status is None:
            bad("status", "unknown_code", value=_text(cells["status"]), known=", ".join(STATUSES))

        start = due = None
        if not _blank(cells.get("start")):
            start = _date(cells["start"])
            if start is None:
                bad("start", "bad_date", value=_text(cells["start"]))
        if _blank(cells.get("due")):
            bad("due", "required")
        else:
            due = _date(cells["due"])
            if due is None:
                bad("due", "bad_date", value=_text(cells["due"]))
        if start and due and due < start:
            bad("due", "due_before_start", due=due.strftime("%d/%m/%Y"), start=start.strftime("%d/%m/%Y"))

        percent = None
        if _blank(cells.get("percent")):
            bad("percent", "required")
        else:
            percent = _number(cells["percent"])
            if percent is None:
                bad("percent", "not_a_number", value=_text(cells["percent"]))
            elif not 0 <= percent <= 100:
                bad("percent", "percent_range", value=f"{percent:g}")
                percent = None
        if status == DONE and percent is not None and percent < 100:
            bad("percent", "done_not_100", value=f"{percent:g}")

        systems: list[str] = []
        for code in re.split(r"[;,\n]", _text(cells.get("systems"))):
            code = code.strip()
            if not code:
                continue
            if code.lower() not in reference.systems:
                bad("systems", "unknown_system", value=code, known=", ".join(sorted(reference.systems)))
            elif code.lower() not in systems:
                systems.append(code.lower())

        owner = _text(cells.get("owner")) or None
        if owner and len(owner) > limit_of("plan.owner"):
            bad("owner", "too_long", limit=limit_of("plan.owner"))

        code = _text(cells.get("code")) or None
        if code is not None:
            if not CODE_PATTERN.match(code):
                bad("code", "bad_task_code", value=code[:70])
            elif code.lower() in seen_codes:
                bad("code", "duplicate_code", value=code, other_row=seen_codes[code.lower()])
            else:
                seen_codes[code.lower()] = number

        if problems:
            report.problems.extend(problems)
        else:
            report.tasks.append(
                ParsedTask(number, agency_id, partner, title, category, owner, start, due, status, float(percent),
                           tuple(systems), _text(cells.get("notes")) or None, code)
            )
    if report.problems:
        report.tasks = []


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _agency(value, reference: Reference) -> str | None:
    text = _text(value)
    if not text:
        return None
    if text in reference.agencies:
        return text
    if text.lower() in reference.agencies:
        return text.lower()
    return reference.official_codes.get(text) or reference.official_codes.get(text.zfill(5))


def _code(value, table: dict[str, tuple[str, str]]) -> str | None:
    wanted = normalize(value)
    if not wanted:
        return None
    for code, (vi, en) in table.items():
        if wanted in (normalize(code), normalize(vi), normalize(en)):
            return code
    return None


_DATE_FORMATS = ("%d/%m/%Y", "%d-%m-%Y", "%Y-%m-%d", "%d.%m.%Y", "%Y/%m/%d")


def _date(value) -> date | None:
    if isinstance(value, datetime):
        found = value.date()
    elif isinstance(value, date):
        found = value
    else:
        text = _text(value)
        found = None
        for fmt in _DATE_FORMATS:
            try:
                found = datetime.strptime(text, fmt).date()
                break
            except ValueError:
                continue
    if found is None or not 2000 <= found.year <= 2100:
        return None
    return found


def _number(value) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    text = _text(value).rstrip("%").strip().replace(",", ".")
    try:
        return float(text)
    except ValueError:
        return None


def parse_upload(filename: str, contents: str, reference: Reference) -> ImportReport:
    """A dcc.Upload value ("data:<mime>;base64,<data>"): the size is checked on the encoded
    text, before decoding, so that a huge file is refused without being read."""
    report = ImportReport(filename=filename or "")
    data = decode_upload(contents, report)
    return report if data is None else parse_plan_file(filename, data, reference)
