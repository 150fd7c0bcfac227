"""The shelter's waiting list: accepted referrals no bed was free for, per group in the order freed
beds are offered, each with its priority and the last change of it (who, when, why); move one
with a priority and a required reason. Reads and writes through the API's ``waitlist`` and
``reorder_waitlist``."""

from flask import redirect, request, url_for

from services.common.errors import NotFound
from services.contracts.vocabulary import POPULATION_GROUPS

from .common import notice
from .core import blueprint, call, page, render_page
from .forms import F, build, send
from .i18n import gettext as _

MOVE = [F("priority", "int"), F("reason")]


def _group() -> str | None:
    group = request.args.get("group")
    return group if group in POPULATION_GROUPS else None


def _waitlist_page(errors=None, failed=None, status=200, problem=None):
    group = _group()
    rows = call("waitlist", query={"population_group": group} if group else None)
    return render_page("shelter_waitlist.html", status=status, title=_("Waiting list"), rows=rows,
                       groups=POPULATION_GROUPS, group=group, errors=errors or {}, failed=failed,
                       values=request.form if request.method == "POST" else {},
                       problem=problem, notice=notice())


@blueprint.get("/shelter/waitlist")
@page("shelter")
def shelter_waitlist():
    return _waitlist_page()


@blueprint.post("/shelter/waitlist/<reference>/priority")
@page("shelter")
def shelter_move_waitlisted(reference):
    """One entry's form: a refused priority or a missing reason shows beside its field (422);
    an entry that left the waiting list meanwhile (a bed was offered to it) says so (404).
    Nothing changes in either."""
    prefix = f"mv-{reference}-"
    try:
        _, errors = send("reorder_waitlist", build(request.form, MOVE, prefix=prefix), MOVE,
                         prefix=prefix, reference=reference)
    except NotFound:
        return _waitlist_page(status=404, failed=reference, problem="gone")
    if errors is not None:
        return _waitlist_page(errors, failed=reference, status=422)
    return redirect(url_for("web.shelter_waitlist", group=_group(), notice="waitlist_moved")
                    + f"#wait-{reference}")
