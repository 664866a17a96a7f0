"""The demo learners' applications: each one's trail of events through the statuses, the agent's
decision, and the placement test results by skill."""
from __future__ import annotations

import datetime as dt

from ..models import (
    Application, ApplicationEvent, ApplicationStatus, CourseFormat, PlacementResult, Skill,
)
from .people import Person
from .rows import bulk
from .state import LearnerFiles

REFUSAL_REASONS = [
    "Ne réside pas au Québec et ne prépare pas son installation au Québec.",
    "Documents d'identité et de statut non fournis malgré deux relances.",
    "Fréquente déjà l'école à temps plein (fréquentation scolaire obligatoire).",
]

WITHDRAWAL_REASONS = [
    "La personne a retiré sa demande : retour aux études à temps plein.",
    "La personne a retiré sa demande : déménagement hors Québec.",
    "La personne a retiré sa demande : suit un cours privé.",
]

DOCUMENT_REQUESTS = [
    "Preuve de résidence au Québec manquante.",
    "Document d'immigration illisible; nouvelle copie demandée.",
    "Attestation de statut de demandeur d'asile à fournir.",
]

CLOSE_NOTES = [
    "Parcours terminé : objectifs de francisation atteints.",
    "Dossier fermé après la fin du cours; aucune nouvelle demande de la personne.",
]


def create_applications(files: LearnerFiles) -> None:
    events = []
    placements = []
    applications = [application_row(files, person) for person in files.people]
    files.session.add_all(applications)
    files.session.flush()
    for person in files.people:
        application = person.application
        previous = None
        for status, at, by_agent, note in person.timeline:
            events.append({"application_id": application.id, "from_status": previous, "to_status": status,
                           "actor_id": files.agent_id if by_agent else (person.user.id if person.user else None),
                           "at": at, "note": note,
                           # the agent's own note when the file is found complete: staff only
                           "internal": bool(by_agent and note and status == ApplicationStatus.COMPLETE)})
            previous = status
        if person.placed_on is not None:
            level = person.placement_level or person.level or 1
            rng = person.rng
            for skill in Skill:
                shift = {Skill.ORAL_COMPREHENSION: 1, Skill.ORAL_PRODUCTION: 0,
                         Skill.WRITTEN_COMPREHENSION: 0, Skill.WRITTEN_PRODUCTION: -1}[skill]
                skill_level = max(1, min(12, level + (shift if rng.random() < 0.6 else 0)))
                placements.append({"learner_id": person.learner.id, "application_id": application.id,
                                   "skill": skill, "level": skill_level, "assessed_on": person.placed_on,
                                   "assessor_id": files.agent_id})
            placements.append({"learner_id": person.learner.id, "application_id": application.id, "skill": None,
                               "level": level, "assessed_on": person.placed_on, "assessor_id": files.agent_id})
    bulk(files.session, ApplicationEvent, events)
    bulk(files.session, PlacementResult, placements)


