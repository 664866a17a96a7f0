"""The timetable builder a learner uses: unavailable times saved and avoided, ranked timetables shown
as a grid and a list, named plans (unique names, only one's own), whole-plan registration with a
per-section outcome, French by default and English on request."""
from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from flask_babel import force_locale, gettext, ngettext
from sqlalchemy import func, select

from app.extensions import db
from app.models import Availability, AvailabilityKind, Enrolment, EnrolmentStatus, Learner, Plan, Section
from app.services import plans as service
from app.services.access import AGENT
from app.services.enrolment import register
from app.services.plans import TimetableRefused
from app.services.timetable import Impossibility, Preference
from app.views.learner.catalogue import clock
from tests.conftest import DEMO_PASSWORD, build_app, count_queries
from tests.factories import World, make_course, make_section, make_term, make_specialised_course
from tests.conftest import login as conftest_login

BUILDER = "/my/timetable/"
AVAILABILITY = "/my/timetable/availability"
PLANS = "/my/timetable/plans/"


# --- helpers ------------------------------------------------------------------------------------





def logged_in(app, account: dict):
    client = app.test_client()
    response = conftest_login(client, account["username"], DEMO_PASSWORD)
    assert response.status_code == 302, "login failed"
    return client


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def said(app, language: str, msgid: str, **params) -> str:
    """What the application says for ``msgid`` in a language (the catalogue's translation)."""
    with app.test_request_context(), force_locale(language):
        return gettext(msgid, **params)


def said_plural(app, language: str, singular: str, plural: str, num: int, **params) -> str:
    with app.test_request_context(), force_locale(language):
        return ngettext(singular, plural, num, **params)


def refusal_in(app, language: str, code: str, **params) -> str:
    with app.test_request_context(), force_locale(language):
        return TimetableRefused(code, **params).message


def times_in(app, language: str, start: str, end: str) -> tuple[str, str]:
    with app.test_request_context(), force_locale(language):
        return clock(dt.time.fromisoformat(start)), clock(dt.time.fromisoformat(end))


def seats(app, *section_ids: int) -> list[int]:
    with app.app_context():
        taken = [db.session.get(Section, section_id).seats_taken for section_id in section_ids]
        db.session.remove()
    return taken


def enrolled_sections(app, learner_id: int) -> set[int]:
    with app.app_context():
        found = set(db.session.scalars(select(Enrolment.section_id).where(
            Enrolment.learner_id == learner_id, Enrolment.status == EnrolmentStatus.ENROLLED)))
        db.session.remove()
    return found


def enrolment_count(app, learner_id: int) -> int:
    with app.app_context():
        count = db.session.scalar(select(func.count(Enrolment.id)).where(Enrolment.learner_id == learner_id))
        db.session.remove()
    return count


def generate_page(client, term_id: int, course_ids, **extra):
    return client.get(BUILDER, query_string={"term": term_id, "course": list(course_ids), "generate": "1", **extra})


def schedule_block(page: str, rank: int) -> str:
    """The part of the results page that shows the timetable of that rank."""
    start = page.index(f'id="schedule-{rank}"')
    end = page.find(f'id="schedule-{rank + 1}"', start)
    return page[start:end if end != -1 else len(page)]


def save_form(term_id: int, sections, courses, name: str, preferences: str = "") -> dict:
    return {"term": term_id, "courses": ",".join(str(c) for c in courses),
            "sections": ",".join(str(s) for s in sections), "locked": "", "preferences": preferences,
            "exclude": "", "name": name}


def make_plan(learner: Learner, term, name: str, sections) -> int:
    plan = service.save_plan(db.session, learner, term, name, [section.id for section in sections])
    return plan.id


# --- who may open the pages ----------------------------------------------------------------------

def test_visitors_are_sent_to_login_and_staff_are_refused(app):
    assert app.test_client().get(BUILDER).status_code == 302
    with World(app) as w:
        agent = w.account(role=AGENT)
    client = logged_in(app, agent)
    for url in (BUILDER, AVAILABILITY, PLANS):
        assert client.get(url).status_code == 403


# --- unavailable times ---------------------------------------------------------------------------

