"""Businesses that train their workers: representatives, the business file (NEQ), workplace-training
requests, consenting employees and the aggregate progress a business may see.

A representative signs up like a learner (same password policy, same e-mail verification, same
answer whether the address is taken or not) but gets the EnterpriseRep role and no learner file.
Nobody joins an existing business file by typing its NEQ: the NEQ is public, so a second
representative is added by an agent in the back office (``EnterpriseMembership``).

Employees link their learner file to the business by accepting an e-mailed invitation while
logged in; the link carries a signed, expiring token (enterprise, address invited), valid only for
the account of the invited address, and minted by the delivery job so that the copy of the
message staff can read never holds it. A learner who names a business by its NEQ in the
application is only *pending* (``Learner.pending_enterprise_id``) until one of its representatives
confirms that they work there: the NEQ is public, so typing it proves nothing. A business
never sees an employee's name or row: only totals over its consenting employees, computed in SQL,
each count under ``MIN_GROUP`` masked and the whole page withheld when fewer than ``MIN_GROUP``
employees consented (re-identification).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from flask import current_app
from flask_appbuilder.security.sqla.models import User
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import case, distinct, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload, selectinload

from ..models import (
    Attendance, Course, CourseFormat, Enrolment, EnrolmentStatus, Enterprise, EnterpriseMembership,
    EnterpriseRequest, Language, Learner, Meeting, Message, Partner, RequestStatus, Section, SectionStatus, Site,
    Teacher, Term, UserPreference,
)
from ..models.base import utcnow
from ..models.catalogue import WEEKDAY_LABELS
from . import accounts
from .access import ENTERPRISE_REP
from .messaging import TEMPLATES, already_delivered, deliver, send_message, write_message
from .refusals import Refusal

# Fewer consenting employees than this and no result is shown; a count below it is masked.
MIN_GROUP = 3
INVITATION_DAYS = 30
INVITATION_SALT = "enterprise-invitation"
NEQ_LENGTH = 10
# Statuses of a request that a partner's staff member can still act on or look at.
PARTNER_STATUSES = (RequestStatus.ASSIGNED, RequestStatus.SCHEDULED, RequestStatus.IN_PROGRESS,
                    RequestStatus.COMPLETED)
# Statuses in the agents' queue by default: those waiting for someone at the ministry or a partner.
OPEN_STATUSES = (RequestStatus.SUBMITTED, RequestStatus.ASSIGNED)
SEATED = (EnrolmentStatus.ENROLLED, EnrolmentStatus.COMPLETED, EnrolmentStatus.FAILED, EnrolmentStatus.DROPPED)

ENTERPRISE_TEMPLATES = {
    "enterprise_invitation": (
        _l("{enterprise} invites you to link your French-course file"),
        _l("Hello,\n\n{enterprise} offers French training at work with Francisation Québec and invites you "
           "to link your learner file to the business. Linked employees can register in the business's "
           "workplace groups.\n\nIf you also agree to share your progress, the business sees only totals for "
           "all its consenting employees together (number enrolled, hours attended, levels reached), never "
           "your name or your own results, and only when at least {minimum} employees agree. You can withdraw "
           "your consent at any time.\n\nLog in to your Guichet Francisation account, then open this link "
           "within {days} days:\n{link}\n\nNo account yet? Create one first:\n{register}\n\n"
           "If you do not wish to, ignore this message.\n\nFrancisation Québec"),
    ),
    "enterprise_request_assigned": (
        _l("Your training request no. {number} is assigned to a partner"),
        _l("Hello {name},\n\nYour request for workplace French training for {employees} employees has been "
           "assigned to {partner}, which will contact you to organise the group.\n\nFollow your request:\n"
           "{link}\n\nFrancisation Québec"),
    ),
    "enterprise_request_scheduled": (
        _l("Your workplace French group is scheduled (request no. {number})"),
        _l("Hello {name},\n\n{partner} has created the group {section} ({course}) for your request no. "
           "{number}; it starts on {starts}. Your employees who have linked their file to the business can "
           "register in it from the course catalogue.\n\nFollow your request:\n{link}\n\nFrancisation Québec"),
    ),
}
TEMPLATES.update(ENTERPRISE_TEMPLATES)

REFUSALS = {
    "neq_required": _l("Enter the NEQ (Québec enterprise number) of the business."),
    "neq_digits": _l("The NEQ contains digits only (spaces allowed), for example 1 1 6 4 8 2 3 9 0 7."),
    "neq_length": _l("The NEQ has exactly 10 digits; you typed %(count)s."),
    "neq_taken": _l("This NEQ is already registered by another business file. If you represent that business, "
                    "ask Francisation Québec to add you to its file."),
    "levels": _l("The lowest level (%(low)s) cannot be higher than the highest level (%(high)s)."),
    "not_cancellable": _l("Only a request that is still submitted can be cancelled; this one is “%(status)s”."),
    "not_assignable": _l("Only a submitted or assigned request can be assigned; this one is “%(status)s”."),
    "partner_inactive": _l("This partner is not active; choose another one."),
    "not_schedulable": _l("A group can be created only for a request assigned to your organisation and not yet "
                          "scheduled; this one is “%(status)s”."),
    "course_not_workplace": _l("Choose an active workplace course: a workplace group is given in the business."),
    "course_levels": _l("The course covers levels %(min)s to %(max)s, outside the levels requested "
                        "(%(low)s to %(high)s)."),
    "term_over": _l("This term is over; choose a current or future term."),
    "dates": _l("The group must start on or before its last day, within the term (%(starts)s to %(ends)s)."),
    "capacity": _l("The capacity is a whole number of seats from 1 to 200."),
    "code_taken": _l("The code %(code)s is already used by another group of this term; choose another one."),
    "no_meeting": _l("Give at least one weekly meeting (day, start and end)."),
    "meeting_times": _l("A meeting must end after it starts (%(day)s)."),
    "site_not_yours": _l("Choose one of your organisation's sites."),
    "teacher_not_yours": _l("Choose one of your organisation's teachers."),
    "invitation_invalid": _l("This invitation link is not valid. Ask the business to send you a new one."),
    "invitation_expired": _l("This invitation has expired. Ask the business to send you a new one."),
    "invitation_other_address": _l("This invitation was sent to another e-mail address than the one of your "
                                   "account. Log in with the account of the address that received it, or ask "
                                   "the business to invite the address of your account."),
    "not_pending": _l("This person is no longer waiting for your confirmation."),
    "no_enterprise": _l("Your file is not linked to a business."),
}


class EnterpriseRefused(Refusal):
    """Something the rules do not allow; ``field`` names the form field it is about (or None)."""

    MESSAGES = REFUSALS

    def __init__(self, code: str, field: str | None = None, **params):
        super().__init__(code, **params)
        self.field = field


# --- representatives ---------------------------------------------------------------------------

@dataclass(frozen=True)
class RepresentativeSignUp:
    """What a business's contact person typed on the sign-up form (already validated by the form)."""

    first_name: str
    last_name: str
    email: str
    language: Language
    password: str


