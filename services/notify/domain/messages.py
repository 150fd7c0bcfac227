"""The words of a notification in English, Arabic and Sorani Kurdish (docs/decisions/0042).

A message says what happened to which reference and where to look, nothing more: the reference,
the moment's words, the codes of its params as words (a milestone, a court status, a task kind)
and the link. An email's subject is the sentence; its body and an SMS are the sentence and the
link. A code this module has no words for is left out, never shown raw: params are codes only,
and nothing that is not one of ours reaches a message.
"""

from services.contracts.vocabulary import NOTIFY_LANGUAGES

DEFAULT_LANGUAGE = "en"

# The sentence of each moment; {ref} is the reference, other fields are code words.
SENTENCES = {
    "en": {
        "referral_offered": "Referral {ref} is now with your agency{why}",
        "referral_accepted": "Referral {ref} was accepted",
        "referral_declined": "Referral {ref} was declined",
        "bed_held": "A bed is held for referral {ref}",
        "admitted": "Referral {ref}: the person was admitted to the shelter",
        "referral_escalated": "Referral {ref} was escalated: no provider answered in time",
        "hold_expiring": "The bed hold for referral {ref} ends soon and the person has not "
                         "arrived",
        "milestone_overdue": "Referral {ref}: the milestone “{milestone}” is overdue",
        "hearing_reminder": "A court hearing for referral {ref} is coming up",
        "task_assigned": "Referral {ref}: a task was assigned to you{kind}",
        "approval_awaited": "Referral {ref}: a cash request is waiting for approval",
        "court_status_changed": "Referral {ref}: the court case is now “{status}”{verdict}",
        "delivery_failed": "A message{channel} about referral {ref} could not be sent",
    },
    "ar": {
        "referral_offered": "أصبحت الإحالة {ref} لدى جهتكم{why}",
        "referral_accepted": "تم قبول الإحالة {ref}",
        "referral_declined": "تم رفض الإحالة {ref}",
        "bed_held": "تم حجز سرير للإحالة {ref}",
        "admitted": "الإحالة {ref}: تم إدخال الشخص إلى المأوى",
        "referral_escalated": "تم تصعيد الإحالة {ref}: لم تردّ أي جهة في الوقت المحدد",
        "hold_expiring": "ينتهي حجز السرير للإحالة {ref} قريباً ولم يصل الشخص بعد",
        "milestone_overdue": "الإحالة {ref}: تأخّر إنجاز مرحلة «{milestone}»",
        "hearing_reminder": "تقترب جلسة محكمة تخص الإحالة {ref}",
        "task_assigned": "الإحالة {ref}: أُسندت إليك مهمة{kind}",
        "approval_awaited": "الإحالة {ref}: طلب صرف مبلغ نقدي بانتظار الموافقة",
        "court_status_changed": "الإحالة {ref}: أصبحت حالة الدعوى: «{status}»{verdict}",
        "delivery_failed": "تعذّر إرسال رسالة{channel} بشأن الإحالة {ref}",
    },
    "ckb": {
        "referral_offered": "ڕەوانەکردنی {ref} ئێستا لای دامەزراوەکەتانە{why}",
        "referral_accepted": "ڕەوانەکردنی {ref} پەسەندکرا",
        "referral_declined": "ڕەوانەکردنی {ref} ڕەتکرایەوە",
        "bed_held": "جێگایەک بۆ ڕەوانەکردنی {ref} گیرا",
        "admitted": "ڕەوانەکردنی {ref}: کەسەکە لە شوێنی حەوانەوە وەرگیرا",
        "referral_escalated": "ڕەوانەکردنی {ref} بەرزکرایەوە: هیچ لایەنێک لە کاتی خۆیدا وەڵامی "
                              "نەدایەوە",
        "hold_expiring": "ماوەی گرتنی جێگا بۆ ڕەوانەکردنی {ref} بەم زووانە تەواو دەبێت و "
                         "کەسەکە هێشتا نەگەیشتووە",
        "milestone_overdue": "ڕەوانەکردنی {ref}: قۆناغی «{milestone}» دواکەوتووە",
        "hearing_reminder": "دانیشتنێکی دادگا بۆ ڕەوانەکردنی {ref} نزیک بووەتەوە",
        "task_assigned": "ڕەوانەکردنی {ref}: ئەرکێک{kind} بە تۆ سپێردرا",
        "approval_awaited": "ڕەوانەکردنی {ref}: داواکارییەکی پارە چاوەڕێی ڕەزامەندییە",
        "court_status_changed": "ڕەوانەکردنی {ref}: دۆخی نوێی دۆسیەی دادگا: «{status}»{verdict}",
        "delivery_failed": "نامەیەک{channel} دەربارەی ڕەوانەکردنی {ref} نەنێردرا",
    },
}

# Without a reference (a failed message about no referral).
NO_REFERENCE = {
    "en": {"delivery_failed": "A message{channel} could not be sent"},
    "ar": {"delivery_failed": "تعذّر إرسال رسالة{channel}"},
    "ckb": {"delivery_failed": "نامەیەک{channel} نەنێردرا"},
}

OPEN = {"en": "{text} — open refnet: {link}",
        "ar": "{text} — افتح refnet: {link}",
        "ckb": "{text} — refnet بکەرەوە: {link}"}

