"""The agency directory (docs/decisions/0037): its rules without I/O, the gateway's copy of it,
and the gateway's views with the fake RPC."""

import pytest

from gateway.directory import UNSURE, Directory
from services.common.caller import Caller
from services.common.errors import Conflict, Forbidden, InvalidInput, NotFound
from services.referral.domain import directory as rules

ADMIN = Caller("admin.1", "admin", "refnet-admin")
POLICE = Caller("officer.1", "police", "erbil-tip-unit")


# --- the rules ---------------------------------------------------------------------------------

def test_a_new_agency_is_checked_field_by_field():
    entry = rules.new_agency("duhok-gov-shelter", "shelter_provider",
                             {"en": " Duhok House ", "ar": "دار"}, "Duhok",
                             ["psychosocial", "shelter", "shelter"], ["ar", "ckb", "ar"], 2)
    assert entry == {"id": "duhok-gov-shelter", "kind": "shelter_provider",
                     "names": {"en": "Duhok House", "ar": "دار"}, "region": "Duhok",
                     "services": ["shelter", "psychosocial"], "languages": ["ar", "ckb"],
                     "routing_order": 2, "active": True}


@pytest.mark.parametrize("args, field", [
    (("Duhok House", "court", {"en": "x"}), "id"),
    (("-duhok", "court", {"en": "x"}), "id"),
    (("d" * 101, "court", {"en": "x"}), "id"),
    (("duhok", "spaceship", {"en": "x"}), "kind"),
    (("duhok", "court", {"ar": "x"}), "names.en"),
    (("duhok", "court", {"en": "x", "fr": "y"}), "names.fr"),
    (("duhok", "court", {"en": " "}), "names.en"),
    (("duhok", "court", {"en": "x"}, "r" * 101), "region"),
    (("duhok", "court", {"en": "x"}, None, ["flying"]), "services"),
    (("duhok", "court", {"en": "x"}, None, None, ["Arabic"]), "languages"),
    (("duhok", "court", {"en": "x"}, None, None, None, -1), "routing_order"),
    (("duhok", "court", {"en": "x"}, None, None, None, True), "routing_order"),
    (("duhok", "court", {"en": "x"}, None, None, None, None, "yes"), "active"),
])
def test_a_bad_field_is_named(args, field):
    with pytest.raises(InvalidInput) as refused:
        rules.new_agency(*args)
    assert refused.value.field == field


def test_a_change_merges_names_and_never_touches_id_or_kind():
    entry = rules.new_agency("erbil-shelter", "shelter_provider", {"en": "Haven", "ar": "ملاذ"})
    after = rules.changed(entry, {"names": {"ar": None, "ckb": "پەناگە"}, "active": False})
    assert after["names"] == {"en": "Haven", "ckb": "پەناگە"} and after["active"] is False
    for changes, field in (({"kind": "court"}, "kind"), ({"id": "x"}, "id"), ({}, "changes"),
                           ({"names": {"en": None}}, "names.en")):
        with pytest.raises(InvalidInput) as refused:
            rules.changed(entry, changes)
        assert refused.value.field == field


def test_only_an_admin_manages_the_directory():
    rules.require_admin(ADMIN)
    with pytest.raises(Forbidden):
        rules.require_admin(POLICE)


@pytest.mark.parametrize("role, kind, fits", [
    ("police", "police_unit", True), ("police", "shelter_provider", False),
    ("shelter", "shelter_provider", True), ("court", "court", True), ("court", "legal_aid", False),
    ("legal", "legal_aid", True), ("admin", "other", True), ("admin", "police_unit", False),
    ("analyst", "court", True), ("partner", "embassy", True), ("partner", "police_unit", False),
])
def test_a_role_fits_the_kinds_of_its_agencies(role, kind, fits):
    assert rules.kind_fits_role(role, kind) is fits
    problem = rules.identity_problem(role, {"id": "a", "kind": kind, "active": True})
    assert (problem is None) is fits


def test_an_identity_names_an_agency_that_exists_and_is_active():
    assert "unknown" in rules.identity_problem("police", None)
    assert "inactive" in rules.identity_problem("police", {"kind": "police_unit", "active": False})


def test_a_referral_is_addressed_only_to_an_active_shelter_provider():
    assert rules.addressee_problem({"kind": "shelter_provider", "active": True}) is None
    assert rules.addressee_problem(None) == "no such agency"
    assert "inactive" in rules.addressee_problem({"kind": "shelter_provider", "active": False})
    assert "shelter_provider" in rules.addressee_problem({"kind": "court", "active": True})


