"""Static, bilingual content of the demo data set (read by ``app.services.demo``).

Region names are the official toponyms, which keep their French form in English too. E-mail
addresses use the reserved ``.example`` domain and telephone numbers the fictitious 555 exchange,
so that nothing in the demo can reach a real person.
"""
from __future__ import annotations

from ..models import CourseFormat, PartnerType

# (code, French name, English name) — Québec's 17 administrative regions.
REGIONS = [
    ("01", "Bas-Saint-Laurent", "Bas-Saint-Laurent"),
    ("02", "Saguenay–Lac-Saint-Jean", "Saguenay–Lac-Saint-Jean"),
    ("03", "Capitale-Nationale", "Capitale-Nationale"),
    ("04", "Mauricie", "Mauricie"),
    ("05", "Estrie", "Estrie"),
    ("06", "Montréal", "Montréal"),
    ("07", "Outaouais", "Outaouais"),
    ("08", "Abitibi-Témiscamingue", "Abitibi-Témiscamingue"),
    ("09", "Côte-Nord", "Côte-Nord"),
    ("10", "Nord-du-Québec", "Nord-du-Québec"),
    ("11", "Gaspésie–Îles-de-la-Madeleine", "Gaspésie–Îles-de-la-Madeleine"),
    ("12", "Chaudière-Appalaches", "Chaudière-Appalaches"),
    ("13", "Laval", "Laval"),
    ("14", "Lanaudière", "Lanaudière"),
    ("15", "Laurentides", "Laurentides"),
    ("16", "Montérégie", "Montérégie"),
    ("17", "Centre-du-Québec", "Centre-du-Québec"),
]

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

# (code, French name, English name, French description, English description)
CLIENT_CATEGORIES = [
    ("immigrant", "Personne immigrante", "Immigrant",
     "Personne immigrante domiciliée au Québec.", "Immigrant living in Québec."),
    ("canadian", "Personne née au Canada ou citoyenne canadienne", "Canadian-born or Canadian citizen",
     "Personne née au Canada ou ayant la citoyenneté canadienne et domiciliée au Québec.",
     "Person born in Canada or holding Canadian citizenship and living in Québec."),
    ("abroad", "Personne qui prépare son installation au Québec", "Preparing to settle in Québec",
     "Personne encore à l'étranger qui prépare son installation; cours en ligne seulement.",
     "Person still abroad preparing to settle; online courses only."),
    ("business_employee", "Personne travaillant pour une entreprise", "Business employee",
     "Personne formée dans son milieu de travail à la demande de son employeur.",
     "Person trained at the workplace at the employer's request."),
]

# (code, French name, English name, participation allowance excluded)
IMMIGRATION_STATUSES = [
    ("permanent_resident", "Résidence permanente", "Permanent resident", False),
    ("temporary_worker", "Travail temporaire", "Temporary worker", False),
    ("international_student", "Études internationales", "International student", False),
    ("asylum_seeker", "Demande d'asile en cours d'examen", "Asylum claimant (claim under review)", True),
    ("refugee", "Personne réfugiée ou protégée", "Refugee or protected person", False),
    ("family_member", "Membre de la famille parrainé", "Sponsored family member", False),
]

# (code, French name, English name) — benefits that exclude the participation allowance.
INCOME_SUPPORTS = [
    ("last_resort_aid", "Aide financière de dernier recours", "Last-resort financial assistance"),
    ("employment_insurance", "Assurance-emploi", "Employment insurance"),
    ("cnesst", "Indemnités de la CNESST", "CNESST benefits"),
    ("qpip", "Régime québécois d'assurance parentale", "Québec Parental Insurance Plan"),
]

# (code, French name, English name)
FIELDS = [
    ("health", "Santé et services sociaux", "Health and social services"),
    ("engineering", "Génie", "Engineering"),
    ("education", "Éducation", "Education"),
    ("administration", "Administration et affaires", "Administration and business"),
    ("it", "Technologies de l'information", "Information technology"),
    ("early_childhood", "Petite enfance", "Early childhood education"),
    ("trades", "Métiers de la construction", "Construction trades"),
]

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

