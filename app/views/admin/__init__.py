"""The generated back office: one module of ModelViews per domain, one menu category each."""
from flask import current_app
from flask_appbuilder import AppBuilder

from . import (
    accounts, agent_desk, catalogue, clients, compliance, csv_export, enrolment, enterprise_requests, enterprises,
    finance, intake, job_monitor, partners, records, reference, support,
)

# Menu order: the daily work first, reference data and compliance last.
# agent_desk adds its pages to the Intake and Records categories, so it comes after both.
MODULES = (catalogue, clients, intake, enrolment, records, agent_desk, finance, partners, enterprises,
           enterprise_requests, compliance, job_monitor, reference, accounts, support)


def register(appbuilder: AppBuilder) -> None:
    """Add every back-office view to the menu, category by category."""
    for module in MODULES:
        module.register(appbuilder)
    csv_export.init_app(current_app)
