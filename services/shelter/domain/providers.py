"""Facilities of many shelter providers, and a resident's transfer between providers. No I/O.

One shelter service hosts every shelter provider of the network as a tenant
(docs/decisions/0038): a facility belongs to one provider (an agency id), that provider's staff
(or an administrator) register, rename and close it, and an admitted resident may move to
another provider's facility of the same population group, her care plan going with her only
when she consented to share her file with that provider.
"""

import re
from datetime import datetime

from services.common.errors import Conflict, Forbidden, InvalidInput, NotFound

from .beds import check_facility_id

AGENCY_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,99}$")
NAME_MAX = 200
USER_ID = re.compile(r"^[A-Za-z0-9._@-]{1,100}$")  # a staff user id, as the gateway's accounts


def check_provider_id(provider, field: str = "provider") -> str:
    """An agency id as the directory spells them: lower-case letters, digits and dashes."""
    if not isinstance(provider, str) or not AGENCY_ID.match(provider):
        raise InvalidInput("an agency id: lower-case letters, digits and dashes, at most 100",
                           field=field)
    return provider


def check_manager(manager, field: str = "manager") -> str | None:
    """A facility's manager: a staff user id (told of overdue milestones beside the case
    manager), or None for none; a blank string reads as none."""
    if manager is None or (isinstance(manager, str) and not manager.strip()):
        return None
    if not isinstance(manager, str) or not USER_ID.match(manager.strip()):
        raise InvalidInput("a user id: letters, digits and . _ @ -, at most 100", field=field)
    return manager.strip()


def check_name(name) -> str:
    """A facility's name: 1 to 200 characters once trimmed."""
    if not isinstance(name, str) or not name.strip() or len(name.strip()) > NAME_MAX:
        raise InvalidInput(f"1 to {NAME_MAX} characters", field="name")
    return name.strip()


def registering_provider(caller, provider: str | None) -> str:
    """Whose facility a new one is: shelter staff register their own agency's (naming another
    is refused, naming the field); an administrator names the provider. Other roles may not."""
    if caller.role == "shelter":
        if provider not in (None, caller.agency):
            raise Forbidden("shelter staff register their own organisation's facilities",
                            field="provider")
        return caller.agency
    if caller.role != "admin":
        raise Forbidden(f"role {caller.role} may not register facilities")
    if provider is None:
        raise InvalidInput("an administrator names the facility's provider", field="provider")
    return check_provider_id(provider)


def check_registration(caller, facility_id, name, provider) -> tuple[str, str, str]:
    """A facility to register, checked: (its id, its name, its provider)."""
    check_facility_id(facility_id)
    return facility_id, check_name(name), registering_provider(caller, provider)


def check_open(closed_at: datetime | None, field: str = "facility") -> None:
    """Beds are set, held, taken or moved to a facility that is still open."""
    if closed_at is not None:
        raise Conflict("this facility is closed", field=field)


def check_closable(closed_at: datetime | None, beds_in_use: int) -> None:
    """A facility closes once, and only when nobody lives there or is expected (no bed
    occupied or held)."""
    if closed_at is not None:
        raise Conflict("this facility is already closed", field="facility")
    if beds_in_use:
        raise Conflict(f"{beds_in_use} bed(s) are occupied or held here: discharge or move the "
                       "residents and let the holds end first", field="facility")


def check_transfer(state: str, from_provider: str, from_group: str, to_provider: str,
                   to_group_beds: bool, to_closed_at: datetime | None) -> None:
    """A transfer moves an admitted resident to another provider's open facility that has beds
    of her population group."""
    if state != "admitted":
        raise Conflict(f"only an admitted resident can be transferred (this referral is {state})",
                       field="reference")
    if to_provider == from_provider:
        raise InvalidInput("a transfer moves a resident to another provider; within one "
                           "provider, discharge and admit", field="to_facility")
    check_open(to_closed_at, "to_facility")
    if not to_group_beds:
        raise InvalidInput(f"this facility has no {from_group} beds", field="to_facility")


def plan_goes_along(granted: bool | None, until: datetime | None, now: datetime) -> bool:
    """The care plan goes to the new provider only with the survivor's consent to share with
    it, recorded and not expired."""
    return bool(granted) and (until is None or until > now)
