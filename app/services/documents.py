"""Attestations of training and yearly statements of amounts paid: bilingual PDFs with a
verification code that anyone can check on the public page /verify/<code>.

Each PDF is laid out in both official languages of the program, French first (Charter of the
French language), English under it; amounts and dates are written in the language asked for
(``language``, the learner's page language) with the Canadian conventions ("1 150,00 $" /
"$1,150.00"). The text is drawn with DejaVu Sans, shipped in app/static/fonts, so every accent
and typographic sign renders the same on any machine.

Issuing a document stores an ``IssuedDocument``: a random code (80 bits from ``secrets``,
16 base-32 characters, shown as four groups of four), the SHA-256 of the exact PDF bytes and a
*summary* — the few facts the public page confirms. Asking again for a document whose facts
have not changed gives back the same document (same code, same date of issue, same bytes); a
change (a new level, a new payment, another language) issues a new one, and the old code keeps
confirming what was true when it was issued.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from base64 import b32encode
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import NamedTuple
from zoneinfo import ZoneInfo

from babel.dates import format_date as babel_format_date
from babel.numbers import format_currency, format_decimal
from flask_babel import force_locale, lazy_gettext as _l
from fpdf import FPDF, FontFace
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..models import (
    Attendance, Course, Enrolment, EnrolmentStatus, ExamResult, IssuedDocument, IssuedDocumentKind, Learner,
    Payment, Section, Skill, Term,
)
from ..models.base import utcnow

ORGANISATION = "Francisation Québec"
LANGUAGES = ("fr", "en")
FONT_DIR = Path(__file__).resolve().parent.parent / "static" / "fonts"
FONT = "DejaVuSans"
CODE_LENGTH = 16  # base-32 characters: 80 random bits
CODE_PATTERN = re.compile(r"^[A-Z2-7]{16}$")
GREY = (90, 90, 90)
LIGHT = (232, 236, 242)
MONTREAL = ZoneInfo("America/Montreal")


class NothingToIssue(LookupError):
    """The learner has nothing this document could attest (no course, result or payment)."""


class IssuedPdf(NamedTuple):
    content: bytes
    document: IssuedDocument


@dataclass(frozen=True)
class CourseLine:
    """A completed course as the attestation shows it."""

    code: str
    title_fr: str
    title_en: str
    term_fr: str
    term_en: str
    starts_on: dt.date
    ends_on: dt.date
    hours_present: Decimal


@dataclass(frozen=True)
class LevelLine:
    """The level reached in one skill: the latest passed exam in that skill."""

    skill: Skill
    level: int
    taken_on: dt.date


# --- the facts ----------------------------------------------------------------------------------

def completed_courses(session: Session, learner: Learner) -> list[CourseLine]:
    """The learner's completed enrolments, oldest first, with the hours attended in each."""
    hours = (select(Attendance.enrolment_id, func.sum(Attendance.hours_present).label("present"))
             .group_by(Attendance.enrolment_id).subquery())
    rows = session.execute(
        select(Course.code, Course.title_fr, Course.title_en, Term.name_fr, Term.name_en, Section.starts_on,
               Section.ends_on, func.coalesce(hours.c.present, 0))
        .select_from(Enrolment).join(Enrolment.section).join(Section.course).join(Section.term)
        .outerjoin(hours, hours.c.enrolment_id == Enrolment.id)
        .where(Enrolment.learner_id == learner.id, Enrolment.status == EnrolmentStatus.COMPLETED)
        .order_by(Section.starts_on, Course.code, Enrolment.id)).all()
    return [CourseLine(*row[:7], hours_present=Decimal(row[7])) for row in rows]


