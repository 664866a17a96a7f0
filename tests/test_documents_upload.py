"""Documents of an application: only real PDF, JPEG and PNG files within the size limit are kept,
outside the web root under a random key with their checksum; a refused file leaves no row and no
file and says why in the page's language; only the owner, case officers and administrators can
download a document, as an attachment nobody caches."""
from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from app.extensions import db
from app.models import AccessLog, Application, ApplicationStatus as S, Document, DocumentType
from app.services import intake
from app.services.document_store import DocumentStore, UploadRefused, clean_filename, human_size
from tests.test_application_form import HOME, application_of, fill_steps, login, make_applicant, said, start, step, \
    text

DOCS = f"{HOME}documents"
PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(64)
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(64)
GIF = b"GIF89a" + bytes(64)
LIMIT = 5 * 1024 * 1024


@pytest.fixture
def upload_dir(demo_app, tmp_path, monkeypatch):
    folder = tmp_path / "documents"
    monkeypatch.setitem(demo_app.config, "UPLOAD_DIR", str(folder))
    return folder


@pytest.fixture
def owner(demo_app, upload_dir):
    """A learner with a draft application, logged in (French pages)."""
    account = make_applicant(demo_app)
    client = demo_app.test_client()
    login(client, account["username"])
    start(client)
    account["client"] = client
    return account


def send(client, content: bytes, filename: str, content_type: str, doc_type: str = "immigration_status"):
    return client.post(DOCS, data={"type": doc_type, "upload": "1",
                                   "file": (io.BytesIO(content), filename, content_type)},
                       content_type="multipart/form-data")


def size_in(app, language: str, size: int) -> str:
    with app.test_request_context(), force_locale(language):
        return human_size(size)


def stored_files(folder: Path) -> list[Path]:
    return [Path(root) / name for root, _dirs, names in os.walk(folder) for name in names] if folder.exists() else []


def documents_of(app, learner_id: int) -> list[dict]:
    with app.app_context():
        rows = [{"id": d.id, "name": d.original_name, "type": d.type, "content_type": d.content_type,
                 "key": d.storage_key, "sha256": d.sha256, "size": d.size_bytes}
                for d in db.session.scalars(select(Document).where(Document.learner_id == learner_id)
                                            .order_by(Document.id))]
        db.session.remove()
    return rows


def upload_ok(app, account, content=PDF, filename="statut.pdf", content_type="application/pdf") -> dict:
    response = send(account["client"], content, filename, content_type)
    assert response.status_code == 302, text(response)
    return documents_of(app, account["learner_id"])[-1]


# --- refused uploads: a clear message, nothing stored ----------------------------------------------

REFUSED = [
    pytest.param(b"Ceci est un texte.\n", "lettre.txt", "text/plain", "type", {}, id="text file"),
    pytest.param(GIF, "photo.gif", "image/gif", "type", {}, id="GIF image"),
    pytest.param(PNG, "passeport.pdf", "application/pdf", "extension", {"kind": "PNG"}, id="PNG named .pdf"),
    pytest.param(PDF, "permis.png", "image/png", "extension", {"kind": "PDF"}, id="PDF named .png"),
    pytest.param(PDF, "permis.pdf", "image/png", "declared", {"kind": "PDF"}, id="PDF declared as PNG"),
    pytest.param(JPEG, "carte.jpg", "image/png", "declared", {"kind": "JPEG"}, id="JPEG declared as PNG"),
    pytest.param(b"", "vide.pdf", "application/pdf", "empty", {}, id="empty file"),
    pytest.param(PDF + bytes(LIMIT), "gros.pdf", "application/pdf", "too_large", {"limit": LIMIT},
                 id="over 5 MB"),
]


@pytest.mark.parametrize(("content", "filename", "content_type", "code", "params"), REFUSED)
def test_a_refused_upload_says_why_and_stores_nothing(demo_app, owner, upload_dir, content, filename, content_type,
                                                      code, params):
    response = send(owner["client"], content, filename, content_type)
    assert response.status_code == (413 if code == "too_large" else 400)
    with demo_app.test_request_context(), force_locale("fr"):
        params = {name: human_size(value) if name == "limit" else value for name, value in params.items()}
        expected = UploadRefused(code, name=filename, **params).message
    assert expected in text(response)
    assert documents_of(demo_app, owner["learner_id"]) == []
    assert stored_files(upload_dir) == []