def test_unavailable_times_are_saved_and_no_timetable_uses_them(app):
    with World(app) as w:
        account = w.account()
        term = make_term()
        course, other = make_course(), make_course()
        monday = make_section(term, course, meetings=((1, "18:00", "21:00"),))
        tuesday = make_section(term, course, meetings=((2, "18:00", "21:00"),))
        only_monday = make_section(term, other, meetings=((1, "19:00", "20:00"),))
        ids = dict(term=term.id, course=course.id, other=other.id, monday=monday.id, tuesday=tuesday.id,
                   only_monday=only_monday.id, codes=(monday.code, tuesday.code, only_monday.code))
    client = logged_in(app, account)

    response = client.post(AVAILABILITY, data={"slot": ["1-18", "1-19", "1-20", "3-9"]})
    assert response.status_code == 302 and response.headers["Location"].endswith(AVAILABILITY)
    page = text(client.get(AVAILABILITY))
    assert said(app, "fr", "Your unavailable times are saved: new timetables will avoid them.") in page
    for cell in ("1-18", "1-19", "1-20", "3-9"):
        assert f'value="{cell}" checked' in page
    assert 'value="1-17" checked' not in page and 'value="1-21" checked' not in page
    start, end = times_in(app, "fr", "18:00", "21:00")
    assert f"<li>{said(app, 'fr', '%(day)s %(start)s – %(end)s', day='Lundi', start=start, end=end)}</li>" in page
    start, end = times_in(app, "fr", "18:00", "19:00")  # each box is labelled with its day and hour
    label = said(app, "fr", "Unavailable %(day)s %(start)s – %(end)s", day="Lundi", start=start, end=end)
    assert re.search(r'<input type="checkbox" name="slot" value="1-18" checked>\s*<span class="sr-only">'
                     + re.escape(label) + "</span>", page)
    with app.app_context():
        rows = db.session.scalars(select(Availability).where(Availability.learner_id == account["learner_id"])
                                  .order_by(Availability.weekday)).all()
        assert [(r.weekday, r.starts_at, r.ends_at, r.kind) for r in rows] == [
            (1, dt.time(18), dt.time(21), AvailabilityKind.BLOCKED),
            (3, dt.time(9), dt.time(10), AvailabilityKind.BLOCKED)]
        db.session.remove()

    monday_code, tuesday_code, only_monday_code = ids["codes"]
    results = text(generate_page(client, ids["term"], [ids["course"]]))
    assert 'id="schedule-1"' in results and tuesday_code in results
    assert monday_code not in results  # neither in a timetable nor among the sections one may lock

    with app.test_request_context():
        learner = db.session.get(Learner, account["learner_id"])
        term = db.session.get(Section, ids["tuesday"]).term
        generated = service.generate(db.session, learner, term, [ids["course"]])
        assert generated.result.schedules
        assert all(schedule.sections[ids["course"]] == ids["tuesday"] for schedule in generated.result.schedules)
        both = service.generate(db.session, learner, term, [ids["course"], ids["other"]])
        assert both.result.schedules == ()
        assert both.result.impossible_courses == {ids["other"]: Impossibility.ALL_SECTIONS_BLOCKED}
        db.session.remove()

    impossible = text(generate_page(client, ids["term"], [ids["course"], ids["other"]]))
    assert said(app, "fr", "No timetable fits these courses.") in impossible
    assert said(app, "fr", "%(course)s: every section meets during one of your unavailable times.",
                course="Français d'essai") in impossible

    client.post(AVAILABILITY, data={"clear": "1", "slot": ["1-18"]})
    with app.app_context():
        assert db.session.scalar(select(func.count(Availability.id)).where(
            Availability.learner_id == account["learner_id"])) == 0
        db.session.remove()


