"""The cluster benchmark's arithmetic (bench/phases.py): figures per phase, and the check that
fails the run when something accepted was lost or applied twice."""

from bench.phases import Sample, exactly_once, phase_figures


def test_each_request_counts_in_the_phase_it_was_sent_in():
    samples = [Sample(0.5, 0.010, True, "submit"), Sample(1.5, 0.020, True, "submit"),
               Sample(2.5, 2.000, False, "submit", 503), Sample(3.0, 0.100, True, "decide"),
               Sample(9.0, 0.010, True, "submit")]  # after every phase: in none
    figures = phase_figures(samples, [("before", 0.0, 2.0), ("node_killed", 2.0, 4.0)])
    before, killed = figures["before"], figures["node_killed"]
    assert before["seconds"] == 2.0
    assert before["submit"] == {"ok": 2, "failed": 0, "failed_by": {}, "per_s": 1.0,
                                "p50_ms": 10.0, "p99_ms": 20.0}
    assert before["decide"] == {"ok": 0, "failed": 0, "failed_by": {}, "per_s": 0.0,
                                "p50_ms": None, "p99_ms": None}
    assert killed["submit"]["ok"] == 0 and killed["submit"]["failed_by"] == {"503": 1}
    assert killed["submit"]["p99_ms"] == 2000.0  # a failed request's wait counts in the p99
    assert killed["decide"]["per_s"] == 0.5


def test_the_p99_is_the_slow_tail_of_the_phase():
    samples = [Sample(i / 100, 0.010, True, "submit") for i in range(98)]
    samples += [Sample(0.985, 1.5, True, "submit"), Sample(0.995, 1.2, True, "submit")]
    figures = phase_figures(samples, [("before", 0.0, 1.0)])["before"]["submit"]
    assert figures["p50_ms"] == 10.0 and figures["p99_ms"] == 1200.0 and figures["per_s"] == 100.0


def test_nothing_lost_nothing_twice_is_no_problem():
    timeline = {("A", "submitted"): 1, ("A", "received"): 1, ("A", "bed_held"): 1,
                ("B", "submitted"): 1}
    assert exactly_once({"A", "B"}, {"A"}, {"A": 1, "B": 1}, timeline) == []


def test_a_lost_submission_a_double_and_an_unapplied_decision_are_each_named():
    problems = exactly_once(
        accepted={"A", "B", "C"}, decided={"A", "C"}, referrals={"A": 1, "C": 2},
        timeline={("A", "bed_held"): 2, ("C", "received"): 1})
    assert len(problems) == 4
    assert problems[0].startswith("1 accepted submissions missing") and "B" in problems[0]
    assert problems[1].startswith("1 referrals recorded more than once") and "C" in problems[1]
    assert problems[2].startswith("1 timeline entries applied more than once")
    assert "A bed_held x2" in problems[2]
    assert problems[3].startswith("1 accepted decisions never reached") and "C" in problems[3]