def levels_reached(session: Session, learner: Learner) -> list[LevelLine]:
    """Per skill (in the scale's order), the level of the learner's latest passed exam."""
    latest: dict[Skill, LevelLine] = {}
    for result in session.scalars(
            select(ExamResult).where(ExamResult.learner_id == learner.id, ExamResult.passed.is_(True))
            .order_by(ExamResult.taken_on.desc(), ExamResult.id.desc())):
        latest.setdefault(result.skill, LevelLine(result.skill, result.level, result.taken_on))
    return [latest[skill] for skill in Skill if skill in latest]


def can_attest(session: Session, learner: Learner) -> bool:
    """Whether an attestation has something to attest: a completed course or a passed exam."""
    completed = session.scalar(select(func.count(Enrolment.id)).where(
        Enrolment.learner_id == learner.id, Enrolment.status == EnrolmentStatus.COMPLETED))
    passed = session.scalar(select(func.count(ExamResult.id)).where(
        ExamResult.learner_id == learner.id, ExamResult.passed.is_(True)))
    return bool(completed or passed)


def payment_years(session: Session, learner: Learner) -> list[int]:
    """The calendar years in which the learner was paid something, latest first."""
    dates = session.scalars(select(Payment.paid_on).where(Payment.learner_id == learner.id))
    return sorted({paid_on.year for paid_on in dates}, reverse=True)


def payments_in(session: Session, learner: Learner, year: int) -> list[Payment]:
    """The learner's payments dated in calendar ``year``, in date order (none in a year the
    calendar cannot hold)."""
    if not dt.MINYEAR <= year <= dt.MAXYEAR:
        return []
    return list(session.scalars(
        select(Payment).where(Payment.learner_id == learner.id,
                              Payment.paid_on >= dt.date(year, 1, 1), Payment.paid_on <= dt.date(year, 12, 31))
        .order_by(Payment.paid_on, Payment.reference)))


# --- issuing ------------------------------------------------------------------------------------

def attestation_pdf(session: Session, learner: Learner, language: str) -> IssuedPdf:
    """The learner's attestation of training (courses completed with hours attended, level reached
    in each skill), issued and recorded; raises NothingToIssue when there is nothing to attest."""
    courses = completed_courses(session, learner)
    levels = levels_reached(session, learner)
    if not courses and not levels:
        raise NothingToIssue("no completed course and no passed exam")
    hours = sum((course.hours_present for course in courses), Decimal("0"))
    summary = {
        "name": learner.full_name,
        "courses": len(courses),
        "hours": str(hours),
        "levels": {line.skill.value: line.level for line in levels},
    }

    def render(code: str, issued_at: dt.datetime) -> bytes:
        return _attestation(learner, courses, levels, hours, language, code, issued_at)

    return _issue(session, learner, IssuedDocumentKind.ATTESTATION, None, summary, render)


def yearly_statement_pdf(session: Session, learner: Learner, year: int, language: str) -> IssuedPdf:
    """The statement of the amounts paid to the learner in calendar ``year`` (each payment with its
    date and reference, and the total), issued and recorded; NothingToIssue when none was paid."""
    payments = payments_in(session, learner, year)
    if not payments:
        raise NothingToIssue(f"no payment in {year}")
    total = sum((payment.amount for payment in payments), Decimal("0.00"))
    summary = {"name": learner.full_name, "year": year, "payments": len(payments), "total": str(total)}

    def render(code: str, issued_at: dt.datetime) -> bytes:
        return _statement(learner, year, payments, total, language, code, issued_at)

    return _issue(session, learner, IssuedDocumentKind.YEARLY_STATEMENT, year, summary, render)


