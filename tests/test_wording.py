"""Wording that depends on the language (issue 13, item 6): one test per class of fix.

- plurals go through ngettext ("1 place occupée", not "1 places occupées");
- French elides "de" before a vowel or a mute h ("le compte d’Amélie", "Invitation d’Olivier");
- sizes are written in the page's language ("626 octets", not "626 Bytes");
- times are written one way per language: "13 h 30" in French, "1:30 PM" in English;
- a course with a single level reads "niveau 1", not "niveaux 1 à 1";
- roles, schedule preferences and consultations read as words.
"""
from __future__ import annotations

import datetime as dt

import pytest
from flask_babel import force_locale, gettext as _, ngettext

from app.i18n import format_clock, format_moment, format_size, french_elisions


@pytest.fixture
def ctx(app):
    with app.test_request_context():
        yield


def in_language(language: str, function, *args, **kwargs):
    with force_locale(language):
        return function(*args, **kwargs)


def test_plurals_follow_the_number(ctx):
    seats = ("%(num)s seat taken out of %(capacity)s.", "%(num)s seats taken out of %(capacity)s.")
    assert in_language("fr", ngettext, *seats, 1, capacity=18) == "1 place occupée sur 18."
    assert in_language("fr", ngettext, *seats, 2, capacity=18) == "2 places occupées sur 18."
    assert in_language("en", ngettext, *seats, 1, capacity=18) == "1 seat taken out of 18."


def test_the_seats_of_a_group_page_use_the_plural_rule(app):
    from jinja2 import Environment  # noqa: F401 - the template is rendered by the app's environment

    with app.test_request_context(), force_locale("fr"):
        template = app.jinja_env.from_string(
            '{{ ngettext("%(num)s seat taken out of %(capacity)s.", "%(num)s seats taken out of %(capacity)s.", '
            'taken, capacity=18) }}')
        assert template.render(taken=1) == "1 place occupée sur 18."


def test_french_elides_de_before_a_vowel_or_a_mute_h(ctx):
    assert french_elisions("Le compte de Amélie") == "Le compte d’Amélie"
    assert french_elisions("Invitation de Hélène") == "Invitation d’Hélène"
    assert french_elisions("Invitation de Boulangerie Yves inc.") == "Invitation de Boulangerie Yves inc."
    assert in_language("fr", _, "Invitation from %(name)s", name="Olivier Tremblay") == "Invitation d’Olivier Tremblay"
    assert in_language("fr", _, "Invitation from %(name)s", name="Boulangerie") == "Invitation de Boulangerie"
    assert in_language("en", _, "Invitation from %(name)s", name="Olivier") == "Invitation from Olivier"
    account = in_language("fr", _, "The account of %(name)s is active again; they are told.", name="Amélie Roy")
    assert account.startswith("Le compte d’Amélie Roy est de nouveau actif")


def test_elision_applies_in_templates_too(app):
    with app.test_request_context(), force_locale("fr"):
        template = app.jinja_env.from_string('{{ _("Invitation from %(name)s", name=name) }}')
        assert template.render(name="Émilie <b>") == "Invitation d’Émilie &lt;b&gt;"


def test_sizes_are_written_in_the_pages_language(ctx):
    assert in_language("fr", format_size, 626) == "626 octets"
    assert in_language("en", format_size, 626) == "626 bytes"
    assert in_language("fr", format_size, 12 * 1024) == "12 ko"
    assert in_language("fr", format_size, 5 * 1024 * 1024 + 300 * 1024) == "5,3 Mo"
    assert in_language("en", format_size, 5 * 1024 * 1024 + 300 * 1024) == "5.3 MB"


def test_times_are_written_one_way_per_language(ctx):
    assert in_language("fr", format_clock, dt.time(13, 30)) == "13 h 30"
    assert in_language("fr", format_clock, dt.time(9, 5)) == "9 h 05"
    assert in_language("en", format_clock, dt.time(13, 30)) == "1:30 PM"
    moment = dt.datetime(2026, 12, 2, 18, 30, tzinfo=dt.UTC)  # 13 h 30 in Montréal
    assert in_language("fr", format_moment, moment) == "2 déc. 2026 à 13 h 30"
    assert in_language("en", format_moment, moment) == "Dec 2, 2026 at 1:30 PM"


def test_the_datetime_filter_of_every_page_uses_the_same_time(app):
    moment = dt.datetime(2026, 12, 2, 18, 30, tzinfo=dt.UTC)
    with app.test_request_context():
        for language, expected in (("fr", "2 déc. 2026 à 13 h 30"), ("en", "Dec 2, 2026 at 1:30 PM")):
            with force_locale(language):
                assert app.jinja_env.from_string('{{ when|datetimeformat("medium") }}').render(when=moment) == expected


def test_a_single_level_reads_in_the_singular(ctx):
    from types import SimpleNamespace

    from app.views.admin.enterprise_requests import course_choice_label

    one = SimpleNamespace(code="MT-1", title="Français au travail", level_min=1, level_max=1)
    many = SimpleNamespace(code="MT-2", title="Français au travail", level_min=1, level_max=4)
    assert in_language("fr", course_choice_label, one) == "MT-1 — Français au travail (niveau 1)"
    assert in_language("fr", course_choice_label, many) == "MT-2 — Français au travail (niveaux 1 à 4)"


def test_roles_and_consultations_read_as_words(ctx):
    from app.services.access import role_label
    from app.services.access_log import what_label

    assert in_language("fr", role_label, "Learner") == "Personne apprenante"
    assert in_language("fr", what_label, "attendance") == "Votre assiduité"
    assert in_language("fr", what_label, "application") == "Votre demande d’admission"


def test_schedule_preferences_read_as_words(app):
    from app.extensions import db
    from app.services.applications import schedule_summary

    with app.test_request_context(), force_locale("fr"):
        summary = schedule_summary(db.session, {"weekdays": [1, 2, 3, 4, 5], "periods": ["evening"],
                                                "format_chosen": True, "at_work": True})
        db.session.remove()
    assert summary == [("Jours", "Lundi, Mardi, Mercredi, Jeudi, Vendredi"), ("Moments de la journée", "Soir"),
                       ("En milieu de travail", "Oui")]
