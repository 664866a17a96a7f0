"""The generated back office: one module of ModelViews per domain, one menu category each."""
from flask_appbuilder import AppBuilder

from . import (
    accounts, catalogue, clients, compliance, enrolment, enterprises, finance, intake, partners, records,
    reference,
)

# Menu order: the daily work first, reference data and compliance last.
MODULES = (catalogue, clients, intake, enrolment, records, finance, partners, enterprises, compliance, reference,
           accounts)


def register(appbuilder: AppBuilder) -> None:
    """Add every back-office view to the menu, category by category."""
    for module in MODULES:
        module.register(appbuilder)
