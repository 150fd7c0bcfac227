"""The delivery worker against real servers: an SMTP server (aiosmtpd in its own process, with
STARTTLS on a certificate made here and AUTH that checks the password) and an HTTP receiver
standing in for the SMS provider, on SQLite and PostgreSQL with the notify migrations.

Each test writes the rows the event consumers would have made (a notification, the person's
preferences, the referral's consent, a delivery) and runs ``send_due`` rounds on a fixed clock.
"""

import email
import json
import logging
import os
import subprocess
import sys
import threading
from datetime import datetime, timedelta, timezone
from email import policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from ipaddress import IPv4Address
from urllib.parse import parse_qs

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sqlalchemy import insert, select, update

from services.common import atrest
from services.common.caller import Caller
from services.common.clock import FixedClock
from services.common.errors import Forbidden
from services.common.sealing import FileCipher
from services.contracts.envelope import make_event
from services.contracts.references import random_reference
from services.notify import usecases
from services.notify.settings import SETTINGS
from services.notify.tables import deliveries, known_referrals, notifications, subscribers
from services.notify.usecases import delivery as worker

from .conftest import AUDIT_KEY, CALLER_VERIFY, table_dump

NOW = datetime(2026, 3, 1, 4, 0, tzinfo=timezone.utc)   # 07:00 in Baghdad
ADDRESS = "officer.one@police.example"
PHONE = "+9647501112233"
USER, PASSWORD = "refnet-mailer", "correct horse battery"
RECEIVER_SCRIPT = os.path.join(os.path.dirname(__file__), "smtp_receiver.py")
ADMIN = Caller(user="admin.one", role="admin", agency="refnet")


# --- the SMTP server ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    """A self-signed certificate for 127.0.0.1 (its own CA): (certificate file, key file)."""
    folder = tmp_path_factory.mktemp("smtp-tls")
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "refnet test smtp")])
    start = datetime.now(timezone.utc) - timedelta(days=1)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(start).not_valid_after(start + timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(IPv4Address("127.0.0.1")), x509.DNSName("localhost")]),
                critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = folder / "smtp.pem", folder / "smtp.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return str(cert_file), str(key_file)


class SmtpServer:
    """The receiver process; ``stop()`` and ``start()`` again keep its port."""

    def __init__(self, folder, *, cert=None, key=None, user=USER, password=PASSWORD):
        self.folder = folder
        self.options = []
        if cert:
            self.options += ["--cert", cert, "--key", key]
        if user:
            self.options += ["--user", user, "--password", password]
        self.port = 0
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            [sys.executable, RECEIVER_SCRIPT, "--dir", str(self.folder), "--port", str(self.port),
             *self.options], stdout=subprocess.PIPE, text=True)
        line = self.process.stdout.readline()
        if not line.strip():
            raise RuntimeError("the SMTP receiver did not start")
        self.port = int(line)
        return self

    def stop(self):
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=20)
            self.process.stdout.close()
            self.process = None

    def messages(self) -> list:
        return [email.message_from_bytes(path.read_bytes(), policy=policy.default)
                for path in sorted(self.folder.glob("*.eml"))]


@pytest.fixture
def smtp_server(tmp_path, certificate):
    folder = tmp_path / "mail"
    folder.mkdir()
    server = SmtpServer(folder, cert=certificate[0], key=certificate[1]).start()
    yield server
    server.stop()


# --- the SMS provider ------------------------------------------------------------------------

class SmsReceiver:
    """An HTTP server in a thread: records each POST and answers with the next of ``answers``
    (then 200)."""

    def __init__(self):
        self.posts: list[dict] = []
        self.answers: list[int] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.posts.append({"path": self.path, "type": self.headers.get("Content-Type"),
                                       "authorization": self.headers.get("Authorization"),
                                       "body": body})
                status = receiver.answers.pop(0) if receiver.answers else 200
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args):  # the test's output stays quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/sms/send"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def sms_receiver():
    receiver = SmsReceiver()
    yield receiver
    receiver.close()


# --- the database and settings ---------------------------------------------------------------

