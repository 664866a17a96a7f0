"""The generated back office: a screen for every entity, each answering for Admin, in both languages.

Runs on the demo data of both engines, plus one row of every table built here (some tables,
such as the incident register, have no demo rows), so every show and edit page has a row.
"""
from __future__ import annotations

import datetime as dt
import re
import uuid
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_time as babel_format_time
from flask import url_for
from flask_appbuilder import Model, ModelView
from flask_appbuilder.security.sqla.models import User
from flask_babel.speaklater import LazyString
from sqlalchemy import select

from app.extensions import db
from app.i18n import TIME_PATTERNS
from app.models.accounts import AccountSecurity, AccountToken, RecoveryCode, UserSession
from app.models import (
    IssuedDocument, IssuedDocumentKind,
    AccessLog, Allowance, AllowanceKind, AllowanceRule, AllowanceStatus, AllowanceUnit, Application,
    ApplicationEvent, ApplicationStatus, Attendance, AuditEvent, Availability, CapacityDeclaration, CaseNote,
    ClientCategory, Course, CourseFormat, Document, DocumentType, Enrolment, EnrolmentStatus, Enterprise,
    EnterpriseMembership, EnterpriseRequest, ExamResult, Field, ImmigrationStatus, Incident, IncomeSupport, Job,
    Language, Learner, Meeting, Message, Partner, PartnerMembership, PartnerType, Payment, PlacementResult, Plan,
    PlanItem, Region, ReportRun, Section, Site, Skill, Teacher, Term, TermClosedDate, UserPreference,
)
from app.services.access import ADMIN, PARTNER_STAFF, ENTERPRISE_REP, READ
from tests.conftest import DEMO_PASSWORD, Auth
from tests.factories import make_learner, make_section, make_term


def backoffice_views(app) -> list[ModelView]:
    """Every generated back-office screen registered on ``app``."""
    return [view for view in app.appbuilder.baseviews
            if isinstance(view, ModelView) and view.__module__.startswith("app.views.admin")]


def view_url(app, view, action: str, **values) -> str:
    with app.test_request_context():
        return url_for(f"{view.endpoint}.{action}", **values)


def make_user(app, role_name: str, prefix: str = "user") -> User:
    """A fresh account with one role and the demo password; its username is unique."""
    sm = app.appbuilder.sm
    name = f"{prefix}-{uuid.uuid4().hex[:8]}"
    user = sm.add_user(name, "Test", name, f"{name}@example.org", sm.find_role(role_name), password=DEMO_PASSWORD)
    assert user, f"could not create {name}"
    return user


def _view(app, name: str) -> ModelView:
    return next(view for view in backoffice_views(app) if view.__class__.__name__ == name)


_ADMINS: dict[int, str] = {}


def _admin_name(app) -> str:
    """An administrator account of this module on ``app`` (created once)."""
    if id(app) not in _ADMINS:
        with app.app_context():
            _ADMINS[id(app)] = make_user(app, ADMIN, "admin").username
    return _ADMINS[id(app)]


def reference(model, code: str):
    """An existing reference row (the demo's), or a new one when the table is empty."""
    row = db.session.scalar(select(model).order_by(model.id).limit(1))
    if row is None:
        row = model(code=code, name_fr=f"{code} (fr)", name_en=f"{code} (en)")
        db.session.add(row)
    return row


