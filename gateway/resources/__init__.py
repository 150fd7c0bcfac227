"""The API's resources, one module each: its request and answer schemas, its views, and each
view's endpoint declaration side by side.

* ``referrals`` submit, list, status, file, decision, withdrawal; ``fhir`` the status as a FHIR Task
* ``beds`` availability, capacity, out of service, history, board, census, HSDS
* ``admissions`` incoming referrals, admission, discharge, the waitlist
* ``care`` care plans and items, case notes, screening, first-week milestones
* ``legal`` legal cases, sessions, notes, documents, disputes, eligible referrals, referral requests
* ``court`` court cases, hearings, the hearings calendar, residents' hearings
* ``privacy`` consent and the search by name; ``reports`` figures; ``admin`` revocations, audit
* ``agencies`` the agency directory (the referral service's)
* ``partners`` care-plan items referred to partner agencies: the partner's list and answers
* ``inbox`` notifications (the notify service): the inbox, read marks, the unread count, and
  each person's notification preferences
* ``tasks`` the shelter's tasks: court accompaniment and cash approvals, assigned and finished
* ``attachments`` documents on a referral, a care plan or a legal case: upload, list, download

``declare`` holds the decorator and the registry; ``shapes`` the field helpers they share.
Importing this package declares every endpoint; ``ENDPOINTS`` lists them.
"""

from . import (admin, agencies, admissions, beds, care, court, fhir, legal, privacy,  # noqa: F401 - declare
               referrals, reports)
from . import partners  # noqa: F401 - declare
from . import inbox  # noqa: F401 - declare
from . import tasks  # noqa: F401 - declare
from . import attachments  # noqa: F401 - declare
from .declare import REGISTRY

ENDPOINTS = tuple(REGISTRY)
BY_NAME = {endpoint.name: endpoint for endpoint in ENDPOINTS}
