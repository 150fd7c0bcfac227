"""A page's independent calls made at the same time (``gateway.web.core.at_once``): together,
in the request's context, results in order, and an error raised only once every piece ended."""

import threading

import pytest
from flask import g


def test_pieces_run_together_in_the_requests_context_and_answer_in_order(app):
    from gateway.web.core import at_once
    both = threading.Barrier(2, timeout=5)  # one after the other, the first would wait forever

    def piece(value):
        def run():
            both.wait()
            g.setdefault("seen", []).append(value)  # the request's own g
            return value
        return run
    with app.test_request_context("/"):
        assert at_once(piece("a"), piece("b")) == ["a", "b"]
        assert sorted(g.seen) == ["a", "b"]
        assert at_once(lambda: 1) == [1]


def test_the_first_error_in_order_is_raised_after_every_piece_ended(app):
    from gateway.web.core import at_once
    ended = []

    def fails(message):
        def run():
            ended.append(message)
            raise LookupError(message)
        return run

    def slow():
        threading.Event().wait(0.2)
        ended.append("slow")
        return "done"
    with app.test_request_context("/"):
        with pytest.raises(LookupError, match="first"):
            at_once(fails("first"), slow, fails("second"))
    assert sorted(ended) == ["first", "second", "slow"]


def test_the_first_piece_runs_in_the_requests_own_thread(app):
    from gateway.web.core import at_once
    here = threading.current_thread()
    with app.test_request_context("/"):
        threads = at_once(threading.current_thread, threading.current_thread)
    assert threads[0] is here and threads[1] is not here