def build_complete_file(app) -> dict[type, int]:
    """One row of every table, linked together; returns each model's new row id."""
    t = uuid.uuid4().hex[:8]
    now = dt.datetime.now(dt.UTC)
    today = dt.date.today()
    with app.app_context():
        staff = make_user(app, PARTNER_STAFF, "staff")
        rep = make_user(app, ENTERPRISE_REP, "rep")
        admin = make_user(app, ADMIN, "admin")
        s = db.session
        region = reference(Region, f"R{t}")
        category = reference(ClientCategory, f"C{t}")
        status = reference(ImmigrationStatus, f"I{t}")
        field = reference(Field, f"F{t}")
        support = reference(IncomeSupport, f"S{t}")
        partner = Partner(name=f"Centre {t}", type=PartnerType.CEGEP, region=region)
        site = Site(partner=partner, name=f"Pavillon {t}", address="1 rue Principale", city="Québec", region=region)
        teacher = Teacher(partner=partner, first_name="Claire", last_name=f"Tremblay {t}")
        course = Course(code=f"K{t}", title_fr="Français en santé", title_en="French for health",
                        description_fr="Vocabulaire des soins", description_en="Vocabulary of care",
                        format=CourseFormat.PART_TIME, level_min=5, level_max=8, hours_per_week=6, total_hours=66,
                        field=field)
        term = Term(code=f"T{t}", name_fr=f"Hiver {t}", name_en=f"Winter {t}", starts_on=today,
                    ends_on=today + dt.timedelta(days=77), registration_opens=today - dt.timedelta(days=30),
                    registration_closes=today - dt.timedelta(days=1), drop_deadline=today + dt.timedelta(days=14))
        closed = TermClosedDate(term=term, day=today + dt.timedelta(days=20), reason_fr="Journée pédagogique",
                                reason_en="Pedagogical day")
        section = Section(code=f"G{t}", course=course, term=term, partner=partner, site=site, teacher=teacher,
                          capacity=20, seats_taken=1, starts_on=today, ends_on=today + dt.timedelta(days=77))
        meeting = Meeting(section=section, weekday=2, starts_at=dt.time(18), ends_at=dt.time(21), room="B-204")
        enterprise = Enterprise(neq=str(uuid.uuid4().int)[:10], name=f"Usinage {t}", region=region)
        learner = Learner(file_number=f"FQ-{t}", first_name="Amina", last_name=f"Diallo {t}",
                          email=f"amina.{t}@example.org", birth_date=dt.date(1991, 4, 2), category=category,
                          status=status, income_support=support, region=region, preferred_language=Language.FR,
                          current_level=5, enterprise=enterprise)
        availability = Availability(learner=learner, weekday=1, starts_at=dt.time(9), ends_at=dt.time(17))
        plan = Plan(learner=learner, term=term, name="Plan A")
        plan_item = PlanItem(plan=plan, course=course, section=section)
        application = Application(learner=learner, format_wanted=CourseFormat.PART_TIME, region=region,
                                  status=ApplicationStatus.APPROVED, submitted_at=now, complete_at=now,
                                  decided_at=now, schedule_preferences={"evenings": True})
        event = ApplicationEvent(application=application, from_status=ApplicationStatus.COMPLETE,
                                 to_status=ApplicationStatus.APPROVED, note="Admissible")
        document = Document(application=application, learner=learner, type=DocumentType.IDENTITY,
                            original_name="passeport.pdf", content_type="application/pdf", storage_key=f"k{t}",
                            sha256="0" * 64, size_bytes=1024)
        placement = PlacementResult(learner=learner, application=application, skill=Skill.ORAL_PRODUCTION, level=5,
                                    assessed_on=today)
        enrolment = Enrolment(learner=learner, section=section, status=EnrolmentStatus.ENROLLED, enrolled_at=now)
        attendance = Attendance(enrolment=enrolment, day=today, hours_scheduled=Decimal("3"),
                                hours_present=Decimal("2.5"))
        exam = ExamResult(learner=learner, section=section, skill=Skill.WRITTEN_COMPREHENSION, level=6,
                          taken_on=today)
        rule = AllowanceRule(kind=AllowanceKind.TRANSPORT, format=CourseFormat.FULL_TIME, unit=AllowanceUnit.WEEK,
                             amount=Decimal("25.00"), valid_from=dt.date(2001, 1, 1), valid_to=dt.date(2001, 12, 31),
                             in_person_only=True)
        payment = Payment(learner=learner, paid_on=today, amount=Decimal("25.00"), reference=f"P{t}")
        allowance = Allowance(learner=learner, enrolment=enrolment, period_start=today,
                              period_end=today + dt.timedelta(days=6), kind=AllowanceKind.TRANSPORT,
                              amount=Decimal("25.00"), status=AllowanceStatus.PAID, rule=rule, payment=payment)
        s.add_all([region, category, status, field, support, partner, site, teacher, course, term, closed, section,
                   meeting, enterprise, learner, availability, plan, plan_item, application, event, document,
                   placement, enrolment, attendance, exam, rule, payment, allowance])
        s.flush()
        rows = [
            PartnerMembership(user_id=staff.id, partner=partner, job_title="Coordonnatrice"),
            EnterpriseMembership(user_id=rep.id, enterprise=enterprise, job_title="RH"),
            EnterpriseRequest(enterprise=enterprise, requested_by_id=rep.id, employees_count=12,
                              site_address="2 rue de l'Usine", region=region, format=CourseFormat.WORKPLACE,
                              level_min=1, level_max=4, partner=partner),
            CapacityDeclaration(partner=partner, term=term, region=region, site=site, format=CourseFormat.PART_TIME,
                                level_min=1, level_max=8, groups_offered=4, seats_offered=80),
            CaseNote(learner=learner, author_id=admin.id, body="Appel de suivi", follow_up_on=today),
            Message(recipient=learner.email, learner=learner, language=Language.FR, template="welcome",
                    subject="Bienvenue", body="Bonjour"),
            AuditEvent(actor_id=admin.id, action="test.created", object_type="learner", object_id=str(learner.id)),
            AccessLog(learner=learner, viewer_id=admin.id, role=ADMIN, what="file"),
            Incident(discovered_on=today, description="Courriel mal adressé", information_concerned="Nom",
                     people_affected=1, keep_until=today + dt.timedelta(days=5 * 365)),
        ]
        job = Job(task="test.noop", args={})
        issued = IssuedDocument(code=f"V{t}", learner=learner, kind=IssuedDocumentKind.ATTESTATION,
                                content_sha256="0" * 64, summary={"hours": 33})
        rows.append(issued)
        rows.append(UserSession(user_id=staff.id, token_hash=f"{t}".ljust(64, "0")[:64], ip="192.0.2.1"))
        rows.append(AccountSecurity(user_id=rep.id, failed_logins=2))
        s.add_all(rows + [job])
        s.flush()
        report = ReportRun(report="waiting", job=job, requested_by_id=admin.id)
        preference = UserPreference(user_id=admin.id, language=Language.EN)
        s.add_all([report, preference])
        s.commit()
        created = [region, category, status, field, support, partner, site, teacher, course, term, closed, section,
                   meeting, enterprise, learner, availability, plan, plan_item, application, event, document,
                   placement, enrolment, attendance, exam, rule, payment, allowance, job, report, *rows]
        ids = {type(row): row.user_id if isinstance(row, AccountSecurity) else row.id for row in created}
        ids[User] = admin.id
        return ids