@pytest.fixture(autouse=True)
def file_keys():
    """The process's keys for the sealed address columns, as the service's FileKeys sets them."""
    before = atrest.current_keys()
    atrest.use_keys(FileCipher(FileCipher.new_key()))
    yield
    atrest.use_keys(before)


@pytest.fixture
def notify_url(databases):
    return databases.migrated("notify")


@pytest.fixture
def db(databases, notify_url):
    return databases.database(notify_url)


def settings(smtp: SmtpServer | None = None, cert: str | None = None, **overrides):
    given = {"REFNET_FILE_KEYS": FileCipher.new_key(), "REFNET_AUDIT_KEY": AUDIT_KEY,
             "REFNET_CALLER_VERIFY_KEY": CALLER_VERIFY,
             "REFNET_PUBLIC_URL": "https://refnet.test/", "REFNET_NOTIFY_BACKOFF_SECONDS": 15.0,
             "REFNET_NOTIFY_MAX_ATTEMPTS": 4, "REFNET_SMTP_FROM": "refnet@refnet.test"}
    if smtp is not None:
        given.update({"REFNET_SMTP_HOST": "127.0.0.1", "REFNET_SMTP_PORT": smtp.port,
                      "REFNET_SMTP_STARTTLS": True, "REFNET_SMTP_CA_FILE": cert,
                      "REFNET_SMTP_USERNAME": USER, "REFNET_SMTP_PASSWORD": PASSWORD})
    given.update(overrides)
    return SETTINGS.load(environ={}, overrides=given)


@pytest.fixture
def email_values(smtp_server, certificate):
    return settings(smtp_server, certificate[0])


_made = {"n": 0}


def seed(db, *, channel="email", moment="referral_accepted", audience="referring_police",
         share=True, user="officer.one", wanted=None, status="pending", created_at=NOW,
         digest=False, digest_hour=9, email_address=ADDRESS, phone=PHONE,
         not_before=None) -> int:
    """A notification of a referral, the person's preferences and a delivery to them, as the
    event consumers make them; the delivery's id."""
    _made["n"] += 1
    reference = f"RN-{_made['n']:04d}-TEST"
    with db.write() as s:
        s.execute(insert(known_referrals).values(
            reference=reference, referring_agency="erbil-police", submitted_by=user,
            urgency="urgent", share_status_with_referrer=share, updated_at=created_at))
        if s.execute(select(subscribers.c.user_id).where(subscribers.c.user_id == user)).first() \
                is None:
            s.execute(insert(subscribers).values(
                user_id=user, agency="erbil-police", role="police", language="en",
                email=email_address, phone=phone,
                channels=json.dumps(wanted or {moment: ["email", "sms"]}),
                quiet_start=None, quiet_end=None, time_zone="Asia/Baghdad", digest=digest,
                digest_hour=digest_hour, updated_at=created_at))
        notification_id = s.execute(insert(notifications).values(
            event_id=f"event-{_made['n']}", moment=moment, recipient=f"user:{user}",
            user_id=user, reference=reference, audience=audience,
            link=f"/police/referrals/{reference}", params="{}", urgent=False,
            created_at=created_at)).inserted_primary_key[0]
        return s.execute(insert(deliveries).values(
            notification_id=notification_id, user_id=user, channel=channel, status=status,
            not_before=not_before or created_at, attempts=0,
            created_at=created_at)).inserted_primary_key[0]


def row(db, delivery_id: int):
    with db.read() as c:
        return c.execute(select(deliveries).where(deliveries.c.id == delivery_id)).one()


def admin_notifications(db):
    with db.read() as c:
        return c.execute(select(notifications)
                         .where(notifications.c.moment == "delivery_failed")).all()


# --- from the event to the message --------------------------------------------------------

def _status_changed(reference, change, share, at):
    return make_event("referral.status_changed", {
        "reference": reference, "change": change, "status": change, "agency": "erbil-shelter",
        "referring_agency": "erbil-police", "submitted_by": "officer.one", "urgency": "routine",
        "share_status_with_referrer": share, "changed_at": at}, source="referral")


