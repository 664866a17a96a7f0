"""The indicator set as a file: tables in words, small cells suppressed, XLSX and CSV writers.

:func:`indicator_tables` lays :class:`reports.IndicatorSet` out as titled tables of cells; each
cell that stands for people knows how many (``people``). An export meant to leave the ministry
(``publication=True``: partner staff always, ministry staff when they ask for it) **suppresses**
every cell standing for 1 to 4 people (shown « < 5 »), together with the rates, medians and
percentiles computed over fewer than 5 people, and the file says so on its first lines.

:func:`write_xlsx` writes with xlsxwriter in ``constant_memory`` mode (rows flushed as written)
into a file; :func:`csv_chunks` yields the CSV text piece by piece for a streamed response.
Labels are in the locale given (French by default); in CSV the numbers are written the
locale's way too (decimal comma and ``;`` separator in French), in XLSX they stay numbers with a
display format.

Background exports (:func:`start_export`, the ``export_indicators`` task, :func:`run_export`):
a :class:`ReportRun` row records who asked, with which filters, and the output file's name under
``EXPORT_DIR``; the job's progress moves as the indicators are computed. Only the account that
asked may follow or download it (:func:`run_for`).
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from flask import current_app
from flask_babel import force_locale, format_decimal, gettext as _, lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import ClientCategory, Partner, Region, ReportRun
from ..models.base import current_language, localized, utcnow
from . import reports
from .reports import BAND_LABELS, LEVEL_BAND_LABELS, IndicatorSet, ReportFilters

SUPPRESSION_THRESHOLD = 5
REPORT_NAME = "indicators"
REPORT_LABELS = {REPORT_NAME: _l("Indicator export")}
FORMATS = ("xlsx", "csv")
LOCALES = ("fr", "en")
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MIME = "text/csv; charset=utf-8"

COUNT, DAYS, RATE, MONEY, NUMBER, TEXT, DATE = "count", "days", "rate", "money", "number", "text", "date"


@dataclass(frozen=True)
class Cell:
    """One value of a table: its kind says how to write it; ``people`` how many people it stands for."""

    value: object
    kind: str = TEXT
    people: int | None = None

    def suppressed(self, publication: bool) -> bool:
        return (publication and self.people is not None and 0 < self.people < SUPPRESSION_THRESHOLD
                and self.value is not None)


@dataclass(frozen=True)
class Table:
    key: str
    title: object
    sheet: object  # a short name (an XLSX sheet name: 31 characters at most)
    columns: tuple
    rows: tuple[tuple[Cell, ...], ...]


def count(value: int) -> Cell:
    return Cell(value, COUNT, value)


def over(value, kind: str, people: int) -> Cell:
    """A figure computed over ``people`` people (a rate, a median…)."""
    return Cell(value, kind, people)


def text(value) -> Cell:
    return Cell(value, TEXT)


def indicator_tables(ind: IndicatorSet) -> list[Table]:
    """The indicator set as tables (labels still lazy: render them under the wanted locale)."""
    a, clock, waiting, t = ind.applications, ind.time_to_first_course, ind.waiting, ind.training
    tables = [
        Table("applications", _l("Applications"), _l("Applications"), (_l("Indicator"), _l("Applications")), (
            (text(_l("Applications received")), count(a.received)),
            (text(_l("Applications complete")), count(a.complete)),
            (text(_l("Applications approved")), count(a.approved)),
            (text(_l("Applications refused")), count(a.refused)),
            (text(_l("Applications decided (approved or refused)")), count(a.decided)),
            (text(_l("Applications withdrawn")), count(a.withdrawn)),
        )),
        Table("time_to_first_course", _l("Working days from a complete application to the first course"),
              _l("Service standard"), (_l("Indicator"), _l("Value")), (
                  (text(_l("Files whose first course started")), count(clock.count)),
                  (text(_l("Median (working days)")), over(clock.median, DAYS, clock.count)),
                  (text(_l("80th percentile (working days)")), over(clock.p80, DAYS, clock.count)),
                  (text(_l("Within the standard of %(days)s working days", days=clock.standard)),
                   count(clock.within_standard)),
                  (text(_l("Share within the standard")), over(clock.share_within_standard, RATE, clock.count)),
              )),
        Table("waiting", _l("People waiting"), _l("Waiting"), (_l("Indicator"), _l("Value")), (
            (text(_l("People waiting")), count(waiting.size)),
            (text(_l("Median wait so far (working days)")), over(waiting.age.median, DAYS, waiting.size)),
            (text(_l("80th percentile of the wait (working days)")), over(waiting.age.p80, DAYS, waiting.size)),
            (text(_l("Longest wait (working days)")), over(waiting.age.maximum, DAYS, waiting.size)),
            (text(_l("Waiting beyond the standard")), count(waiting.age.beyond_standard)),
        )),
        Table("waiting_by_stage", _l("People waiting, by what they wait for"), _l("Waiting by stage"),
              (_l("They wait for"), _l("People waiting"), _l("Beyond the standard")),
              tuple((text(g.label), count(g.count), count(g.beyond_standard)) for g in waiting.by_stage)),
        Table("waiting_by_region", _l("People waiting, by region"), _l("Waiting by region"),
              (_l("Region"), _l("People waiting"), _l("Beyond the standard")),
              tuple((text(g.label), count(g.count), count(g.beyond_standard)) for g in waiting.by_region)),
        Table("waiting_by_format", _l("People waiting, by the format they asked for"), _l("Waiting by format"),
              (_l("Course format"), _l("People waiting"), _l("Beyond the standard")),
              tuple((text(g.label), count(g.count), count(g.beyond_standard)) for g in waiting.by_format)),
        Table("training", _l("Enrolments and their outcome"), _l("Training"), (_l("Indicator"), _l("Value")), (
            (text(_l("Enrolments")), count(t.enrolments)),
            (text(_l("Learners")), count(t.learners)),
            (text(_l("In progress")), count(t.in_progress)),
            (text(_l("Completed")), count(t.completed)),
            (text(_l("Not passed")), count(t.failed)),
            (text(_l("Dropped out")), count(t.dropped)),
            (text(_l("Completion rate (of the enrolments that ended)")), over(t.completion_rate, RATE, t.ended)),
            (text(_l("Dropout rate")), over(t.dropout_rate, RATE, t.enrolments)),
            (text(_l("Hours present")), over(t.hours_present, NUMBER, t.learners)),
            (text(_l("Levels gained")), over(t.levels_gained, COUNT, t.learners)),
            (text(_l("Levels gained per 100 hours")), over(t.levels_per_100_hours, NUMBER, t.learners)),
        )),
        Table("dropout_reasons", _l("Dropouts by reason"), _l("Dropout reasons"),
              (_l("Reason"), _l("Dropouts"), _l("Share of the dropouts")),
              tuple((text(r.label), count(r.count), over(_share(r.count, t.dropped), RATE, r.count))
                    for r in t.dropout_reasons)),
        Table("exams", _l("Exam pass rates by skill"), _l("Exams"),
              (_l("Skill"), _l("Exams taken"), _l("Exams passed"), _l("Pass rate")),
              tuple((text(e.skill.label), count(e.taken), count(e.passed), over(e.rate, RATE, e.taken))
                    for e in ind.exams)),
        Table("follow_up", _l("People to follow up"), _l("Follow-up"), (_l("Indicator"), _l("People")), (
            (text(_l("Approved but never enrolled")), count(ind.follow_up.approved_never_enrolled)),
            (text(_l("Dropped out without enrolling again")), count(ind.follow_up.dropped_without_reenrolling)),
        )),
        Table("allowances", _l("Allowances computed and paid, by week and type"), _l("Allowances"),
              (_l("Week of"), _l("Allowance"), _l("Learners"), _l("Computed ($)"), _l("Paid ($)")),
              tuple((Cell(w.week, DATE), text(w.kind.label), count(w.learners), over(w.computed, MONEY, w.learners),
                     over(w.paid, MONEY, w.learners)) for w in ind.allowances)),
        Table("capacity", _l("Demand against declared and scheduled capacity"), _l("Capacity"),
              (_l("Region"), _l("Course format"), _l("Level"), _l("Demand (people)"), _l("Groups declared"),
               _l("Seats declared"), _l("Groups scheduled"), _l("Seats scheduled"), _l("Seats free"),
               _l("Gap (demand − free seats)")),
              tuple((text(c.region), text(c.format.label), text(BAND_LABELS.get(c.band, c.band)), count(c.demand),
                     Cell(c.declared_groups, COUNT), Cell(c.declared_seats, COUNT), Cell(c.scheduled_groups, COUNT),
                     Cell(c.scheduled_seats, COUNT), Cell(c.free_seats, COUNT), over(c.gap, COUNT, c.demand))
                    for c in ind.capacity)),
    ]
    return tables


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


# --- what the file says about itself ------------------------------------------------------------

def describe_filters(session: Session, filters: ReportFilters) -> list[tuple[str, str]]:
    """The filters in words (label, value) for the head of a file; "All" for those not set."""
    everything = _("All")

    def name_of(model, row_id, render):
        if row_id is None:
            return everything
        row = session.get(model, row_id)
        return render(row) if row is not None else everything

    period = everything
    if filters.date_from or filters.date_to:
        period = _("from %(start)s to %(end)s", start=(filters.date_from or "…"), end=(filters.date_to or "…"))
    return [
        (_("Period"), str(period)),
        (_("Region"), name_of(Region, filters.region_id, lambda r: f"{r.code} {localized(r.name_fr, r.name_en)}")),
        (_("Partner"), name_of(Partner, filters.partner_id, lambda p: p.name)),
        (_("Course format"), str(filters.format.label) if filters.format else everything),
        (_("Level"), str(LEVEL_BAND_LABELS[filters.level_band]) if filters.level_band else everything),
        (_("Client category"), name_of(ClientCategory, filters.category_id,
                                       lambda c: localized(c.name_fr, c.name_en))),
    ]


def head_lines(session: Session, ind: IndicatorSet, publication: bool) -> list[tuple[str, str]]:
    """The first lines of a file: title, date, filters and the suppression notice."""
    notice = (_("Cells standing for fewer than %(n)s people are suppressed (shown « < %(n)s »), and so are the "
                "rates and medians computed over fewer than %(n)s people.", n=SUPPRESSION_THRESHOLD)
              if publication else
              _("Internal to the ministry: no cell is suppressed. Ask for the publication version (cells under "
                "%(n)s people suppressed) before sending figures outside the ministry.", n=SUPPRESSION_THRESHOLD))
    return [(_("Guichet Francisation — accountability indicators"), ""),
            (_("Figures as of"), ind.today.isoformat()),
            *describe_filters(session, ind.filters),
            (_("Small cells"), notice)]


# --- writers ------------------------------------------------------------------------------------

def suppressed_text() -> str:
    return f"< {SUPPRESSION_THRESHOLD}"


def _plain(value) -> object:
    """A cell's value for a spreadsheet (labels rendered in the current locale)."""
    if value is None or isinstance(value, (int, float, Decimal, dt.date, str)):
        return value
    return str(value)


