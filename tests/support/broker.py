"""A fresh RabbitMQ virtual host per test session, so tests never meet a running `make up`
network (or each other) on the same broker."""

import os
import subprocess
import urllib.parse
import uuid

import requests

BASE_URI = os.environ.get("REFNET_TEST_AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/")
MANAGEMENT = os.environ.get("REFNET_TEST_RABBIT_MANAGEMENT", "http://127.0.0.1:15672")


def _credentials():
    parsed = urllib.parse.urlparse(BASE_URI)
    return parsed.username or "guest", parsed.password or "guest", parsed


def create_vhost(prefix: str = "refnet-test") -> tuple[str, str]:
    """Create a vhost; return (name, amqp uri). Management API first, then rabbitmqctl."""
    name = f"{prefix}-{uuid.uuid4().hex[:8]}"
    user, password, parsed = _credentials()
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
    user, password, _ = _credentials()
    try:
        requests.delete(f"{MANAGEMENT}/api/vhosts/{urllib.parse.quote(name, safe='')}",
                        auth=(user, password), timeout=10).raise_for_status()
    except requests.RequestException:
        subprocess.run(["rabbitmqctl", "delete_vhost", name], check=False, capture_output=True)
