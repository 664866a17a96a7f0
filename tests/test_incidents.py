"""Law 25 register of confidentiality incidents: kept five years, checked, purged only when expired."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEvent, Incident
from app.services.incidents import IncidentRefused, keep_until_for, prepare_incident, purge_expired_incidents
from app.services.service_clock import montreal_today
from tests.conftest import Auth
from tests.factories import tag


def test_an_entry_is_kept_five_years_from_its_discovery():
    assert keep_until_for(dt.date(2026, 3, 9)) == dt.date(2031, 3, 9)
    assert keep_until_for(dt.date(2028, 2, 29)) == dt.date(2033, 2, 28)


@pytest.mark.parametrize("fields, message", [
    (dict(discovered_on=dt.date(2026, 5, 2)), "cannot be discovered after today (2026-05-01)"),
    (dict(occurred_on=dt.date(2026, 4, 20), discovered_on=dt.date(2026, 4, 10)),
     "cannot have occurred after the day it was discovered (2026-04-10)"),
    (dict(discovered_on=dt.date(2026, 4, 10), people_affected=-1), "number of people affected cannot be negative"),
])
def test_an_entry_that_breaks_a_rule_is_refused_with_its_reason(app, fields, message):
    incident = Incident(description="d", information_concerned="i", **fields)
    with app.test_request_context("/?_l_=en"), pytest.raises(IncidentRefused) as refused:
        prepare_incident(incident, today=dt.date(2026, 5, 1))
    assert message in refused.value.message
    assert incident.keep_until is None


def test_the_retention_job_purges_only_the_entries_past_their_keeping_day(app):
    today = dt.date(2001, 6, 15)  # entries written by other tests are kept until 2031 at least
    with app.app_context():
        entries = {}
        for label, discovered in (("expired", dt.date(1996, 6, 14)), ("last_day", dt.date(1996, 6, 15)),
                                  ("recent", dt.date(2000, 1, 1))):
            incident = prepare_incident(Incident(discovered_on=discovered, description=f"{label} {tag()}",
                                                 information_concerned="names"), today=today)
            db.session.add(incident)
            db.session.flush()
            entries[label] = incident.id
        db.session.commit()
        assert purge_expired_incidents(db.session, today, dry_run=True) == 1
        assert db.session.get(Incident, entries["expired"]) is not None

        purged = purge_expired_incidents(db.session, today)
        db.session.commit()
        db.session.expire_all()
        assert purged == 1
        assert db.session.get(Incident, entries["expired"]) is None
        assert db.session.get(Incident, entries["last_day"]) is not None
        assert db.session.get(Incident, entries["recent"]) is not None
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                                 .where(AuditEvent.action == "retention.purge_incidents")) >= 1
        db.session.delete(db.session.get(Incident, entries["last_day"]))
        db.session.delete(db.session.get(Incident, entries["recent"]))
        db.session.commit()
        db.session.remove()


def admin_client(app):
    with app.app_context():
        sm = app.appbuilder.sm
        username = f"law25-{tag()}"
        sm.add_user(username, "Privacy", "Officer", f"{username}@example.org", sm.find_role("Admin"),
                    password="Francisation-2026!")
        db.session.commit()
        db.session.remove()
    client = app.test_client()
    Auth(client).login(username)
    return client, username


def form(**overrides):
    data = {"occurred_on": "", "discovered_on": "", "description": "Lost USB key with attendance sheets",
            "information_concerned": "Names and attendance of 12 learners", "people_affected": "12",
            "risk_of_serious_injury": "", "measures_taken": "Sheets reprinted; staff reminded",
            "commission_notified_on": "", "people_notified_on": ""}
    data.update(overrides)
    return data


def test_the_back_office_records_an_incident_with_its_keeping_day_computed(app):
    client, username = admin_client(app)
    discovered = montreal_today() - dt.timedelta(days=3)
    description = f"Lost USB key {tag()}"
    page = client.post("/incidentview/add?_l_=en", follow_redirects=True, data=form(
        occurred_on=(discovered - dt.timedelta(days=2)).isoformat(), discovered_on=discovered.isoformat(),
        description=description))
    assert page.status_code == 200
    with app.app_context():
        incident = db.session.scalar(select(Incident).where(Incident.description == description))
        assert incident is not None
        assert incident.keep_until == keep_until_for(discovered)
        assert incident.recorded_by.username == username
        incident_id = incident.id
        db.session.remove()
    assert b"keep_until" not in client.get("/incidentview/add?_l_=en").data
    shown = client.get(f"/incidentview/show/{incident_id}?_l_=en").get_data(as_text=True)
    assert keep_until_for(discovered).isoformat() in shown

    # the register is never emptied by hand: no delete, even for Admin
    client.post(f"/incidentview/delete/{incident_id}")
    with app.app_context():
        assert db.session.get(Incident, incident_id) is not None
        db.session.remove()


def test_the_back_office_explains_each_refusal_and_saves_nothing(app):
    client, _ = admin_client(app)
    today = montreal_today()
    cases = [
        (dict(discovered_on=(today + dt.timedelta(days=1)).isoformat()), "cannot be discovered after today"),
        (dict(discovered_on=(today - dt.timedelta(days=5)).isoformat(),
              occurred_on=(today - dt.timedelta(days=1)).isoformat()),
         "cannot have occurred after the day it was discovered"),
        (dict(discovered_on=today.isoformat(), people_affected="-4"), "number of people affected cannot be negative"),
    ]
    for fields, message in cases:
        description = f"Refused {tag()}"
        page = client.post("/incidentview/add?_l_=en", data=form(description=description, **fields))
        assert message in page.get_data(as_text=True)
        with app.app_context():
            assert db.session.scalar(select(Incident).where(Incident.description == description)) is None
            db.session.remove()
