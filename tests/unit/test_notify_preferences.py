"""Notification preferences (services/notify/domain/preferences.py), without I/O: defaults,
checks naming the field, quiet hours in the person's time zone, channels and the digest."""

from datetime import datetime, timezone

import pytest

from services.common.errors import InvalidInput
from services.notify.domain import preferences as p

UTC = timezone.utc
EMAIL = "officer@example.org"
PHONE = "+9647501112233"


def prefs(**changes):
    base = {"language": "ar", "email": EMAIL, "phone": PHONE, "time_zone": "Asia/Baghdad",
            "quiet_hours": {"start": "22:00", "end": "07:00"},
            "digest": {"enabled": False, "hour": 8},
            "moments": {"referral_accepted": ["inbox", "email", "sms"]}}
    base.update(changes)
    return base


def field_of(data) -> str:
    with pytest.raises(InvalidInput) as caught:
        p.validate(data)
    assert EMAIL not in str(caught.value) and PHONE not in str(caught.value)
    return caught.value.field


def test_the_defaults_are_the_inbox_only_in_english():
    d = p.defaults()
    assert (d["language"], d["email"], d["phone"], d["moments"]) == ("en", None, None, {})
    assert d["time_zone"] == "Asia/Baghdad" and d["quiet_hours"] is None
    assert p.channels_for(None, "referral_accepted") == ()


def test_a_valid_shape_comes_back_complete_with_inbox_dropped():
    saved = p.validate(prefs())
    assert saved["moments"] == {"referral_accepted": ["email", "sms"]}
    assert saved["quiet_hours"] == {"start": "22:00", "end": "07:00"}
    assert p.validate({}) == p.defaults()


def test_inbox_only_moments_are_accepted_and_need_no_address():
    assert p.validate({"moments": {"admitted": ["inbox"]}})["moments"] == {}


@pytest.mark.parametrize("data,field", [
    (prefs(language="fr"), "language"),
    (prefs(email="not-an-address"), "email"),
    (prefs(phone="07501112233"), "phone"),
    (prefs(phone="+12"), "phone"),
    (prefs(time_zone="Mars/Olympus"), "time_zone"),
    (prefs(quiet_hours={"start": "25:00", "end": "07:00"}), "quiet_hours.start"),
    (prefs(quiet_hours={"start": "22:00", "end": "7"}), "quiet_hours.end"),
    (prefs(quiet_hours={"start": "22:00", "end": "22:00"}), "quiet_hours.end"),
    (prefs(quiet_hours="all night"), "quiet_hours"),
    (prefs(digest={"enabled": "yes", "hour": 8}), "digest.enabled"),
    (prefs(digest={"enabled": True, "hour": 24}), "digest.hour"),
    (prefs(digest={"enabled": True, "hour": True}), "digest.hour"),
    (prefs(moments={"lunch_served": ["email"]}), "moments.lunch_served"),
    (prefs(moments={"admitted": ["pigeon"]}), "moments.admitted"),
    (prefs(moments={"admitted": "email"}), "moments.admitted"),
    (prefs(email=None, moments={"admitted": ["email"]}), "moments.admitted"),
    (prefs(phone=None, moments={"bed_held": ["sms"]}), "moments.bed_held"),
    (prefs(moments=["admitted"]), "moments"),
    ({"colour": "blue"}, "colour"),
    ("everything", "preferences"),
])
def test_bad_input_names_its_field(data, field):
    assert field_of(data) == field


def test_a_field_name_never_repeats_input_that_is_not_a_code():
    assert field_of(prefs(moments={"Zerya Q <z@x.org>": ["email"]})) == "moments"


def test_channels_are_those_chosen_and_reachable():
    saved = p.validate(prefs())
    assert p.channels_for(saved, "referral_accepted") == ("email", "sms")
    assert p.channels_for(saved, "admitted") == ()
    assert p.channels_for({**saved, "phone": None}, "referral_accepted") == ("email",)