def register_representative(session: Session, signup: RepresentativeSignUp, links: accounts.Links) -> User | None:
    """Create an inactive EnterpriseRep account and e-mail its verification link.

    Same contract as ``accounts.register``: an address that already has an account gets nothing
    created (its owner is told by e-mail) and the caller answers the visitor identically.
    """
    email = accounts.normalise_email(signup.email)
    password_hash = accounts.hash_password(signup.password)
    for _ in range(3):
        existing = accounts.find_account(session, email)
        if existing is not None:
            accounts.notify_address_taken(session, existing, links, signup.language)
            return None
        try:
            with session.begin_nested():
                user = _create_representative(session, signup, email, password_hash)
        except IntegrityError:
            continue
        accounts.send_verification_link(session, user, links, signup.language)
        return user
    raise RuntimeError("sign-up kept conflicting with concurrent sign-ups")


def _create_representative(session: Session, signup: RepresentativeSignUp, email: str, password_hash: str) -> User:
    sm = current_app.appbuilder.sm
    role = sm.find_role(ENTERPRISE_REP)
    if role is None:
        raise LookupError(f"role {ENTERPRISE_REP} does not exist: run `flask seed-roles` first")
    user = sm.user_model()
    user.first_name, user.last_name = signup.first_name.strip(), signup.last_name.strip()
    user.username = user.email = email
    user.password = password_hash
    user.active = False
    user.roles = [role]
    session.add(user)
    session.flush()
    session.add(UserPreference(user_id=user.id, language=signup.language))
    session.flush()
    return user


