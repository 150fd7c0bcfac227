"""nameko entrypoints of the referral service: validate, delegate to ``app``, return."""


from services.common.caller import Caller
from services.common.nameko_deps import (Observability, Outbox, ServiceDatabase, consume_events,
                                          consume_intake, rpc)

from . import app
from .dependencies import ReferralSecrets
from .tables import outbox


class ReferralService:
    name = "referral"

    db = ServiceDatabase("referral")
    # before `outbox` below: that name is the outbox table only until it is rebound
    observability = Observability("referral", outbox)
    outbox = Outbox("referral", outbox)
    secrets = ReferralSecrets()

    @consume_intake()
    def take_submission(self, body):
        app.submit(self.db, self.secrets.cipher, self.secrets.intake_private_key, body)

    @consume_events("referral")
    def on_event(self, body):
        app.apply_event(self.db, body)

    @rpc
    def get_status(self, caller, reference):
        return app.get_status(self.db, Caller.from_dict(caller), reference)

    @rpc
    def list_referrals(self, caller, status=None, limit=50, cursor=None):
        return app.list_referrals(self.db, Caller.from_dict(caller), status=status,
                                  limit=int(limit), cursor=cursor)

    @rpc
    def get_file(self, caller, reference):
        return app.get_file(self.db, self.secrets.cipher, Caller.from_dict(caller), reference)

    @rpc
    def withdraw(self, caller, reference, reason=None, correlation_id=None):
        return app.withdraw(self.db, Caller.from_dict(caller), reference, reason, correlation_id)

    @rpc
    def ping(self):
        return {"service": self.name, "outbox_published": self.outbox.published}
