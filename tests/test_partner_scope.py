"""PartnerStaff see and change only their own organisation's rows, by menu or by typed URL."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

import pytest
from flask_login import AnonymousUserMixin

from app.extensions import db
from app.models import (
    Attendance, CapacityDeclaration, CourseFormat, Enrolment, EnrolmentStatus, ExamResult, Meeting, Partner,
    PartnerMembership, Section, Site, Skill, Teacher,
)
from app.services.access import ADMIN, AGENT, PARTNER_STAFF, SUPPORT, partner_ids_for
from tests.conftest import Auth
from tests.factories import make_course, make_learner, make_partner, make_section, make_term, tag
from tests.test_backoffice import backoffice_views, make_user, view_url

SCOPED = {
    "SectionView": Section, "MeetingView": Meeting, "SiteView": Site, "TeacherView": Teacher,
    "CapacityDeclarationView": CapacityDeclaration, "EnrolmentView": Enrolment, "AttendanceView": Attendance,
    "ExamResultView": ExamResult, "PartnerView": Partner,
}


def organisation(term, partner: Partner) -> dict[type, int]:
    """A partner's site, teacher, group with a meeting, an enrolment, attendance and a result."""
    site = Site(partner=partner, name=f"Site {tag()}", address="10 rue du Parc", city="Laval",
                region=partner.region)
    teacher = Teacher(partner=partner, first_name="Marc", last_name=f"Gagnon {tag()}")
    db.session.add_all([site, teacher])
    section = make_section(term, partner=partner)
    section.site, section.teacher = site, teacher
    learner = make_learner()
    enrolment = Enrolment(learner=learner, section=section, status=EnrolmentStatus.ENROLLED)
    attendance = Attendance(enrolment=enrolment, day=term.starts_on, hours_scheduled=Decimal("3"),
                            hours_present=Decimal("3"))
    result = ExamResult(learner=learner, section=section, skill=Skill.ORAL_COMPREHENSION, level=4,
                        taken_on=term.starts_on)
    capacity = CapacityDeclaration(partner=partner, term=term, region=partner.region, format=CourseFormat.PART_TIME,
                                   level_min=1, level_max=4, groups_offered=2, seats_offered=40)
    db.session.add_all([enrolment, attendance, result, capacity])
    db.session.flush()
    return {Section: section.id, Meeting: section.meetings[0].id, Site: site.id, Teacher: teacher.id,
            CapacityDeclaration: capacity.id, Enrolment: enrolment.id, Attendance: attendance.id,
            ExamResult: result.id, Partner: partner.id, "code": section.code, "name": partner.name}


@pytest.fixture(scope="module")
def world(app):
    """Two partners with their rows, a staff account for each, and one without any membership."""
    with app.app_context():
        term = make_term()
        ours, theirs = make_partner(), make_partner()
        world = SimpleNamespace(ours=organisation(term, ours), theirs=organisation(term, theirs),
                                course_id=make_course().id, term_id=term.id)
        db.session.commit()
        staff = make_user(app, PARTNER_STAFF, "staff")
        other = make_user(app, PARTNER_STAFF, "staff")
        lonely = make_user(app, PARTNER_STAFF, "staff")
        db.session.add_all([PartnerMembership(user_id=staff.id, partner_id=ours.id),
                            PartnerMembership(user_id=other.id, partner_id=theirs.id)])
        db.session.commit()
        world.staff, world.other, world.lonely = staff.username, other.username, lonely.username
        world.admin = make_user(app, ADMIN, "admin").username
        db.session.remove()
    return world


def logged_in(app, username):
    client = app.test_client()
    Auth(client).login(username)
    return client


def views_by_name(app):
    return {view.__class__.__name__: view for view in backoffice_views(app)}


def test_lists_show_only_own_rows(app, world):
    views = views_by_name(app)
    client = logged_in(app, world.staff)
    listing = client.get(view_url(app, views["SectionView"], "list")).get_data(as_text=True)
    assert world.ours["code"] in listing and world.theirs["code"] not in listing
    partners = client.get(view_url(app, views["PartnerView"], "list")).get_data(as_text=True)
    assert world.ours["name"] in partners and world.theirs["name"] not in partners
    for name, model in SCOPED.items():
        page = client.get(view_url(app, views[name], "list", **{f"psize_{name}": 100})).get_data(as_text=True)
        assert view_url(app, views[name], "show", pk=world.ours[model]) in page, name
        assert view_url(app, views[name], "show", pk=world.theirs[model]) not in page, name


