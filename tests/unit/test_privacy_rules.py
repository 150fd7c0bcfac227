"""Privacy rules without I/O: visibility tables, consent, the audit hash chain,
retention and the keyed name hash, the legal service's consent rules."""

from datetime import datetime, timedelta, timezone

import pytest

from services.common import auditchain
from services.common.caller import Caller
from services.common.errors import Forbidden, InvalidInput
from services.legal.domain import access as legal_access
from services.legal.domain import consent as legal_consent
from services.referral.domain import referral as rules
from services.referral.domain import retention, visibility
from services.shelter.domain import visibility as shelter_visibility

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=timezone.utc)
REFERRAL = {"referring_agency": "erbil-tip", "share_status_with_referrer": True,
            "share_with_legal": True, "referrer_consent_until": None, "legal_consent_until": None,
            "referrer_consent_withdrawn_at": None, "legal_consent_withdrawn_at": None}
POLICE = Caller("p", "police", "erbil-tip")
OTHER_POLICE = Caller("q", "police", "duhok-tip")
SHELTER = Caller("s", "shelter", "erbil-shelter")
LEGAL = Caller("l", "legal", "aid")


# --- visibility tables ---------------------------------------------------------------------------

def test_the_file_is_granted_to_shelter_staff_only():
    assert visibility.granted("file", "shelter") >= {"submission"}
    for role in ("police", "legal", "court", "admin", "analyst"):
        assert visibility.granted("file", role) == frozenset()
        assert all("submission" not in visibility.granted(view, role) for view in visibility.VISIBILITY)


def test_shape_drops_what_the_table_does_not_grant():
    data = {"reference": "R", "status": "accepted", "timeline": [], "legal": {}, "submission": {}}
    assert visibility.shape("status", "police", data) == {"reference": "R", "status": "accepted",
                                                           "timeline": [], "legal": {}}
    assert visibility.shape("status_withdrawn", "police", data) == {"reference": "R",
                                                                     "status": "accepted", "timeline": []}
    assert visibility.shape("status", "analyst", data) == {}


def test_shelter_table_gives_other_roles_counts_only():
    row = {"facility": "f", "population_group": "women", "capacity": 3, "available": 1,
           "address": "secret street", "references": ["RN-X"]}
    for role in ("police", "legal", "court", "admin", "analyst"):
        assert set(shelter_visibility.shape("availability", role, row)) == {
            "facility", "population_group", "capacity", "available"}
    assert shelter_visibility.shape("bed_board", "police", row) == {}
    assert shelter_visibility.shape("bed_board", "shelter", row) == row


def test_legal_table_cuts_hearings_per_role():
    hearing = {k: k for k in legal_access.VISIBILITY["hearing"]["legal"]}
    assert "purpose" not in legal_access.shape("hearing", "police", hearing)
    assert "reference" not in legal_access.shape("hearing", "court", hearing)
    assert "case_number" not in legal_access.shape("hearing", "shelter", hearing)
    assert legal_access.shape("hearing", "analyst", hearing) == {}
    assert legal_access.shape("court_case", "police", {"court": "c"}) == {}


# --- consent ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("caller,referral,access", [
    (SHELTER, REFERRAL, "full"),
    (POLICE, REFERRAL, "full"),
    (OTHER_POLICE, REFERRAL, None),
    (LEGAL, REFERRAL, "full"),
    (Caller("c", "court", "x"), REFERRAL, None),
    (Caller("a", "admin", "x"), REFERRAL, None),
    (POLICE, {**REFERRAL, "share_status_with_referrer": False, "referrer_consent_withdrawn_at": NOW}, "withdrawn"),
    (OTHER_POLICE, {**REFERRAL, "share_status_with_referrer": False, "referrer_consent_withdrawn_at": NOW}, None),
    (POLICE, {**REFERRAL, "share_status_with_referrer": False}, None),  # never given: 404
    (LEGAL, {**REFERRAL, "share_with_legal": False, "legal_consent_withdrawn_at": NOW}, "withdrawn"),
    (POLICE, {**REFERRAL, "referrer_consent_until": NOW - timedelta(seconds=1)}, "withdrawn"),
    (POLICE, {**REFERRAL, "referrer_consent_until": NOW + timedelta(days=1)}, "full"),
    (None, None, None),
])
def test_status_access(caller, referral, access):
    assert rules.status_access(caller or POLICE, referral, NOW) == access


def test_withdrawn_view_says_only_that():
    view = rules.withdrawn_view("RN-X", NOW)
    assert view["status"] == "consent_withdrawn" and len(view["timeline"]) == 1
    assert set(view) == {"reference", "status", "timeline"}