def _issue(session: Session, learner: Learner, kind: IssuedDocumentKind, year: int | None, summary: dict,
           render: Callable[[str, dt.datetime], bytes]) -> IssuedPdf:
    """Give back the latest document of this kind when its facts and bytes are unchanged, or
    issue a new one.

    The summary is what the public page may confirm to whoever holds the code — and so holds
    the document, which prints all of it: the name as printed (it binds the document to its
    holder; the file number, birth date and contact details are never confirmed), the levels
    and hours or the year, number of payments and total (what a forger would alter). Nothing
    that the document itself does not show.
    """
    latest = session.scalar(
        select(IssuedDocument).where(IssuedDocument.learner_id == learner.id, IssuedDocument.kind == kind,
                                     IssuedDocument.year.is_(None) if year is None else IssuedDocument.year == year)
        .order_by(IssuedDocument.issued_at.desc(), IssuedDocument.id.desc()).limit(1))
    if latest is not None and latest.summary == summary:
        content = render(latest.code, latest.issued_at)
        if sha256(content) == latest.content_sha256:
            return IssuedPdf(content, latest)
    code = new_code(session)
    issued_at = utcnow().replace(microsecond=0)
    content = render(code, issued_at)
    document = IssuedDocument(code=code, learner_id=learner.id, kind=kind, year=year, issued_at=issued_at,
                              content_sha256=sha256(content), summary=summary)
    session.add(document)
    session.flush()
    return IssuedPdf(content, document)


