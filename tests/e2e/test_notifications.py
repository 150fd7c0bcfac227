"""Issue 19's acceptance, end to end: real processes (two of every service), a real SMTP server
(STARTTLS, AUTH) and a real HTTP receiver standing in for the SMS provider
(``refnet.harness.mail``), and the test clock.

- an officer who asked for email in Arabic gets one email when the shelter accepts, in Arabic,
  and one inbox row;
- a bad preference is refused with 422 naming the field, and nothing changes;
- after the survivor withdraws consent to share status with the police, the officer gets nothing
  about later steps: no email, no inbox row;
- a hearing reminder reaches the lawyer, and an assigned accompaniment task its assignee, by SMS
  through the webhook;
- the SMTP server down for 30 seconds: the mail goes out after it returns, exactly once;
- the case manager gets the overdue notice once, with two replicas of every service;
- a planted survivor name is in no SMTP message, SMS body, inbox row, log line or event, and
  people's own email addresses and phone numbers are in no log line, event or database in clear.

The tests run in this order on one network: the clock moves forward only in the overdue test,
and the last test reads everything the others made. Everything asynchronous is waited for with
a deadline (``poll``); "exactly once" is judged after the notify service's own records say it is
done (the delivery is sent, the later events processed), never after a pause.
"""

import json
import re
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import kombu
import pytest
import requests
from sqlalchemy import create_engine, text

from refnet import demo
from refnet.harness.broker import create_vhost, delete_vhost
from refnet.harness.mail import SmsReceiver, SmtpServer
from refnet.harness.network import Network
from refnet.harness.polling import poll
from tests.e2e.conftest import CANONICAL, ReconnectingTap
from tests.e2e.privacy_world import PLANTED_NAME, PLANTED_PHONE, PLANTED_STORY_PLACE, planted_body

FACILITY = demo.FACILITY["id"]
SHELTER_AGENCY = demo.FACILITY["provider"]
COURT = "erbil-criminal-court"
WEEK_AND_A_DAY = 8 * 86400
ARABIC = re.compile(r"[\u0600-\u06FF]")
OUTAGE_SECONDS = 30
POLICE_MOMENTS = ("referral_accepted", "referral_declined", "bed_held", "admitted",
                  "referral_escalated")


@pytest.fixture(scope="module")
def net(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("notify-network")
    clock_file = workdir / "clock-offset"
    clock_file.write_text("0")
    smtp = SmtpServer(workdir / "smtp").start()
    sms = SmsReceiver().start()
    name, uri = create_vhost("refnet-e2e-notify")
    connection = kombu.Connection(uri)
    exchange = kombu.Exchange("refnet.events", type="topic", durable=True)
    queue = kombu.Queue(f"tap-{uuid.uuid4().hex[:6]}", exchange=exchange, routing_key="#",
                        durable=False, auto_delete=False)
    queue(connection.channel()).declare()
    network = Network(workdir, uri, replicas=2, extra_env={
        **smtp.settings(), **sms.settings(),
        "REFNET_TEST_CLOCK_OFFSET_FILE": str(clock_file),
        "REFNET_MILESTONE_SWEEP_SECONDS": "0.3",
        # a hearing 30 days ahead is reminded of at once
        "REFNET_REMINDER_LEAD_SECONDS": str(40 * 86400), "REFNET_REMINDER_POLL_SECONDS": "0.5",
        # the delivery worker's pace: an outage of 30 s is ridden out with retries to spare
        "REFNET_NOTIFY_POLL_SECONDS": "0.3", "REFNET_NOTIFY_SWEEP_SECONDS": "1",
        "REFNET_NOTIFY_BACKOFF_SECONDS": "1", "REFNET_NOTIFY_MAX_ATTEMPTS": "12",
        "REFNET_RATE_LIMIT_PER_MINUTE": "1000000"})
    network.clock_file, network.smtp, network.sms = clock_file, smtp, sms
    network.tap = ReconnectingTap(connection, queue)
    try:
        network.prepare()
        network.start()
        try:
            network.wait_ready()
            for service in ("referral", "shelter", "legal", "notify"):
                network.wait_consumers(f"rpc-{service}", 2)
                network.wait_consumers(f"{service}.events", 2)
            # every test holds beds for a woman and her child, and few are released: room for all
            network.seed_facility({"women": 60, "children": 60})
            yield network
        finally:
            network.stop()
    finally:
        try:
            network.tap.connection.release()
            connection.release()
        finally:
            delete_vhost(name)
            smtp.stop()
            sms.stop()


# --- helpers ---------------------------------------------------------------------------------------

def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def new_phone() -> str:
    return "+96475" + str(uuid.uuid4().int)[:8]


def preferences(**changes) -> dict:
    """A whole preferences body: English, no contact details, no quiet hours, no digest, the
    inbox only; then ``changes``."""
    body = {"language": "en", "email": None, "phone": None, "time_zone": "Asia/Baghdad",
            "quiet_hours": None, "digest": {"enabled": False, "hour": 8}, "moments": {}}
    body.update(changes)
    return body


def save_preferences(net, token, **changes) -> dict:
    r = net.api("PUT", "/me/preferences", token, json=preferences(**changes))
    assert r.status_code == 200, r.text
    return r.json()


def inbox(net, token, reference=None) -> list[dict]:
    """Every item of the caller's inbox (every page), for one reference if given."""
    items, cursor = [], None
    for _ in range(50):
        r = net.api("GET", "/inbox", token, params={"cursor": cursor} if cursor else None)
        assert r.status_code == 200, r.text
        body = r.json()
        items += body["items"]
        cursor = body.get("next_cursor")
        if not cursor:
            break
    return [i for i in items if reference is None or i["reference"] == reference]


def notify_db(net, sql: str, **params) -> list[dict]:
    """Rows of the notify service's own database (SQLite in the network's folder)."""
    engine = create_engine(net.env["NOTIFY_DATABASE_URL"])
    try:
        with engine.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(text(sql), params)]
    finally:
        engine.dispose()


