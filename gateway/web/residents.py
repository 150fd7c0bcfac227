"""Residents' hearings for shelter staff: the upcoming hearings of their provider's residents,
soonest first, in the court's own time and zone, with the court, whether the person must attend,
and the court accompaniment task once the hearing is reminded (its status and assignee, linked to
the tasks page). Reads through the API's ``shelter_hearings``.

The shelter's "Hearings" entry points here rather than to the shared calendar (``/hearings``):
for the shelter the calendar shows only date, time, court and reference; this page adds the
hearing's status and its accompaniment, what shelter staff act on. The calendar stays open to
them for past hearings and other days."""


from .common import notice
from .core import blueprint, call, page, render_page
from .i18n import gettext as _
from .names import load_survivor_names


@blueprint.get("/shelter/hearings")
@page("shelter")
def shelter_hearings():
    rows = call("shelter_hearings")
    load_survivor_names(h["reference"] for h in rows)  # one audited read of the names shown
    return render_page("shelter_hearings.html", title=_("Residents' hearings"), rows=rows,
                       notice=notice())
