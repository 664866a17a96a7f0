"""Law 25 "Download my data": everything the system holds about one learner, as a ZIP of one JSON
file and one CSV file per table, with a bilingual README.

Which tables: the rule is read from the models, never listed by hand, so a table added later is
exported without anyone remembering to add it here.

1. The learner's own row (``learner``) and login account (``ab_user``) are the roots.
2. A row belongs to the export when one of its foreign keys points at a row already in it:
   every table with a foreign key to ``learner.id`` (enrolments, applications, payments…), then
   the rows reachable through those (application events through the application, attendance
   through the enrolment, timetable choices through the plan…), and the rows that point at the
   learner's account (interface language, their own actions in the audit trail), repeated until
   nothing new is found.
3. The audit events about an exported row (``object_type``/``object_id``) belong to it too.

Secrets are left out — columns whose name says password, secret, token or ends in ``_hash``
(the password hash, the calendar link's hash, API key hashes); the README names every column
left out. Uploaded documents are exported as metadata (type, name, size, SHA-256, date), not
the files themselves. References to rows outside the export (a course, a region, a group) carry
a readable label beside the id; references to staff accounts carry only the id, the IP
address of an audit event is given only for the learner's own actions, and the note of a row
marked ``internal`` (a staff note on an application event) is left empty.
"""
from __future__ import annotations

import csv
import datetime as dt
import enum
import io
import json
import re
import zipfile
from decimal import Decimal

from flask_appbuilder import Model
from flask_appbuilder.security.sqla.models import User
from flask_babel import lazy_gettext as _l
from sqlalchemy import Table, and_, or_, select
from sqlalchemy.orm import Mapper, Session
from sqlalchemy.orm.interfaces import MANYTOMANY, MANYTOONE

from ..models import AuditEvent, Learner
from ..models.base import utcnow
from .documents import ORGANISATION, both

SECRET_COLUMN = re.compile(r"password|secret|token|_hash$", re.IGNORECASE)
JSON_NAME = "data.json"
README_NAME = "README.txt"
FORMAT = "guichet-francisation/personal-data-export"


def mapped_tables() -> dict[Table, Mapper]:
    """Every table mapped by one class of the model (FAB's and ours)."""
    return {mapper.local_table: mapper for mapper in Model.registry.mappers
            if isinstance(mapper.local_table, Table)}


def learner_tables() -> list[str]:
    """The tables that can hold rows about a learner: ``learner`` and every table linked to it by
    a chain of foreign keys pointing at it (the CSV files every export contains)."""
    tables = mapped_tables()
    reached = {Learner.__table__}
    grew = True
    while grew:
        grew = False
        for table in tables:
            if table not in reached and any(fk.column.table in reached for fk in table.foreign_keys):
                reached.add(table)
                grew = True
    return sorted(table.name for table in reached)


def collect(session: Session, learner: Learner) -> dict[Table, list]:
    """The rows of every table that belong to the learner (rules 1 to 3 of the module)."""
    tables = mapped_tables()
    held: dict[Table, dict] = {Learner.__table__: {learner.id: learner}}
    if learner.user_id is not None:
        held[User.__table__] = {learner.user_id: session.get(User, learner.user_id)}
    grew = True
    while grew:
        grew = False
        for table, mapper in tables.items():
            conditions = [column.in_(list(held[fk.column.table]))
                          for column in table.columns for fk in column.foreign_keys
                          if held.get(fk.column.table) and fk.column.primary_key]
            if not conditions:
                continue
            rows = held.setdefault(table, {})
            for row in session.scalars(select(mapper.class_).where(or_(*conditions))):
                key = mapper.primary_key_from_instance(row)[0]
                if key not in rows:
                    rows[key] = row
                    grew = True
    about = [and_(AuditEvent.object_type == tables[table].class_.__name__,
                  AuditEvent.object_id.in_([str(key) for key in rows]))
             for table, rows in held.items() if rows and table is not AuditEvent.__table__]
    audit = held.setdefault(AuditEvent.__table__, {})
    for event in session.scalars(select(AuditEvent).where(or_(*about))):
        audit.setdefault(event.id, event)
    return {table: sorted(rows.values(), key=lambda row: tables[table].primary_key_from_instance(row))
            for table, rows in held.items() if rows}


def exported_columns(mapper: Mapper) -> tuple[list[str], list[str]]:
    """(exported columns, secret columns left out) of a mapped table."""
    columns, secrets = [], []
    for column in mapper.local_table.columns:
        (secrets if SECRET_COLUMN.search(column.name) else columns).append(column.name)
    return columns, secrets


def labelled_relations(mapper: Mapper, exported: dict[Table, list]) -> list:
    """Many-to-one and many-to-many relations to rows outside the export that get a readable
    label (a course, a region, a role); never to accounts, whose names are other people's."""
    return [relation for relation in mapper.relationships
            if relation.direction in (MANYTOONE, MANYTOMANY)
            and relation.mapper.class_ is not User
            and relation.mapper.local_table not in exported]


