"""The names the survivors gave, for the shelter's own pages (``names_for``, docs/decisions/0045):
on real SQLite and PostgreSQL databases built by the migrations, a name is given exactly when
``get_file`` would give the file (the holder's staff, with the survivor's consent to share the
file with their agency, not anonymised); and in the referral service's nameko container on the
real broker, each reference asked is one audit entry naming it, a refused call one entry, and
no name reaches the trail."""

import pytest
from nameko.exceptions import RemoteError
from sqlalchemy import event, select, update

from gateway.intake import IntakePublisher
from services.common.clock import SystemClock
from services.common.errors import Forbidden, InvalidInput
from services.referral import usecases
from services.referral.tables import audit_log as referral_audit
from services.referral.tables import referrals

from tests.integration.conftest import (SURVIVOR_NAME, caller, intake_command, submission, wait_for)
from tests.integration.test_services_flow import POLICE, SHELTER_AGENCY, STAFF, network  # noqa: F401

CLOCK = SystemClock()
A, B = "shelter-a", "shelter-b"
UNKNOWN = "RN-AAAA-BBBB-CCCC-DDDD"


@pytest.fixture
def db(databases, db_url):
    return databases.database(databases.migrated("referral", db_url))


def _submit(db, keys, name, share_file_with=None):
    body = submission(name=name)
    if share_file_with is not None:
        body["consent"]["share_file_with"] = share_file_with
    reference, _ = usecases.submit(db, CLOCK, keys.cipher, keys.intake_private,
                                   intake_command(keys.intake_public, body))
    return reference


def _names(db, keys, agency, references, role="shelter"):
    return usecases.names_for(db, keys.cipher, caller(role, agency), references, now=CLOCK.now())


def test_a_name_is_given_exactly_where_the_file_is(db, keys):
    shared = _submit(db, keys, "Name Shared With All")            # the network: every provider
    only_a = _submit(db, keys, "Name For A Only", share_file_with=[A])
    names, asked = _names(db, keys, A, [shared, only_a, UNKNOWN, "not-a-reference", shared])
    assert names == {shared: "Name Shared With All", only_a: "Name For A Only"}
    assert asked == [shared, only_a, UNKNOWN]                      # each once, well-formed only
    # B reads A's referral's summary only, so no name; the file rule decides, not the list
    assert _names(db, keys, B, [shared, only_a])[0] == {shared: "Name Shared With All"}
    for reference in (shared, only_a):
        file = usecases.get_file(db, keys.cipher, caller("shelter", B), reference, now=CLOCK.now())
        assert file["file_shared"] is (reference in _names(db, keys, B, [reference])[0])


def test_a_page_of_names_is_read_in_as_many_statements_as_one_name(db, keys):
    """A shelter's list page asks for up to 50 names at a time: the referrals and their file
    consents are read in one statement each, not one per name."""
    one = [_submit(db, keys, "Name One")]
    many = one + [_submit(db, keys, f"Name {n}", share_file_with=[A]) for n in range(7)]
    statements = []

    def count(*_args):
        statements.append(1)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        assert len(_names(db, keys, A, one)[0]) == 1
        for_one, statements[:] = len(statements), []
        assert len(_names(db, keys, A, many)[0]) == 8
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len(statements) == for_one


def test_a_withdrawn_consent_or_an_anonymised_file_gives_no_name(db, keys):
    reference = _submit(db, keys, "Name Then Withdrawn")
    usecases.record_consent(db, CLOCK, caller("shelter", A, user="cm.a"), reference, "provider",
                            False, agency=A)
    assert _names(db, keys, A, [reference])[0] == {}               # the very next read
    other = _submit(db, keys, "Name Then Anonymised")
    with db.write() as s:
        s.execute(update(referrals).where(referrals.c.reference == other)
                  .values(anonymised_at=CLOCK.now()))
    assert _names(db, keys, A, [other])[0] == {}


@pytest.mark.parametrize("role", ["police", "legal", "court", "partner", "admin", "analyst"])
def test_no_other_role_gets_a_name(db, keys, role):
    reference = _submit(db, keys, "Name Of Nobody Else")
    with pytest.raises(Forbidden):
        _names(db, keys, "erbil-police", [reference], role=role)


@pytest.mark.parametrize("references", [[UNKNOWN] * 101, "RN-AAAA-BBBB-CCCC-DDDD", [1, 2], None])
def test_a_list_of_more_than_a_page_or_not_a_list_is_refused(db, keys, references):
    with pytest.raises(InvalidInput) as refused:
        _names(db, keys, A, references)
    assert refused.value.field == "references"


def _entries(network_, action="referral.read_name"):
    with network_.db["referral"].read() as s:
        return [(r.agency, r.object, r.outcome) for r in s.execute(
            select(referral_audit).where(referral_audit.c.action == action)
            .order_by(referral_audit.c.id))]


def test_names_for_on_the_real_network_audits_each_reference_and_leaks_no_name(network, keys):
    intake = IntakePublisher(network.uri, keys.intake_public, "reference-secret")
    reference = intake.reference("erbil-police", "names-1")
    intake.submit(submission(), reference=reference, agency="erbil-police", user="officer.one",
                  correlation_id=None)
    other = caller("shelter", "other-shelter", "intake.other").to_dict()
    with network.rpc() as rpc:
        wait_for(lambda: rpc.referral.get_status(POLICE, reference)["status"] == "received",
                 what="the referral received")
        assert rpc.referral.names_for(STAFF, [reference, UNKNOWN]) == {reference: SURVIVOR_NAME}
        assert rpc.referral.names_for(other, [reference]) == {}    # another provider: nothing
        with pytest.raises(RemoteError) as refused:
            rpc.referral.names_for(POLICE, [reference])
        assert refused.value.exc_type == "Forbidden" and SURVIVOR_NAME not in str(refused.value)
        with pytest.raises(RemoteError) as invalid:
            rpc.referral.names_for(STAFF, [UNKNOWN] * 101)
        assert invalid.value.exc_type == "InvalidInput"

    assert _entries(network) == [
        (SHELTER_AGENCY, f"referral:{reference}", "ok"),
        (SHELTER_AGENCY, f"referral:{UNKNOWN}", "not_found"),
        ("other-shelter", f"referral:{reference}", "not_found"),
        ("erbil-police", "referrals", "denied"),
        (SHELTER_AGENCY, "referrals", "invalid")]
    # the trail holds no name
    with network.db["referral"].read() as s:
        trail = [tuple(r) for r in s.execute(select(referral_audit))]
    assert SURVIVOR_NAME not in repr(trail)
