"""nameko entrypoints of the legal service: validate, delegate to ``app``, return."""

from nameko.rpc import rpc

from services.common.caller import Caller
from services.common.nameko_deps import Observability, Outbox, ServiceDatabase, consume_events

from . import app
from .tables import outbox


class LegalService:
    name = "legal"

    db = ServiceDatabase("legal")
    # before `outbox` below: that name is the outbox table only until it is rebound
    observability = Observability("legal", outbox)
    outbox = Outbox("legal", outbox)

    @consume_events("legal")
    def on_event(self, body):
        app.apply_event(self.db, body)

    @rpc
    def list_eligible(self, caller):
        return app.list_eligible(self.db, Caller.from_dict(caller))

    @rpc
    def ping(self):
        return {"service": self.name, "outbox_published": self.outbox.published}
