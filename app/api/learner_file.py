"""The learner's own file as read-only JSON (``/api/v1/my/file/...``): training record, results,
financial record, applications.

Same authentication as the enrolment API: a JWT bearer token of an account with a learner file
(``learner_token_required``, app/api/auth.py; 403 without a learner file). Labels come in
the request's language (``Accept-Language`` or ``?_l_=en``); amounts are decimal strings in CAD.
"""
from __future__ import annotations

from flask import request
from flask_appbuilder.api import BaseApi, expose, safe
from flask_babel import gettext as _
from marshmallow import Schema, fields

from ..extensions import db
from ..models.reference import stage_of
from ..services import learner_file as service
from .auth import learner_token_required
from .errors import MAX_PAGE_NUMBER
from .schemas import PageSchema, decimal_string, money


# --- schemas ------------------------------------------------------------------------------------

class MyTrainingLineSchema(Schema):
    __component_name__ = "MyTrainingLine"

    enrolment_id = fields.Integer()
    course_code = fields.String()
    course_title = fields.String()
    section_code = fields.String()
    term_code = fields.String()
    term_name = fields.String()
    format = fields.String()
    format_label = fields.String()
    status = fields.String()
    status_label = fields.String()
    starts_on = fields.Date()
    ends_on = fields.Date()
    ended_at = fields.DateTime(allow_none=True)
    hours_planned = decimal_string("meetings over the weeks, a decimal string")
    hours_scheduled = decimal_string("of the days recorded so far (planned before), a decimal string")
    hours_attended = decimal_string("a decimal string")
    hours_from_attendance = fields.Boolean(metadata={"description": "false: no attendance yet, planned hours"})
    dropout_reason = fields.String(allow_none=True)


class MyTrainingRecordSchema(PageSchema):
    __component_name__ = "MyTrainingRecord"

    result = fields.List(fields.Nested(MyTrainingLineSchema))


class MyLevelSchema(Schema):
    taken_on = fields.Date()
    level = fields.Integer()
    stage = fields.String(metadata={"enum": ["beginner", "intermediate", "advanced"]})
    passed = fields.Boolean()
    placement = fields.Boolean(metadata={"description": "true: placement test; false: exam"})
    section_code = fields.String(allow_none=True)
    course_title = fields.String(allow_none=True)


class MySkillProgressSchema(Schema):
    skill = fields.String()
    skill_label = fields.String()
    first_level = fields.Integer(allow_none=True)
    latest_level = fields.Integer(allow_none=True)
    latest_stage = fields.String(allow_none=True)
    levels = fields.List(fields.Nested(MyLevelSchema))


class MyPlacementSchema(Schema):
    assessed_on = fields.Date()
    skill = fields.String(allow_none=True, metadata={"description": "null: the overall level"})
    level = fields.Integer()
    stage = fields.String()


class MyResultsSchema(Schema):
    __component_name__ = "MyResults"

    skills = fields.List(fields.Nested(MySkillProgressSchema))
    placements = fields.List(fields.Nested(MyPlacementSchema))


class MyYearTotalSchema(Schema):
    year = fields.Integer()
    paid = money()
    awaiting = money()


class MyPaymentSchema(Schema):
    reference = fields.String()
    paid_on = fields.Date()
    amount = money()


class MyAllowanceSchema(Schema):
    id = fields.Integer()
    period_start = fields.Date()
    period_end = fields.Date()
    kind = fields.String()
    kind_label = fields.String()
    amount = money()
    status = fields.String()
    status_label = fields.String()
    adjustment = fields.Boolean()
    adjusts_id = fields.Integer(allow_none=True, metadata={"description": "the allowance this one corrects"})
    section_code = fields.String(allow_none=True)
    payment_reference = fields.String(allow_none=True)


class MyPageOfAllowancesSchema(PageSchema):
    result = fields.List(fields.Nested(MyAllowanceSchema))


class MyPageOfPaymentsSchema(PageSchema):
    result = fields.List(fields.Nested(MyPaymentSchema))


class MyFinancialRecordSchema(Schema):
    __component_name__ = "MyFinancialRecord"

    year = fields.Integer(allow_none=True)
    years = fields.List(fields.Integer())
    totals = fields.List(fields.Nested(MyYearTotalSchema))
    allowances = fields.Nested(MyPageOfAllowancesSchema)
    payments = fields.Nested(MyPageOfPaymentsSchema)


