"""`flask seed-demo`: a realistic demo that a second run leaves unchanged, on PostgreSQL and SQLite."""
from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from decimal import Decimal

import holidays
import pytest
from flask_appbuilder import Model
from sqlalchemy import func, select

from app.extensions import db
from app.models import (
    Allowance, AllowanceKind, AllowanceRule, AllowanceStatus, Application, ApplicationEvent, ApplicationStatus,
    Attendance, ClientCategory, Course, CourseFormat, Delivery, Enrolment, EnrolmentStatus, EnterpriseMembership,
    ExamResult, ImmigrationStatus, IncomeSupport, Learner, Meeting, Partner, PartnerMembership, Payment, Region,
    Section, TermClosedDate,
)
from app.demo import DEMO_ACCOUNTS, DEMO_LEARNER_FILE, FILE_PREFIX, demo_terms, seed_demo
from tests.conftest import build_app, fresh_pg_database

HOLDS_SEAT = (EnrolmentStatus.ENROLLED, EnrolmentStatus.OFFERED)


@pytest.fixture(scope="module")
def pristine_demos(tmp_path_factory):
    """Builds, once per module and engine, the demo alone in a database of its own."""
    built, cleanups = {}, []

    def demo_on(engine: str):
        if engine not in built:
            if engine == "postgresql":
                databases = fresh_pg_database()
                url = next(databases)
                cleanups.append(lambda: next(databases, None))
            else:
                url = f"sqlite:///{tmp_path_factory.mktemp('seed') / 'demo.db'}"
            application = build_app(url)
            with application.app_context():
                seed_demo(db.session, application.appbuilder, scale=1)
                db.session.remove()
            built[engine] = application
        return built[engine]

    yield demo_on
    for application in built.values():
        with application.app_context():
            db.session.remove()
            db.engine.dispose()
    for cleanup in cleanups:
        cleanup()


@pytest.fixture(params=["postgresql", "sqlite"])
def demo_engine_app(request, pristine_demos):
    """The demo alone in a database of its own on each engine: whole-table checks see only it."""
    return pristine_demos(request.param)


def table_counts() -> dict[str, int]:
    return {name: db.session.execute(select(func.count()).select_from(table)).scalar_one()
            for name, table in Model.metadata.tables.items()}


def demo_learners():
    return Learner.file_number.like(FILE_PREFIX + "%")


def test_a_second_run_adds_nothing_to_any_table(demo_engine_app):
    with demo_engine_app.app_context():
        before = table_counts()
        db.session.remove()
    result = demo_engine_app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert "regions=17" in result.output and "learners=" in result.output
    with demo_engine_app.app_context():
        after = table_counts()
    assert after == before
    assert before["learner"] >= 300 and before["section"] >= 140 and before["attendance"] > 1000


def test_reference_data_is_complete_and_bilingual(demo_engine_app):
    with demo_engine_app.app_context():
        regions = {r.code: r for r in db.session.scalars(select(Region))}
        assert sorted(regions) == [f"{n:02d}" for n in range(1, 18)]
        assert regions["01"].name_fr == "Bas-Saint-Laurent" and regions["17"].name_fr == "Centre-du-Québec"
        assert regions["06"].name_en == "Montréal"
        categories = {c.code for c in db.session.scalars(select(ClientCategory))}
        assert {"immigrant", "canadian", "abroad", "business_employee"} <= categories
        statuses = {s.code: s for s in db.session.scalars(select(ImmigrationStatus))}
        assert statuses["asylum_seeker"].allowance_excluded
        assert not statuses["permanent_resident"].allowance_excluded
        assert {"last_resort_aid", "employment_insurance", "cnesst", "qpip"} <= {
            s.code for s in db.session.scalars(select(IncomeSupport))}
        for model in (Region, ClientCategory, ImmigrationStatus, IncomeSupport):
            for row in db.session.scalars(select(model)):
                assert row.name_fr and row.name_en