def is_representative(user) -> bool:
    return any(role.name == ENTERPRISE_REP for role in getattr(user, "roles", ()))


def enterprises_of(session: Session, user_id: int) -> list[Enterprise]:
    """The businesses the account speaks for, by name."""
    return list(session.scalars(
        select(Enterprise).join(EnterpriseMembership, EnterpriseMembership.enterprise_id == Enterprise.id)
        .where(EnterpriseMembership.user_id == user_id).order_by(Enterprise.name)))


def enterprise_of(session: Session, user_id: int, enterprise_id: int) -> Enterprise | None:
    """The business ``enterprise_id`` if the account is one of its representatives, else None."""
    return session.scalar(
        select(Enterprise).join(EnterpriseMembership, EnterpriseMembership.enterprise_id == Enterprise.id)
        .where(EnterpriseMembership.user_id == user_id, Enterprise.id == enterprise_id)
        .options(joinedload(Enterprise.region)))


def normalise_neq(text: str | None) -> str:
    """The NEQ as 10 digits, or EnterpriseRefused saying what is wrong with what was typed."""
    value = "".join((text or "").split())
    if not value:
        raise EnterpriseRefused("neq_required", "neq")
    if not value.isdigit():
        raise EnterpriseRefused("neq_digits", "neq")
    if len(value) != NEQ_LENGTH:
        raise EnterpriseRefused("neq_length", "neq", count=len(value))
    return value


@dataclass(frozen=True)
class BusinessFile:
    neq: str
    name: str
    address: str
    region_id: int
    employee_count: int | None
    job_title: str | None = None


def create_enterprise(session: Session, user: User, file: BusinessFile) -> Enterprise:
    """Open a business file with ``user`` as its representative; the NEQ must be free."""
    neq = normalise_neq(file.neq)
    if session.scalar(select(Enterprise.id).where(Enterprise.neq == neq)) is not None:
        raise EnterpriseRefused("neq_taken", "neq")
    enterprise = Enterprise(neq=neq, name=file.name.strip(), address=file.address.strip(),
                            region_id=file.region_id, employee_count=file.employee_count)
    try:
        with session.begin_nested():
            session.add(enterprise)
            session.flush()
    except IntegrityError:  # registered by someone else in the meantime
        raise EnterpriseRefused("neq_taken", "neq") from None
    session.add(EnterpriseMembership(user_id=user.id, enterprise_id=enterprise.id,
                                     job_title=(file.job_title or "").strip() or None))
    session.flush()
    return enterprise


# --- training requests -------------------------------------------------------------------------

@dataclass(frozen=True)
class RequestDraft:
    employees_count: int
    site_address: str
    region_id: int
    level_min: int
    level_max: int
    schedule_notes: str | None = None
    format: CourseFormat = CourseFormat.WORKPLACE


def submit_request(session: Session, enterprise: Enterprise, user: User, draft: RequestDraft) -> EnterpriseRequest:
    """A new request, SUBMITTED, for the agents' queue."""
    if draft.level_min > draft.level_max:
        raise EnterpriseRefused("levels", "level_min", low=draft.level_min, high=draft.level_max)
    request = EnterpriseRequest(
        enterprise_id=enterprise.id, requested_by_id=user.id, employees_count=draft.employees_count,
        site_address=draft.site_address.strip(), region_id=draft.region_id, format=draft.format,
        level_min=draft.level_min, level_max=draft.level_max,
        schedule_notes=(draft.schedule_notes or "").strip() or None, status=RequestStatus.SUBMITTED,
        created_at=utcnow())
    session.add(request)
    session.flush()
    return request


