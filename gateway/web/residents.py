"""Residents' hearings for shelter staff: the upcoming hearings of their provider's residents,
soonest first, in the court's own time and zone, with the court, whether the person must attend,
and the court accompaniment task once the hearing is reminded (its status and assignee, linked to
the tasks page). Reads through the API's ``shelter_hearings``.

The shelter's "Hearings" entry points here rather than to the shared calendar (``/hearings``):
for the shelter the calendar shows only date, time, court and reference; this page adds the
hearing's status and its accompaniment, what shelter staff act on. The calendar stays open to
them for past hearings and other days."""

from flask_babel import gettext as _

from .common import notice
from .core import blueprint, call, page, render_page


def _courts() -> dict[str, str]:
    """The courts' names in the page's language, by id (the directory's); none when the
    directory cannot be read: the page shows the ids then."""
    try:
        listing = call("list_agencies", query={"kind": "court"})
    except Exception:  # noqa: BLE001 - the page goes on with the ids
        return {}
    return {a["id"]: a["name"] for a in listing["items"]}


@blueprint.get("/shelter/hearings")
@page("shelter")
def shelter_hearings():
    rows = call("shelter_hearings")
    return render_page("shelter_hearings.html", title=_("Residents' hearings"), rows=rows,
                       courts=_courts() if rows else {}, notice=notice())
