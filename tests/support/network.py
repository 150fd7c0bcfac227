"""The network as real processes: the harness (``refnet.harness.network``), for tests."""

from refnet.harness.network import BIN, ROOT, SERVICES, Network, free_port, procfile

__all__ = ["BIN", "ROOT", "SERVICES", "Network", "free_port", "procfile"]