def test_availability_refuses_bad_slots_and_keeps_the_saved_ones(app):
    with World(app) as w:
        account = w.account()
        learner = w.learner(account)
        service.save_availability(db.session, learner, [(2, dt.time(8), dt.time(12))])
        for bad, code in (([(8, dt.time(8), dt.time(9))], "invalid_weekday"),
                          ([(1, dt.time(10), dt.time(9))], "invalid_times"),
                          ([(1, dt.time(8), dt.time(9)), (1, dt.time(8), dt.time(9))], "duplicate_slot")):
            with pytest.raises(TimetableRefused) as refused:
                service.save_availability(db.session, learner, bad)
            assert refused.value.code == code
        assert [(r.weekday, r.starts_at) for r in service.blocked_times(db.session, learner)] == [(2, dt.time(8))]
    assert service.merge_hours([(1, 8), (1, 9), (1, 11), (3, 23)]) == [
        (1, dt.time(8), dt.time(10)), (1, dt.time(11), dt.time(12)), (3, dt.time(23), dt.time.max)]
    client = logged_in(app, account)
    assert client.post(AVAILABILITY, data={"slot": ["9-10"]}).status_code == 400
    assert client.post(AVAILABILITY, data={"slot": ["1-3"]}).status_code == 400  # outside the grid's hours


# --- generating ----------------------------------------------------------------------------------

def test_generated_timetables_are_ranked_and_shown_as_a_grid_and_a_list(app):
    with World(app) as w:
        account = w.account()
        term = make_term()
        a, b = make_course(), make_course()
        a_monday = make_section(term, a, meetings=((1, "09:00", "12:00"),))
        a_wednesday = make_section(term, a, meetings=((3, "09:00", "12:00"),))
        b_monday = make_section(term, b, meetings=((1, "13:00", "16:00"),))
        b_thursday = make_section(term, b, meetings=((4, "13:00", "16:00"),))
        term_id, courses = term.id, [a.id, b.id]
        codes = [s.code for s in (a_monday, a_wednesday, b_monday, b_thursday)]
    client = logged_in(app, account)

    response = generate_page(client, term_id, courses, pref1=Preference.FEWEST_DAYS.value,
                             pref2=Preference.EARLIEST.value)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    page = text(response)
    assert 'lang="fr"' in page
    assert said(app, "fr", "Suggested timetables") in page
    for rank in (1, 2, 3, 4):
        assert f'id="schedule-{rank}"' in page
    best = schedule_block(page, 1)
    assert codes[0] in best and codes[2] in best and codes[1] not in best and codes[3] not in best
    # the grid: a real table with a caption, day and hour headers, and the sections in their cells
    grid = best[best.index("<table"):best.index("</table>")]
    assert "<caption>" in grid and grid.count('scope="col"') == 5 and 'scope="row"' in grid
    nine, ten = times_in(app, "fr", "09:00", "10:00")
    assert f'<th scope="row">{nine} – {ten}</th>' in grid
    assert re.search(r'<td class="gf-tt-busy">\s*<span class="gf-tt-entry"><strong>[^<]+</strong> '
                     + re.escape(said(app, "fr", "section %(code)s", code=codes[0])), grid)
    # the list: the same classes, day by day
    listing = best[best.index("</table>"):]
    assert said(app, "fr", "Day by day") in listing and "<h5>Lundi</h5>" in listing
    start, end = times_in(app, "fr", "09:00", "12:00")
    assert f"{start} – {end} — <strong>Français d'essai</strong>" in listing
    assert 'action="/my/timetable/plans/save"' in best and 'action="/my/timetable/register"' in best
    # with "compact days" first, the Monday pair (an hour of waiting) is no longer the best
    compact = schedule_block(text(generate_page(client, term_id, courses, pref1=Preference.COMPACT.value)), 1)
    assert not (codes[0] in compact and codes[2] in compact)


def test_generation_needs_a_course_and_distinct_preferences(app):
    with World(app) as w:
        account = w.account()
        term = make_term()
        section = make_section(term)
        term_id, course_id = term.id, section.course_id
    client = logged_in(app, account)
    page = text(generate_page(client, term_id, []))
    assert said(app, "fr", "Choose at least one course.") in page and 'id="schedule-1"' not in page
    page = text(generate_page(client, term_id, [course_id], pref1="compact", pref2="compact"))
    assert said(app, "fr", "Each preference can be chosen only once.") in page and 'id="schedule-1"' not in page


