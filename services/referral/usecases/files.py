"""The referral file (identity and circumstances, decrypted for shelter staff with the
survivor's consent to share it with their agency; the status-level summary otherwise) and the search by
name (a keyed hash of the name, never the name in clear)."""

import json
from datetime import datetime

from sqlalchemy import select

from services.common.caller import Caller
from services.common.db import Database
from services.common.errors import InvalidInput, NotFound
from services.common.sealing import FileCipher
from services.common.timeutil import iso
from services.contracts.references import is_reference

from ..domain import referral as rules
from ..domain import retention
from ..domain.visibility import shape
from ..queries import (file_consents_of, file_consents_of_all, held_by_caller, referrals_by_reference,
                       row_dict)
from ..tables import referrals
from .attachments import STORE as DOCUMENTS
from .guardians import guardian_of
from .steps import MAX_PAGE, check_reference


def get_file(db: Database, cipher: FileCipher, caller: Caller, reference: str,
             now: datetime | None = None, default_holder: str | None = None) -> dict:
    """The referral as submitted, decrypted, for the staff of the provider that holds it
    (``default_holder``: the network's shelter, for a referral nobody holds yet;
    docs/decisions/0039) when the survivor consented to share the file with their agency
    (``file_shared`` true); without that consent the status-level summary (``file_shared``
    false: group, beds, urgency, needs, service languages, children count), never the file
    (docs/decisions/0040). The file carries its documents' list (``attachments``, without their
    content), which this read's audit entry covers."""
    check_reference(reference)
    guardian, documents = None, []
    with db.read() as s:
        row = row_dict(s.execute(select(referrals).where(referrals.c.reference == reference)).first())
        if row is not None:
            row["file_consents"] = file_consents_of(s, row["id"])
        access = rules.file_access(caller, row, now, default_holder)
        if access == "file":  # the file's readers read its documents' list with it
            guardian = guardian_of(s, cipher, row["id"])
            documents = DOCUMENTS.listing(s, row["id"])
    if access is None:
        raise NotFound(f"no referral {reference}", field="reference")
    anonymised = row["anonymised_at"] is not None
    submission = None if anonymised else json.loads(cipher.decrypt(row["file_ciphertext"]))
    if access == "summary":
        return shape("file_summary", caller.role, {
            "reference": reference, "status": row["status"], "file_shared": False,
            "population_group": row["population_group"], "beds_needed": row["beds_needed"],
            "urgency": row["urgency"], "needs": json.loads(row["needs"]),
            "service_languages": rules.service_languages(submission),
            "children_count": row["children_count"]})
    return shape("file", caller.role, {
        "reference": reference, "status": row["status"], "referring_agency": row["referring_agency"],
        "submitted_at": iso(row["submitted_at"]), "population_group": row["population_group"],
        "beds_needed": row["beds_needed"], "submission": submission, "anonymised": anonymised,
        "file_shared": True, "guardian": guardian, "attachments": documents})


def search_by_name(db: Database, search_key: bytes, caller: Caller, name: str,
                   default_holder: str | None = None) -> list[dict]:
    """Shelter staff find the referrals their provider holds by the survivor's name
    (``queries.held_by_caller``, the SQL form of ``rules.holds``; ``default_holder`` holds those
    nobody holds yet): another provider's referrals are not found. The keyed digest of the
    normalised name is compared, so equal names match and the table holds no name."""
    caller.require("shelter")
    if not isinstance(name, str) or not 1 <= len(name.strip()) <= 200:
        raise InvalidInput("1 to 200 characters", field="name")
    digest = retention.name_digest(search_key, name)
    with db.read() as s:
        rows = s.execute(select(referrals.c.reference, referrals.c.status, referrals.c.submitted_at)
                         .where(referrals.c.name_digest == digest)
                         .where(held_by_caller(caller, default_holder))
                         .order_by(referrals.c.id.desc()).limit(MAX_PAGE)).all()
    return [shape("search_item", caller.role, {"reference": r.reference, "status": r.status,
                                               "submitted_at": iso(r.submitted_at)}) for r in rows]


MAX_NAMES = MAX_PAGE  # the references of one page at most


def names_for(db: Database, cipher: FileCipher, caller: Caller, references: list,
              now: datetime | None = None,
              default_holder: str | None = None) -> tuple[dict[str, str], list[str]]:
    """The name the survivor gave, per reference, for the shelter's own pages
    (docs/decisions/0045): ``({reference: name}, asked)`` where ``asked`` are the well-formed
    references asked (each is one read of the file, audited by the entrypoint). A name is given
    exactly when ``get_file`` would give the file (``rules.file_access`` answers ``file``: staff
    of the provider holding the referral, with the survivor's consent to share the file with
    their agency) and the file is not anonymised; any other reference is left out, so nobody
    tells another provider's reference from an unknown one."""
    caller.require("shelter")
    if not isinstance(references, (list, tuple)) or len(references) > MAX_NAMES or not all(
            isinstance(r, str) for r in references):
        raise InvalidInput(f"a list of at most {MAX_NAMES} references", field="references")
    asked = list(dict.fromkeys(r for r in references if is_reference(r)))
    if not asked:
        return {}, []
    with db.read() as s:
        rows = referrals_by_reference(s, asked)
        consents = file_consents_of_all(s, [row["id"] for row in rows])
    for row in rows:
        row["file_consents"] = consents.get(row["id"], {})
    names = {}
    for row in rows:
        if rules.file_access(caller, row, now, default_holder) != "file" \
                or row["anonymised_at"] is not None:
            continue
        survivor = (json.loads(cipher.decrypt(row["file_ciphertext"])) or {}).get("survivor") or {}
        if isinstance(survivor.get("name"), str) and survivor["name"].strip():
            names[row["reference"]] = survivor["name"]
    return names, asked
