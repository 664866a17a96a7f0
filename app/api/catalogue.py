"""The catalogue API (``/api/v1/catalogue/sections``): public, read-only search of the open sections.

The same service as the catalogue pages, with bilingual fields so that a client picks its language.
"""
from __future__ import annotations

from flask import request
from flask_appbuilder.api import BaseApi, expose, safe
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from ..crafted_input import INT32_MAX
from ..extensions import db
from ..models import CourseFormat, Delivery, Section
from ..services.catalogue import MAX_PER_PAGE, CatalogueFilters, TimeOfDay, search_sections
from .errors import MAX_PAGE_NUMBER, validation_message
from .schemas import MeetingTimeSchema, SectionBaseSchema, meeting_time, section_base


class CatalogueQuerySchema(Schema):
    """Query parameters of the catalogue search (the filters of the catalogue page)."""

    class Meta:
        unknown = EXCLUDE

    q = fields.String(validate=validate.Length(max=100))
    level = fields.Integer(validate=validate.Range(min=1, max=12))
    format = fields.Enum(CourseFormat, by_value=True)
    term = fields.Integer(validate=validate.Range(min=1, max=INT32_MAX))
    weekday = fields.Integer(validate=validate.Range(min=1, max=7))
    time_of_day = fields.Enum(TimeOfDay, by_value=True)
    region = fields.Integer(validate=validate.Range(min=1, max=INT32_MAX))
    site = fields.Integer(validate=validate.Range(min=1, max=INT32_MAX))
    field = fields.Integer(validate=validate.Range(min=1, max=INT32_MAX))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_PAGE_NUMBER))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=MAX_PER_PAGE))


class CatalogueMeetingSchema(MeetingTimeSchema):
    __component_name__ = "CatalogueMeeting"


class CataloguePlaceSchema(Schema):
    __component_name__ = "CataloguePlace"

    online = fields.Boolean()
    site = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    city = fields.String(allow_none=True)
    region_code = fields.String(allow_none=True)
    region_fr = fields.String(allow_none=True)
    region_en = fields.String(allow_none=True)
    accessible = fields.Boolean(allow_none=True)
    accessibility_notes_fr = fields.String(allow_none=True)
    accessibility_notes_en = fields.String(allow_none=True)


class CatalogueCourseSchema(Schema):
    __component_name__ = "CatalogueCourse"

    code = fields.String()
    title_fr = fields.String()
    title_en = fields.String()
    description_fr = fields.String(allow_none=True)
    description_en = fields.String(allow_none=True)
    format = fields.String()
    level_min = fields.Integer()
    level_max = fields.Integer()
    hours_per_week = fields.Integer()
    field_fr = fields.String(allow_none=True)
    field_en = fields.String(allow_none=True)


class CatalogueTermSchema(Schema):
    __component_name__ = "CatalogueTerm"

    code = fields.String()
    name_fr = fields.String()
    name_en = fields.String()
    registration_opens = fields.Date()
    registration_closes = fields.Date()
    drop_deadline = fields.Date()


class CatalogueSectionSchema(SectionBaseSchema):
    __component_name__ = "CatalogueSection"

    capacity = fields.Integer()
    seats_left = fields.Integer()
    teacher = fields.String(allow_none=True)
    course = fields.Nested(CatalogueCourseSchema)
    term = fields.Nested(CatalogueTermSchema)
    schedule = fields.List(fields.Nested(CatalogueMeetingSchema))
    place = fields.Nested(CataloguePlaceSchema)


class CataloguePageSchema(Schema):
    __component_name__ = "CataloguePage"

    count = fields.Integer(metadata={"description": "number of matching sections, all pages"})
    page = fields.Integer()
    per_page = fields.Integer()
    pages = fields.Integer()
    items = fields.List(fields.Nested(CatalogueSectionSchema))


