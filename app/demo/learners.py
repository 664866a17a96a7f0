"""The demo's learners and their files: who they are, where they live, and the writing of their
files (accounts, learners, applications, enrolments, records, money, notes) in bulk.

Addresses are made of real street names and forward sortation areas of each region, with a
fictitious civic number; telephone numbers use the fictitious 555 exchange.
"""
from __future__ import annotations

import datetime as dt

from flask import current_app
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from ..models import Language, Learner, Region
from ..services.access import LEARNER
from .accounts import DEMO_ACCOUNTS, ensure_preferences
from .applications import create_applications, timeline
from .finance import create_allowances
from .notes import create_notes_and_messages
from .people import FILE_PREFIX, FRENCH_PREFERENCE, NAMES, Person
from .records import create_enrolments, create_records
from .rows import slug
from .state import DemoState, LearnerFiles
from .stories import SEATING_ORDER, Seating, plan_people

# Where learners live: weights by region code (most newcomers settle around Montréal).
REGION_WEIGHTS = {
    "06": 45, "16": 12, "03": 9, "13": 8, "07": 4, "05": 4, "15": 3, "04": 2, "12": 2, "14": 2,
    "17": 2, "02": 2, "01": 1, "08": 1, "09": 0.5, "10": 0.3, "11": 0.5,
}

# Main city and forward sortation areas (first half of postal codes) of each region.
REGION_PLACES = {
    "01": ("Rimouski", ["G5L", "G5M"]),
    "02": ("Saguenay", ["G7H", "G7S", "G7B"]),
    "03": ("Québec", ["G1R", "G1K", "G1V", "G1M", "G2B"]),
    "04": ("Trois-Rivières", ["G8T", "G9A", "G8Z"]),
    "05": ("Sherbrooke", ["J1H", "J1E", "J1J"]),
    "06": ("Montréal", ["H2X", "H3S", "H1N", "H4L", "H3N", "H2R", "H1G", "H4N", "H3W"]),
    "07": ("Gatineau", ["J8T", "J9H", "J8Y"]),
    "08": ("Rouyn-Noranda", ["J9X"]),
    "09": ("Sept-Îles", ["G4R"]),
    "10": ("Chibougamau", ["G8P"]),
    "11": ("Gaspé", ["G4X"]),
    "12": ("Lévis", ["G6V", "G6W"]),
    "13": ("Laval", ["H7N", "H7T", "H7G", "H7V"]),
    "14": ("Joliette", ["J6E"]),
    "15": ("Saint-Jérôme", ["J7Z", "J7Y"]),
    "16": ("Longueuil", ["J4K", "J4H", "J4W", "J3Y"]),
    "17": ("Drummondville", ["J2B", "J2C"]),
}

STREETS = [
    "rue Saint-Denis", "boulevard Saint-Laurent", "avenue du Parc", "rue Sherbrooke Est",
    "rue Jean-Talon Ouest", "rue Beaubien Est", "avenue Papineau", "boulevard Henri-Bourassa Est",
    "rue de la Montagne", "chemin de la Côte-des-Neiges", "avenue Victoria", "rue Notre-Dame Ouest",
    "rue Principale", "boulevard des Laurentides", "rue King Ouest", "boulevard Talbot",
    "rue des Érables", "avenue des Pins", "rue Saint-Jean", "boulevard Saint-Joseph",
]

# Abroad: where people preparing to settle still live.
ABROAD_PLACES = {
    "maghreb": ["Casablanca, Maroc", "Alger, Algérie", "Tunis, Tunisie"],
    "west_africa": ["Dakar, Sénégal", "Abidjan, Côte d'Ivoire", "Bamako, Mali"],
    "latin_america": ["Bogotá, Colombia", "Ciudad de México, México", "Lima, Perú"],
    "asia": ["Manila, Philippines", "Hô Chi Minh-Ville, Viêt Nam", "Mumbai, India"],
    "eastern_europe": ["Kyiv, Ukraine", "București, România"],
    "middle_east": ["Beyrouth, Liban", "Amman, Jordanie"],
}


def seed_learners(demo: DemoState) -> None:
    """Plan every demo learner, seat them, and write the files of those not in the database yet."""
    existing_files = set(demo.session.scalars(
        select(Learner.file_number).where(Learner.file_number.like(FILE_PREFIX + "%"))))
    seating = Seating(demo)
    people = plan_people(demo)
    for story in SEATING_ORDER:
        for person in people:
            if person.story == story and person.file_number not in existing_files:
                seating.seat(person)
    new_people = [p for p in people if p.file_number not in existing_files]
    for person in new_people:
        if not person.enrolments:
            seating.choose_format(person)
    if new_people:
        write_files(LearnerFiles(demo, new_people))
    seating.record_seats_taken()


def write_files(files: LearnerFiles) -> None:
    """Each step reads what the one before wrote (learner ids, enrolment rows, class days)."""
    create_learners(files)
    create_applications(files)
    create_enrolments(files)
    create_records(files)
    create_allowances(files)
    create_notes_and_messages(files)