def requests_of(session: Session, enterprise_id: int) -> list[EnterpriseRequest]:
    return list(session.scalars(
        select(EnterpriseRequest).where(EnterpriseRequest.enterprise_id == enterprise_id)
        .options(joinedload(EnterpriseRequest.partner), joinedload(EnterpriseRequest.region))
        .order_by(EnterpriseRequest.created_at.desc(), EnterpriseRequest.id.desc())))


def request_of(session: Session, enterprise_id: int, request_id: int) -> EnterpriseRequest | None:
    """The request if it belongs to that business (else None: another business's request does not exist)."""
    return session.scalar(
        select(EnterpriseRequest).where(EnterpriseRequest.id == request_id,
                                        EnterpriseRequest.enterprise_id == enterprise_id)
        .options(joinedload(EnterpriseRequest.partner), joinedload(EnterpriseRequest.region)))


def cancel_request(session: Session, request: EnterpriseRequest) -> None:
    """The business withdraws a request nobody has acted on yet."""
    if request.status != RequestStatus.SUBMITTED:
        raise EnterpriseRefused("not_cancellable", status=request.status.label)
    request.status = RequestStatus.CANCELLED
    session.flush()


def workplace_groups(session: Session, enterprise_id: int, partner_id: int | None = None) -> list[Section]:
    """The groups given in the business (by one partner if given), with course, term, partner, meetings."""
    query = select(Section).where(Section.enterprise_id == enterprise_id)
    if partner_id is not None:
        query = query.where(Section.partner_id == partner_id)
    return list(session.scalars(
        query.options(joinedload(Section.course), joinedload(Section.term), joinedload(Section.partner),
                 joinedload(Section.site), selectinload(Section.meetings))
        .order_by(Section.starts_on.desc(), Section.code)))


def request_groups(session: Session, request: EnterpriseRequest) -> list[Section]:
    """The workplace groups created for ``request``, with course, term, partner, meetings."""
    return list(session.scalars(
        select(Section).where(Section.enterprise_request_id == request.id)
        .options(joinedload(Section.course), joinedload(Section.term), joinedload(Section.partner),
                 joinedload(Section.site), selectinload(Section.meetings))
        .order_by(Section.starts_on.desc(), Section.code)))


# --- the agents' queue and the partners' groups ------------------------------------------------

def request_queue(session: Session, status: RequestStatus | None = None) -> list[EnterpriseRequest]:
    """Requests for the agents, oldest first: the open ones by default, or those of ``status``."""
    statuses = (status,) if status else OPEN_STATUSES
    return list(session.scalars(
        select(EnterpriseRequest).where(EnterpriseRequest.status.in_(statuses))
        .options(joinedload(EnterpriseRequest.enterprise), joinedload(EnterpriseRequest.partner),
                 joinedload(EnterpriseRequest.region))
        .order_by(EnterpriseRequest.created_at, EnterpriseRequest.id)))


def request_file(session: Session, request_id: int) -> EnterpriseRequest | None:
    return session.scalar(
        select(EnterpriseRequest).where(EnterpriseRequest.id == request_id)
        .options(joinedload(EnterpriseRequest.enterprise), joinedload(EnterpriseRequest.partner),
                 joinedload(EnterpriseRequest.region), joinedload(EnterpriseRequest.requested_by)))


def representatives_of(session: Session, request: EnterpriseRequest) -> list[User]:
    """Who hears about a request: the representative who made it, or else every representative."""
    if request.requested_by_id is not None and session.scalar(select(EnterpriseMembership.id).where(
            EnterpriseMembership.user_id == request.requested_by_id,
            EnterpriseMembership.enterprise_id == request.enterprise_id)) is not None:
        return [request.requested_by]
    return list(session.scalars(
        select(User).join(EnterpriseMembership, EnterpriseMembership.user_id == User.id)
        .where(EnterpriseMembership.enterprise_id == request.enterprise_id).order_by(User.id)))


def _tell_representatives(session: Session, request: EnterpriseRequest, template: str, payload: dict) -> None:
    for user in representatives_of(session, request):
        if user.email:
            send_message(session, recipient=user.email, language=accounts.language_of(session, user),
                         template=template, payload={"name": user.first_name, "number": request.id, **payload})


