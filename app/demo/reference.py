"""Reference data of the demo: the same rows production loads (``services.reference_data``)."""
from __future__ import annotations

from ..services.reference_data import ensure_reference_data
from .state import DemoState


def seed_reference(demo: DemoState) -> None:
    rows = ensure_reference_data(demo.session)
    demo.regions, demo.categories, demo.statuses = rows.regions, rows.categories, rows.statuses
    demo.supports, demo.fields = rows.supports, rows.fields
