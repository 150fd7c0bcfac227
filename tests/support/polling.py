"""Waiting with a deadline: the harness (``refnet.harness.polling``), for tests."""

from refnet.harness.polling import poll

__all__ = ["poll"]
