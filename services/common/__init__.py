"""Infrastructure shared by the services: database access, the outbox and inbox, the relay,
the broker topology, sealing and encryption, errors, and the nameko dependency providers.

Only ``runtime`` imports nameko; everything else works without eventlet.
"""
