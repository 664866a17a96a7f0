"""What surrounds the demo learners' files: agents' and partners' case notes, messages in the
outbox, the consultations of the demo learner's file, and blocked time in timetables."""
from __future__ import annotations

import datetime as dt

from ..models import (
    AccessLog, ApplicationStatus, Availability, AvailabilityKind, CaseNote, DeliveryStatus, EnrolmentStatus,
    Language, Message,
)
from ..services import access_log
from ..services.access import AGENT, PARTNER_STAFF
from ..services.messaging import render
from .organisations import DEMO_PARTNER
from .people import Person
from .rows import bulk
from .state import LearnerFiles

PARTNER_NOTES = [
    "Absences répétées signalées par l'enseignante; appel fait à la personne.",
    "Demande un changement de groupe pour un horaire de soir.",
    "Progrès rapides à l'oral; à évaluer pour un passage au niveau suivant.",
]


def create_notes_and_messages(files: LearnerFiles) -> None:
    notes, messages, availability = [], [], []
    cal, today = files.calendar, files.today
    for person in files.people:
        rng, learner = person.rng, person.learner
        status = person.application.status
        drops = [p for p in person.enrolments if p.status == EnrolmentStatus.DROPPED]
        waits = [p for p in person.enrolments if p.status == EnrolmentStatus.WAITLISTED]
        if drops:
            follow = drops[0].ended_on + dt.timedelta(days=10)
            notes.append({"learner_id": learner.id, "author_id": files.agent_id,
                          "body": f"Abandon du groupe {drops[0].section.code} : {drops[0].reason} "
                                  "Relancer pour proposer un autre horaire.",
                          "follow_up_on": follow, "follow_up_done": follow < today,
                          "created_at": cal.at(drops[0].ended_on, 14 * 60)})
        if waits:
            notes.append({"learner_id": learner.id, "author_id": files.agent_id,
                          "body": f"En position {waits[0].position} sur la liste d'attente du groupe "
                                  f"{waits[0].section.code}; proposer un cours à temps partiel en attendant.",
                          "follow_up_on": today + dt.timedelta(days=rng.randint(3, 21)), "follow_up_done": False,
                          "created_at": cal.at(today - dt.timedelta(days=rng.randint(1, 10)), 11 * 60)})
        if status == ApplicationStatus.DOCUMENTS_REQUESTED:
            notes.append({"learner_id": learner.id, "author_id": files.agent_id,
                          "body": f"Relance : {person.timeline[-1][3]}",
                          "follow_up_on": today + dt.timedelta(days=rng.randint(2, 10)), "follow_up_done": False,
                          "created_at": person.timeline[-1][1]})
        if status == ApplicationStatus.COMPLETE and cal.shift(person.completed, 50) < today:
            notes.append({"learner_id": learner.id, "author_id": files.agent_id,
                          "body": "Norme de 50 jours ouvrables dépassée : offrir un cours à temps partiel ou en "
                                  "ligne en attendant une place à temps complet.",
                          "follow_up_on": today + dt.timedelta(days=2), "follow_up_done": False,
                          "created_at": cal.at(today - dt.timedelta(days=1), 9 * 60)})
        seated = [p for p in person.enrolments if p.status == EnrolmentStatus.ENROLLED]
        if seated and seated[0].section.partner.name == DEMO_PARTNER and rng.random() < 0.25:
            notes.append({"learner_id": learner.id, "author_id": files.partner_user_id,
                          "partner_id": seated[0].section.partner_id, "body": rng.choice(PARTNER_NOTES),
                          "follow_up_on": None, "follow_up_done": False,
                          "created_at": cal.at(today - dt.timedelta(days=rng.randint(1, 20)), 15 * 60)})
        if person.user is not None and person.application.created_at.date() >= today - dt.timedelta(days=45):
            messages.append(message(person, "welcome", {"name": learner.first_name},
                                    person.application.created_at))
        if status == ApplicationStatus.DOCUMENTS_REQUESTED:
            text = {Language.FR: "Il manque un document à votre demande : veuillez le déposer dans votre dossier.",
                    Language.EN: "A document is missing from your application: please upload it to your file."}
            messages.append(message(person, "notice",
                                    {"name": learner.first_name, "text": text[learner.preferred_language]},
                                    person.timeline[-1][1]))
        if waits:
            text = {Language.FR: f"Vous êtes en position {waits[0].position} sur la liste d'attente du groupe "
                                 f"{waits[0].section.code}.",
                    Language.EN: f"You are number {waits[0].position} on the waiting list of group "
                                 f"{waits[0].section.code}."}
            messages.append(message(person, "notice",
                                    {"name": learner.first_name, "text": text[learner.preferred_language]},
                                    waits[0].row.created_at))
        if person.story != "demo" and rng.random() < 0.12:
            availability.append({"learner_id": learner.id, "weekday": rng.choice([1, 2, 3, 4, 5]),
                                 "starts_at": dt.time(8, 0), "ends_at": dt.time(16, 0),
                                 "kind": AvailabilityKind.BLOCKED})
        if person.story == "demo":
            notes += demo_learner_notes(files, person)
            availability += [
                {"learner_id": learner.id, "weekday": 7, "starts_at": dt.time(8, 0), "ends_at": dt.time(17, 0),
                 "kind": AvailabilityKind.BLOCKED},
                {"learner_id": learner.id, "weekday": 5, "starts_at": dt.time(17, 0), "ends_at": dt.time(21, 0),
                 "kind": AvailabilityKind.BLOCKED},
            ]
            bulk(files.session, AccessLog, [
                {"learner_id": learner.id, "viewer_id": files.agent_id, "role": AGENT,
                 "organisation": "Francisation Québec", "what": access_log.APPLICATION,
                 "at": cal.at(person.decided, 10 * 60)},
                {"learner_id": learner.id, "viewer_id": files.partner_user_id, "role": PARTNER_STAFF,
                 "organisation": DEMO_PARTNER, "what": access_log.ATTENDANCE,
                 "at": cal.at(today - dt.timedelta(days=3), 13 * 60)},
            ])
    for note in notes:
        note.setdefault("partner_id", None)
    bulk(files.session, CaseNote, notes)
    bulk(files.session, Message, messages)
    bulk(files.session, Availability, availability)


def demo_learner_notes(files: LearnerFiles, person: Person) -> list[dict]:
    learner, cal, today = person.learner, files.calendar, files.today
    return [
        {"learner_id": learner.id, "author_id": files.agent_id,
         "body": "Niveau 3 réussi dans les quatre compétences; inscription au niveau 4 à temps complet confirmée.",
         "follow_up_on": None, "follow_up_done": False,
         "created_at": cal.at(person.enrolments[0].section.ends_on + dt.timedelta(days=3), 10 * 60)},
        {"learner_id": learner.id, "author_id": files.agent_id,
         "body": "Vérifier la reconduction de l'allocation de frais de garde (1 enfant).",
         "follow_up_on": today + dt.timedelta(days=5), "follow_up_done": False,
         "created_at": cal.at(today - dt.timedelta(days=4), 14 * 60)},
    ]


def message(person: Person, template: str, payload: dict, at: dt.datetime) -> dict:
    """An e-mail to the learner, rendered in their language, left in the outbox."""
    language = person.learner.preferred_language
    subject, body = render(template, language, payload)
    return {"recipient": person.learner.email, "learner_id": person.learner.id, "language": language,
            "template": template, "subject": subject, "body": body, "payload": payload,
            "status": DeliveryStatus.OUTBOX, "attempts": 1, "created_at": at}
