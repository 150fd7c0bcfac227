"""What a network needs before its processes start: every database at the latest schema, and
the broker's exchanges, durable queues and each process kind's own user. All safe to repeat."""

import os

from refnet import settings

from . import broker_users
from .broker import check_broker


def migrate(values, say=print) -> None:
    """Bring every service's database, and the gateway's tables, to the latest schema."""
    from gateway.accounts import AccountStore
    from gateway.generations import SharedGeneration
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
    """Declare the exchanges and durable queues, and the user of each process kind whose
    ``REFNET_BROKER_PASSWORD_<KIND>`` is set; False (said how) when no broker answers."""
    import kombu

    from services.common.broker import declare_topology
    if not check_broker(values.amqp_uri):
        return False
    with kombu.Connection(values.amqp_uri) as conn:
        declare_topology(conn)
    say("broker: exchanges and durable queues declared")
    kind_passwords = broker_users.passwords(os.environ)
    if kind_passwords:
        made = broker_users.create(values.amqp_uri, broker_users.management_url(
            values.amqp_uri, values.broker_management_url), kind_passwords)
        say(f"broker: users {', '.join(made)}, each with its own permissions")
    return True
