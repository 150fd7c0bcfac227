"""HTML forms to API bodies, and the API's errors back to the fields of the form.

A form's input is named by the path of its field in the API body (``survivor.name``,
``children.0.age``, ``consent.given``), so the ``field`` of every error the API reports (the
gateway's ``InputError`` with its ``errors`` list, a service's ``InvalidInput``) names the input
it belongs to. ``build`` turns the posted strings into the JSON the API takes (numbers, booleans,
lists; empty inputs left out) and nothing else: the checks are the API's own schemas and
services (``api.perform``). ``send`` posts a built body and gives back the refused input's
errors by input, for the page to show the form again.
"""

import re
from dataclasses import dataclass

from services.common.errors import InvalidInput

from ..errors import InputError
from .core import call
from .i18n import gettext as _, lazy_gettext as _l

# what the API answers when the input is refused: the gateway's own check, or a service's
INPUT_ERRORS = (InputError, InvalidInput)


@dataclass(frozen=True)
class F:
    """One input: its API path and how its string becomes JSON.

    kinds: ``str`` (stripped; empty = absent), ``text`` (kept as typed; empty = absent), ``int``
    (a number when it is one, else the string, so the API says what is wrong), ``bool`` (a
    checkbox: absent = false), ``list`` (checkboxes or a multiple select: every value),
    ``csv`` (comma-separated values in one input)."""
    path: str
    kind: str = "str"


def _number(value: str):
    value = value.strip()
    if re.fullmatch(r"-?[0-9]{1,12}", value):
        return int(value)
    return value


def build(form, fields: list[F], prefix: str = "") -> dict:
    """The API body of a posted form; ``prefix`` tells apart two forms on one page whose
    inputs would have the same names (``cap-population_group``, ``oos-population_group``)."""
    body: dict = {}
    for f in fields:
        name = prefix + f.path
        if f.kind == "bool":
            value = form.get(name) in ("on", "true", "1", "yes")
        elif f.kind == "list":
            value = [v for v in form.getlist(name) if v.strip()]
        elif f.kind == "csv":
            raw = form.get(name, "")
            value = [v.strip() for v in raw.split(",") if v.strip()]
            if not value:
                continue
        else:
            raw = form.get(name)
            if raw is None or not raw.strip():
                continue
            value = _number(raw) if f.kind == "int" else (raw if f.kind == "text" else raw.strip())
        _put(body, f.path.split("."), value)
    return body


def _put(body: dict, parts: list[str], value) -> None:
    """Set ``value`` at a dotted path; a numeric part is an index into a list of objects."""
    node, i = body, 0
    while i < len(parts) - 1:
        part, nxt = parts[i], parts[i + 1]
        if nxt.isdigit():
            items = node.setdefault(part, [])
            index = int(nxt)
            while len(items) <= index:
                items.append({})
            if i + 2 == len(parts):
                items[index] = value
                return
            node, i = items[index], i + 2
        else:
            node, i = node.setdefault(part, {}), i + 1
    node[parts[-1]] = value


def send(name: str, body: dict, fields: "list[F]", *, prefix: str = "", headers=None, **params):
    """Send a form's body to the endpoint ``name`` for the signed-in person: ``(answer body,
    None)``, or ``(None, errors by input name)`` when the input is refused (the page shows the
    form again with them, status 422). Any other error goes to the error page."""
    try:
        return call(name, body=body, headers=headers, **params), None
    except INPUT_ERRORS as exc:
        return None, field_errors(exc, fields, prefix=prefix)


# --- errors --------------------------------------------------------------------------------------

