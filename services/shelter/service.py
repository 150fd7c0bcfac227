"""nameko entrypoints of the shelter service: validate, delegate to ``app``, return."""

import os

from nameko.rpc import rpc

from services.common.caller import Caller
from services.common.nameko_deps import Observability, Outbox, ServiceDatabase, consume_events

from . import app
from .observability import bed_gauges
from .tables import outbox


class ShelterService:
    name = "shelter"

    db = ServiceDatabase("shelter")
    # before `outbox` below: that name is the outbox table only until it is rebound
    observability = Observability("shelter", outbox, collectors=[bed_gauges])
    outbox = Outbox("shelter", outbox)

    @consume_events("shelter")
    def on_event(self, body):
        app.apply_event(self.db, body, agency=os.environ.get("REFNET_SHELTER_AGENCY", "erbil-shelter"))

    @rpc
    def list_incoming(self, caller, status="received"):
        return app.list_incoming(self.db, Caller.from_dict(caller), status)

    @rpc
    def decide(self, caller, reference, decision, reason=None, correlation_id=None):
        return app.decide(self.db, Caller.from_dict(caller), reference, decision, reason, correlation_id)

    @rpc
    def ensure_facility(self, caller, facility, name):
        return app.ensure_facility(self.db, Caller.from_dict(caller), facility, name)

    @rpc
    def set_capacity(self, caller, facility, population_group, capacity, correlation_id=None):
        return app.set_capacity(self.db, Caller.from_dict(caller), facility, population_group,
                                capacity, correlation_id)

    @rpc
    def availability(self, caller):
        return app.availability(self.db, Caller.from_dict(caller))

    @rpc
    def ping(self):
        return {"service": self.name, "outbox_published": self.outbox.published}
