"""The endpoint table: each route's method, path, roles, schemas and view in one place.

``api.register`` turns every row into an authenticated, role-checked Flask route, and
``openapi.build`` documents the same rows with the same schemas, so the two cannot drift.
"""

from dataclasses import dataclass, field
from typing import Callable

from marshmallow import Schema

ALL_ROLES = ("police", "shelter", "legal", "court", "admin", "analyst")


@dataclass(frozen=True)
class Endpoint:
    name: str
    method: str
    path: str                         # Flask style: /referrals/<reference>/status
    view: Callable
    roles: tuple[str, ...]
    summary: str
    body: type[Schema] | None = None
    query: type[Schema] | None = None
    response: type[Schema] | None = None
    many: bool = False
    status: int = 200
    errors: tuple[int, ...] = field(default=(400, 401, 403, 422, 503))
    headers: tuple[str, ...] = ()     # documented request headers
    changes_beds: bool = False        # on success, every worker's availability copy is dropped
    media_type: str = "application/json"  # of the success response
    also_as: tuple[str, ...] = ()     # other media types of the success answer (text/csv)
