"""A seat freed by any path goes to the waiting list first, in the same transaction.

Each test builds a full group with a line, frees a seat by one path (the enrolment service, a plain
change of the group, the generated back-office screens), then checks who got the seat and the
database-wide invariant: no group has a free seat while someone waits on it without an offer, and
every group's seat count equals its enrolled and offered rows. On PostgreSQL and SQLite.
"""
from __future__ import annotations

import datetime as dt

import pytest
from flask import url_for
from sqlalchemy import select

from app.extensions import db
from app.models import Enrolment, EnrolmentStatus, Section, SectionStatus
from app.models.base import utcnow
from app.services import enrolment as service
from app.services.waiting_list import waiting_list_violations
from tests.conftest import Auth
from tests.factories import make_learner, make_section, make_term


def assert_invariant():
    db.session.expire_all()
    assert waiting_list_violations(db.session) == []


@pytest.fixture
def ctx(engine_app):
    with engine_app.test_request_context():
        yield engine_app
        db.session.rollback()
        db.session.remove()


def full_group(capacity: int = 1, waiting: int = 2, use_offers: bool = False, course=None, term=None):
    """A committed group with every seat taken and ``waiting`` learners in line; returns ids."""
    term = term or make_term(use_offers=use_offers)
    section = make_section(term, course=course, capacity=capacity)
    seated = [service.register(db.session, make_learner(), section, notify=False).enrolment.id
              for _ in range(capacity)]
    line = [service.register(db.session, make_learner(), section, notify=False).enrolment.id
            for _ in range(waiting)]
    db.session.commit()
    return section.id, seated, line


def statuses(ids):
    db.session.expire_all()
    return [db.session.get(Enrolment, i).status for i in ids]


def seats_taken(section_id):
    db.session.expire_all()
    return db.session.get(Section, section_id).seats_taken


# --- the service paths ---------------------------------------------------------------------------

def test_register_keeps_the_books(ctx):
    section_id, seated, line = full_group(capacity=2, waiting=1)
    assert statuses(seated) == [EnrolmentStatus.ENROLLED] * 2
    assert statuses(line) == [EnrolmentStatus.WAITLISTED]
    assert seats_taken(section_id) == 2
    assert_invariant()


def test_drop_promotes_the_first_in_line(ctx):
    section_id, seated, line = full_group()
    service.drop(db.session, db.session.get(Enrolment, seated[0]), notify=False)
    db.session.commit()
    assert statuses(line) == [EnrolmentStatus.ENROLLED, EnrolmentStatus.WAITLISTED]
    assert_invariant()


def test_swap_gives_the_old_seat_to_the_line(ctx):
    section_id, seated, line = full_group()
    section = db.session.get(Section, section_id)
    target = make_section(section.term, course=section.course, capacity=5,
                          meetings=((4, "18:00", "21:00"),))
    service.swap(db.session, db.session.get(Enrolment, seated[0]), target, notify=False)
    db.session.commit()
    assert statuses(line) == [EnrolmentStatus.ENROLLED, EnrolmentStatus.WAITLISTED]
    assert_invariant()


def test_an_expired_offer_passes_to_the_next(ctx):
    section_id, seated, line = full_group(use_offers=True)
    service.drop(db.session, db.session.get(Enrolment, seated[0]), notify=False)
    db.session.commit()
    assert statuses(line) == [EnrolmentStatus.OFFERED, EnrolmentStatus.WAITLISTED]
    assert_invariant()
    service.expire_offers(db.session, now=utcnow() + dt.timedelta(days=30), notify=False)
    db.session.commit()
    assert statuses(line) == [EnrolmentStatus.DROPPED, EnrolmentStatus.OFFERED]
    assert_invariant()


def test_a_declined_offer_passes_to_the_next(ctx):
    section_id, seated, line = full_group(use_offers=True)
    service.drop(db.session, db.session.get(Enrolment, seated[0]), notify=False)
    db.session.commit()
    service.drop(db.session, db.session.get(Enrolment, line[0]), reason="declined", notify=False)
    db.session.commit()
    assert statuses(line) == [EnrolmentStatus.DROPPED, EnrolmentStatus.OFFERED]
    assert_invariant()


# --- any other code: a plain change of the group or of an enrolment row -------------------------

def test_capacity_raised_by_any_code_serves_the_line_before_anyone_else(ctx):
    section_id, seated, line = full_group(waiting=2)
    db.session.get(Section, section_id).capacity = 2
    db.session.commit()
    assert statuses(line) == [EnrolmentStatus.ENROLLED, EnrolmentStatus.WAITLISTED]
    # a newcomer after the raise joins the line behind the one still waiting
    outcome = service.register(db.session, make_learner(), db.session.get(Section, section_id), notify=False)
    db.session.commit()
    assert outcome.enrolment.status == EnrolmentStatus.WAITLISTED
    assert_invariant()


def test_capacity_raised_with_offers_makes_offers(ctx):
    section_id, seated, line = full_group(waiting=2, use_offers=True)
    db.session.get(Section, section_id).capacity = 3
    db.session.commit()
    assert statuses(line) == [EnrolmentStatus.OFFERED, EnrolmentStatus.OFFERED]
    assert seats_taken(section_id) == 3
    assert_invariant()


def test_a_closed_group_keeps_its_line_until_it_reopens(ctx):
    section_id, seated, line = full_group()
    section = db.session.get(Section, section_id)
    section.status = SectionStatus.CLOSED
    db.session.commit()
    section.capacity = 2
    db.session.commit()
    assert statuses(line) == [EnrolmentStatus.WAITLISTED] * 2
    db.session.get(Section, section_id).status = SectionStatus.OPEN
    db.session.commit()
    assert statuses(line) == [EnrolmentStatus.ENROLLED, EnrolmentStatus.WAITLISTED]
    assert_invariant()


