"""Errors a service raises for its callers. The gateway maps each class name to an HTTP status
(gateway/errors.py), so a name here is part of the RPC contract.

Messages must never contain personal data: they name fields, codes and references only.
"""


class ServiceError(Exception):
    """Base class. ``field`` names the offending input field, when there is one."""

    def __init__(self, detail: str, field: str | None = None):
        super().__init__(detail, field)  # both survive nameko's (de)serialisation as exc_args
        self.detail = detail
        self.field = field

    def __str__(self):
        return f"{self.field}: {self.detail}" if self.field else self.detail


class NotFound(ServiceError):
    """No such object, or not one the caller may know exists (object-level authorisation)."""


class Forbidden(ServiceError):
    """The caller's role may not do this."""


class Conflict(ServiceError):
    """The request conflicts with the object's state (an illegal transition, a duplicate)."""


class IllegalTransition(Conflict):
    """A status change the lifecycle does not allow."""


class InvalidInput(ServiceError):
    """The request is malformed; ``field`` says where."""


class CallerRefused(ServiceError):
    """The RPC's caller is not one the gateway signed for this call, within its lifetime and
    once (``services.common.signed_caller``): no rule ran."""


class RetryLater(Exception):
    """A message came before what it depends on (an event that overtook the one it follows):
    the consumer hands it back and tries it again after a delay (docs/decisions/0013). Expected,
    not a fault: logged at INFO without a traceback, and never an answer to a caller."""
