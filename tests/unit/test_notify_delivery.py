"""The rules of sending email and SMS (services/notify/domain/delivery.py) and the messages the
channels build, without I/O: back-off, giving up, failure codes that never carry an address,
whether a message may still go, the digest hour, the email's headers."""

import smtplib
import socket
import ssl
from datetime import datetime, timedelta, timezone
from email import message_from_bytes, policy
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from services.notify.channels.sms import HttpWebhook
from services.notify.channels.smtp import SmtpChannel, build_email, code_of
from services.notify.domain import delivery as rules
from services.notify.domain.delivery import SendFailed

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=timezone.utc)
BAGHDAD = ZoneInfo("Asia/Baghdad")  # UTC+3, no daylight saving
ADDRESS = "officer.one@police.example"


# --- back-off and giving up ------------------------------------------------------------------

def test_backoff_doubles_from_the_base_after_each_failure():
    assert [rules.backoff(n, 15) for n in (1, 2, 3, 4)] == [
        timedelta(seconds=15), timedelta(seconds=30), timedelta(seconds=60),
        timedelta(seconds=120)]


def test_backoff_is_at_most_an_hour_even_after_very_many_failures():
    assert rules.backoff(9, 15) == timedelta(seconds=3600)  # 15 * 256 = 3840 s, capped
    assert rules.backoff(8, 15) == timedelta(seconds=1920)
    assert rules.backoff(10_000, 15) == timedelta(hours=1)


def test_backoff_of_no_failure_yet_is_the_base():
    assert rules.backoff(0, 10) == timedelta(seconds=10)


def test_a_failure_before_the_last_try_waits_for_the_backoff():
    after = rules.after_failure(2, "smtp:421", NOW, base=15, max_attempts=8)
    assert after.status == "pending"
    assert after.attempts == 3
    assert after.not_before == NOW + timedelta(seconds=60)
    assert after.last_error == "smtp:421"


def test_the_last_allowed_failure_is_dead():
    after = rules.after_failure(7, "smtp:connect", NOW, base=15, max_attempts=8)
    assert (after.status, after.attempts) == ("dead", 8)
    assert rules.after_failure(6, "smtp:connect", NOW, base=15, max_attempts=8).status == "pending"


def test_a_permanent_failure_is_dead_at_once():
    after = rules.after_failure(0, "smtp:rcpt-550", NOW, base=15, max_attempts=8, permanent=True)
    assert (after.status, after.attempts) == ("dead", 1)


# --- failure codes ---------------------------------------------------------------------------

@pytest.mark.parametrize("channel, what, code", [
    ("smtp", 421, "smtp:421"), ("smtp", "connect", "smtp:connect"),
    ("sms", "http-503", "sms:http-503"), ("sms", "timeout", "sms:timeout")])
def test_failure_codes_are_a_channel_and_a_short_token(channel, what, code):
    assert rules.failure_code(channel, what) == code


@pytest.mark.parametrize("what", [ADDRESS, "no such user", "+9647501234987", "", "x" * 60])
def test_a_failure_code_cannot_carry_an_address_or_words(what):
    with pytest.raises(ValueError):
        rules.failure_code("smtp", what)
    with pytest.raises(ValueError):
        SendFailed(f"smtp:{what}")


def test_a_refused_recipient_keeps_the_servers_code_not_its_words():
    error = smtplib.SMTPRecipientsRefused({ADDRESS: (550, f"5.1.1 <{ADDRESS}> unknown".encode())})
    failed = code_of(error)
    assert failed.code == "smtp:rcpt-550"
    assert failed.permanent
    assert ADDRESS not in str(failed)
    busy = code_of(smtplib.SMTPRecipientsRefused({ADDRESS: (451, b"try later")}))
    assert (busy.code, busy.permanent) == ("smtp:rcpt-451", False)


