"""The gateway's copy of police and legal status answers (gateway/statuscopy.py, decision 0048):
who gets which entry, what drops it, end dates, and that it is off while its events are not
consumed; then the API's use of it (consent and withdrawal drop it before they answer)."""

from datetime import datetime, timedelta, timezone

import pytest

from gateway.generations import LocalGeneration
from gateway.statuscopy import CLOCK_MARGIN, MAX_REFERENCES, StatusCopy, event_of
from services.common.timeutil import iso

REF = "RN-7K3M9QX2"
OTHER = "RN-2B4D6F8H"
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)


class Clocks:
    """The monotonic clock (max age) and the gateway's wall clock (end dates), moved together."""

    def __init__(self):
        self.seconds, self.wall = 100.0, T0

    def monotonic(self):
        return self.seconds

    def now(self):
        return self.wall

    def move(self, seconds: float):
        self.seconds += seconds
        self.wall += timedelta(seconds=seconds)


class Referral:
    """The referral service: counts the reads, answers what it holds now."""

    def __init__(self):
        self.reads, self.status, self.valid_until = 0, "received", None

    def fetch(self):
        self.reads += 1
        return {"reference": REF, "status": self.status, "timeline": [],
                "valid_until": self.valid_until}


@pytest.fixture
def clocks():
    return Clocks()


@pytest.fixture
def copy(clocks):
    copy = StatusCopy(2.0, LocalGeneration(), clocks.now, clock=clocks.monotonic)
    copy.connected()
    return copy


@pytest.fixture
def referral():
    return Referral()


def read(copy, referral, role="police", agency="erbil-police", reference=REF):
    return copy.get(reference, role, agency, referral.fetch)


def test_a_second_read_by_the_same_agency_and_role_is_served_from_the_copy(copy, referral):
    first = read(copy, referral)
    again = read(copy, referral)
    assert referral.reads == 1 and again == first


def test_another_agency_role_or_reference_never_gets_the_entry(copy, referral):
    read(copy, referral)
    read(copy, referral, agency="duhok-police")
    read(copy, referral, role="legal", agency="erbil-police")
    read(copy, referral, reference=OTHER)
    assert referral.reads == 4
    read(copy, referral, agency="duhok-police")  # each is kept under its own key
    assert referral.reads == 4


def test_shelter_staff_always_ask_the_service(copy, referral):
    read(copy, referral, role="shelter", agency="erbil-shelter")
    read(copy, referral, role="shelter", agency="erbil-shelter")
    assert referral.reads == 2 and copy.size() == 0


def test_a_change_through_the_gateway_is_seen_by_the_next_read_in_every_worker(clocks, referral):
    generation = LocalGeneration()  # the gateway database's, shared by the workers
    workers = [StatusCopy(2.0, generation, clocks.now, clock=clocks.monotonic) for _ in range(2)]
    for worker in workers:
        worker.connected()
        read(worker, referral)
    referral.status = "consent_withdrawn"
    workers[0].changed()
    assert [read(w, referral)["status"] for w in workers] == ["consent_withdrawn"] * 2
    assert referral.reads == 4


def test_an_answer_asked_for_before_a_change_is_not_kept_after_it(copy, referral):
    """A read that asked the service before a withdrawal committed, and got its answer after
    the withdrawal dropped the copies, must not put the old answer back."""
    def slow_fetch():
        answer = referral.fetch()
        referral.status = "consent_withdrawn"
        copy.changed()  # another thread's withdrawal answers meanwhile
        return answer

    assert copy.get(REF, "police", "erbil-police", slow_fetch)["status"] == "received"
    assert read(copy, referral)["status"] == "consent_withdrawn"


def test_another_worker_s_read_that_started_before_the_bump_is_not_served_after_it(clocks, referral):
    generation = LocalGeneration()
    reader, writer = (StatusCopy(2.0, generation, clocks.now, clock=clocks.monotonic)
                      for _ in range(2))
    reader.connected()

    def slow_fetch():
        answer = referral.fetch()
        referral.status = "consent_withdrawn"
        writer.changed()
        return answer

    reader.get(REF, "police", "erbil-police", slow_fetch)
    assert read(reader, referral)["status"] == "consent_withdrawn"


def test_an_event_drops_the_entries_of_its_reference_only(copy, referral):
    read(copy, referral)
    read(copy, referral, role="legal", agency="krg-legal")
    read(copy, referral, reference=OTHER)
    copy.drop(REF)
    read(copy, referral)
    read(copy, referral, role="legal", agency="krg-legal")
    read(copy, referral, reference=OTHER)
    assert referral.reads == 5


def event(kind: str, reference: str | None = REF) -> dict:
    return {"type": kind, "payload": {"reference": reference} if reference else {"agency": "x"}}


def test_a_referral_event_drops_its_reference_and_the_next_read_is_kept_again(copy, referral):
    read(copy, referral)
    referral.status = "admitted"
    copy.on_event(event("referral.status_changed"))
    assert [read(copy, referral)["status"] for _ in range(2)] == ["admitted"] * 2
    assert referral.reads == 2


