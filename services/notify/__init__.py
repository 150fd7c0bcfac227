"""The notify service: turns events into notifications for a person or a duty desk, and sends
them by the inbox, email and SMS (docs/decisions/0042)."""