def assign_to_partner(session: Session, request: EnterpriseRequest, partner: Partner, link: str) -> None:
    """An agent gives the request to a partner (ASSIGNED, stamped); the representative is told."""
    if request.status not in OPEN_STATUSES:
        raise EnterpriseRefused("not_assignable", status=request.status.label)
    if not partner.active:
        raise EnterpriseRefused("partner_inactive", "partner")
    request.partner = partner
    request.status = RequestStatus.ASSIGNED
    request.assigned_at = utcnow()
    session.flush()
    _tell_representatives(session, request, "enterprise_request_assigned",
                          {"employees": request.employees_count, "partner": partner.name, "link": link})


def requests_for_partners(session: Session, partner_ids: frozenset[int] | None,
                          status: RequestStatus | None = None) -> list[EnterpriseRequest]:
    """Requests assigned to one of ``partner_ids`` (None: every partner), those to act on first."""
    query = (select(EnterpriseRequest)
             .where(EnterpriseRequest.status.in_((status,) if status else PARTNER_STATUSES))
             .options(joinedload(EnterpriseRequest.enterprise), joinedload(EnterpriseRequest.partner),
                      joinedload(EnterpriseRequest.region))
             .order_by(case((EnterpriseRequest.status == RequestStatus.ASSIGNED, 0), else_=1),
                       EnterpriseRequest.assigned_at, EnterpriseRequest.id))
    if partner_ids is not None:
        query = query.where(EnterpriseRequest.partner_id.in_(partner_ids))
    return list(session.scalars(query))


def request_for_partners(session: Session, request_id: int,
                         partner_ids: frozenset[int] | None) -> EnterpriseRequest | None:
    """The request if it is assigned to one of ``partner_ids`` (None: any partner), else None."""
    request = request_file(session, request_id)
    if request is None or request.partner_id is None or request.status not in PARTNER_STATUSES:
        return None
    if partner_ids is not None and request.partner_id not in partner_ids:
        return None
    return request


def workplace_courses(session: Session, request: EnterpriseRequest) -> list[Course]:
    """Active workplace courses whose levels overlap the request's."""
    return list(session.scalars(
        select(Course).where(Course.format == CourseFormat.WORKPLACE, Course.active.is_(True),
                             Course.level_min <= request.level_max, Course.level_max >= request.level_min)
        .order_by(Course.level_min, Course.code)))


def open_terms(session: Session, today: dt.date) -> list[Term]:
    return list(session.scalars(select(Term).where(Term.ends_on >= today).order_by(Term.starts_on)))


@dataclass(frozen=True)
class WeeklyMeeting:
    weekday: int
    starts_at: dt.time
    ends_at: dt.time


@dataclass(frozen=True)
class WorkplaceGroup:
    """What a partner's staff member typed to create the group of a request."""

    course_id: int
    term_id: int
    code: str
    capacity: int
    meetings: tuple[WeeklyMeeting, ...]
    starts_on: dt.date | None = None
    ends_on: dt.date | None = None
    site_id: int | None = None
    teacher_id: int | None = None