def timeline(files: LearnerFiles, person: Person) -> list[tuple]:
    """The application's transitions (status, instant, by an agent, note); sets the key dates.

    Within a day the learner starts a draft before 8:30, submits during the day, an agent asks
    for documents at 9:30, the document comes back at 11:00, the file is complete at 16:50 and
    decisions are taken after that on the same day (or at office hours on a later day).
    """
    cal, rng, today, terms = files.calendar, person.rng, files.today, files.demo.terms
    story = person.story
    office = lambda: rng.randint(8 * 60 + 30, 16 * 60 + 30)
    yesterday = today - dt.timedelta(days=1)
    person.first_course = person.placed_on = person.decision_reason = None
    person.submitted = person.completed = person.decided = None
    first = next((e.section for e in person.enrolments), None)
    if story == "draft":
        created = today - dt.timedelta(days=rng.randint(1, 30))
        return [(ApplicationStatus.DRAFT, cal.at(created, rng.randint(7 * 60, 8 * 60 + 29)), False, None)]
    if story in ("submitted", "documents"):
        submitted = cal.shift(today, -(rng.randint(1, 8) if story == "submitted" else rng.randint(6, 25)))
        completed = None
    else:
        if story in ("demo", "enrolled", "dropped", "closed") and first is not None:
            delay = rng.randint(8, 50) if rng.random() < 0.75 else rng.randint(51, 95)
            completed = cal.shift(first.starts_on, -delay)
            person.first_course = first.starts_on
        elif story == "upcoming":
            completed = cal.shift(today, -rng.randint(5, 60))
        elif story == "upcoming_waiting":
            completed = cal.shift(today, -rng.randint(15, 60))
        elif story == "waiting":
            # approved before the current term's registration closed, then put on the waiting list
            completed = cal.shift(terms["current"].registration_closes, -rng.randint(10, 60))
        elif story == "complete":
            completed = cal.shift(today, -rng.randint(1, 70))
        else:  # refused, withdrawn
            completed = cal.shift(today, -rng.randint(10, 120))
        submitted = cal.shift(completed, -rng.randint(0, 10))
    created = submitted - dt.timedelta(days=rng.randint(0, 4))
    events = [(ApplicationStatus.DRAFT, cal.at(created, rng.randint(7 * 60, 8 * 60 + 29)), False, None),
              (ApplicationStatus.SUBMITTED, cal.at(submitted, office()), False, None)]
    person.submitted, person.completed = submitted, completed
    if story == "documents":
        asked = cal.shift(submitted, 2)
        events.append((ApplicationStatus.DOCUMENTS_REQUESTED, cal.at(asked, 9 * 60 + 30), True,
                       rng.choice(DOCUMENT_REQUESTS)))
        return events
    if story == "submitted":
        return events
    if (completed - submitted).days >= 4 and rng.random() < 0.35:
        asked = cal.shift(submitted, 1)
        back = min(cal.shift(asked, 1), completed)
        events.append((ApplicationStatus.DOCUMENTS_REQUESTED, cal.at(asked, 9 * 60 + 30), True,
                       rng.choice(DOCUMENT_REQUESTS)))
        events.append((ApplicationStatus.SUBMITTED, cal.at(back, 11 * 60), False, "Document ajouté au dossier."))
    if story == "withdrawn" and rng.random() < 0.4:
        person.decision_reason = rng.choice(WITHDRAWAL_REASONS)
        events.append((ApplicationStatus.WITHDRAWN, cal.at(completed, 16 * 60 + 45), False,
                       person.decision_reason))
        person.completed = None
        return events
    events.append((ApplicationStatus.COMPLETE, cal.at(completed, 16 * 60 + 50), True,
                   "Pièces vérifiées : dossier complet." if completed.day % 2 else None))
    if story == "complete":
        if rng.random() < 0.5:
            person.placed_on = min(cal.shift(completed, rng.randint(1, 10)), yesterday)
            person.level = person.placement_level = rng.choices(
                range(1, 11), weights=[9, 8, 7, 6, 5, 4, 3, 2, 2, 1])[0]
        return events
    if story == "withdrawn":
        person.decision_reason = rng.choice(WITHDRAWAL_REASONS)
        withdrawn = cal.shift(completed, rng.randint(2, 15))
        events.append((ApplicationStatus.WITHDRAWN, cal.at(min(withdrawn, yesterday), office()), False,
                       person.decision_reason))
        return events
    decided = cal.shift(completed, rng.randint(2, 8))
    if first is not None:
        decided = min(decided, first.starts_on - dt.timedelta(days=3))
    decided = max(min(decided, yesterday), completed)
    person.decided = decided
    decided_at = cal.at(decided, 17 * 60 + 5 if decided == completed else office())
    if story == "refused":
        person.decision_reason = rng.choice(REFUSAL_REASONS)
        events.append((ApplicationStatus.REFUSED, decided_at, True, person.decision_reason))
        return events
    person.placed_on = max(completed, cal.shift(decided, -1))
    person.decision_reason = "Personne admissible; classement fait."
    events.append((ApplicationStatus.APPROVED, decided_at, True, person.decision_reason))
    if story == "closed" and first is not None:
        closed_on = min(first.ends_on + dt.timedelta(days=rng.randint(5, 15)), yesterday)
        events.append((ApplicationStatus.CLOSED, cal.at(closed_on, office()), True, rng.choice(CLOSE_NOTES)))
    return events


def application_row(files: LearnerFiles, person: Person) -> Application:
    status = person.timeline[-1][0]
    fmt = person.format
    preferences = {
        CourseFormat.FULL_TIME: {"periods": ["day"], "weekdays": [1, 2, 3, 4, 5]},
        CourseFormat.PART_TIME: {"periods": [person.rng.choice(["evening", "weekend"])]},
        CourseFormat.ONLINE: {"periods": ["evening"], "online": True},
        CourseFormat.WORKPLACE: {"at_work": True},
    }[fmt]
    abroad = person.category == "abroad"
    eligibility = None
    if person.completed is not None:
        eligibility = {"age_16_or_more": True, "domiciled_in_quebec": not abroad, "preparing_to_settle": abroad,
                       "status_gives_access": True, "not_in_compulsory_schooling": True}
        if status == ApplicationStatus.REFUSED:
            eligibility["domiciled_in_quebec"] = False
    person.application = Application(
        learner=person.learner, format_wanted=fmt, schedule_preferences=preferences, region=person.region,
        status=status, created_at=person.timeline[0][1],
        submitted_at=files.calendar.at(person.submitted, 9 * 60) if person.submitted else None,
        complete_at=files.calendar.at(person.completed, 16 * 60 + 50) if person.completed else None,
        decided_at=next((at for st, at, *_ in person.timeline
                         if st in (ApplicationStatus.APPROVED, ApplicationStatus.REFUSED)), None),
        first_course_at=person.first_course,
        assigned_agent_id=files.agent_id if status not in (ApplicationStatus.DRAFT, ApplicationStatus.SUBMITTED)
        or person.rng.random() < 0.3 else None,
        decision_reason=person.decision_reason, eligibility=eligibility,
        consent_truthful=status != ApplicationStatus.DRAFT, consent_privacy=status != ApplicationStatus.DRAFT)
    return person.application
