"""The home page: what the service is for visitors, the doors each staff role may open."""
from __future__ import annotations

from flask_appbuilder import IndexView, expose
from flask_babel import gettext, lazy_gettext as _l


def menu_sections(appbuilder) -> list[dict]:
    """The menu categories (with their views) that the current user may open, in menu order."""
    sm = appbuilder.sm
    sections = []
    for item in appbuilder.menu.get_list():
        if not sm.has_access("menu_access", item.name):
            continue
        if item.childs:
            links = [
                {"label": gettext(str(child.label)), "url": child.get_url()}
                for child in item.childs
                if child and child.name != "-" and sm.has_access("menu_access", child.name)
            ]
        else:
            links = [{"label": gettext(str(item.label)), "url": item.get_url()}]
        if links:
            sections.append({"name": item.name, "label": gettext(str(item.label)), "links": links})
    return sections


class GuichetIndexView(IndexView):
    index_template = "index.html"

    @expose("/")
    def index(self):
        self.update_redirect()
        return self.render_template(
            self.index_template,
            appbuilder=self.appbuilder,
            title=_l("Home"),
            sections=menu_sections(self.appbuilder),
        )