def row_record(mapper: Mapper, row, columns: list[str], relations: list, learner: Learner) -> dict:
    """One row as plain JSON values, with the labels of what it refers to outside the export."""
    by_name = {column.name: prop.key for prop in mapper.column_attrs for column in prop.columns}
    record = {name: plain(getattr(row, by_name[name])) for name in columns}
    for relation in relations:
        value = getattr(row, relation.key)
        if relation.direction is MANYTOMANY:
            record[f"{relation.key}_label"] = [str(item) for item in value]
        else:
            record[f"{relation.key}_label"] = None if value is None else str(value)
    if getattr(row, "internal", False) is True and "note" in record:
        record["note"] = None  # an internal note of the staff (application events) is not the learner's to read
    if isinstance(row, AuditEvent) and row.actor_id != learner.user_id:
        record["ip"] = None  # the address a staff member worked from is theirs, not the learner's
    return record


def plain(value):
    """A column value as JSON has it: text for amounts, ISO 8601 for dates, codes for enums."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    return value


def export_learner(session: Session, learner: Learner) -> bytes:
    """The ZIP the learner downloads: README.txt, data.json and csv/<table>.csv for every table
    that can hold rows about a learner (header only when empty) and any other table holding some."""
    tables = mapped_tables()
    by_name = {table.name: table for table in tables}
    exported = collect(session, learner)
    names = sorted(set(learner_tables()) | {table.name for table in exported})
    data, csv_files, secrets_left_out = {}, {}, {}
    for name in names:
        table = by_name[name]
        mapper = tables[table]
        columns, secrets = exported_columns(mapper)
        relations = labelled_relations(mapper, exported)
        records = [row_record(mapper, row, columns, relations, learner) for row in exported.get(table, [])]
        data[name] = records
        csv_files[name] = _csv(columns + [f"{relation.key}_label" for relation in relations], records)
        if secrets:
            secrets_left_out[name] = secrets
    document = {
        "format": FORMAT,
        "version": 1,
        "generated_at": utcnow().replace(microsecond=0).isoformat(),
        "organisation": ORGANISATION,
        "file_number": learner.file_number,
        "columns_left_out": secrets_left_out,
        "tables": data,
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(README_NAME, readme(learner, names, secrets_left_out))
        archive.writestr(JSON_NAME, json.dumps(document, ensure_ascii=False, indent=2, default=str))
        for name, content in csv_files.items():
            archive.writestr(f"csv/{name}.csv", content)
    return buffer.getvalue()


def record_export(session: Session, learner: Learner, *, actor_id: int | None) -> None:
    """Write in the audit trail that the learner's data was exported (and by whom)."""
    session.add(AuditEvent(actor_id=actor_id, action="learner.data_exported", object_type="Learner",
                           object_id=str(learner.id)))
    session.flush()


def _csv(header: list[str], records: list[dict]) -> str:
    """UTF-8 CSV with a byte-order mark (spreadsheets then read the accents right)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for record in records:
        writer.writerow([_cell(record.get(name)) for name in header])
    return "\ufeff" + out.getvalue()


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def readme(learner: Learner, tables: list[str], secrets: dict[str, list[str]]) -> str:
    """The bilingual README of the archive: French first, then English."""
    left_out = ", ".join(f"{table}.{column}" for table, columns in sorted(secrets.items()) for column in columns)
    paragraphs = [
        both(_l("Personal data held by %(organisation)s about file %(file)s, exported on %(date)s.",
             organisation=ORGANISATION, file=learner.file_number, date=utcnow().date().isoformat())),
        both(_l("data.json holds everything in one structured file: one list of rows per table. The csv folder "
             "holds the same rows, one CSV file per table (UTF-8, comma-separated, first line = column names). "
             "A table without rows about you has a CSV file with its column names only.")),
        both(_l("Which tables: your file (learner), your account (ab_user), every table that refers to your file "
             "or to your account, and the rows that refer to those (for example attendance through your "
             "enrolments, application events through your applications), as well as the audit trail of "
             "changes to these rows. The list is computed from the data model, so no table is forgotten.")),
        both(_l("Dates and times are in ISO 8601 (times in UTC), amounts in Canadian dollars, statuses as codes. "
             "A column ending in _label gives the name of what an identifier refers to (course, group, "
             "region); identifiers of staff accounts are given without their names.")),
        both(_l("Left out for your security, because they are secrets and not information about you: %(columns)s.",
             columns=left_out or "-")),
        both(_l("Documents you uploaded are listed with their type, name, size, date and fingerprint (SHA-256); "
             "the files themselves are not in this archive. To receive a copy or to have information "
             "corrected, contact %(organisation)s.", organisation=ORGANISATION)),
        both(_l("Tables in this archive: %(tables)s.", tables=", ".join(tables))),
    ]
    french = "\n\n".join(pair[0] for pair in paragraphs)
    english = "\n\n".join(pair[1] for pair in paragraphs)
    sections = [f"FRANÇAIS\n========\n\n{french}"]
    if english != french:
        sections.append(f"ENGLISH\n=======\n\n{english}")
    return "\n\n\n".join(sections) + "\n"
