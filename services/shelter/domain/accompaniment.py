"""Court accompaniment: which hearings the shelter tracks and what its staff see. No I/O.

The shelter learns of its residents' hearings from the legal service (date, time, court,
whether the survivor must attend) and, 72 hours before one the survivor must attend, of the
reminder: that turns the hearing into an accompaniment task to arrange.
"""

from datetime import datetime
from zoneinfo import ZoneInfo

from services.common.timeutil import aware, iso

NOT_RESIDENT = frozenset({"received", "declined", "withdrawn"})


def is_resident(incoming_status: str | None) -> bool:
    """A referral the shelter accepted (and any later stay) is one of its residents."""
    return incoming_status is not None and incoming_status not in NOT_RESIDENT


def hearing_view(row: dict) -> dict:
    """A hearing as shelter staff see it, with its accompaniment task once reminded (its
    status follows the task of ``/tasks``: its id and assignee are there too)."""
    starts = aware(row["starts_at"])
    task = None
    if row["reminded_at"] is not None:
        task = {"task": "accompany_to_court", "status": row["task_status"],
                "reminded_at": iso(row["reminded_at"]), "due_at": iso(row["reminder_due_at"]),
                "task_id": row.get("task_id"), "assignee": row.get("assignee")}
    return {"hearing_id": row["hearing_id"], "reference": row["reference"], "court": row["court"],
            "starts_at": iso(starts), "time_zone": row["time_zone"],
            "starts_at_local": starts.astimezone(ZoneInfo(row["time_zone"])).isoformat(),
            "attendance_required": bool(row["attendance_required"]), "status": row["status"],
            "accompaniment": task}


def upcoming_tests(status, starts_at, now: datetime) -> tuple:
    """The conditions an upcoming hearing meets (all of them): still scheduled, not yet begun.
    Written once for values and SQL columns alike: ``is_upcoming`` checks a row with them and
    the hearing query filters by them."""
    return (status == "scheduled", starts_at >= now)


def is_upcoming(row: dict, now: datetime) -> bool:
    """Whether a hearing row is still to come."""
    return all(upcoming_tests(row["status"], aware(row["starts_at"]), now))