class MyApplicationEventSchema(Schema):
    at = fields.DateTime()
    from_status = fields.String(allow_none=True)
    to_status = fields.String()
    to_status_label = fields.String()
    by_me = fields.Boolean()
    note = fields.String(allow_none=True)


class MyApplicationSchema(Schema):
    id = fields.Integer()
    status = fields.String()
    status_label = fields.String()
    format_wanted = fields.String()
    created_at = fields.DateTime()
    submitted_at = fields.DateTime(allow_none=True)
    decided_at = fields.DateTime(allow_none=True)
    first_course_at = fields.Date(allow_none=True)
    events = fields.List(fields.Nested(MyApplicationEventSchema))


class MyApplicationsSchema(Schema):
    __component_name__ = "MyApplications"

    result = fields.List(fields.Nested(MyApplicationSchema))


# --- serialisation ------------------------------------------------------------------------------

def training_line_data(line: service.TrainingLine) -> dict:
    return {
        "enrolment_id": line.enrolment.id, "course_code": line.course.code, "course_title": line.course.title,
        "section_code": line.section.code, "term_code": line.term.code, "term_name": line.term.name,
        "format": line.format.value, "format_label": str(line.format.label),
        "status": line.status.value, "status_label": str(line.status.label),
        "starts_on": line.section.starts_on, "ends_on": line.section.ends_on, "ended_at": line.enrolment.ended_at,
        "hours_planned": line.hours_planned, "hours_scheduled": line.hours_scheduled,
        "hours_attended": line.hours_attended,
        "hours_from_attendance": line.hours_from_attendance, "dropout_reason": line.dropout_reason,
    }


def results_data(results: service.Results) -> dict:
    skills = []
    for progress in results.skills:
        latest = progress.latest
        skills.append({
            "skill": progress.skill.value, "skill_label": str(progress.skill.label),
            "first_level": progress.first.level if progress.first else None,
            "latest_level": latest.level if latest else None,
            "latest_stage": latest.stage if latest else None,
            "levels": [{"taken_on": entry.taken_on, "level": entry.level, "stage": entry.stage,
                        "passed": entry.passed, "placement": entry.placement,
                        "section_code": entry.section.code if entry.section else None,
                        "course_title": entry.section.course.title if entry.section else None}
                       for entry in progress.entries],
        })
    placements = [{"assessed_on": p.assessed_on, "skill": p.skill.value if p.skill else None, "level": p.level,
                   "stage": stage_of(p.level)} for p in results.placements]
    return {"skills": skills, "placements": placements}


def financial_data(record: service.FinancialRecord) -> dict:
    allowances, payments = record.allowances, record.payments
    return {
        "year": record.year, "years": record.years,
        "totals": [{"year": t.year, "paid": t.paid, "awaiting": t.awaiting} for t in record.totals],
        "allowances": {"count": allowances.total, "page": allowances.page, "page_size": allowances.per_page,
                       "result": [{
                           "id": a.id, "period_start": a.period_start, "period_end": a.period_end,
                           "kind": a.kind.value, "kind_label": str(a.kind.label), "amount": a.amount,
                           "status": a.status.value, "status_label": str(a.status.label),
                           "adjustment": service.is_adjustment(a), "adjusts_id": a.adjusts_id,
                           "section_code": a.enrolment.section.code if a.enrolment else None,
                           "payment_reference": a.payment.reference if a.payment else None,
                       } for a in allowances.items]},
        "payments": {"count": payments.total, "page": payments.page, "page_size": payments.per_page,
                     "result": [{"reference": p.reference, "paid_on": p.paid_on, "amount": p.amount}
                                for p in payments.items]},
    }


def applications_data(histories: list[service.ApplicationHistory], user_id: int | None) -> dict:
    return {"result": [{
        "id": h.application.id, "status": h.status.value, "status_label": str(h.status.label),
        "format_wanted": h.application.format_wanted.value, "created_at": h.application.created_at,
        "submitted_at": h.application.submitted_at, "decided_at": h.application.decided_at,
        "first_course_at": h.application.first_course_at,
        "events": [{"at": e.at, "from_status": e.from_status.value if e.from_status else None,
                    "to_status": e.to_status.value, "to_status_label": str(e.to_status.label),
                    "by_me": e.actor_id is not None and e.actor_id == user_id, "note": e.note_for_learner}
                   for e in h.events],
    } for h in histories]}


def personal(response):
    """Personal data: never kept by a shared cache or the client's disk cache."""
    response.headers["Cache-Control"] = "no-store"
    return response


