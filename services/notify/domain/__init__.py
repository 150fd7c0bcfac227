"""Notification rules: no I/O, no nameko, Flask or SQLAlchemy."""