def deliveries(net, user: str, reference: str | None = None) -> list[dict]:
    return notify_db(net, """
        SELECT d.id, d.channel, d.status, d.attempts, n.moment, n.reference
        FROM deliveries d JOIN notifications n ON n.id = d.notification_id
        WHERE d.user_id = :user AND (:reference IS NULL OR n.reference = :reference)
        ORDER BY d.id""", user=user, reference=reference)


def processed(net, event_id: str) -> bool:
    return bool(notify_db(net, "SELECT 1 FROM processed_events WHERE event_id = :e", e=event_id))


def status_events(net, reference: str, change: str) -> list[dict]:
    return [e for e in net.tap.drain() if e["type"] == "referral.status_changed"
            and e["payload"]["reference"] == reference and e["payload"]["change"] == change]


def emails(net, address: str, reference: str | None = None):
    return [m for m in net.smtp.messages(to=address)
            if reference is None or reference in m.subject + m.text]


def texts(net, phone: str, reference: str | None = None):
    """The SMS posted to the webhook for ``phone`` (about ``reference``)."""
    out = []
    for posted in net.sms.requests():
        values = [str(v) for v in posted.fields.values()]
        if phone in values and (reference is None or any(reference in v for v in values)):
            out.append(posted)
    return out


def submit(net, police, body=None) -> str:
    r = net.api("POST", "/referrals", police, json=body or CANONICAL)
    assert r.status_code == 202, r.text
    reference = r.json()["reference"]
    net.wait_status(reference, "received", police)
    return reference


def accept(net, shelter, police, reference) -> None:
    r = net.api("POST", f"/referrals/{reference}/decision", shelter, json={"decision": "accept"})
    assert r.status_code == 200, r.text
    net.wait_status(reference, "bed_held", police)


def admit(net, shelter, reference, case_manager) -> dict:
    r = net.api("POST", f"/shelters/{FACILITY}/admissions", shelter,
                json={"reference": reference, "case_manager": case_manager})
    assert r.status_code == 201, r.text
    return r.json()


def officer(net, label: str) -> tuple[str, str]:
    """A police officer of a unit of their own: (user id, token)."""
    user = unique(f"officer.{label}")
    return user, net.token("police", agency=unique(f"tip-{label}"), user=user)


# --- the harness's own servers ---------------------------------------------------------------------

