"""The reference rows the service needs in production, whoever uses it: regions, client categories,
immigration statuses, income supports and course fields.

The rules read these rows by code (``applications`` and ``eligibility`` name the client categories;
an immigration status marked ``allowance_excluded`` and any income support bar the participation
allowance), so the codes here are part of the domain, like the standard allowance rules of
``allowances``. ``flask seed-reference`` (a deploy step) and the demo both load them through
``ensure_reference_data``; an administrator edits names afterwards in the back office.

Region names are the official toponyms, which keep their French form in English too.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import ClientCategory, Field, ImmigrationStatus, IncomeSupport, Region

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

# (code, French name, English name) — fields of the specialised courses.
FIELDS = [
    ("health", "Santé et services sociaux", "Health and social services"),
    ("engineering", "Génie", "Engineering"),
    ("education", "Éducation", "Education"),
    ("administration", "Administration et affaires", "Administration and business"),
    ("it", "Technologies de l'information", "Information technology"),
    ("early_childhood", "Petite enfance", "Early childhood education"),
    ("trades", "Métiers de la construction", "Construction trades"),
]


@dataclass
class ReferenceRows:
    """Every reference row by code, per table."""

    regions: dict[str, Region]
    categories: dict[str, ClientCategory]
    statuses: dict[str, ImmigrationStatus]
    supports: dict[str, IncomeSupport]
    fields: dict[str, Field]

    def counts(self) -> dict[str, int]:
        return {"regions": len(self.regions), "client_categories": len(self.categories),
                "immigration_statuses": len(self.statuses), "income_supports": len(self.supports),
                "fields": len(self.fields)}


def ensure_reference_data(session: Session) -> ReferenceRows:
    """Create the reference rows whose code is missing (running it again changes nothing); existing
    rows are left as they are, names included. Flushes, commits nothing."""

    def by_code(model, wanted: list[dict]) -> dict:
        existing = {row.code: row for row in session.scalars(select(model))}
        for values in wanted:
            if values["code"] not in existing:
                row = model(**values)
                session.add(row)
                existing[values["code"]] = row
        session.flush()
        return existing

    return ReferenceRows(
        regions=by_code(Region, [{"code": code, "name_fr": fr, "name_en": en} for code, fr, en in REGIONS]),
        categories=by_code(ClientCategory, [
            {"code": code, "name_fr": fr, "name_en": en, "description_fr": dfr, "description_en": den}
            for code, fr, en, dfr, den in CLIENT_CATEGORIES]),
        statuses=by_code(ImmigrationStatus, [
            {"code": code, "name_fr": fr, "name_en": en, "allowance_excluded": excluded}
            for code, fr, en, excluded in IMMIGRATION_STATUSES]),
        supports=by_code(IncomeSupport, [
            {"code": code, "name_fr": fr, "name_en": en} for code, fr, en in INCOME_SUPPORTS]),
        fields=by_code(Field, [{"code": code, "name_fr": fr, "name_en": en} for code, fr, en in FIELDS]),
    )
