"""The survivor's consent, for the staff of the provider that holds the referral: what stands now
per audience (the referring police, the legal team, each provider's access to the file) and every
recorded change (who, when, what for, until when); record a consent or withdraw one. Reads and
writes through the API's ``get_consent`` and ``record_consent`` (docs/decisions/0039, 0040)."""

from flask import redirect, request, url_for

from .common import notice
from .core import blueprint, call, page, render_page
from .forms import F, build, send
from .i18n import gettext as _
from .police import providers

AUDIENCES = ("referring_police", "legal_team", "provider")
GIVE = [F("audience"), F("agency"), F("purpose"), F("until")]
WITHDRAW = [F("audience"), F("agency")]


def _consent_page(reference: str, errors=None, failed=None, status=200):
    state = call("get_consent", reference=reference)
    known = providers()
    names = dict(known)
    values = request.form if request.method == "POST" else {}
    return render_page("shelter_consent.html", status=status, title=_("Consent"), state=state,
                       reference=reference, audiences=AUDIENCES, providers=known, names=names,
                       errors=errors or {}, failed=failed, values=values, notice=notice())


@blueprint.get("/shelter/referrals/<reference>/consent")
@page("shelter")
def shelter_consent(reference):
    return _consent_page(reference)


def _record(reference: str, form: list[F], prefix: str, share: bool, done: str):
    """One consent form: the survivor's choice (``share``) for the posted audience; a refusal
    shows the form again with the API's reason beside its field, nothing recorded."""
    body = build(request.form, form, prefix=prefix)
    body["share"] = share
    _, errors = send("record_consent", body, form, prefix=prefix, reference=reference)
    if errors is not None:
        return _consent_page(reference, errors, failed=prefix.rstrip("-"), status=422)
    return redirect(url_for("web.shelter_consent", reference=reference, notice=done))


@blueprint.post("/shelter/referrals/<reference>/consent/give")
@page("shelter")
def shelter_give_consent(reference):
    return _record(reference, GIVE, "give-", True, "consent_recorded")


@blueprint.post("/shelter/referrals/<reference>/consent/withdraw")
@page("shelter")
def shelter_withdraw_consent(reference):
    return _record(reference, WITHDRAW, "wd-", False, "consent_withdrawn")