def test_the_smtp_server_requires_starttls_and_auth_and_keeps_its_port_across_a_restart(tmp_path):
    import smtplib
    import ssl
    from email.message import EmailMessage

    server = SmtpServer(tmp_path).start()
    settings = server.settings()
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "a@x.test", "b@x.test", "hello"
    message.set_content("text")

    def send(tls=True, login=True, password=None):
        with smtplib.SMTP(settings["REFNET_SMTP_HOST"], int(settings["REFNET_SMTP_PORT"]),
                          timeout=10) as client:
            if tls:
                client.starttls(context=ssl.create_default_context(
                    cafile=settings["REFNET_SMTP_CA_FILE"]))
            if login:
                client.login(settings["REFNET_SMTP_USERNAME"],
                             password or settings["REFNET_SMTP_PASSWORD"])
            client.send_message(message)

    try:
        with pytest.raises(smtplib.SMTPException):
            send(tls=False)                      # no AUTH, and no mail, before STARTTLS
        with pytest.raises(smtplib.SMTPSenderRefused):
            send(login=False)                    # no mail without AUTH
        with pytest.raises(smtplib.SMTPAuthenticationError):
            send(password="wrong")
        send()
        port = server.port
        server.stop()
        with pytest.raises(OSError):
            send()
        server.start()
        send()
        assert server.port == port
        received = server.messages(to="b@x.test")
        assert [(m.subject, m.tls, m.login) for m in received] == [("hello", True, "refnet-notify")] * 2
        assert server.refused_logins >= 1  # smtplib tries each mechanism offered
    finally:
        server.stop()


def test_the_sms_receiver_keeps_what_was_posted():
    with SmsReceiver() as receiver:
        settings = receiver.settings()
        r = requests.post(settings["REFNET_SMS_WEBHOOK_URL"], json={"to": "+1", "text": "RN"},
                          headers={"Authorization": f"Bearer {settings['REFNET_SMS_WEBHOOK_TOKEN']}"},
                          timeout=10)
        assert r.status_code == 200
        (posted,) = receiver.requests()
        assert posted.fields == {"to": "+1", "text": "RN"}
        assert posted.headers["Authorization"] == f"Bearer {receiver.token}"


# --- bad preferences ------------------------------------------------------------------------------

def test_bad_preference_input_is_refused_naming_the_field_and_nothing_changes(net):
    user, token = officer(net, "prefs")
    defaults = net.api("GET", "/me/preferences", token)
    assert defaults.status_code == 200, defaults.text
    assert defaults.json()["language"] == "en" and defaults.json()["email"] is None
    saved = save_preferences(net, token, language="ckb", email=f"{user}@notify.test",
                             quiet_hours={"start": "22:00", "end": "06:00"},
                             moments={"referral_accepted": ["email"]})
    assert saved["language"] == "ckb" and saved["moments"]["referral_accepted"] == ["email"]
    before = net.api("GET", "/me/preferences", token).json()

    bad = [
        ({"language": "fr"}, "language"),
        ({"quiet_hours": {"start": "25:00", "end": "06:00"}}, "quiet_hours.start"),
        ({"moments": {"referral_accepted": ["sms"]}}, "moments.referral_accepted"),  # no phone
        ({"moments": {"no_such_moment": ["email"]}}, "moments.no_such_moment"),
        ({"phone": "12345"}, "phone"),
        ({"time_zone": "Mars/Olympus_Mons"}, "time_zone"),
    ]
    for change, field in bad:
        body = {**before, **change}
        r = net.api("PUT", "/me/preferences", token, json=body)
        assert r.status_code == 422, (change, r.status_code, r.text)
        assert r.headers["Content-Type"].startswith("application/problem+json"), r.headers
        assert r.json()["field"] == field, (change, r.json())
        assert net.api("GET", "/me/preferences", token).json() == before, change


# --- (a) the officer's email in Arabic --------------------------------------------------------

def test_the_officer_gets_one_email_in_arabic_when_the_shelter_accepts_and_one_inbox_row(net):
    user, police = officer(net, "arabic")
    address = f"{user}@notify.test"
    save_preferences(net, police, language="ar", email=address,
                     moments={"referral_accepted": ["email"]})
    shelter = net.token("shelter", user=unique("intake"))
    reference = submit(net, police)
    accept(net, shelter, police, reference)

    # the officer's inbox has the acceptance and the hold (the inbox is always on), each once
    rows = poll(lambda: (lambda items: items if {i["moment"] for i in items} >= {
        "referral_accepted", "bed_held"} else None)(inbox(net, police, reference)),
        "the acceptance and the hold in the officer's inbox")
    accepted = [i for i in rows if i["moment"] == "referral_accepted"]
    assert len(accepted) == 1, rows
    assert ARABIC.search(accepted[0]["text"]) and reference in accepted[0]["text"]
    assert accepted[0]["link"].endswith(f"/police/referrals/{reference}")

    # every delivery of the officer is made by now (with the notifications); the one email goes
    (sent,) = poll(lambda: (lambda rows: rows if rows and all(d["status"] == "sent" for d in rows)
                            else None)(deliveries(net, user)), "the officer's email sent")
    assert (sent["moment"], sent["channel"], sent["reference"]) == ("referral_accepted", "email",
                                                                    reference)
    (mail,) = emails(net, address)
    assert mail.recipients == [address]
    assert mail.tls and mail.login == net.smtp.username   # over STARTTLS, authenticated
    assert mail.mail_from == net.env["REFNET_SMTP_FROM"]
    assert reference in mail.subject and ARABIC.search(mail.subject)
    assert reference in mail.text and ARABIC.search(mail.text)
    assert f"{net.url}/police/referrals/{reference}" in mail.text
    assert mail.message_id == f"<delivery-{sent['id']}@refnet>"


