"""Exports of the indicator set: the XLSX opens with openpyxl and its totals are the service's,
the CSV is in the reader's language, partner staff get only their partner's figures with small
cells suppressed, background exports show their progress and belong to who asked for them."""
from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from app.extensions import db
from app.models import Job, JobStatus, Partner, PartnerMembership, ReportRun
from app.services import report_exports as exports
from app.services.reports import ReportFilters, indicator_set
from app.services.service_clock import montreal_today
from flask_appbuilder.security.sqla.models import User
from tests.conftest import Auth
from tests.factories import make_account
from tests.test_reports import build_world


def figures(app, filters: ReportFilters):
    with app.app_context():
        result = indicator_set(db.session, filters, montreal_today())
        db.session.remove()
    return result


def sheet_values(workbook, name) -> dict:
    """{label in column A: [the other cells]} of a sheet (rows after the header)."""
    rows = list(workbook[name].iter_rows(min_row=4, values_only=True))
    return {row[0]: list(row[1:]) for row in rows}


@pytest.fixture
def analyst(demo_app):
    client = demo_app.test_client()
    Auth(client).login("analyst")
    client.get("/lang/fr")  # the language is saved with the account: another test may have left English
    return client


def test_xlsx_opens_with_openpyxl_and_its_totals_are_the_services(demo_app, analyst):
    response = analyst.get("/reports/indicators.xlsx?format=full_time")
    assert response.status_code == 200 and response.mimetype == exports.XLSX_MIME
    assert "attachment" in response.headers["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(response.data), read_only=True)
    ind = figures(demo_app, ReportFilters(format=exports.reports.CourseFormat.FULL_TIME))
    assert workbook.sheetnames[:4] == ["À propos", "Demandes", "Norme de service", "Attente"]
    about = {row[0]: row[1] for row in workbook["À propos"].iter_rows(values_only=True)}
    assert about["Format de cours"] == "Temps complet" and about["Région"] == "Toutes"
    assert "aucune cellule n'est supprimée" in about["Petites cellules"]
    applications = sheet_values(workbook, "Demandes")
    assert applications["Demandes reçues"] == [ind.applications.received]
    assert applications["Demandes approuvées"] == [ind.applications.approved]
    assert applications["Demandes décidées (approuvées ou refusées)"] == [ind.applications.decided]
    assert sheet_values(workbook, "Attente")["Personnes en attente"] == [ind.waiting.size]
    training = sheet_values(workbook, "Formation")
    assert training["Inscriptions"] == [ind.training.enrolments] and training["Abandons"] == [ind.training.dropped]
    reasons = sheet_values(workbook, "Motifs d'abandon")
    assert sum(row[0] for row in reasons.values()) == ind.training.dropped
    capacity = list(workbook["Capacité"].iter_rows(min_row=4, values_only=True))
    assert sum(row[3] for row in capacity) == sum(line.demand for line in ind.capacity)
    assert sum(row[5] for row in capacity) == sum(line.declared_seats for line in ind.capacity)
    assert ind.waiting.size > 0 and ind.training.enrolments > 0 and ind.capacity  # the demo has figures


def test_csv_is_in_the_readers_language_and_equals_the_service(demo_app, analyst):
    french = analyst.get("/reports/indicators.csv?level=intermediate")
    assert french.status_code == 200 and french.mimetype == "text/csv"
    text = french.get_data(as_text=True)
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    ind = figures(demo_app, ReportFilters(level_band="intermediate"))
    assert ["Personnes en attente", str(ind.waiting.size)] in rows
    assert ["Niveau", "Intermédiaire (5 à 8)"] in rows
    analyst.get("/lang/en")
    english = analyst.get("/reports/indicators.csv?level=intermediate").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(english.lstrip("\ufeff"))))
    assert ["People waiting", str(ind.waiting.size)] in rows and ["Enrolments", str(ind.training.enrolments)] in rows
    share = next(row for row in rows if row and row[0] == "Share within the standard")
    assert share[1].endswith("%") and "," not in share[1]  # 67.5%, not the French 67,5 %