@pytest.fixture(scope="module")
def complete_file(demo_engine_app):
    return demo_engine_app, build_complete_file(demo_engine_app)


def test_every_entity_has_a_screen(app):
    shown = {view.datamodel.obj for view in backoffice_views(app)}
    tables = {mapper.class_ for mapper in Model.registry.mappers
              if not mapper.class_.__tablename__.startswith("ab_")}
    tables -= {UserPreference, AccountToken, RecoveryCode}  # preferences; secrets (hashes) only
    assert tables - shown == set()
    assert User in shown  # the help desk's read-only account screen


def test_every_screen_answers_for_admin(complete_file):
    app, ids = complete_file
    client = app.test_client()
    Auth(client).login("admin")  # the demo account
    for view in backoffice_views(app):
        row_id = ids[view.datamodel.obj]
        listing = client.get(view_url(app, view, "list"))
        assert listing.status_code == 200, view.__class__.__name__
        show = client.get(view_url(app, view, "show", pk=row_id))
        assert show.status_code == 200, (view.__class__.__name__, show.status_code)
        if "can_add" in view.base_permissions:
            assert client.get(view_url(app, view, "add")).status_code == 200, view.__class__.__name__
        if "can_edit" in view.base_permissions:
            edit = client.get(view_url(app, view, "edit", pk=row_id))
            assert edit.status_code == 200, (view.__class__.__name__, edit.status_code)


def test_every_column_label_is_translated(app):
    for view in backoffice_views(app):
        columns = set(view.list_columns) | set(view.show_columns) | set(view.search_columns)
        columns |= set(view.add_columns) | set(view.edit_columns)
        for column in columns:
            label = view.label_columns.get(column)
            assert isinstance(label, LazyString), f"{view.__class__.__name__}.{column}: {label!r}"
        for title in (view.list_title, view.show_title, view.add_title, view.edit_title):
            assert isinstance(title, LazyString), f"{view.__class__.__name__}: {title!r}"


def test_enums_show_their_label_and_instants_montreal_time(complete_file):
    app, ids = complete_file
    client = app.test_client()
    Auth(client).login(_admin_name(app))
    with app.app_context():
        submitted = db.session.get(Application, ids[Application]).submitted_at
    page = client.get(view_url(app, _view(app, "CourseView"), "show", pk=ids[Course]) + "?_l_=en")
    text = page.get_data(as_text=True)
    assert "Part-time" in text and "part_time" not in text
    show = client.get(view_url(app, _view(app, "ApplicationView"), "show", pk=ids[Application]) + "?_l_=en")
    text = show.get_data(as_text=True)
    local = submitted.astimezone(ZoneInfo("America/Montreal"))
    # English writes the clock on 12 hours ("1:34 PM"), whatever the time of day the test runs
    assert f"{local:%Y-%m-%d} {babel_format_time(local, TIME_PATTERNS['en'], locale='en')}" in text
    assert "Approved" in text and "approved" not in text


def test_read_only_screens_have_no_write_permission(app):
    sm = app.appbuilder.sm
    client = app.test_client()
    Auth(client).login(_admin_name(app))
    for name in ("AuditEventView", "AccessLogView"):
        view = _view(app, name)
        assert sorted(view.base_permissions) == sorted(READ)
        with app.app_context():
            for permission in ("can_add", "can_edit", "can_delete"):
                assert sm.find_permission_view_menu(permission, name) is None
        assert client.get(view_url(app, view, "add")).status_code == 403
        assert client.post(view_url(app, view, "delete", pk=1)).status_code == 403


