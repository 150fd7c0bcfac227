"""ISSUE-19-PLACEHOLDER: replaced by the notify helpers."""


def get_preferences(*args, **kwargs):
    raise NotImplementedError("get_preferences")


def save_preferences(*args, **kwargs):
    raise NotImplementedError("save_preferences")