def test_production_loads_the_reference_data_alone_and_the_demo_reuses_it(tmp_path):
    """`flask seed-reference` (a deploy step) loads only the rows the rules read by code; a first-start
    `seed-demo --if-empty` still loads the demo on top of them, without a second copy."""
    application = build_app(f"sqlite:///{tmp_path / 'reference.db'}")
    runner = application.test_cli_runner()
    for _ in range(2):
        result = runner.invoke(args=["seed-reference"])
        assert result.exit_code == 0, result.output
        assert ("regions=17, client_categories=4, immigration_statuses=6, income_supports=4, fields=7"
                in result.output)
    with application.app_context():
        assert db.session.scalar(select(func.count()).select_from(Region)) == 17
        assert db.session.scalar(select(func.count()).select_from(Partner)) == 0
        assert db.session.scalar(select(func.count()).select_from(Learner)) == 0
        db.session.remove()
    result = runner.invoke(args=["seed-demo", "--if-empty"])
    assert result.exit_code == 0, result.output
    assert "regions=17," in result.output and "learners=300," in result.output
    assert "already loaded" in runner.invoke(args=["seed-demo", "--if-empty"]).output
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


def test_catalogue_covers_every_format_and_level(demo_engine_app):
    with demo_engine_app.app_context():
        courses = db.session.scalars(select(Course)).all()
        assert {c.format for c in courses} == set(CourseFormat)
        for level in range(1, 13):
            assert any(c.level_min <= level <= c.level_max for c in courses), f"no course for level {level}"
        full_time = [c for c in courses if c.format == CourseFormat.FULL_TIME]
        assert all(25 <= c.hours_per_week <= 30 for c in full_time)
        part_time_hours = {c.hours_per_week for c in courses if c.format == CourseFormat.PART_TIME}
        assert {4, 6, 9, 12} <= part_time_hours
        online = [c for c in courses if c.format == CourseFormat.ONLINE]
        assert all(5 <= c.level_min and c.level_max <= 8 for c in online)
        assert {c.with_tutor for c in online} == {True, False}
        assert any(c.field_id is not None for c in courses)
        assert all(c.title_fr and c.title_en and c.description_fr and c.description_en for c in courses)
        assert all(c.title_fr != c.title_en for c in courses)


def test_terms_around_today_and_their_sections(demo_engine_app):
    today = dt.date.today()
    with demo_engine_app.app_context():
        terms = demo_terms(db.session)
        current, upcoming = terms["current"], terms["upcoming"]
        assert current.starts_on < today <= current.ends_on
        assert upcoming.starts_on > today
        assert upcoming.registration_opens <= today <= upcoming.registration_closes
        assert db.session.scalar(select(func.count()).select_from(TermClosedDate)
                                 .where(TermClosedDate.term_id == current.id)) >= 2
        term_ids = [t.id for t in terms.values()]
        sections = db.session.scalars(select(Section).where(Section.term_id.in_(term_ids))).all()
        assert 140 <= len(sections) <= 160
        assert {s.term_id for s in sections} == set(term_ids)
        assert len({s.partner_id for s in sections}) >= 10
        by_format = defaultdict(list)
        meetings = defaultdict(list)
        for meeting in db.session.scalars(select(Meeting).join(Section).where(Section.term_id.in_(term_ids))):
            meetings[meeting.section_id].append(meeting)
        for section in sections:
            by_format[section.course.format].append(section)
        for section in by_format[CourseFormat.FULL_TIME]:
            times = meetings[section.id]
            assert {m.weekday for m in times} == {1, 2, 3, 4, 5}, section.code
            assert all(dt.time(7) <= m.starts_at and m.ends_at <= dt.time(18) for m in times), section.code
        for section in by_format[CourseFormat.PART_TIME]:
            assert meetings[section.id], section.code
            for m in meetings[section.id]:
                assert m.weekday >= 6 or m.starts_at >= dt.time(17), f"{section.code}: {m}"
        assert all(s.delivery == Delivery.ONLINE and s.site_id is None for s in by_format[CourseFormat.ONLINE])
        assert all(s.enterprise_id is not None for s in by_format[CourseFormat.WORKPLACE])