def test_another_partners_rows_answer_404_by_typed_url(app, world):
    views = views_by_name(app)
    client = logged_in(app, world.staff)
    for name, model in SCOPED.items():
        view = views[name]
        assert client.get(view_url(app, view, "show", pk=world.ours[model])).status_code == 200, name
        assert client.get(view_url(app, view, "show", pk=world.theirs[model])).status_code == 404, name
        if name != "PartnerView" and name != "EnrolmentView":
            assert client.get(view_url(app, view, "edit", pk=world.theirs[model])).status_code == 404, name
            assert client.post(view_url(app, view, "delete", pk=world.theirs[model])).status_code == 404, name
    with app.app_context():
        for model in SCOPED.values():
            assert db.session.get(model, world.theirs[model]) is not None


def test_the_other_partner_sees_the_mirror_image(app, world):
    view = views_by_name(app)["SectionView"]
    client = logged_in(app, world.other)
    assert client.get(view_url(app, view, "show", pk=world.theirs[Section])).status_code == 200
    assert client.get(view_url(app, view, "show", pk=world.ours[Section])).status_code == 404


def test_a_staff_account_without_membership_sees_nothing(app, world):
    views = views_by_name(app)
    client = logged_in(app, world.lonely)
    page = client.get(view_url(app, views["SectionView"], "list")).get_data(as_text=True)
    assert world.ours["code"] not in page and world.theirs["code"] not in page
    assert client.get(view_url(app, views["SectionView"], "show", pk=world.ours[Section])).status_code == 404


def test_admin_sees_every_partner(app, world):
    view = views_by_name(app)["SectionView"]
    client = logged_in(app, world.admin)
    for side in (world.ours, world.theirs):
        assert client.get(view_url(app, view, "show", pk=side[Section])).status_code == 200


def section_form(world, partner_id: int, code: str) -> dict:
    today = dt.date.today()
    return {"code": code, "course": str(world.course_id), "term": str(world.term_id), "partner": str(partner_id),
            "capacity": "18", "status": "open", "delivery": "in_person", "starts_on": today.isoformat(),
            "ends_on": (today + dt.timedelta(days=70)).isoformat()}


def test_add_form_offers_only_own_partner_and_refuses_another(app, world):
    view = views_by_name(app)["SectionView"]
    client = logged_in(app, world.staff)
    form = client.get(view_url(app, view, "add")).get_data(as_text=True)
    assert world.ours["name"] in form and world.theirs["name"] not in form

    code = f"X-{tag()}"
    client.post(view_url(app, view, "add"), data=section_form(world, world.theirs[Partner], code))
    with app.app_context():
        assert db.session.scalar(db.select(Section).where(Section.code == code)) is None

    response = client.post(view_url(app, view, "add"), data=section_form(world, world.ours[Partner], code))
    assert response.status_code == 302
    with app.app_context():
        created = db.session.scalar(db.select(Section).where(Section.code == code))
        assert created is not None and created.partner_id == world.ours[Partner]


def test_edit_cannot_move_a_row_to_another_partner(app, world):
    view = views_by_name(app)["SectionView"]
    client = logged_in(app, world.staff)
    with app.app_context():
        section = db.session.get(Section, world.ours[Section])
        code = section.code
    data = section_form(world, world.theirs[Partner], code)
    client.post(view_url(app, view, "edit", pk=world.ours[Section]), data=data)
    with app.app_context():
        assert db.session.get(Section, world.ours[Section]).partner_id == world.ours[Partner]
    data = section_form(world, world.ours[Partner], code) | {"capacity": "22"}
    assert client.post(view_url(app, view, "edit", pk=world.ours[Section]), data=data).status_code == 302
    with app.app_context():
        assert db.session.get(Section, world.ours[Section]).capacity == 22