def write_xlsx(target, session: Session, ind: IndicatorSet, publication: bool, locale: str = "fr") -> int:
    """Write the indicator set as an XLSX workbook to ``target`` (a path or a binary file): an
    "about" sheet, then one sheet per table. Returns the number of table rows written."""
    import xlsxwriter

    rows_written = 0
    with force_locale(locale):
        options = {"constant_memory": True, "in_memory": False, "tmpdir": current_app.config.get("EXPORT_DIR")}
        if options["tmpdir"]:
            Path(options["tmpdir"]).mkdir(parents=True, exist_ok=True)
        workbook = xlsxwriter.Workbook(target, options)
        bold = workbook.add_format({"bold": True})
        title = workbook.add_format({"bold": True, "font_size": 13})
        formats = {
            RATE: workbook.add_format({"num_format": "0.0%"}),
            DAYS: workbook.add_format({"num_format": "0.0"}),
            MONEY: workbook.add_format({"num_format": "#,##0.00"}),
            NUMBER: workbook.add_format({"num_format": "#,##0.00"}),
            DATE: workbook.add_format({"num_format": "yyyy-mm-dd"}),
        }
        about = workbook.add_worksheet(_sheet_name(_("About"), set()))
        about.set_column(0, 0, 34)
        about.set_column(1, 1, 90)
        for r, (label, value) in enumerate(head_lines(session, ind, publication)):
            about.write_string(r, 0, label, title if r == 0 else bold)
            if value:
                about.write_string(r, 1, value)
        used: set[str] = set()
        for table in indicator_tables(ind):
            sheet = workbook.add_worksheet(_sheet_name(str(table.sheet), used))
            sheet.set_column(0, 0, 42)
            sheet.set_column(1, len(table.columns), 16)
            sheet.write_string(0, 0, str(table.title), title)
            for c, column in enumerate(table.columns):
                sheet.write_string(2, c, str(column), bold)
            for r, row in enumerate(table.rows, start=3):
                for c, cell in enumerate(row):
                    _write_cell(sheet, r, c, cell, publication, formats)
                rows_written += 1
        workbook.close()
    return rows_written