# The API's English messages (marshmallow's, the schemas', the services') and what a person reads.
MESSAGES = {
    "Missing data for required field.": _l("Required."),
    "Field may not be null.": _l("Required."),
    "Not a valid integer.": _l("Enter a whole number."),
    "Not a valid date.": _l("Enter a date (year-month-day)."),
    "Not a valid string.": _l("Enter text."),
    "Not a valid boolean.": _l("Choose yes or no."),
    "Not a valid list.": _l("Choose one or more."),
    "Unknown field.": _l("This field is not part of the form."),
    "String does not match expected pattern.": _l("This is not in the expected form."),
    "Not an E.164 phone number.": _l("A phone number in international form, e.g. +9647501234567."),
    "Not an ISO 3166-1 alpha-2 country code.": _l("Choose a country."),
    "Give age or birth_year.": _l("Give the age or the year of birth."),
    "Birth year is in the future.": _l("The year of birth is in the future."),
    "Date is in the future.": _l("The date is in the future."),
    "A minor is referred on the best_interest basis.":
        _l("A child is referred in the best interest of the child."),
    "An adult's informed consent to the referral is required.":
        _l("An adult must give informed consent to the referral."),
    "Required to decline.": _l("Give a reason to decline."),
    "A decline needs a reason code.": _l("Give a reason to decline."),
    "Required to withdraw.": _l("Choose a reason."),
    "Required to share.": _l("Give the purpose of sharing."),
    "must be a whole number": _l("Enter a whole number."),
    "must not be negative": _l("Must not be negative."),
    "a hearing is scheduled in the future": _l("A hearing is scheduled in the future."),
    "a local date and time, e.g. 2026-12-10T09:30": _l("A date and time, e.g. 2026-12-10 09:30."),
    "not an IANA time zone name (e.g. Asia/Baghdad)": _l("A time zone such as Asia/Baghdad."),
    "a postponed hearing needs its new date and time": _l("Give the new date and time."),
    "a new date and time is given only for a postponement":
        _l("A new date and time is only for a postponement."),
    "a verdict is given only with status verdict": _l("A verdict goes with the status Verdict only."),
    "name the statute of an other charge": _l("Name the law of the charge."),
    "1 to 64 letters, digits, spaces and / . -":
        _l("1 to 64 letters, digits, spaces and / . -"),
    "a court id is lower-case letters, digits and dashes":
        _l("A court id: lower-case letters, digits and dashes."),
    "a date, YYYY-MM-DD": _l("Enter a date (year-month-day)."),
    "a whole, non-negative amount": _l("A whole amount, zero or more."),
    "to is before from": _l("The last day is before the first."),
    # notification preferences (the gateway's schema and the notify service's checks)
    "not an email address": _l("An email address, e.g. name@example.org."),
    "a phone number as + and 8 to 15 digits":
        _l("A phone number in international form, e.g. +9647501234567."),
    "an IANA time zone, e.g. Asia/Baghdad": _l("A time zone such as Asia/Baghdad."),
    "a time of day as HH:MM (00:00 to 23:59)": _l("A time of day, e.g. 22:00."),
    "quiet hours end at another time than they start":
        _l("The quiet hours end at another time than they start."),
    "an hour from 0 to 23": _l("An hour from 0 to 23."),
    "email needs an email address": _l("Give your email address above to be told by email."),
    "sms needs a phone number": _l("Give your mobile phone above to be told by SMS."),
    # administration: web users and tokens (gateway/resources/admin.py, gateway/directory.py)
    "No such agency.": _l("The directory has no such agency."),
    "The agency is inactive.": _l("The agency is inactive."),
    "Give jti or user, not both.": _l("Give a token id or a user id."),
    # consent (the gateway's ConsentBody and the referral service's checks)
    "a grant needs a purpose (1 to 200 characters)": _l("Say what sharing is for."),
    "must lie in the future": _l("Choose a day after today."),
    "must not be in the future": _l("The date is in the future."),
    "agency is given with audience provider, and only then":
        _l("Choose a provider when sharing the file, and only then."),
    "the provider's agency id is required for audience provider":
        _l("Choose a provider when sharing the file, and only then."),
    "only audience provider names an agency":
        _l("Choose a provider when sharing the file, and only then."),
    "Not an agency id.": _l("Choose an agency."),
    "not a date (YYYY-MM-DD)": _l("Enter a date (year-month-day)."),
    # the waiting list's order (the shelter service's checks)
    "reordering the waitlist needs a reason": _l("Give a reason."),
    "a whole number from -100 to 100": _l("A number from -100 to 100."),
}

