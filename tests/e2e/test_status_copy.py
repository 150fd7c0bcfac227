"""The gateway's copy of police status answers on a real network whose gateway runs several
workers (gateway/statuscopy.py, docs/decisions/0048).

The copies are kept for ten minutes here (``REFNET_STATUS_MAX_AGE=600``), so only what must drop
them can: the referral service's events, and consent changes through the gateway. The
acceptance test withdraws consent and reads the status at once, 1,000 times over ten referrals
in parallel, and must never see the status the survivor stopped sharing, while it sees it before
each withdrawal; the gateway's own RPC count shows that answers did come from the copies.
``REFNET_STATUS_COPY_ROUNDS`` lowers the number of withdrawals while developing.
"""

import os
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.e2e.conftest import CANONICAL, own_network, record_consent

ROUNDS = int(os.environ.get("REFNET_STATUS_COPY_ROUNDS", "1000"))
REFERRALS = 10
WITHDRAWN = "consent_withdrawn"


@pytest.fixture(scope="module")
def net(tmp_path_factory):
    yield from own_network(tmp_path_factory, "statuscopy",
                           {"REFNET_GATEWAY_WORKERS": "3", "REFNET_GATEWAY_THREADS": "4",
                            "REFNET_STATUS_MAX_AGE": "600", "REFNET_RATE_LIMIT_PER_MINUTE": "1000000"})


def status_rpcs(net) -> float:
    """How many ``referral.get_status`` calls the gateway's workers made so far (/metrics)."""
    text = requests.get(f"{net.url}/metrics", timeout=10).text
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
               if line.startswith("refnet_rpc_client_duration_seconds_count{")
               and 'method="get_status"' in line)


def received_referral(net, police) -> str:
    response = net.api("POST", "/referrals", police, json=CANONICAL)
    assert response.status_code == 202, response.text
    reference = response.json()["reference"]
    net.wait_status(reference, "received", police)
    return reference


def police_status(net, police, reference) -> str:
    response = net.api("GET", f"/referrals/{reference}/status", police)  # a new connection:
    assert response.status_code == 200, response.text                  # any worker answers
    assert "valid_until" not in response.json()
    return response.json()["status"]


def consent(net, shelter, reference, share: bool) -> None:
    purpose = {"purpose": "follow-up of the investigation"} if share else {}
    record_consent(net, shelter, reference, "referring_police", share, **purpose)


def test_a_status_change_by_the_shelter_s_decision_drops_every_worker_s_copy(net):
    police = net.token("police", agency=f"tip-unit-{uuid.uuid4().hex[:8]}")
    shelter = net.token("shelter")
    reference = received_referral(net, police)
    before = status_rpcs(net)
    assert [police_status(net, police, reference) for _ in range(30)] == ["received"] * 30
    assert status_rpcs(net) - before < 30  # some of those came from the workers' copies

    decided = net.api("POST", f"/referrals/{reference}/decision", shelter,
                      json={"decision": "accept"})
    assert decided.status_code == 200, decided.text
    # every worker's copy still says "received" for ten minutes unless the event dropped it:
    # thirty reads in a row, on new connections, must all show the change
    in_a_row = 0
    for _ in range(600):
        in_a_row = in_a_row + 1 if police_status(net, police, reference) == "bed_held" else 0
        if in_a_row == 30:
            break
    assert in_a_row == 30


def test_a_withdrawn_consent_holds_at_the_very_next_read_in_every_worker(net):
    police = net.token("police", agency=f"tip-unit-{uuid.uuid4().hex[:8]}")
    shelter = net.token("shelter", user="cm.statuscopy")
    references = [received_referral(net, police) for _ in range(REFERRALS)]
    rounds = [ROUNDS // REFERRALS + (n < ROUNDS % REFERRALS) for n in range(REFERRALS)]

    def withdraw_and_read(reference: str, count: int) -> tuple[int, list]:
        reads, wrong = 0, []
        for n in range(count):
            consent(net, shelter, reference, True)
            shared = [police_status(net, police, reference) for _ in range(3)]
            reads += 3
            if shared != ["received"] * 3:  # the status it should see, from copies or not
                wrong.append((reference, n, "shared", shared))
            consent(net, shelter, reference, False)
            after = [police_status(net, police, reference) for _ in range(2)]
            reads += 2
            if after != [WITHDRAWN] * 2:  # the very next read, and the one after
                wrong.append((reference, n, "withdrawn", after))
        return reads, wrong

    before = status_rpcs(net)
    with ThreadPoolExecutor(REFERRALS) as pool:
        results = list(pool.map(withdraw_and_read, references, rounds))
    reads = sum(r for r, _ in results)
    wrong = [w for _, found in results for w in found]
    assert sum(rounds) == ROUNDS and wrong == [], wrong[:10]
    assert status_rpcs(net) - before < reads  # the copies answered some of the reads