def test_tampered_values_are_refused_without_an_error_page(app):
    with World(app) as w:
        account = w.account()
        term = make_term()
        section = make_section(term)
        term_id, course_id, section_id = term.id, section.course_id, section.id
    client = logged_in(app, account)
    page = client.get(BUILDER, query_string={"term": "abc", "course": ["x", course_id], "exclude": "y",
                                             f"lock-{course_id}": "z", "pref1": "bogus", "generate": "1"})
    assert page.status_code == 200
    assert said(app, "fr", "Choose a value from the list.") in text(page)
    page = client.get(BUILDER, query_string={"term": term_id, "course": course_id, f"lock-{course_id}": 987654321,
                                             "generate": "1"})
    assert page.status_code == 200 and 'id="schedule-1"' in text(page)  # an unknown lock is ignored
    base = save_form(term_id, [section_id], [course_id], "Essai")
    for field, value in (("sections", "x"), ("preferences", "bogus"), ("locked", "1-2"), ("exclude", "?")):
        assert client.post("/my/timetable/register", data={**base, field: value}).status_code == 400, field
        assert client.post("/my/timetable/plans/save", data={**base, field: value}).status_code == 400, field
    assert client.post("/my/timetable/register", data={**base, "term": "987654321"}).status_code == 404
    assert enrolment_count(app, account["learner_id"]) == 0


def test_empty_states(app, monkeypatch):
    with World(app) as w:
        unplaced = w.account(level=None)
        term = make_term()
        make_section(term)
        term_id = term.id
    client = logged_in(app, unplaced)
    page = text(client.get(BUILDER, query_string={"term": term_id}))
    assert said(app, "fr", "No course of this term is open to you.") in page
    assert said(app, "fr", "You have no saved plan.") in text(client.get(PLANS))
    assert said(app, "fr", "You have not marked any time as unavailable: every time of the week can be used.") \
        in text(client.get(AVAILABILITY))
    monkeypatch.setattr("app.views.learner.timetable.local_today", lambda: dt.date(2199, 1, 1))
    assert said(app, "fr", "No term is open for registration right now.") in text(client.get(BUILDER))


# --- plans ---------------------------------------------------------------------------------------

def test_saving_a_plan_and_a_duplicate_name_is_refused_in_french_and_english(app):
    with World(app) as w:
        account = w.account()
        term = make_term()
        first, second = make_section(term), make_section(term, meetings=((4, "09:00", "12:00"),))
        term_id, sections = term.id, [first.id, second.id]
        courses = [first.course_id, second.course_id]
    client = logged_in(app, account)

    response = client.post("/my/timetable/plans/save",
                           data=save_form(term_id, sections, courses, "Mon horaire", "fewest_days,compact"))
    assert response.status_code == 302
    with app.app_context():
        plan = db.session.scalar(select(Plan).where(Plan.learner_id == account["learner_id"]))
        assert plan.name == "Mon horaire" and plan.preferences == "fewest_days,compact"
        assert sorted(item.section_id for item in plan.items) == sorted(sections)
        plan_id = plan.id
        db.session.remove()
    assert response.headers["Location"].endswith(f"/my/timetable/plans/{plan_id}")
    shown = text(client.get(f"/my/timetable/plans/{plan_id}"))
    assert said(app, "fr", "The timetable is saved as the plan “%(name)s”.", name="Mon horaire") in shown
    assert "<caption>" in shown

    again = client.post("/my/timetable/plans/save", data=save_form(term_id, sections, courses, "  mon   HORAIRE "))
    assert again.status_code == 302 and "generate=1" in again.headers["Location"]
    french = refusal_in(app, "fr", "duplicate_name", name="mon HORAIRE")
    assert french != refusal_in(app, "en", "duplicate_name", name="mon HORAIRE"), "not translated into French"
    assert french in text(client.get(again.headers["Location"]))

    client.get("/lang/en")
    client.post("/my/timetable/plans/save", data=save_form(term_id, sections, courses, "Mon horaire"))
    english = text(client.get(PLANS))
    assert "You already have a plan named “Mon horaire” for this term: choose another name." in english
    with app.app_context():
        assert db.session.scalar(select(func.count(Plan.id)).where(Plan.learner_id == account["learner_id"])) == 1
        db.session.remove()