def new_code(session: Session) -> str:
    """A fresh, unguessable verification code (16 base-32 characters, 80 random bits)."""
    while True:
        code = b32encode(secrets.token_bytes(CODE_LENGTH * 5 // 8)).decode("ascii")
        if session.scalar(select(IssuedDocument.id).where(IssuedDocument.code == code)) is None:
            return code


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def normalise_code(text: str | None) -> str | None:
    """The code as stored, from what a person typed (any case, spaces or dashes); None if it
    cannot be a code."""
    if not text:
        return None
    code = re.sub(r"[\s\-]", "", text).upper()
    return code if CODE_PATTERN.match(code) else None


def display_code(code: str) -> str:
    """The code in four groups of four, as printed: ABCD-EFGH-IJKL-MNOP."""
    return "-".join(code[i:i + 4] for i in range(0, len(code), 4))


def verify(session: Session, code: str | None) -> IssuedDocument | None:
    """The issued document with this code, or None (unknown, forged or malformed alike)."""
    normal = normalise_code(code)
    if normal is None:
        return None
    return session.scalar(select(IssuedDocument).where(IssuedDocument.code == normal))


def verification_url(code: str) -> str:
    """The public page that confirms this code, on PUBLIC_BASE_URL."""
    from .public_links import public_url

    return public_url("VerifyView.check", code=code)


# --- formatting ---------------------------------------------------------------------------------

def money(amount: Decimal, language: str) -> str:
    """An amount in dollars, Canadian style: '1 150,00 $' in French, '$1,150.00' in English."""
    return format_currency(amount, "CAD", locale=f"{language}_CA")


def hours_text(hours: Decimal, language: str) -> str:
    """Hours without useless decimals: '120', '120,5' / '120.5'."""
    return format_decimal(hours, locale=f"{language}_CA")


def date_text(day: dt.date | dt.datetime, language: str, width: str = "long") -> str:
    if isinstance(day, dt.datetime):
        day = day.astimezone(MONTREAL).date()
    return babel_format_date(day, width, locale=f"{language}_CA")


def both(text) -> tuple[str, str]:
    """A translatable text (``lazy_gettext``, parameters included, or an enum label) in French and
    in English, from the catalogues."""
    return tuple(_in(language, lambda: str(text)) for language in LANGUAGES)


def _in(language: str, make: Callable[[], str]) -> str:
    with force_locale(language):
        return make()


def joined(pair: tuple[str, str], separator: str = " / ") -> str:
    """'French / English', or once when both read the same."""
    french, english = pair
    return french if french == english else f"{french}{separator}{english}"


# --- the PDF ------------------------------------------------------------------------------------

class _Pdf(FPDF):
    """A Letter page with the organisation's header and, on every page, the verification code."""

    def __init__(self, code: str, issued_at: dt.datetime, title: tuple[str, str]):
        super().__init__(format="Letter", unit="mm")
        self.code = code
        self.add_font(FONT, "", str(FONT_DIR / "DejaVuSans.ttf"))
        self.add_font(FONT, "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
        self.set_margins(20, 18, 20)
        self.set_auto_page_break(True, margin=22)
        self.set_creation_date(issued_at)
        self.set_title(joined(title))
        self.set_author(ORGANISATION)
        self.set_creator("Guichet Francisation")
        self.set_lang("fr-CA")
        self.code_label = joined(both(_l("Verification code")))

    def header(self):
        self.set_font(FONT, "B", 13)
        self.set_text_color(0, 51, 102)
        self.cell(0, 7, ORGANISATION, new_x="LMARGIN", new_y="NEXT")
        self.set_font(FONT, "", 8)
        self.set_text_color(*GREY)
        self.cell(0, 5, "Guichet Francisation", new_x="LMARGIN", new_y="NEXT")
        self.set_draw_color(0, 51, 102)
        self.line(self.l_margin, self.get_y() + 1, self.w - self.r_margin, self.get_y() + 1)
        self.ln(6)
        self.set_text_color(0, 0, 0)

    def footer(self):
        self.set_y(-15)
        self.set_font(FONT, "", 8)
        self.set_text_color(*GREY)
        self.cell(0, 5, f"{self.code_label} : {display_code(self.code)} — {self.page_no()}/{{nb}}", align="C")

    def text_line(self, text: str, size: float = 10, bold: bool = False, color=(0, 0, 0), height: float = 5.5):
        self.set_font(FONT, "B" if bold else "", size)
        self.set_text_color(*color)
        self.multi_cell(0, height, text, align="L", new_x="LMARGIN", new_y="NEXT")
        self.set_text_color(0, 0, 0)

    def bilingual(self, pair: tuple[str, str], size: float = 10, bold: bool = False):
        """French, then English in grey under it (once when they read the same)."""
        french, english = pair
        self.text_line(french, size, bold)
        if english != french:
            self.text_line(english, size - 1, bold, GREY)

    def title_block(self, pair: tuple[str, str]):
        self.bilingual(pair, 17, True)
        self.ln(4)

    def section_title(self, pair: tuple[str, str]):
        self.ln(3)
        self.set_font(FONT, "B", 11)
        self.multi_cell(0, 6, joined(pair), align="L", new_x="LMARGIN", new_y="NEXT")
        self.ln(1)

    def facts(self, rows: list[tuple[tuple[str, str], str]]):
        """Label (both languages) and value pairs, without borders."""
        self.set_font(FONT, "", 10)
        with self.table(col_widths=(75, 101), text_align=("LEFT", "LEFT"), borders_layout="NONE",
                        first_row_as_headings=False, line_height=5.5, padding=(1, 0)) as table:
            for label, value in rows:
                row = table.row()
                row.cell(joined(label, "\n"), style=FontFace(color=GREY, size_pt=9))
                row.cell(value, style=FontFace(emphasis="BOLD"))

    def grid(self, headings: list[tuple[str, str]], rows: list[list[str]], widths: tuple, align: tuple,
             total: list[str] | None = None):
        self.set_font(FONT, "", 9)
        with self.table(col_widths=widths, text_align=align, line_height=5, padding=1.2,
                        headings_style=FontFace(emphasis="BOLD", fill_color=LIGHT, size_pt=8.5),
                        borders_layout="HORIZONTAL_LINES") as table:
            heading = table.row()
            for pair in headings:
                heading.cell(joined(pair, "\n"))
            for values in rows:
                row = table.row()
                for value in values:
                    row.cell(value)
            if total is not None:
                row = table.row()
                for value in total:
                    row.cell(value, style=FontFace(emphasis="BOLD"))

    def verification(self, code: str, issued_at: dt.datetime, language: str):
        self.ln(6)
        url = verification_url(code)
        self.facts([
            (both(_l("Date of issue")), date_text(issued_at, language)),
            (both(_l("Verification code")), display_code(code)),
        ])
        self.ln(2)
        self.bilingual(both(_l("Anyone can check that this document is genuine and unaltered: open %(url)s "
                            "or enter the verification code on %(page)s.",
                            url=url, page=url.rsplit("/", 1)[0] + "/")), 9)

    def output_bytes(self) -> bytes:
        return bytes(self.output())


def _attestation(learner: Learner, courses: list[CourseLine], levels: list[LevelLine], hours: Decimal,
                 language: str, code: str, issued_at: dt.datetime) -> bytes:
    title = both(IssuedDocumentKind.ATTESTATION.label)
    pdf = _Pdf(code, issued_at, title)
    pdf.add_page()
    pdf.title_block(title)
    pdf.bilingual(both(_l("%(organisation)s certifies that the person named below took part in its French "
                       "courses and reached the levels shown.", organisation=ORGANISATION)))
    pdf.ln(3)
    pdf.facts([(both(_l("Name")), learner.full_name), (both(_l("File number")), learner.file_number)])

    pdf.section_title(both(_l("Courses completed")))
    if courses:
        fr = language == "fr"
        pdf.grid(
            [both(_l("Course")), both(_l("Term")), both(_l("Dates")), both(_l("Hours attended"))],
            [[f"{c.code} — {c.title_fr if fr else c.title_en}", c.term_fr if fr else c.term_en,
              f"{date_text(c.starts_on, language, 'medium')} – {date_text(c.ends_on, language, 'medium')}",
              hours_text(c.hours_present, language)] for c in courses],
            widths=(66, 35, 50, 25), align=("LEFT", "LEFT", "LEFT", "RIGHT"),
            total=[joined(both(_l("Total hours attended"))), "", "", hours_text(hours, language)])
    else:
        pdf.bilingual(both(_l("No course completed yet.")), 9)

    pdf.section_title(both(_l("Levels reached")))
    if levels:
        pdf.grid(
            [both(_l("Skill")), both(_l("Level (1 to 12)")), both(_l("Exam date"))],
            [[joined(both(line.skill.label)), str(line.level), date_text(line.taken_on, language)]
             for line in levels],
            widths=(96, 30, 50), align=("LEFT", "CENTER", "LEFT"))
        pdf.ln(1)
        pdf.bilingual(both(_l("Levels on the Québec scale of French proficiency for adult immigrants: 12 levels, "
                           "beginner 1 to 4, intermediate 5 to 8, advanced 9 to 12.")), 8)
    else:
        pdf.bilingual(both(_l("No exam result yet.")), 9)

    pdf.verification(code, issued_at, language)
    return pdf.output_bytes()


def _statement(learner: Learner, year: int, payments: list[Payment], total: Decimal, language: str, code: str,
               issued_at: dt.datetime) -> bytes:
    title = tuple(f"{kind} — {year}" for kind in both(IssuedDocumentKind.YEARLY_STATEMENT.label))
    pdf = _Pdf(code, issued_at, title)
    pdf.add_page()
    pdf.title_block(title)
    pdf.bilingual(both(_l("Amounts paid by %(organisation)s to the person named below during calendar year "
                       "%(year)s (French-course allowances).", organisation=ORGANISATION, year=year)))
    pdf.ln(3)
    pdf.facts([(both(_l("Name")), learner.full_name), (both(_l("File number")), learner.file_number)])

    pdf.section_title(both(_l("Payments")))
    pdf.grid(
        [both(_l("Payment date")), both(_l("Reference")), both(_l("Amount"))],
        [[date_text(p.paid_on, language), p.reference, money(p.amount, language)] for p in payments],
        widths=(60, 76, 40), align=("LEFT", "LEFT", "RIGHT"),
        total=[joined(both(_l("Total paid in %(year)s", year=year))), "", money(total, language)])
    pdf.verification(code, issued_at, language)
    return pdf.output_bytes()