# --- (d) consent withdrawn -------------------------------------------------------------------------

def test_after_consent_is_withdrawn_the_officer_gets_nothing_about_later_steps(net):
    user, police = officer(net, "consent")
    address, phone = f"{user}@notify.test", new_phone()
    save_preferences(net, police, email=address, phone=phone,
                     moments={m: ["email", "sms"] for m in POLICE_MOMENTS})
    shelter = net.token("shelter", user=unique("cm"))
    reference = submit(net, police)
    accept(net, shelter, police, reference)
    poll(lambda: (lambda rows: len(rows) == 4 and all(d["status"] == "sent" for d in rows))(
        deliveries(net, user, reference)), "the acceptance and the hold sent by email and SMS")
    assert len(emails(net, address, reference)) == 2 and len(texts(net, phone, reference)) == 2

    r = net.api("POST", f"/referrals/{reference}/consent", shelter,
                json={"audience": "referring_police", "share": False})
    assert r.status_code == 200, r.text
    admit(net, shelter, reference, unique("cm"))
    net.wait_status(reference, "admitted", shelter)
    # the step's event left the referral service saying the consent is withdrawn, and the
    # notify service has taken it in: whatever it would make of it is made by now
    (admitted,) = poll(lambda: status_events(net, reference, "admitted"), "referral.status_changed admitted")
    assert admitted["payload"]["share_status_with_referrer"] is False
    poll(lambda: processed(net, admitted["event_id"]), "the notify service to take in the admission")

    assert notify_db(net, "SELECT id FROM notifications WHERE reference = :r AND moment = 'admitted'",
                     r=reference) == []
    assert sorted((d["moment"], d["channel"]) for d in deliveries(net, user, reference)) == [
        ("bed_held", "email"), ("bed_held", "sms"),
        ("referral_accepted", "email"), ("referral_accepted", "sms")]
    # the inbox shows nothing of the referral while the consent is withdrawn
    poll(lambda: inbox(net, police, reference) == [], "the officer's inbox without the referral")
    assert len(emails(net, address, reference)) == 2 and len(texts(net, phone, reference)) == 2


# --- (g) SMS: a hearing reminder and an assigned task -----------------------------------------