def test_rename_and_delete_ask_and_keep_names_unique(app):
    with World(app) as w:
        account = w.account()
        learner = w.learner(account)
        term = make_term()
        section = make_section(term)
        keep = make_plan(learner, term, "Plan A", [section])
        other = make_plan(learner, term, "Plan B", [section])
    client = logged_in(app, account)

    form = text(client.get(f"/my/timetable/plans/{other}/rename"))
    assert 'value="Plan B"' in form
    clash = client.post(f"/my/timetable/plans/{other}/rename", data={"name": "plan a"})
    assert clash.status_code == 400
    assert refusal_in(app, "fr", "duplicate_name", name="plan a") in text(clash)
    assert client.post(f"/my/timetable/plans/{other}/rename", data={"name": "Plan du soir"}).status_code == 302

    confirm = client.get(f"/my/timetable/plans/{other}/delete")
    assert said(app, "fr", "Are you sure you want to delete the plan “%(name)s” (%(term)s)?",
                name="Plan du soir", term="Session d'essai") in text(confirm)
    with app.app_context():
        assert db.session.get(Plan, other).name == "Plan du soir"  # the GET deleted nothing
        db.session.remove()
    assert client.post(f"/my/timetable/plans/{other}/delete").status_code == 302
    page = text(client.get(PLANS))
    assert said(app, "fr", "The plan “%(name)s” is deleted.", name="Plan du soir") in page
    assert "Plan A" in page
    with app.app_context():
        assert db.session.get(Plan, other) is None and db.session.get(Plan, keep) is not None
        db.session.remove()


def test_another_learners_plan_is_not_found_and_nothing_changes(app):
    with World(app) as w:
        owner, intruder = w.account(), w.account()
        term = make_term()
        section = make_section(term, capacity=5)
        plan_id = make_plan(w.learner(owner), term, "Le mien", [section])
        section_id = section.id
    client = logged_in(app, intruder)
    assert client.get(f"/my/timetable/plans/{plan_id}").status_code == 404
    assert client.get(f"/my/timetable/plans/{plan_id}/rename").status_code == 404
    assert client.post(f"/my/timetable/plans/{plan_id}/rename", data={"name": "Volé"}).status_code == 404
    assert client.get(f"/my/timetable/plans/{plan_id}/delete").status_code == 404
    assert client.post(f"/my/timetable/plans/{plan_id}/delete").status_code == 404
    assert client.post(f"/my/timetable/plans/{plan_id}/register").status_code == 404
    assert "Le mien" not in text(client.get(PLANS))
    with app.app_context():
        assert db.session.get(Plan, plan_id).name == "Le mien"
        db.session.remove()
    assert seats(app, section_id) == [0]
    assert enrolment_count(app, intruder["learner_id"]) == 0 and enrolment_count(app, owner["learner_id"]) == 0


# --- registering ---------------------------------------------------------------------------------

def test_a_plan_with_a_full_section_registers_nothing_and_says_why_for_each_section(app):
    with World(app) as w:
        account, other = w.account(), w.account()
        learner = w.learner(account)
        term = make_term()
        roomy = make_section(term, capacity=5, meetings=((1, "09:00", "12:00"),))
        full = make_section(term, make_specialised_course(), capacity=1, meetings=((2, "09:00", "12:00"),))
        spare = make_section(term, full.course, capacity=5, meetings=((4, "09:00", "12:00"),))
        assert register(db.session, w.learner(other), full, notify=False).enrolled
        first = make_plan(learner, term, "Premier choix", [roomy, full])
        second = make_plan(learner, term, "Deuxième choix", [roomy, spare])
        ids = dict(roomy=roomy.id, full=full.id, spare=spare.id)
        codes = dict(roomy=roomy.code, full=full.code)
    before = seats(app, ids["roomy"], ids["full"], ids["spare"])
    client = logged_in(app, account)

    response = client.post(f"/my/timetable/plans/{first}/register")
    assert response.status_code == 409
    page = text(response)
    assert said(app, "fr", "Nothing was registered") in page
    assert said(app, "fr", "Section %(section)s (%(course)s): no seat left.",
                section=codes["full"], course="Français d'essai") in page
    assert said(app, "fr", "Section %(section)s (%(course)s): a seat was free, you would have been registered.",
                section=codes["roomy"], course="Français d'essai") in page
    assert seats(app, ids["roomy"], ids["full"], ids["spare"]) == before
    assert enrolment_count(app, account["learner_id"]) == 0
    # the next plan is offered, and it registers whole
    assert said(app, "fr", "Register the next plan: %(name)s", name="Deuxième choix") in page
    assert f'action="/my/timetable/plans/{second}/register"' in page
    done = client.post(f"/my/timetable/plans/{second}/register")
    assert done.status_code == 302 and done.headers["Location"].endswith("/my/enrolments/")
    assert enrolled_sections(app, account["learner_id"]) == {ids["roomy"], ids["spare"]}
    assert seats(app, ids["roomy"], ids["full"], ids["spare"]) == [before[0] + 1, before[1], before[2] + 1]


