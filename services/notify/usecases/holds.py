"""ISSUE-19-PLACEHOLDER: replaced by the notify helpers."""


def warn_expiring_holds(*args, **kwargs):
    raise NotImplementedError("warn_expiring_holds")

