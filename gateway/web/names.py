"""Names on the pages (docs/decisions/0045): the names the survivors gave, on the shelter's own
pages only, and agencies and courts by their names in the directory, on every page.

* ``load_survivor_names(references)``: a page calls it once with the references it shows. For a
  role the API's ``survivor_names`` endpoint is for (the shelter's), it is one request through
  ``api.perform`` (one RPC for the whole page, ``names_for`` in the referral service, which gives
  only the names of files the caller may read and audits each); for every other role it does
  nothing, so no other role's page can show a name. Templates read ``survivor_name(reference)``.
* ``agency_name(agency_id)``: the agency's or court's name in the page's language, from the
  worker's copy of the directory (gateway/directory.py), read once per request; its id when the
  directory does not hold it. ``facility_name(facility_id)``: a facility of the person's own
  provider by its name (the API's ``list_facilities``, once per request, only when shown).

A name is never logged: a failure is logged by its exception's class only.
"""

from flask import current_app, g, has_request_context

from ..directory import name_in
from ..errors import UNAVAILABLE
from .core import allowed, call, current_language

ENDPOINT = "survivor_names"
BATCH = 100  # the endpoint's longest list (the references of one page)


def load_survivor_names(references) -> dict[str, str]:
    """Ask once for the names of ``references`` (the shelter's role only; others: nothing) and
    keep them for this request's templates. A referral service that does not answer leaves the
    page without names, not without its references."""
    wanted = list(dict.fromkeys(r for r in references if isinstance(r, str) and r))
    known = g.setdefault("web_survivor_names", {})
    if not wanted or not allowed(ENDPOINT):
        return known
    for start in range(0, len(wanted), BATCH):
        try:
            known.update(call(ENDPOINT, body={"references": wanted[start:start + BATCH]})["names"])
        except tuple(UNAVAILABLE) as exc:
            current_app.logger.warning("names: the referral service did not answer (%s); the "
                                       "page shows references only", type(exc).__name__)
            break
    return known


def survivor_name(reference) -> str:
    """The name loaded for ``reference`` on this page, or ``""`` (a template global)."""
    if not has_request_context():
        return ""
    return g.get("web_survivor_names", {}).get(reference, "")


def _directory() -> list[dict]:
    """The directory's entries: the worker's copy, read once per request."""
    if "web_directory" not in g:
        g.web_directory = [entry for entry in current_app.extensions["refnet.directory"].agencies()
                           if isinstance(entry, dict) and "id" in entry]
    return g.web_directory


def agency_names() -> dict[str, str]:
    """Every agency's name in the page's language."""
    if "web_agency_names" not in g:
        language = current_language()
        g.web_agency_names = {e["id"]: name_in(e, language, e["id"]) for e in _directory()}
    return g.web_agency_names


def agency_name(agency_id) -> str:
    """The agency's (or court's) name in the page's language, else its id (a template global)."""
    if not agency_id:
        return ""
    if not has_request_context():
        return str(agency_id)
    return agency_names().get(agency_id, str(agency_id))


def provider_facilities() -> list[dict]:
    """The signed-in person's provider's facilities (``list_facilities``), asked once per
    request however many parts of the page need them; a service error is raised to the caller."""
    if "web_facilities" not in g:
        g.web_facilities = call("list_facilities")
    return g.web_facilities


def facility_name(facility_id) -> str:
    """A facility of the signed-in person's provider by its name, else its id (a template
    global): the provider's facilities are asked once per request, and only when a page shows
    one (a role that may not list them, or a silent shelter service, leaves the id)."""
    if not facility_id:
        return ""
    if not has_request_context():
        return str(facility_id)
    if "web_facility_names" not in g:
        g.web_facility_names = {}
        if allowed("list_facilities"):
            try:
                g.web_facility_names = {f["facility"]: f["name"] for f in provider_facilities()}
            except tuple(UNAVAILABLE) as exc:
                current_app.logger.warning("names: the shelter service did not answer (%s); "
                                           "facilities shown by id", type(exc).__name__)
    return g.web_facility_names.get(facility_id) or str(facility_id)


def agency_choices(*kinds, exclude=None) -> list[tuple[str, str]]:
    """(id, name) of the directory's active agencies of ``kinds``, by name (a template global:
    the suggestions of a field that takes an agency id, so a person picks a court or a partner
    by its name)."""
    if not has_request_context():
        return []
    wanted, names = set(kinds), agency_names()
    return sorted(((e["id"], names[e["id"]]) for e in _directory()
                   if e.get("active") and e.get("kind") in wanted and e["id"] != exclude),
                  key=lambda pair: pair[1])