def test_seats_match_enrolments_and_waiting_lists_have_no_gaps(demo_engine_app):
    with demo_engine_app.app_context():
        held = dict(db.session.execute(
            select(Enrolment.section_id, func.count()).where(Enrolment.status.in_(HOLDS_SEAT))
            .group_by(Enrolment.section_id)).all())
        positions = defaultdict(list)
        for section_id, position in db.session.execute(
                select(Enrolment.section_id, Enrolment.position).where(Enrolment.status == EnrolmentStatus.WAITLISTED)):
            positions[section_id].append(position)
        sections = {s.id: s for s in db.session.scalars(select(Section))}
        for section in sections.values():
            assert section.seats_taken == held.get(section.id, 0), section.code
            assert section.seats_taken <= section.capacity, section.code
        assert positions, "the demo has waiting lists"
        for section_id, taken in positions.items():
            assert sorted(taken) == list(range(1, len(taken) + 1)), sections[section_id].code
            # nobody waits for a section that still has a free seat
            assert sections[section_id].seats_taken == sections[section_id].capacity, sections[section_id].code
        statuses = set(db.session.scalars(select(Enrolment.status).distinct()))
        assert {EnrolmentStatus.ENROLLED, EnrolmentStatus.WAITLISTED, EnrolmentStatus.DROPPED,
                EnrolmentStatus.COMPLETED} <= statuses
        dropped = db.session.scalars(select(Enrolment).join(Learner).where(
            demo_learners(), Enrolment.status == EnrolmentStatus.DROPPED)).all()
        assert dropped and all(e.reason and e.ended_at for e in dropped)


def test_every_application_status_with_its_event_trail(demo_engine_app):
    with demo_engine_app.app_context():
        applications = db.session.scalars(select(Application).join(Learner).where(demo_learners())).all()
        assert {a.status for a in applications} == set(ApplicationStatus)
        events = defaultdict(list)
        for event in db.session.scalars(select(ApplicationEvent).order_by(ApplicationEvent.at, ApplicationEvent.id)):
            events[event.application_id].append(event)
        for application in applications:
            trail = events[application.id]
            assert trail[0].from_status is None and trail[0].to_status == ApplicationStatus.DRAFT
            for before, after in zip(trail, trail[1:], strict=False):
                assert after.from_status == before.to_status, application.id
                assert before.at <= after.at
            assert trail[-1].to_status == application.status
            if application.status in (ApplicationStatus.APPROVED, ApplicationStatus.CLOSED):
                assert application.complete_at <= application.decided_at
                if application.first_course_at is not None:
                    assert application.decided_at.date() <= application.first_course_at


def test_learners_look_like_the_people_served(demo_engine_app):
    today = dt.date.today()
    with demo_engine_app.app_context():
        learners = db.session.scalars(select(Learner).where(demo_learners())).all()
        assert len(learners) >= 300
        assert all(re.fullmatch(r"FQ-\d{4}-\d{6}", learner.file_number) for learner in learners)
        assert all(learner.birth_date <= today.replace(year=today.year - 16) for learner in learners)
        french = sum(learner.preferred_language.value == "fr" for learner in learners) / len(learners)
        assert 0.6 <= french <= 0.8
        assert len({(learner.first_name, learner.last_name) for learner in learners}) > 200
        assert len({learner.category_id for learner in learners}) == 4
        assert len({learner.region_id for learner in learners}) >= 8
        active = db.session.execute(
            select(Learner, Section, Course).join(Enrolment, Enrolment.learner_id == Learner.id)
            .join(Section, Section.id == Enrolment.section_id).join(Course, Course.id == Section.course_id)
            .where(demo_learners(), Enrolment.status.in_([EnrolmentStatus.ENROLLED, EnrolmentStatus.WAITLISTED])))
        for learner, section, course in active:
            # the registration rules: level, online only from abroad, workplace for the employer's staff
            assert course.level_min <= learner.current_level <= course.level_max, learner.file_number
            assert not learner.living_abroad or course.format == CourseFormat.ONLINE, learner.file_number
            if course.format == CourseFormat.WORKPLACE:
                assert learner.enterprise_id == section.enterprise_id, learner.file_number


