"""What a network needs before its processes start: every database at the latest schema, and
the broker's exchanges and durable queues. Both are safe to repeat."""

from refnet import settings

from .broker import check_broker


def migrate(values, say=print) -> None:
    """Bring every service's database, and the gateway's tables, to the latest schema."""
    from gateway.accounts import AccountStore
    from gateway.availability import SharedGeneration
    from gateway.idempotency import IdempotencyKeys
    from gateway.issued_tokens import IssuedTokens
    from gateway.revocation import RevocationStore
    from services.common.migrations import upgrade
    for service in settings.SERVICES:
        upgrade(service, settings.database_url(values, service), file_keys=values.file_keys)
        say(f"{service}: database at the latest schema")
    RevocationStore(values.gateway_database_url)
    AccountStore(values.gateway_database_url)
    IssuedTokens(values.gateway_database_url)
    IdempotencyKeys(values.gateway_database_url)
    SharedGeneration(values.gateway_database_url).db.dispose()
    say("gateway: revoked-token, issued-token, idempotency-key, web user, session and cache tables ready")


def declare_broker(values, say=print) -> bool:
    """Declare the exchanges and durable queues; False (said how) when no broker answers."""
    import kombu

    from services.common.broker import declare_topology
    if not check_broker(values.amqp_uri):
        return False
    with kombu.Connection(values.amqp_uri) as conn:
        declare_topology(conn)
    say("broker: exchanges and durable queues declared")
    return True