# Names by origin, for learners that look like the people the service really serves.
NAMES = {
    "maghreb": (["Yasmine", "Karim", "Mehdi", "Samira", "Nadia", "Youssef", "Amine", "Salma", "Rachid",
                 "Imane", "Omar", "Leïla", "Sofiane", "Houda"],
                ["Benali", "El Amrani", "Haddad", "Bouazza", "Cherkaoui", "Mansouri", "Boukhari",
                 "Aït Ahmed", "Belkacem", "Zerrouki", "Benjelloun", "Taleb"]),
    "west_africa": (["Aminata", "Moussa", "Fatoumata", "Mamadou", "Awa", "Ibrahima", "Mariam", "Cheikh",
                     "Aïssatou", "Ousmane", "Grâce", "Jean-Claude", "Adama", "Rokia"],
                    ["Diallo", "Traoré", "Koné", "Ndiaye", "Sow", "Camara", "Ouédraogo", "Kouassi", "Mbaye",
                     "Tshibangu", "Nsimba", "Keïta"]),
    "latin_america": (["María", "José", "Valentina", "Carlos", "Luis", "Camila", "Andrés", "Daniela", "Jorge",
                       "Gabriela", "Diego", "Paola", "Juan Pablo", "Ximena"],
                      ["García", "Rodríguez", "Hernández", "López", "Martínez", "Ramírez", "Torres", "Flores",
                       "Rojas", "Vargas", "Castillo", "Morales", "Gutiérrez"]),
    "asia": (["Wei", "Li Na", "Mei", "Jun", "Minh", "Linh", "Thanh", "Priya", "Arjun", "Anjali", "Rahul",
              "Maria Cristina", "Jose Mari", "Ji-woo", "Hiroshi"],
             ["Wang", "Li", "Zhang", "Chen", "Nguyen", "Tran", "Pham", "Patel", "Sharma", "Singh", "Santos",
              "Reyes", "Dela Cruz", "Kim", "Park"]),
    "middle_east": (["Rami", "Lina", "Hassan", "Zeinab", "Ali", "Fatemeh", "Reza", "Maryam", "Nour", "Tarek",
                     "Rasha", "Bilal"],
                    ["Al-Khatib", "Rahimi", "Hosseini", "Karimi", "Nasser", "Saleh", "Darwish", "Khoury",
                     "Haddad", "Mansour"]),
    "eastern_europe": (["Olena", "Oleksandr", "Iryna", "Dmytro", "Natalia", "Andriy", "Yulia", "Serhiy",
                        "Anastasia", "Mihai", "Elena", "Bogdan"],
                       ["Kovalenko", "Shevchenko", "Bondarenko", "Tkachenko", "Melnyk", "Kravchenko",
                        "Popescu", "Ionescu", "Petrenko", "Moroz"]),
    "haiti": (["Wideline", "Jean-Robert", "Mirlande", "Stéphanie", "Jeff", "Nadège", "Ricardo", "Fabienne",
               "Widny", "Guerline"],
              ["Joseph", "Pierre", "Jean-Louis", "Charles", "Saint-Fleur", "Dorvil", "Augustin", "Baptiste",
               "Désir", "Louis-Jean"]),
    "canada": (["Emily", "Ryan", "Sarah", "Michael", "Jessica", "Daniel", "Olivia", "Matthew", "Hannah",
                "Connor", "Megan", "Tyler"],
               ["Smith", "Brown", "MacDonald", "Wilson", "Campbell", "Stewart", "O'Brien", "Cohen",
                "Thompson", "Fraser", "Murphy", "Anderson"]),
}

# Origin weights per client category, and the chance that a person of that origin prefers French.
ORIGIN_WEIGHTS = {
    "immigrant": {"maghreb": 18, "west_africa": 15, "latin_america": 20, "asia": 18, "middle_east": 10,
                  "eastern_europe": 10, "haiti": 9},
    "canadian": {"canada": 85, "asia": 5, "middle_east": 5, "eastern_europe": 5},
    "abroad": {"maghreb": 25, "west_africa": 20, "latin_america": 20, "asia": 15, "eastern_europe": 10,
               "middle_east": 10},
    "business_employee": {"latin_america": 35, "asia": 30, "west_africa": 15, "maghreb": 10,
                          "eastern_europe": 10},
}
FRENCH_PREFERENCE = {
    "maghreb": 0.9, "west_africa": 0.95, "haiti": 0.95, "latin_america": 0.7, "asia": 0.6,
    "middle_east": 0.7, "eastern_europe": 0.6, "canada": 0.25,
}

# Abroad: where people preparing to settle still live.
ABROAD_PLACES = {
    "maghreb": ["Casablanca, Maroc", "Alger, Algérie", "Tunis, Tunisie"],
    "west_africa": ["Dakar, Sénégal", "Abidjan, Côte d'Ivoire", "Bamako, Mali"],
    "latin_america": ["Bogotá, Colombia", "Ciudad de México, México", "Lima, Perú"],
    "asia": ["Manila, Philippines", "Hô Chi Minh-Ville, Viêt Nam", "Mumbai, India"],
    "eastern_europe": ["Kyiv, Ukraine", "București, România"],
    "middle_east": ["Beyrouth, Liban", "Amman, Jordanie"],
}

DROP_REASONS = [
    "A trouvé un emploi à temps plein dont l'horaire est incompatible avec le cours.",
    "Conflit d'horaire avec le travail de soir.",
    "Raisons familiales : garde des enfants non disponible.",
    "Problème de santé; souhaite reprendre à la prochaine session.",
    "Déménagement dans une autre région.",
    "Niveau du cours trop avancé; demande un nouveau classement.",
    "Transport : trajet trop long depuis le domicile.",
]

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

PARTNER_NOTES = [
    "Absences répétées signalées par l'enseignante; appel fait à la personne.",
    "Demande un changement de groupe pour un horaire de soir.",
    "Progrès rapides à l'oral; à évaluer pour un passage au niveau suivant.",
]