def test_a_name_falls_back_to_english_then_the_id():
    agency = {"names": {"en": "Court", "ar": "محكمة"}}
    assert rules.display_name(agency, "ar", "x") == "محكمة"
    assert rules.display_name(agency, "ckb", "x") == "Court"
    assert rules.display_name(None, "ar", "x") == "x"


# --- the gateway's copy ----------------------------------------------------------------------------

class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_the_gateway_copy_is_read_briefly_and_kept_when_the_service_does_not_answer():
    clock, reads = Clock(), []
    answers = [[{"id": "a", "kind": "police_unit", "active": True}]]

    def fetch():
        reads.append(clock.now)
        answer = answers[-1]
        if isinstance(answer, Exception):
            raise answer
        return answer

    directory = Directory(fetch, max_age=5.0, clock=clock)
    assert directory.agency("a")["kind"] == "police_unit"
    assert len(reads) == 1
    assert directory.agency("a")["kind"] == "police_unit" and len(reads) == 1
    clock.now = 1.5  # an id missing from the copy reads again
    assert directory.lookup("b") is None and len(reads) == 2
    answers.append(TimeoutError())
    clock.now = 10.0
    assert directory.agency("a")["active"] is True  # the last copy stands
    assert directory.lookup("b") is UNSURE  # it cannot tell
    assert len(reads) == 3
    clock.now = 11.0
    directory.lookup("a")
    assert len(reads) == 3  # not asked again before max_age: no request waits out a timeout
    answers.append([{"id": "a", "kind": "police_unit", "active": False}])
    directory.invalidate()
    assert directory.agency("a")["active"] is False and len(reads) == 4


def test_with_no_copy_and_no_service_the_gateway_cannot_tell():
    def fetch():
        raise ConnectionError()
    directory = Directory(fetch)
    assert directory.lookup("a") is UNSURE and directory.agency("a") is None


# --- the gateway's views with the fake RPC ---------------------------------------------------------

ENTRY = {"id": "duhok-gov-shelter", "kind": "shelter_provider",
         "names": {"en": "Duhok House", "ar": "دار دهوك"}, "region": "Duhok",
         "services": ["shelter"], "languages": ["ar"], "routing_order": 2, "active": True}


def test_every_role_lists_agencies_with_the_name_in_its_language(client, rpc, auth):
    rpc.responses[("referral", "list_agencies")] = [ENTRY]
    for role in ("police", "shelter", "legal", "court", "admin", "analyst"):
        answer = client.get("/api/v1/agencies?kind=shelter_provider", headers=auth(role))
        assert answer.status_code == 200, answer.text
    assert answer.json["items"][0]["name"] == "Duhok House"
    assert rpc.calls[-1] == ("referral", "list_agencies", {
        "caller": rpc.calls[-1][2]["caller"], "kind": "shelter_provider", "active": None})
    arabic = client.get("/api/v1/agencies", headers={**auth("police"), "Accept-Language": "ar"})
    assert arabic.json["items"][0]["name"] == "دار دهوك"
    kurdish = client.get("/api/v1/agencies", headers={**auth("police"), "Accept-Language": "ckb"})
    assert kurdish.json["items"][0]["name"] == "Duhok House"  # no Kurdish name: English
    assert client.get("/api/v1/agencies?kind=spaceship", headers=auth("police")).status_code == 422


def test_an_admin_registers_an_agency(client, rpc, auth, directory):
    rpc.responses[("referral", "register_agency")] = lambda **kw: {**ENTRY, "id": kw["agency"]}
    body = {"id": "duhok-gov-shelter", "kind": "shelter_provider", "name": "Duhok House",
            "names": {"ar": "دار دهوك"}, "services": ["shelter"], "languages": ["ar"],
            "routing_order": 2}
    answer = client.post("/api/v1/agencies", json=body, headers=auth("admin"))
    assert answer.status_code == 201, answer.text
    assert answer.headers["Location"] == "/api/v1/agencies/duhok-gov-shelter"
    call = rpc.calls[-1][2]
    assert call["names"] == {"en": "Duhok House", "ar": "دار دهوك"} and call["active"] is True
    assert directory.invalidated == 1
    assert client.post("/api/v1/agencies", json=body, headers=auth("police")).status_code == 403


