"""A minor survivor's guardian (issue 21): recorded by the staff of the provider holding the
referral, the name encrypted at rest and read with the file; never in an event or a log."""

from sqlalchemy import insert, select, update

from services.common.caller import Caller
from services.common.clock import Clock
from services.common.db import Database
from services.common.sealing import FileCipher
from services.common.timeutil import iso

from ..domain import minors
from ..domain import referral as rules
from ..queries import load_for_update, row_dict
from ..tables import ENCRYPTED, guardians
from .steps import check_reference


def set_guardian(db: Database, clock: Clock, cipher: FileCipher, caller: Caller, reference: str,
                 name, relationship, default_holder: str | None = None) -> dict:
    """Record (or correct) the guardian of a minor's referral; an adult's is ``409``."""
    caller.require("shelter")
    check_reference(reference)
    name = minors.check_guardian(name, relationship)
    now = clock.now()
    sealed = ENCRYPTED.seal(cipher, guardians.c.name, name.encode())
    with db.write() as s:
        row = load_for_update(s, reference)
        referral = rules.require_holder(caller, row_dict(row), reference, default_holder)
        minors.check_has_guardian_role(referral)
        values = {"name": sealed, "relationship": relationship, "recorded_by": caller.user[:100],
                  "recorded_at": now}
        if s.execute(select(guardians.c.referral_id)
                     .where(guardians.c.referral_id == referral["id"])).first():
            s.execute(update(guardians).where(guardians.c.referral_id == referral["id"])
                      .values(**values))
        else:
            s.execute(insert(guardians).values(referral_id=referral["id"], **values))
    return {"reference": reference, "name": name, "relationship": relationship,
            "recorded_by": caller.user, "recorded_at": iso(now)}


def guardian_of(s, cipher: FileCipher, referral_id: int) -> dict | None:
    """The referral's guardian as the file shows it (None when none is recorded)."""
    row = s.execute(select(guardians).where(guardians.c.referral_id == referral_id)).first()
    if row is None:
        return None
    name = ENCRYPTED.open(cipher, guardians.c.name, row.name).decode() if row.name else None
    return {"name": name, "relationship": row.relationship, "recorded_by": row.recorded_by,
            "recorded_at": iso(row.recorded_at)}


def has_guardian(s, referral_id: int) -> bool:
    """Whether a guardian is on record for the referral."""
    return s.execute(select(guardians.c.referral_id)
                     .where(guardians.c.referral_id == referral_id)).first() is not None
