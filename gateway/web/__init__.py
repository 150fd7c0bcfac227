"""Server-rendered pages for police officers, shelter staff and lawyers.

Plain HTML forms and links, no JavaScript, one local stylesheet; English, Arabic and Kurdish
(Sorani) from gettext catalogues in gateway/translations, right to left for Arabic and Kurdish.
Every page reads and writes through ``api.perform`` (gateway/api.py), so the same roles,
schemas, services and visibility rules apply as to ``/api/v1``. See docs/decisions/0021 and 0022.
"""

from flask import Flask, request, url_for
from markupsafe import Markup
from flask_babel import Babel, get_locale

from . import core, i18n
from .i18n import gettext as _
from .labels import choices, label


def _nav(who) -> list[tuple[str, str]]:
    if who is None:
        return []
    items = {
        "police": [("web.police_referrals", _("My referrals")), ("web.police_new", _("New referral")),
                   ("web.hearings", _("Hearings")), ("web.beds", _("Beds"))],
        "shelter": [("web.shelter_incoming", _("Incoming")), ("web.shelter_board", _("Bed board")),
                    ("web.shelter_plans", _("Care plans")),
                    ("web.shelter_milestones", _("Milestones")), ("web.shelter_tasks", _("Tasks")),
                    ("web.shelter_follow_ups", _("Follow-up")),
                    ("web.shelter_waitlist", _("Waiting list")),
                    # residents' hearings with their accompaniment (the calendar shows less)
                    ("web.shelter_hearings", _("Hearings")),
                    ("web.shelter_facilities", _("Our facilities")), ("web.beds", _("Beds")),
                    ("web.reports", _("Reports"))],
        "legal": [("web.legal_cases", _("Cases")), ("web.court_cases", _("Court cases")),
                  ("web.hearings", _("Hearings")), ("web.beds", _("Beds"))],
        "court": [("web.court_cases", _("Court cases")), ("web.hearings", _("Hearings")),
                  ("web.beds", _("Beds"))],
        "admin": [("web.admin_agencies", _("Agencies")), ("web.admin_users", _("Users")),
                  ("web.admin_tokens", _("Tokens")), ("web.admin_audit", _("Audit")),
                  ("web.admin_dead_letters", _("Dead letters")), ("web.beds", _("Beds"))],
        "partner": [("web.partner_referrals", _("Referred to us"))],
        "analyst": [("web.reports", _("Reports")), ("web.beds", _("Beds"))],
    }
    return [(url_for(endpoint), text) for endpoint, text in items.get(who.role, [("web.beds", _("Beds"))])]


def _ltr(format_):
    """Dates and times read left to right in an Arabic or Kurdish sentence too (2026-12-10 09:30,
    not 09:30 2026-12-10): each is isolated as a left-to-right run."""
    def wrapped(*args):
        text = format_(*args)
        return Markup('<bdi dir="ltr">%s</bdi>') % text if text else ""
    return wrapped


def _country(code):
    """A country's name in the page's language (Babel's CLDR data), or the code."""
    return get_locale().territories.get(code, code) if code else ""


def _language_name(code):
    return get_locale().languages.get(code, code) if code else ""


def register(app: Flask) -> None:
    from . import admin, common, legal, police, shelter  # noqa: F401 - their routes join the blueprint
    from . import partners  # noqa: F401 - its routes join the blueprint
    from . import inbox, names
    from ..unread import UnreadCounts
    from . import tasks  # noqa: F401 - its routes join the blueprint
    from . import follow_ups  # noqa: F401 - its routes join the blueprint
    from . import consent, residents, waitlist  # noqa: F401 - their routes join the blueprint
    from . import care  # noqa: F401 - its routes join the blueprint
    from . import reports  # noqa: F401 - its routes join the blueprint
    Babel(app, locale_selector=core.current_language, default_translation_directories="translations")
    i18n.install(app.jinja_env)  # after Babel's own: the catalogue found once per request
    app.config.setdefault("SEND_FILE_MAX_AGE_DEFAULT", 3600)
    # each person's unread count for the pages' header, kept a few seconds (gateway/unread.py)
    app.extensions.setdefault("refnet.unread", UnreadCounts())
    app.jinja_env.add_extension("jinja2.ext.do")
    # callables for templates and the macros they import (which see globals, not the context)
    app.jinja_env.globals.update(csrf_token=core.csrf_token, label=label, choices=choices,
                                 allowed=core.allowed, when=_ltr(common.when),
                                 hearing_local=_ltr(common.hearing_local),
                                 hearing_time=_ltr(lambda h: common.hearing_local(h)[11:]),
                                 country=_country, language_name=_language_name,
                                 unread_badge=inbox.unread_badge,
                                 survivor_name=names.survivor_name, agency_name=names.agency_name,
                                 facility_name=names.facility_name,
                                 agency_choices=names.agency_choices)

    @app.context_processor
    def _globals():
        if not getattr(request, "blueprint", None) == "web":
            return {}
        who = core.identity()
        lang = core.current_language()
        return {
            "lang": lang, "dir": "rtl" if lang in core.RTL else "ltr", "languages": core.LANGUAGES,
            "who": who, "nav": _nav(who), "here": request.full_path.rstrip("?"),
            "comma": "، " if lang in core.RTL else ", ",
        }

    app.register_blueprint(core.blueprint)
