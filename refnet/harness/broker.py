"""A fresh RabbitMQ virtual host per test session, so tests never meet a running `make up`
network (or each other) on the same broker."""

import subprocess
import urllib.parse
import uuid

import requests

from .settings import VALUES

BASE_URI = VALUES.test_amqp_uri
MANAGEMENT = VALUES.test_rabbit_management


def credentials() -> tuple:
    """The broker user, password and parsed base URI."""
    parsed = urllib.parse.urlparse(BASE_URI)
    return parsed.username or "guest", parsed.password or "guest", parsed


def create_vhost(prefix: str = "refnet-test") -> tuple[str, str]:
    """Create a vhost; return (name, amqp uri). Management API first, then rabbitmqctl."""
    name = f"{prefix}-{uuid.uuid4().hex[:8]}"
    user, password, parsed = credentials()
    try:
        quoted = urllib.parse.quote(name, safe="")
        requests.put(f"{MANAGEMENT}/api/vhosts/{quoted}", auth=(user, password), timeout=5).raise_for_status()
        requests.put(f"{MANAGEMENT}/api/permissions/{quoted}/{user}", auth=(user, password), timeout=5,
                     json={"configure": ".*", "write": ".*", "read": ".*"}).raise_for_status()
    except requests.RequestException:
        subprocess.run(["rabbitmqctl", "add_vhost", name], check=True, capture_output=True)
        subprocess.run(["rabbitmqctl", "set_permissions", "-p", name, user, ".*", ".*", ".*"],
                       check=True, capture_output=True)
    uri = f"{parsed.scheme}://{user}:{password}@{parsed.hostname}:{parsed.port or 5672}/{urllib.parse.quote(name, safe='')}"
    return name, uri


def delete_vhost(name: str) -> None:
    """Delete a vhost and everything in it. Management API first, then rabbitmqctl."""
    user, password, _ = credentials()
    try:
        requests.delete(f"{MANAGEMENT}/api/vhosts/{urllib.parse.quote(name, safe='')}",
                        auth=(user, password), timeout=10).raise_for_status()
    except requests.RequestException:
        subprocess.run(["rabbitmqctl", "delete_vhost", name], check=False, capture_output=True)
