"""Back-office forms never load a whole large table: relations to learners, sections, enrolments,
applications, plans and accounts are searched as you type (a look-up endpoint of the view, at most
20 rows, the same choice rules as the form), and the posted id is checked against those rules.

Counted on the demo data, whose learner, section and enrolment tables hold hundreds of rows.
"""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Attendance, Enrolment, Learner, Section
from app.views.admin.lookups import LARGE, LOOKUP_LIMIT
from tests.conftest import Auth
from tests.test_backoffice import backoffice_views, view_url
from tests.test_list_queries import count_queries

LARGE_TABLES = {model.__table__.name for model in LARGE}
# A whole table read for a form: FROM one of them with neither WHERE nor LIMIT.
WHOLE_TABLE = re.compile(r"\bFROM (%s)\b(?!.*\b(WHERE|LIMIT)\b)" % "|".join(LARGE_TABLES), re.S)


@pytest.fixture(scope="module")
def admin_client(demo_app):
    client = demo_app.test_client()
    Auth(client).login("admin")
    client.get("/")
    return client


def selects_of(html: str) -> dict[str, int]:
    """name -> number of <option> in each <select> of a page."""
    return {m.group(1): m.group(2).count("<option")
            for m in re.finditer(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', html, re.S)}


def test_no_add_or_edit_form_loads_a_whole_large_table(demo_app, admin_client):
    with demo_app.app_context():
        assert db.session.query(Learner).count() > 100 and db.session.query(Enrolment).count() > 100
        first_ids = {}
    checked = 0
    for view in backoffice_views(demo_app):
        pages = []
        if "can_add" in view.base_permissions and view.add_columns:
            pages.append(view_url(demo_app, view, "add"))
        if "can_edit" in view.base_permissions and view.edit_columns:
            with demo_app.app_context():
                first_ids[view] = db.session.scalar(select(view.datamodel.obj.id).limit(1))
            if first_ids[view] is not None:
                pages.append(view_url(demo_app, view, "edit", pk=first_ids[view]))
        for url in pages:
            with count_queries(demo_app) as statements:
                response = admin_client.get(url)
            assert response.status_code == 200, url
            whole = [s for s in statements if WHOLE_TABLE.search(" ".join(s.split()))]
            assert not whole, f"{url} reads a whole table: {whole[0][:200]}"
            html = response.get_data(as_text=True)
            for name, options in selects_of(html).items():
                if name in getattr(view, "_lookups", {}):
                    assert options <= 2, f"{url}: {name} lists {options} rows"
                    assert 'class="form-control gf-lookup' in html
            checked += 1
    assert checked > 20


def test_the_lookup_finds_at_most_20_rows_matching_the_text(demo_app, admin_client):
    with demo_app.app_context():
        # a demo learner with an enrolment, whatever other tests did to the first rows (anonymised files)
        learner = db.session.scalars(select(Learner).join(Enrolment, Enrolment.learner_id == Learner.id)
                                     .where(Learner.anonymised_at.is_(None), Learner.file_number.like("FQ-%"))
                                     .order_by(Learner.id)).first()
        file_number, last_name = learner.file_number, learner.last_name
    url = view_url(demo_app, _view(demo_app, "AttendanceView"), "lookup", column="enrolment")
    everything = admin_client.get(url + "?q=").get_json()["results"]
    assert len(everything) == LOOKUP_LIMIT
    found = admin_client.get(url, query_string={"q": file_number}).get_json()["results"]
    assert found and all(file_number in row["text"] for row in found)
    by_name = admin_client.get(view_url(demo_app, _view(demo_app, "CaseNoteView"), "lookup", column="learner"),
                               query_string={"q": last_name.upper()}).get_json()["results"]
    assert any(row["text"].startswith(file_number) for row in by_name)
    assert admin_client.get(url, query_string={"q": "%_\\" + "x" * 500}).get_json() == {"results": []}
    assert admin_client.get(view_url(demo_app, _view(demo_app, "AttendanceView"), "lookup",
                                     column="nope")).status_code == 404


def _view(app, name):
    return next(view for view in backoffice_views(app) if type(view).__name__ == name)


def test_a_form_saves_the_row_chosen_by_lookup_and_refuses_an_unknown_id(demo_app, admin_client):
    view = _view(demo_app, "AttendanceView")
    with demo_app.app_context():
        enrolment = db.session.scalars(select(Enrolment).order_by(Enrolment.id.desc())).first()
        enrolment_id = enrolment.id
        before = db.session.query(Attendance).filter_by(enrolment_id=enrolment_id).count()
    data = {"enrolment": str(enrolment_id), "day": "2026-01-05", "hours_scheduled": "3", "hours_present": "2"}
    refused = admin_client.post(view_url(demo_app, view, "add"), data={**data, "enrolment": "2147483000"})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 200 and "Choisissez une des lignes proposées." in page, \
        re.findall(r'class="[^"]*(?:error|danger)[^"]*"[^>]*>([^<]*)', page)
    saved = admin_client.post(view_url(demo_app, view, "add"), data=data)
    assert saved.status_code == 302
    with demo_app.app_context():
        assert db.session.query(Attendance).filter_by(enrolment_id=enrolment_id).count() == before + 1


def test_partner_staff_look_up_only_their_own_partners_sections(demo_app):
    from tests.test_backoffice import make_user
    from app.models import PartnerMembership

    with demo_app.app_context():
        partner_id = db.session.scalar(select(Section.partner_id).order_by(Section.id))
        user = make_user(demo_app, "PartnerStaff", "lookup")
        db.session.add(PartnerMembership(user_id=user.id, partner_id=partner_id))
        db.session.commit()
        username = user.username
        own = set(db.session.scalars(select(Section.code).where(Section.partner_id == partner_id)))
    client = demo_app.test_client()
    Auth(client).login(username)
    view = _view(demo_app, "MeetingView")
    response = client.get(view_url(demo_app, view, "lookup", column="section"), query_string={"q": "-"})
    assert response.status_code == 200
    codes = {row["text"] for row in response.get_json()["results"]}
    assert codes and codes <= own


@pytest.fixture(scope="module")
def demo_app(own_demo_app):
    """The demo data alone (see own_demo_app)."""
    return own_demo_app
