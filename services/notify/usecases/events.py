"""ISSUE-19-PLACEHOLDER: replaced by the notify helpers."""


def apply_event(*args, **kwargs):
    raise NotImplementedError("apply_event")

