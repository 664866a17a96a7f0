"""General French courses in one term: a full-time course excludes every other general course, and
one general course per level. Refused with a message in both languages, and shown on the catalogue
before any click, for every section of the page in a constant number of statements."""
from __future__ import annotations


import pytest
from flask_babel import force_locale

from app.extensions import db
from app.models import CourseFormat, Field, Learner, Section
from app.services import enrolment as service
from app.services.enrolment import RegistrationRefused
from tests.factories import make_course, make_learner, make_section, make_term, reference_row, tag
from tests.conftest import count_queries
from tests.test_catalogue import committed, learner_login, page

FULL_TIME = ((1, "08:30", "11:30"), (3, "08:30", "11:30"), (5, "08:30", "11:30"))
EVENING = ((2, "18:00", "21:00"),)
SATURDAY = ((6, "09:00", "12:00"),)


@pytest.fixture
def ctx(app):
    with app.test_request_context():
        yield
        db.session.rollback()
        db.session.remove()


def general(term, fmt, meetings, levels=(5, 8)) -> Section:
    return make_section(term, make_course(*levels, fmt=fmt), meetings=meetings)


def refused(learner, section) -> RegistrationRefused:
    with pytest.raises(RegistrationRefused) as caught:
        service.register(db.session, learner, section, notify=False)
    return caught.value


def test_a_full_time_course_excludes_a_part_time_one_in_the_same_term(ctx):
    term, learner = make_term(), make_learner(level=5)
    full = general(term, CourseFormat.FULL_TIME, FULL_TIME)
    assert service.register(db.session, learner, full, notify=False).enrolled
    error = refused(learner, general(term, CourseFormat.PART_TIME, EVENING))
    assert error.code == "full_time_exclusive"
    with force_locale("en"):
        assert error.message.startswith("A full-time course fills the week")
        assert full.code in error.message
    with force_locale("fr"):
        assert error.message.startswith("Un cours à temps complet occupe toute la semaine")
    # nor online, at any level
    assert refused(learner, general(term, CourseFormat.ONLINE, SATURDAY, (1, 12))).code == "full_time_exclusive"


def test_a_part_time_course_excludes_a_full_time_one_even_from_the_waiting_list(ctx):
    term, learner = make_term(), make_learner(level=5)
    part = general(term, CourseFormat.PART_TIME, EVENING)
    part.capacity = 0
    db.session.flush()
    assert not service.register(db.session, learner, part, notify=False).enrolled  # waiting
    assert refused(learner, general(term, CourseFormat.FULL_TIME, FULL_TIME)).code == "full_time_exclusive"


def test_one_general_course_per_level_and_term(ctx):
    term, learner = make_term(), make_learner(level=5)
    assert service.register(db.session, learner, general(term, CourseFormat.PART_TIME, EVENING),
                            notify=False).enrolled
    error = refused(learner, general(term, CourseFormat.PART_TIME, SATURDAY))
    assert error.code == "one_general_per_level"
    with force_locale("fr"):
        assert error.message.startswith("Vous avez déjà un cours de français général de ce niveau")
    # another term, a specialised course or a workplace course are not general courses of this term
    assert service.register(db.session, learner, general(make_term(), CourseFormat.PART_TIME, SATURDAY),
                            notify=False).enrolled
    specialised = general(term, CourseFormat.PART_TIME, SATURDAY)
    specialised.course.field = reference_row(Field, "T-HEALTH")
    db.session.flush()
    assert service.register(db.session, learner, specialised, notify=False).enrolled


def _offer(app):
    """A term with a full-time section the learner holds, and a part-time and a specialised section."""
    with committed(app):
        term = make_term()
        marker = tag()
        sections = {"full": general(term, CourseFormat.FULL_TIME, FULL_TIME),
                    "part": general(term, CourseFormat.PART_TIME, EVENING),
                    "health": general(term, CourseFormat.PART_TIME, SATURDAY)}
        sections["health"].course.field = reference_row(Field, "T-HEALTH")
        for section in sections.values():
            section.course.title_en = f"{marker} {section.course.format.value}"
            section.course.title_fr = f"{marker} {section.course.format.value}"
        return marker, {name: section.id for name, section in sections.items()}


def test_the_catalogue_says_before_the_click_that_a_course_cannot_be_added(app, client):
    marker, ids = _offer(app)
    learner_id = learner_login(app, client, level=5)
    with committed(app):
        service.register(db.session, db.session.get(Learner, learner_id), db.session.get(Section, ids["full"]),
                         notify=False)
    section_page = page(client, f"/catalogue/section/{ids['part']}")
    assert "Not eligible" in section_page and "A full-time course fills the week" in section_page
    assert "/my/enrolments/register/" not in section_page
    listing = page(client, f"/catalogue/?q={marker}")
    assert "A full-time course fills the week" in listing
    assert page(client, f"/catalogue/section/{ids['health']}").count(">Eligible<") == 1
    french = page(client, f"/catalogue/section/{ids['part']}", language="fr")
    assert "Un cours à temps complet occupe toute la semaine" in french


def test_the_verdicts_cost_the_same_statements_for_few_or_many_commitments(app, client):
    marker, ids = _offer(app)
    learner_id = learner_login(app, client, level=5)
    client.get(f"/catalogue/?q={marker}")
    with count_queries(app) as statements:
        client.get(f"/catalogue/?q={marker}")
    before = len(statements)
    with committed(app):
        learner = db.session.get(Learner, learner_id)
        service.register(db.session, learner, db.session.get(Section, ids["full"]), notify=False)
        service.register(db.session, learner, make_section(make_term(), meetings=SATURDAY), notify=False)
    with count_queries(app) as statements:
        client.get(f"/catalogue/?q={marker}")
    assert len(statements) <= before + 1  # the meetings of the seats held, loaded once for the page