@pytest.mark.parametrize("error, code", [
    (smtplib.SMTPAuthenticationError(535, b"5.7.8 bad credentials for someone"), "smtp:535"),
    (smtplib.SMTPSenderRefused(553, b"no", "refnet@localhost"), "smtp:553"),
    (smtplib.SMTPDataError(554, b"rejected"), "smtp:554"),
    (smtplib.SMTPConnectError(421, b"busy"), "smtp:421"),
    (smtplib.SMTPServerDisconnected("gone"), "smtp:disconnected"),
    (smtplib.SMTPNotSupportedError("no AUTH"), "smtp:not-supported"),
    (ConnectionRefusedError(111, "refused"), "smtp:connect"),
    (socket.timeout("timed out"), "smtp:timeout"),
    (ssl.SSLCertVerificationError(1, "self-signed"), "smtp:tls-verify"),
    (ssl.SSLError(1, "wrong version"), "smtp:tls"),
    (RuntimeError("surprise"), "smtp:error")])
def test_each_smtp_error_has_its_code(error, code):
    failed = code_of(error)
    assert failed.code == code
    assert not failed.permanent


# --- may it still go ------------------------------------------------------------------------

def test_police_moments_need_the_consent_given_and_not_run_out():
    police = rules.POLICE_AUDIENCE
    assert rules.consent_stands(police, True, None, NOW)
    assert rules.consent_stands(police, True, NOW + timedelta(days=1), NOW)
    assert not rules.consent_stands(police, True, NOW, NOW)
    assert not rules.consent_stands(police, False, None, NOW)
    assert not rules.consent_stands(police, None, None, NOW)  # never learnt: not shared
    assert rules.consent_stands(None, None, None, NOW)  # other moments depend on no consent
    assert not rules.consent_stands("someone_else", True, None, NOW)  # unknown audience: no


def _why(**changes):
    decision = dict(channel="email", configured=True, subscribed=True, wanted=True,
                    address=ADDRESS, consent=True)
    decision.update(changes)
    return rules.why_not_send(**decision)


def test_a_message_goes_when_everything_allows_it():
    assert _why() is None


@pytest.mark.parametrize("changes, code", [
    ({"consent": False}, "consent:withdrawn"),
    ({"configured": False}, "email:off"),
    ({"channel": "sms", "configured": False}, "sms:off"),
    ({"subscribed": False}, "email:not-wanted"),
    ({"wanted": False}, "email:not-wanted"),
    ({"address": None}, "email:no-address")])
def test_a_message_that_may_not_go_is_suppressed_with_a_code(changes, code):
    assert _why(**changes) == code


def test_withdrawn_consent_wins_over_every_other_reason():
    assert _why(consent=False, configured=False, address=None) == "consent:withdrawn"


def test_wants_reads_the_saved_channels_of_the_moment():
    saved = {"referral_accepted": ["email", "sms"], "admitted": ["inbox"]}
    assert rules.wants(saved, "referral_accepted", "sms")
    assert not rules.wants(saved, "admitted", "email")
    assert not rules.wants(saved, "bed_held", "email")
    assert not rules.wants({"bed_held": "email"}, "bed_held", "email")  # malformed: no


# --- the digest hour -------------------------------------------------------------------------

def test_a_line_made_before_the_digest_hour_goes_the_same_day():
    made = datetime(2026, 3, 1, 5, 30, tzinfo=timezone.utc)  # 08:30 in Baghdad
    assert rules.digest_due_at(made, 9, BAGHDAD) == datetime(2026, 3, 1, 6, 0, tzinfo=timezone.utc)


def test_a_line_made_after_the_digest_hour_waits_for_the_next_day():
    made = datetime(2026, 3, 1, 5, 30, tzinfo=timezone.utc)  # 08:30 in Baghdad
    assert rules.digest_due_at(made, 8, BAGHDAD) == datetime(2026, 3, 2, 5, 0, tzinfo=timezone.utc)


def test_the_digest_hour_is_the_persons_local_hour_across_midnight_utc():
    made = datetime(2026, 3, 1, 22, 0, tzinfo=timezone.utc)  # 01:00 on 2 March in Baghdad
    assert rules.digest_due_at(made, 0, BAGHDAD) == datetime(2026, 3, 2, 21, 0, tzinfo=timezone.utc)


