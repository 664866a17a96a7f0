"""The home page: a welcome in the visitor's language with the doors each role uses."""
from flask_appbuilder import IndexView


class GuichetIndexView(IndexView):
    index_template = "index.html"
