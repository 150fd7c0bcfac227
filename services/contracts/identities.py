"""The shape of who acts: an agency id and a user id, as a bearer token, a web user and the
caller of every RPC carry them. One definition for every edge that takes them in (``refnet
issue-token``, ``refnet user create``, the gateway's token check, the services' caller), so
what one edge lets in another does not cut or refuse differently.

A user id is at most ``USER_MAX`` characters: the services store it in columns of that size
(``created_by``, ``approved_by``, ...), and a rule comparing a stored id with a longer one would
never see them equal."""

import re

USER_MAX = 100
AGENCY = re.compile(r"[a-z0-9][a-z0-9._-]{0,99}")  # whole text: fullmatch
USER = re.compile(r"[A-Za-z0-9._@-]{1,%d}" % USER_MAX)  # whole text: fullmatch
AGENCY_RULE = "agency: 1 to 100 of a-z 0-9 . _ -, starting with a letter or digit"
USER_RULE = f"user: 1 to {USER_MAX} of A-Z a-z 0-9 . _ @ -"


def check_agency(agency) -> None:
    """``ValueError`` naming the rule unless ``agency`` is an agency id."""
    if not isinstance(agency, str) or not AGENCY.fullmatch(agency):
        raise ValueError(AGENCY_RULE)


def check_user(user) -> None:
    """``ValueError`` naming the rule unless ``user`` is a user id."""
    if not isinstance(user, str) or not USER.fullmatch(user):
        raise ValueError(USER_RULE)