def test_consent_changes_are_for_shelter_staff_and_checked():
    with pytest.raises(Forbidden):
        rules.check_consent_change(POLICE, "legal_team", False, None, None, NOW)
    with pytest.raises(InvalidInput, match="audience"):
        rules.check_consent_change(SHELTER, "court", False, None, None, NOW)
    with pytest.raises(InvalidInput) as info:
        rules.check_consent_change(SHELTER, "legal_team", True, None, None, NOW)
    assert info.value.field == "purpose"
    with pytest.raises(InvalidInput) as info:
        rules.check_consent_change(SHELTER, "legal_team", True, "trial", NOW - timedelta(days=1), NOW)
    assert info.value.field == "until"
    rules.check_consent_change(SHELTER, "legal_team", False, None, None, NOW)
    assert rules.consent_columns("legal_team", False, None, NOW) == {
        "share_with_legal": False, "legal_consent_until": None, "legal_consent_withdrawn_at": NOW}


def test_legal_service_consent_rules():
    assert legal_consent.eligible_status("eligible", "legal_team", False) == "consent_withdrawn"
    assert legal_consent.eligible_status("consent_withdrawn", "legal_team", True) == "eligible"
    assert legal_consent.eligible_status("withdrawn", "legal_team", True) == "withdrawn"
    assert legal_consent.eligible_status("eligible", "referring_police", False) == "eligible"
    row = {"status": "eligible", "legal_consent": None, "legal_consent_until": NOW}
    assert legal_consent.shown_status(row, NOW) == "consent_withdrawn"
    assert legal_consent.shown_status({**row, "legal_consent_until": None}, NOW) == "eligible"


# --- audit chain -----------------------------------------------------------------------------------

KEY = "k" * 48


def _chain(n, key=KEY, first=1, prev=auditchain.GENESIS):
    entries = []
    for i in range(first, first + n):
        e = {"id": i, "at": NOW, "actor": f"u{i}", "role": "shelter", "agency": "a",
             "action": "referral.read_file", "object": "referral:RN-X", "outcome": "ok",
             "correlation_id": None, "prev_hash": prev,
             "key_id": auditchain.key_id(key) if key else None}
        e["hash"] = auditchain.entry_hash(e, prev, key)
        entries.append(e)
        prev = e["hash"]
    return entries


def _head(entries):
    return {"entry_id": entries[-1]["id"], "hash": entries[-1]["hash"], "at": "yesterday"}


def test_an_intact_chain_verifies():
    assert auditchain.verify(_chain(5), KEY) == []


def test_an_edited_entry_is_named():
    entries = _chain(5)
    entries[2]["actor"] = "someone-else"
    assert auditchain.verify(entries, KEY) == ["entry 3 edited: its hash does not match its contents"]


def test_a_deleted_entry_is_named():
    entries = _chain(5)
    del entries[1]
    problems = auditchain.verify(entries, KEY)
    assert problems[0] == "entries 2 to 2 deleted (gap after entry 1)"
    assert any("entry 3: previous hash" in p for p in problems)


def test_a_recomputed_edit_still_breaks_the_next_link():
    entries = _chain(3)
    entries[0]["outcome"] = "denied"
    entries[0]["hash"] = auditchain.entry_hash(entries[0], entries[0]["prev_hash"], KEY)
    assert any(p.startswith("entry 2: previous hash") for p in auditchain.verify(entries, KEY))


def test_a_chain_rewritten_and_hashed_again_without_the_key_is_named():
    rewritten = _chain(4, key=None)  # every hash recomputed: an unkeyed chain is consistent
    rewritten[1]["outcome"] = "denied"
    assert auditchain.verify(rewritten, KEY)[-1].startswith(
        "entries 1 to 4 are not sealed with REFNET_AUDIT_KEY")
    other_key = _chain(4, key="x" * 48)  # or with a key of one's own, under its fingerprint
    assert auditchain.verify(other_key, KEY)[0] == (
        "entry 1 sealed with another key than REFNET_AUDIT_KEY (rewritten, or the key changed)")
    forged = _chain(4, key=None)  # or claiming the real key's fingerprint
    for e in forged:
        e["key_id"] = auditchain.key_id(KEY)
    assert "entry 1 edited: its hash does not match its contents" in auditchain.verify(forged, KEY)


