"""One exam result per learner, group, skill and exam day: the database refuses a second one, and
the screens say so in words (the generated back office, the partner's results grid on a race)."""
from __future__ import annotations

import datetime as dt

import pytest
from flask_babel import force_locale
from sqlalchemy import create_engine, insert, select
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import Enrolment, EnrolmentStatus, ExamResult, Skill
from app.services import records
from tests.conftest import Auth
from tests.factories import make_learner, make_section, make_term
from tests.test_backoffice import _admin_name, backoffice_views, view_url

DAY = dt.date.today() - dt.timedelta(days=3)


def a_result(learner_id, section_id, level=5) -> ExamResult:
    return ExamResult(learner_id=learner_id, section_id=section_id, skill=Skill.ORAL_PRODUCTION, level=level,
                      taken_on=DAY)


def test_the_database_keeps_one_result_per_learner_group_skill_and_day(engine_app):
    with engine_app.app_context():
        learner, section = make_learner(), make_section(make_term())
        db.session.add(a_result(learner.id, section.id))
        db.session.commit()
        db.session.add(a_result(learner.id, section.id, level=6))
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()
        # another day, or another skill, is another result
        other = a_result(learner.id, section.id)
        other.taken_on = DAY - dt.timedelta(days=1)
        db.session.add(other)
        db.session.commit()
        db.session.remove()


def test_the_back_office_refuses_a_duplicate_with_a_sentence(app):
    with app.app_context():
        learner, section = make_learner(), make_section(make_term())
        db.session.add(a_result(learner.id, section.id))
        db.session.commit()
        learner_id, section_id = learner.id, section.id
        db.session.remove()
    client = app.test_client()
    Auth(client).login(_admin_name(app))
    view = next(v for v in backoffice_views(app) if v.__class__.__name__ == "ExamResultView")
    page = client.post(view_url(app, view, "add") + "?_l_=en", follow_redirects=True, data={
        "learner": str(learner_id), "section": str(section_id), "skill": Skill.ORAL_PRODUCTION.value,
        "level": "7", "passed": "y", "taken_on": DAY.isoformat(), "evaluator": ""})
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "conflicts with another record" in body and "IntegrityError" not in body
    with app.app_context():
        levels = db.session.scalars(select(ExamResult.level).where(ExamResult.learner_id == learner_id)).all()
        assert levels == [5]
        db.session.remove()


def test_a_result_saved_meanwhile_is_refused_with_a_sentence(app, monkeypatch):
    """Two staff members save the same grid: the second finds the row the first just wrote."""
    with app.test_request_context():
        staff = app.appbuilder.sm.find_user(username=_admin_name(app))
        learner, section = make_learner(), make_section(make_term(today=DAY - dt.timedelta(days=30)))
        enrolment = Enrolment(learner_id=learner.id, section_id=section.id, status=EnrolmentStatus.ENROLLED)
        db.session.add(enrolment)
        db.session.commit()
        real_sheet = records.exam_sheet

        def sheet_then_someone_else_saves(*args, **kwargs):
            sheet = real_sheet(*args, **kwargs)
            other = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
            with other.begin() as connection:
                connection.execute(insert(ExamResult.__table__).values(
                    learner_id=learner.id, section_id=section.id, skill=Skill.ORAL_PRODUCTION,
                    level=4, passed=True, taken_on=DAY))
            other.dispose()
            return sheet

        monkeypatch.setattr(records, "exam_sheet", sheet_then_someone_else_saves)
        entries = [records.ExamEntry(enrolment.id, Skill.ORAL_PRODUCTION, "6", True)]
        with pytest.raises(records.RecordRefused) as refused:
            records.record_exam_results(db.session, staff, section, entries, taken_on=DAY, today=DAY)
        assert refused.value.code == "result_taken"
        with force_locale("fr"):
            assert "a été enregistré entre-temps" in refused.value.message
        db.session.rollback()
        db.session.remove()
