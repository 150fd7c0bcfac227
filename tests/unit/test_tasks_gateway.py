"""Gateway rows of the tasks endpoints with a fake RPC pool: shelter staff only (every other
role 403 before any service), query and bodies checked naming the field (422), the service's
refusals back as problem+json with their field, and the OpenAPI document lists them."""

from unittest.mock import ANY

import pytest

from gateway import api
from services.common.errors import Conflict, Forbidden, IllegalTransition, InvalidInput, NotFound

TASK = "a" * 32
TASK_ENDPOINTS = [e for e in api.ENDPOINTS if e.path.startswith("/tasks")]
BODIES = {"assign_task": {"assignee": "staff.two"}, "finish_task": {"outcome": "done"}}
ROW = {"id": TASK, "kind": "accompaniment", "status": "assigned", "reference": "RN-AAAA-BBBB-CCCC-DDDD",
       "facility": "erbil-shelter", "assignee": "staff.two", "requested_by": None,
       "due_at": "2026-03-05T07:00:00Z", "overdue": False, "hearing_id": "c" * 32,
       "plan_id": None, "item_id": None, "changed_at": "2026-03-01T10:00:00Z",
       "changed_by": "staff.one"}


def _call(client, endpoint, headers):
    path = "/api/v1" + endpoint.path.replace("<task_id>", TASK)
    return client.open(path, method=endpoint.method, headers=headers,
                       json=BODIES.get(endpoint.name))


def test_every_task_endpoint_is_covered():
    assert {e.name for e in TASK_ENDPOINTS} == {"list_tasks", "assign_task", "finish_task"}
    assert all(e.roles == ("shelter",) for e in TASK_ENDPOINTS)


@pytest.mark.parametrize("role", ["police", "legal", "court", "admin", "analyst", "partner"])
@pytest.mark.parametrize("endpoint", TASK_ENDPOINTS, ids=[e.name for e in TASK_ENDPOINTS])
def test_no_other_role_reaches_the_tasks(client, rpc, auth, endpoint, role):
    response = _call(client, endpoint, auth(role))
    assert response.status_code == 403 and response.mimetype == "application/problem+json"
    assert rpc.calls == []


@pytest.mark.parametrize("endpoint", TASK_ENDPOINTS, ids=[e.name for e in TASK_ENDPOINTS])
def test_shelter_staff_reach_the_shelter_service(client, rpc, auth, endpoint):
    rpc.responses[("shelter", "list_tasks")] = {"items": [ROW], "next_cursor": None}
    rpc.responses[("shelter", "assign_task")] = ROW
    rpc.responses[("shelter", "finish_task")] = dict(ROW, status="done")
    response = _call(client, endpoint, auth("shelter", user="cm.one"))
    assert response.status_code == 200, response.get_data(as_text=True)
    ((service, method, kwargs),) = rpc.calls
    assert (service, method) == ("shelter", endpoint.name)
    assert kwargs["caller"] == {"user": "cm.one", "role": "shelter", "agency": "shelter-agency",
                                "correlation_id": ANY}
    if "<task_id>" in endpoint.path:
        assert kwargs["task_id"] == TASK


def test_the_list_passes_mine_status_and_cursor(client, rpc, auth):
    rpc.responses[("shelter", "list_tasks")] = {"items": [ROW], "next_cursor": "xyz"}
    response = client.get("/api/v1/tasks?mine=true&status=open&cursor=abc", headers=auth("shelter"))
    assert response.status_code == 200
    assert response.get_json() == {"items": [ROW], "next_cursor": "xyz"}
    kwargs = rpc.calls[0][2]
    assert (kwargs["mine"], kwargs["status"], kwargs["cursor"]) == (True, "open", "abc")
    plain = client.get("/api/v1/tasks", headers=auth("shelter"))
    assert plain.status_code == 200
    assert (rpc.calls[1][2]["mine"], rpc.calls[1][2]["status"]) == (False, None)


@pytest.mark.parametrize("method,path,body,field", [
    ("GET", "/api/v1/tasks?status=late", None, "status"),
    ("GET", "/api/v1/tasks?mine=perhaps", None, "mine"),
    ("GET", "/api/v1/tasks?color=red", None, "color"),
    ("POST", f"/api/v1/tasks/{TASK}/assign", {"assignee": "Jane Doe"}, "assignee"),
    ("POST", f"/api/v1/tasks/{TASK}/assign", {}, "assignee"),
    ("POST", f"/api/v1/tasks/{TASK}/finish", {"outcome": "finished"}, "outcome"),
    ("POST", f"/api/v1/tasks/{TASK}/finish", {"outcome": "done", "note": "x"}, "note"),
])
def test_bad_input_is_422_naming_the_field_and_reaches_no_service(client, rpc, auth, method, path,
                                                                  body, field):
    response = client.open(path, method=method, headers=auth("shelter"), json=body)
    assert response.status_code == 422 and response.mimetype == "application/problem+json"
    assert field in [e["field"] for e in response.get_json()["errors"]]
    assert rpc.calls == []


@pytest.mark.parametrize("error,status,field", [
    (NotFound("no such task", field="task_id"), 404, "task_id"),
    (IllegalTransition("a task that is done cannot become done", field="outcome"), 409, "outcome"),
    (Conflict("the task changed meanwhile", field="task_id"), 409, "task_id"),
    (Forbidden("the requester cannot approve", field="outcome"), 403, "outcome"),
    (InvalidInput("the requester cannot approve", field="assignee"), 422, "assignee"),
])
def test_the_services_refusals_come_back_naming_the_field(client, rpc, auth, error, status, field):
    rpc.responses[("shelter", "finish_task")] = error
    response = client.post(f"/api/v1/tasks/{TASK}/finish", headers=auth("shelter"),
                           json={"outcome": "done"})
    assert (response.status_code, response.get_json()["field"]) == (status, field)
    assert response.mimetype == "application/problem+json"


def test_the_openapi_document_lists_the_tasks(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert {"get"} <= set(spec["paths"]["/api/v1/tasks"])
    assert "post" in spec["paths"]["/api/v1/tasks/{task_id}/assign"]
    assert "post" in spec["paths"]["/api/v1/tasks/{task_id}/finish"]
    assert {"Task", "TaskPage"} <= set(spec["components"]["schemas"])
