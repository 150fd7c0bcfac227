"""ISSUE-19-PLACEHOLDER: replaced by the notify helpers."""


def list_inbox(*args, **kwargs):
    raise NotImplementedError("list_inbox")


def mark_read(*args, **kwargs):
    raise NotImplementedError("mark_read")


def unread_count(*args, **kwargs):
    raise NotImplementedError("unread_count")

