"""The shelter's follow-up page (docs/decisions/0051): contacts with residents after they left,
overdue first, the caller's own if asked; record a contact's outcome and day, once. Reads and
writes through the API's ``list_follow_ups`` and ``record_follow_up``."""

from flask import redirect, request, url_for

from services.common.errors import Conflict, NotFound
from services.contracts.vocabulary import FOLLOW_UP_OUTCOMES

from .common import notice
from .core import blueprint, call, page, render_page
from .forms import F, build, send
from .i18n import gettext as _
from .names import load_survivor_names

STATES = ("overdue", "due", "all")
RECORD = [F("outcome"), F("contacted_on")]


def _filters() -> tuple[str, bool]:
    state = request.args.get("state") or "overdue"
    return (state if state in STATES else "overdue"), request.args.get("mine") in ("1", "true", "on")


def _page(errors=None, failed=None, status=200, problem=None):
    state, mine = _filters()
    listing = call("list_follow_ups", query={"state": state, "mine": "true" if mine else "false"})
    load_survivor_names(f["reference"] for f in listing["follow_ups"])
    return render_page("shelter_follow_ups.html", status=status, title=_("Follow-up after discharge"),
                       listing=listing, state=state, mine=mine, states=STATES,
                       outcomes=FOLLOW_UP_OUTCOMES, errors=errors or {}, failed=failed,
                       values=request.form if request.method == "POST" else {},
                       problem=problem, notice=notice())


@blueprint.get("/shelter/follow-ups")
@page("shelter")
def shelter_follow_ups():
    return _page()


@blueprint.post("/shelter/follow-ups/<follow_up_id>")
@page("shelter")
def shelter_record_follow_up(follow_up_id):
    """A refused body is 422 beside its field; a contact recorded meanwhile 409, another
    provider's 404; nothing changed in any of them."""
    prefix = f"record-{follow_up_id}-"
    try:
        _, errors = send("record_follow_up", build(request.form, RECORD, prefix=prefix), RECORD,
                         prefix=prefix, follow_up_id=follow_up_id)
    except (Conflict, NotFound) as refused:
        return _page(status=409 if isinstance(refused, Conflict) else 404,
                     failed=f"record-{follow_up_id}", problem="changed")
    if errors is not None:
        return _page(errors, failed=f"record-{follow_up_id}", status=422)
    state, mine = _filters()
    return redirect(url_for("web.shelter_follow_ups", state=state, mine="1" if mine else None,
                            notice="saved"))
