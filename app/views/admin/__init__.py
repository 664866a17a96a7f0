"""The generated back office: one module of ModelViews per domain."""
from flask_appbuilder import AppBuilder


def register(appbuilder: AppBuilder) -> None:
    """Add every back-office view to the menu."""
