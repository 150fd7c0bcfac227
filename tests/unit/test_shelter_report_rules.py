"""The shelter's report rules without I/O: the rows of one period among rows read for a span of
several (services/shelter/domain/report.py ``within``), cut where the period's queries cut."""

from collections import namedtuple
from datetime import date, timedelta

from services.common.period import Period
from services.shelter.domain.report import within

Stay = namedtuple("Stay", "name admitted_at discharged_at")
Change = namedtuple("Change", "name changed_at")
Milestone = namedtuple("Milestone", "name due_at")
Contact = namedtuple("Contact", "name contacted_on")

MARCH = Period(date(2026, 3, 1), date(2026, 3, 31))
START, END = MARCH.start, MARCH.end          # 1 March 00:00 UTC, 1 April 00:00 UTC
SECOND = timedelta(seconds=1)


def names(rows) -> list[str]:
    return [r.name for r in rows]


def test_a_period_keeps_the_rows_its_own_queries_would_select():
    stays = [Stay("left before", START - 10 * SECOND, START - SECOND),
             Stay("left at its start", START - 10 * SECOND, START),
             Stay("still there", START - 10 * SECOND, None),
             Stay("came on its last second", END - SECOND, None),
             Stay("came at its end", END, None),
             # stored times read back naive from SQLite are UTC
             Stay("naive, inside", (START + SECOND).replace(tzinfo=None), None)]
    changes = [Change("before", START - SECOND), Change("inside", START + SECOND),
               Change("at its end", END), Change("after", END + SECOND)]
    milestones = [Milestone("before", START - SECOND), Milestone("at its start", START),
                  Milestone("last second", END - SECOND), Milestone("at its end", END)]
    contacts = [Contact("day before", date(2026, 2, 28)), Contact("first day", date(2026, 3, 1)),
                Contact("last day", date(2026, 3, 31)), Contact("day after", date(2026, 4, 1)),
                Contact("no day", None)]
    kept = within(MARCH, stays, changes, milestones, contacts)
    assert [names(rows) for rows in kept] == [
        ["left at its start", "still there", "came on its last second", "naive, inside"],
        ["before", "inside"],                       # in time order, as read
        ["at its start", "last second"],
        ["first day", "last day"]]


def test_rows_outside_every_period_leave_each_period_empty():
    later = Period(date(2026, 5, 1), date(2026, 5, 31))
    stays = [Stay("march", START, START + timedelta(days=3))]
    assert within(later, stays, [], [Milestone("march", START)], [Contact("march", date(2026, 3, 2))]) \
        == ([], [], [], [])
    assert within(Period(date(2026, 3, 2), date(2026, 3, 2)), stays, [], [], []) == (stays, [], [], [])
