"""The course catalogue: filters, text search, pagination, both languages, eligibility, no N+1."""
from __future__ import annotations

import datetime as dt
import re
import uuid
from contextlib import contextmanager

import pytest

from app.extensions import db
from app.models import (
    CourseFormat, Delivery, Enterprise, Field, Region, Section, SectionStatus, Site, Teacher,
)
from app.services.catalogue import CatalogueFilters, TimeOfDay, search_sections, section_detail
from tests.conftest import DEMO_PASSWORD, count_queries
from tests.factories import make_course, make_learner, make_partner, make_section, make_term, reference_row, tag
from tests.test_layout import audit
from tests.conftest import login as conftest_login

TODAY = dt.date.today()
DAY = dt.timedelta(days=1)


# --- data ---------------------------------------------------------------------------------------

def offered_course(key: str, marker: str, level_min: int, level_max: int, fmt: CourseFormat, field=None):
    course = make_course(level_min, level_max, fmt)
    course.title_fr = f"Francisation {key} {marker}"
    course.title_en = f"French {key} {marker}"
    course.description_fr = f"Cours {key} pour adultes"
    course.description_en = f"{key} course for adults"
    course.field = field
    return course


def build_offer(marker: str) -> dict[str, Section]:
    """A small catalogue whose course titles all contain ``marker``: each section differs from the
    others by one filter."""
    partner = make_partner()
    region_a, region_b = reference_row(Region, f"RA-{marker}"), reference_row(Region, f"RB-{marker}")
    health = reference_row(Field, f"F-{marker}")
    site_a = Site(partner=partner, name=f"Centre Alpha {marker}", address="1 rue Alpha", city="Montréal",
                  region=region_a, accessible=True)
    site_b = Site(partner=partner, name=f"Centre Beta {marker}", address="2 rue Beta", city="Québec",
                  region=region_b, accessible=False, accessibility_notes_fr="Trois marches à l'entrée",
                  accessibility_notes_en="Three steps at the entrance")
    teacher = Teacher(partner=partner, first_name="Ariane", last_name=f"Tremblay-{marker}")
    db.session.add_all([site_a, site_b, teacher])
    term = make_term()

    beginner = make_section(term, offered_course("debutant", marker, 1, 4, CourseFormat.PART_TIME),
                            meetings=((2, "17:00", "20:00"),), partner=partner)
    beginner.site, beginner.teacher = site_a, teacher
    online = make_section(term, offered_course("en ligne", marker, 5, 8, CourseFormat.ONLINE),
                          meetings=((1, "09:00", "11:30"), (4, "18:00", "20:00")), partner=partner)
    online.delivery = Delivery.ONLINE
    advanced = make_section(term, offered_course("avance", marker, 9, 12, CourseFormat.FULL_TIME, health),
                            meetings=((3, "12:00", "15:00"),), partner=partner)
    advanced.site = site_b
    closed = make_section(term, offered_course("ferme", marker, 1, 12, CourseFormat.PART_TIME), partner=partner)
    closed.status = SectionStatus.CLOSED
    past_term = make_term(starts_on=TODAY - 100 * DAY, ends_on=TODAY - 10 * DAY,
                          registration_opens=TODAY - 130 * DAY, registration_closes=TODAY - 101 * DAY,
                          drop_deadline=TODAY - 90 * DAY)
    past = make_section(past_term, offered_course("passe", marker, 1, 12, CourseFormat.PART_TIME), partner=partner)
    enterprise = Enterprise(neq=str(uuid.uuid4().int)[:10], name=f"Usine {marker}", region=region_a)
    db.session.add(enterprise)
    workplace = make_section(term, offered_course("en entreprise", marker, 1, 12, CourseFormat.WORKPLACE),
                             partner=partner)
    db.session.flush()
    workplace.enterprise_id = enterprise.id
    db.session.flush()
    return {"beginner": beginner, "online": online, "advanced": advanced, "closed": closed, "past": past,
            "workplace": workplace}


@pytest.fixture
def offer(engine_app):
    """The offer on each engine, rolled back after the test."""
    with engine_app.app_context():
        marker = tag()
        sections = build_offer(marker)
        yield marker, sections
        db.session.rollback()
        db.session.remove()


def keys(offer_sections: dict[str, Section], page) -> set[str]:
    by_id = {section.id: key for key, section in offer_sections.items()}
    return {by_id[s.id] for s in page.items if s.id in by_id}


def search(sections, marker, **filters) -> set[str]:
    filters.setdefault("text", marker)
    return keys(sections, search_sections(db.session, CatalogueFilters(**filters), per_page=100))


# --- the service --------------------------------------------------------------------------------