def schedule_request(session: Session, request: EnterpriseRequest, group: WorkplaceGroup, link: str,
                     today: dt.date) -> Section:
    """Create the workplace group of an assigned request (OPEN to the business's linked employees);
    the request becomes SCHEDULED and the representative is told."""
    if request.status != RequestStatus.ASSIGNED or request.partner_id is None:
        raise EnterpriseRefused("not_schedulable", status=request.status.label)
    course = session.get(Course, group.course_id)
    if course is None or course.format != CourseFormat.WORKPLACE or not course.active:
        raise EnterpriseRefused("course_not_workplace", "course")
    if course.level_min > request.level_max or course.level_max < request.level_min:
        raise EnterpriseRefused("course_levels", "course", min=course.level_min, max=course.level_max,
                                low=request.level_min, high=request.level_max)
    term = session.get(Term, group.term_id)
    if term is None or term.ends_on < today:
        raise EnterpriseRefused("term_over", "term")
    starts_on, ends_on = group.starts_on or term.starts_on, group.ends_on or term.ends_on
    if not term.starts_on <= starts_on <= ends_on <= term.ends_on:
        raise EnterpriseRefused("dates", "starts_on", starts=term.starts_on.isoformat(), ends=term.ends_on.isoformat())
    if not 1 <= group.capacity <= 200:
        raise EnterpriseRefused("capacity", "capacity")
    if group.site_id is not None and session.scalar(select(Site.id).where(
            Site.id == group.site_id, Site.partner_id == request.partner_id)) is None:
        raise EnterpriseRefused("site_not_yours", "site")
    if group.teacher_id is not None and session.scalar(select(Teacher.id).where(
            Teacher.id == group.teacher_id, Teacher.partner_id == request.partner_id)) is None:
        raise EnterpriseRefused("teacher_not_yours", "teacher")
    if not group.meetings:
        raise EnterpriseRefused("no_meeting", "meetings")
    for meeting in group.meetings:
        if meeting.starts_at >= meeting.ends_at:
            raise EnterpriseRefused("meeting_times", "meetings", day=WEEKDAY_LABELS[meeting.weekday])
    code = group.code.strip()
    if session.scalar(select(Section.id).where(Section.term_id == term.id, Section.code == code)) is not None:
        raise EnterpriseRefused("code_taken", "code", code=code)
    enterprise = request.enterprise
    section = Section(
        code=code, course_id=course.id, term_id=term.id, site_id=group.site_id, partner_id=request.partner_id,
        teacher_id=group.teacher_id, enterprise_id=request.enterprise_id, enterprise_request_id=request.id,
        capacity=group.capacity, seats_taken=0,
        status=SectionStatus.OPEN, starts_on=starts_on, ends_on=ends_on,
        notes_fr=f"Groupe en entreprise (demande no {request.id}) : {enterprise.name}, {request.site_address}"[:500],
        notes_en=f"Workplace group (request no. {request.id}): {enterprise.name}, {request.site_address}"[:500],
        meetings=[Meeting(weekday=m.weekday, starts_at=m.starts_at, ends_at=m.ends_at) for m in group.meetings])
    try:
        with session.begin_nested():
            session.add(section)
            session.flush()
    except IntegrityError:  # the same code taken in the meantime
        raise EnterpriseRefused("code_taken", "code", code=code) from None
    request.status = RequestStatus.SCHEDULED
    session.flush()
    _tell_representatives(session, request, "enterprise_request_scheduled", {
        "partner": request.partner.name, "section": section.code, "course": course.code,
        "starts": starts_on.isoformat(), "link": link})
    return section


# --- employees: invitation and consent ----------------------------------------------------------

def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=INVITATION_SALT)


def invitation_token(enterprise_id: int, email: str) -> str:
    return _serializer().dumps({"e": enterprise_id, "m": accounts.normalise_email(email)})


def _read_token(token: str) -> dict:
    try:
        data = _serializer().loads(token, max_age=INVITATION_DAYS * 86400)
    except SignatureExpired:
        raise EnterpriseRefused("invitation_expired") from None
    except BadSignature:
        raise EnterpriseRefused("invitation_invalid") from None
    if not isinstance(data, dict) or not isinstance(data.get("e"), int) or not isinstance(data.get("m"), str):
        raise EnterpriseRefused("invitation_invalid")
    return data


def read_invitation(session: Session, token: str, learner: Learner | None = None) -> Enterprise:
    """The business of a valid, unexpired invitation token, or EnterpriseRefused. With ``learner``,
    the invitation must also have been sent to the address of the learner's account or file."""
    data = _read_token(token)
    enterprise = session.get(Enterprise, data["e"])
    if enterprise is None:
        raise EnterpriseRefused("invitation_invalid")
    if learner is not None:
        own = {accounts.normalise_email(learner.email)}
        if learner.user is not None:
            own.add(accounts.normalise_email(learner.user.email))
        if data["m"] not in own:
            raise EnterpriseRefused("invitation_other_address")
    return enterprise


