"""The audit trail: personal-data changes, logins and role changes are recorded; nobody can rewrite it."""
from __future__ import annotations

import html
import re
from html.parser import HTMLParser

import pytest
from flask import url_for
from sqlalchemy import delete, func, select, update

from app.extensions import db
from app.models import AuditEvent, Learner
from app.services.access import ADMIN, AGENT, SUPPORT
from app.services.audit import MASK, AuditTrailIsAppendOnly, values_withheld
from tests.conftest import DEMO_PASSWORD, Auth
from tests.factories import make_account, make_learner, tag
from tests.conftest import login as conftest_login


class FormValues(HTMLParser):
    """The values a browser would submit for the first form with fields on a page."""

    def __init__(self):
        super().__init__()
        self.values: dict[str, str] = {}
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag_name, attrs):
        a = dict(attrs)
        name = a.get("name")
        if tag_name == "input" and name:
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self.values[name] = a.get("value") or "y"
            elif kind not in ("submit", "button"):
                self.values[name] = a.get("value") or ""
        elif tag_name == "select" and name:
            self._select = name
            self.values.setdefault(name, "")
        elif tag_name == "option" and self._select and "selected" in a:
            self.values[self._select] = a.get("value") or ""
        elif tag_name == "textarea" and name:
            self._textarea = name
            self.values[name] = ""

    def handle_endtag(self, tag_name):
        if tag_name == "select":
            self._select = None
        elif tag_name == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self.values[self._textarea] += data


def form_values(html: str) -> dict[str, str]:
    parser = FormValues()
    parser.feed(html)
    return parser.values


def events(**where) -> list[AuditEvent]:
    query = select(AuditEvent).order_by(AuditEvent.id)
    for column, value in where.items():
        query = query.where(getattr(AuditEvent, column) == value)
    return list(db.session.scalars(query))


def user_id(app, username: str) -> int:
    return app.appbuilder.sm.find_user(username=username).id


@pytest.fixture
def admin(app):
    with app.app_context():
        account = make_account(app, role=ADMIN)
        db.session.commit()
        return account["username"]


def logged_in(app, username: str):
    client = app.test_client()
    Auth(client).login(username)
    return client


def test_back_office_edit_of_a_learner_records_who_from_where_and_what(app, admin):
    with app.app_context():
        learner = make_learner()
        db.session.commit()
        learner_id, old_email = learner.id, learner.email
    client = logged_in(app, admin)
    with app.test_request_context():
        edit_url = url_for("LearnerView.edit", pk=learner_id)
    data = form_values(client.get(edit_url).get_data(as_text=True))
    assert data["email"] == old_email
    new_email = f"changed.{tag()}@example.org"
    data["email"] = new_email
    response = client.post(edit_url, data=data, environ_base={"REMOTE_ADDR": "203.0.113.7"})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Learner, learner_id).email == new_email
        [event] = events(action="learner.update", object_id=str(learner_id))
        assert event.object_type == "Learner"
        assert event.actor_id == user_id(app, admin)
        assert event.ip == "203.0.113.7"
        assert event.changes == {"email": [old_email, new_email]}
        assert event.at is not None


def test_creation_and_deletion_of_personal_data_are_recorded_without_a_request(app):
    with app.app_context():
        learner = make_learner()
        db.session.commit()
        learner_id = str(learner.id)
        [created] = events(action="learner.insert", object_id=learner_id)
        assert created.actor_id is None and created.ip is None
        assert created.changes["email"] == [None, learner.email]
        assert created.changes["birth_date"] == [None, "1990-01-01"]
        email = learner.email
        db.session.delete(learner)
        db.session.commit()
        [deleted] = events(action="learner.delete", object_id=learner_id)
        assert deleted.changes["email"] == [email, None]
        # the audit trail does not audit itself
        assert not events(object_type="AuditEvent")


def test_an_anonymisation_can_withhold_the_old_values_from_the_trail(app):
    with app.app_context():
        learner = make_learner()
        db.session.commit()
        email = learner.email
        with values_withheld(db.session):
            learner.email = f"anonyme.{learner.id}@invalid"
            learner.first_name = "Anonyme"
            db.session.commit()
        [event] = events(action="learner.update", object_id=str(learner.id))
        assert event.changes == {"email": [MASK, MASK], "first_name": [MASK, MASK]}
        assert email not in str(event.changes) and "Test" not in str(event.changes)
        learner.first_name = "Again"
        db.session.commit()
        assert events(action="learner.update", object_id=str(learner.id))[-1].changes == {
            "first_name": ["Anonyme", "Again"]}