# --- the API ------------------------------------------------------------------------------------

class MyFileApi(BaseApi):
    """The logged-in learner's own file, read-only (there is no learner id in any URL)."""

    resource_name = "my"
    openapi_spec_tag = "My file"
    openapi_spec_component_schemas = (MyTrainingRecordSchema, MyResultsSchema, MyFinancialRecordSchema,
                                      MyApplicationsSchema)

    def _page_arguments(self):
        page = request.args.get("page", 1, type=int)
        page_size = request.args.get("page_size", service.DEFAULT_PER_PAGE, type=int)
        if not 1 <= page <= MAX_PAGE_NUMBER or not 1 <= page_size <= service.MAX_PER_PAGE:
            return None
        return page, page_size

    def _bad_page(self):
        return self.response_400(message=_("page must be 1 or more and page_size between 1 and %(max)s.",
                                           max=service.MAX_PER_PAGE))

    @expose("/file/training", methods=["GET"])
    @learner_token_required
    @safe
    def training(self, learner):
        """My training record: courses of every term, newest first, with hours scheduled and attended.
        ---
        get:
          summary: My training record
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
              default: 20
          responses:
            200:
              description: One page of my training record
              content:
                application/json:
                  schema:
                    $ref: '#/components/schemas/MyTrainingRecord'
            400:
              $ref: '#/components/responses/400'
            401:
              $ref: '#/components/responses/401'
            403:
              $ref: '#/components/responses/403'
        """
        arguments = self._page_arguments()
        if arguments is None:
            return self._bad_page()
        record = service.training_record(db.session, learner, *arguments)
        return personal(self.response(200, **MyTrainingRecordSchema().dump({
            "count": record.total, "page": record.page, "page_size": record.per_page,
            "result": [training_line_data(line) for line in record.items]})))

    @expose("/file/results", methods=["GET"])
    @learner_token_required
    @safe
    def results(self, learner):
        """My exam results by skill (with placement levels) and my placement tests.
        ---
        get:
          summary: My exam results
          security:
          - jwt: []
          responses:
            200:
              description: My levels per skill over time
              content:
                application/json:
                  schema:
                    $ref: '#/components/schemas/MyResults'
            401:
              $ref: '#/components/responses/401'
            403:
              $ref: '#/components/responses/403'
        """
        data = results_data(service.results(db.session, learner))
        return personal(self.response(200, **MyResultsSchema().dump(data)))

    @expose("/file/finance", methods=["GET"])
    @learner_token_required
    @safe
    def finance(self, learner):
        """My financial record: totals per year, allowances by period and kind, payments.
        ---
        get:
          summary: My financial record
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
              default: 20
          - in: query
            name: year
            schema:
              type: integer
              minimum: 1
              maximum: 9999
            description: only the allowances and payments of this calendar year
          - in: query
            name: payments_page
            schema:
              type: integer
              minimum: 1
              maximum: 100000
              default: 1
          responses:
            200:
              description: My financial record
              content:
                application/json:
                  schema:
                    $ref: '#/components/schemas/MyFinancialRecord'
            400:
              $ref: '#/components/responses/400'
            401:
              $ref: '#/components/responses/401'
            403:
              $ref: '#/components/responses/403'
        """
        arguments = self._page_arguments()
        payments_page = request.args.get("payments_page", 1, type=int)
        year = request.args.get("year", type=int)
        if arguments is None or not 1 <= payments_page <= MAX_PAGE_NUMBER:
            return self._bad_page()
        if year is not None and not 1 <= year <= 9999:
            return self.response_400(message=_("year must be between 1 and 9999."))
        record = service.financial_record(db.session, learner, year=year,
                                          page=arguments[0], per_page=arguments[1], payments_page=payments_page)
        return personal(self.response(200, **MyFinancialRecordSchema().dump(financial_data(record))))

    @expose("/file/applications", methods=["GET"])
    @learner_token_required
    @safe
    def applications(self, learner):
        """My applications, newest first, each with the history of its statuses.
        ---
        get:
          summary: My applications
          security:
          - jwt: []
          responses:
            200:
              description: My applications and their history
              content:
                application/json:
                  schema:
                    $ref: '#/components/schemas/MyApplications'
            401:
              $ref: '#/components/responses/401'
            403:
              $ref: '#/components/responses/403'
        """
        histories = service.application_history(db.session, learner)
        data = applications_data(histories, learner.user_id)
        return personal(self.response(200, **MyApplicationsSchema().dump(data)))