def invite_employee(session: Session, enterprise: Enterprise, email: str, language: Language,
                    link_template: str, register_link: str):
    """E-mail an employee an invitation to link their file; ``link_template`` holds TOKEN_PLACEHOLDER.

    The token is minted by the delivery job (``deliver_invitation``) and goes into the e-mail only."""
    from ..jobs import enqueue

    address = accounts.normalise_email(email)
    message = write_message(session, recipient=address, language=language, template="enterprise_invitation",
                            payload={"enterprise": enterprise.name, "days": INVITATION_DAYS, "minimum": MIN_GROUP,
                                     "register": register_link}, secret_fields=("link",))
    enqueue("deliver_invitation", session=session, message_id=message.id, enterprise_id=enterprise.id,
            email=address, link_template=link_template)
    return message


def deliver_invitation(session: Session, message_id: int, enterprise_id: int, email: str, link_template: str):
    """Mint the invitation's token and deliver the message with its link (in the e-mail only)."""
    message = session.get(Message, message_id)
    if already_delivered(message):
        return message.status if message is not None else None
    token = invitation_token(enterprise_id, email)
    return deliver(session, message_id, secrets={"link": accounts.link_with(link_template, token)})


def accept_invitation(session: Session, learner: Learner, enterprise: Enterprise, share_progress: bool) -> None:
    """The learner links their file to the business (replacing any previous employer), sharing
    their progress in the totals or not. The invitation is the business's confirmation."""
    learner.enterprise_id = enterprise.id
    if learner.pending_enterprise_id == enterprise.id:
        learner.pending_enterprise_id = None
    learner.consent_employer_progress = bool(share_progress)
    session.flush()


# --- employees who named the business in their application --------------------------------------

def claim_employer(learner: Learner, enterprise: Enterprise | None) -> None:
    """The application names ``enterprise`` as the learner's employer: it takes effect only once a
    representative confirms it (a business already linked stays linked; None clears the claim)."""
    if enterprise is None:
        learner.pending_enterprise = None
        learner.pending_enterprise_id = None
    elif enterprise.id == learner.enterprise_id:
        learner.pending_enterprise = None
        learner.pending_enterprise_id = None
    else:
        learner.pending_enterprise = enterprise


def pending_employees(session: Session, enterprise_id: int) -> list[Learner]:
    """Learners waiting for the business to confirm they work there (oldest file first)."""
    return list(session.scalars(select(Learner).where(
        Learner.pending_enterprise_id == enterprise_id, Learner.anonymised_at.is_(None)).order_by(Learner.id)))


def decide_employee(session: Session, enterprise: Enterprise, learner_id: int, confirm: bool) -> Learner:
    """A representative confirms (the file is linked, workplace groups open to it) or refuses (the
    claim is dropped) that a learner works for the business."""
    learner = session.scalar(select(Learner).where(Learner.id == learner_id,
                                                   Learner.pending_enterprise_id == enterprise.id)
                             .with_for_update())
    if learner is None:
        raise EnterpriseRefused("not_pending")
    learner.pending_enterprise_id = None
    if confirm:
        if learner.enterprise_id != enterprise.id:
            learner.consent_employer_progress = False
        learner.enterprise_id = enterprise.id
    session.flush()
    return learner


def set_progress_consent(session: Session, learner: Learner, consent: bool) -> None:
    """Give or withdraw consent to be counted in the business's totals."""
    if learner.enterprise_id is None:
        raise EnterpriseRefused("no_enterprise")
    learner.consent_employer_progress = bool(consent)
    session.flush()


def leave_enterprise(session: Session, learner: Learner) -> None:
    """Unlink the file from the business altogether (consent goes with it)."""
    if learner.enterprise_id is None:
        raise EnterpriseRefused("no_enterprise")
    learner.enterprise_id = None
    learner.consent_employer_progress = False
    session.flush()


# --- aggregate progress ------------------------------------------------------------------------

def masked(count: int | None) -> int | None:
    """A count as shown to a business: None (shown as "fewer than 3") when 1 to MIN_GROUP - 1."""
    if count is None or count == 0 or count >= MIN_GROUP:
        return count
    return None