def test_a_hearing_reminder_and_an_assigned_task_reach_their_people_by_sms(net):
    _, police = officer(net, "hearing")
    shelter = net.token("shelter", user=unique("intake"))
    lawyer_user = unique("lawyer")
    lawyer = net.token("legal", user=lawyer_user)
    lawyer_phone = new_phone()
    save_preferences(net, lawyer, phone=lawyer_phone, moments={"hearing_reminder": ["sms"]})
    staff_user = unique("staff")
    staff = net.token("shelter", user=staff_user)
    staff_phone = new_phone()
    save_preferences(net, staff, phone=staff_phone, moments={"task_assigned": ["sms"]})

    reference = submit(net, police)
    accept(net, shelter, police, reference)
    poll(lambda: reference in [e["reference"] for e in net.api("GET", "/legal/eligible", lawyer).json()],
         "the legal team to know the referral")
    r = net.api("POST", "/legal/cases", lawyer, json={"reference": reference, "lawyer": lawyer_user})
    assert r.status_code == 201, r.text
    r = net.api("POST", f"/legal/cases/{r.json()['case_id']}/court-cases", lawyer, json={
        "court": COURT, "case_number": f"{uuid.uuid4().hex[:6]}/2026", "standing": "victim",
        "charges": [{"statute": "law-6-2018"}]})
    assert r.status_code == 201, r.text
    starts = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=30)
    local = (starts + timedelta(hours=3)).replace(tzinfo=None).isoformat(timespec="seconds")
    r = net.api("POST", f"/court-cases/{r.json()['court_case_id']}/hearings", lawyer, json={
        "starts_at": local, "purpose": "Hearing on the charge", "attendance_required": True})
    assert r.status_code == 201, r.text

    # the reminder (due at once: the lead is longer than the month) reaches the lawyer by SMS
    (reminder,) = poll(lambda: texts(net, lawyer_phone, reference), "the lawyer's SMS", timeout=60)
    assert reminder.path == "/sms"
    assert reminder.headers["Authorization"] == f"Bearer {net.sms.token}"
    assert any(net.url in str(v) for v in reminder.fields.values())  # the link to the hearings

    # the shelter's accompaniment task, assigned: its assignee is told by SMS
    def open_task():
        listed = net.api("GET", "/tasks", shelter, params={"status": "to_arrange"})
        assert listed.status_code == 200, listed.text
        return [t for t in listed.json()["items"]
                if t["reference"] == reference and t["kind"] == "accompaniment"]
    (task,) = poll(open_task, "the accompaniment task", timeout=60)
    r = net.api("POST", f"/tasks/{task['id']}/assign", shelter, json={"assignee": staff_user})
    assert r.status_code == 200, r.text
    (assigned,) = poll(lambda: texts(net, staff_phone, reference), "the assignee's SMS")
    assert [i["moment"] for i in inbox(net, staff, reference) if i["moment"] == "task_assigned"] \
        == ["task_assigned"]


# --- (c) SMTP down for 30 seconds ------------------------------------------------------------

def test_smtp_down_for_thirty_seconds_the_mail_goes_out_after_it_returns_exactly_once(net):
    user, police = officer(net, "outage")
    address = f"{user}@notify.test"
    save_preferences(net, police, email=address, moments={"referral_accepted": ["email"]})
    shelter = net.token("shelter", user=unique("intake"))
    reference = submit(net, police)

    net.smtp.stop()
    stopped = time.monotonic()
    try:
        accept(net, shelter, police, reference)
        # the delivery is made and its first tries fail while the server is down
        poll(lambda: [d for d in deliveries(net, user, reference)
                      if d["status"] == "pending" and d["attempts"] >= 1],
             "a failed try while the SMTP server is down")
        time.sleep(max(0.0, OUTAGE_SECONDS - (time.monotonic() - stopped)))  # the outage itself
        failed_tries = deliveries(net, user, reference)[0]["attempts"]
        assert emails(net, address) == []
    finally:
        net.smtp.start()

    (sent,) = poll(lambda: [d for d in deliveries(net, user, reference) if d["status"] == "sent"],
                   "the email sent after the server returned", timeout=120)
    assert sent["attempts"] >= failed_tries >= 1
    (mail,) = emails(net, address, reference)
    assert mail.message_id == f"<delivery-{sent['id']}@refnet>"
    assert [d["status"] for d in deliveries(net, user, reference)] == ["sent"]


# --- (b) the overdue notice, once, with two replicas -----------------------------------------

