"""CSV export of the generated back-office lists: the list's rows under its current filter, for
the roles that may list the screen, read in words, never another partner's rows."""
from __future__ import annotations

import csv
import io
import re
from types import SimpleNamespace

import pytest

from app.extensions import db
from app.models import Partner, Section, Teacher
from app.services.access import ADMIN, ANALYST, PARTNER_STAFF, SUPPORT
from app.views.admin.csv_export import cell
from tests.conftest import Auth
from tests.factories import make_partner, make_term, tag
from tests.test_backoffice import backoffice_views, make_user, view_url
from tests.test_partner_scope import organisation


@pytest.fixture(scope="module")
def two_partners(app):
    """Two partners with a group, an enrolment and a teacher each; a staff account for the first."""
    with app.app_context():
        term = make_term()
        ours, theirs = make_partner(), make_partner()
        world = SimpleNamespace(ours=organisation(term, ours), theirs=organisation(term, theirs))
        # a name a spreadsheet would run as a formula
        formula = Teacher(partner=ours, first_name="Eve", last_name=f"=HYPERLINK(\"x\",\"{tag()}\")")
        db.session.add(formula)
        db.session.commit()
        world.formula_name = formula.last_name
        staff = make_user(app, PARTNER_STAFF, "staff")
        from app.models import PartnerMembership

        db.session.add(PartnerMembership(user_id=staff.id, partner_id=ours.id))
        db.session.commit()
        world.staff = staff.username
        world.admin = make_user(app, ADMIN, "admin").username
        world.support = make_user(app, SUPPORT, "support").username
        world.analyst = make_user(app, ANALYST, "analyst").username
        db.session.remove()
    return world


def client_of(app, username):
    client = app.test_client()
    Auth(client).login(username)
    return client


def views(app):
    return {view.__class__.__name__: view for view in backoffice_views(app)}


def exported(response) -> list[list[str]]:
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    return list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))


def test_a_partner_exports_only_its_own_rows(app, two_partners):
    view = views(app)["SectionView"]
    client = client_of(app, two_partners.staff)
    rows = exported(client.get(view_url(app, view, "export_csv")))
    codes = {row[0] for row in rows[1:]}
    assert two_partners.ours["code"] in codes
    assert two_partners.theirs["code"] not in codes
    with app.app_context():
        # every exported group is one of the partner's own, and none of its own is missing
        own = set(db.session.scalars(db.select(Section.code).where(Section.partner_id == two_partners.ours[Partner])))
    assert codes == own


def test_the_export_keeps_the_filter_of_the_url_and_reads_in_words(app, two_partners):
    view = views(app)["SectionView"]
    client = client_of(app, two_partners.admin)
    code = two_partners.theirs["code"]
    # FAB's text filter (index 0: starts with) on the group code, as the search form writes it
    rows = exported(client.get(view_url(app, view, "export_csv", _flt_0_code=code)))
    header, body = rows[0], rows[1:]
    assert header[:3] == ["Code du groupe", "Cours", "Session"], header
    assert [row[0] for row in body] == [code]
    with app.test_request_context("/?_l_=fr"):
        section = db.session.get(Section, two_partners.theirs[Section])
        status, raw = str(section.status.label), section.status.value
        db.session.remove()
    status_column = header.index("Statut")
    assert body[0][status_column] == status != raw  # the label, never the stored value


def test_headers_follow_the_language_of_the_session(app, two_partners):
    view = views(app)["SectionView"]
    client = client_of(app, two_partners.admin)
    french = exported(client.get(view_url(app, view, "export_csv", _flt_0_partner=two_partners.ours[Partner])))
    english = exported(client.get(view_url(app, view, "export_csv", _flt_0_partner=two_partners.ours[Partner],
                                           _l_="en")))
    assert french[0][:2] == ["Code du groupe", "Cours"] and english[0][:2] == ["Group code", "Course"]
    assert [row[0] for row in french[1:]] == [two_partners.ours["code"]]


def test_a_role_that_may_not_list_the_screen_may_not_export_it(app, two_partners):
    section_view, learner_view = views(app)["SectionView"], views(app)["LearnerView"]
    assert client_of(app, two_partners.support).get(view_url(app, section_view, "export_csv")).status_code == 403
    assert client_of(app, two_partners.analyst).get(view_url(app, learner_view, "export_csv")).status_code == 403
    anonymous = app.test_client().get(view_url(app, section_view, "export_csv"))
    assert anonymous.status_code == 302 and "/login/" in anonymous.headers["Location"]


def test_a_formula_is_exported_as_text(app, two_partners):
    view = views(app)["TeacherView"]
    rows = exported(client_of(app, two_partners.staff).get(view_url(app, view, "export_csv")))
    assert "'" + two_partners.formula_name in [row[0] for row in rows]
    assert cell("-12.5") == "-12.5" and cell("@SUM(A1)") == "'@SUM(A1)" and cell(None) == ""


def test_the_list_page_links_its_export_with_the_same_filter(app, two_partners):
    view = views(app)["SectionView"]
    client = client_of(app, two_partners.admin)
    page = client.get(view_url(app, view, "list", _flt_0_partner=two_partners.ours[Partner],
                               page_SectionView=0)).get_data(as_text=True)
    link = re.search(r'href="([^"]*export_csv[^"]*)"', page)
    assert link, "no export link on the list page"
    href = link.group(1).replace("&amp;", "&")
    assert f"_flt_0_partner={two_partners.ours[Partner]}" in href and "page_" not in href
    rows = exported(client.get(href))
    assert [row[0] for row in rows[1:]] == [two_partners.ours["code"]]
