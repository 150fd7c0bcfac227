"""A police submission survives a referral-service outage: the gateway hands it to a durable
queue and answers 202, and the referral service takes it from there when it is back."""

import kombu

from tests.e2e.conftest import CANONICAL, submit


def test_submission_is_accepted_while_the_referral_service_is_down(network, police):
    network.stop("referral")
    try:
        answer = submit(network, police, key="during-outage")
        assert answer.status_code == 202, answer.text
        reference = answer.json()["reference"]
        retry = submit(network, police, key="during-outage")
        assert retry.status_code == 202 and retry.json()["reference"] == reference

        # A read needs the referral service: a clear 503 with Retry-After, not a hung worker.
        status = network.api("GET", f"/referrals/{reference}/status", police)
        assert status.status_code == 503, status.text
        assert status.headers["Retry-After"] == "5"
        assert status.headers["Content-Type"].startswith("application/problem+json")
        assert status.json()["code"] in ("service-timeout", "service-unavailable")

        # The two submissions wait in the durable intake queue, sealed: no name, no phone.
        with kombu.Connection(network.amqp_uri) as conn:
            channel = conn.channel()
            bodies = []
            while True:
                message = channel.basic_get("referral.intake", no_ack=False)
                if message is None:
                    break
                bodies.append(message.body)
            assert len(bodies) == 2
            for body in bodies:
                raw = body if isinstance(body, bytes) else body.encode()
                assert CANONICAL["survivor"]["name"].encode() not in raw
                assert CANONICAL["survivor"]["phone"].encode() not in raw
            channel.close()  # unacknowledged messages go back to the queue
    finally:
        network.start("referral")
    network.wait_service("referral")

    status = network.wait_status(reference, "received", police, timeout=30)
    assert [e["status"] for e in status["timeline"]] == ["submitted", "received"]
    listed = network.api("GET", "/referrals", police).json()["items"]
    assert [i["reference"] for i in listed] == [reference]
