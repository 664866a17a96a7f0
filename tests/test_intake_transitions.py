"""Application transitions: allowed moves only, dates stamped, every move an event, the learner told."""
import pytest
from flask_babel import force_locale
from sqlalchemy import select

from app.extensions import db
from app.models import Application, ApplicationStatus as S, CourseFormat, Language, Message
from app.services import intake
from tests.factories import make_learner


@pytest.fixture
def ctx(app):
    with app.test_request_context():
        yield
        db.session.rollback()
        db.session.remove()


def new_application(language=Language.FR) -> Application:
    application = Application(learner=make_learner(language=language), format_wanted=CourseFormat.PART_TIME)
    db.session.add(application)
    db.session.flush()
    return application


def test_a_file_goes_from_draft_to_approved_with_its_trail(ctx):
    application = new_application()
    for status in (S.SUBMITTED, S.COMPLETE, S.APPROVED):
        intake.transition(db.session, application, status, note="ok" if status == S.APPROVED else None)
    assert application.submitted_at and application.complete_at and application.decided_at
    trail = [(e.from_status, e.to_status) for e in application.events]
    assert trail == [(S.DRAFT, S.SUBMITTED), (S.SUBMITTED, S.COMPLETE), (S.COMPLETE, S.APPROVED)]
    db.session.commit()
    templates = db.session.scalars(select(Message.template).where(Message.learner_id == application.learner_id)
                                   .order_by(Message.id)).all()
    assert templates == ["application_submitted", "application_complete", "application_approved"]


def test_a_move_the_rules_do_not_allow_is_refused(ctx):
    application = new_application()
    with pytest.raises(intake.TransitionRefused) as caught:
        intake.transition(db.session, application, S.APPROVED)
    with force_locale("en"):
        assert caught.value.message == "An application cannot go from “Draft” to “Approved”."
    assert application.status == S.DRAFT and application.events == []


def test_a_refusal_needs_a_reason(ctx):
    application = new_application()
    intake.transition(db.session, application, S.SUBMITTED)
    with pytest.raises(intake.TransitionRefused):
        intake.transition(db.session, application, S.REFUSED, note="  ")
    intake.transition(db.session, application, S.REFUSED, note="Moins de 16 ans")
    assert application.decision_reason == "Moins de 16 ans"


def test_the_message_is_in_the_learners_language(ctx):
    application = new_application(Language.EN)
    intake.transition(db.session, application, S.SUBMITTED)
    message = db.session.scalar(select(Message).where(Message.learner_id == application.learner_id))
    assert message.subject == "We have received your application"
