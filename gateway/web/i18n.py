"""The request's translations, found once per request.

flask_babel finds the catalogue anew at every string it translates: the app context, the
locale and its name, the domain's cache (about a tenth of the gateway's CPU for a care plan
page, which translates a few hundred strings: py-spy, bench/README.md). Here the first string
of a request finds it through flask_babel and keeps it on the request's ``g``; the next ones
take it from there (``gettext`` and ``lazy_gettext`` in Python, the templates' through
``install``). The language is chosen once per request (``core.current_language``) and
nothing changes it while the request runs, so the first catalogue is the request's.
"""

from flask import g, has_app_context
from flask_babel import get_translations
from flask_babel.speaklater import LazyString
from jinja2 import pass_eval_context
from markupsafe import Markup

_KEY = "refnet_translations"


def translations():
    """The catalogue of the request's language (outside a request: flask_babel's answer)."""
    if not has_app_context():
        return get_translations()
    here = g._get_current_object()
    found = getattr(here, _KEY, None)
    if found is None:
        found = get_translations()
        setattr(here, _KEY, found)
    return found


def gettext(string: str, **variables) -> str:
    """``flask_babel.gettext``, with the request's catalogue found once."""
    text = translations().ugettext(string)
    return text if not variables else text % variables


def lazy_gettext(string: str, **variables) -> LazyString:
    """``flask_babel.lazy_gettext``: translated by ``gettext`` when it is shown."""
    return LazyString(gettext, string, **variables)


@pass_eval_context
def template_gettext(eval_ctx, string: str, **variables) -> str:
    """The templates' ``_()`` and ``gettext()``: the request's translation, autoescaped where the
    template is (Markup, its variables escaped), always read as a format string (``%%`` -> ``%``).
    What Jinja's newstyle i18n does, in one call where Jinja's took three of its generic
    ``Context.call`` (its ``_`` looks ``gettext`` up by name, which wraps the callable), about
    a tenth of a care plan page's rendering (cProfile, bench/README.md)."""
    text = translations().ugettext(string)
    if eval_ctx.autoescape:
        text = Markup(text)
    return text % variables if variables or "%" in text else text


@pass_eval_context
def template_ngettext(eval_ctx, singular: str, plural: str, num: int, **variables) -> str:
    """The templates' ``ngettext()`` (and ``{% trans count=... %}``), as ``template_gettext``;
    ``num`` is among the variables unless one is given by that name."""
    variables.setdefault("num", num)
    text = translations().ungettext(singular, plural, num)
    if eval_ctx.autoescape:
        text = Markup(text)
    return text % variables


def install(jinja_env) -> None:
    """Templates translate through the request's catalogue (as flask_babel installs them,
    newstyle: autoescaped, always a format string), ``_``, ``gettext`` and ``ngettext`` in one
    call each."""
    # Jinja's own wrappers serve pgettext and npgettext; its gettext and ngettext (and the ``_``
    # that looks gettext up) are replaced just below by the one-call versions
    jinja_env.install_gettext_callables(
        gettext=lambda s: translations().ugettext(s),
        ngettext=lambda s, p, n: translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: translations().unpgettext(c, s, p, n))
    jinja_env.globals.update(_=template_gettext, gettext=template_gettext,
                             ngettext=template_ngettext)
