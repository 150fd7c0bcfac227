"""Shelter tasks (docs/decisions/0042): a resident's court accompaniment and a cash request's
approval, each with an assignee, a due time and a status. The provider's staff list, assign and
finish them; the shelter service checks the provider again, and that a cash approval is never
its requester's."""

from marshmallow import fields, validate

from services.contracts.vocabulary import TASK_KINDS, TASK_STATUSES

from .declare import FILTERED, WRITE, Ctx, endpoint
from .shapes import Strict, answer, integers, staff_id, strings

TASK_ROLES = ("shelter",)
OUTCOMES = ("done", "not_needed")


# --- schemas ---------------------------------------------------------------------------------------

class TasksQuery(Strict):
    mine = fields.Boolean(load_default=False, metadata={
        "description": "true: only the tasks assigned to you."})
    status = fields.String(validate=validate.OneOf(("open",) + TASK_STATUSES), metadata={
        "description": "open (to arrange or assigned), or one status; absent: all."})
    cursor = fields.String(validate=validate.Length(max=200), metadata={
        "description": "The next_cursor of the page before."})
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=100))


class AssignBody(Strict):
    assignee = staff_id(required=True, metadata={
        "description": "The staff member's user id (not a name); a cash approval never goes to "
                       "its requester."})


class FinishBody(Strict):
    outcome = fields.String(required=True, validate=validate.OneOf(OUTCOMES), metadata={
        "description": "done (a cash approval: the approval itself, by someone other than the "
                       "requester) or not_needed (not for a cash approval: cancel its item)."})


Task = answer(
    "Task", strings("id"), kind=fields.String(validate=validate.OneOf(TASK_KINDS)),
    status=fields.String(validate=validate.OneOf(TASK_STATUSES)),
    **strings("reference due_at changed_at changed_by"),
    **strings("facility assignee requested_by hearing_id", allow_none=True),
    **integers("plan_id item_id", allow_none=True),
    overdue=fields.Boolean(metadata={"description": "Not finished and past its due time."}))
TaskPage = answer("TaskPage", items=fields.List(fields.Nested(Task)),
                  next_cursor=fields.String(allow_none=True))


# --- views -----------------------------------------------------------------------------------------

@endpoint("GET", "/tasks", roles=TASK_ROLES,
          summary="Your provider's tasks (court accompaniment, cash approvals), soonest due "
                  "first, overdue ones flagged (cursor pagination)",
          query=TasksQuery, response=TaskPage, errors=FILTERED)
def list_tasks(ctx: Ctx):
    q = ctx.query
    return ctx.rpc("shelter", "list_tasks", mine=q["mine"], status=q.get("status"),
                   cursor=q.get("cursor"), limit=q["limit"])


@endpoint("POST", "/tasks/<task_id>/assign", roles=TASK_ROLES,
          summary="Give a task to a staff member of your provider (or hand it to another)",
          body=AssignBody, response=Task, errors=WRITE)
def assign_task(ctx: Ctx, task_id: str):
    return ctx.rpc("shelter", "assign_task", task_id=task_id, assignee=ctx.data["assignee"],
                   correlation_id=ctx.correlation_id)


@endpoint("POST", "/tasks/<task_id>/finish", roles=TASK_ROLES,
          summary="Finish an assigned task: done or not needed (409 when it changed meanwhile)",
          body=FinishBody, response=Task, errors=WRITE)
def finish_task(ctx: Ctx, task_id: str):
    return ctx.rpc("shelter", "finish_task", task_id=task_id, outcome=ctx.data["outcome"],
                   correlation_id=ctx.correlation_id)
