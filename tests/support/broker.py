"""A fresh RabbitMQ vhost per test: the harness (``refnet.harness.broker``), for tests."""

from refnet.harness.broker import BASE_URI, MANAGEMENT, create_vhost, credentials, delete_vhost

__all__ = ["BASE_URI", "MANAGEMENT", "create_vhost", "credentials", "delete_vhost"]