def test_a_line_made_on_the_digest_hour_waits_for_the_next_one():
    made = datetime(2026, 3, 1, 6, 0, tzinfo=timezone.utc)  # 09:00 in Baghdad
    assert rules.digest_due_at(made, 9, BAGHDAD) == datetime(2026, 3, 2, 6, 0, tzinfo=timezone.utc)


def test_a_line_is_due_exactly_when_it_was_made_before_the_last_digest_hour():
    hour, made = 18, datetime(2026, 3, 1, 0, 0, tzinfo=timezone.utc)
    lines = (made, made + timedelta(hours=7), made + timedelta(hours=15),  # 18:00 local
             made + timedelta(hours=15, minutes=1))
    for step in range(0, 60 * 60, 37):  # every 37 minutes for 37 hours, and on the hour
        for now in (made + timedelta(minutes=step), made + timedelta(hours=step // 37)):
            for line in lines:
                if line > now:
                    continue
                due = rules.digest_due_at(line, hour, BAGHDAD) <= now
                assert due == (line < rules.last_digest_at(now, hour, BAGHDAD)), (now, line)


def test_the_digest_lists_each_line_under_a_subject_in_the_persons_language():
    subject, text = rules.digest("ar", ["Referral RN-1 was accepted", "Referral RN-2 admitted"])
    assert subject == rules.DIGEST_SUBJECT["ar"]
    assert text.splitlines()[0] == "- Referral RN-1 was accepted"
    assert "- Referral RN-2 admitted" in text
    assert rules.digest("xx", ["a"])[0] == rules.DIGEST_SUBJECT["en"]


# --- the email -------------------------------------------------------------------------------

def test_the_message_id_is_the_same_on_every_try_of_a_delivery():
    assert rules.message_id(42) == rules.message_id(42) == "<delivery-42@refnet>"
    assert rules.message_id(43) != rules.message_id(42)
    assert rules.digest_message_id([9, 7, 8]) == "<delivery-7-digest@refnet>"


def test_the_email_is_utf8_plain_text_marked_automatic():
    subject, text = "refnet: إحالة RN-7K2 قُبلت", "الإحالة RN-7K2 قُبلت — http://x/police/RN-7K2"
    message = build_email(sender="refnet@localhost", to=ADDRESS, subject=subject, text=text,
                          message_id=rules.message_id(5), at=NOW)
    parsed = message_from_bytes(message.as_bytes(), policy=policy.default)
    assert parsed["Subject"] == subject
    assert parsed["To"] == ADDRESS
    assert parsed["From"] == "refnet@localhost"
    assert parsed["Message-ID"] == "<delivery-5@refnet>"
    assert parsed["Auto-Submitted"] == "auto-generated"
    assert parsed.get_content_type() == "text/plain"
    assert parsed.get_content_charset() == "utf-8"
    assert parsed.get_content().strip() == text
    assert parsed["Date"]


# --- channels that are off -------------------------------------------------------------------

def _values(**changes):
    values = dict(smtp_host=None, smtp_port=587, smtp_from="refnet@localhost", smtp_starttls=True,
                  smtp_ca_file=None, smtp_username=None, smtp_password=None,
                  sms_webhook_url=None, sms_webhook_format="json", sms_webhook_token=None)
    values.update(changes)
    return SimpleNamespace(**values)


def test_a_channel_without_its_address_is_off():
    assert SmtpChannel.from_values(_values()) is None
    assert HttpWebhook.from_values(_values()) is None


def test_configured_channels_never_show_their_secrets():
    smtp = SmtpChannel.from_values(_values(smtp_host="mail.example", smtp_username="refnet",
                                           smtp_password="s3cret-pw"))
    sms = HttpWebhook.from_values(_values(sms_webhook_url="https://sms.example/send",
                                          sms_webhook_format="form",
                                          sms_webhook_token="t0ken-value"))
    assert (smtp.host, smtp.port, smtp.username) == ("mail.example", 587, "refnet")
    assert sms.form and sms.token == "t0ken-value"
    assert "s3cret-pw" not in repr(smtp) and "t0ken-value" not in repr(sms)