def test_crafted_query_values_are_ignored_not_errors(analyst):
    for query in ("region=2147483648", "to=2025-02-30", "partner=-4", "level=%FF",
                  "format=" + "x" * 5000, "category=1e9"):
        assert analyst.get(f"/reports/indicators.csv?{query}").status_code == 200, query
    # a NUL byte or a number of more than 18 digits is refused before any view (app/crafted_input.py)
    for query in ("region=99999999999999999999", "from=%00"):
        assert analyst.get(f"/reports/indicators.csv?{query}").status_code == 400, query
    assert analyst.get("/reports/exports/99999999999999999999999").status_code == 404
    assert analyst.get("/reports/exports/0/progress").status_code == 404


def test_partner_staff_get_their_partner_only_whatever_the_query_says_with_small_cells_suppressed(demo_app):
    client = demo_app.test_client()
    Auth(client).login("partner")
    with demo_app.app_context():
        user_id = db.session.scalar(select(User.id).where(User.username == "partner"))
        own = db.session.scalar(select(PartnerMembership.partner_id).where(PartnerMembership.user_id == user_id))
        other = db.session.scalar(select(Partner.id).where(Partner.id != own).order_by(Partner.id).limit(1))
        db.session.remove()
    typed = client.get(f"/reports/indicators.xlsx?partner={other}")
    plain = client.get("/reports/indicators.xlsx")
    assert typed.status_code == plain.status_code == 200
    ind = figures(demo_app, ReportFilters(partner_id=own))
    for response in (typed, plain):
        workbook = load_workbook(io.BytesIO(response.data), read_only=True)
        about = {row[0]: row[1] for row in workbook["À propos"].iter_rows(values_only=True)}
        assert about["Partenaire"] == figures_partner_name(demo_app, own)
        assert "sont supprimées" in about["Petites cellules"]
        training = sheet_values(workbook, "Formation")
        expected = ind.training.enrolments if ind.training.enrolments >= 5 or not ind.training.enrolments else "< 5"
        assert training["Inscriptions"] == [expected]
    # the other partner's own figures are not what partner staff got
    assert figures(demo_app, ReportFilters(partner_id=other)).training != ind.training


def figures_partner_name(app, partner_id):
    with app.app_context():
        name = db.session.get(Partner, partner_id).name
        db.session.remove()
    return name


def test_publication_suppresses_cells_under_five_people_and_says_so(app):
    with app.test_request_context():
        world = build_world()
        ind = indicator_set(db.session, ReportFilters(region_id=world.region.id), dt_today())
        public = "".join(exports.csv_chunks(db.session, ind, publication=True))
        internal = "".join(exports.csv_chunks(db.session, ind, publication=False))
        db.session.rollback()
        db.session.remove()
    public_rows = list(csv.reader(io.StringIO(public.lstrip("\ufeff")), delimiter=";"))
    internal_rows = list(csv.reader(io.StringIO(internal.lstrip("\ufeff")), delimiter=";"))
    assert any("moins de 5 personnes sont supprimées" in " ".join(row) for row in public_rows)
    # 12 applications received: shown; 4 people waiting, 1 refused: suppressed; 0 stays 0
    assert ["Demandes reçues", "12"] in public_rows and ["Demandes reçues", "12"] in internal_rows
    assert ["Personnes en attente", "< 5"] in public_rows and ["Personnes en attente", "4"] in internal_rows
    assert ["Demandes refusées", "< 5"] in public_rows and ["Demandes refusées", "1"] in internal_rows
    # the median wait of 4 people is suppressed too; 8 enrolments and their dropout rate are not
    median = next(row for row in public_rows if row and row[0] == "Attente médiane jusqu'ici (jours ouvrables)")
    assert median[1] == "< 5"
    assert ["Inscriptions", "8"] in public_rows
    assert next(row for row in public_rows if row and row[0] == "Taux d'abandon") == ["Taux d'abandon", "50,0\xa0%"]