def section_payload(section: Section) -> dict:
    """A section as the API shows it: both languages, no personal data beyond the teacher's name."""
    course, term, site = section.course, section.term, section.site
    online = section.delivery == Delivery.ONLINE
    return {
        **section_base(section),
        "capacity": section.capacity, "seats_left": section.seats_left,
        "teacher": str(section.teacher) if section.teacher else None,
        "course": {
            "code": course.code, "title_fr": course.title_fr, "title_en": course.title_en,
            "description_fr": course.description_fr, "description_en": course.description_en,
            "format": course.format.value, "level_min": course.level_min, "level_max": course.level_max,
            "hours_per_week": course.hours_per_week,
            "field_fr": course.field.name_fr if course.field else None,
            "field_en": course.field.name_en if course.field else None,
        },
        "term": {
            "code": term.code, "name_fr": term.name_fr, "name_en": term.name_en,
            "registration_opens": term.registration_opens, "registration_closes": term.registration_closes,
            "drop_deadline": term.drop_deadline,
        },
        "schedule": [meeting_time(meeting) for meeting in section.meetings],
        "place": {
            "online": online,
            "site": site.name if site and not online else None,
            "address": site.address if site and not online else None,
            "city": site.city if site and not online else None,
            "region_code": site.region.code if site and not online else None,
            "region_fr": site.region.name_fr if site and not online else None,
            "region_en": site.region.name_en if site and not online else None,
            "accessible": site.accessible if site and not online else None,
            "accessibility_notes_fr": site.accessibility_notes_fr if site and not online else None,
            "accessibility_notes_en": site.accessibility_notes_en if site and not online else None,
        },
    }


class CatalogueApi(BaseApi):
    """Public, read-only search of the open sections of the catalogue."""

    resource_name = "catalogue"
    version = "v1"
    openapi_spec_tag = "Catalogue"
    openapi_spec_component_schemas = (
        CatalogueMeetingSchema, CataloguePlaceSchema, CatalogueCourseSchema, CatalogueTermSchema,
        CatalogueSectionSchema, CataloguePageSchema,
    )

    @expose("/sections", methods=["GET"])
    @safe
    def sections(self):
        """Search the open sections of the catalogue (public, no authentication)
        ---
        get:
          summary: Search the open sections of the catalogue
          description: >-
            The open sections of the current and upcoming terms (or of one term), filtered like
            the catalogue page, ordered by term start, course code and section code. Texts are
            given in French and in English.
          parameters:
          - in: query
            name: q
            description: words of the course code, title (French or English) or description
            schema:
              type: string
              maxLength: 100
          - in: query
            name: level
            description: a level of the Québec scale; courses whose level range contains it
            schema:
              type: integer
              minimum: 1
              maximum: 12
          - in: query
            name: format
            schema:
              type: string
              enum: [full_time, part_time, online, workplace]
          - in: query
            name: term
            description: a term id (default, every term not yet ended)
            schema:
              type: integer
              minimum: 1
              maximum: 2147483647
          - in: query
            name: weekday
            description: ISO weekday (Monday = 1) of at least one meeting
            schema:
              type: integer
              minimum: 1
              maximum: 7
          - in: query
            name: time_of_day
            description: >-
              when a meeting starts, local time - morning before 12:00, afternoon 12:00 to
              17:00, evening from 17:00 (with weekday, the same meeting must match both)
            schema:
              type: string
              enum: [morning, afternoon, evening]
          - in: query
            name: region
            description: a region id (sections at a site of that region)
            schema:
              type: integer
              minimum: 1
              maximum: 2147483647
          - in: query
            name: site
            description: a site id
            schema:
              type: integer
              minimum: 1
              maximum: 2147483647
          - in: query
            name: field
            description: a field id (specialised courses)
            schema:
              type: integer
              minimum: 1
              maximum: 2147483647
          - in: query
            name: page
            schema:
              type: integer
              minimum: 1
              maximum: 100000
              default: 1
          - in: query
            name: per_page
            schema:
              type: integer
              minimum: 1
              maximum: 100
              default: 20
          responses:
            200:
              description: One page of matching sections
              content:
                application/json:
                  schema:
                    $ref: '#/components/schemas/CataloguePage'
            400:
              $ref: '#/components/responses/400'
            500:
              $ref: '#/components/responses/500'
        """
        try:
            args = CatalogueQuerySchema().load(request.args)
        except ValidationError as error:
            return self.response_400(message=validation_message(error.messages))
        filters = CatalogueFilters(
            text=args.get("q"), level=args.get("level"), format=args.get("format"), term_id=args.get("term"),
            weekday=args.get("weekday"), time_of_day=args.get("time_of_day"), region_id=args.get("region"),
            site_id=args.get("site"), field_id=args.get("field"))
        page = search_sections(db.session, filters, page=args["page"], per_page=args["per_page"])
        body = CataloguePageSchema().dump({
            "count": page.total, "page": page.page, "per_page": page.per_page, "pages": page.pages,
            "items": [section_payload(section) for section in page.items]})
        return self.response(200, **body)
