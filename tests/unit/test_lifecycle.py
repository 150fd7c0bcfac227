"""The referral lifecycle: which status may follow which."""

import pytest

from services.common.errors import Conflict, IllegalTransition
from services.contracts.vocabulary import REFERRAL_STATUSES
from services.referral.domain import lifecycle

ALLOWED = [(current, new) for current, targets in lifecycle.TRANSITIONS.items() for new in sorted(targets)]

ILLEGAL = [
    ("submitted", "accepted"),     # the shelter must receive it first
    ("submitted", "admitted"),
    ("submitted", "submitted"),
    ("received", "admitted"),
    ("received", "submitted"),
    ("screening", "submitted"),
    ("received", "received"),
    ("waitlisted", "admitted"),
    ("accepted", "declined"),
    ("bed_held", "declined"),
    ("admitted", "withdrawn"),     # too late to withdraw once admitted
    ("admitted", "closed"),        # must be discharged first
    ("discharged", "admitted"),
    ("declined", "accepted"),
    ("withdrawn", "received"),
    ("closed", "submitted"),
    ("closed", "closed"),
]


def test_transition_table_covers_exactly_the_known_statuses():
    assert set(lifecycle.TRANSITIONS) == set(REFERRAL_STATUSES)
    for targets in lifecycle.TRANSITIONS.values():
        assert targets <= set(REFERRAL_STATUSES)


@pytest.mark.parametrize("current,new", ALLOWED)
def test_every_allowed_transition_passes(current, new):
    assert lifecycle.can_move(current, new) is True
    lifecycle.check(current, new)  # and check() agrees: it must not raise


def test_allowed_table_is_not_trivially_empty():
    assert len(ALLOWED) >= 25


@pytest.mark.parametrize("current,new", ILLEGAL)
def test_illegal_transition_raises_naming_both_statuses(current, new):
    assert lifecycle.can_move(current, new) is False
    with pytest.raises(IllegalTransition) as info:
        lifecycle.check(current, new)
    detail = info.value.detail
    assert f"is {current}" in detail and f"become {new}" in detail
    assert info.value.field == "status"


def test_illegal_transition_lists_what_is_allowed_instead():
    with pytest.raises(IllegalTransition) as info:
        lifecycle.check("admitted", "withdrawn")
    assert "may become: discharged" in info.value.detail


def test_closed_is_final():
    assert lifecycle.TERMINAL == {"closed"}
    for status in REFERRAL_STATUSES:
        assert not lifecycle.can_move("closed", status)
    with pytest.raises(IllegalTransition, match="nothing \\(final\\)"):
        lifecycle.check("closed", "submitted")


def test_every_status_but_closed_can_eventually_reach_closed():
    """No dead end: from any status there is a path to the final one."""
    reach = {"closed"}
    changed = True
    while changed:
        changed = False
        for status, targets in lifecycle.TRANSITIONS.items():
            if status not in reach and targets & reach:
                reach.add(status)
                changed = True
    assert reach == set(REFERRAL_STATUSES)


def test_unknown_target_status_is_refused():
    with pytest.raises(IllegalTransition) as info:
        lifecycle.check("submitted", "teleported")
    assert "unknown status teleported" in info.value.detail
    assert not lifecycle.can_move("submitted", "teleported")


def test_unknown_current_status_can_move_nowhere():
    assert not lifecycle.can_move("bogus", "received")
    with pytest.raises(IllegalTransition, match="bogus"):
        lifecycle.check("bogus", "received")


def test_illegal_transition_is_a_conflict():
    """The gateway maps Conflict to 409; an illegal transition must be one."""
    assert issubclass(IllegalTransition, Conflict)