def dt_today():
    import datetime as dt

    return dt.date(2025, 9, 15)


def test_background_export_shows_progress_and_only_its_owner_downloads_it(demo_app, analyst, tmp_path, monkeypatch):
    monkeypatch.setitem(demo_app.config, "EXPORT_DIR", str(tmp_path))
    started = analyst.post("/reports/exports?region=", data={"format": "xlsx"})
    assert started.status_code == 302
    page_url = started.headers["Location"]
    page = analyst.get(page_url)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "data-job-progress" in html and "js/job_progress.js" in html and "<script>" not in html
    progress = analyst.get(page_url + "/progress").get_json()
    # the job ran inline after the commit (no Redis in tests): done, 100 %, with its download link
    assert progress["finished"] and not progress["failed"] and progress["percent"] == 100
    assert progress["label"] == "Terminé" and progress["download_url"].endswith("/download")
    with demo_app.app_context():
        run = db.session.scalar(select(ReportRun).order_by(ReportRun.id.desc()))
        assert run.job.status == JobStatus.DONE and run.job.progress == run.job.progress_total == 9
        db.session.remove()
    download = analyst.get(progress["download_url"])
    assert download.status_code == 200 and download.mimetype == exports.XLSX_MIME
    workbook = load_workbook(io.BytesIO(download.data), read_only=True)
    ind = figures(demo_app, ReportFilters())
    assert sheet_values(workbook, "Demandes")["Demandes reçues"] == [ind.applications.received]
    # another analyst: not found, whatever the page
    with demo_app.app_context():
        someone = make_account(demo_app, role="Analyst")
        db.session.commit()
        db.session.remove()
    stranger = demo_app.test_client()
    Auth(stranger).login(someone["username"])
    for suffix in ("", "/progress", "/download"):
        assert stranger.get(page_url + suffix).status_code == 404
    assert analyst.post("/reports/exports", data={"format": "pdf"}).status_code == 400


def test_job_progress_is_written_at_once_and_only_inside_a_job(app):
    from app.jobs.progress import progress_payload, report_progress, running

    with app.app_context():
        job = Job(task="export_indicators", args={})
        db.session.add(job)
        db.session.commit()
        report_progress(3, 10)  # outside a job: nothing
        db.session.refresh(job)
        assert (job.progress, job.progress_total, job.percent) == (0, None, None)
        with running(job.id):
            report_progress(3, 12)
        db.session.refresh(job)
        assert (job.progress, job.progress_total, job.percent) == (3, 12, 25)
        payload = progress_payload(job, "/x")
        assert payload["percent"] == 25 and not payload["finished"] and payload["download_url"] is None
        db.session.delete(job)
        db.session.commit()
        db.session.remove()


def test_the_report_runs_screen_reads_words_not_keys(demo_app, analyst, tmp_path, monkeypatch):
    """The Admin's report-run list and page name the report and its job ("Exportation des indicateurs"),
    never their keys (``indicators``, ``export_indicators``)."""
    monkeypatch.setitem(demo_app.config, "EXPORT_DIR", str(tmp_path))
    assert analyst.post("/reports/exports?region=", data={"format": "csv"}).status_code == 302
    with demo_app.app_context():
        run_id = db.session.scalar(select(ReportRun.id).order_by(ReportRun.id.desc()))
        db.session.remove()
    admin = demo_app.test_client()
    Auth(admin).login("admin")
    for url in ("/reportrunview/list/", f"/reportrunview/show/{run_id}"):
        html = admin.get(url).get_data(as_text=True)
        assert "Exportation des indicateurs" in html, url
        assert "export_indicators" not in html and ">indicators<" not in html, url