@dataclass(frozen=True)
class StageCount:
    stage: str  # beginner, intermediate, advanced, unknown
    count: int | None  # None: masked


@dataclass(frozen=True)
class Progress:
    """What a business may see of its consenting employees; ``enough`` False means nothing else is set."""

    enough: bool
    consenting: int | None = None
    participants: int | None = None
    enrolled: int | None = None
    completed: int | None = None
    hours_total: Decimal | None = None
    hours_average: Decimal | None = None
    stages: tuple[StageCount, ...] = ()


STAGES = ("beginner", "intermediate", "advanced", "unknown")


def aggregate_progress(session: Session, enterprise_id: int) -> Progress:
    """Totals over the business's consenting employees, in its own workplace groups; three
    aggregate queries, no row about a person ever leaves the database."""
    consenting = (Learner.enterprise_id == enterprise_id, Learner.consent_employer_progress.is_(True),
                  Learner.anonymised_at.is_(None))
    total = session.scalar(select(func.count(Learner.id)).where(*consenting)) or 0
    if total < MIN_GROUP:
        return Progress(enough=False)

    in_groups = (select(Enrolment)
                 .join(Learner, Learner.id == Enrolment.learner_id)
                 .join(Section, Section.id == Enrolment.section_id)
                 .where(*consenting, Section.enterprise_id == enterprise_id, Enrolment.status.in_(SEATED)))
    counts = session.execute(in_groups.with_only_columns(
        func.count(distinct(Enrolment.learner_id)),
        func.count(distinct(case((Enrolment.status == EnrolmentStatus.ENROLLED, Enrolment.learner_id)))),
        func.count(distinct(case((Enrolment.status == EnrolmentStatus.COMPLETED, Enrolment.learner_id)))),
    )).one()
    participants, enrolled, completed = (int(value or 0) for value in counts)
    hours = session.scalar(in_groups.join(Attendance, Attendance.enrolment_id == Enrolment.id)
                           .with_only_columns(func.coalesce(func.sum(Attendance.hours_present), 0)))
    hours_total = average = None
    if participants >= MIN_GROUP:
        hours_total = Decimal(hours or 0).quantize(Decimal("0.1"), ROUND_HALF_UP)
        average = (Decimal(hours or 0) / participants).quantize(Decimal("0.1"), ROUND_HALF_UP)

    stage = case((Learner.current_level.is_(None), "unknown"), (Learner.current_level <= 4, "beginner"),
                 (Learner.current_level <= 8, "intermediate"), else_="advanced").label("stage")
    by_stage = dict(session.execute(select(stage, func.count(Learner.id)).where(*consenting).group_by(stage)).all())
    return Progress(enough=True, consenting=total, participants=masked(participants), enrolled=masked(enrolled),
                    completed=masked(completed), hours_total=hours_total, hours_average=average,
                    stages=_suppressed(by_stage))


def _suppressed(by_stage: dict[str, int]) -> tuple[StageCount, ...]:
    """The stage counts with the small ones masked and, when any is, the smallest shown one too:
    otherwise the total minus the shown counts would give the masked ones away."""
    counts = {name: int(by_stage.get(name, 0)) for name in STAGES}
    hidden = {name for name, n in counts.items() if 0 < n < MIN_GROUP}
    if hidden:
        shown = sorted((n, name) for name, n in counts.items() if n >= MIN_GROUP)
        if shown:
            hidden.add(shown[0][1])
    return tuple(StageCount(name, None if name in hidden else counts[name]) for name in STAGES)


__all__ = [
    "MIN_GROUP", "EnterpriseRefused", "RepresentativeSignUp", "BusinessFile", "RequestDraft", "WorkplaceGroup",
    "WeeklyMeeting", "Progress", "register_representative", "create_enterprise", "submit_request",
    "cancel_request", "assign_to_partner", "schedule_request", "invite_employee", "accept_invitation",
    "read_invitation", "claim_employer", "pending_employees", "decide_employee",
    "set_progress_consent", "leave_enterprise", "aggregate_progress", "normalise_neq",
]
