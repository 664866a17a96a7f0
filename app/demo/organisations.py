"""Partners (school service centres, cégeps, universities, community organisations) with their
sites and teachers, the enterprises that train their workers, and the enterprises' requests.

E-mail addresses use the reserved ``.example`` domain and telephone numbers the fictitious 555
exchange, so that nothing in the demo can reach a real person.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict

from sqlalchemy import select

from ..models import (
    CourseFormat, Enterprise, EnterpriseMembership, EnterpriseRequest, Partner, PartnerMembership, PartnerType,
    RequestStatus, Site, Teacher,
)
from .rows import ensure, slug
from .state import DemoState

# Partners with their sites (short code used in section codes, name, address, city, postal code,
# region, accessible, accessibility notes fr/en, weight when placing groups) and teachers.
PARTNERS = [
    {
        "name": "Centre de services scolaire de Montréal", "type": PartnerType.SCHOOL_SERVICE_CENTRE,
        "region": "06", "email": "francisation@cssdm.example", "phone": "514 555-0101",
        "sites": [
            ("HING", "Centre William-Hingston", "419, rue Saint-Roch", "Montréal", "H3N 1K2", "06", True,
             "Entrée sans marche rue Saint-Roch; ascenseur vers tous les étages.",
             "Step-free entrance on Saint-Roch Street; elevator to every floor.", 6),
            ("THER", "Centre Yves-Thériault", "1111, rue Jean-Talon Est", "Montréal", "H2R 1V9", "06", True,
             "Portes automatiques; toilettes adaptées au rez-de-chaussée.",
             "Automatic doors; accessible washrooms on the ground floor.", 5),
            ("LART", "Centre Lartigue", "1150, rue Lartigue", "Montréal", "H2L 3P2", "06", False,
             "Pas d'ascenseur : les classes sont au 2e étage (escalier de 24 marches).",
             "No elevator: classrooms are on the 2nd floor (24-step staircase).", 3),
        ],
        "teachers": [("Catherine", "Lefebvre"), ("Mathieu", "Pelletier"), ("Geneviève", "Côté"),
                     ("Louis-Philippe", "Bergeron")],
    },
    {
        "name": "Centre de services scolaire de la Capitale", "type": PartnerType.SCHOOL_SERVICE_CENTRE,
        "region": "03", "email": "francisation@cscapitale.example", "phone": "418 555-0102",
        "sites": [
            ("JOLL", "Centre Louis-Jolliet", "1201, rue de la Pointe-aux-Lièvres", "Québec", "G1L 4M1", "03", True,
             "Stationnement réservé et rampe d'accès à l'entrée principale.",
             "Reserved parking and ramp at the main entrance.", 3),
            ("CHAR", "Centre de formation générale de Charlesbourg", "7400, boulevard Henri-Bourassa",
             "Québec", "G1H 3E8", "03", True, "Ascenseur et toilettes adaptées.",
             "Elevator and accessible washrooms.", 2),
        ],
        "teachers": [("Marie-Ève", "Gauthier"), ("Simon", "Ouellet"), ("Julie", "Morin")],
    },
    {
        "name": "Centre de services scolaire de Laval", "type": PartnerType.SCHOOL_SERVICE_CENTRE,
        "region": "13", "email": "francisation@cslaval.example", "phone": "450 555-0103",
        "sites": [
            ("BERG", "Centre Les Berges", "2475, boulevard Concorde Est", "Laval", "H7E 2B8", "13", True,
             "Entrée de plain-pied; ascenseur.", "Level entrance; elevator.", 3),
            ("TREM", "Centre Le Tremplin", "4100, boulevard Samson", "Laval", "H7W 2G8", "13", True,
             None, None, 2),
        ],
        "teachers": [("Annie", "Lapointe"), ("François", "Girard"), ("Nathalie", "Fortin")],
    },
    {
        "name": "Centre de services scolaire Marie-Victorin", "type": PartnerType.SCHOOL_SERVICE_CENTRE,
        "region": "16", "email": "francisation@csmv.example", "phone": "450 555-0104",
        "sites": [
            ("BROS", "Centre Antoine-Brossard", "3055, boulevard de Rome", "Brossard", "J4Y 1S9", "16", True,
             "Rampe d'accès côté stationnement.", "Access ramp on the parking side.", 3),
            ("LMOY", "Centre Le Moyne-D'Iberville", "1075, chemin du Coteau-Rouge", "Longueuil", "J4J 3R1",
             "16", False, "Accès par un escalier extérieur; aucune rampe.",
             "Access by an outdoor staircase; no ramp.", 2),
        ],
        "teachers": [("Sylvie", "Caron"), ("Patrick", "Dubé"), ("Émilie", "Leclerc")],
    },
    {
        "name": "Cégep de Sherbrooke", "type": PartnerType.CEGEP, "region": "05",
        "email": "francisation@cegepsherbrooke.example", "phone": "819 555-0105",
        "sites": [
            ("SHER", "Cégep de Sherbrooke — pavillon 3", "475, rue du Cégep", "Sherbrooke", "J1E 4K1", "05", True,
             "Campus accessible; ascenseurs dans tous les pavillons.",
             "Accessible campus; elevators in every building.", 3),
        ],
        "teachers": [("Isabelle", "Poirier"), ("Martin", "Bélanger"), ("Chantal", "Rousseau")],
    },
    {
        "name": "Cégep de l'Outaouais", "type": PartnerType.CEGEP, "region": "07",
        "email": "francisation@cegepoutaouais.example", "phone": "819 555-0106",
        "sites": [
            ("GROY", "Campus Gabrielle-Roy", "333, boulevard Cité-des-Jeunes", "Gatineau", "J8Y 6M4", "07", True,
             "Portes automatiques et ascenseur.", "Automatic doors and elevator.", 2),
        ],
        "teachers": [("Valérie", "Lévesque"), ("Éric", "Fournier"), ("Karine", "Boucher")],
    },
    {
        "name": "Cégep de Saint-Jérôme", "type": PartnerType.CEGEP, "region": "15",
        "email": "francisation@cstj.example", "phone": "450 555-0107",
        "sites": [
            ("SJER", "Cégep de Saint-Jérôme", "455, rue Fournier", "Saint-Jérôme", "J7Z 4V2", "15", True,
             None, None, 2),
        ],
        "teachers": [("Mélanie", "Paquette"), ("Stéphane", "Hébert")],
    },
    {
        "name": "Université Laval", "type": PartnerType.UNIVERSITY, "region": "03",
        "email": "francisation@ulaval.example", "phone": "418 555-0108",
        "sites": [
            ("ULAV", "Pavillon Charles-De Koninck", "1030, avenue des Sciences-Humaines", "Québec", "G1V 0A6",
             "03", True, "Tunnels et ascenseurs reliant les pavillons.",
             "Tunnels and elevators connect the buildings.", 3),
        ],
        "teachers": [("Anne-Marie", "Thibault"), ("Jean-François", "Nadeau"), ("Sophie", "Gagné")],
    },
    {
        "name": "Université du Québec à Trois-Rivières", "type": PartnerType.UNIVERSITY, "region": "04",
        "email": "francisation@uqtr.example", "phone": "819 555-0109",
        "sites": [
            ("UQTR", "Pavillon Ringuet", "3351, boulevard des Forges", "Trois-Rivières", "G8Z 4M3", "04", True,
             "Ascenseur; places de stationnement réservées.", "Elevator; reserved parking spaces.", 2),
            ("DRUM", "Campus de Drummondville", "555, boulevard de l'Université", "Drummondville", "J2C 0R5",
             "17", True, None, None, 1),
        ],
        "teachers": [("Claudine", "Marchand"), ("Olivier", "Beaulieu")],
    },
    {
        "name": "Centre multiethnique de Québec", "type": PartnerType.COMMUNITY, "region": "03",
        "email": "francisation@cmq.example", "phone": "418 555-0110",
        "sites": [
            ("CMQ", "Centre multiethnique — Saint-Roch", "369, rue de la Couronne", "Québec", "G1K 6E9", "03",
             True, "Entrée de plain-pied; garderie sur place pendant les cours du soir.",
             "Level entrance; childcare on site during evening classes.", 2),
            ("LEVI", "Point de service de Lévis", "5333, rue Saint-Georges", "Lévis", "G6V 4N1", "12", True,
             None, None, 1),
        ],
        "teachers": [("Hélène", "Villeneuve"), ("Benoît", "Lemieux")],
    },
    {
        "name": "Carrefour d'intégration de Montréal-Nord", "type": PartnerType.COMMUNITY, "region": "06",
        "email": "francisation@carrefour-mtlnord.example", "phone": "514 555-0111",
        "sites": [
            ("MTLN", "Carrefour d'intégration — Henri-Bourassa", "4242, boulevard Henri-Bourassa Est",
             "Montréal", "H1H 1L4", "06", False,
             "Local au sous-sol, accessible par escalier seulement.",
             "Basement room, reachable by stairs only.", 3),
        ],
        "teachers": [("Ginette", "Desrosiers"), ("Wilson", "Étienne")],
    },
    {
        "name": "Accueil et intégration Saguenay", "type": PartnerType.COMMUNITY, "region": "02",
        "email": "francisation@ais-saguenay.example", "phone": "418 555-0112",
        "sites": [
            ("SAGU", "Maison de l'accueil", "2675, boulevard du Royaume", "Saguenay", "G7S 5B8", "02", True,
             None, None, 1),
        ],
        "teachers": [("Manon", "Tremblay"), ("Alain", "Gravel")],
    },
]

DEMO_PARTNER = "Centre de services scolaire de Montréal"

# Enterprises: (NEQ, name, address, region, employee count, short code)
ENTERPRISES = [
    ("1164823907", "Aliments Saint-Laurent inc.", "8600, boulevard Saint-Michel, Montréal H1Z 3E9", "06", 240,
     "ASL"),
    ("1172056341", "Technologies Boréal inc.", "2700, boulevard Laurier, Québec G1V 4K5", "03", 85, "BOR"),
    ("1148390275", "Serres maraîchères de la Montérégie S.E.N.C.", "1250, rang Saint-Joseph, Sherrington J0L 2N0",
     "16", 130, "SMM"),
    ("1159274618", "Résidence Les Jardins de l'Estrie", "300, rue King Est, Sherbrooke J1G 1B1", "05", 60, "JDE"),
]

# Which partner delivers workplace training for each enterprise (by NEQ).
WORKPLACE_PARTNERS = {
    "1164823907": "Centre de services scolaire de Montréal",
    "1172056341": "Centre de services scolaire de la Capitale",
    "1148390275": "Centre de services scolaire Marie-Victorin",
    "1159274618": "Cégep de Sherbrooke",
}

# (NEQ, employees, level min, level max, status, partner, days ago, asked by the demo representative,
#  schedule notes)
ENTERPRISE_REQUESTS = [
    ("1164823907", 14, 1, 4, RequestStatus.IN_PROGRESS, DEMO_PARTNER, 150, True,
     "Deux séances de deux heures par semaine, avant le quart de jour."),
    ("1164823907", 8, 5, 8, RequestStatus.SUBMITTED, None, 6, True,
     "Employés de l'entrepôt; horaire de soir souhaité."),
    ("1172056341", 10, 5, 8, RequestStatus.SCHEDULED, "Centre de services scolaire de la Capitale", 40, False,
     "Formation à l'heure du dîner, mardi et jeudi."),
    ("1148390275", 20, 1, 4, RequestStatus.ASSIGNED, "Centre de services scolaire Marie-Victorin", 25, False,
     "Travailleurs agricoles saisonniers; horaire adapté aux quarts de travail dans les serres."),
    ("1159274618", 6, 5, 8, RequestStatus.COMPLETED, "Cégep de Sherbrooke", 300, False,
     "Préposées et préposés aux bénéficiaires."),
    ("1159274618", 5, 9, 12, RequestStatus.CANCELLED, None, 90, False,
     "Demande annulée par l'entreprise : projet reporté."),
]


def seed_organisations(demo: DemoState) -> None:
    """The partners with their sites and teachers, the enterprises, and the demo staff's memberships."""
    demo.partners = ensure(demo.session, Partner, lambda p: p.name, [
        (spec["name"], {"name": spec["name"], "type": spec["type"], "region": demo.regions[spec["region"]],
                        "email": spec["email"], "phone": spec["phone"]})
        for spec in PARTNERS])
    sites = ensure(demo.session, Site, lambda s: (s.partner_id, s.name), [
        ((demo.partners[spec["name"]].id, name), {
            "partner": demo.partners[spec["name"]], "name": name, "address": address, "city": city,
            "postal_code": postal, "region": demo.regions[region], "accessible": accessible,
            "accessibility_notes_fr": note_fr, "accessibility_notes_en": note_en})
        for spec in PARTNERS
        for _code, name, address, city, postal, region, accessible, note_fr, note_en, _w in spec["sites"]])
    teachers = ensure(demo.session, Teacher, lambda tc: (tc.partner_id, tc.first_name, tc.last_name), [
        ((demo.partners[spec["name"]].id, first, last), {
            "partner": demo.partners[spec["name"]], "first_name": first, "last_name": last,
            "email": f"{slug(first)}.{slug(last)}@{spec['email'].split('@')[1]}",
            "bio_fr": "Enseignante ou enseignant de français langue seconde.",
            "bio_en": "Teacher of French as a second language."})
        for spec in PARTNERS for first, last in spec["teachers"]])
    # site code -> (site, weight); partner name -> teachers
    demo.sites = {}
    demo.teachers = defaultdict(list)
    for spec in PARTNERS:
        partner = demo.partners[spec["name"]]
        for code, name, *_rest, weight in spec["sites"]:
            demo.sites[code] = (sites[(partner.id, name)], weight)
        demo.teachers[spec["name"]] = [teachers[(partner.id, first, last)] for first, last in spec["teachers"]]

    demo.enterprises = ensure(demo.session, Enterprise, lambda e: e.neq, [
        (neq, {"neq": neq, "name": name, "address": address, "region": demo.regions[region],
               "employee_count": count, "created_at": demo.calendar.at(demo.today - dt.timedelta(days=400), 600)})
        for neq, name, address, region, count, _code in ENTERPRISES])
    demo_partner = demo.partners[DEMO_PARTNER]
    demo_enterprise = demo.enterprises[ENTERPRISES[0][0]]
    ensure(demo.session, PartnerMembership, lambda m: (m.user_id, m.partner_id), [
        ((demo.users["partner"].id, demo_partner.id), {
            "user": demo.users["partner"], "partner": demo_partner,
            "job_title": "Conseillère pédagogique en francisation"})])
    ensure(demo.session, EnterpriseMembership, lambda m: (m.user_id, m.enterprise_id), [
        ((demo.users["enterprise"].id, demo_enterprise.id), {
            "user": demo.users["enterprise"], "enterprise": demo_enterprise,
            "job_title": "Directrice des ressources humaines"})])


def seed_enterprise_requests(demo: DemoState) -> None:
    """Requests of the enterprises created by this run (an enterprise keeps its own afterwards)."""
    have = set(demo.session.scalars(select(EnterpriseRequest.enterprise_id).distinct()))
    for neq, count, level_min, level_max, status, partner_name, days_ago, by_rep, notes in ENTERPRISE_REQUESTS:
        enterprise = demo.enterprises[neq]
        if enterprise.id in have:
            continue
        created = demo.calendar.at(demo.today - dt.timedelta(days=days_ago), 10 * 60 + 15)
        demo.session.add(EnterpriseRequest(
            enterprise=enterprise, requested_by_id=demo.users["enterprise"].id if by_rep else None,
            employees_count=count, site_address=enterprise.address, region_id=enterprise.region_id,
            format=CourseFormat.WORKPLACE, level_min=level_min, level_max=level_max, schedule_notes=notes,
            status=status, partner=demo.partners[partner_name] if partner_name else None, created_at=created,
            assigned_at=created + dt.timedelta(days=9) if partner_name else None))