_PATTERNS = [
    (re.compile(r"^Length must be between (\d+) and (\d+)\.$"),
     lambda m: _("Between %(min)s and %(max)s characters.", min=m[1], max=m[2])),
    (re.compile(r"^Longer than maximum length (\d+)\.$"),
     lambda m: _("At most %(max)s characters.", max=m[1])),
    (re.compile(r"^Shorter than minimum length (\d+)\.$"), lambda m: _("Required.")),
    (re.compile(r"^Must be greater than or equal to (-?\d+) and less than or equal to (-?\d+)\.$"),
     lambda m: _("A number from %(min)s to %(max)s.", min=m[1], max=m[2])),
    (re.compile(r"^Must be greater than or equal to (-?\d+)\.$"),
     lambda m: _("A number of at least %(min)s.", min=m[1])),
    (re.compile(r"^Must be one of: .*$"), lambda m: _("Choose one of the options.")),
    (re.compile(r"^.* is one of .*$"), lambda m: _("Choose one of the options.")),
    (re.compile(r"^unknown time zone .*$"), lambda m: _("A time zone such as Asia/Baghdad.")),
    (re.compile(r"^must not be before the discharge .*$"),
     lambda m: _("Not before the day she left the shelter.")),
    (re.compile(r"^The agency(?: is not a|'s kind is not one of) .*$"),
     lambda m: _("This agency's kind does not fit the role.")),
    (re.compile(r"^(\d+) to (\d+) characters$"),
     lambda m: _("Between %(min)s and %(max)s characters.", min=m[1], max=m[2])),
]


_LIST_LENGTH = re.compile(r"^Length must be between (\d+) and (\d+)\.$")


def message(english: str, kind: str = "str") -> str:
    """What a person reads for one of the API's messages, in their language (``kind`` "list":
    the message is about how many were chosen)."""
    text = (english or "").strip()
    if kind in ("list", "csv"):
        found = _LIST_LENGTH.match(text)
        if found:
            return _("Choose from %(min)s to %(max)s.", min=found[1], max=found[2])
    if text in MESSAGES:
        return str(MESSAGES[text])
    for pattern, make in _PATTERNS:
        found = pattern.match(text)
        if found:
            return make(found)
    return _("This value is not accepted.")


def field_errors(exc: Exception, known: set[str] | list[F], prefix: str = "") -> dict[str, list[str]]:
    """The errors of a refused body, by input name: each error goes to the input whose name
    is its field or the longest known prefix of it (``children.0.age`` -> ``children.0.age``,
    ``exploitation_types.1`` -> ``exploitation_types``); what matches no input goes to ``""``
    (shown at the top of the form). With a ``prefix``, the names carry it, as the inputs do."""
    kinds = {f.path: f.kind for f in known if isinstance(f, F)}
    known = {f.path if isinstance(f, F) else f for f in known}
    if isinstance(exc, InputError):
        items = exc.errors or [{"field": exc.field or "", "message": exc.detail}]
    elif isinstance(exc, InvalidInput):
        items = [{"field": exc.field or "", "message": exc.detail}]
    else:
        raise TypeError(type(exc).__name__)
    out: dict[str, list[str]] = {}
    for item in items:
        found = _input_for(item.get("field") or "", known)
        text = message(item.get("message", ""), kinds.get(found, "str"))
        name = prefix + found if found else ""
        if text not in out.setdefault(name, []):
            out[name].append(text)
    return out


def _input_for(field: str, known: set[str]) -> str:
    parts = field.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in known:
            return candidate
        parts.pop()
    return ""