def test_a_duplicate_id_is_409_and_an_unknown_kind_422_naming_kind(client, rpc, auth):
    rpc.responses[("referral", "register_agency")] = Conflict("exists", field="id")
    body = {"id": "erbil-shelter", "kind": "shelter_provider", "name": "Haven"}
    answer = client.post("/api/v1/agencies", json=body, headers=auth("admin"))
    assert answer.status_code == 409 and answer.json["code"] == "agency-exists"
    calls = len(rpc.calls)
    answer = client.post("/api/v1/agencies", json={**body, "kind": "spaceship"}, headers=auth("admin"))
    assert answer.status_code == 422 and answer.json["field"] == "kind"
    answer = client.post("/api/v1/agencies", json={"id": "x", "kind": "court"}, headers=auth("admin"))
    assert answer.status_code == 422 and answer.json["field"] == "name"
    assert len(rpc.calls) == calls  # refused before any call


def test_an_admin_changes_an_agency(client, rpc, auth, directory):
    rpc.responses[("referral", "update_agency")] = {**ENTRY, "active": False}
    answer = client.patch("/api/v1/agencies/duhok-gov-shelter",
                          json={"active": False, "name": "Duhok House II", "routing_order": None},
                          headers=auth("admin"))
    assert answer.status_code == 200 and answer.json["active"] is False
    assert rpc.calls[-1][2]["changes"] == {"active": False, "routing_order": None,
                                           "names": {"en": "Duhok House II"}}
    assert directory.invalidated == 1
    rpc.responses[("referral", "update_agency")] = NotFound("no such agency", field="agency")
    assert client.patch("/api/v1/agencies/nobody", json={"active": True},
                        headers=auth("admin")).status_code == 404
    assert client.patch("/api/v1/agencies/x", json={}, headers=auth("admin")).status_code == 422
    assert client.patch("/api/v1/agencies/x", json={"kind": "court"},
                        headers=auth("admin")).status_code == 422


def test_a_request_of_an_unknown_or_inactive_agency_is_refused(client, auth, directory, rpc):
    directory.missing.add("gone-unit")
    answer = client.get("/api/v1/shelters/availability", headers=auth("police", agency="gone-unit"))
    assert answer.status_code == 401 and answer.json["code"] == "agency-unknown"
    directory.add("closed-unit", kind="police_unit", active=False)
    answer = client.get("/api/v1/agencies", headers=auth("police", agency="closed-unit"))
    assert answer.status_code == 401 and answer.json["code"] == "agency-inactive"
    assert rpc.calls == []


@pytest.mark.parametrize("addressee, why", [("nowhere", "No such"), ("closed-shelter", "inactive"),
                                            ("erbil-court", "shelter_provider")])
def test_addressed_to_must_be_an_active_provider(client, auth, directory, intake, body, addressee, why):
    directory.missing.add("nowhere")
    directory.add("closed-shelter", kind="shelter_provider", active=False)
    directory.add("erbil-court", kind="court")
    answer = client.post("/api/v1/referrals", json={**body, "addressed_to": addressee},
                         headers=auth("police"))
    assert answer.status_code == 422 and answer.json["field"] == "addressed_to", answer.text
    assert why in answer.json["detail"]
    assert intake.submissions == []


def test_addressed_to_a_provider_is_submitted(client, auth, directory, intake, body):
    directory.add("duhok-gov-shelter", kind="shelter_provider")
    answer = client.post("/api/v1/referrals", json={**body, "addressed_to": "duhok-gov-shelter"},
                         headers=auth("police"))
    assert answer.status_code == 202, answer.text
    assert intake.submissions[0]["body"]["addressed_to"] == "duhok-gov-shelter"
    bad = client.post("/api/v1/referrals", json={**body, "addressed_to": "Not An Id"},
                      headers=auth("police"))
    assert bad.status_code == 422 and bad.json["field"] == "addressed_to"


def test_the_status_timeline_names_each_agency_in_the_request_language(client, rpc, auth):
    rpc.responses[("referral", "get_status")] = lambda **kw: {
        "reference": "RN-ABCD-EFGH-IJKL-MNOP", "status": "received", "timeline": [
            {"at": "2026-11-20T09:30:00Z", "agency": "erbil-tip-unit", "status": "submitted",
             "note": "Referral submitted"},
            {"at": "2026-11-20T09:31:00Z", "agency": "erbil-shelter", "status": "received",
             "note": "Received", "agency_names": {"en": "Haven", "ar": "ملاذ"}}]}
    answer = client.get("/api/v1/referrals/RN-ABCD-EFGH-IJKL-MNOP/status",
                        headers={**auth("police"), "Accept-Language": "ar"})
    timeline = answer.json["timeline"]
    assert "agency_name" not in timeline[0] and timeline[1]["agency_name"] == "ملاذ"
    assert "agency_names" not in timeline[1]
