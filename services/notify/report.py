"""ISSUE-19-PLACEHOLDER: replaced by the notify helpers."""


def report_figures(db, caller, first_day, last_day):
    raise NotImplementedError("report_figures")