def test_password_change_is_recorded_with_the_value_masked(app, admin):
    with app.app_context():
        sm = app.appbuilder.sm
        target = make_account(app, role=SUPPORT)["username"]
        user = sm.find_user(username=target)
        old_hash = user.password
        sm.reset_password(user.id, "an entirely new passphrase")
        [event] = events(action="user.update", object_id=str(user.id))
        assert event.changes == {"password": [MASK, MASK]}
        assert old_hash not in str(event.changes)
        created = events(action="user.insert", object_id=str(user.id))[0]
        assert created.changes["password"] == [None, MASK]
        assert created.changes["username"] == [None, target]


def test_login_success_and_failure_are_recorded_without_the_password(app, admin):
    client = app.test_client()
    wrong = f"wrong-{tag()}"
    client.post("/login/", data={"username": admin, "password": wrong},
                environ_base={"REMOTE_ADDR": "198.51.100.4"})
    nobody = f"nobody-{tag()}"
    conftest_login(client, nobody, wrong)
    client.post("/login/", data={"username": admin, "password": DEMO_PASSWORD},
                environ_base={"REMOTE_ADDR": "198.51.100.5"})
    with app.app_context():
        admin_id = user_id(app, admin)
        failures = [e for e in events(action="login.failure") if e.changes["username"] in (admin, nobody)]
        assert [e.changes["username"] for e in failures] == [admin, nobody]
        assert failures[0].ip == "198.51.100.4"
        assert all(e.actor_id is None for e in failures)
        [success] = events(action="login.success", actor_id=admin_id)
        assert success.ip == "198.51.100.5" and success.changes == {"username": admin}
        recorded = " ".join(str(e.changes) for e in events(object_type="User"))
        assert wrong not in recorded and DEMO_PASSWORD not in recorded
        # the login counters FAB updates are bookkeeping, not a change of the person's data
        assert not [e for e in events(action="user.update", object_id=str(admin_id))]


def test_role_added_to_and_removed_from_a_user_is_recorded(app, admin):
    with app.app_context():
        sm = app.appbuilder.sm
        target = sm.find_user(username=make_account(app, role=SUPPORT)["username"])
        db.session.commit()
        target.roles.append(sm.find_role(AGENT))
        db.session.commit()
        target.roles = [sm.find_role(AGENT)]
        db.session.commit()
        changes = [e.changes["roles"] for e in events(action="user.roles", object_id=str(target.id))]
        assert changes == [{"removed": [], "added": [SUPPORT]},
                           {"removed": [], "added": [AGENT]},
                           {"removed": [SUPPORT], "added": []}]


def test_permission_granted_to_a_role_is_recorded(app):
    with app.app_context():
        sm = app.appbuilder.sm
        role = sm.add_role(f"Audited-{tag()}")
        pv = sm.find_permission_view_menu("can_list", "CourseView")
        sm.add_permission_role(role, pv)
        sm.del_permission_role(role, pv)
        changes = [e.changes["permissions"] for e in events(action="role.permissions", object_id=str(role.id))]
        assert changes == [{"removed": [], "added": [str(pv)]}, {"removed": [str(pv)], "added": []}]


def test_no_code_path_can_change_or_delete_an_audit_event(app):
    with app.app_context():
        event = AuditEvent(action="test.append_only", object_type="Learner", object_id="1")
        db.session.add(event)
        db.session.commit()
        event.action = "test.rewritten"
        with pytest.raises(AuditTrailIsAppendOnly):
            db.session.commit()
        db.session.rollback()
        db.session.delete(event)
        with pytest.raises(AuditTrailIsAppendOnly):
            db.session.commit()
        db.session.rollback()
        for statement in (update(AuditEvent).where(AuditEvent.id == event.id).values(action="x"),
                          delete(AuditEvent).where(AuditEvent.id == event.id)):
            with pytest.raises(AuditTrailIsAppendOnly):
                db.session.execute(statement)
            db.session.rollback()
        assert db.session.get(AuditEvent, event.id).action == "test.append_only"


