"""Seats are never oversold and the waiting list has no gap, under real concurrent connections."""
from __future__ import annotations

import random
import threading

from sqlalchemy import func, select

from app.extensions import db
from app.models import Enrolment, EnrolmentStatus, Learner, Section
from app.services import enrolment as service
from tests.factories import make_learner, make_section, make_term

ATTEMPTS = 200
CAPACITY = 20


def run_in_threads(app, work, items, threads: int = 16):
    """Run ``work(item)`` for every item, each in its own app context (own session, own connection)."""
    errors, lock, pending = [], threading.Lock(), list(items)
    start = threading.Barrier(threads)

    def worker():
        start.wait()  # every thread starts at once, each with its own connection
        while True:
            with lock:
                if not pending:
                    return
                item = pending.pop()
            with app.app_context():
                try:
                    work(item)
                    db.session.commit()
                except Exception as exc:  # recorded and asserted on below
                    db.session.rollback()
                    errors.append(exc)
                finally:
                    db.session.remove()

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return errors


def setup_section(app, learners: int):
    with app.app_context():
        section = make_section(make_term(), capacity=CAPACITY)
        ids = [make_learner().id for _ in range(learners)]
        db.session.commit()
        return section.id, ids


def test_200_concurrent_registrations_on_20_seats(engine_app):
    section_id, learner_ids = setup_section(engine_app, ATTEMPTS)

    def attempt(learner_id):
        service.register(db.session, db.session.get(Learner, learner_id), db.session.get(Section, section_id),
                         notify=False)

    errors = run_in_threads(engine_app, attempt, learner_ids)
    assert errors == []
    with engine_app.app_context():
        rows = db.session.scalars(select(Enrolment).where(Enrolment.section_id == section_id)).all()
        enrolled = [r for r in rows if r.status == EnrolmentStatus.ENROLLED]
        waiting = sorted(r.position for r in rows if r.status == EnrolmentStatus.WAITLISTED)
        assert len(enrolled) == CAPACITY
        assert waiting == list(range(1, ATTEMPTS - CAPACITY + 1))
        assert db.session.get(Section, section_id).seats_taken == CAPACITY


def test_storm_of_drops_and_registrations_keeps_the_books(engine_app):
    section_id, learner_ids = setup_section(engine_app, 90)
    first, rest = learner_ids[:40], learner_ids[40:]
    errors = run_in_threads(engine_app, lambda lid: service.register(
        db.session, db.session.get(Learner, lid), db.session.get(Section, section_id), notify=False), first)
    assert errors == []
    with engine_app.app_context():
        to_drop = db.session.scalars(select(Enrolment.id).where(Enrolment.section_id == section_id)).all()
    rng = random.Random(7)
    actions = [("drop", eid) for eid in rng.sample(to_drop, 25)] + [("register", lid) for lid in rest]
    rng.shuffle(actions)

    def act(action):
        kind, ident = action
        if kind == "drop":
            service.drop(db.session, db.session.get(Enrolment, ident), reason="storm", notify=False)
        else:
            service.register(db.session, db.session.get(Learner, ident), db.session.get(Section, section_id),
                             notify=False)

    errors = run_in_threads(engine_app, act, actions)
    assert [e for e in errors if not isinstance(e, service.RegistrationRefused)] == []
    with engine_app.app_context():
        section = db.session.get(Section, section_id)
        enrolled = db.session.scalar(select(func.count(Enrolment.id)).where(
            Enrolment.section_id == section_id, Enrolment.status == EnrolmentStatus.ENROLLED))
        waiting = sorted(db.session.scalars(select(Enrolment.position).where(
            Enrolment.section_id == section_id, Enrolment.status == EnrolmentStatus.WAITLISTED)).all())
        assert section.seats_taken == enrolled <= section.capacity
        assert waiting == list(range(1, len(waiting) + 1))
        # nobody waits while a seat is free
        assert enrolled == section.capacity or waiting == []


def test_dropping_a_place_promoted_meanwhile_still_moves_the_line(app):
    """A learner drops from a stale page: their place became a seat meanwhile; the line must still move."""
    with app.app_context():
        section = make_section(make_term(), capacity=1)
        holder, stale, third = (make_learner() for _ in range(3))
        for learner in (holder, stale, third):
            service.register(db.session, learner, section, notify=False)
        db.session.commit()
        section_id, holder_id, stale_id, third_id = section.id, holder.id, stale.id, third.id

    def enrolment_of(learner_id):
        return db.session.scalar(select(Enrolment).where(Enrolment.section_id == section_id,
                                                         Enrolment.learner_id == learner_id))

    with app.app_context():
        page_seen = enrolment_of(stale_id)  # loaded while still on the waiting list
        assert page_seen.status == EnrolmentStatus.WAITLISTED
        with app.app_context():  # meanwhile, another request: the seat holder leaves
            service.drop(db.session, enrolment_of(holder_id), notify=False)
            db.session.commit()
        service.drop(db.session, page_seen, notify=False)
        db.session.commit()
    with app.app_context():
        assert enrolment_of(third_id).status == EnrolmentStatus.ENROLLED
        assert db.session.get(Section, section_id).seats_taken == 1