def _write_cell(sheet, r: int, c: int, cell: Cell, publication: bool, formats) -> None:
    if cell.suppressed(publication):
        sheet.write_string(r, c, suppressed_text())
        return
    value = _plain(cell.value)
    if value is None:
        sheet.write_blank(r, c, None)
    elif cell.kind == DATE:
        sheet.write_datetime(r, c, dt.datetime.combine(value, dt.time(0)), formats[DATE])
    elif isinstance(value, str):
        sheet.write_string(r, c, value)
    else:
        number = float(value) if isinstance(value, Decimal) else value
        sheet.write_number(r, c, number, formats.get(cell.kind))


def _sheet_name(name: str, used: set[str]) -> str:
    """A valid, unique sheet name: 31 characters at most, none of []:*?/\\."""
    clean = "".join(" " if ch in "[]:*?/\\" else ch for ch in name).strip()[:31] or "Sheet"
    candidate, n = clean, 2
    while candidate.lower() in used:
        suffix = f" {n}"
        candidate, n = clean[:31 - len(suffix)] + suffix, n + 1
    used.add(candidate.lower())
    return candidate


def csv_text(cell: Cell, publication: bool) -> str:
    """A cell as CSV text in the current locale."""
    if cell.suppressed(publication):
        return suppressed_text()
    value = cell.value
    if value is None:
        return ""
    if cell.kind == DATE:
        return value.isoformat()
    if cell.kind == RATE:  # one decimal; French puts a (non-breaking) space before the sign
        number = format_decimal(round(value * 100, 1), format="#,##0.0")
        return f"{number}\u00a0%" if current_language() == "fr" else f"{number}%"
    if cell.kind in (MONEY, NUMBER):
        return format_decimal(value, format="#,##0.00")
    if cell.kind == DAYS:
        return format_decimal(value, format="#,##0.#")
    if cell.kind == COUNT:
        return str(value)
    return str(value)


