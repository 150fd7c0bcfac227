"""Who holds a referral, in the referral service (docs/decisions/0039), without I/O: the rule
``holds`` (consent, the file, the status), its refusal ``require_holder`` (404 naming the
reference), and its SQL form ``queries.held_by_caller`` (the search by name, the list, the
figures), both read from ``held_scope``."""

import itertools

import pytest

from services.common.caller import Caller
from services.common.errors import Forbidden, NotFound
from services.referral import queries
from services.referral.domain import referral as rules

A, B = "provider-a", "provider-b"
REFERENCE = "RN-ABCD-EFGH-IJKL-MNOP"
STAFF_A, STAFF_B = Caller("a.cm", "shelter", A), Caller("b.cm", "shelter", B)
OTHERS = [Caller("p", "police", "erbil-police"), Caller("l", "legal", "aid"),
          Caller("c", "court", "court-1"), Caller("x", "admin", A), Caller("n", "analyst", A),
          Caller("q", "partner", A)]


@pytest.mark.parametrize("held_by,default,staff_a,staff_b", [
    (B, A, False, True),       # held by B: B's staff only, whoever the default is
    (B, None, False, True),
    (A, B, True, False),
    (None, A, True, False),    # nobody holds it yet: the default provider's staff
    (None, B, False, True),
    (None, None, True, True),  # no holder, no default: any shelter staff, as before routing
])
def test_the_holders_staff_hold_it(held_by, default, staff_a, staff_b):
    referral = {"reference": REFERENCE, "held_by": held_by}
    assert rules.holds(STAFF_A, referral, default) is staff_a
    assert rules.holds(STAFF_B, referral, default) is staff_b
    for other in OTHERS:  # another role never holds a referral, even of the holder's agency
        assert rules.holds(other, referral, default) is False


def test_held_scope_says_the_same_as_holds():
    for caller, held_by, default in itertools.product(
            [STAFF_A, STAFF_B, *OTHERS], [A, B, None, ""], [A, B, None]):
        scope = rules.held_scope(caller, default)
        expected = rules.holds(caller, {"held_by": held_by}, default)
        if scope is None:
            assert expected is False
            continue
        agency, also_unheld = scope
        assert (held_by == agency if held_by else also_unheld) is expected, (caller, held_by, default)


def test_require_holder_refuses_everyone_else_with_not_found_naming_the_reference():
    referral = {"reference": REFERENCE, "held_by": B}
    assert rules.require_holder(STAFF_B, referral, REFERENCE, A) is referral
    for who, row in [(STAFF_A, referral), (STAFF_B, None), *[(o, referral) for o in OTHERS]]:
        with pytest.raises(NotFound) as refused:
            rules.require_holder(who, row, REFERENCE, A)
        assert not isinstance(refused.value, Forbidden)
        assert refused.value.field == "reference"
    # another provider's refusal reads as the refusal of a reference that does not exist
    with pytest.raises(NotFound) as other:
        rules.require_holder(STAFF_A, referral, REFERENCE, A)
    with pytest.raises(NotFound) as missing:
        rules.require_holder(STAFF_A, None, REFERENCE, A)
    assert str(other.value) == str(missing.value)


def test_status_access_of_shelter_staff_follows_the_holder():
    referral = {"referring_agency": "erbil-police", "held_by": B}
    assert rules.status_access(STAFF_B, referral, None, A) == "full"
    assert rules.status_access(STAFF_A, referral, None, A) is None
    assert rules.status_access(STAFF_A, {**referral, "held_by": None}, None, A) == "full"
    assert rules.status_access(STAFF_B, {**referral, "held_by": None}, None, A) is None


def _sql(expression) -> str:
    return str(expression.compile(compile_kwargs={"literal_binds": True}))


@pytest.mark.parametrize("caller,default,sql", [
    (STAFF_B, A, "referrals.held_by = 'provider-b'"),
    (STAFF_A, A, "referrals.held_by = 'provider-a' OR referrals.held_by IS NULL"),
    (STAFF_A, None, "referrals.held_by = 'provider-a' OR referrals.held_by IS NULL"),
    (Caller("n", "analyst", A), A, "false"),
    (Caller("x", "admin", A), A, "false"),
])
def test_the_sql_filter_is_the_rules(caller, default, sql):
    assert _sql(queries.held_by_caller(caller, default)) == sql


def test_the_lists_filter_for_shelter_staff_is_the_holders():
    assert _sql(queries.visible_to(STAFF_B, None, A)) == _sql(queries.held_by_caller(STAFF_B, A))
    assert _sql(queries.visible_to(STAFF_A, None, A)) == _sql(queries.held_by_caller(STAFF_A, A))
