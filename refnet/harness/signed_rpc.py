"""nameko's standalone RPC proxies with every call's caller signed, as the gateway signs it
(``services.common.signed_caller.Signer``): the test harness calls services the way the gateway
does, through the one signing helper.

``signing(proxy, signer)`` wraps an entered ``ClusterRpcProxy`` (``rpc.referral.get_status(
caller, reference)``); ``signing(proxy, signer, service="referral")`` an entered
``ServiceRpcProxy``.
"""

from services.common.signed_caller import Signer


class _Signing:
    def __init__(self, target, signer: Signer, service: str | None):
        self._target, self._signer, self._service = target, signer, service

    def __getattr__(self, name: str):
        if self._service is None:  # a cluster proxy: the attribute is a service
            return _Signing(getattr(self._target, name), self._signer, name)
        method = getattr(self._target, name)

        def call(*args, **kwargs):
            args, kwargs = self._signer.sign_arguments(self._service, name, args, kwargs)
            return method(*args, **kwargs)
        return call


def signing(proxy, signer: Signer, service: str | None = None):
    """``proxy`` (an entered nameko standalone proxy) whose calls sign their caller."""
    return _Signing(proxy, signer, service)
