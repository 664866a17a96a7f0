"""The course catalogue (four formats, twelve levels, specialised fields) and the demo's three terms
around today: the previous one, the current one (started) and the upcoming one (registration open)."""
from __future__ import annotations

import datetime as dt

from babel.dates import format_date
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..models import Course, CourseFormat, Enrolment, Learner, Section, Term, TermClosedDate
from ..models.reference import stage_of
from .calendar import WEEK, monday_of
from .people import DEMO_LEARNER_FILE
from .rows import ensure
from .state import DemoState

STAGES = {
    "beginner": ("débutant", "beginner"),
    "intermediate": ("intermédiaire", "intermediate"),
    "advanced": ("avancé", "advanced"),
}

STAGE_GOALS = {
    "beginner": (
        "Comprendre et utiliser des expressions familières pour les besoins de la vie quotidienne : "
        "se présenter, faire des achats, prendre un rendez-vous, s'orienter en ville.",
        "Understand and use familiar expressions for everyday needs: introducing yourself, shopping, "
        "making an appointment, finding your way around town.",
    ),
    "intermediate": (
        "Communiquer avec aisance dans des situations courantes de la vie sociale et professionnelle, "
        "lire des textes informatifs et rédiger des messages structurés.",
        "Communicate with ease in common social and work situations, read informative texts and "
        "write structured messages.",
    ),
    "advanced": (
        "Argumenter, nuancer et rédiger des textes complexes pour participer pleinement à la vie "
        "professionnelle et citoyenne du Québec.",
        "Argue, qualify and write complex texts to take a full part in Québec's working and civic life.",
    ),
}

# Specialised courses: (code, field code, format, level_min, level_max, hours/week, French title, English title)
SPECIALISED_COURSES = [
    ("SP-SANTE", "health", CourseFormat.PART_TIME, 7, 10, 6,
     "Français pour les professionnels de la santé", "French for health professionals"),
    ("SP-GENIE", "engineering", CourseFormat.PART_TIME, 7, 10, 6,
     "Français pour les ingénieurs", "French for engineers"),
    ("SP-EDUC", "education", CourseFormat.PART_TIME, 8, 11, 6,
     "Français pour le personnel enseignant", "French for teachers"),
    ("SP-ADMIN", "administration", CourseFormat.PART_TIME, 6, 9, 6,
     "Français des affaires et de l'administration", "French for business and administration"),
    ("SP-TI", "it", CourseFormat.PART_TIME, 6, 9, 6,
     "Français pour les technologies de l'information", "French for information technology"),
    ("SP-ENFANCE", "early_childhood", CourseFormat.PART_TIME, 5, 8, 6,
     "Français pour l'éducation à la petite enfance", "French for early childhood educators"),
    ("TCS-SANTE", "health", CourseFormat.FULL_TIME, 7, 8, 25,
     "Français intensif en santé et services sociaux", "Intensive French for health and social services"),
]

# Hours a week of the part-time course of each level.
PART_TIME_HOURS = {1: 12, 2: 12, 3: 9, 4: 9, 5: 9, 6: 6, 7: 6, 8: 6, 9: 6, 10: 4, 11: 4, 12: 4}


def term_starts(session: Session, today: dt.date) -> dict[str, dt.date]:
    """Start dates of the demo's previous, current and upcoming terms (12 weeks apart).

    The current term started on the Monday five weeks before the first run; later runs find that
    Monday again from the demo learner's first term, so they reuse the same terms.
    """
    first = session.scalar(
        select(func.min(Term.starts_on)).join(Section, Section.term_id == Term.id)
        .join(Enrolment, Enrolment.section_id == Section.id).join(Learner, Learner.id == Enrolment.learner_id)
        .where(Learner.file_number == DEMO_LEARNER_FILE))
    current = first + 12 * WEEK if first is not None else monday_of(today - 5 * WEEK)
    return {"previous": current - 12 * WEEK, "current": current, "upcoming": current + 12 * WEEK}


def term_code(start: dt.date) -> str:
    return f"S{start:%Y%m%d}"


def demo_terms(session: Session, today: dt.date | None = None) -> dict[str, Term | None]:
    """The demo's terms by role: ``previous``, ``current`` (started) and ``upcoming`` (registration open)."""
    starts = term_starts(session, today or dt.date.today())
    return {key: session.scalar(select(Term).where(Term.code == term_code(start))) for key, start in starts.items()}


