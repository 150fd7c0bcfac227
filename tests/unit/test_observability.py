"""JSON log lines with the correlation id, and the gateway's /metrics, without I/O."""

import json
import logging

from prometheus_client.parser import text_string_to_metric_families

from services.common import logs

from .conftest import REF


class Capture(logging.Handler):
    def __init__(self):
        super().__init__()
        self.setFormatter(logs.JsonFormatter())
        self.lines = []

    def emit(self, record):
        self.lines.append(json.loads(self.format(record)))


def test_a_json_line_carries_the_correlation_id_in_hand_and_the_extras():
    capture, logger = Capture(), logging.getLogger("refnet.test")
    logger.addHandler(capture)
    logger.setLevel(logging.INFO)
    token = logs.correlation_id.set("abc12345")
    try:
        logger.info("referral %s recorded", REF, extra={"reference": REF, "duration_ms": 1.5})
    finally:
        logs.correlation_id.reset(token)
        logger.removeHandler(capture)
    line = capture.lines[0]
    assert line["msg"] == f"referral {REF} recorded" and line["correlation_id"] == "abc12345"
    assert line["reference"] == REF and line["duration_ms"] == 1.5 and line["level"] == "INFO"



def test_a_record_never_asks_for_its_threads_name(monkeypatch):
    """Under eventlet ``current_thread()`` searches the green threads at every line; no line
    shows the name, so records are made without it (``logging.logThreads``, set by logs)."""
    import threading
    asked = []
    monkeypatch.setattr(threading, "current_thread", lambda: asked.append(1) or None)
    record = logging.getLogger("refnet.test").makeRecord("refnet.test", logging.INFO, __file__, 1,
                                                         "x", (), None)
    assert logging.logThreads is False and record.threadName is None and asked == []


def test_batched_lines_carry_each_callers_correlation_id_and_wait_for_the_writer():
    """The access log's handler formats in the caller's thread (its correlation id), queues
    the line, and writes nothing until its writer or a flush does, then all of it at once."""
    import io
    import threading
    import time

    stream = io.StringIO()
    handler = logs.BatchedStreamHandler(stream, interval=3600)  # the writer never comes in time
    handler.setFormatter(logs.JsonFormatter())
    logger = logging.getLogger("refnet.test.batched")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False

    def request(n):
        logs.correlation_id.set(f"request-{n}")
        logger.info("GET /x 200", extra={"status": 200})

    try:
        threads = [threading.Thread(target=request, args=(n,)) for n in range(5)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert stream.getvalue() == ""                      # queued, not written
        handler.flush()
        lines = [json.loads(line) for line in stream.getvalue().splitlines()]
        assert sorted(line["correlation_id"] for line in lines) == [f"request-{n}" for n in range(5)]
        handler.flush()
        assert len(stream.getvalue().splitlines()) == 5     # written once

        quick = logs.BatchedStreamHandler(stream, interval=0.01)  # its writer comes: no flush
        quick.setFormatter(logs.JsonFormatter())
        logger.removeHandler(handler)
        logger.addHandler(quick)
        logger.info("GET /y 200")
        deadline = time.monotonic() + 5
        while "GET /y" not in stream.getvalue() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert "GET /y" in stream.getvalue()
    finally:
        logger.handlers.clear()


def test_the_access_log_line_names_the_route_status_and_request_id_and_no_body(client, auth, body):
    capture, logger = Capture(), logging.getLogger("refnet.access")
    logger.addHandler(capture)
    level = logger.level
    logger.setLevel(logging.INFO)
    try:
        response = client.post("/api/v1/referrals", json=body,
                               headers={**auth("police"), "X-Request-ID": "trace-0001"})
    finally:
        logger.removeHandler(capture)
        logger.setLevel(level)
    assert response.status_code == 202
    line = capture.lines[-1]
    assert line["correlation_id"] == "trace-0001" and line["status"] == 202
    assert line["route"] == "/api/v1/referrals" and line["method"] == "POST"
    assert line["reference"] == response.get_json()["reference"]  # the submission's, traced
    assert body["survivor"]["name"] not in json.dumps(capture.lines)


def samples(text):
    return [s for family in text_string_to_metric_families(text) for s in family.samples]


def test_gateway_metrics_count_requests_by_route_template_never_by_reference(client, auth):
    client.get(f"/api/v1/referrals/{REF}/status", headers=auth("shelter"))
    page = client.get("/metrics")
    assert page.status_code == 200 and page.mimetype == "text/plain"
    parsed = samples(page.get_data(as_text=True))
    counted = [s for s in parsed if s.name == "refnet_http_requests_total"
               and s.labels["route"] == "/api/v1/referrals/<reference>/status"]
    assert counted and counted[0].value >= 1
    assert not [s for s in parsed if any(REF in v for v in s.labels.values())]
    assert any(s.name == "refnet_dead_letters" for s in parsed)  # -1: no broker in unit tests


def test_a_refusal_nameko_logs_is_info_without_a_traceback_and_a_fault_stays_an_error():
    import logging
    import sys

    from services.common.logs import RefusalsAreNotErrors

    def record(msg):
        try:
            raise ValueError("boom")
        except ValueError:
            info = sys.exc_info()
        return logging.LogRecord("nameko.containers", logging.WARNING, __file__, 1, msg,
                                 ("worker", "case_id: no such object"), info)

    refusal = record("(expected) error handling worker %s: %s")
    assert RefusalsAreNotErrors().filter(refusal) is True
    assert (refusal.levelno, refusal.levelname, refusal.exc_info) == (logging.INFO, "INFO", None)
    fault = record("error handling worker %s: %s")
    fault.levelno, fault.levelname = logging.ERROR, "ERROR"
    RefusalsAreNotErrors().filter(fault)
    assert fault.levelname == "ERROR" and fault.exc_info is not None


def test_an_event_that_overtook_the_one_it_follows_is_retried_as_expected_not_as_a_fault():
    """``shelter.follow_up_ended`` before its discharge: handed back and retried; the
    consumers declare ``RetryLater`` expected, so nameko logs it as a refusal (above)."""
    from services.common.errors import RetryLater, ServiceError
    from services.referral.usecases.events import DischargeNotYetApplied
    assert issubclass(DischargeNotYetApplied, RetryLater)
    assert not issubclass(RetryLater, ServiceError)  # never an answer to a caller


def test_an_assigned_correlation_id_is_32_hex_digits_and_a_forked_worker_draws_its_own():
    """Ids come from the process's generator, which a forked gunicorn worker reseeds: two
    workers forked from one master never hand out the same sequence."""
    import multiprocessing
    import re

    from gateway.app import new_correlation_id

    ids = {new_correlation_id() for _ in range(1000)}
    assert len(ids) == 1000 and all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids)
    context = multiprocessing.get_context("fork")
    with context.Pool(1) as pool:
        in_child = pool.apply(new_correlation_id)
    assert in_child != new_correlation_id()
