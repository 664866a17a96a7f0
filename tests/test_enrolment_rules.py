"""Registration rules, each refusal said clearly in French and in English; promotion, offers, swap."""
from __future__ import annotations

import datetime as dt

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from app.extensions import db
from app.jobs import run_due_jobs
from app.models import Enrolment, EnrolmentStatus, Job, Message
from app.models.base import utcnow
from app.services import enrolment as service
from app.services.enrolment import RegistrationRefused
from tests.factories import make_course, make_learner, make_section, make_term, make_specialised_course

TODAY = dt.date.today()


@pytest.fixture
def ctx(app):
    with app.test_request_context():
        yield
        db.session.rollback()
        db.session.remove()


def refusal(fn, *args, **kwargs) -> RegistrationRefused:
    with pytest.raises(RegistrationRefused) as caught:
        fn(*args, **kwargs)
    return caught.value


def in_both_languages(error: RegistrationRefused) -> tuple[str, str]:
    with force_locale("fr"):
        french = error.message
    with force_locale("en"):
        english = error.message
    return french, english


def test_window_closed_is_refused(ctx):
    term = make_term(registration_opens=TODAY + dt.timedelta(days=3), registration_closes=TODAY + dt.timedelta(days=9))
    error = refusal(service.register, db.session, make_learner(), make_section(term))
    french, english = in_both_languages(error)
    assert error.code == "window_closed"
    assert english.startswith("Registration for this term is open from")
    assert french.startswith("Les inscriptions à cette session sont ouvertes du")


def test_level_out_of_range_is_refused(ctx):
    section = make_section(make_term(), make_course(level_min=5, level_max=8))
    error = refusal(service.register, db.session, make_learner(level=2), section)
    french, english = in_both_languages(error)
    assert english == "This course is for levels 5 to 8; your level is 2."
    assert french == "Ce cours s'adresse aux niveaux 5 à 8; votre niveau est 2."


def test_time_conflict_is_refused(ctx):
    term, learner = make_term(), make_learner()
    first = make_section(term, meetings=((2, "18:00", "21:00"),))
    overlapping = make_section(term, meetings=((2, "20:00", "22:00"),))
    service.register(db.session, learner, first)
    error = refusal(service.register, db.session, learner, overlapping)
    french, english = in_both_languages(error)
    assert error.code == "time_conflict" and first.code in english and first.code in french
    assert french.startswith("Cette section chevauche la section")
    # a section on another evening is fine
    other_day = make_section(term, make_specialised_course(), meetings=((4, "18:00", "21:00"),))
    assert service.register(db.session, learner, other_day).enrolled


def test_duplicate_registration_is_refused(ctx):
    learner, section = make_learner(), make_section(make_term())
    service.register(db.session, learner, section)
    error = refusal(service.register, db.session, learner, section)
    french, english = in_both_languages(error)
    assert english == "You are already registered in this section or on its waiting list."
    assert french == "Vous êtes déjà inscrit à cette section ou sur sa liste d'attente."


def test_drop_after_the_deadline_is_refused(ctx):
    term = make_term()
    learner, section = make_learner(), make_section(term)
    outcome = service.register(db.session, learner, section)
    error = refusal(service.drop, db.session, outcome.enrolment, today=term.drop_deadline + dt.timedelta(days=1))
    french, english = in_both_languages(error)
    assert english == f"The drop deadline ({term.drop_deadline}) has passed."
    assert french == f"La date limite d'abandon ({term.drop_deadline}) est passée."
    assert outcome.enrolment.status == EnrolmentStatus.ENROLLED


def test_drop_promotes_the_next_waiting_learner_in_the_same_transaction(ctx):
    section = make_section(make_term(), capacity=1)
    first, second, third = make_learner(), make_learner(), make_learner()
    seat = service.register(db.session, first, section).enrolment
    wait2 = service.register(db.session, second, section).enrolment
    wait3 = service.register(db.session, third, section).enrolment
    assert (wait2.position, wait3.position) == (1, 2)
    result = service.drop(db.session, seat, reason="moving")
    assert [e.id for e in result.promoted] == [wait2.id]
    db.session.refresh(wait3)
    assert wait2.status == EnrolmentStatus.ENROLLED and wait2.position is None
    assert (wait3.status, wait3.position) == (EnrolmentStatus.WAITLISTED, 1)
    assert service.seats_consistent(db.session, section.id) == (1, 1)
    db.session.commit()
    subjects = db.session.scalars(select(Message.template).where(Message.learner_id == second.id)).all()
    assert "promoted" in subjects