def test_the_refusal_is_in_english_on_english_pages(demo_app, owner, upload_dir):
    with owner["client"].session_transaction() as session:
        session["locale"] = "en"
    response = send(owner["client"], PNG, "passport.pdf", "application/pdf")
    assert ("The name of the file “passport.pdf” does not match its content (a PNG file): nothing was saved. "
            "Send the file under its real name and extension.") in text(response)
    too_big = send(owner["client"], PDF + bytes(LIMIT), "big.pdf", "application/pdf")
    assert "is larger than 5 MB, the largest size accepted" in text(too_big)
    assert stored_files(upload_dir) == []


def test_a_request_over_the_server_limit_is_refused_on_the_documents_page(demo_app, owner, upload_dir, monkeypatch):
    monkeypatch.setitem(demo_app.config, "MAX_CONTENT_LENGTH", 64 * 1024)
    response = send(owner["client"], PDF + bytes(100 * 1024), "scan.pdf", "application/pdf")
    assert response.status_code == 413
    assert said(demo_app, "fr", "The file sent is larger than %(limit)s, the largest size accepted: nothing was "
                                "saved.", limit=size_in(demo_app, "fr", LIMIT)) in text(response)
    assert documents_of(demo_app, owner["learner_id"]) == [] and stored_files(upload_dir) == []


def test_the_size_limit_is_configurable(demo_app, owner, upload_dir, monkeypatch):
    monkeypatch.setitem(demo_app.config, "DOCUMENT_MAX_BYTES", 1024)
    response = send(owner["client"], PDF + bytes(2048), "scan.pdf", "application/pdf")
    assert response.status_code == 413 and size_in(demo_app, "fr", 1024) in text(response)
    assert upload_ok(demo_app, owner)["size"] == len(PDF)


# --- accepted uploads ------------------------------------------------------------------------------

def test_a_good_pdf_is_kept_outside_the_web_root_with_its_checksum(demo_app, owner, upload_dir):
    response = send(owner["client"], PDF, "Résidence permanente.pdf", "application/pdf")
    assert response.status_code == 302
    page = text(owner["client"].get(DOCS))
    assert said(demo_app, "fr", "The file “%(name)s” is saved with your application.",
                name="Résidence permanente.pdf") in page
    assert said(demo_app, "fr", "Immigration status document") in page and "Résidence permanente.pdf" in page
    (document,) = documents_of(demo_app, owner["learner_id"])
    assert document["sha256"] == hashlib.sha256(PDF).hexdigest() and document["size"] == len(PDF)
    assert document["content_type"] == "application/pdf" and document["type"] == DocumentType.IMMIGRATION_STATUS
    (path,) = stored_files(upload_dir)
    assert path.name == document["key"] and "Résidence" not in str(path)
    assert path.read_bytes() == PDF
    static = Path(demo_app.static_folder).resolve()
    assert static not in path.resolve().parents


def test_jpeg_and_png_are_accepted_whatever_the_case_of_the_extension(demo_app, owner, upload_dir):
    assert upload_ok(demo_app, owner, JPEG, "CARTE.JPEG", "image/jpeg")["content_type"] == "image/jpeg"
    assert upload_ok(demo_app, owner, PNG, "bail.png", "image/png")["content_type"] == "image/png"
    assert len(stored_files(upload_dir)) == 2


def test_the_owner_downloads_an_attachment_nobody_caches(demo_app, owner, upload_dir):
    document = upload_ok(demo_app, owner, filename="../../Résidence\x07 permanente.pdf")
    assert document["name"] == "Résidence permanente.pdf"
    response = owner["client"].get(f"{DOCS}/{document['id']}")
    assert response.status_code == 200 and response.data == PDF
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''R%C3%A9sidence%20permanente.pdf" in disposition
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.mimetype == "application/pdf"


def test_a_learner_cannot_open_or_delete_another_learners_document(demo_app, owner, upload_dir):
    document = upload_ok(demo_app, owner)
    other = make_applicant(demo_app)
    intruder = demo_app.test_client()
    login(intruder, other["username"])
    start(intruder)
    assert intruder.get(f"{DOCS}/{document['id']}").status_code == 404
    assert intruder.post(f"{DOCS}/{document['id']}/delete").status_code == 404
    assert documents_of(demo_app, owner["learner_id"]) == [document]
    assert intruder.get(f"/staff/documents/{document['id']}").status_code == 403