def test_attendance_and_results_follow_the_calendar(demo_engine_app):
    today = dt.date.today()
    quebec = holidays.country_holidays("CA", subdiv="QC")
    with demo_engine_app.app_context():
        closed = {(c.term_id, c.day) for c in db.session.scalars(select(TermClosedDate))}
        rows = db.session.execute(
            select(Attendance, Enrolment.status, Section.term_id, Section.starts_on, Section.ends_on)
            .join(Enrolment, Enrolment.id == Attendance.enrolment_id).join(Section, Section.id == Enrolment.section_id)
            .join(Learner, Learner.id == Enrolment.learner_id).where(demo_learners())).all()
        assert len(rows) > 1000
        for attendance, status, term_id, starts, ends in rows:
            assert starts <= attendance.day <= ends and attendance.day < today
            assert attendance.day not in quebec and (term_id, attendance.day) not in closed
            assert Decimal(0) <= attendance.hours_present <= attendance.hours_scheduled
            assert status != EnrolmentStatus.WAITLISTED
        completed = db.session.scalar(select(func.count()).select_from(Enrolment).join(Learner).where(
            demo_learners(), Enrolment.status == EnrolmentStatus.COMPLETED))
        results = db.session.scalar(select(func.count()).select_from(ExamResult).join(Learner).where(demo_learners()))
        assert results >= 4 * completed > 0


def test_allowances_follow_the_dated_rules_and_exclusions(demo_engine_app):
    with demo_engine_app.app_context():
        rules = db.session.scalars(select(AllowanceRule)).all()
        amounts = {(r.kind, r.format, r.valid_from): r.amount for r in rules}
        assert amounts[(AllowanceKind.PARTICIPATION, CourseFormat.FULL_TIME, dt.date(2017, 8, 1))] == Decimal("230.00")
        assert Decimal("115.00") in {r.amount for r in rules if r.kind == AllowanceKind.PARTICIPATION}
        part_time = next(r for r in rules if r.kind == AllowanceKind.PARTICIPATION
                         and r.format == CourseFormat.PART_TIME)
        assert (part_time.amount, part_time.valid_to) == (Decimal("28.00"), dt.date(2024, 9, 22))

        rows = db.session.execute(
            select(Allowance, AllowanceRule, Learner, Section, Course)
            .join(AllowanceRule, AllowanceRule.id == Allowance.rule_id)
            .join(Learner, Learner.id == Allowance.learner_id)
            .join(Enrolment, Enrolment.id == Allowance.enrolment_id).join(Section, Section.id == Enrolment.section_id)
            .join(Course, Course.id == Section.course_id).where(demo_learners())).all()
        assert len(rows) > 300
        excluded_status = {s.id for s in db.session.scalars(select(ImmigrationStatus).where(
            ImmigrationStatus.allowance_excluded))}
        kinds = set()
        for allowance, rule, learner, section, course in rows:
            kinds.add(allowance.kind)
            assert rule.kind == allowance.kind and rule.format == course.format
            assert rule.valid_from <= allowance.period_start and (rule.valid_to is None
                                                                   or allowance.period_start <= rule.valid_to)
            assert allowance.amount == (rule.amount * allowance.quantity).quantize(Decimal("0.01"))
            assert not learner.living_abroad
            if allowance.kind == AllowanceKind.PARTICIPATION:
                assert learner.income_support_id is None and learner.status_id not in excluded_status
                assert allowance.quantity <= 1
            if rule.in_person_only:
                assert section.delivery == Delivery.IN_PERSON
        assert kinds == {AllowanceKind.PARTICIPATION, AllowanceKind.TRANSPORT, AllowanceKind.CHILDCARE}

        payments = db.session.scalars(select(Payment).join(Learner).where(demo_learners())).all()
        assert payments
        paid = defaultdict(list)
        for allowance in db.session.scalars(select(Allowance).where(Allowance.payment_id.is_not(None))):
            paid[allowance.payment_id].append(allowance)
        for payment in payments:
            assert payment.amount == sum(a.amount for a in paid[payment.id])
            assert all(a.status == AllowanceStatus.PAID and a.learner_id == payment.learner_id
                       for a in paid[payment.id])
        assert len({p.reference for p in payments}) == len(payments)


