"""The learner's enrolment API (``/api/v1/my/enrolments``): list my enrolments, register, drop.

Authentication is a JWT bearer token only (``learner_token_required``, app/api/auth.py); a browser
session cookie is never accepted here, which is why these endpoints are exempt from CSRF
(app/api/__init__.py). Every enrolment is looked up with the token's learner's id (another
learner's enrolment is 404). Refusals of the rules are HTTP 409 with the
rule's code and its message in the request's language (``Accept-Language`` or ``?_l_=en``).
"""
from __future__ import annotations

from flask import jsonify, make_response, request
from flask_appbuilder.api import BaseApi, expose, safe
from flask_babel import gettext as _
from flask_jwt_extended import current_user as token_user
from marshmallow import Schema, ValidationError, fields, validate
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import Enrolment
from ..models.catalogue import WEEKDAY_LABELS
from ..services import enrolment as service
from ..services.enrolment import DROP_REASONS, RegistrationRefused, find_own_enrolment, learner_enrolments
from .auth import learner_token_required
from .errors import MAX_PAGE_NUMBER, validation_message
from .schemas import MeetingTimeSchema, PageSchema, SectionBaseSchema, meeting_time, section_base

MAX_PAGE_SIZE = 100


# --- schemas (serialisation and the OpenAPI components) -----------------------------------------

class MyMeetingSchema(MeetingTimeSchema):
    weekday_label = fields.String()
    room = fields.String(allow_none=True)


class MySectionSchema(SectionBaseSchema):
    course_code = fields.String()
    course_title = fields.String()
    term_code = fields.String()
    term_name = fields.String()
    drop_deadline = fields.Date()
    site = fields.String(allow_none=True)
    meetings = fields.List(fields.Nested(MyMeetingSchema))


class MyEnrolmentSchema(Schema):
    __component_name__ = "MyEnrolment"

    id = fields.Integer()
    status = fields.String(metadata={"enum": ["enrolled", "waitlisted", "offered", "dropped", "completed",
                                              "failed"]})
    status_label = fields.String()
    position = fields.Integer(allow_none=True, metadata={"description": "place on the waiting list"})
    offer_expires_at = fields.DateTime(allow_none=True)
    section = fields.Nested(MySectionSchema)


class MyEnrolmentListSchema(PageSchema):
    __component_name__ = "MyEnrolmentList"

    count = fields.Integer(metadata={"description": "number of enrolments in all pages"})
    result = fields.List(fields.Nested(MyEnrolmentSchema))


class MyRegistrationRequestSchema(Schema):
    __component_name__ = "MyRegistrationRequest"

    section_id = fields.Integer(required=True, strict=True)


class MyDropRequestSchema(Schema):
    __component_name__ = "MyDropRequest"

    reason = fields.String(load_default=None, allow_none=True,
                           validate=validate.OneOf([code for code, _label in DROP_REASONS if code]))


class RegistrationRefusalSchema(Schema):
    __component_name__ = "RegistrationRefusal"

    code = fields.String(metadata={"description": "the rule that refused, e.g. time_conflict"})
    message = fields.String(metadata={"description": "the reason, in the request's language"})


# Built once: a schema instance is reusable, and building one costs more than a dump.
ENROLMENT_SCHEMA = MyEnrolmentSchema()
REGISTRATION_REQUEST_SCHEMA = MyRegistrationRequestSchema()


def enrolment_data(enrolment: Enrolment) -> dict:
    section = enrolment.section
    site = section.site
    return ENROLMENT_SCHEMA.dump({
        "id": enrolment.id,
        "status": enrolment.status.value,
        "status_label": str(enrolment.status.label),
        "position": enrolment.position,
        "offer_expires_at": enrolment.offer_expires_at,
        "section": {
            **section_base(section),
            "course_code": section.course.code, "course_title": section.course.title,
            "term_code": section.term.code, "term_name": section.term.name,
            "drop_deadline": section.term.drop_deadline,
            "site": f"{site.name}, {site.address}, {site.city}" if site else None,
            "meetings": [{**meeting_time(m), "weekday_label": str(WEEKDAY_LABELS[m.weekday]), "room": m.room}
                         for m in section.meetings],
        },
    })


def refusal_response(error: RegistrationRefused):
    """HTTP 409 with the rule's code and its message (``BaseApi.response`` has its own ``code``)."""
    db.session.rollback()
    return make_response(jsonify(RegistrationRefusalSchema().dump(error)), 409)


