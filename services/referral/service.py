"""nameko entrypoints of the referral service: validate, delegate to ``usecases``, return.

Every RPC leaves an audit entry (``audited``) before its answer leaves the service. Retention:
every ``REFNET_RETENTION_SWEEP_SECONDS`` each replica closes referrals stuck before admission
for ``REFNET_STALE_REFERRAL_DAYS`` and anonymises referrals that ended more than
``REFNET_RETENTION_DAYS`` ago and are under no legal hold (safe to run concurrently).
"""

import logging

from nameko.timer import timer

from services.common import audit
from services.common.audit import audited
from services.common.caller import Caller
from services.common.runtime.consumers import consume_events, consume_intake
from services.common.runtime.entrypoints import rpc
from services.common.runtime import skeleton
from services.common.runtime.observability import Observability
from services.common.runtime.providers import FileKeys, Outbox, ServiceDatabase

from . import usecases
from .dependencies import ReferralSecrets
from .settings import SETTINGS
from .tables import audit_log, outbox as outbox_table

log = logging.getLogger(__name__)

VALUES = SETTINGS.load_at_start()  # once: a missing or bad value stops the process, naming it


def report_figures_here(db, caller, first_day, last_day):
    """The referral figures: shelter staff get those of the referrals their provider holds,
    analysts the network's (docs/decisions/0038 and 0039)."""
    return usecases.report_figures(db, Caller.from_dict(caller), first_day, last_day,
                                   default_holder=VALUES.shelter_agency)


def report_figures_for_here(db, caller, periods):
    """The referral figures of several periods, from one read of their rows."""
    return usecases.report_figures_for(db, Caller.from_dict(caller), periods,
                                       default_holder=VALUES.shelter_agency)