def test_a_row_deleted_or_ended_by_other_code_releases_its_seat(ctx):
    section_id, seated, line = full_group(capacity=2, waiting=2)
    db.session.delete(db.session.get(Enrolment, seated[0]))
    db.session.commit()
    db.session.get(Enrolment, seated[1]).status = EnrolmentStatus.DROPPED
    db.session.commit()
    assert statuses(line) == [EnrolmentStatus.ENROLLED, EnrolmentStatus.ENROLLED]
    assert seats_taken(section_id) == 2
    assert_invariant()


# --- the generated back-office screens ------------------------------------------------------------

@pytest.fixture
def admin(engine_app):
    from tests.test_backoffice import _admin_name

    client = engine_app.test_client()
    Auth(client).login(_admin_name(engine_app))
    return client


def _url(app, endpoint: str, **values) -> str:
    with app.test_request_context():
        return url_for(endpoint, **values)


def section_form(section: Section, **changes) -> dict:
    data = {"code": section.code, "course": str(section.course_id), "term": str(section.term_id),
            "partner": str(section.partner_id), "site": "", "teacher": "", "capacity": str(section.capacity),
            "status": section.status.value, "delivery": section.delivery.value,
            "starts_on": section.starts_on.isoformat(), "ends_on": section.ends_on.isoformat(),
            "notes_fr": "", "notes_en": ""}
    data.update(changes)
    return data


def test_capacity_raised_on_the_generated_edit_screen_serves_the_line(engine_app, admin):
    with engine_app.test_request_context():
        section_id, seated, line = full_group(capacity=1, waiting=3)
        form = section_form(db.session.get(Section, section_id), capacity="3")
        db.session.remove()
    response = admin.post(_url(engine_app, "SectionView.edit", pk=section_id), data=form)
    assert response.status_code == 302
    with engine_app.test_request_context():
        assert statuses(line) == [EnrolmentStatus.ENROLLED, EnrolmentStatus.ENROLLED, EnrolmentStatus.WAITLISTED]
        assert seats_taken(section_id) == 3
        assert_invariant()
        db.session.remove()


def test_group_reopened_on_the_generated_edit_screen_serves_the_line(engine_app, admin):
    with engine_app.test_request_context():
        section_id, seated, line = full_group(capacity=1, waiting=2)
        section = db.session.get(Section, section_id)
        section.status, section.capacity = SectionStatus.CLOSED, 2
        db.session.commit()
        assert statuses(line) == [EnrolmentStatus.WAITLISTED] * 2
        form = section_form(db.session.get(Section, section_id), status="open")
        db.session.remove()
    response = admin.post(_url(engine_app, "SectionView.edit", pk=section_id), data=form)
    assert response.status_code == 302
    with engine_app.test_request_context():
        assert statuses(line) == [EnrolmentStatus.ENROLLED, EnrolmentStatus.WAITLISTED]
        assert_invariant()
        db.session.remove()


def test_staff_edit_and_deletion_of_seat_rows_serve_the_line(engine_app, admin):
    with engine_app.test_request_context():
        section_id, seated, line = full_group(capacity=2, waiting=3)
        row = db.session.get(Enrolment, seated[0])
        form = {"learner": str(row.learner_id), "section": str(section_id), "status": "dropped", "position": "",
                "offer_expires_at": "", "reason": "staff", "enrolled_at": "", "ended_at": ""}
        db.session.remove()
    response = admin.post(_url(engine_app, "EnrolmentView.edit", pk=seated[0]), data=form)
    assert response.status_code == 302
    response = admin.post(_url(engine_app, "EnrolmentView.delete", pk=seated[1]))
    assert response.status_code == 302
    with engine_app.test_request_context():
        assert db.session.get(Enrolment, seated[1]) is None
        assert statuses(line) == [EnrolmentStatus.ENROLLED, EnrolmentStatus.ENROLLED, EnrolmentStatus.WAITLISTED]
        assert seats_taken(section_id) == 2
        assert_invariant()
        db.session.remove()


def test_staff_cannot_seat_someone_in_a_full_group_on_the_edit_screen(engine_app, admin):
    with engine_app.test_request_context():
        section_id, seated, line = full_group(capacity=1, waiting=1)
        row = db.session.get(Enrolment, line[0])
        form = {"learner": str(row.learner_id), "section": str(section_id), "status": "enrolled", "position": "",
                "offer_expires_at": "", "reason": "", "enrolled_at": "", "ended_at": ""}
        db.session.remove()
    page = admin.post(_url(engine_app, "EnrolmentView.edit", pk=line[0]) + "?_l_=en", data=form,
                      follow_redirects=True)
    assert page.status_code == 200
    assert "were not saved" in page.get_data(as_text=True)
    with engine_app.test_request_context():
        assert statuses(line) == [EnrolmentStatus.WAITLISTED]
        assert seats_taken(section_id) == 1
        assert_invariant()
        db.session.remove()


def test_demo_data_keeps_the_invariant(demo_app):
    with demo_app.app_context():
        assert waiting_list_violations(db.session) == []
        waiting = db.session.scalar(select(Enrolment.id).where(Enrolment.status == EnrolmentStatus.WAITLISTED))
        assert waiting is not None  # the demo has lines, so the check above checks something
        db.session.remove()