def test_the_case_manager_gets_the_overdue_notice_once_with_two_replicas_of_every_service(net):
    assert len([name for name in net.processes if name.startswith("notify")]) == 2
    _, police = officer(net, "overdue")
    intake = net.token("shelter", user=unique("intake"))
    cm_user = unique("cm")
    cm = net.token("shelter", user=cm_user)
    address = f"{cm_user}@notify.test"
    save_preferences(net, cm, email=address, moments={"milestone_overdue": ["email"]})
    psy_user = unique("psy")
    psy = net.token("shelter", user=psy_user)

    reference = submit(net, police)
    accept(net, intake, police, reference)
    plan_id = admit(net, intake, reference, cm_user)["plan_id"]
    # the first week done but the legal rights briefing: that one becomes overdue
    r = net.api("PUT", f"/shelter/plans/{plan_id}", cm, json={"psychologist": psy_user})
    assert r.status_code == 200, r.text
    r = net.api("PUT", f"/shelter/plans/{plan_id}/screening", psy,
                json={"outcome": "no_concerns", "summary": "fine"})
    assert r.status_code == 200, r.text
    r = net.api("POST", f"/shelter/plans/{plan_id}/milestones/plan_agreed/done", cm)
    assert r.status_code == 200, r.text

    net.clock_file.write_text(str(WEEK_AND_A_DAY))
    (mail,) = poll(lambda: emails(net, address, reference), "the overdue email", timeout=60)
    assert reference in mail.text

    # a sentinel admitted now, its first week passed too: once its notices are in, the sweeps of
    # both shelter replicas and the rounds of both notify replicas after the first notice have
    # run, and the first resident's notice still exists once
    sentinel = submit(net, police)
    accept(net, intake, police, sentinel)
    admit(net, intake, sentinel, cm_user)
    net.clock_file.write_text(str(2 * WEEK_AND_A_DAY))
    poll(lambda: len(emails(net, address, sentinel)) == 3, "the sentinel's three notices", timeout=60)
    poll(lambda: all(d["status"] == "sent" for d in deliveries(net, cm_user)),
         "every delivery of the case manager sent")

    assert len(emails(net, address, reference)) == 1
    rows = [i for i in inbox(net, cm, reference) if i["moment"] == "milestone_overdue"]
    assert len(rows) == 1, rows
    assert rows[0]["link"].startswith("/") or rows[0]["link"].startswith(net.url)
    assert [d["moment"] for d in deliveries(net, cm_user, reference)] == ["milestone_overdue"]
    overdue = [e for e in net.tap.drain() if e["type"] == "shelter.milestone_overdue"
               and e["payload"]["reference"] == reference]
    assert [e["payload"]["milestone"] for e in overdue] == ["legal_rights_briefing"]


# --- (e) the planted name is nowhere --------------------------------------------------------------

def _needles(*values: str) -> list[bytes]:
    out = []
    for value in values:
        out += [value.encode(), value.encode("utf-16-le"), value.encode().hex().encode()]
    return out


def test_a_planted_name_is_in_no_message_sms_inbox_row_log_line_or_event(net):
    user, police = officer(net, "planted")
    address, phone = f"{user}@notify.test", new_phone()
    save_preferences(net, police, email=address, phone=phone,
                     moments={m: ["email", "sms"] for m in POLICE_MOMENTS})
    desk_user = unique("desk")
    desk = net.token("shelter", user=desk_user)
    desk_address, desk_phone = f"{desk_user}@notify.test", new_phone()
    save_preferences(net, desk, email=desk_address, phone=desk_phone,
                     moments={"referral_offered": ["email", "sms"]})

    reference = submit(net, police, planted_body())
    accept(net, desk, police, reference)
    admit(net, desk, reference, unique("cm"))
    poll(lambda: len(emails(net, address, reference)) == 3 and len(texts(net, phone, reference)) == 3,
         "the officer's three emails and three SMS")
    poll(lambda: emails(net, desk_address, reference) and texts(net, desk_phone, reference),
         "the desk's email and SMS")
    poll(lambda: all(d["status"] == "sent" for d in deliveries(net, user) + deliveries(net, desk_user)),
         "every delivery sent")

    names = _needles(PLANTED_NAME, PLANTED_NAME.lower(), PLANTED_NAME.split()[1], PLANTED_PHONE,
                     PLANTED_PHONE[1:], PLANTED_STORY_PLACE)
    contacts = _needles(address, phone, phone[1:], desk_address, desk_phone, desk_phone[1:])

    def leaks(blob: bytes, needles) -> list[bytes]:
        return [n for n in needles if n in blob]

    found = {}
    for mail in net.smtp.messages():
        if leaks(mail.raw, names):
            found[f"email {mail.message_id}"] = leaks(mail.raw, names)
    for posted in net.sms.requests():
        if leaks(posted.body, names):
            found[f"sms {posted.fields}"] = leaks(posted.body, names)
    rows = json.dumps(inbox(net, police) + inbox(net, desk), ensure_ascii=False).encode()
    assert reference.encode() in rows
    if leaks(rows, names):
        found["inbox"] = leaks(rows, names)
    database = b"".join(p.read_bytes() for p in Path(net.workdir).glob("notify.db*"))
    assert database
    if leaks(database, names + contacts):   # contact details are sealed at rest
        found["notify database"] = leaks(database, names + contacts)
    for path in sorted(net.logs.glob("*.log")):
        if leaks(path.read_bytes(), names + contacts):
            found[f"log {path.name}"] = leaks(path.read_bytes(), names + contacts)
    events = json.dumps(net.tap.drain()).encode()
    assert reference.encode() in events
    if leaks(events, names + contacts):
        found["events"] = leaks(events, names + contacts)
    assert found == {}