class MyEnrolmentsApi(BaseApi):
    """The logged-in learner's own enrolments (there is no learner id in any URL)."""

    resource_name = "my"
    openapi_spec_tag = "My enrolments"
    openapi_spec_component_schemas = (MyEnrolmentSchema, MyEnrolmentListSchema, MyRegistrationRequestSchema,
                                      MyDropRequestSchema, RegistrationRefusalSchema)

    @expose("/enrolments", methods=["GET"])
    @learner_token_required
    @safe
    def list_enrolments(self, learner):
        """My enrolments, latest term first: seats, waiting-list positions and seat offers.
        ---
        get:
          summary: List my enrolments
          security:
          - jwt: []
          parameters:
          - in: query
            name: page
            schema:
              type: integer
              minimum: 1
              maximum: 100000
              default: 1
          - in: query
            name: page_size
            schema:
              type: integer
              minimum: 1
              maximum: 100
              default: 25
          responses:
            200:
              description: One page of my enrolments
              content:
                application/json:
                  schema:
                    $ref: '#/components/schemas/MyEnrolmentList'
            400:
              $ref: '#/components/responses/400'
            401:
              $ref: '#/components/responses/401'
            403:
              $ref: '#/components/responses/403'
        """
        page = request.args.get("page", 1, type=int)
        page_size = request.args.get("page_size", 25, type=int)
        if not 1 <= page <= MAX_PAGE_NUMBER or not 1 <= page_size <= MAX_PAGE_SIZE:
            return self.response_400(message=_("page must be 1 or more and page_size between 1 and %(max)s.",
                                               max=MAX_PAGE_SIZE))
        rows, total = learner_enrolments(db.session, learner, page, page_size)
        return self.response(200, count=total, page=page, page_size=page_size,
                             result=[enrolment_data(enrolment) for enrolment in rows])

    @expose("/enrolments", methods=["POST"])
    @learner_token_required
    @safe
    def register_enrolment(self, learner):
        """Register in a section: a seat when one is left, otherwise the end of its waiting list.
        ---
        post:
          summary: Register in a section
          security:
          - jwt: []
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  $ref: '#/components/schemas/MyRegistrationRequest'
          responses:
            201:
              description: Registered (status enrolled) or on the waiting list (status waitlisted, with position)
              content:
                application/json:
                  schema:
                    $ref: '#/components/schemas/MyEnrolment'
            400:
              $ref: '#/components/responses/400'
            401:
              $ref: '#/components/responses/401'
            403:
              $ref: '#/components/responses/403'
            404:
              $ref: '#/components/responses/404'
            409:
              description: Refused by a registration rule (window closed, level, time conflict, already registered…)
              content:
                application/json:
                  schema:
                    $ref: '#/components/schemas/RegistrationRefusal'
        """
        try:
            payload = REGISTRATION_REQUEST_SCHEMA.load(request.get_json(silent=True) or {})
        except ValidationError as error:
            return self.response_400(message=validation_message(error.messages))
        section = service.section_for_registration(db.session, payload["section_id"])
        if section is None:
            return self.response_404()
        try:
            outcome = service.register(db.session, learner, section, actor_id=token_user.id)
            answer = enrolment_data(outcome.enrolment)  # from what the transaction holds: no reload after commit
            db.session.commit()
        except RegistrationRefused as error:
            return refusal_response(error)
        except IntegrityError:  # a concurrent request of the same learner registered first
            return refusal_response(RegistrationRefused("already_registered"))
        return self.response(201, **answer)

    @expose("/enrolments/<int:enrolment_id>/drop", methods=["POST"])
    @learner_token_required
    @safe
    def drop_enrolment(self, enrolment_id: int, learner):
        """Leave a section (until the drop deadline), its waiting list or a seat offer.
        ---
        post:
          summary: Drop one of my enrolments
          security:
          - jwt: []
          parameters:
          - in: path
            name: enrolment_id
            required: true
            schema:
              type: integer
          requestBody:
            required: false
            content:
              application/json:
                schema:
                  $ref: '#/components/schemas/MyDropRequest'
          responses:
            200:
              description: Dropped; a freed seat went to the next person in line
              content:
                application/json:
                  schema:
                    $ref: '#/components/schemas/MyEnrolment'
            400:
              $ref: '#/components/responses/400'
            401:
              $ref: '#/components/responses/401'
            403:
              $ref: '#/components/responses/403'
            404:
              $ref: '#/components/responses/404'
            409:
              description: Refused (drop deadline passed, registration no longer active)
              content:
                application/json:
                  schema:
                    $ref: '#/components/schemas/RegistrationRefusal'
        """
        enrolment = find_own_enrolment(db.session, learner, enrolment_id)
        if enrolment is None:
            return self.response_404()
        try:
            payload = MyDropRequestSchema().load(request.get_json(silent=True) or {})
        except ValidationError as error:
            return self.response_400(message=validation_message(error.messages))
        try:
            service.drop(db.session, enrolment, reason=payload["reason"], actor_id=token_user.id)
            db.session.commit()
        except RegistrationRefused as error:
            return refusal_response(error)
        return self.response(200, **enrolment_data(enrolment))
