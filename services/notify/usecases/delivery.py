"""ISSUE-19-PLACEHOLDER: replaced by the notify helpers."""


def list_failed(*args, **kwargs):
    raise NotImplementedError("list_failed")


def send_due(*args, **kwargs):
    raise NotImplementedError("send_due")

