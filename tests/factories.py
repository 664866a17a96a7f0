"""Factories for test data with unique natural keys, so tests can share one database."""
from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import select

from app.extensions import db
from app.models import (
    ClientCategory, Course, CourseFormat, Language, Learner, Meeting, Partner, PartnerType, Region, Section,
    SectionStatus, Term,
)


def tag() -> str:
    return uuid.uuid4().hex[:10]


def reference_row(model, code: str, **extra):
    row = db.session.scalar(select(model).where(model.code == code))
    if row is None:
        row = model(code=code, name_fr=f"{code} fr", name_en=f"{code} en", **extra)
        db.session.add(row)
        db.session.flush()
    return row


def make_learner(level: int | None = 5, language: Language = Language.FR, **fields) -> Learner:
    category = reference_row(ClientCategory, "test-category")
    t = tag()
    learner = Learner(file_number=f"T-{t}", first_name="Test", last_name=f"Learner {t}",
                      email=f"learner.{t}@example.org", birth_date=dt.date(1990, 1, 1), category=category,
                      preferred_language=language, current_level=level, **fields)
    db.session.add(learner)
    db.session.flush()
    return learner


def make_term(today: dt.date | None = None, **fields) -> Term:
    today = today or dt.date.today()
    values = dict(code=f"T-{tag()}", name_fr="Session d'essai", name_en="Test term",
                  starts_on=today + dt.timedelta(days=14), ends_on=today + dt.timedelta(days=90),
                  registration_opens=today - dt.timedelta(days=7), registration_closes=today + dt.timedelta(days=13),
                  drop_deadline=today + dt.timedelta(days=21))
    values.update(fields)
    term = Term(**values)
    db.session.add(term)
    db.session.flush()
    return term


def make_partner() -> Partner:
    region = reference_row(Region, "T-REG")
    partner = Partner(name=f"Partner {tag()}", type=PartnerType.COMMUNITY, region=region)
    db.session.add(partner)
    db.session.flush()
    return partner


def make_course(level_min: int = 1, level_max: int = 12, fmt: CourseFormat = CourseFormat.PART_TIME) -> Course:
    course = Course(code=f"C-{tag()}", title_fr="Français d'essai", title_en="Test French", format=fmt,
                    level_min=level_min, level_max=level_max, hours_per_week=6, total_hours=66)
    db.session.add(course)
    db.session.flush()
    return course


def make_specialised_course(level_min: int = 1, level_max: int = 12) -> Course:
    """A part-time course of a specialised field (health): not a general French course, so the
    term rules (one general course per level, full-time alone) let a learner add it."""
    from app.models import Field

    course = make_course(level_min, level_max)
    course.field = reference_row(Field, "T-SPECIALISED")
    db.session.flush()
    return course


def make_section(term: Term, course: Course | None = None, capacity: int = 20,
                 meetings: tuple[tuple[int, str, str], ...] = ((2, "18:00", "21:00"),),
                 partner: Partner | None = None) -> Section:
    course = course or make_course()
    partner = partner or make_partner()
    section = Section(code=f"S-{tag()}", course=course, term=term, partner=partner, capacity=capacity,
                      status=SectionStatus.OPEN, starts_on=term.starts_on, ends_on=term.ends_on)
    for weekday, start, end in meetings:
        section.meetings.append(Meeting(weekday=weekday, starts_at=dt.time.fromisoformat(start),
                                        ends_at=dt.time.fromisoformat(end)))
    db.session.add(section)
    db.session.flush()
    return section


def make_account(app, level: int | None = 5, role: str = "Learner", **fields) -> dict:
    """A login account with the role (password: the demo password), and for a learner a learner file.

    Call inside an app context; returns {"username", "learner_id"?}.
    """
    from tests.conftest import DEMO_PASSWORD

    sm = app.appbuilder.sm
    username = f"user-{tag()}"
    user = sm.add_user(username, "Test", "Person", f"{username}@example.org", sm.find_role(role),
                       password=DEMO_PASSWORD)
    assert user, "could not create the account"
    if role != "Learner":
        return {"username": username}
    learner = make_learner(level=level, **fields)
    learner.user_id = user.id
    db.session.flush()
    return {"username": username, "learner_id": learner.id}


class World:
    """Test data built in one transaction, committed at the end of the ``with`` block."""

    def __init__(self, app):
        self.app = app

    def __enter__(self):
        self.ctx = self.app.test_request_context()
        self.ctx.push()
        return self

    def __exit__(self, *exc):
        if exc[0] is None:
            db.session.commit()
        else:
            db.session.rollback()
        db.session.remove()
        self.ctx.pop()

    def account(self, **kwargs) -> dict:
        return make_account(self.app, **kwargs)

    def learner(self, account: dict) -> Learner:
        return db.session.get(Learner, account["learner_id"])