def test_an_event_reaches_the_officer_by_email_and_sms_until_consent_is_withdrawn(
        db, smtp_server, certificate, sms_receiver):
    values = settings(smtp_server, certificate[0], REFNET_SMS_WEBHOOK_URL=sms_receiver.url)
    clock = FixedClock(NOW)
    officer = Caller(user="officer.one", role="police", agency="erbil-police")
    usecases.save_preferences(db, officer, {
        "language": "en", "email": ADDRESS, "phone": PHONE, "time_zone": "Asia/Baghdad",
        "quiet_hours": None, "digest": {"enabled": False, "hour": 9},
        "moments": {"referral_accepted": ["email", "sms"], "admitted": ["email"]}}, clock=clock)
    reference = random_reference()

    assert usecases.apply_event(db, _status_changed(reference, "accepted", True, NOW), values,
                                clock=clock)
    assert worker.send_due(db, values, clock)["sent"] == 2

    [message] = smtp_server.messages()
    assert message["To"] == ADDRESS and reference in message["Subject"]
    assert f"https://refnet.test/police/referrals/{reference}" in message.get_content()
    [post] = sms_receiver.posts
    assert json.loads(post["body"])["to"] == PHONE
    assert reference in json.loads(post["body"])["text"]

    # admitted, then the survivor withdraws the consent before the worker's next round
    clock.advance(minutes=1)
    usecases.apply_event(db, _status_changed(reference, "admitted", True, clock.now()), values,
                         clock=clock)
    usecases.apply_event(db, make_event("referral.consent_changed", {
        "reference": reference, "audience": "referring_police", "agency": None,
        "granted": False, "until": None, "changed_at": clock.now()}, source="referral"),
        values, clock=clock)
    counts = worker.send_due(db, values, clock)

    assert counts["sent"] == 0 and counts["suppressed"] == 1
    assert len(smtp_server.messages()) == 1 and len(sms_receiver.posts) == 1


# --- email -----------------------------------------------------------------------------------

def test_an_email_goes_once_through_starttls_and_login(db, smtp_server, email_values):
    delivery_id = seed(db)
    clock = FixedClock(NOW)

    assert worker.send_due(db, email_values, clock)["sent"] == 1
    assert worker.send_due(db, email_values, clock)["sent"] == 0

    [message] = smtp_server.messages()
    assert message["Message-ID"] == f"<delivery-{delivery_id}@refnet>"
    assert message["To"] == ADDRESS
    assert message["From"] == "refnet@refnet.test"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message.get_content_charset() == "utf-8"
    assert "https://refnet.test/police/referrals/RN-" in message.get_content()
    sent = row(db, delivery_id)
    assert (sent.status, sent.attempts, sent.claimed_by, sent.last_error) == ("sent", 0, None, None)
    assert sent.sent_at is not None


