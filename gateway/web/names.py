"""Names on the pages (docs/decisions/0045): the names the survivors gave, on the shelter's own
pages only, and agencies and courts by their names in the directory, on every page.

* ``load_survivor_names(references)``: a page calls it once with the references it shows. For a
  role the API's ``survivor_names`` endpoint is for (the shelter's), it is one request through
  ``api.perform`` (one RPC for the whole page, ``names_for`` in the referral service, which gives
  only the names of files the caller may read and audits each); for every other role it does
  nothing, so no other role's page can show a name. Templates read ``survivor_name(reference)``.
* ``agency_name(agency_id)``: the agency's or court's name in the page's language, from the
  worker's copy of the directory (gateway/directory.py), read once per request; its id when the
  directory does not hold it.

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


def agency_names() -> dict[str, str]:
    """Every agency's name in the page's language: the directory's copy, read once per request."""
    if "web_agency_names" not in g:
        language = current_language()
        g.web_agency_names = {entry["id"]: name_in(entry, language, entry["id"]) for entry in
                              current_app.extensions["refnet.directory"].agencies()
                              if isinstance(entry, dict) and "id" in entry}
    return g.web_agency_names


def agency_name(agency_id) -> str:
    """The agency's (or court's) name in the page's language, else its id (a template global)."""
    if not agency_id:
        return ""
    if not has_request_context():
        return str(agency_id)
    return agency_names().get(agency_id, str(agency_id))
