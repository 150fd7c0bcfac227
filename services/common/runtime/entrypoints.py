"""``@rpc``: the services' RPC entrypoint. It checks the caller the gateway signed
(``services.common.signed_caller``) before anything else runs, and hands the method that
caller as a ``Caller``; a refused caller is audited and answered ``CallerRefused``."""

import functools
import inspect
import logging

from nameko.exceptions import IncorrectSignature
from nameko.rpc import Rpc, RpcConsumer

from .. import audit
from ..caller import Caller
from ..errors import CallerRefused, ServiceError
from .consumers import SafeQueueConsumer

log = logging.getLogger(__name__)


class _RpcConsumer(RpcConsumer):
    """nameko's ``RpcConsumer`` on the ``SafeQueueConsumer`` that the event consumers share (one
    connection per service process), so a reply's ack on a dead connection cannot kill the
    container. Replies keep nameko's publisher confirms: a variant without them lost replies
    after a broker restart (docs/decisions/0013)."""

    queue_consumer = SafeQueueConsumer()


class _Rpc(Rpc):
    rpc_consumer = _RpcConsumer()


def _refuse(service, method_name: str, error: CallerRefused):
    """Audit a refused caller (as no one: the identity it claims is not believed), then raise."""
    log.warning("rpc %s.%s: caller refused (%s)", service.name, method_name, error.detail)
    table = getattr(service, "audit_table", None)
    if table is not None:
        with service.db.write() as s:
            audit.append(s, table, actor="unverified", role="unknown", agency="unknown",
                         action="rpc.caller_refused",
                         object=audit.object_id("rpc", f"{service.name}.{method_name}"),
                         outcome="refused", now=service.clock.now())
    raise error


def with_caller(method):
    """Wrap ``method`` so that its ``caller`` argument (the signed caller the gateway sends) is
    verified for this service and method (the service's ``caller_verifier``) and arrives as a
    ``Caller``; an unsigned, altered, expired, misdirected or replayed caller is refused
    (``CallerRefused``, audited) before the method runs. The call is checked against the
    method's own signature first, as nameko does."""
    signature = inspect.signature(method)
    if "caller" not in signature.parameters:
        return method

    position = list(signature.parameters).index("caller") - 1  # among the args after self

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        try:
            signature.bind(self, *args, **kwargs)
        except TypeError as exc:
            raise IncorrectSignature(str(exc)) from None
        verifier = getattr(self, "caller_verifier", None)
        given = kwargs["caller"] if "caller" in kwargs else args[position]
        try:
            if verifier is None:  # a service without the check trusts no one
                raise CallerRefused("this service cannot verify callers", field="caller")
            caller = verifier.verify(given, self.name, method.__name__)
        except CallerRefused as refused:
            _refuse(self, method.__name__, refused)
        # the caller is replaced where it was given, every other argument is passed as it came
        # (``audited`` reads the audited object's id from the keyword arguments)
        if "caller" in kwargs:
            kwargs["caller"] = caller
        else:
            args = (*args[:position], caller, *args[position + 1:])
        return method(self, *args, **kwargs)

    return wrapper


def rpc(method=None, **kwargs):
    """The services' ``@rpc``: nameko's, on the safe queue consumer, with the caller converted
    (``with_caller``), a ``ServiceError`` declared expected (a refusal, logged without a
    traceback: ``logs.RefusalsAreNotErrors``). Use it for every RPC entrypoint of a service."""
    if method is None:
        return lambda fn: rpc(fn, **kwargs)
    kwargs.setdefault("expected_exceptions", ServiceError)
    return _Rpc.decorator(**kwargs)(with_caller(method))


def caller_checked(check):
    """Decorate an RPC method so ``check(caller)`` runs before the method (and any rule in it);
    what it raises is the answer. Put it under ``@audited``, so a refusal is audited."""
    def decorate(method):
        signature = inspect.signature(method)

        @functools.wraps(method)
        def wrapper(self, *args, **kwargs):
            caller = signature.bind_partial(self, *args, **kwargs).arguments.get("caller")
            check(Caller.from_dict(caller))
            return method(self, *args, **kwargs)
        return wrapper
    return decorate