class ReferralService(skeleton.ServiceSkeleton):
    """The referral service: intake, the referral's status and file, consent, retention."""
    name = "referral"
    audit_table = audit_log
    keeps_dead_letters = True  # its broker user may read the parking queue (decision 0043)
    report_figures_of = staticmethod(report_figures_here)
    report_figures_for_of = staticmethod(report_figures_for_here)

    db = ServiceDatabase("referral")
    observability = Observability("referral", outbox_table)
    outbox = Outbox("referral", outbox_table)
    cipher = FileKeys()
    secrets = ReferralSecrets()

    @consume_intake()
    def take_submission(self, body):
        """A sealed submission off the intake queue, recorded once."""
        usecases.submit(self.db, self.clock, self.cipher, self.secrets.intake_private_key, body,
                        search_key=self.secrets.search_key)

    @consume_events("referral")
    def on_event(self, body):
        """A shelter or legal event, applied once."""
        usecases.apply_event(self.db, self.clock, body)

    @timer(interval=VALUES.retention_sweep_seconds)
    def retention_sweep(self):
        """Close the referrals stuck too long or settled in an end; anonymise those that ended
        long enough ago."""
        try:
            closed = usecases.close_stale(self.db, self.clock, VALUES.stale_referral_days)
            settled = usecases.close_settled(self.db, self.clock, VALUES.settle_days)
            count = usecases.anonymise_closed(self.db, self.clock, self.cipher, VALUES.retention_days)
            if closed or settled or count:
                log.info("retention: %d stale and %d settled referral(s) closed, %d anonymised",
                         closed, settled, count)
        except Exception:  # the next tick retries; never let the timer die
            log.exception("retention sweep failed")

    @rpc
    @audited("referral.read_status", "referral", "reference", refusals_only=True)
    def get_status(self, caller, reference):
        """Status and timeline (refusals audited). Shelter staff: of the provider holding the
        referral only (the rule's holder check, docs/decisions/0039)."""
        return usecases.get_status(self.db, self.clock, caller, reference,
                                   default_holder=VALUES.shelter_agency)

    @rpc
    @audited("referral.read_fhir_task", "referral", "reference", refusals_only=True)
    def get_fhir_task(self, caller, reference):
        """The status as a FHIR Task (refusals audited); the same holder check."""
        return usecases.get_fhir_task(self.db, self.clock, self.secrets.search_key, caller,
                                      reference, default_holder=VALUES.shelter_agency)

    @rpc
    def list_unplaced(self, caller, limit=50, cursor=None):
        """Referrals no provider was left for, flagged to the admins (admins)."""
        return usecases.list_unplaced(self.db, caller, limit=int(limit), cursor=cursor)

    @rpc
    def list_referrals(self, caller, status=None, limit=50, cursor=None):
        """The caller's referrals, a page at a time."""
        return usecases.list_referrals(self.db, self.clock, caller, status=status,
                                       limit=int(limit), cursor=cursor,
                                       shelter_agency=VALUES.shelter_agency)

    @rpc
    @audited("referral.read_file", "referral", "reference")
    def get_file(self, caller, reference):
        """The decrypted file, or the status-level summary without the survivor's consent to
        share the file with the caller's agency (staff of the provider holding the referral:
        docs/decisions/0039 and 0040)."""
        return usecases.get_file(self.db, self.cipher, caller, reference, now=self.clock.now(),
                                 default_holder=VALUES.shelter_agency)

    @rpc
    def names_for(self, caller, references):
        """The survivors' names for the shelter's own pages, ``{reference: name}``, of the
        referrals whose file the caller may read (``get_file``'s rule exactly; the others are
        left out). Each reference asked is one read of the file: one audit entry each
        (``referral.read_name``, ``ok`` with a name, ``not_found`` without), written in one
        transaction before the answer leaves; a refused call leaves one entry
        (docs/decisions/0045)."""
        error, names, asked = None, {}, []
        try:
            names, asked = usecases.names_for(self.db, self.cipher, caller, references,
                                              now=self.clock.now(),
                                              default_holder=VALUES.shelter_agency)
        except Exception as exc:
            error = exc
        outcomes = ([(audit.object_id("referrals", None), audit.outcome_of(error))] if error
                    else [(audit.object_id("referral", r), "ok" if r in names else "not_found")
                          for r in asked])
        now = self.clock.now()
        with self.db.write() as s:
            audit.append_many(s, self.audit_table, actor=str(caller.user or "unknown"),
                              role=str(caller.role or "unknown"),
                              agency=str(caller.agency or "unknown"), action="referral.read_name",
                              outcomes=outcomes, now=now, correlation_id=caller.correlation_id,
                              key=getattr(self, "audit_key", None))
        if error is not None:
            raise error
        return names

    @rpc
    @audited("referral.withdraw", "referral", "reference")
    def withdraw(self, caller, reference, reason=None, correlation_id=None, reason_code=None):
        """The referring police withdraw a referral, with a reason code (and a note)."""
        return usecases.withdraw(self.db, self.clock, caller, reference, reason, correlation_id,
                                 reason_code=reason_code)

    @rpc
    @audited("consent.record", "referral", "reference")
    def record_consent(self, caller, reference, audience, share, purpose=None, until=None,
                       correlation_id=None, agency=None, guardian_consent=None):
        """The holder's staff record the survivor's choice for one audience (a provider:
        ``agency``; a minor's with the guardian's consent); another provider's staff get
        ``NotFound`` (audited), nothing written."""
        return usecases.record_consent(self.db, self.clock, caller, reference, audience, share,
                                       purpose, until, correlation_id, agency=agency,
                                       default_holder=VALUES.shelter_agency,
                                       guardian_consent=guardian_consent)

    @rpc
    @audited("referral.set_guardian", "referral", "reference")
    def set_guardian(self, caller, reference, name=None, relationship=None):
        """The holder's staff record a minor survivor's guardian (the name encrypted)."""
        return usecases.set_guardian(self.db, self.clock, self.cipher, caller, reference, name,
                                     relationship, default_holder=VALUES.shelter_agency)

    # --- documents on a referral (issue 21): every call audited, reads included ---------------

    @rpc
    @audited("attachment.add", "referral", "reference")
    def add_attachment(self, caller, reference, kind=None, file_name=None, content=None):
        """Keep an identity scan (``content``: base64) on the referral: the referring police or
        the staff who read the file."""
        return usecases.add_attachment(self.db, self.clock, self.cipher, caller, reference, kind,
                                       file_name, content, VALUES.attachment_max_bytes,
                                       default_holder=VALUES.shelter_agency)

    @rpc
    @audited("attachment.list", "referral", "reference")
    def list_attachments(self, caller, reference):
        """The referral's documents without content (the staff who read the file)."""
        return usecases.list_attachments(self.db, self.clock, caller, reference,
                                         default_holder=VALUES.shelter_agency)

    @rpc
    @audited("attachment.read", "attachment", "attachment_id")
    def read_attachment(self, caller, reference, attachment_id):
        """One document with its content (base64), for the staff who read the file."""
        return usecases.read_attachment(self.db, self.clock, self.cipher, caller, reference,
                                        attachment_id, default_holder=VALUES.shelter_agency)

    @rpc
    @audited("consent.read", "referral", "reference")
    def get_consent(self, caller, reference):
        """The survivor's choices and their history (the holder's staff; others ``NotFound``)."""
        return usecases.get_consent(self.db, self.clock, caller, reference,
                                    default_holder=VALUES.shelter_agency)

    # --- the agency directory (docs/decisions/0037) --------------------------------------------

    @rpc
    def list_agencies(self, caller, kind=None, active=None):
        """Every agency of the directory (any signed-in role), narrowed by kind and active."""
        return usecases.list_agencies(self.db, caller, kind=kind, active=active)

    @rpc
    def get_agency(self, caller, agency):
        """One agency of the directory (any signed-in role)."""
        return usecases.get_agency(self.db, caller, agency)

    @rpc
    @audited("agency.register", "agency", "agency")
    def register_agency(self, caller, agency, kind, names, region=None, services=None,
                        languages=None, routing_order=None, active=True):
        """An administrator registers an agency (``referral.agency_changed``)."""
        return usecases.register_agency(self.db, self.clock, caller, agency, kind, names,
                                        region=region, services=services, languages=languages,
                                        routing_order=routing_order, active=active)

    @rpc
    @audited("agency.update", "agency", "agency")
    def update_agency(self, caller, agency, changes):
        """An administrator changes an agency (``referral.agency_changed``)."""
        return usecases.update_agency(self.db, self.clock, caller, agency, changes)

    @rpc
    @audited("referral.search_by_name", "referrals")
    def search_by_name(self, caller, name):
        """Referrals whose survivor's name matches, of those the caller's provider holds
        (shelter staff)."""
        return usecases.search_by_name(self.db, self.secrets.search_key, caller, name,
                                       default_holder=VALUES.shelter_agency)