def csv_chunks(session: Session, ind: IndicatorSet, publication: bool, locale: str = "fr") -> Iterator[str]:
    """The CSV file in pieces (one per table): head lines, then each table with its title and
    header, a blank line between. French uses ``;`` between fields (its decimal mark is a comma).

    The database is read before this returns (the filters' names): the pieces are made from the
    indicator set alone, so the caller may release its connection before streaming them."""
    delimiter = ";" if locale == "fr" else ","
    with force_locale(locale):
        head = head_lines(session, ind, publication)

    def render(lines) -> str:
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
        writer.writerows(lines)
        return buffer.getvalue()

    def pieces() -> Iterator[str]:
        with force_locale(locale):
            yield "\ufeff" + render([[label, value] for label, value in head] + [[]])
            for table in indicator_tables(ind):
                lines = [[str(table.title)], [str(column) for column in table.columns]]
                lines += [[csv_text(cell, publication) for cell in row] for row in table.rows]
                yield render(lines + [[]])

    return pieces()


def file_name(fmt: str, ind: IndicatorSet) -> str:
    return f"indicateurs-{ind.today.isoformat()}.{fmt}"


# --- background exports -------------------------------------------------------------------------

def start_export(session: Session, user_id: int, filters: ReportFilters, fmt: str, locale: str,
                 publication: bool) -> ReportRun:
    """Record an export run for ``user_id`` and its job (which runs once the caller commits)."""
    from ..jobs import enqueue

    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}")
    run = ReportRun(report=REPORT_NAME, requested_by_id=user_id,
                    parameters={"filters": filters.to_args(), "format": fmt,
                                "locale": locale if locale in LOCALES else "fr", "publication": bool(publication)})
    session.add(run)
    session.flush()
    run.job = enqueue("export_indicators", session=session, run_id=run.id)
    return run