def seed_courses(demo: DemoState) -> None:
    """Full-time and part-time courses at each level, online ones (5 to 8), workplace ones by stage,
    and the specialised courses, each described in both languages."""
    wanted = []

    def course(code, fmt, level_min, level_max, hours, weeks, title_fr, title_en, extra_fr, extra_en,
               field_code=None, with_tutor=False):
        stage = stage_of(level_min)
        goal_fr, goal_en = STAGE_GOALS[stage]
        stage_fr, stage_en = STAGES[stage]
        levels_fr = f"niveau {level_min}" if level_min == level_max else f"niveaux {level_min} à {level_max}"
        levels_en = f"level {level_min}" if level_min == level_max else f"levels {level_min} to {level_max}"
        wanted.append((code, {
            "code": code, "format": fmt, "level_min": level_min, "level_max": level_max,
            "hours_per_week": hours, "weeks": weeks, "total_hours": hours * weeks,
            "title_fr": title_fr, "title_en": title_en, "with_tutor": with_tutor,
            "field": demo.fields[field_code] if field_code else None,
            "description_fr": f"Stade {stage_fr}, {levels_fr} de l'échelle québécoise des niveaux de "
                              f"compétence en français. {goal_fr} {extra_fr}",
            "description_en": f"{stage_en.capitalize()} stage, {levels_en} of the Québec scale of French "
                              f"proficiency levels. {goal_en} {extra_en}",
        }))

    for level in range(1, 13):
        hours = 25 if level <= 8 else 30
        course(f"TC-{level:02d}", CourseFormat.FULL_TIME, level, level, hours, 10,
               f"Français à temps complet — niveau {level}", f"Full-time French — level {level}",
               f"10 semaines, {hours} heures par semaine, du lundi au vendredi, de jour. Cours gratuit; "
               "allocations de participation, de transport et de garde selon l'admissibilité.",
               f"10 weeks, {hours} hours a week, Monday to Friday, daytime. Free of charge; participation, "
               "transport and childcare allowances for those eligible.")
    for level in range(1, 13):
        hours = PART_TIME_HOURS[level]
        course(f"TP-{level:02d}", CourseFormat.PART_TIME, level, level, hours, 11,
               f"Français à temps partiel — niveau {level}", f"Part-time French — level {level}",
               f"11 semaines, {hours} heures par semaine, le soir ou la fin de semaine.",
               f"11 weeks, {hours} hours a week, evenings or weekends.")
    for level in range(5, 9):
        course(f"EL-{level:02d}-T", CourseFormat.ONLINE, level, level, 4, 11,
               f"Français en ligne avec tutorat — niveau {level}",
               f"Online French with a tutor — level {level}",
               "Classe virtuelle deux soirs par semaine avec une personne tutrice; accessible depuis "
               "l'étranger.", "Virtual classroom two evenings a week with a tutor; open to people abroad.",
               with_tutor=True)
        course(f"EL-{level:02d}-A", CourseFormat.ONLINE, level, level, 5, 11,
               f"Français en ligne en autonomie — niveau {level}",
               f"Self-paced online French — level {level}",
               "Activités en ligne à son rythme, sans horaire fixe; accessible depuis l'étranger.",
               "Self-paced online activities with no fixed schedule; open to people abroad.")
    for code, level_min, level_max, stage in (("MT-DEB", 1, 4, "beginner"), ("MT-INT", 5, 8, "intermediate"),
                                              ("MT-AVA", 9, 12, "advanced")):
        stage_fr, stage_en = STAGES[stage]
        course(code, CourseFormat.WORKPLACE, level_min, level_max, 4, 11,
               f"Français en milieu de travail — stade {stage_fr}",
               f"French in the workplace — {stage_en} stage",
               "Donné dans les locaux de l'entreprise selon un plan de formation convenu avec elle.",
               "Taught at the business's premises following a training plan agreed with it.")
    for code, field_code, fmt, level_min, level_max, hours, title_fr, title_en in SPECIALISED_COURSES:
        weeks = 10 if fmt == CourseFormat.FULL_TIME else 11
        course(code, fmt, level_min, level_max, hours, weeks, title_fr, title_en,
               "Vocabulaire, situations de communication et textes propres au domaine.",
               "Vocabulary, communication situations and texts specific to the field.", field_code=field_code)
    demo.courses = ensure(demo.session, Course, lambda c: c.code, wanted)


def seed_terms(demo: DemoState) -> None:
    """The three terms, with their registration window, holiday break and professional development days."""
    starts = term_starts(demo.session, demo.today)
    current = starts["current"]
    wanted = []
    for key, start in starts.items():
        code = term_code(start)
        if key == "upcoming":
            opens, closes = current + 4 * WEEK, start - WEEK
        else:
            opens, closes = start - 8 * WEEK, start - dt.timedelta(days=3)
        closed = {}
        day = start
        while day < start + 11 * WEEK:
            if (day.month, day.day) >= (12, 24) or (day.month, day.day) <= (1, 2):
                if day.isoweekday() <= 5 and day not in demo.calendar.holidays:
                    closed[day] = ("Congé des Fêtes", "Holiday break")
            day += dt.timedelta(days=1)
        for offset in (25, 49):  # a Friday and a Monday
            closed.setdefault(start + dt.timedelta(days=offset),
                              ("Journée pédagogique", "Professional development day"))
        wanted.append((code, {
            "code": code, "starts_on": start, "ends_on": start + 11 * WEEK - dt.timedelta(days=1),
            "name_fr": f"Session du {format_date(start, 'd MMMM y', locale='fr_CA')}",
            "name_en": f"Session starting {format_date(start, 'MMMM d, y', locale='en_CA')}",
            "registration_opens": opens, "registration_closes": closes,
            "drop_deadline": start + 2 * WEEK, "use_offers": key == "upcoming", "offer_hours": 48,
            "closed_dates": [TermClosedDate(day=d, reason_fr=fr, reason_en=en)
                             for d, (fr, en) in sorted(closed.items())],
        }))
    terms = ensure(demo.session, Term, lambda term: term.code, wanted)
    demo.terms = {key: terms[term_code(start)] for key, start in starts.items()}
