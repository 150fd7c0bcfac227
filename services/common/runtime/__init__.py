"""The services' nameko code, by job: the only part of ``services.common`` that imports nameko
(and so eventlet).

- ``providers``: dependency providers (database, outbox relay, clock, file cipher);
- ``consumers``: event and intake consumers with bounded retries and dead letters;
- ``entrypoints``: ``@rpc``, which hands a method its caller as a ``Caller``;
- ``observability``: correlation ids in logs, one line per call or message, ``/metrics``;
- ``skeleton``: ``ServiceSkeleton``, the RPCs every service answers the same way.
"""