# Code words, per param. The brackets each param is shown in are per language.
WORDS = {
    "milestone": {
        "case_manager_assigned": {"en": "case manager assigned", "ar": "تعيين مدير الحالة",
                                  "ckb": "دیاریکردنی بەڕێوەبەری کەیس"},
        "psychological_screening": {"en": "psychological screening", "ar": "الفحص النفسي",
                                    "ckb": "پشکنینی دەروونی"},
        "legal_rights_briefing": {"en": "legal rights briefing",
                                  "ar": "التعريف بالحقوق القانونية",
                                  "ckb": "ناساندنی مافە یاساییەکان"},
        "plan_agreed": {"en": "care plan agreed", "ar": "الاتفاق على خطة الرعاية",
                        "ckb": "ڕێککەوتن لەسەر پلانی چاودێری"},
    },
    "status": {   # court case statuses, as a state the case is in
        "investigation": {"en": "under investigation", "ar": "قيد التحقيق",
                          "ckb": "لە لێکۆڵینەوەدا"},
        "filed": {"en": "filed", "ar": "مرفوعة أمام المحكمة", "ckb": "تۆمارکراو لە دادگا"},
        "trial": {"en": "on trial", "ar": "قيد المحاكمة", "ckb": "لە دادگاییکردندا"},
        "verdict": {"en": "verdict given", "ar": "صدر الحكم", "ckb": "بڕیار دراوە"},
        "appeal": {"en": "under appeal", "ar": "قيد الاستئناف", "ckb": "لە تانەداندا"},
        "closed": {"en": "closed", "ar": "مغلقة", "ckb": "داخراو"},
    },
    "verdict": {
        "convicted": {"en": "convicted", "ar": "مُدان", "ckb": "تاوانبار کرا"},
        "acquitted": {"en": "acquitted", "ar": "براءة", "ckb": "بێتاوان کرا"},
        "dismissed": {"en": "dismissed", "ar": "رُدّت الدعوى", "ckb": "ڕەتکرایەوە"},
    },
    "kind": {     # task kinds
        "accompaniment": {"en": "court accompaniment", "ar": "مرافقة إلى المحكمة",
                          "ckb": "هاوەڵیکردن بۆ دادگا"},
        "cash_approval": {"en": "cash approval", "ar": "الموافقة على مبلغ نقدي",
                          "ckb": "ڕەزامەندی لەسەر پارە"},
    },
    "why": {      # why a provider holds a referral now
        "addressed": {"en": "addressed to you", "ar": "موجّهة إليكم مباشرة",
                      "ckb": "ڕاستەوخۆ بۆ ئێوە نێردراوە"},
        "routed": {"en": "routed to you", "ar": "وُجّهت إليكم عبر الشبكة",
                   "ckb": "لە ڕێگەی تۆڕەکەوە بۆ ئێوە ئاڕاستەکراوە"},
        "declined": {"en": "another provider declined it", "ar": "بعد أن رفضتها جهة أخرى",
                     "ckb": "دوای ئەوەی لایەنێکی تر ڕەتی کردەوە"},
        "referred_on": {"en": "another provider referred it on", "ar": "أحالتها إليكم جهة أخرى",
                        "ckb": "لایەنێکی تر بۆ ئێوەی ڕەوانە کرد"},
        "escalated": {"en": "another provider did not answer in time",
                      "ar": "بعد أن لم تردّ جهة أخرى في الوقت المحدد",
                      "ckb": "دوای ئەوەی لایەنێکی تر لە کاتی خۆیدا وەڵامی نەدایەوە"},
    },
    "channel": {
        "email": {"en": "email", "ar": "بريد إلكتروني", "ckb": "ئیمەیڵ"},
        "sms": {"en": "SMS", "ar": "نصية (SMS)", "ckb": "SMS"},
    },
}

# How an optional code word joins the sentence, per language.
JOINS = {
    "en": {"why": " ({})", "kind": " ({})", "verdict": ", verdict: “{}”", "channel": " by {}"},
    "ar": {"why": " ({})", "kind": " ({})", "verdict": "، الحكم: «{}»", "channel": " {}"},
    "ckb": {"why": " ({})", "kind": " ({})", "verdict": "، بڕیار: «{}»", "channel": "ی {}"},
}


def language_of(language: str | None) -> str:
    """A language messages are written in (English for anything else)."""
    return language if language in NOTIFY_LANGUAGES else DEFAULT_LANGUAGE


def word(param: str, code, language: str) -> str | None:
    """The words of a code, or None for a code this module does not know."""
    entry = WORDS.get(param, {}).get(code) if isinstance(code, str) else None
    return entry[language] if entry else None


def sentence(moment: str, reference: str | None, language: str, params: dict | None) -> str:
    """What happened, in ``language``: the moment's words around the reference and codes."""
    language = language_of(language)
    params = params or {}
    table = SENTENCES[language] if reference else NO_REFERENCE[language]
    template = table.get(moment) or SENTENCES[language][moment]
    values = {"ref": reference or ""}
    for param, join in JOINS[language].items():
        words = word(param, params.get(param), language)
        values[param] = join.format(words) if words else ""
    for param in ("milestone", "status"):
        values[param] = word(param, params.get(param), language) or "—"
    return template.format(**values)


def render(moment: str, reference: str | None, link: str, language: str | None,
           params: dict | None) -> tuple[str, str]:
    """(subject, text) of a notification in ``language``: the subject is the sentence, the text
    the sentence and the link (an SMS is the text)."""
    language = language_of(language)
    subject = sentence(moment, reference, language, params)
    return subject, OPEN[language].format(text=subject, link=link)
