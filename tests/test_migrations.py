"""The Alembic migrations build exactly the schema the models declare, on both engines."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_appbuilder import Model
from sqlalchemy import inspect

from app.extensions import db


def test_migrated_schema_equals_models(engine_app):
    with engine_app.app_context():
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(context, Model.metadata)
    assert diff == []


def test_every_model_table_exists_with_its_constraints(engine_app):
    with engine_app.app_context():
        inspector = inspect(db.engine)
        tables = set(inspector.get_table_names())
        assert set(Model.metadata.tables) <= tables
        checks = {c["name"] for c in inspector.get_check_constraints("section")}
        assert "ck_section_seats" in checks
        uniques = {c["name"] for c in inspector.get_unique_constraints("enrolment")}
        assert "uq_enrolment_learner_section" in uniques