def test_only_open_sections_of_terms_not_ended_are_listed(offer):
    marker, sections = offer
    assert search(sections, marker) == {"beginner", "online", "advanced"}


def test_each_filter_narrows_the_results(offer):
    marker, sections = offer
    beginner, advanced = sections["beginner"], sections["advanced"]
    assert search(sections, marker, level=3) == {"beginner"}
    assert search(sections, marker, level=8) == {"online"}
    assert search(sections, marker, level=9) == {"advanced"}
    assert search(sections, marker, format=CourseFormat.ONLINE) == {"online"}
    assert search(sections, marker, format=CourseFormat.FULL_TIME) == {"advanced"}
    assert search(sections, marker, region_id=beginner.site.region_id) == {"beginner"}
    assert search(sections, marker, site_id=advanced.site_id) == {"advanced"}
    assert search(sections, marker, field_id=advanced.course.field_id) == {"advanced"}
    assert search(sections, marker, weekday=2) == {"beginner"}
    assert search(sections, marker, weekday=4) == {"online"}
    assert search(sections, marker, weekday=7) == set()


def test_time_of_day_follows_the_start_of_a_meeting(offer):
    marker, sections = offer
    assert search(sections, marker, time_of_day=TimeOfDay.MORNING) == {"online"}
    # 12:00 is afternoon, 17:00 is evening
    assert search(sections, marker, time_of_day=TimeOfDay.AFTERNOON) == {"advanced"}
    assert search(sections, marker, time_of_day=TimeOfDay.EVENING) == {"beginner", "online"}
    # day and time apply to the same meeting: the online section meets Monday morning, Thursday evening
    assert search(sections, marker, weekday=1, time_of_day=TimeOfDay.EVENING) == set()
    assert search(sections, marker, weekday=4, time_of_day=TimeOfDay.EVENING) == {"online"}


def test_text_search_is_case_insensitive_in_titles_descriptions_and_codes(offer):
    marker, sections = offer
    assert search(sections, marker.upper()) == {"beginner", "online", "advanced"}
    assert search(sections, f"FRENCH DEBUTANT {marker.upper()}") == {"beginner"}
    assert search(sections, f"francisation avance {marker}") == {"advanced"}
    code = sections["online"].course.code
    assert keys(sections, search_sections(db.session, CatalogueFilters(text=code.lower()))) == {"online"}
    # words of the description, and the LIKE wildcards taken literally
    assert "online" in keys(sections, search_sections(db.session, CatalogueFilters(text="EN LIGNE COURSE FOR"),
                                                      per_page=100))
    assert search(sections, f"%{marker}") == set()
    assert search(sections, f"debutant_{marker}") == set()


def test_a_chosen_term_shows_its_sections_even_when_it_has_ended(offer):
    marker, sections = offer
    assert search(sections, marker, term_id=sections["past"].term_id) == {"past"}
    assert search(sections, marker, term_id=sections["beginner"].term_id) == {"beginner", "online", "advanced"}


def test_workplace_sections_are_shown_only_to_the_employees_of_their_business(offer):
    marker, sections = offer
    workplace = sections["workplace"]
    assert "workplace" not in search(sections, marker)
    assert "workplace" in search(sections, marker, enterprise_id=workplace.enterprise_id)
    assert section_detail(db.session, workplace.id) is None
    assert section_detail(db.session, workplace.id, enterprise_id=workplace.enterprise_id) is workplace


def test_results_are_ordered_and_paginated(offer):
    marker, sections = offer
    first = search_sections(db.session, CatalogueFilters(text=marker), page=1, per_page=2)
    second = search_sections(db.session, CatalogueFilters(text=marker), page=2, per_page=2)
    assert (first.total, first.pages, second.page) == (3, 2, 2)
    codes = [s.course.code for s in first.items + second.items]
    assert codes == sorted(codes)
    assert len(second.items) == 1 and not second.has_next and second.has_prev
    # past the end: the last page
    assert search_sections(db.session, CatalogueFilters(text=marker), page=9, per_page=2).page == 2


# --- the pages ----------------------------------------------------------------------------------

@contextmanager
def committed(app):
    with app.app_context():
        yield
        db.session.commit()
        db.session.remove()


def create_offer(app) -> tuple[str, dict[str, int]]:
    with committed(app):
        marker = tag()
        sections = build_offer(marker)
        ids = {key: section.id for key, section in sections.items()}
    return marker, ids


def learner_login(app, client, level: int | None = 5, **fields) -> int:
    """A learner account with a Learner file; the client is logged in as it. Returns the learner id."""
    with committed(app):
        sm = app.appbuilder.sm
        username = f"learner-{tag()}"
        user = sm.add_user(username, "Test", "Learner", f"{username}@example.org", sm.find_role("Learner"),
                           password=DEMO_PASSWORD)
        learner = make_learner(level=level, **fields)
        learner.user_id = user.id
        learner_id = learner.id
    response = conftest_login(client, username, DEMO_PASSWORD)
    assert response.status_code == 302
    return learner_id