def test_a_meeting_cannot_be_added_to_another_partners_group(app, world):
    view = views_by_name(app)["MeetingView"]
    client = logged_in(app, world.staff)
    room = f"Z-{tag()}"
    client.post(view_url(app, view, "add"), data={"section": str(world.theirs[Section]), "weekday": "3",
                                                   "starts_at": "13:00", "ends_at": "16:00", "room": room})
    with app.app_context():
        assert db.session.scalar(db.select(Meeting).where(Meeting.room == room)) is None


def test_staff_may_delete_their_own_rows(app, world):
    view = views_by_name(app)["TeacherView"]
    client = logged_in(app, world.staff)
    with app.app_context():
        partner = db.session.get(Partner, world.ours[Partner])
        teacher = Teacher(partner=partner, first_name="Temporaire", last_name=tag())
        db.session.add(teacher)
        db.session.commit()
        teacher_id = teacher.id
    assert client.post(view_url(app, view, "delete", pk=teacher_id)).status_code == 302
    with app.app_context():
        assert db.session.get(Teacher, teacher_id) is None


def test_who_acts_for_which_partner(app, world):
    with app.app_context():
        sm = app.appbuilder.sm
        staff = sm.find_user(username=world.staff)
        assert partner_ids_for(db.session, staff) == {world.ours[Partner]}
        assert partner_ids_for(db.session, sm.find_user(username=world.lonely)) == frozenset()
        assert partner_ids_for(db.session, sm.find_user(username=world.admin)) is None
        assert partner_ids_for(db.session, AnonymousUserMixin()) == frozenset()
        agent = make_user(app, AGENT, "agent")
        assert partner_ids_for(db.session, agent) is None
        support = make_user(app, SUPPORT, "support")
        assert partner_ids_for(db.session, support) == frozenset()
        db.session.remove()


def test_saving_a_row_of_another_partner_is_refused_even_past_the_form(app, world):
    """The last guard (pre_add/pre_update) refuses a row whose partner the user does not act for."""
    from flask_login import login_user

    from app.views.admin.scope import OtherPartnerError, ensure_own_partner

    with app.test_request_context("/?_l_=en"):
        login_user(app.appbuilder.sm.find_user(username=world.staff))
        ensure_own_partner(db.session.get(Meeting, world.ours[Meeting]))
        with pytest.raises(OtherPartnerError, match="your own organisation"):
            ensure_own_partner(db.session.get(Attendance, world.theirs[Attendance]))
        db.session.remove()


def test_the_demo_partner_account_lists_exactly_its_organisations_groups(demo_app):
    import re

    view = views_by_name(demo_app)["SectionView"]
    with demo_app.app_context():
        user = demo_app.appbuilder.sm.find_user(username="partner")
        partner_ids = partner_ids_for(db.session, user)
        assert partner_ids, "the demo partner account belongs to a partner"
        expected = set(db.session.scalars(db.select(Section.id).where(Section.partner_id.in_(partner_ids))))
        others = db.session.scalar(db.select(db.func.count()).select_from(Section)
                                   .where(Section.partner_id.not_in(partner_ids)))
        assert expected and others
    client = logged_in(demo_app, "partner")
    page = client.get(view_url(demo_app, view, "list", psize_SectionView=100)).get_data(as_text=True)
    prefix = re.escape(view_url(demo_app, view, "show", pk=0)[:-1])
    assert {int(pk) for pk in re.findall(rf'"{prefix}(\d+)"', page)} == expected


def test_staff_declare_capacity_for_their_partner_signed_with_their_account(app, world):
    view = views_by_name(app)["CapacityDeclarationView"]
    client = logged_in(app, world.staff)
    with app.app_context():
        region_id = db.session.get(Partner, world.ours[Partner]).region_id
    seats = 4000 + int(tag()[:3], 16) % 1000
    response = client.post(view_url(app, view, "add"), data={
        "partner": str(world.ours[Partner]), "term": str(world.term_id), "region": str(region_id),
        "format": "full_time", "level_min": "1", "level_max": "4", "groups_offered": "3",
        "seats_offered": str(seats)})
    assert response.status_code == 302
    with app.app_context():
        declaration = db.session.scalar(db.select(CapacityDeclaration)
                                        .where(CapacityDeclaration.seats_offered == seats))
        assert declaration.partner_id == world.ours[Partner]
        assert declaration.declared_by.username == world.staff
        assert declaration.format is CourseFormat.FULL_TIME
