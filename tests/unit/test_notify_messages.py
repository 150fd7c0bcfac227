"""The words of notifications (services/notify/domain/messages.py), without I/O: every moment in
English, Arabic and Sorani Kurdish, with nothing but the reference, words, codes as words and
the link."""

import re

import pytest

from services.contracts.vocabulary import (COURT_CASE_STATUSES, MILESTONES, NOTIFY_LANGUAGES,
                                           NOTIFY_MOMENTS, OFFER_REASONS, TASK_KINDS, VERDICTS)
from services.notify.domain import messages as msg

REF = "RN-ABCD-EFGH-IJKL-MNOP"
LINK = "https://refnet.example.org/police/referrals/" + REF
PARAMS = {"why": "routed", "milestone": "plan_agreed", "kind": "accompaniment",
          "status": "trial", "verdict": "convicted", "channel": "sms", "moment": "admitted"}
ARABIC = re.compile("[\u0600-\u06ff]")


@pytest.mark.parametrize("language", NOTIFY_LANGUAGES)
@pytest.mark.parametrize("moment", NOTIFY_MOMENTS)
def test_every_moment_has_words_in_every_language(moment, language):
    subject, text = msg.render(moment, REF, LINK, language, PARAMS)
    assert REF in subject and REF in text
    assert text.startswith(subject) and text.endswith(LINK)
    assert "{" not in text and "}" not in text
    assert bool(ARABIC.search(text)) == (language != "en")


def test_the_english_of_an_acceptance_is_the_issues_sentence():
    assert msg.render("referral_accepted", REF, LINK, "en", {}) == (
        f"Referral {REF} was accepted", f"Referral {REF} was accepted — open refnet: {LINK}")


def test_arabic_and_sorani_are_written_in_their_own_words():
    assert msg.render("referral_accepted", REF, LINK, "ar", {})[0] == f"تم قبول الإحالة {REF}"
    assert msg.render("referral_accepted", REF, LINK, "ckb", {})[0] == \
        f"ڕەوانەکردنی {REF} پەسەندکرا"
    assert "افتح refnet" in msg.render("bed_held", REF, LINK, "ar", {})[1]
    assert "refnet بکەرەوە" in msg.render("bed_held", REF, LINK, "ckb", {})[1]


def test_an_unknown_language_falls_back_to_english():
    assert msg.render("admitted", REF, LINK, "fr", {}) == msg.render("admitted", REF, LINK,
                                                                      "en", {})
    assert msg.render("admitted", REF, LINK, None, {}) == msg.render("admitted", REF, LINK,
                                                                     "en", {})


@pytest.mark.parametrize("param,codes", [("milestone", MILESTONES), ("status", COURT_CASE_STATUSES),
                                         ("verdict", VERDICTS), ("kind", TASK_KINDS),
                                         ("why", OFFER_REASONS), ("channel", ("email", "sms"))])
def test_every_code_has_words_in_every_language(param, codes):
    for code in codes:
        for language in NOTIFY_LANGUAGES:
            assert msg.word(param, code, language), (param, code, language)


def test_codes_are_shown_as_words_never_raw():
    _, text = msg.render("milestone_overdue", REF, LINK, "en",
                         {"milestone": "psychological_screening"})
    assert "psychological screening" in text and "psychological_screening" not in text
    _, text = msg.render("court_status_changed", REF, LINK, "ar",
                         {"status": "verdict", "verdict": "acquitted"})
    assert "صدر الحكم" in text and "براءة" in text


def test_anything_in_params_that_is_not_a_known_code_is_left_out():
    planted = "Zerya Qasimova-Testperson"
    for moment in NOTIFY_MOMENTS:
        for language in NOTIFY_LANGUAGES:
            params = {key: planted for key in PARAMS} | {"name": planted}
            subject, text = msg.render(moment, REF, LINK, language, params)
            assert planted not in subject and planted not in text


def test_a_failed_delivery_without_a_reference_still_reads_well():
    assert msg.render("delivery_failed", None, "/inbox", "en", {"channel": "email"})[0] == \
        "A message by email could not be sent"
    assert msg.render("delivery_failed", None, "/inbox", "ckb", {})[0] == "نامەیەک نەنێردرا"
    assert msg.render("delivery_failed", None, "/inbox", "ckb", {"channel": "email"})[0] == \
        "نامەیەکی ئیمەیڵ نەنێردرا"


def test_an_sms_fits_a_few_segments():
    longest = max(len(msg.render(m, REF, LINK, lang, PARAMS)[1])
                  for m in NOTIFY_MOMENTS for lang in NOTIFY_LANGUAGES)
    assert longest < 320