def test_a_plan_whose_sections_all_have_room_is_registered_whole(app):
    with World(app) as w:
        account = w.account()
        term = make_term()
        one = make_section(term, capacity=3, meetings=((1, "18:00", "21:00"),))
        two = make_section(term, make_specialised_course(), capacity=3, meetings=((3, "18:00", "21:00"),))
        plan_id = make_plan(w.learner(account), term, "Soirées", [one, two])
        ids = (one.id, two.id)
        codes = [s.code for s in sorted((one, two), key=lambda s: s.course.code)]
    client = logged_in(app, account)
    response = client.post(f"/my/timetable/plans/{plan_id}/register")
    assert response.status_code == 302 and response.headers["Location"].endswith("/my/enrolments/")
    assert enrolled_sections(app, account["learner_id"]) == set(ids)
    assert seats(app, *ids) == [1, 1]
    flashed = text(client.get("/my/enrolments/"))
    assert said_plural(app, "fr", "You are registered in section %(sections)s.",
                       "You are registered in the %(num)s sections of this timetable: %(sections)s.",
                       2, sections=", ".join(codes)) in flashed


def test_a_generated_timetable_with_a_full_section_offers_the_next_one(app):
    with World(app) as w:
        account, other = w.account(), w.account()
        term = make_term()
        course = make_course()
        full = make_section(term, course, capacity=1, meetings=((1, "09:00", "11:00"),))
        free = make_section(term, course, capacity=4, meetings=((5, "09:00", "12:00"),))
        assert register(db.session, w.learner(other), full, notify=False).enrolled
        ids = dict(term=term.id, course=course.id, full=full.id, free=free.id, code=full.code)
    client = logged_in(app, account)
    page = text(generate_page(client, ids["term"], [ids["course"]], pref1="earliest"))
    best = schedule_block(page, 1)
    assert ids["code"] in best  # a full section is still a candidate: it may free up by the time one registers

    hidden = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">',
                             best[best.index('action="/my/timetable/register"'):]))
    assert hidden["sections"] == str(ids["full"])
    response = client.post("/my/timetable/register", data=hidden)
    assert response.status_code == 409
    outcome = text(response)
    assert said(app, "fr", "Section %(section)s (%(course)s): no seat left.", section=ids["code"],
                course="Français d'essai") in outcome
    assert seats(app, ids["full"], ids["free"]) == [1, 0] and enrolment_count(app, account["learner_id"]) == 0
    following = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">',
                                outcome[outcome.index('action="/my/timetable/register"'):]))
    assert following["sections"] == str(ids["free"]) and following["exclude"] == str(ids["full"])
    done = client.post("/my/timetable/register", data=following)
    assert done.status_code == 302 and done.headers["Location"].endswith("/my/enrolments/")
    assert enrolled_sections(app, account["learner_id"]) == {ids["free"]}
    assert seats(app, ids["full"], ids["free"]) == [1, 1]


# --- statements per page ------------------------------------------------------------------------


