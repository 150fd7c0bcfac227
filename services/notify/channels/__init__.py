"""The outside channels: SMTP email and an SMS webhook."""