def test_two_workers_claiming_together_send_each_email_once(db, databases, notify_url,
                                                            smtp_server, email_values):
    ids = [seed(db, user=f"officer.{i % 3}") for i in range(23)]
    replicas = [db, databases.database(notify_url)]  # two processes' connections
    clock = FixedClock(NOW)
    rounds: dict[int, list[dict]] = {0: [], 1: []}

    def replica(number):
        while True:
            counts = worker.send_due(replicas[number], email_values, clock)
            rounds[number].append(counts)
            if not any(counts.values()):
                return

    threads = [threading.Thread(target=replica, args=(n,)) for n in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    sent_ids = sorted(m["Message-ID"] for m in smtp_server.messages())
    assert sent_ids == sorted(f"<delivery-{i}@refnet>" for i in ids)
    assert sum(r["sent"] for n in rounds for r in rounds[n]) == len(ids)
    assert {row(db, i).status for i in ids} == {"sent"}


def test_a_delivery_another_replica_holds_waits_until_its_lease_runs_out(db, smtp_server,
                                                                       email_values):
    delivery_id = seed(db)
    with db.write() as s:  # a replica claimed it, then died before it sent or settled
        s.execute(update(deliveries).values(claimed_by="another-replica",
                                            claimed_until=NOW + timedelta(minutes=2)))
    clock = FixedClock(NOW)

    assert not any(worker.send_due(db, email_values, clock).values())
    assert smtp_server.messages() == [] and row(db, delivery_id).claimed_by == "another-replica"

    clock.advance(minutes=2, seconds=1)
    assert worker.send_due(db, email_values, clock)["sent"] == 1
    assert len(smtp_server.messages()) == 1 and row(db, delivery_id).status == "sent"


def test_while_the_server_is_down_the_email_waits_and_then_goes_once(db, smtp_server,
                                                                    email_values):
    delivery_id = seed(db)
    clock = FixedClock(NOW)
    smtp_server.stop()

    worker.send_due(db, email_values, clock)
    first = row(db, delivery_id)
    assert (first.status, first.attempts, first.last_error) == ("pending", 1, "smtp:connect")
    assert first.not_before.replace(tzinfo=timezone.utc) == NOW + timedelta(seconds=15)
    assert first.claimed_by is None

    worker.send_due(db, email_values, clock)  # before the back-off ends: not tried
    assert row(db, delivery_id).attempts == 1

    clock.advance(seconds=15)
    worker.send_due(db, email_values, clock)
    second = row(db, delivery_id)
    assert (second.status, second.attempts) == ("pending", 2)
    assert second.not_before.replace(tzinfo=timezone.utc) == clock.now() + timedelta(seconds=30)

    smtp_server.start()  # back, on the same port
    clock.advance(seconds=29)
    worker.send_due(db, email_values, clock)
    assert row(db, delivery_id).status == "pending" and smtp_server.messages() == []
    clock.advance(seconds=1)
    worker.send_due(db, email_values, clock)
    clock.advance(hours=2)
    worker.send_due(db, email_values, clock)

    assert [m["Message-ID"] for m in smtp_server.messages()] == [f"<delivery-{delivery_id}@refnet>"]
    done = row(db, delivery_id)
    assert (done.status, done.attempts) == ("sent", 2)


def test_after_the_last_try_the_email_is_dead_and_the_admins_are_told(db, smtp_server,
                                                                       email_values):
    delivery_id = seed(db, moment="bed_held")
    clock = FixedClock(NOW)
    smtp_server.stop()

    for _ in range(4):  # REFNET_NOTIFY_MAX_ATTEMPTS
        worker.send_due(db, email_values, clock)
        clock.advance(hours=1)
    dead = row(db, delivery_id)
    assert (dead.status, dead.attempts, dead.last_error) == ("dead", 4, "smtp:connect")

    [told] = admin_notifications(db)
    assert told.recipient == "desk:admin@*" and told.role == "admin" and told.agency is None
    assert told.event_id == f"delivery-{delivery_id}" and told.link == "/inbox"
    assert json.loads(told.params) == {"channel": "email", "moment": "bed_held"}
    assert told.urgent

    smtp_server.start()
    worker.send_due(db, email_values, clock)  # dead stays dead; the admins are told once
    assert row(db, delivery_id).status == "dead"
    assert smtp_server.messages() == [] and len(admin_notifications(db)) == 1

    listed = worker.list_failed(db, ADMIN)["items"]
    assert listed == [{"delivery_id": delivery_id, "moment": "bed_held", "channel": "email",
                       "attempts": 4, "last_error": "smtp:connect",
                       "reference": reference_of(db, delivery_id)}]
    with pytest.raises(Forbidden):
        worker.list_failed(db, Caller(user="officer.one", role="police", agency="erbil-police"))


def test_a_failed_delivery_notice_that_dies_tells_nobody_again(db, smtp_server, certificate):
    notice = seed(db, moment="delivery_failed", audience=None)
    smtp_server.stop()

    worker.send_due(db, settings(smtp_server, certificate[0], REFNET_NOTIFY_MAX_ATTEMPTS=1),
                    FixedClock(NOW))

    assert row(db, notice).status == "dead"
    assert [n.recipient for n in admin_notifications(db)] == ["user:officer.one"]  # the seed's


def reference_of(db, delivery_id):
    with db.read() as c:
        return c.execute(select(notifications.c.reference)
                         .join(deliveries, deliveries.c.notification_id == notifications.c.id)
                         .where(deliveries.c.id == delivery_id)).scalar_one()


def test_consent_withdrawn_before_sending_suppresses_the_message(db, smtp_server, email_values,
                                                                  sms_receiver):
    values = settings(smtp_server, email_values.smtp_ca_file,
                      REFNET_SMS_WEBHOOK_URL=sms_receiver.url)
    by_email, by_sms = seed(db), seed(db, channel="sms")
    with db.write() as s:  # referral.consent_changed arrived after the notification was made
        s.execute(update(known_referrals).values(share_status_with_referrer=False))

    counts = worker.send_due(db, values, FixedClock(NOW))

    assert counts["suppressed"] == 2 and counts["sent"] == 0
    for delivery_id in (by_email, by_sms):
        held = row(db, delivery_id)
        assert (held.status, held.last_error, held.attempts) == \
            ("suppressed", "consent:withdrawn", 0)
    assert smtp_server.messages() == [] and sms_receiver.posts == []
    assert worker.send_due(db, values, FixedClock(NOW + timedelta(hours=2)))["suppressed"] == 0


def test_a_person_who_turned_the_channel_off_gets_nothing(db, smtp_server, email_values):
    delivery_id = seed(db, moment="admitted")
    with db.write() as s:
        s.execute(update(subscribers).values(channels=json.dumps({"admitted": ["inbox"]})))

    worker.send_due(db, email_values, FixedClock(NOW))

    assert (row(db, delivery_id).status, row(db, delivery_id).last_error) == \
        ("suppressed", "email:not-wanted")
    assert smtp_server.messages() == []


def test_email_without_an_smtp_server_configured_is_suppressed_not_retried(db):
    delivery_id = seed(db)
    worker.send_due(db, settings(), FixedClock(NOW))
    off = row(db, delivery_id)
    assert (off.status, off.last_error, off.attempts) == ("suppressed", "email:off", 0)


def test_a_wrong_password_is_a_code_and_no_secret_reaches_the_logs(db, smtp_server, certificate,
                                                                  caplog):
    caplog.set_level(logging.DEBUG)
    delivery_id = seed(db)
    values = settings(smtp_server, certificate[0], REFNET_SMTP_PASSWORD="wrong horse battery")

    worker.send_due(db, values, FixedClock(NOW))

    failed = row(db, delivery_id)
    assert (failed.status, failed.attempts, failed.last_error) == ("pending", 1, "smtp:535")
    assert smtp_server.messages() == []
    logged = caplog.text + "".join(str(r.args) for r in caplog.records)
    assert f"delivery {delivery_id}" in logged  # the failure is logged, by id
    for secret in ("wrong horse battery", PASSWORD, ADDRESS, PHONE, "RN-"):
        assert secret not in logged
    assert ADDRESS not in table_dump(db)  # sealed at rest, and not in last_error


def test_a_server_without_starttls_is_refused(db, tmp_path, certificate):
    folder = tmp_path / "plain"
    folder.mkdir()
    plain = SmtpServer(folder).start()  # AUTH without TLS, and no STARTTLS offered
    try:
        delivery_id = seed(db)
        worker.send_due(db, settings(plain, certificate[0]), FixedClock(NOW))
        assert row(db, delivery_id).last_error == "smtp:starttls-missing"
        assert plain.messages() == []
    finally:
        plain.stop()


def test_a_certificate_the_system_does_not_trust_is_refused(db, smtp_server):
    delivery_id = seed(db)
    worker.send_due(db, settings(smtp_server, cert=None), FixedClock(NOW))  # the system's CAs
    assert row(db, delivery_id).last_error == "smtp:tls-verify"
    assert smtp_server.messages() == []


# --- the daily digest ------------------------------------------------------------------------

def test_the_digest_goes_as_one_email_at_the_persons_hour(db, smtp_server, email_values):
    today = datetime(2026, 3, 1, 6, 0, tzinfo=timezone.utc)  # 09:00 in Baghdad
    early = [seed(db, status="digest", digest=True, digest_hour=9, not_before=today,
                  created_at=NOW - timedelta(hours=h)) for h in (3, 1)]
    clock = FixedClock(NOW)  # 07:00 in Baghdad: before the digest

    worker.send_due(db, email_values, clock)
    assert smtp_server.messages() == []

    clock.set(today)
    late = seed(db, status="digest", digest=True, created_at=today + timedelta(minutes=1),
                not_before=today + timedelta(days=1))
    clock.advance(minutes=5)
    worker.send_due(db, email_values, clock)

    [digest] = smtp_server.messages()
    assert digest["Message-ID"] == f"<delivery-{min(early)}-digest@refnet>"
    assert digest["Subject"] == "refnet: your daily summary"
    text = digest.get_content()
    assert text.count("\n- ") + text.startswith("- ") == 2
    for delivery_id in early:
        assert row(db, delivery_id).status == "sent"
    assert row(db, late).status == "digest"  # made after today's digest: tomorrow's

    clock.advance(days=1)
    worker.send_due(db, email_values, clock)
    assert len(smtp_server.messages()) == 2 and row(db, late).status == "sent"


def test_a_digest_leaves_out_a_line_whose_consent_was_withdrawn(db, smtp_server, email_values):
    made = [seed(db, status="digest", digest=True, digest_hour=9,
                 created_at=NOW - timedelta(hours=1)) for _ in range(3)]
    withdrawn = made[1]
    with db.write() as s:
        s.execute(update(known_referrals)
                  .where(known_referrals.c.reference == reference_of(db, withdrawn))
                  .values(share_status_with_referrer=False))

    worker.send_due(db, email_values, FixedClock(datetime(2026, 3, 1, 6, 5, tzinfo=timezone.utc)))

    [digest] = smtp_server.messages()
    text = digest.get_content()
    assert reference_of(db, withdrawn) not in text
    for delivery_id in (made[0], made[2]):
        assert reference_of(db, delivery_id) in text and row(db, delivery_id).status == "sent"
    assert (row(db, withdrawn).status, row(db, withdrawn).last_error) == \
        ("suppressed", "consent:withdrawn")


# --- SMS -------------------------------------------------------------------------------------

@pytest.mark.parametrize("form", [False, True], ids=["json", "form"])
def test_an_sms_is_posted_to_the_webhook_and_retried_after_a_5xx(db, sms_receiver, form):
    values = settings(REFNET_SMS_WEBHOOK_URL=sms_receiver.url,
                      REFNET_SMS_WEBHOOK_FORMAT="form" if form else "json",
                      REFNET_SMS_WEBHOOK_TOKEN="sms-token-1")
    delivery_id = seed(db, channel="sms")
    sms_receiver.answers = [503]
    clock = FixedClock(NOW)

    worker.send_due(db, values, clock)
    failed = row(db, delivery_id)
    assert (failed.status, failed.attempts, failed.last_error) == ("pending", 1, "sms:http-503")

    clock.advance(seconds=15)
    worker.send_due(db, values, clock)
    worker.send_due(db, values, clock)
    assert row(db, delivery_id).status == "sent"

    assert len(sms_receiver.posts) == 2  # the refused try and the one that went
    post = sms_receiver.posts[-1]
    assert post["authorization"] == "Bearer sms-token-1"
    if form:
        assert post["type"] == "application/x-www-form-urlencoded"
        body = {k: v[0] for k, v in parse_qs(post["body"].decode()).items()}
    else:
        assert post["type"] == "application/json"
        body = json.loads(post["body"])
    assert body["to"] == PHONE
    assert "https://refnet.test/police/referrals/RN-" in body["text"]


def test_an_sms_the_provider_calls_bad_is_dead_at_once(db, sms_receiver):
    delivery_id = seed(db, channel="sms", moment="admitted")
    sms_receiver.answers = [400]

    worker.send_due(db, settings(REFNET_SMS_WEBHOOK_URL=sms_receiver.url), FixedClock(NOW))

    dead = row(db, delivery_id)
    assert (dead.status, dead.attempts, dead.last_error) == ("dead", 1, "sms:http-400")
    [told] = admin_notifications(db)
    assert json.loads(told.params) == {"channel": "sms", "moment": "admitted"}


def test_an_sms_provider_that_cannot_be_reached_is_a_code(db, sms_receiver):
    url = sms_receiver.url
    sms_receiver.close()
    delivery_id = seed(db, channel="sms")
    worker.send_due(db, settings(REFNET_SMS_WEBHOOK_URL=url), FixedClock(NOW))
    assert row(db, delivery_id).last_error == "sms:connect"
