"""The legal team's hearings as an iCalendar (RFC 5545) feed, built with ``icalendar``.

Each hearing is a VEVENT whose UID is stable (``<hearing_id>@refnet``), so a calendar app that
re-reads the feed updates an event instead of adding a copy; its start is in the court's zone
(TZID, with the VTIMEZONE included), postponed and cancelled hearings are marked CANCELLED.
Hearings have no set length: an hour is assumed for the calendar only.
"""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

ASSUMED_LENGTH = timedelta(hours=1)
CANCELLED = {"postponed", "cancelled"}


def hearings_calendar(hearings: list[dict], *, now: datetime) -> bytes:
    """The hearings as one VCALENDAR document (bytes, CRLF lines), stamped ``now``."""
    # imported here: icalendar (with dateutil) adds about 3.5 MB to every gateway worker that
    # never serves a calendar; the first feed of a worker pays the import once
    from icalendar import Calendar, Event
    cal = Calendar()
    cal.add("prodid", "-//refnet//legal hearings//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", "refnet hearings")
    stamp = now
    for h in hearings:
        start = datetime.fromisoformat(h["starts_at"]).astimezone(ZoneInfo(h["time_zone"]))
        event = Event()
        event.add("uid", f"{h['hearing_id']}@refnet")
        event.add("dtstamp", stamp)
        event.add("dtstart", start)
        event.add("dtend", start + ASSUMED_LENGTH)
        label = h.get("case_number") or h.get("reference") or h["hearing_id"]
        event.add("summary", f"Hearing {label} at {h['court']}")
        event.add("location", h["court"])
        lines = [f"Purpose: {h['purpose']}" if h.get("purpose") else None,
                 f"Referral: {h['reference']}" if h.get("reference") else None,
                 "The survivor must attend." if h.get("attendance_required") else
                 "The survivor need not attend.",
                 f"Status: {h.get('status', 'scheduled')}"]
        event.add("description", "\n".join(line for line in lines if line))
        event.add("status", "CANCELLED" if h.get("status") in CANCELLED else "CONFIRMED")
        cal.add_component(event)
    cal.add_missing_timezones()
    return cal.to_ical()
