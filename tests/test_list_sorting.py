"""Every generated list sorts by every listed column, both ways, and the order is the one asked for."""
from __future__ import annotations

import html
import re

from app.extensions import db

from tests.conftest import Auth
from tests.test_backoffice import _admin_name, backoffice_views, view_url


def sorted_url(app, view, column: str, direction: str, language: str = "fr", small: bool = False) -> str:
    name = view.__class__.__name__
    return (view_url(app, view, "list") + f"?_oc_{name}={column}&_od_{name}={direction}&_l_={language}"
            + ("&psize_" + name + "=1" if small else ""))


def test_every_list_sorts_by_every_listed_column(app):
    """Every screen x every listed column answers 200 for an Admin, and every column sorts both ways.

    Through HTTP each column is asked once, the direction alternating from one column to the next
    (the two directions take the same path); the query of every column in both directions runs
    through the screen's own data interface. One row per page: an ORDER BY the database cannot run
    fails whatever the page size.
    """
    client = app.test_client()
    Auth(client).login(_admin_name(app))
    failures = []
    for view in backoffice_views(app):
        if "can_list" not in view.base_permissions:
            continue
        assert set(view.order_columns) == set(view.list_columns), view.__class__.__name__
        for number, column in enumerate(view.list_columns):
            direction = ("asc", "desc")[number % 2]
            response = client.get(sorted_url(app, view, column, direction, small=True))
            if response.status_code != 200:
                failures.append((view.__class__.__name__, column, direction, response.status_code))
    assert failures == []
    with app.test_request_context("/?_l_=en"):
        for view in backoffice_views(app):
            for column in view.list_columns:
                for direction in ("asc", "desc"):
                    try:
                        view.datamodel.query(view.datamodel.get_filters(), column, direction, page=0, page_size=1)
                    except Exception as error:  # noqa: BLE001 — every failure is reported at once
                        failures.append((view.__class__.__name__, column, direction, type(error).__name__))
                        db.session.rollback()
        db.session.remove()
    assert failures == []


def test_sorting_by_a_bilingual_label_follows_the_page_language(demo_app):
    """/termview/list/?_oc_TermView=name answered 500; it sorts by the name read in each language."""
    client = demo_app.test_client()
    Auth(client).login("admin")
    view = next(v for v in backoffice_views(demo_app) if v.__class__.__name__ == "TermView")
    for language in ("fr", "en"):
        ascending = client.get(sorted_url(demo_app, view, "name", "asc", language))
        descending = client.get(sorted_url(demo_app, view, "name", "desc", language))
        assert ascending.status_code == descending.status_code == 200
        names_up = _rows(ascending.get_data(as_text=True))
        names_down = _rows(descending.get_data(as_text=True))
        assert len(names_up) >= 2
        assert names_up == sorted(names_up) and names_down == sorted(names_down, reverse=True)


def _rows(page: str) -> list[str]:
    """The term names of a TermView list page, in the order shown (the plain cell after the code)."""
    names = []
    for row in re.findall(r"<tr>.*?</tr>", page, flags=re.S):
        if "/termview/show/" in row:
            cells = re.findall(r"<td>([^<]*)</td>", row)
            names.append(html.unescape(cells[1].strip()))
    return names


def test_sorting_by_a_relation_orders_by_its_label(demo_app):
    client = demo_app.test_client()
    Auth(client).login("admin")
    view = next(v for v in backoffice_views(demo_app) if v.__class__.__name__ == "SectionView")
    pages = [client.get(sorted_url(demo_app, view, "course", direction)).get_data(as_text=True)
             for direction in ("asc", "desc")]
    # demo codes (TP-04) and those of other tests' factories (C-3fa9…) alike
    codes = [re.findall(r">\s*([A-Za-z0-9-]+) — ", page) for page in pages]
    assert codes[0] and codes[1]
    assert codes[0] == sorted(codes[0]) and codes[1] == sorted(codes[1], reverse=True)