def create_learners(files: LearnerFiles) -> None:
    demo = files.demo
    learner_role = demo.sm.find_role(LEARNER)
    hashed = generate_password_hash(
        demo.password, method=current_app.config.get("FAB_PASSWORD_HASH_METHOD", "scrypt"),
        salt_length=current_app.config.get("FAB_PASSWORD_HASH_SALT_LENGTH", 16))
    languages = {}
    accounts = []
    for person in files.people:
        person.timeline = timeline(files, person)
    for person in files.people:
        rng = person.rng
        if person.story == "demo":
            account = next(a for a in DEMO_ACCOUNTS if a["username"] == "learner")
            first, last = account["first_name"], account["last_name"]
        else:
            firsts, lasts = NAMES[person.origin]
            first, last = rng.choice(firsts), rng.choice(lasts)
        person.first_name, person.last_name = first, last
        person.language = Language.FR if (person.story == "demo" or rng.random()
                                          < FRENCH_PREFERENCE[person.origin]) else Language.EN
        if person.story == "demo":
            account = demo.users["learner"]
            linked = files.session.scalar(select(Learner.id).where(Learner.user_id == account.id))
            person.user = None if linked else account
            person.email = account.email
        else:
            username = f"{slug(first)}.{slug(last)}.{person.index:04d}"
            person.email = f"{username}@courriel.example"
            # most people apply online with an account; some files are opened at the counter
            person.user = None
            if rng.random() < 0.9:
                person.user = demo.sm.user_model(
                    first_name=first[:64], last_name=last[:64], username=username, email=person.email,
                    password=hashed, active=True, roles=[learner_role])
                accounts.append(person.user)
        person.region = region_for(files, person)
    files.session.add_all(accounts)
    files.session.flush()
    for person in files.people:
        if person.user is not None:
            languages[person.user.id] = person.language
    ensure_preferences(files.session, [p.user for p in files.people if p.user is not None], languages)

    learners = []
    for person in files.people:
        learners.append(learner_row(files, person))
    files.session.add_all(learners)
    files.session.flush()


def region_for(files: LearnerFiles, person: Person) -> Region:
    demo = files.demo
    first = person.enrolments[0].section if person.enrolments else None
    if person.story == "demo":
        return demo.regions["06"]
    if first is not None and first.site is not None:
        return first.site.region
    if person.enterprise is not None:
        return person.enterprise.region
    codes = list(REGION_WEIGHTS)
    return demo.regions[person.rng.choices(codes, weights=list(REGION_WEIGHTS.values()))[0]]


def learner_row(files: LearnerFiles, person: Person) -> Learner:
    demo, rng, today = files.demo, person.rng, files.today
    is_demo = person.story == "demo"
    age = 34 if is_demo else rng.choice([16, 17] + list(range(19, 66)) * 3)
    birth = dt.date(today.year - age, 1, 1) + dt.timedelta(days=rng.randint(0, 364))
    if birth > dt.date(today.year - 16, today.month, min(today.day, 28)):
        birth = dt.date(today.year - 17, birth.month, min(birth.day, 28))
    category = person.category
    status = None
    arrival = None
    if category == "immigrant":
        weights = {"permanent_resident": 40, "temporary_worker": 16, "international_student": 8,
                   "asylum_seeker": 14, "refugee": 10, "family_member": 12}
        status = "permanent_resident" if is_demo else rng.choices(list(weights), weights=list(weights.values()))[0]
        arrival = today - dt.timedelta(days=420 if is_demo else rng.randint(45, 5 * 365))
    elif category == "abroad":
        status = rng.choices(["permanent_resident", "temporary_worker", "international_student"],
                             weights=[60, 25, 15])[0]
    elif category == "business_employee":
        status = rng.choices(["temporary_worker", "permanent_resident", "refugee"], weights=[50, 40, 10])[0]
        arrival = today - dt.timedelta(days=rng.randint(200, 3 * 365))
    support = None
    if category in ("immigrant", "canadian") and not is_demo and rng.random() < 0.16:
        support = rng.choices(["last_resort_aid", "employment_insurance", "cnesst", "qpip"],
                              weights=[40, 35, 12, 13])[0]
    region = person.region
    city, areas = REGION_PLACES[region.code]
    if category == "abroad":
        address, postal = rng.choice(ABROAD_PLACES.get(person.origin, ["Paris, France"])), None
    else:
        address = f"{rng.randint(10, 9800)}, {rng.choice(STREETS)}, {city}"
        postal = f"{rng.choice(areas)} {rng.randint(1, 9)}{rng.choice('ABCEGHJKLMNPRSTVXY')}{rng.randint(1, 9)}"
    phone_area = {"06": "514", "13": "450", "16": "450", "15": "450", "14": "450", "03": "418", "12": "418",
                  "02": "418", "01": "418", "09": "418", "11": "418"}.get(region.code, "819")
    person.learner = Learner(
        file_number=person.file_number, user=person.user, first_name=person.first_name,
        last_name=person.last_name, email=person.email,
        phone=None if category == "abroad" else f"{phone_area} 555-{rng.randint(0, 9999):04d}",
        birth_date=birth, category=demo.categories[category],
        status=demo.statuses[status] if status else None, income_support=demo.supports[support] if support else None,
        arrival_date=arrival, region=region, living_abroad=category == "abroad", address=address,
        postal_code=postal, preferred_language=person.language, current_level=person.level,
        children_in_care=1 if is_demo else rng.choices([0, 1, 2, 3], weights=[72, 14, 10, 4])[0],
        consent_data_sharing=is_demo or rng.random() < 0.6,
        consent_employer_progress=category == "business_employee" and rng.random() < 0.8,
        enterprise=person.enterprise if category == "business_employee" else None,
        created_at=person.timeline[0][1],
    )
    return person.learner