def statements_for(app, client, url: str, query: dict | None = None) -> int:
    client.get(url, query_string=query)  # warm-up: the session settles the language once
    with count_queries(app) as statements:
        response = client.get(url, query_string=query)
    assert response.status_code == 200
    return len(statements)


def test_results_and_plans_cost_the_same_statements_for_few_and_many_sections(app):
    def offer(w, sections_per_course: int, plans: int):
        term = make_term()
        courses = [make_course(), make_course()]
        sections = [make_section(term, course, meetings=((day, f"{8 + 2 * n:02d}:00", f"{9 + 2 * n:02d}:00"),))
                    for i, course in enumerate(courses) for n in range(sections_per_course) for day in [1 + i]]
        account = w.account()
        for number in range(plans):
            make_plan(w.learner(account), term, f"Plan {number}", [sections[number], sections[-1 - number]])
        return account, {"term": term.id, "course": [c.id for c in courses], "generate": "1", "pref1": "compact"}

    with World(app) as w:
        few, few_query = offer(w, 2, 1)
        many, many_query = offer(w, 6, 4)
    few_client, many_client = logged_in(app, few), logged_in(app, many)
    assert text(many_client.get(BUILDER, query_string=many_query)).count('class="gf-tt-schedule"') == 10
    assert statements_for(app, few_client, BUILDER, few_query) == statements_for(app, many_client, BUILDER, many_query)
    assert statements_for(app, few_client, PLANS) == statements_for(app, many_client, PLANS)


# --- languages and CSRF --------------------------------------------------------------------------

def test_pages_are_in_french_then_in_english(app):
    with World(app) as w:
        account = w.account()
        term = make_term()
        section = make_section(term)
        plan_id = make_plan(w.learner(account), term, "Essai", [section])
        term_id, course_id = term.id, section.course_id
    client = logged_in(app, account)
    pages = {BUILDER: ("Timetable builder", {"term": term_id, "course": course_id, "generate": "1"}),
             AVAILABILITY: ("My unavailable times", {}), PLANS: ("My saved plans", {}),
             f"/my/timetable/plans/{plan_id}": ("Register this plan", {})}
    for url, (msgid, query) in pages.items():
        page = text(client.get(url, query_string=query))
        french = said(app, "fr", msgid)
        assert french != msgid, f"{msgid!r} is not translated into French"
        assert 'lang="fr"' in page and french in page, url
    client.get("/lang/en")
    for url, (msgid, query) in pages.items():
        page = text(client.get(url, query_string=query))
        assert 'lang="en"' in page and msgid in page, url
    assert "Monday" in text(client.get(AVAILABILITY))


@pytest.fixture(scope="module")
def csrf_app(pg_url):
    application = build_app(pg_url, WTF_CSRF_ENABLED=True)
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


def test_changes_without_the_csrf_token_are_refused(csrf_app):
    app = csrf_app
    with World(app) as w:
        account = w.account()
        term = make_term()
        section = make_section(term, capacity=5)
        plan_id = make_plan(w.learner(account), term, "Garder", [section])
        section_id = section.id
    client = app.test_client()
    token = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')
    login_page = client.get("/login/").get_data(as_text=True)
    client.post("/login/", data={"username": account["username"], "password": DEMO_PASSWORD,
                                 "csrf_token": token.search(login_page).group(1)})
    assert client.post(AVAILABILITY, data={"slot": ["1-9"]}).status_code == 400
    assert client.post(f"/my/timetable/plans/{plan_id}/register").status_code == 400
    assert client.post(f"/my/timetable/plans/{plan_id}/delete").status_code == 400
    assert client.post(f"/my/timetable/plans/{plan_id}/rename", data={"name": "X"}).status_code == 400
    assert seats(app, section_id) == [0]
    with app.app_context():
        assert db.session.get(Plan, plan_id).name == "Garder"
        assert db.session.scalar(select(func.count(Availability.id)).where(
            Availability.learner_id == account["learner_id"])) == 0
        db.session.remove()
    csrf = token.search(client.get(AVAILABILITY).get_data(as_text=True)).group(1)
    assert client.post(AVAILABILITY, data={"slot": ["1-9"], "csrf_token": csrf}).status_code == 302
