"""``@rpc``: the services' RPC entrypoint. It hands a method its caller as a ``Caller``."""

import functools
import inspect

from nameko.exceptions import IncorrectSignature
from nameko.rpc import Rpc, RpcConsumer

from ..caller import Caller
from .consumers import SafeQueueConsumer


class _RpcConsumer(RpcConsumer):
    """nameko's ``RpcConsumer`` on the ``SafeQueueConsumer`` that the event consumers share (one
    connection per service process), so a reply's ack on a dead connection cannot kill the
    container. Replies keep nameko's publisher confirms: a variant without them lost replies
    after a broker restart (docs/decisions/0013)."""

    queue_consumer = SafeQueueConsumer()


class _Rpc(Rpc):
    rpc_consumer = _RpcConsumer()


def with_caller(method):
    """Wrap ``method`` so that its ``caller`` argument (the identity dict the gateway sends)
    arrives as a ``Caller``; a missing or malformed identity is refused as ``InvalidInput``.
    The call is checked against the method's own signature first, as nameko does."""
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
        # the caller is replaced where it was given, every other argument is passed as it came
        # (``audited`` reads the audited object's id from the keyword arguments)
        if "caller" in kwargs:
            kwargs["caller"] = Caller.from_dict(kwargs["caller"])
        else:
            args = (*args[:position], Caller.from_dict(args[position]), *args[position + 1:])
        return method(self, *args, **kwargs)

    return wrapper


def rpc(method=None, **kwargs):
    """The services' ``@rpc``: nameko's, on the safe queue consumer, with the caller converted
    (``with_caller``). Use it for every RPC entrypoint of a service."""
    if method is None:
        return lambda fn: rpc(fn, **kwargs)
    return _Rpc.decorator(**kwargs)(with_caller(method)) if kwargs else \
        _Rpc.decorator(with_caller(method))
