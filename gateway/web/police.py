"""Police pages: a new referral, the unit's referrals with status and timeline, withdrawing."""

import re
import uuid

from flask import redirect, request, url_for
from flask_babel import get_locale

from services.common.errors import NotFound

from ..errors import InputError
from .i18n import gettext as _
from services.contracts.vocabulary import (CHILD_AGE_BANDS, CHILD_RELATIONSHIPS, CONSENT_BASES,
                                           EXPLOITATION_TYPES, ISO_COUNTRIES, NEEDS,
                                           PROVIDER_KIND, REFERRAL_STATUSES, SEXES, URGENCIES,
                                           WITHDRAWAL_REASONS)

from .common import notice
from . import offline  # noqa: F401 - the service worker and the manifest of the offline form
from .core import blueprint, call, page, render_page, today
from .forms import INPUT_ERRORS, F, build, field_errors, send

CHILD_ROWS = 3
REFERRAL_FIELDS = [
    F("survivor.name"), F("survivor.sex"), F("survivor.birth_year", "int"), F("survivor.age", "int"),
    F("survivor.age_estimated", "bool"), F("survivor.nationality"), F("survivor.languages", "csv"),
    F("survivor.phone"), F("exploitation_types", "list"), F("identified_on"),
    F("identified_place"), F("needs", "list"), F("urgency"), F("consent.given", "bool"),
    F("consent.recorded_by"), F("consent.basis"), F("consent.share_status_with_referrer", "bool"),
    F("consent.share_with_legal", "bool"), F("officer.name"), F("officer.unit"),
    F("circumstances", "text"), F("addressed_to"),
] + [F(f"children.{i}.{part}", kind) for i in range(CHILD_ROWS)
     for part, kind in (("sex", "str"), ("age", "int"), ("age_band", "str"), ("relationship", "str"))]
KNOWN = {f.path for f in REFERRAL_FIELDS}
IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9-]{8,64}$")


def countries() -> list[tuple[str, str]]:
    """ISO codes with their names in the page's language (Babel's CLDR data)."""
    names = get_locale().territories
    return sorted(((code, names.get(code, code)) for code in ISO_COUNTRIES), key=lambda c: c[1])


@blueprint.get("/police/referrals")
@page("police")
def police_referrals():
    status = request.args.get("status") or None
    query = {"limit": "25"}
    if status:
        query["status"] = status
    if request.args.get("cursor"):
        query["cursor"] = request.args["cursor"]
    listing = call("list_referrals", query=query)
    return render_page("police_list.html", title=_("My referrals"), listing=listing,
                       chosen_status=status or "", statuses=REFERRAL_STATUSES, notice=notice())


def providers() -> list[tuple[str, str]]:
    """The active shelter providers a referral may be addressed to, by name in the page's
    language. None when the directory cannot be read: the form still works (to the network), as
    the durable intake does during a referral-service outage."""
    try:
        listing = call("list_agencies", query={"kind": PROVIDER_KIND, "active": "true"})
    except Exception:  # noqa: BLE001 - the form goes on without the choice
        return []
    return [(a["id"], a["name"]) for a in listing["items"]]


def _new_form(values, errors, status=200, **more):
    return render_page(
        "police_new.html", status=status, title=_("New referral"), values=values, errors=errors,
        **more,
        chosen_types=values.getlist("exploitation_types") if hasattr(values, "getlist") else [],
        chosen_needs=values.getlist("needs") if hasattr(values, "getlist") else ["shelter"],
        countries=countries(), sexes=SEXES, urgencies=URGENCIES, bases=CONSENT_BASES,
        age_bands=CHILD_AGE_BANDS, relationships=CHILD_RELATIONSHIPS,
        types=EXPLOITATION_TYPES, needs=NEEDS, child_rows=range(CHILD_ROWS),
        providers=[("", _("The network (every fitting provider)"))] + providers())


class _Defaults(dict):
    def getlist(self, key):
        return self.get(key, [])


@blueprint.get("/police/referrals/new")
@page("police")
def police_new():
    # ?shell=1: the copy the service worker keeps to open the form offline (docs/decisions/0044):
    # no queue key, no unread count and no idempotency key (the script makes one per referral)
    shell = request.args.get("shell") == "1"
    values = _Defaults({"identified_on": today(), "urgency": "urgent",
                        "consent.share_status_with_referrer": "on", "consent.share_with_legal": "on",
                        "consent.basis": "informed_consent", "needs": ["shelter"],
                        "idempotency_key": "" if shell else uuid.uuid4().hex})
    if shell:
        return _new_form(values, {}, shell=True, queue_key=None, no_badge=True)
    return _new_form(values, {})


@blueprint.post("/police/referrals/new")
@page("police")
def police_submit():
    body = build(request.form, REFERRAL_FIELDS)
    key = request.form.get("idempotency_key", "")
    headers = {"Idempotency-Key": key} if IDEMPOTENCY_KEY.match(key) else {}
    try:
        answer = call("submit_referral", body=body, headers=headers)
    except INPUT_ERRORS as exc:
        if not (isinstance(exc, InputError) and exc.code == "idempotency-key-reused"):
            return _new_form(request.form, field_errors(exc, REFERRAL_FIELDS), status=422)
        # this form was sent before with other values (edited after it went): the first stands;
        # another referral is sent with a new key, so the officer decides
        values = request.form.copy()
        values["idempotency_key"] = uuid.uuid4().hex
        return _new_form(values, {"": [_("This form was already sent with other values: that "
                                         "referral stands (see My referrals). Send the form again "
                                         "to make it another referral.")]}, status=422)
    return redirect(url_for("web.police_referral", reference=answer["reference"], notice="sent"))


@blueprint.get("/police/referrals/<reference>")
@page("police")
def police_referral(reference):
    return _show(reference)


def _show(reference, errors=None, status=200):
    try:
        state = call("referral_status", reference=reference)
    except NotFound:
        if request.args.get("notice") != "sent":
            raise
        # just sent: the referral service records it in a moment (the intake queue is durable)
        state = {"reference": reference, "status": "submitted", "timeline": [], "pending": True}
    return render_page("police_referral.html", status=status, title=reference, state=state,
                       withdrawal_reasons=WITHDRAWAL_REASONS,
                       reference=reference, errors=errors or {}, values=request.form,
                       notice=notice())


@blueprint.post("/police/referrals/<reference>/withdraw")
@page("police")
def police_withdraw(reference):
    fields = [F("reason_code"), F("reason")]
    _, errors = send("withdraw", build(request.form, fields), fields, reference=reference)
    if errors is not None:
        return _show(reference, errors, status=422)
    return redirect(url_for("web.police_referral", reference=reference, notice="withdrawn"))