def test_a_referral_event_about_no_one_referral_drops_everything(copy, referral):
    read(copy, referral)
    read(copy, referral, reference=OTHER)
    copy.on_event(event("referral.agency_changed", None))
    assert copy.size() == 0


def test_a_shelter_or_legal_event_unsettles_its_reference_until_the_referral_service_announces_it(
        copy, referral, clocks):
    """The referral service applies the shelter's event at about the time the gateway hears
    it: a read before its commit must not keep the old answer."""
    read(copy, referral)
    copy.on_event(event("shelter.admitted"))
    read(copy, referral)  # before the referral service committed: asked, not kept
    referral.status = "admitted"
    assert read(copy, referral)["status"] == "admitted" and referral.reads == 3
    copy.on_event(event("referral.status_changed"))  # it committed and announced it
    read(copy, referral)
    read(copy, referral)
    assert referral.reads == 4


def test_an_unsettled_reference_without_announcement_is_kept_again_after_max_age(
        copy, referral, clocks):
    copy.on_event(event("legal.hearing_scheduled"))
    read(copy, referral)
    clocks.move(1.9)
    read(copy, referral)
    assert referral.reads == 2
    clocks.move(0.1)
    read(copy, referral)
    read(copy, referral)
    assert referral.reads == 3


def test_a_shelter_event_naming_no_referral_changes_nothing(copy, referral):
    read(copy, referral)
    copy.on_event(event("shelter.capacity_changed", None))
    read(copy, referral)
    assert referral.reads == 1


def test_the_service_and_reference_are_read_from_an_event_body_as_json_or_bytes():
    assert event_of(event("referral.status_changed")) == ("referral", REF)
    assert event_of(b'{"type": "shelter.admitted", "payload": {"reference": "RN-7K3M9QX2"}}') \
        == ("shelter", REF)
    assert event_of(b"not json") == (None, None) and event_of(["x"]) == (None, None)


def test_an_entry_older_than_max_age_is_read_again(copy, referral, clocks):
    read(copy, referral)
    clocks.move(1.9)
    read(copy, referral)
    assert referral.reads == 1
    clocks.move(0.1)
    read(copy, referral)
    assert referral.reads == 2


def test_a_consent_that_ends_on_a_date_is_checked_at_every_read(copy, referral, clocks):
    ends = T0 + timedelta(minutes=10)
    referral.valid_until = iso(ends)
    read(copy, referral)
    clocks.wall = ends - CLOCK_MARGIN - timedelta(milliseconds=1)
    read(copy, referral)
    assert referral.reads == 1
    clocks.wall = ends - CLOCK_MARGIN  # within the margin of the end: the service decides
    referral.status = "consent_withdrawn"
    assert read(copy, referral)["status"] == "consent_withdrawn" and referral.reads == 2


def test_nothing_is_served_or_kept_while_the_events_are_not_consumed(clocks, referral):
    copy = StatusCopy(2.0, LocalGeneration(), clocks.now, clock=clocks.monotonic)
    read(copy, referral)
    read(copy, referral)
    assert referral.reads == 2 and copy.size() == 0  # before the feed connected
    copy.connected()
    read(copy, referral)
    copy.disconnected()
    read(copy, referral)
    assert referral.reads == 4 and copy.size() == 0


def test_after_reconnecting_the_copy_starts_empty(copy, referral):
    read(copy, referral)
    copy.disconnected()
    copy.connected()
    read(copy, referral)
    assert referral.reads == 2


def test_an_answer_read_while_the_feed_dropped_out_is_not_kept(copy, referral):
    def fetch_while_the_broker_goes():
        copy.disconnected()
        copy.connected()  # the events in between were missed
        return referral.fetch()

    copy.get(REF, "police", "erbil-police", fetch_while_the_broker_goes)
    read(copy, referral)
    assert referral.reads == 2


def test_max_age_zero_turns_the_copy_off(clocks, referral):
    copy = StatusCopy(0, LocalGeneration(), clocks.now, clock=clocks.monotonic)
    copy.connected()
    read(copy, referral)
    read(copy, referral)
    assert referral.reads == 2


def test_refusals_are_never_kept(copy, referral):
    def refused():
        referral.reads += 1
        raise LookupError("no referral")

    for _ in range(2):
        with pytest.raises(LookupError):
            copy.get(REF, "police", "duhok-police", refused)
    assert referral.reads == 2 and copy.size() == 0


def test_the_copy_keeps_at_most_max_references_the_least_recently_read_going_first(copy, referral):
    for n in range(MAX_REFERENCES):
        read(copy, referral, reference=f"RN-{n:08d}")
    read(copy, referral, reference="RN-00000000")  # read again: now the most recent
    read(copy, referral, reference="RN-NEW00000")
    assert copy.size() == MAX_REFERENCES
    reads = referral.reads
    read(copy, referral, reference="RN-00000000")
    assert referral.reads == reads
    read(copy, referral, reference="RN-00000001")  # the least recently read went
    assert referral.reads == reads + 1