def test_quiet_hours_across_midnight_hold_a_message_until_they_end():
    saved = p.validate(prefs())
    evening = datetime(2026, 12, 10, 20, 30, tzinfo=UTC)       # 23:30 in Baghdad
    assert p.in_quiet_hours(saved, evening)
    assert p.send_after(saved, False, evening) == datetime(2026, 12, 11, 4, 0, tzinfo=UTC)
    night = datetime(2026, 12, 11, 1, 0, tzinfo=UTC)           # 04:00 in Baghdad
    assert p.send_after(saved, False, night) == datetime(2026, 12, 11, 4, 0, tzinfo=UTC)


def test_outside_quiet_hours_and_when_urgent_a_message_goes_now():
    saved = p.validate(prefs())
    day = datetime(2026, 12, 10, 9, 0, tzinfo=UTC)             # 12:00 in Baghdad
    assert not p.in_quiet_hours(saved, day)
    assert p.send_after(saved, False, day) == day
    evening = datetime(2026, 12, 10, 20, 30, tzinfo=UTC)
    assert p.send_after(saved, True, evening) == evening
    assert p.send_after(None, False, evening) == evening


def test_the_end_of_quiet_hours_is_exclusive_and_the_start_inclusive():
    saved = p.validate(prefs())
    assert p.in_quiet_hours(saved, datetime(2026, 12, 10, 19, 0, tzinfo=UTC))      # 22:00
    assert not p.in_quiet_hours(saved, datetime(2026, 12, 10, 4, 0, tzinfo=UTC))   # 07:00
    assert not p.in_quiet_hours(saved, datetime(2026, 12, 10, 18, 59, tzinfo=UTC))  # 21:59


def test_quiet_hours_within_one_day():
    saved = p.validate(prefs(quiet_hours={"start": "13:00", "end": "15:30"}))
    lunch = datetime(2026, 12, 10, 10, 15, tzinfo=UTC)          # 13:15 in Baghdad
    assert p.send_after(saved, False, lunch) == datetime(2026, 12, 10, 12, 30, tzinfo=UTC)
    assert p.send_after(saved, False, datetime(2026, 12, 10, 13, 0, tzinfo=UTC)) == \
        datetime(2026, 12, 10, 13, 0, tzinfo=UTC)


def test_quiet_hours_follow_daylight_saving_in_the_persons_zone():
    saved = p.validate(prefs(time_zone="Europe/Berlin"))
    # the night of the autumn change (25 October 2026: 03:00 CEST -> 02:00 CET)
    night = datetime(2026, 10, 24, 21, 0, tzinfo=UTC)          # 23:00 CEST
    assert p.send_after(saved, False, night) == datetime(2026, 10, 25, 6, 0, tzinfo=UTC)  # 07:00 CET


def test_a_digest_reader_gets_non_urgent_email_at_the_digest_hour():
    saved = p.validate(prefs(digest={"enabled": True, "hour": 8}))
    noon = datetime(2026, 12, 10, 9, 0, tzinfo=UTC)            # 12:00 in Baghdad
    plan = p.delivery_plan(saved, "referral_accepted", False, noon)
    assert plan == [("email", "digest", datetime(2026, 12, 11, 5, 0, tzinfo=UTC)),
                    ("sms", "pending", noon)]
    urgent = p.delivery_plan(saved, "referral_accepted", True, noon)
    assert urgent == [("email", "pending", noon), ("sms", "pending", noon)]


def test_the_digest_goes_today_when_its_hour_is_still_ahead():
    saved = p.validate(prefs(digest={"enabled": True, "hour": 18}))
    noon = datetime(2026, 12, 10, 9, 0, tzinfo=UTC)
    assert p.next_digest_at(saved, noon) == datetime(2026, 12, 10, 15, 0, tzinfo=UTC)


def test_without_preferences_there_are_no_deliveries():
    assert p.delivery_plan(None, "referral_accepted", True, datetime.now(UTC)) == []