def _snapshot(event_id: int) -> tuple:
    row = db.session.get(AuditEvent, event_id)
    db.session.refresh(row)
    return (row.at, row.actor_id, row.action, row.object_type, row.object_id, row.changes, row.ip, row.reason)


def test_no_url_of_the_app_can_add_edit_or_delete_an_audit_event(app, admin):
    with app.app_context():
        event = AuditEvent(action="test.url_guard", object_type="Learner", object_id="7", ip="192.0.2.1",
                           changes={"email": ["a@example.org", "b@example.org"]})
        db.session.add(event)
        db.session.commit()
        event_id = event.id
        before = _snapshot(event_id)
        count = db.session.scalar(select(func.count(AuditEvent.id)))
    client = logged_in(app, admin)
    # reading: the list, one event, and the list's CSV export (same permission as the list)
    read_only = {"AuditEventView.list", "AuditEventView.show", "AuditEventView.export_csv"}
    rules = [rule for rule in app.url_map.iter_rules()
             if re.search("auditevent", rule.rule + rule.endpoint, re.IGNORECASE) and rule.endpoint not in read_only]
    # FAB's mutating routes of the screen are all there, and all refused
    assert {rule.endpoint.split(".")[-1] for rule in rules} >= {"add", "edit", "delete", "action", "action_post"}
    values = {"pk": str(event_id), "name": "muldelete", "filename": "audit.csv", "col_name": "action",
              "column": "actor"}
    form = {"action": "test.rewritten", "object_type": "X", "object_id": "0", "ip": "10.0.0.1",
            "name": "muldelete", "rowid": str(event_id)}
    with app.test_request_context():
        targets = [(rule, url_for(rule.endpoint, **{arg: values[arg] for arg in rule.arguments}))
                   for rule in rules]
    for rule, url in targets:
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method, data=form if method != "GET" else None)
            assert response.status_code in (403, 404, 405), (method, url, response.status_code)
    with app.app_context():
        assert _snapshot(event_id) == before
        assert db.session.scalar(select(func.count(AuditEvent.id))) >= count
        assert not events(action="test.rewritten")
    # and the screen itself only lists and shows
    view = next(v for v in app.appbuilder.baseviews if v.__class__.__name__ == "AuditEventView")
    assert sorted(view.base_permissions) == ["can_list", "can_show"]


def test_the_audit_screen_searches_newest_first_for_admin_only(app, admin):
    marker = f"test.search_{tag()}"
    with app.app_context():
        admin_id = user_id(app, admin)
        db.session.add_all([AuditEvent(action=marker, object_type="Learner", object_id=str(n), actor_id=admin_id)
                            for n in (1, 2, 3)])
        db.session.add(AuditEvent(action=f"{marker}_other", object_type="Payment", object_id="2"))
        db.session.commit()
    client = logged_in(app, admin)
    from flask_babel import force_locale

    from app.views.admin.compliance import record_label

    with app.test_request_context(), force_locale("fr"):
        # the object type reads as the record's name on the (French) page; an action code this
        # version has no words for is shown marked as a code
        learner, payment = record_label("Learner"), record_label("Payment")
    def rows(query: str) -> list[tuple[str, str, str]]:
        response = client.get(f"/auditeventview/list/?{query}")
        assert response.status_code == 200
        return re.findall(r"<td><code>(test\.search_\w+)</code></td>\s*<td>([^<]+)</td>\s*<td>(\d+)</td>",
                          html.unescape(response.get_data(as_text=True)))

    # by action (equal to), newest first
    assert rows(f"_flt_3_action={marker}") == [(marker, learner, n) for n in ("3", "2", "1")]
    # by object type and id
    assert rows(f"_flt_3_object_type=Payment&_flt_3_object_id=2&_flt_0_action={marker}") == [
        (f"{marker}_other", payment, "2")]
    # by actor
    assert len(rows(f"_flt_0_actor_id={admin}&_flt_0_action={marker}")) == 3
    assert rows(f"_flt_0_actor_id=nobody-{tag()}&_flt_0_action={marker}") == []
    # by date
    assert rows(f"_flt_1_at=2999-01-01 00:00:00&_flt_0_action={marker}") == []
    assert len(rows(f"_flt_1_at=2000-01-01 00:00:00&_flt_0_action={marker}")) == 4
    with app.app_context():
        agent = make_account(app, role=AGENT)["username"]
        db.session.commit()
    assert logged_in(app, agent).get("/auditeventview/list/").status_code == 403
