"""The referral file (identity and circumstances, decrypted for shelter staff) and the search by
name (a keyed hash of the name, never the name in clear)."""

import json

from sqlalchemy import select

from services.common.caller import Caller
from services.common.db import Database
from services.common.errors import InvalidInput, NotFound
from services.common.sealing import FileCipher
from services.common.timeutil import iso

from ..domain import referral as rules
from ..domain import retention
from ..domain.visibility import shape
from ..queries import row_dict
from ..tables import referrals
from .steps import MAX_PAGE, check_reference


def get_file(db: Database, cipher: FileCipher, caller: Caller, reference: str,
             default_holder: str | None = None) -> dict:
    """The referral as submitted, decrypted, for the staff of the provider that holds it
    (``default_holder``: the network's shelter, for a referral nobody holds yet)."""
    check_reference(reference)
    with db.read() as s:
        row = row_dict(s.execute(select(referrals).where(referrals.c.reference == reference)).first())
    if row is None or not rules.may_read_file(caller, row, default_holder):
        raise NotFound(f"no referral {reference}", field="reference")
    anonymised = row["anonymised_at"] is not None
    submission = None if anonymised else json.loads(cipher.decrypt(row["file_ciphertext"]))
    return shape("file", caller.role, {
        "reference": reference, "status": row["status"], "referring_agency": row["referring_agency"],
        "submitted_at": iso(row["submitted_at"]), "population_group": row["population_group"],
        "beds_needed": row["beds_needed"], "submission": submission, "anonymised": anonymised})


def search_by_name(db: Database, search_key: bytes, caller: Caller, name: str) -> list[dict]:
    """Shelter staff find referrals by the survivor's name: the keyed digest of the normalised
    name is compared, so equal names match and the table holds no name."""
    caller.require("shelter")
    if not isinstance(name, str) or not 1 <= len(name.strip()) <= 200:
        raise InvalidInput("1 to 200 characters", field="name")
    digest = retention.name_digest(search_key, name)
    with db.read() as s:
        rows = s.execute(select(referrals.c.reference, referrals.c.status, referrals.c.submitted_at)
                         .where(referrals.c.name_digest == digest)
                         .order_by(referrals.c.id.desc()).limit(MAX_PAGE)).all()
    return [shape("search_item", caller.role, {"reference": r.reference, "status": r.status,
                                               "submitted_at": iso(r.submitted_at)}) for r in rows]
