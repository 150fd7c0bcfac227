"""The realistic day's model (bench/daymodel.py): the argument from the shelter's first year to
the replayed hour, the mix of operations, and the open-loop plan. No I/O."""

import collections
from dataclasses import replace
from datetime import date

import pytest

from bench import daymodel
from bench.daymodel import Assumptions


def test_the_argument_goes_from_seventy_people_to_the_replayed_hour():
    d = daymodel.derivation()
    assert d["people_per_year"] == 70 * 40
    assert d["referrals_per_year"] == 70 * 40 * 2
    assert d["referrals_average_day"] == pytest.approx(5600 / 365, abs=0.01)
    assert d["referrals_busiest_day"] == pytest.approx(5600 / 365 * 4, abs=0.01)
    assert d["referrals_busiest_hour"] == pytest.approx(5600 / 365 * 4 * 0.2, abs=0.01)
    assert d["referrals_per_hour_replayed"] == pytest.approx(d["referrals_busiest_hour"] * 100, abs=0.5)


def test_the_busiest_day_at_100x_its_busiest_hour_lasts_minutes():
    assert daymodel.replay_seconds() == pytest.approx(180)   # 1 / (100 * 0.2) hours
    assert daymodel.replay_seconds(replace(Assumptions(), busiest_hour_share=0.1)) == pytest.approx(360)


def test_the_mix_follows_the_referrals_and_its_proportions_sum_to_one():
    mix = daymodel.hourly_mix()
    submissions = mix["POST /api/v1/referrals"]
    assert submissions == pytest.approx(daymodel.derivation()["referrals_busiest_hour"] * 100)
    assert mix["GET /api/v1/referrals/{reference}/status"] == pytest.approx(12 * submissions)
    shares = daymodel.proportions()
    assert sum(shares.values()) == pytest.approx(1.0)
    assert set(shares) == set(mix) == {op.name for op in daymodel.OPERATIONS}
    # every kind of work the issue names is in the mix
    assert {op.group for op in daymodel.OPERATIONS} == {"police", "shelter", "care", "legal", "web",
                                                       "reports"}
    assert all(op.why and op.per_referral > 0 for op in daymodel.OPERATIONS)
    assert len({op.name for op in daymodel.OPERATIONS}) == len(daymodel.OPERATIONS)


def test_doubling_the_network_doubles_every_rate():
    one, two = daymodel.hourly_mix(), daymodel.hourly_mix(replace(Assumptions(), shelters=80))
    assert all(two[name] == pytest.approx(2 * one[name], rel=1e-3) for name in one)


def test_the_plan_is_open_loop_sorted_within_the_day_and_at_the_planned_rates():
    plan = daymodel.schedule()
    times = [t for t, _ in plan]
    assert times == sorted(times)
    assert 0 <= times[0] and times[-1] < daymodel.replay_seconds()
    counts = collections.Counter(name for _, name in plan)
    seconds = daymodel.replay_seconds()
    for name, per_hour in daymodel.hourly_mix().items():
        expected = per_hour * seconds / 3600
        if expected >= 100:  # Poisson: within 5 standard deviations
            assert abs(counts[name] - expected) < 5 * expected ** 0.5, name
    total = sum(daymodel.hourly_mix().values()) * seconds / 3600
    assert abs(len(plan) - total) < 5 * total ** 0.5


def test_the_plan_is_the_same_for_a_seed_and_shorter_at_a_smaller_scale():
    assert daymodel.schedule(seed=1) == daymodel.schedule(seed=1)
    assert daymodel.schedule(seed=1) != daymodel.schedule(seed=2)
    short = daymodel.schedule(scale=0.03)
    assert short and short[-1][0] < daymodel.replay_seconds() * 0.03
    assert len(short) < len(daymodel.schedule()) / 10


def test_endpoint_figures_flag_a_slow_or_failing_endpoint_a_person_waits_on():
    waited = "GET /api/v1/shelter/incoming"
    samples = {waited: [0.01] * 98 + [0.5, 0.6], "POST /api/v1/referrals": [0.02] * 100}
    figures = daymodel.endpoint_figures(samples, {"POST /api/v1/referrals": 1})
    assert figures[waited]["p50_ms"] == 10.0 and figures[waited]["p99_ms"] == 500.0
    assert figures[waited]["met"] is False and figures[waited]["count"] == 100
    assert figures["POST /api/v1/referrals"]["errors"] == 1
    assert figures["POST /api/v1/referrals"]["met"] is False
    fine = daymodel.endpoint_figures({waited: [0.05] * 100}, {})
    assert fine[waited]["met"] is True and fine[waited]["max_ms"] == 50.0


def test_percentile_is_nearest_rank():
    assert daymodel.percentile([], 99) == 0.0
    assert daymodel.percentile([1.0], 50) == 1.0
    assert daymodel.percentile([float(i) for i in range(1, 101)], 99) == 99.0
    assert daymodel.percentile([float(i) for i in range(1, 101)], 50) == 50.0


def test_a_public_report_asks_for_the_month_before():
    assert daymodel.last_month(date(2026, 12, 6)) == "2026-11"
    assert daymodel.last_month(date(2027, 1, 31)) == "2026-12"


def test_the_slowest_requests_are_listed_in_sending_order_with_what_was_sent_just_before():
    from bench.day import slowest
    timed = [(1.00, 0.210, "POST decision"), (0.80, 0.012, "GET status"), (0.75, 0.011, "GET status"),
             (0.60, 0.010, "GET plan"), (5.00, 0.150, "GET plan"), (4.90, 0.009, "GET board"),
             (3.00, 0.008, "GET status")]
    assert slowest(timed, count=2) == [
        {"at_s": 1.0, "ms": 210.0, "endpoint": "POST decision",
         "sent_in_the_0.3_s_before": [("GET status", 2)]},       # 0.60 is more than 0.3 s before
        {"at_s": 5.0, "ms": 150.0, "endpoint": "GET plan",
         "sent_in_the_0.3_s_before": [("GET board", 1)]}]
