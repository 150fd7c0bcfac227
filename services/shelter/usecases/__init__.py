"""The shelter service's use cases, one module per aggregate: ``intake`` (incoming referrals and
the decision), ``beds`` (facilities, capacity, beds out of service, the staff views and the HSDS
export), ``admissions`` (holds, admissions, discharges, expiry), ``waitlist_order``,
``transfers`` (a resident moving to another provider), ``hearings``, ``care_plans`` and
``plan_items`` (the residents' care), ``plan_overview`` (a plan's page in one call), ``attachments`` (medical reports on a plan), ``follow_ups`` (after discharge), ``events`` (what the
shelter does with other services' events), ``retention`` (anonymising what ended long ago) and
``report`` (the figures for a period). Each checks who may call it, applies the domain's rules and runs the aggregate's queries
(``queries/``) in one short transaction, with its outbox events.

The names below are the service's use cases as one list, for the entrypoints and for tests.
"""

from .admissions import admit, discharge, expire_holds
from .attachments import add_attachment, list_attachments, read_attachment
from .beds import (availability, bed_board, capacity_history_of, close_facility, daily_census,
                   hsds_service, list_facilities, referral_place, register_facility,
                   rename_facility, set_facility_manager,
                   set_capacity, set_out_of_service)
from .care_plans import (add_note, complete_milestone, get_plan, get_screening, list_milestones,
                         list_notes, list_plans, notify_overdue_milestones, record_screening,
                         update_plan)
from .case_data import htcds_export, set_case_data
from .events import apply_event
from .follow_ups import list_follow_ups, record_follow_up
from .hearings import list_hearings
from .intake import decide, list_incoming, record_best_interests, start_screening
from .interpreters import set_booking, set_languages
from .partners import answer_partner_referral, list_partner_referrals, refer_item_to_partner
from .plan_items import add_item, approve_item, refer_item_to_legal, update_item
from .plan_overview import (DOCUMENTS_LISTED, NOTES_READ, PLAN_READ, SCREENING_READ,
                            plan_overview)
from .retention import anonymise_ended
from .transfers import transfer
from .routing import escalate
from .tasks import assign_task, finish_task, list_tasks
from .waitlist_order import reorder_waitlist, waitlist

__all__ = [
    "add_attachment", "list_attachments", "read_attachment",
    "add_item", "add_note", "admit", "anonymise_ended", "apply_event", "approve_item", "availability", "bed_board",
    "capacity_history_of", "close_facility", "complete_milestone", "daily_census", "decide",
    "discharge", "escalate", "expire_holds", "get_plan", "get_screening", "hsds_service",
    "list_facilities", "list_hearings", "list_incoming", "list_milestones", "list_notes",
    "list_plans", "notify_overdue_milestones", "record_screening", "refer_item_to_legal",
    "register_facility", "rename_facility", "set_facility_manager", "reorder_waitlist", "set_capacity",
    "set_out_of_service", "transfer", "update_item", "update_plan", "waitlist",
]
__all__ += ["answer_partner_referral", "list_partner_referrals", "refer_item_to_partner"]
__all__ += ["assign_task", "finish_task", "list_tasks"]
__all__ += ["start_screening"]
__all__ += ["referral_place"]
__all__ += ["set_booking", "set_languages"]
__all__ += ["record_best_interests"]
__all__ += ["list_follow_ups", "record_follow_up"]
__all__ += ["htcds_export", "set_case_data"]
__all__ += ["DOCUMENTS_LISTED", "NOTES_READ", "PLAN_READ", "SCREENING_READ",
            "plan_overview"]
