"""Small pure helpers: UTC time formatting and the referral list cursor."""

from datetime import datetime, timedelta, timezone

import pytest

from services.common.errors import InvalidInput, NotFound
from services.common.timeutil import aware, iso
from services.common import cursors
from services.referral.usecases.steps import check_reference


def test_naive_times_are_taken_as_utc():
    naive = datetime(2026, 11, 20, 9, 30)
    assert aware(naive) == datetime(2026, 11, 20, 9, 30, tzinfo=timezone.utc)
    assert iso(naive) == "2026-11-20T09:30:00Z"


def test_iso_converts_to_utc():
    local = datetime(2026, 11, 20, 12, 30, tzinfo=timezone(timedelta(hours=3)))
    assert iso(local) == "2026-11-20T09:30:00Z"


def test_none_stays_none():
    assert aware(None) is None and iso(None) is None


@pytest.mark.parametrize("row_id", [1, 42, 10 ** 9])
def test_cursor_round_trip(row_id):
    cursor = cursors.encode_cursor(row_id)
    assert "=" not in cursor and str(row_id) not in cursor
    assert cursors.decode_cursor(cursor) == row_id


@pytest.mark.parametrize("cursor", ["!!!", "bm90LWEtbnVtYmVy", ""])
def test_foreign_cursor_is_invalid_input(cursor):
    with pytest.raises(InvalidInput) as info:
        cursors.decode_cursor(cursor)
    assert info.value.field == "cursor"


@pytest.mark.parametrize("reference", ["", "RN-1", "../etc/passwd", "rn-abcd-efgh-ijkl-mnop"])
def test_malformed_reference_is_not_found(reference):
    """A malformed reference reads as unknown, never as a server error."""
    with pytest.raises(NotFound):
        check_reference(reference)


def test_the_unit_layer_guard_refuses_connections():
    """The autouse guard in conftest.py is what keeps this layer free of I/O; prove it is on."""
    import socket
    import sqlite3
    with pytest.raises(AssertionError, match="must not open"):
        socket.create_connection(("127.0.0.1", 5672), timeout=0.01)
    with pytest.raises(AssertionError, match="must not open"):
        sqlite3.connect(":memory:")