def test_an_expired_offer_passes_to_the_next_learner(app):
    with app.test_request_context():
        term = make_term(use_offers=True, offer_hours=24)
        section = make_section(term, capacity=1)
        first, second, third = make_learner(), make_learner(), make_learner()
        seat = service.register(db.session, first, section).enrolment
        service.register(db.session, second, section)
        service.register(db.session, third, section)
        offered = service.drop(db.session, seat).promoted[0]
        db.session.commit()
        assert offered.learner_id == second.id and offered.status == EnrolmentStatus.OFFERED
        assert service.seats_consistent(db.session, section.id) == (1, 1)
        job = db.session.scalar(select(Job).where(Job.task == "expire_offers").order_by(Job.id.desc()))
        assert job.run_at == offered.offer_expires_at
        # nothing is due yet; a day later the job runs and the offer passes on
        assert run_due_jobs(app) == 0
        assert run_due_jobs(app, now=utcnow() + dt.timedelta(hours=25)) >= 1
        db.session.expire_all()
        assert db.session.get(Enrolment, offered.id).status == EnrolmentStatus.DROPPED
        next_one = db.session.scalar(select(Enrolment).where(Enrolment.section_id == section.id,
                                                             Enrolment.learner_id == third.id))
        assert next_one.status == EnrolmentStatus.OFFERED
        assert service.seats_consistent(db.session, section.id) == (1, 1)


def test_accepting_an_offer_enrols(ctx):
    term = make_term(use_offers=True)
    section = make_section(term, capacity=1)
    first, second = make_learner(), make_learner()
    seat = service.register(db.session, first, section).enrolment
    service.register(db.session, second, section)
    offered = service.drop(db.session, seat).promoted[0]
    assert service.accept_offer(db.session, offered).enrolled
    assert refusal(service.accept_offer, db.session, offered).code == "no_offer"


def test_swap_keeps_the_seat_when_the_target_is_full(ctx):
    term, course = make_term(), make_course()
    current = make_section(term, course, meetings=((2, "18:00", "21:00"),))
    full = make_section(term, course, capacity=1, meetings=((4, "18:00", "21:00"),))
    learner = make_learner()
    seat = service.register(db.session, learner, current).enrolment
    service.register(db.session, make_learner(), full)
    error = refusal(service.swap, db.session, seat, full)
    french, english = in_both_languages(error)
    assert english == f"Section {full.code} is full: you keep your current seat."
    assert french == f"La section {full.code} est complète : vous gardez votre place actuelle."
    assert seat.status == EnrolmentStatus.ENROLLED
    assert service.seats_consistent(db.session, current.id) == (1, 1)


def test_swap_moves_the_seat_when_the_target_has_room(ctx):
    term, course = make_term(), make_course()
    current = make_section(term, course, capacity=1, meetings=((2, "18:00", "21:00"),))
    target = make_section(term, course, meetings=((2, "18:30", "21:30"),))
    learner, waiting = make_learner(), make_learner()
    seat = service.register(db.session, learner, current).enrolment
    waiting_row = service.register(db.session, waiting, current).enrolment
    moved = service.swap(db.session, seat, target)
    assert moved.enrolled and moved.enrolment.section_id == target.id
    assert seat.status == EnrolmentStatus.DROPPED
    assert waiting_row.status == EnrolmentStatus.ENROLLED  # the freed seat went down the line


def test_plan_registration_is_all_or_nothing(app):
    with app.test_request_context():
        term = make_term()
        free_a = make_section(term, meetings=((1, "09:00", "12:00"),))
        free_b = make_section(term, make_specialised_course(), meetings=((3, "09:00", "12:00"),))
        full = make_section(term, make_specialised_course(), capacity=1, meetings=((5, "09:00", "12:00"),))
        service.register(db.session, make_learner(), full)
        learner = make_learner()
        db.session.commit()
        ids = (free_a.id, free_b.id, full.id)
        with pytest.raises(service.PlanNotRegistered) as caught:
            service.register_plan(db.session, learner, [free_a, free_b, full])
        lines = {line.section_id: line.outcome for line in caught.value.lines}
        assert lines == {free_a.id: "enrolled", free_b.id: "enrolled", full.id: "full"}
        db.session.expire_all()
        assert db.session.scalars(select(Enrolment).where(Enrolment.learner_id == learner.id)).all() == []
        assert [service.seats_consistent(db.session, i)[0] for i in ids] == [0, 0, 1]
        # a plan whose every section has room goes through at once
        outcomes = service.register_plan(db.session, learner, [db.session.get(type(free_a), i) for i in ids[:2]])
        db.session.commit()
        assert all(o.enrolled for o in outcomes)
        assert [service.seats_consistent(db.session, i)[0] for i in ids] == [1, 1, 1]