def test_every_demo_account_logs_in_with_its_role(demo_app, client, auth):
    password = demo_app.config["DEMO_PASSWORD"]
    for account in DEMO_ACCOUNTS:
        with demo_app.app_context():
            user = demo_app.appbuilder.sm.find_user(username=account["username"])
            assert [r.name for r in user.roles] == [account["role"]]
            assert (user.first_name, user.last_name, user.email) == (
                account["first_name"], account["last_name"], account["email"])
            user_id = str(user.id)
        auth.logout()
        auth.login(account["username"], password)
        with client.session_transaction() as session:
            assert session.get("_user_id") == user_id, account["username"]
    auth.logout()
    auth.login("agent", "not-the-password")
    with client.session_transaction() as session:
        assert session.get("_user_id") is None


def test_demo_accounts_are_attached_to_their_organisation_and_file(demo_app):
    with demo_app.app_context():
        sm = demo_app.appbuilder.sm
        partner_user, enterprise_user, learner_user = (sm.find_user(username=u)
                                                       for u in ("partner", "enterprise", "learner"))
        membership = db.session.scalar(select(PartnerMembership).where(PartnerMembership.user_id == partner_user.id))
        assert membership.partner.name == "Centre de services scolaire de Montréal"
        partner_sections = db.session.scalar(select(func.count()).select_from(Section).join(Partner).where(
            Partner.id == membership.partner_id))
        assert partner_sections >= 10
        enterprise = db.session.scalar(select(EnterpriseMembership).where(
            EnterpriseMembership.user_id == enterprise_user.id)).enterprise
        assert len(enterprise.neq) == 10 and enterprise.neq.isdigit()

        learner = db.session.scalar(select(Learner).where(Learner.user_id == learner_user.id))
        assert learner.file_number == DEMO_LEARNER_FILE
        assert [a.status for a in learner.applications] == [ApplicationStatus.APPROVED]
        statuses = {e.status: e for e in learner.enrolments}
        current = statuses[EnrolmentStatus.ENROLLED].section
        assert current.partner_id == membership.partner_id
        assert current.term_id == demo_terms(db.session)["current"].id
        assert db.session.scalar(select(func.count()).select_from(Attendance).where(
            Attendance.enrolment_id == statuses[EnrolmentStatus.ENROLLED].id)) > 0
        assert db.session.scalar(select(func.count()).select_from(ExamResult).where(
            ExamResult.learner_id == learner.id)) == 4
        assert db.session.scalar(select(func.count()).select_from(Payment).where(Payment.learner_id == learner.id)) > 0
        assert db.session.scalar(select(func.sum(Allowance.amount)).where(
            Allowance.learner_id == learner.id, Allowance.kind == AllowanceKind.PARTICIPATION)) > 0


def test_demo_accounts_command_lists_every_account(demo_app):
    result = demo_app.test_cli_runner().invoke(args=["demo-accounts"])
    assert result.exit_code == 0
    for account in DEMO_ACCOUNTS:
        assert re.search(rf"{account['role']}\s+{account['username']}\b", result.output)
    assert demo_app.config["DEMO_PASSWORD"] in result.output


def test_same_demo_on_both_engines(pristine_demos):
    def fingerprint(application):
        with application.app_context():
            learners = db.session.execute(select(Learner.file_number, Learner.first_name, Learner.last_name)
                                          .where(demo_learners()).order_by(Learner.file_number)).all()
            terms = [t.id for t in demo_terms(db.session).values()]
            sections = db.session.execute(select(Section.code, Section.capacity).where(Section.term_id.in_(terms))
                                          .order_by(Section.code, Section.capacity)).all()
            return [tuple(r) for r in learners], [tuple(r) for r in sections]

    assert fingerprint(pristine_demos("postgresql")) == fingerprint(pristine_demos("sqlite"))