def page(client, url: str, language: str = "en"):
    response = client.get(url, headers={"Accept-Language": language})
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def result_titles(html: str) -> list[str]:
    return re.findall(r'<h3><a href="/catalogue/section/\d+">([^<]+)</a></h3>', html)


def test_catalogue_page_shows_each_section_in_english(app, client):
    marker, ids = create_offer(app)
    html = page(client, f"/catalogue/?q={marker}", "en")
    assert sorted(result_titles(html)) == [f"French avance {marker}", f"French debutant {marker}",
                                           f"French en ligne {marker}"]
    assert "3 sections found" in html
    assert "Tuesday 5:00\u202fp.m. – 8:00\u202fp.m." in html
    assert f"Centre Alpha {marker}" in html and "Accessible" in html
    assert "Three steps at the entrance" in html and "Limited accessibility" in html
    assert f"Ariane Tremblay-{marker}" in html
    assert "Levels 1 to 4" in html and "20 seats left" in html
    assert "Online" in html
    assert f'href="/catalogue/section/{ids["beginner"]}"' in html


def test_catalogue_page_shows_each_section_in_french(app, client):
    marker, ids = create_offer(app)
    html = page(client, f"/catalogue/?q={marker}", "fr")
    assert f"Francisation debutant {marker}" in html and f"French debutant {marker}" not in html
    assert re.search(r"<li>Mardi[^<]* 17 h 00 [^<]*20 h 00</li>", html)
    assert re.search(r"<li>Mercredi[^<]* 12 h 00 [^<]*15 h 00</li>", html)
    assert "Trois marches à l&#39;entrée" in html
    assert "En ligne" in html


def test_the_language_switch_changes_the_catalogue_language(app, client):
    marker, _ = create_offer(app)
    assert "Mardi" in page(client, f"/catalogue/?q={marker}", "fr")
    client.get("/lang/en")
    html = page(client, f"/catalogue/?q={marker}", "fr")
    assert "Tuesday" in html and "Mardi" not in html


def test_filters_in_the_query_string_narrow_the_page(app, client):
    marker, ids = create_offer(app)
    html = page(client, f"/catalogue/?q={marker}&level=10&format=full_time")
    assert result_titles(html) == [f"French avance {marker}"]
    html = page(client, f"/catalogue/?q={marker}&weekday=1&time=morning")
    assert result_titles(html) == [f"French en ligne {marker}"]
    # the form shows the chosen filters again
    assert re.search(r'<option selected value="1">Monday</option>|<option value="1" selected>Monday</option>', html)


def test_an_invalid_filter_is_explained_and_ignored(app, client):
    marker, _ = create_offer(app)
    html = page(client, f"/catalogue/?q={marker}&level=abc&weekday=9")
    assert html.count("Choose a value from the list.") == 2
    assert len(result_titles(html)) == 3


def test_empty_state_offers_to_reset_the_filters(app, client):
    html = page(client, f"/catalogue/?q=nothing-{tag()}")
    assert "No section matches your search." in html
    assert '<a href="/catalogue/">Reset the filters and see every open section</a>' in html
    assert 'class="gf-result"' not in html


def many_sections(count: int) -> str:
    """``count`` open sections, each at its own site with its own teacher; their titles share a marker."""
    marker = tag()
    term = make_term()
    region = reference_row(Region, f"R-{marker}")
    for number in range(count):
        partner = make_partner()
        section = make_section(term, offered_course(f"groupe{number:02d}", marker, 1, 12, CourseFormat.PART_TIME),
                               meetings=((1 + number % 5, "09:00", "12:00"), (6, "13:00", "16:00")),
                               partner=partner)
        section.site = Site(partner=partner, name=f"Site {number} {marker}", address="1 rue", city="Laval",
                            region=region)
        section.teacher = Teacher(partner=partner, first_name="Prof", last_name=f"{number} {marker}")
    db.session.flush()
    return marker


def test_pagination_keeps_the_filters(app, client):
    with committed(app):
        marker = many_sections(25)
    first = page(client, f"/catalogue/?q={marker}&level=3")
    assert len(result_titles(first)) == 20
    assert "25 sections found" in first and "page 1 of 2" in first
    next_link = re.search(r'<a href="([^"]+)" rel="next">', first).group(1).replace("&amp;", "&")
    assert f"q={marker}" in next_link and "level=3" in next_link and "page=2" in next_link
    second = page(client, next_link)
    assert len(result_titles(second)) == 5
    assert not set(result_titles(first)) & set(result_titles(second))
    assert 'rel="next"' not in second and 'rel="prev"' in second