def export_path(run: ReportRun) -> Path | None:
    if not run.output_path:
        return None
    return Path(current_app.config["EXPORT_DIR"]) / Path(run.output_path).name


def run_export(session: Session, run_id: int, report_progress=None) -> dict:
    """Compute and write one export run (the ``export_indicators`` task): progress moves one step
    per group of indicators, then once for the file; the run gets its file name and row count."""
    from ..jobs.progress import report_progress as default_progress

    report_progress = report_progress or default_progress
    run = session.get(ReportRun, run_id)
    if run is None:
        return {"missing": run_id}
    params = run.parameters or {}
    filters = ReportFilters.from_args(params.get("filters") or {})
    fmt, locale, publication = params.get("format", "xlsx"), params.get("locale", "fr"), params.get("publication")
    total = reports.INDICATOR_STEPS + 1
    ind = reports.indicator_set(session, filters, on_step=lambda done, _total: report_progress(done, total))
    folder = Path(current_app.config["EXPORT_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{run.id}-{secrets.token_hex(8)}.{fmt}"
    partial = folder / f".{name}.part"
    if fmt == "xlsx":
        rows = write_xlsx(str(partial), session, ind, bool(publication), locale)
    else:
        with open(partial, "w", encoding="utf-8", newline="") as out:
            rows = 0
            for chunk in csv_chunks(session, ind, bool(publication), locale):
                out.write(chunk)
                rows += 1
    os.replace(partial, folder / name)
    run = session.get(ReportRun, run_id)
    run.output_path, run.rows, run.finished_at = name, rows, utcnow()
    from ..models import JobStatus

    run.status = JobStatus.DONE
    session.commit()
    report_progress(total, total)
    return {"rows": rows}


def run_for(session: Session, run_id: int, user_id: int) -> ReportRun | None:
    """The export run ``run_id`` if ``user_id`` asked for it (None otherwise: another's is not found)."""
    if not 1 <= run_id <= reports.MAX_ID:
        return None
    return session.scalar(select(ReportRun).where(ReportRun.id == run_id, ReportRun.report == REPORT_NAME,
                                                  ReportRun.requested_by_id == user_id))


__all__ = [
    "SUPPRESSION_THRESHOLD", "Cell", "Table", "indicator_tables", "describe_filters", "head_lines", "write_xlsx",
    "csv_chunks", "csv_text", "file_name", "start_export", "run_export", "run_for", "export_path",
    "XLSX_MIME", "CSV_MIME", "FORMATS",
]


def report_label(report: str) -> str:
    """A report's name as people read it ("Indicator export", not its key)."""
    return str(REPORT_LABELS.get(report, report))