def test_the_app_uses_the_copy_it_is_given_even_an_empty_one(app):
    from gateway.app import create_app
    given = StatusCopy(2.0, LocalGeneration(), datetime.now)
    assert create_app({**app.config, "STATUS_COPY": given}).extensions["refnet.statuscopy"] is given


def test_an_unreadable_generation_means_asking_the_service(copy, referral):
    class Broken(LocalGeneration):
        def current(self):
            raise ConnectionError("database away")

    copy.generation = Broken()
    read(copy, referral)
    read(copy, referral)
    assert referral.reads == 2


# --- through the API ----------------------------------------------------------------------------

STATUS = f"/api/v1/referrals/{REF}/status"


@pytest.fixture
def live(app, clocks):
    copy = StatusCopy(2.0, LocalGeneration(), clocks.now, clock=clocks.monotonic)
    copy.connected()
    app.extensions["refnet.statuscopy"] = copy
    return copy


def test_the_api_serves_the_copy_and_never_shows_valid_until(client, rpc, auth, live):
    rpc.responses[("referral", "get_status")] = {
        "reference": REF, "status": "received", "valid_until": iso(T0 + timedelta(days=3)),
        "timeline": [{"at": iso(T0), "agency": "erbil-shelter", "status": "received",
                      "note": "Received", "agency_names": {"en": "Erbil Shelter"}}]}
    answers = [client.get(STATUS, headers=auth("police", agency="erbil-police")).get_json()
               for _ in range(2)]
    assert len(rpc.calls) == 1 and answers[0] == answers[1]
    assert "valid_until" not in answers[1]
    assert answers[1]["timeline"][0]["agency_name"] == "Erbil Shelter"
    assert "agency_names" not in answers[1]["timeline"][0]



def test_a_kept_answer_is_presented_once_per_language_and_each_reader_gets_its_own(
        client, rpc, auth, live):
    """The agencies' names in the reader's language are put in once per kept answer and
    language (then encoded once), never written into the copy itself."""
    rpc.responses[("referral", "get_status")] = {
        "reference": REF, "status": "received",
        "timeline": [{"at": iso(T0), "agency": "erbil-shelter", "status": "received",
                      "note": "Received",
                      "agency_names": {"en": "Erbil Shelter", "ar": "ملجأ أربيل"}}]}
    police = auth("police", agency="erbil-police")

    def name_in(language):
        answer = client.get(STATUS, headers={**police, "Accept-Language": language}).get_json()
        return answer["timeline"][0]["agency_name"]

    assert [name_in(language) for language in ("en", "ar", "en", "ar")] == [
        "Erbil Shelter", "ملجأ أربيل", "Erbil Shelter", "ملجأ أربيل"]
    assert len(rpc.calls) == 1
    kept = live._entries[REF][("police", "erbil-police")][2]
    assert sorted(kept._forms) == ["ar", "en"]
    assert "agency_name" not in kept["timeline"][0]  # the copy itself is never changed

@pytest.mark.parametrize("path,body,role,agency", [
    (f"/api/v1/referrals/{REF}/consent",
     {"audience": "referring_police", "share": False}, "shelter", "erbil-shelter"),
    (f"/api/v1/referrals/{REF}/withdraw", {"reason_code": "survivor_declined"}, "police",
     "erbil-police"),
])
def test_a_consent_change_or_withdrawal_drops_the_copy_before_it_answers(
        client, rpc, auth, live, path, body, role, agency):
    rpc.responses[("referral", "get_status")] = {"reference": REF, "status": "received",
                                                 "timeline": []}
    client.get(STATUS, headers=auth("police", agency="erbil-police"))
    rpc.responses[("referral", "record_consent")] = {"reference": REF, "referring_police": {}}
    rpc.responses[("referral", "withdraw")] = {"reference": REF, "status": "withdrawn"}
    assert client.post(path, json=body, headers=auth(role, agency=agency)).status_code == 200
    rpc.responses[("referral", "get_status")] = {"reference": REF, "status": "consent_withdrawn",
                                                 "timeline": []}
    again = client.get(STATUS, headers=auth("police", agency="erbil-police")).get_json()
    assert again["status"] == "consent_withdrawn"


def test_a_consent_change_the_other_workers_cannot_be_told_of_answers_503(client, rpc, auth,
                                                                          live):
    class Unwritable(LocalGeneration):
        def bump(self):
            raise ConnectionError("database away")

    live.generation = Unwritable()
    rpc.responses[("referral", "record_consent")] = {"reference": REF, "referring_police": {}}
    response = client.post(f"/api/v1/referrals/{REF}/consent",
                           json={"audience": "referring_police", "share": False},
                           headers=auth("shelter", agency="erbil-shelter"))
    assert response.status_code == 503
    assert response.get_json()["code"] == "status-copies-not-dropped"
