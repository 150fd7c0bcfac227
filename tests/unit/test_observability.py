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