def statements_for(app, client, url: str) -> int:
    client.get(url)  # warm-up: the session settles the language once
    with count_queries(app) as statements:
        response = client.get(url)
    assert response.status_code == 200
    return len(statements)


@pytest.mark.parametrize("as_learner", [False, True], ids=["visitor", "learner"])
def test_the_list_issues_as_many_statements_for_5_and_20_results(app, client, as_learner):
    with committed(app):
        five, twenty = many_sections(5), many_sections(20)
    if as_learner:
        learner_login(app, client, level=3)
    small = statements_for(app, client, f"/catalogue/?q={five}")
    large = statements_for(app, client, f"/catalogue/?q={twenty}")
    assert len(result_titles(page(client, f"/catalogue/?q={twenty}"))) == 20
    assert small == large


def test_a_learner_sees_why_a_section_is_not_for_them(app, client):
    marker, ids = create_offer(app)
    learner_login(app, client, level=2)
    html = page(client, f"/catalogue/?q={marker}")
    assert html.count("Not eligible") == 2
    assert "This course is for levels 5 to 8; your level is 2." in html
    assert "This course is for levels 9 to 12; your level is 2." in html
    assert html.count(">Eligible<") == 1
    section = page(client, f"/catalogue/section/{ids['online']}")
    assert "This course is for levels 5 to 8; your level is 2." in section
    assert "/my/enrolments/register/" not in section


def test_an_eligible_learner_gets_a_register_button(app, client):
    marker, ids = create_offer(app)
    learner_login(app, client, level=2)
    html = page(client, f"/catalogue/section/{ids['beginner']}")
    assert ">Eligible<" in html
    form = re.search(r'<form method="post" action="/my/enrolments/register/(\d+)"[^>]*>(.*?)</form>', html, re.S)
    assert form and int(form.group(1)) == ids["beginner"]
    assert 'name="csrf_token"' in form.group(2) and "Register in this section" in form.group(2)


def test_a_learner_abroad_is_told_that_only_online_courses_are_open(app, client):
    marker, ids = create_offer(app)
    learner_login(app, client, level=6, living_abroad=True)
    html = page(client, f"/catalogue/section/{ids['advanced']}")
    assert "While you live outside Québec, you can register for online courses only." in html


def test_visitors_see_no_eligibility_badge(app, client):
    marker, ids = create_offer(app)
    html = page(client, f"/catalogue/?q={marker}")
    assert "Eligible" not in html and "Not eligible" not in html
    section = page(client, f"/catalogue/section/{ids['beginner']}")
    assert "Eligible" not in section and "/my/enrolments/register/" not in section
    assert "To register, log in to your learner account." in section


def test_section_page_shows_the_section_and_its_term(app, client):
    marker, ids = create_offer(app)
    with app.app_context():
        section = db.session.get(Section, ids["advanced"])
        term = section.term
        opens, closes, deadline = term.registration_opens, term.registration_closes, term.drop_deadline
    html = page(client, f"/catalogue/section/{ids['advanced']}")
    assert f"French avance {marker}" in html
    assert "avance course for adults" in html
    assert "Wednesday" in html and "12:00\u202fp.m." in html and "3:00\u202fp.m." in html
    assert "2 rue Beta" in html and "Three steps at the entrance" in html
    for day in (opens, closes, deadline):
        assert f"{day:%B} {day.day}, {day.year}" in html
    french = page(client, f"/catalogue/section/{ids['advanced']}", "fr")
    assert "Mercredi" in french and "12 h 00" in french and f"Francisation avance {marker}" in french


def test_unknown_closed_to_the_public_or_other_business_sections_are_not_found(app, client):
    marker, ids = create_offer(app)
    assert client.get("/catalogue/section/999999999").status_code == 404
    assert client.get(f"/catalogue/section/{ids['workplace']}").status_code == 404
    with committed(app):
        planned = make_section(make_term())
        planned.status = SectionStatus.PLANNED
        db.session.flush()
        planned_id = planned.id
    assert client.get(f"/catalogue/section/{planned_id}").status_code == 404


@pytest.mark.parametrize("language", ["fr", "en"])
def test_catalogue_pages_pass_the_accessibility_audit(app, client, language):
    marker, ids = create_offer(app)
    with committed(app):
        many = many_sections(21)
    for url in (f"/catalogue/?q={marker}", f"/catalogue/?q={many}", f"/catalogue/?q=none-{tag()}&level=x",
                f"/catalogue/section/{ids['beginner']}"):
        response = client.get(url, headers={"Accept-Language": language})
        assert audit(response, language) == [], url
