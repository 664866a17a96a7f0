"""Unbound extension singletons, bound to an application in ``create_app``."""
import flask_appbuilder
from flask_appbuilder.utils.legacy import get_sqla_class
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect

# model_class=flask_appbuilder.Model so that db.metadata is Model.metadata: FAB's
# security tables and ours live in one metadata, seen by create_all and Alembic.
db = get_sqla_class()(model_class=flask_appbuilder.Model)
csrf = CSRFProtect()
migrate = Migrate()