def test_entries_written_before_the_key_are_sealed_by_the_first_keyed_one():
    legacy = _chain(3, key=None)
    chain = legacy + _chain(2, first=4, prev=legacy[-1]["hash"])
    assert auditchain.verify(chain, KEY) == []
    chain[1]["actor"] = "someone-else"
    chain[1]["hash"] = auditchain.entry_hash(chain[1], chain[1]["prev_hash"])
    assert any(p.startswith("entry 3: previous hash") for p in auditchain.verify(chain, KEY))
    late = chain[:3] + _chain(1, first=4, prev=chain[2]["hash"]) + _chain(1, key=None, first=5)
    late[4]["prev_hash"] = late[3]["hash"]
    late[4]["hash"] = auditchain.entry_hash(late[4], late[4]["prev_hash"])
    assert "entry 5 rewritten: unkeyed after keyed entries" in auditchain.verify(late, KEY)


def test_entries_cut_from_the_end_are_named_against_the_checkpoint():
    entries = _chain(6)
    checkpoint = _head(entries)
    assert auditchain.verify(entries, KEY, checkpoint) == []
    assert auditchain.verify(entries[:4], KEY, checkpoint) == [
        "entries 5 to 6 cut from the end (the checkpoint of yesterday recorded entry 6 as the "
        "last; the trail ends at 4)"]
    assert auditchain.verify([], KEY, checkpoint)[0].startswith("entries 1 to 6 cut from the end")
    assert auditchain.verify(entries + _chain(1, first=7, prev=entries[-1]["hash"]), KEY,
                             checkpoint) == []


def test_a_chain_replaced_with_the_key_is_named_against_the_checkpoint():
    entries = _chain(5)
    checkpoint = _head(entries)
    replaced = _chain(5)  # whoever holds the key wrote a whole new, consistent chain
    replaced[2]["outcome"] = "denied"
    prev = replaced[1]["hash"]
    for e in replaced[2:]:
        e["prev_hash"] = prev
        e["hash"] = prev = auditchain.entry_hash(e, prev, KEY)
    assert auditchain.verify(replaced, KEY) == []
    assert auditchain.verify(replaced, KEY, checkpoint) == [
        "entry 5 rewritten: its hash is not the one checkpointed at yesterday (the chain up to "
        "it was replaced)"]


def test_naive_and_aware_utc_times_hash_alike():
    e = _chain(1)[0]
    naive = {**e, "at": NOW.replace(tzinfo=None)}
    assert auditchain.entry_hash(naive, e["prev_hash"], KEY) == e["hash"]


# --- retention and the keyed name hash -------------------------------------------------------------

def test_name_digest_is_keyed_and_normalised():
    key = b"k" * 32
    assert retention.name_digest(key, "Amina  K.") == retention.name_digest(key, " amina k ")
    assert retention.name_digest(key, "Amina K.") != retention.name_digest(b"j" * 32, "Amina K.")
    assert "amina" not in retention.name_digest(key, "Amina K.")
    assert retention.name_digest(key, "  ") is None


def test_retention_cutoff_and_ended_statuses():
    assert retention.cutoff(NOW, 30) == NOW - timedelta(days=30)
    assert set(retention.ENDED) == {"closed", "declined", "withdrawn", "discharged"}


def test_audit_objects_copy_ids_only():
    from services.common.audit import object_id, outcome_of
    from services.common.errors import NotFound
    assert object_id("referral", "RN-ABCD-EFGH-IJKL-MNOP") == "referral:RN-ABCD-EFGH-IJKL-MNOP"
    assert object_id("referral", "Amina K. +964750") == "referral:(not an id)"
    assert object_id("audit", None) == "audit"
    assert outcome_of(None) == "ok" and outcome_of(NotFound("x")) == "not_found"
    assert outcome_of(Forbidden("x")) == "denied" and outcome_of(RuntimeError()) == "error"


def test_free_text_is_sealed_at_rest():
    from services.common.atrest import open_text, seal_text
    from services.common.sealing import FileCipher
    cipher = FileCipher(FileCipher.new_key())
    stored = seal_text(cipher, "strategy")
    assert stored.startswith("fernet:") and "strategy" not in stored
    assert open_text(cipher, stored) == "strategy"
    assert open_text(cipher, "older plain note") == "older plain note"
    with pytest.raises(RuntimeError):
        open_text(None, stored)
    with pytest.raises(RuntimeError):  # never stored in clear for want of keys
        seal_text(None, "strategy")


def test_nothing_is_written_to_the_trail_without_the_audit_key(monkeypatch):
    from services.common import audit
    monkeypatch.delenv("REFNET_AUDIT_KEY", raising=False)
    with pytest.raises(audit.AuditKeyMissing, match="REFNET_AUDIT_KEY is not set"):
        audit.process_key()
    monkeypatch.setenv("REFNET_AUDIT_KEY", KEY)
    assert audit.process_key() == KEY