def test_a_case_officer_can_download_and_the_help_desk_cannot(demo_app, owner, upload_dir, client, auth):
    document = upload_ok(demo_app, owner)
    url = f"/staff/documents/{document['id']}"
    assert client.get(url).status_code == 302  # visitors go to the login page

    auth.login("support")
    assert client.get(url).status_code == 403
    auth.logout()
    auth.login("partner")
    assert client.get(url).status_code == 403
    auth.logout()

    auth.login("agent")
    response = client.get(url)
    assert response.status_code == 200 and response.data == PDF
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    with demo_app.app_context():
        logged = db.session.scalar(select(func.count(AccessLog.id)).where(
            AccessLog.learner_id == owner["learner_id"], AccessLog.what == "application_document"))
        db.session.remove()
    assert logged == 1
    assert client.get("/staff/documents/999999999").status_code == 404
    auth.logout()
    auth.login("admin")
    assert client.get(url).status_code == 200


def test_a_document_is_deleted_while_a_draft_but_not_once_under_review(demo_app, owner, upload_dir):
    first = upload_ok(demo_app, owner)
    response = owner["client"].post(f"{DOCS}/{first['id']}/delete")
    assert response.status_code == 302
    assert documents_of(demo_app, owner["learner_id"]) == [] and stored_files(upload_dir) == []

    kept = upload_ok(demo_app, owner)
    fill_steps(demo_app, owner["client"])
    step(owner["client"], 4, {"consent_truthful": "y", "consent_privacy": "y"}, action="send")
    assert application_of(demo_app, owner["learner_id"])["status"] == S.SUBMITTED
    refused = owner["client"].post(f"{DOCS}/{kept['id']}/delete")
    assert refused.status_code == 302
    assert said(demo_app, "fr", "This document can no longer be deleted: your application is being reviewed.") \
        in text(owner["client"].get(DOCS))
    assert documents_of(demo_app, owner["learner_id"]) == [kept] and len(stored_files(upload_dir)) == 1


def test_documents_asked_for_are_added_and_the_application_sent_back(demo_app, owner, upload_dir):
    fill_steps(demo_app, owner["client"])
    step(owner["client"], 4, {"consent_truthful": "y", "consent_privacy": "y"}, action="send")
    with demo_app.test_request_context():
        application = db.session.get(Application, application_of(demo_app, owner["learner_id"])["id"])
        intake.transition(db.session, application, S.DOCUMENTS_REQUESTED, note="Preuve de statut")
        db.session.commit()
        db.session.remove()
    page = text(owner["client"].get(HOME))
    assert said(demo_app, "fr", "Documents requested") in page and "Preuve de statut" in page
    upload_ok(demo_app, owner)
    assert owner["client"].post(f"{HOME}send").status_code == 302
    saved = application_of(demo_app, owner["learner_id"])
    assert saved["status"] == S.SUBMITTED
    rules = {rule["code"]: rule["passed"] for rule in saved["eligibility"]["rules"]}
    assert rules["status_document"] is True


def test_no_document_can_be_added_once_the_application_is_withdrawn(demo_app, owner, upload_dir):
    owner["client"].post(f"{HOME}withdraw", data={"confirm": "1"})
    response = send(owner["client"], PDF, "statut.pdf", "application/pdf")
    assert response.status_code == 302
    assert documents_of(demo_app, owner["learner_id"]) == [] and stored_files(upload_dir) == []


# --- the store itself --------------------------------------------------------------------------------

def test_the_store_refuses_a_folder_inside_the_web_root(demo_app, tmp_path):
    with pytest.raises(RuntimeError):
        DocumentStore(Path(demo_app.static_folder) / "uploads", web_root=demo_app.static_folder)
    DocumentStore(tmp_path / "elsewhere", web_root=demo_app.static_folder)


def test_file_names_are_reduced_to_a_safe_base_name():
    assert clean_filename("../../etc/passwd.pdf") == "passwd.pdf"
    assert clean_filename("C:\\Users\\amina\\Carte d'identité.png") == "Carte d'identité.png"
    assert clean_filename("a\r\nb\";.pdf") == "ab;.pdf"
    assert clean_filename("   ") == ""