def test_forms_take_labels_local_times_and_weekdays(app):
    """Adding through the generated forms stores enum members, UTC instants and ISO weekdays."""
    client = app.test_client()
    Auth(client).login(_admin_name(app))
    t = uuid.uuid4().hex[:8]
    response = client.post(view_url(app, _view(app, "CourseView"), "add"), data={
        "code": f"N{t}", "title_fr": "Francisation", "title_en": "French", "format": "online",
        "description_fr": "En ligne", "description_en": "Online",
        "level_min": "5", "level_max": "8", "hours_per_week": "9", "total_hours": "99", "weeks": "11",
        "active": "y"})
    assert response.status_code == 302
    with app.app_context():
        course = db.session.scalar(select(Course).where(Course.code == f"N{t}"))
        assert course is not None and course.format is CourseFormat.ONLINE
        section_id = make_section(make_term()).id
        learner_id = make_learner().id
        db.session.commit()
    response = client.post(view_url(app, _view(app, "MeetingView"), "add"), data={
        "section": str(section_id), "weekday": "6", "starts_at": "09:00", "ends_at": "12:00", "room": f"R{t}"})
    assert response.status_code == 302
    with app.app_context():
        meeting = db.session.scalar(select(Meeting).where(Meeting.room == f"R{t}"))
        assert (meeting.weekday, meeting.starts_at, meeting.ends_at) == (6, dt.time(9), dt.time(12))
    response = client.post(view_url(app, _view(app, "ApplicationView"), "add"), data={
        "learner": str(learner_id), "format_wanted": "full_time", "status": "submitted",
        "submitted_at": "2026-01-15T09:30", "decision_reason": f"reason {t}"})
    assert response.status_code == 302
    with app.app_context():
        application = db.session.scalar(select(Application).where(Application.decision_reason == f"reason {t}"))
        assert application.status is ApplicationStatus.SUBMITTED
        assert application.submitted_at == dt.datetime(2026, 1, 15, 14, 30, tzinfo=dt.UTC)


def test_database_refusals_read_as_sentences_not_sql(app):
    """A duplicate or a still-referenced row is refused with a sentence, never an SQL error text."""
    client = app.test_client()
    Auth(client).login(_admin_name(app))
    with app.app_context():
        section = make_section(make_term())
        db.session.add(Enrolment(learner=make_learner(), section=section, status=EnrolmentStatus.ENROLLED))
        db.session.commit()
        section_id, code, term_id, course_id, partner_id = (section.id, section.code, section.term_id,
                                                             section.course_id, section.partner_id)
    view = _view(app, "SectionView")
    today = dt.date.today().isoformat()
    duplicate = {"code": code, "course": str(course_id), "term": str(term_id), "partner": str(partner_id),
                 "capacity": "10", "status": "open", "delivery": "online", "starts_on": today, "ends_on": today}
    page = client.post(view_url(app, view, "add") + "?_l_=en", data=duplicate,
                       follow_redirects=True).get_data(as_text=True)
    assert "conflicts with another record" in page
    assert "INSERT" not in page and "IntegrityError" not in page
    page = client.post(view_url(app, view, "delete", pk=section_id) + "?_l_=en",
                       follow_redirects=True).get_data(as_text=True)
    assert "other records still refer to it" in page and "DELETE" not in page
    with app.app_context():
        assert db.session.get(Section, section_id) is not None


SMALL_TABLES = {Region, ClientCategory, ImmigrationStatus, Field, IncomeSupport, Partner, Term, Course}


def test_searches_never_load_a_big_table_into_a_dropdown(app):
    for view in backoffice_views(app):
        assert view.search_columns, view.__class__.__name__
        for column in view.search_columns:
            if view.datamodel.is_relation(column):
                related = view.datamodel.get_related_model(column)
                assert related in SMALL_TABLES, f"{view.__class__.__name__} searches on {column}"


def test_searching_by_an_enum_uses_its_label_and_filters(complete_file):
    app, ids = complete_file
    client = app.test_client()
    Auth(client).login("admin")
    view = _view(app, "CourseView")
    with app.test_request_context("/?_l_=en"):
        choices = {choice.value: str(choice.label) for choice in view.search_form.refresh().format.choices}
    assert choices["online"] == "Online" and choices["part_time"] == "Part-time"
    with app.app_context():
        online = set(db.session.scalars(select(Course.id).where(Course.format == CourseFormat.ONLINE)))
        assert online
    page = client.get(view_url(app, view, "list", _flt_0_format="online", psize_CourseView=100)).get_data(as_text=True)
    prefix = view_url(app, view, "show", pk=0)[:-1]
    shown = {int(pk) for pk in re.findall(rf'"{re.escape(prefix)}(\d+)"', page)}
    assert shown == online
