"""The shelter's tasks page: court accompaniment and cash approvals of the provider, soonest due
first and overdue ones marked; assign one (to oneself by default) and finish an assigned one.
Reads and writes through the API's ``list_tasks``, ``assign_task`` and ``finish_task``."""

from flask import redirect, request, url_for

from services.common.errors import Conflict, Forbidden, NotFound

from ..resources.tasks import OUTCOMES
from .common import notice
from .core import blueprint, call, identity, page, render_page
from .forms import F, build, send
from .i18n import gettext as _
from .names import load_survivor_names

STATUSES = ("open", "to_arrange", "assigned", "done", "not_needed", "all")
ASSIGN = [F("assignee")]
FINISH = [F("outcome")]


def _filters() -> tuple[str, bool]:
    status = request.args.get("status") or "open"
    return (status if status in STATUSES else "open"), request.args.get("mine") in ("1", "true", "on")


def _tasks_page(errors=None, failed=None, status=200, problem=None):
    chosen, mine = _filters()
    query = {"mine": "true" if mine else "false"}
    if chosen != "all":
        query["status"] = chosen
    if request.args.get("cursor"):
        query["cursor"] = request.args["cursor"]
    listing = call("list_tasks", query=query)
    load_survivor_names(t["reference"] for t in listing["items"] if t.get("reference"))
    return render_page("shelter_tasks.html", status=status, title=_("Tasks"),
                       rows=listing["items"], next_cursor=listing.get("next_cursor"),
                       chosen_status=chosen, mine=mine, statuses=STATUSES, outcomes=OUTCOMES,
                       me=identity().user, errors=errors or {}, failed=failed,
                       values=request.form if request.method == "POST" else {},
                       problem=problem, notice=notice())


def _back():
    chosen, mine = _filters()
    return redirect(url_for("web.shelter_tasks", status=chosen, mine="1" if mine else None,
                            notice="saved"))


@blueprint.get("/shelter/tasks")
@page("shelter")
def shelter_tasks():
    return _tasks_page()


def _act(action: str, method: str, form, task_id: str):
    """Send one task form (``action`` names its fields' prefix and the row it failed on): a
    refusal of the body is 422 beside its field; a task finished or changed meanwhile 409/404,
    a cash approval finished by its requester 403; nothing changed in any of them."""
    prefix = f"{action}-{task_id}-"
    try:
        _, errors = send(method, build(request.form, form, prefix=prefix), form, prefix=prefix,
                         task_id=task_id)
    except Forbidden:  # finishing: the requester of a cash approval (a second person approves)
        if action != "finish":
            raise
        return _tasks_page(status=403, failed=f"{action}-{task_id}", problem="requester")
    except (Conflict, NotFound) as refused:  # finished or changed meanwhile
        return _tasks_page(status=409 if isinstance(refused, Conflict) else 404,
                           failed=f"{action}-{task_id}", problem="changed")
    if errors is not None:
        return _tasks_page(errors, failed=f"{action}-{task_id}", status=422)
    return _back()


@blueprint.post("/shelter/tasks/<task_id>/assign")
@page("shelter")
def shelter_assign_task(task_id):
    return _act("assign", "assign_task", ASSIGN, task_id)


@blueprint.post("/shelter/tasks/<task_id>/finish")
@page("shelter")
def shelter_finish_task(task_id):
    return _act("finish", "finish_task", FINISH, task_id)
